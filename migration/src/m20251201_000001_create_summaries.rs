//! Phase 2 (PDR §4): the summary tables the `aggregation` crate maintains, back-filled here.
//!
//! - `exercise_daily_summary`: user × resolved exercise × local date.
//! - `user_daily_summary`: user × local date (the dashboard's totals).
//! - `exercise_weekly_summary`: user × resolved exercise × ISO week (`week_start`, its Monday).
//! - `exercise_trends` (§7): user × resolved exercise × ISO week with an e1RM: the week's best
//!   e1RM, the previous such week's (`LAG`), the change, and the least-squares slope of the best
//!   e1RM over the last 8 such weeks (kg per week; weeks counted from Monday 2000-01-03).
//!
//! Each row sums the counted set lines of its key (warm-ups count nowhere): sessions, sets,
//! Σ reps × sets, volume, heaviest weight and highest e1RM, all kg. Primary keys lead with the
//! user and the date (what a change touches and a range reads); `(user_id,
//! resolved_exercise_name, …)` indexes serve an exercise's history and its trend. Rows die with their user. `down` drops the tables: they are derived, and a later
//! `up` computes them again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, date, double, double_null, string};
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Col {
    UserId,
    LocalDate,
    WeekStart,
    ResolvedExerciseName,
    SessionCount,
    Sets,
    Reps,
    Volume,
    MaxWeight,
    MaxOneRm,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn summary_table(name: &'static str, key: &[Col]) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(Alias::new(name));
    for col in key {
        match col {
            Col::UserId => table.col(big_integer(*col)),
            Col::ResolvedExerciseName => table.col(string(*col)),
            _ => table.col(date(*col)),
        };
    }
    table
        .col(big_integer(Col::SessionCount))
        .col(big_integer(Col::Sets))
        .col(big_integer(Col::Reps))
        .col(double(Col::Volume))
        .col(double_null(Col::MaxWeight))
        .col(double_null(Col::MaxOneRm));
    let mut pk = Index::create();
    for col in key {
        pk.col(*col);
    }
    table.primary_key(&mut pk).foreign_key(
        ForeignKey::create()
            .name(format!("fk_{name}_user"))
            .from(Alias::new(name), Col::UserId)
            .to(Users::Table, Users::Id)
            .on_delete(ForeignKeyAction::Cascade),
    );
    table
}

fn trends_table() -> TableCreateStatement {
    let table = Alias::new("exercise_trends");
    Table::create()
        .table(table.clone())
        .col(big_integer(Col::UserId))
        .col(string(Col::ResolvedExerciseName))
        .col(date(Col::WeekStart))
        .col(double(Col::MaxOneRm))
        .col(double_null(Alias::new("previous_max_one_rm")))
        .col(double_null(Alias::new("change")))
        .col(double_null(Alias::new("slope")))
        .primary_key(
            Index::create().col(Col::UserId).col(Col::ResolvedExerciseName).col(Col::WeekStart),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_exercise_trends_user")
                .from(table, Col::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// Weeks from Monday 2000-01-03 to `col` (a Monday), on each backend: the trends' x.
fn week_number_sql(backend: DbBackend, col: &str) -> String {
    match backend {
        DbBackend::Postgres => {
            format!("(CAST({col} - DATE '2000-01-03' AS DOUBLE PRECISION) / 7.0)")
        }
        _ => format!("((julianday({col}) - julianday('2000-01-03')) / 7.0)"),
    }
}

/// The Monday of `col`'s ISO week, as a date, on each backend.
fn week_start_sql(backend: DbBackend, col: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST(date_trunc('week', {col}) AS DATE)"),
        _ => format!("date({col}, '-6 days', 'weekday 1')"),
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Col::{LocalDate, ResolvedExerciseName, UserId, WeekStart};

        m.create_table(summary_table(
            "exercise_daily_summary",
            &[UserId, LocalDate, ResolvedExerciseName],
        ))
        .await?;
        m.create_table(summary_table("user_daily_summary", &[UserId, LocalDate])).await?;
        m.create_table(summary_table(
            "exercise_weekly_summary",
            &[UserId, WeekStart, ResolvedExerciseName],
        ))
        .await?;
        m.create_table(trends_table()).await?;
        // An exercise's history (strength progression) reads one exercise's days in a range, and
        // its trend one exercise's weeks.
        for (index, table, last) in [
            ("exercise_daily_summary_user_exercise_idx", "exercise_daily_summary", LocalDate),
            ("exercise_weekly_summary_user_exercise_idx", "exercise_weekly_summary", WeekStart),
        ] {
            m.create_index(
                Index::create()
                    .name(index)
                    .table(Alias::new(table))
                    .col(UserId)
                    .col(ResolvedExerciseName)
                    .col(last)
                    .to_owned(),
            )
            .await?;
        }
        let conn = m.get_connection();
        conn.execute_unprepared(
            "INSERT INTO exercise_daily_summary (user_id, local_date, resolved_exercise_name, session_count, sets, reps, \
             volume, max_weight, max_one_rm) \
             SELECT ws.user_id, ws.local_date, se.resolved_exercise_name, COUNT(DISTINCT se.session_id), SUM(se.sets), \
             SUM(COALESCE(se.reps, 0) * se.sets), SUM(se.volume_load), MAX(se.weight_kg), MAX(se.one_rm_estimate) \
             FROM workout_sessions ws JOIN session_exercises se ON se.session_id = ws.id \
             WHERE se.set_type <> 'warmup' GROUP BY ws.user_id, ws.local_date, se.resolved_exercise_name",
        )
        .await?;
        conn.execute_unprepared(
            "INSERT INTO user_daily_summary (user_id, local_date, session_count, sets, reps, volume, max_weight, \
             max_one_rm) \
             SELECT ws.user_id, ws.local_date, COUNT(DISTINCT se.session_id), SUM(se.sets), \
             SUM(COALESCE(se.reps, 0) * se.sets), SUM(se.volume_load), MAX(se.weight_kg), MAX(se.one_rm_estimate) \
             FROM workout_sessions ws JOIN session_exercises se ON se.session_id = ws.id \
             WHERE se.set_type <> 'warmup' GROUP BY ws.user_id, ws.local_date",
        )
        .await?;
        let week = week_start_sql(m.get_database_backend(), "local_date");
        conn.execute_unprepared(&format!(
            "INSERT INTO exercise_weekly_summary (user_id, week_start, resolved_exercise_name, session_count, sets, reps, \
             volume, max_weight, max_one_rm) \
             SELECT user_id, {week}, resolved_exercise_name, SUM(session_count), SUM(sets), SUM(reps), SUM(volume), \
             MAX(max_weight), MAX(max_one_rm) \
             FROM exercise_daily_summary GROUP BY user_id, {week}, resolved_exercise_name"
        ))
        .await?;
        // The slope from window sums over the last 8 weeks with an e1RM:
        // (n·Σxy − Σx·Σy) / (n·Σx² − (Σx)²).
        let x = week_number_sql(m.get_database_backend(), "week_start");
        conn.execute_unprepared(&format!(
            "WITH p AS (SELECT user_id, resolved_exercise_name, week_start, max_one_rm AS y, {x} AS x \
             FROM exercise_weekly_summary WHERE max_one_rm IS NOT NULL), \
             w AS (SELECT user_id, resolved_exercise_name, week_start, y, \
               LAG(y) OVER (PARTITION BY user_id, resolved_exercise_name ORDER BY week_start) AS prev, \
               COUNT(*) OVER last8 AS n, SUM(x) OVER last8 AS sx, SUM(y) OVER last8 AS sy, \
               SUM(x * y) OVER last8 AS sxy, SUM(x * x) OVER last8 AS sxx \
               FROM p WINDOW last8 AS (PARTITION BY user_id, resolved_exercise_name ORDER BY week_start \
               ROWS BETWEEN 7 PRECEDING AND CURRENT ROW)) \
             INSERT INTO exercise_trends (user_id, resolved_exercise_name, week_start, max_one_rm, \
               previous_max_one_rm, change, slope) \
             SELECT user_id, resolved_exercise_name, week_start, y, prev, y - prev, \
               CASE WHEN n >= 2 THEN (n * sxy - sx * sy) / (n * sxx - sx * sx) END FROM w"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "exercise_trends",
            "exercise_weekly_summary",
            "user_daily_summary",
            "exercise_daily_summary",
        ] {
            m.drop_table(Table::drop().table(Alias::new(table)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
