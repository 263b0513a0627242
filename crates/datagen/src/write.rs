//! Writing a seed: migrate, refuse a non-empty database unless asked to reset, then one
//! transaction per user through the parameter-limited bulk path.

use std::collections::HashMap;

use aggregation::Summaries;
use aggregation::maintain::{exercise_day_rows, exercise_week_rows, trend_rows, user_day_rows};
use aggregation::summary::Line;
use db::{Backend, BulkError, ParamLimit, insert_statements};
use domain::SetType;
use entity::user;
use migration::{Migrator, MigratorTrait, migrate_to_phase};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, Statement,
};

use crate::config::SeedConfig;
use crate::generate::{IdCounters, UserData, generate_user};

/// Why a seed stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the database already holds {0} users: seed into an empty database, or pass --reset to wipe it"
    )]
    NotEmpty(u64),
    #[error("migrating to phase {phase} failed: {source}")]
    Migrate { phase: u32, source: DbErr },
    #[error(
        "writing user {user_idx} of {n_users} failed, the database is incomplete (rerun with --reset): {source}"
    )]
    Write { user_idx: u32, n_users: u32, source: BulkError },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Prepares the schema: wipes it first with `reset`, then brings it to the configured phase.
pub async fn prepare(
    db: &DatabaseConnection,
    config: &SeedConfig,
    reset: bool,
) -> Result<(), SeedError> {
    let migrate_err = |source| SeedError::Migrate { phase: config.phase, source };
    if reset {
        // Roll every migration back (each `down` drops its tables children-first, which SQLite
        // needs with foreign keys on), then sweep whatever the history does not know about.
        Migrator::reset(db).await.map_err(migrate_err)?;
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            Migrator::fresh(db).await.map_err(migrate_err)?;
        }
    }
    migrate_to_phase(db, config.phase).await.map_err(migrate_err)?;
    let n_users = user::Entity::find().count(db).await?;
    if n_users > 0 {
        return Err(SeedError::NotEmpty(n_users));
    }
    Ok(())
}

/// What was written for one user, reported after its transaction commits.
#[derive(Debug, Clone, Copy)]
pub struct WrittenUser {
    pub user_idx: u32,
    pub rows: usize,
    pub set_lines: usize,
}

/// Generates and writes every user, in order, one transaction each; calls `on_user` after each
/// committed user.
pub async fn write_all(
    db: &DatabaseConnection,
    config: &SeedConfig,
    mut on_user: impl FnMut(WrittenUser),
) -> Result<(), SeedError> {
    let mut ids = IdCounters::default();
    for user_idx in 0..config.users {
        let data = generate_user(config, user_idx, &mut ids);
        write_user(db, &data, config.param_limit, config.phase)
            .await
            .map_err(|source| SeedError::Write { user_idx, n_users: config.users, source })?;
        on_user(WrittenUser { user_idx, rows: data.row_count(), set_lines: data.set_lines.len() });
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        advance_sequences(db).await?;
    }
    if config.phase >= 3 {
        // What the phase-3 migration does to existing rows, done to the seeded ones.
        migration::compact_whoop(db).await?;
    }
    Ok(())
}

async fn execute_in_transaction(
    db: &DatabaseConnection,
    statements: Vec<Statement>,
) -> Result<(), BulkError> {
    let txn = db::begin_write(db).await?;
    for statement in statements {
        txn.execute_raw(statement).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Writes one user's rows atomically.
///
/// From schema phase 1 on, the user's exercise-resolution cache rows are written in the same
/// transaction, as every write that creates template exercises must; from phase 2 on, so are the
/// user's summary rows.
pub async fn write_user(
    db: &DatabaseConnection,
    data: &UserData,
    limit: ParamLimit,
    phase: u32,
) -> Result<(), BulkError> {
    let statements = user_statements(db.get_database_backend(), data, limit, phase)?;
    execute_in_transaction(db, statements).await
}

/// The statements that store one user, in foreign-key order.
fn user_statements(
    backend: DbBackend,
    data: &UserData,
    limit: ParamLimit,
    phase: u32,
) -> Result<Vec<Statement>, BulkError> {
    let mut res = insert_statements(backend, vec![active(data.user.clone())], limit)?;
    res.extend(insert_statements(backend, vec![active(data.preferences.clone())], limit)?);
    res.extend(insert_statements(backend, actives(&data.templates), limit)?);
    res.extend(insert_statements(backend, actives(&data.template_exercises), limit)?);
    res.extend(insert_statements(backend, actives(&data.master_exercises), limit)?);
    res.extend(insert_statements(backend, actives(&data.exercise_links), limit)?);
    if phase >= 1 {
        res.extend(insert_statements(backend, actives(&data.resolution_cache), limit)?);
    }
    res.extend(insert_statements(backend, actives(&data.sessions), limit)?);
    res.extend(insert_statements(backend, actives(&data.set_lines), limit)?);
    if phase >= 2 {
        res.extend(insert_statements(backend, actives(&data.warmup_percentages), limit)?);
        let summaries = summaries(data);
        res.extend(insert_statements(backend, exercise_day_rows(&summaries.exercise_days), limit)?);
        res.extend(insert_statements(backend, user_day_rows(&summaries.user_days), limit)?);
        res.extend(insert_statements(
            backend,
            exercise_week_rows(&summaries.exercise_weeks),
            limit,
        )?);
        res.extend(insert_statements(backend, trend_rows(&summaries.trends), limit)?);
    }
    res.extend(insert_statements(backend, actives(&data.whoop.cycles), limit)?);
    res.extend(insert_statements(backend, actives(&data.whoop.sleeps), limit)?);
    res.extend(insert_statements(backend, actives(&data.whoop.recoveries), limit)?);
    res.extend(insert_statements(backend, actives(&data.whoop.workouts), limit)?);
    if phase >= 2 {
        res.extend(whoop_tiers(backend, data.user.id));
    }
    Ok(res)
}

/// Sets the user's WHOOP tier columns (phase 2) from their scores, as every writer of a score must.
fn whoop_tiers(backend: DbBackend, user: i64) -> [Statement; 2] {
    let update = |table: &str, column: &str, tier: String| {
        Statement::from_sql_and_values(
            backend,
            format!("UPDATE {table} SET {column} = {tier} WHERE user_id = $1"),
            [user.into()],
        )
    };
    [
        update(
            "whoop_recovery",
            "recovery_score_tier",
            domain::recovery_tier_sql("recovery_score"),
        ),
        update(
            "whoop_sleep",
            "sleep_quality_tier",
            domain::sleep_quality_tier_sql("sleep_performance_percentage"),
        ),
    ]
}

/// The user's summary rows (phase 2), computed from the generated set lines as the `aggregation`
/// crate computes them from stored ones, and written in bulk with the lines.
fn summaries(data: &UserData) -> Summaries {
    let dates: HashMap<i64, chrono::NaiveDate> =
        data.sessions.iter().map(|it| (it.id, it.local_date)).collect();
    let lines: Vec<Line> = data
        .set_lines
        .iter()
        .filter_map(|it| {
            Some(Line {
                user_id: it.user_id,
                session_id: it.session_id,
                local_date: *dates.get(&it.session_id)?,
                resolved_exercise_name: it.resolved_exercise_name.clone(),
                counted: it.set_type != SetType::Warmup.as_str(),
                sets: it.sets,
                reps: it.reps,
                weight_kg: it.weight_kg,
                one_rm_estimate: it.one_rm_estimate,
                volume_load: it.volume_load,
            })
        })
        .collect();
    Summaries::from_lines(&lines)
}

/// A model as an insertable active model with every column set (ids included).
fn active<M, A>(model: M) -> A
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait,
{
    model.into_active_model().reset_all()
}

fn actives<M, A>(models: &[M]) -> Vec<A>
where
    M: IntoActiveModel<A> + Clone,
    A: ActiveModelTrait,
{
    models.iter().cloned().map(active).collect()
}

/// Explicit ids do not move PostgreSQL's identity sequences; move them past the seeded rows so
/// the application's own inserts get fresh ids.
async fn advance_sequences(db: &DatabaseConnection) -> Result<(), DbErr> {
    for table in crate::TABLES {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 0) + 1, false)"
        ))
        .await?;
    }
    Ok(())
}

/// Which backend a connection talks to, for callers that report it.
pub fn backend_of(db: &DatabaseConnection) -> Backend {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}
