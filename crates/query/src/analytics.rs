//! Progress beyond the dashboard: personal records, an exercise's strength progression, top
//! exercises, consistency and streaks, and linking suggestions. All in kilograms, warm-ups
//! excluded, each one statement scoped to the user.
//!
//! From phase 2, with `Flags::summaries` optimized, records, progression, top exercises and
//! workout days read the summary tables (a day per row instead of a set line per row); the raw
//! path stays for rollout and as the benchmarks' baseline. Both answer the same (tested): maxima
//! and their first dates are exact, and summed volumes are rounded to the gram, as the dashboard's
//! are, since the two may add the same values in another order.

use chrono::NaiveDate;
use domain::{Consistency, consistency, name_similarity};
use sea_orm::{FromQueryResult, Statement, Value};

use crate::cached::{self, Question};
use crate::progress::grams;
use crate::{Db, Path, QueryError, UserId};

/// Best marks of one resolved exercise, with the first local date each was reached.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct PersonalRecord {
    pub name: String,
    pub max_weight: f64,
    pub max_weight_date: NaiveDate,
    pub max_one_rm: Option<f64>,
    pub max_one_rm_date: Option<NaiveDate>,
    /// The exercise's best day by volume (Σ weight × reps × sets of its counted lines), to the
    /// gram, and the first day it was reached.
    pub max_volume: Option<f64>,
    pub max_volume_date: Option<NaiveDate>,
}

/// One local day of an exercise's history.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct ProgressPoint {
    pub local_date: NaiveDate,
    pub max_one_rm: Option<f64>,
    pub top_weight: Option<f64>,
    pub volume: f64,
}

/// An exercise ranked by how often it was trained.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct TopExercise {
    pub name: String,
    pub session_count: i64,
    pub volume: f64,
    pub last_date: NaiveDate,
}

/// A master exercise an unlinked template exercise probably means.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub template_exercise_id: i64,
    pub exercise_name: String,
    pub master_exercise_id: i64,
    pub master_name: String,
    pub score: f64,
}

/// The user's counted set lines with their session's local date (see `progress` for the hints).
const COUNTED_LINES: &str = "SELECT se.resolved_exercise_name AS name, se.weight_kg AS weight_kg, \
     se.one_rm_estimate AS one_rm, se.volume_load AS volume, se.session_id AS session_id, ws.local_date AS local_date \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup'";

pub(crate) fn personal_records_sql() -> String {
    format!(
        "WITH counted AS ({COUNTED_LINES}), \
         w AS (SELECT name, weight_kg, local_date, \
               ROW_NUMBER() OVER (PARTITION BY name ORDER BY weight_kg DESC, local_date ASC) AS rn \
               FROM counted WHERE weight_kg > 0), \
         o AS (SELECT name, one_rm, local_date, \
               ROW_NUMBER() OVER (PARTITION BY name ORDER BY one_rm DESC, local_date ASC) AS rn \
               FROM counted WHERE one_rm IS NOT NULL), \
         d AS (SELECT name, local_date, SUM(volume) AS volume FROM counted GROUP BY name, local_date), \
         v AS ({VOLUME_RANK} FROM d WHERE volume > 0) \
         SELECT w.name AS name, w.weight_kg AS max_weight, w.local_date AS max_weight_date, \
                o.one_rm AS max_one_rm, o.local_date AS max_one_rm_date, \
                v.volume AS max_volume, v.local_date AS max_volume_date \
         FROM w LEFT JOIN o ON o.name = w.name AND o.rn = 1 LEFT JOIN v ON v.name = w.name AND v.rn = 1 \
         WHERE w.rn = 1 ORDER BY w.name"
    )
}

/// Ranks an exercise's days by volume to the gram (a summed volume differs in its last bits with
/// the order of its terms, so both paths compare rounded sums), the first day first on ties.
macro_rules! volume_rank {
    () => {
        "SELECT name, volume, local_date, ROW_NUMBER() OVER (PARTITION BY name \
         ORDER BY ROUND(volume * 1000.0) DESC, local_date ASC) AS rn"
    };
}
const VOLUME_RANK: &str = volume_rank!();

/// Personal records from `exercise_daily_summary`: the best day of each exercise is its record,
/// and the earliest such day the date it was first reached.
pub(crate) const PERSONAL_RECORDS_FROM_SUMMARIES: &str = concat!(
    "WITH w AS (SELECT resolved_exercise_name AS name, \
     max_weight, local_date, ROW_NUMBER() OVER (PARTITION BY resolved_exercise_name ORDER BY max_weight DESC, local_date ASC) AS rn \
     FROM exercise_daily_summary WHERE user_id = $1 AND max_weight > 0), \
     o AS (SELECT resolved_exercise_name AS name, max_one_rm, local_date, \
     ROW_NUMBER() OVER (PARTITION BY resolved_exercise_name ORDER BY max_one_rm DESC, local_date ASC) AS rn \
     FROM exercise_daily_summary WHERE user_id = $1 AND max_one_rm IS NOT NULL), \
     v AS (",
    volume_rank!(),
    " FROM (SELECT resolved_exercise_name AS name, volume, local_date \
     FROM exercise_daily_summary WHERE user_id = $1 AND volume > 0) d) \
     SELECT w.name AS name, w.max_weight AS max_weight, w.local_date AS max_weight_date, \
            o.max_one_rm AS max_one_rm, o.local_date AS max_one_rm_date, \
            v.volume AS max_volume, v.local_date AS max_volume_date \
     FROM w LEFT JOIN o ON o.name = w.name AND o.rn = 1 LEFT JOIN v ON v.name = w.name AND v.rn = 1 \
     WHERE w.rn = 1 ORDER BY w.name"
);

pub(crate) const STRENGTH_PROGRESSION: &str = "SELECT ws.local_date AS local_date, MAX(se.one_rm_estimate) AS max_one_rm, \
     MAX(se.weight_kg) AS top_weight, SUM(se.volume_load) AS volume \
     FROM session_exercises se JOIN workout_sessions ws ON ws.id = se.session_id \
     WHERE se.user_id = $1 AND se.resolved_exercise_name = $2 AND se.set_type <> 'warmup' \
       AND ws.local_date >= $3 AND ws.local_date <= $4 \
     GROUP BY ws.local_date ORDER BY ws.local_date";

pub(crate) const STRENGTH_PROGRESSION_FROM_SUMMARIES: &str = "SELECT local_date, max_one_rm, \
     max_weight AS top_weight, volume FROM exercise_daily_summary \
     WHERE user_id = $1 AND resolved_exercise_name = $2 AND local_date >= $3 AND local_date <= $4 \
     ORDER BY local_date";

pub(crate) const TOP_EXERCISES: &str = "SELECT se.resolved_exercise_name AS name, COUNT(DISTINCT ws.id) AS session_count, \
     SUM(se.volume_load) AS volume, MAX(ws.local_date) AS last_date \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup' \
       AND ws.local_date >= $2 AND ws.local_date <= $3 \
     GROUP BY se.resolved_exercise_name ORDER BY session_count DESC, volume DESC, name LIMIT $4";

pub(crate) const TOP_EXERCISES_FROM_SUMMARIES: &str = "SELECT resolved_exercise_name AS name, \
     CAST(SUM(session_count) AS BIGINT) AS session_count, SUM(volume) AS volume, MAX(local_date) AS last_date \
     FROM exercise_daily_summary WHERE user_id = $1 AND local_date >= $2 AND local_date <= $3 \
     GROUP BY resolved_exercise_name ORDER BY session_count DESC, volume DESC, name LIMIT $4";

pub(crate) const WORKOUT_DAYS: &str = "SELECT DISTINCT ws.local_date AS local_date FROM workout_sessions ws \
     WHERE ws.user_id = $1 AND EXISTS (SELECT 1 FROM session_exercises se \
       WHERE se.session_id = ws.id AND se.set_type <> 'warmup') ORDER BY ws.local_date";

/// `user_daily_summary` has a row exactly for the days with a counted set line.
pub(crate) const WORKOUT_DAYS_FROM_SUMMARIES: &str =
    "SELECT local_date FROM user_daily_summary WHERE user_id = $1 ORDER BY local_date";

/// No row for an unknown user; a null target for a user who never saved preferences.
pub(crate) const TARGET_PER_WEEK: &str = "SELECT p.target_workouts_per_week AS target \
     FROM users u LEFT JOIN user_preferences p ON p.user_id = u.id WHERE u.id = $1";

pub(crate) const SUGGESTION_CANDIDATES: &str = "SELECT te.id AS id, te.exercise_name AS name FROM template_exercises te \
     WHERE te.user_id = $1 AND te.linking_rejected = $2 \
       AND NOT EXISTS (SELECT 1 FROM exercise_links el WHERE el.template_exercise_id = te.id) ORDER BY te.id";

fn stmt(db: &Db, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.conn.get_database_backend(), sql, values)
}

/// The raw-row statement, or the summaries' one when the flag says so.
fn pick<'a>(db: &Db, user: UserId, raw: &'a str, summaries: &'a str) -> &'a str {
    match db.flags(user).summaries {
        Path::Original => raw,
        Path::Optimized => summaries,
    }
}

/// The user's personal records per resolved exercise, by name.
pub async fn personal_records(db: &Db, user: UserId) -> Result<Vec<PersonalRecord>, QueryError> {
    cached::progress(db, user, Question::Records, || personal_records_uncached(db, user)).await
}

async fn personal_records_uncached(
    db: &Db,
    user: UserId,
) -> Result<Vec<PersonalRecord>, QueryError> {
    let raw = personal_records_sql();
    let sql = pick(db, user, &raw, PERSONAL_RECORDS_FROM_SUMMARIES);
    let mut records =
        PersonalRecord::find_by_statement(stmt(db, sql, vec![user.0.into()])).all(&db.conn).await?;
    for it in &mut records {
        it.max_volume = it.max_volume.map(grams);
    }
    Ok(records)
}

/// One exercise's best e1RM, top weight and volume per local day between two dates.
pub async fn strength_progression(
    db: &Db,
    user: UserId,
    exercise_name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ProgressPoint>, QueryError> {
    let question = Question::Progression { exercise: exercise_name.to_owned(), from, to };
    cached::progress(db, user, question, || {
        strength_progression_uncached(db, user, exercise_name, from, to)
    })
    .await
}

async fn strength_progression_uncached(
    db: &Db,
    user: UserId,
    exercise_name: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ProgressPoint>, QueryError> {
    let values = vec![user.0.into(), exercise_name.into(), from.into(), to.into()];
    let sql = pick(db, user, STRENGTH_PROGRESSION, STRENGTH_PROGRESSION_FROM_SUMMARIES);
    let mut points = ProgressPoint::find_by_statement(stmt(db, sql, values)).all(&db.conn).await?;
    for it in &mut points {
        it.volume = grams(it.volume);
    }
    Ok(points)
}

/// The `limit` exercises trained in most sessions between two dates.
pub async fn top_exercises(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
    limit: u32,
) -> Result<Vec<TopExercise>, QueryError> {
    let question = Question::TopExercises { from, to, limit };
    cached::progress(db, user, question, || top_exercises_uncached(db, user, from, to, limit)).await
}

async fn top_exercises_uncached(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
    limit: u32,
) -> Result<Vec<TopExercise>, QueryError> {
    let values = vec![user.0.into(), from.into(), to.into(), i64::from(limit).into()];
    let sql = pick(db, user, TOP_EXERCISES, TOP_EXERCISES_FROM_SUMMARIES);
    let mut top = TopExercise::find_by_statement(stmt(db, sql, values)).all(&db.conn).await?;
    for it in &mut top {
        it.volume = grams(it.volume);
    }
    Ok(top)
}

/// Consistency over the last `period_days` days and streaks over the user's whole history,
/// against the user's weekly target (3 when unset).
pub async fn consistency_stats(
    db: &Db,
    user: UserId,
    today: NaiveDate,
    period_days: i64,
) -> Result<Consistency, QueryError> {
    let question = Question::Consistency { today, period_days };
    cached::progress(db, user, question, || consistency_uncached(db, user, today, period_days))
        .await
}

async fn consistency_uncached(
    db: &Db,
    user: UserId,
    today: NaiveDate,
    period_days: i64,
) -> Result<Consistency, QueryError> {
    #[derive(FromQueryResult)]
    struct Day {
        local_date: NaiveDate,
    }
    #[derive(FromQueryResult)]
    struct Target {
        target: Option<f64>,
    }
    let target = Target::find_by_statement(stmt(db, TARGET_PER_WEEK, vec![user.0.into()]))
        .one(&db.conn)
        .await?
        .ok_or(QueryError::NotFound { entity: "user", id: user.0 })?
        .target
        .unwrap_or(3.0);
    let sql = pick(db, user, WORKOUT_DAYS, WORKOUT_DAYS_FROM_SUMMARIES);
    let days: Vec<NaiveDate> = Day::find_by_statement(stmt(db, sql, vec![user.0.into()]))
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|it| it.local_date)
        .collect();
    Ok(consistency(&days, today, period_days.max(1), target))
}

/// For each unlinked template exercise whose user has not rejected linking, the most similar
/// master exercise scoring at least `min_score`.
pub async fn linking_suggestions(
    db: &Db,
    user: UserId,
    min_score: f64,
) -> Result<Vec<Suggestion>, QueryError> {
    #[derive(FromQueryResult)]
    struct Named {
        id: i64,
        name: String,
    }
    let candidates = Named::find_by_statement(stmt(
        db,
        SUGGESTION_CANDIDATES,
        vec![user.0.into(), false.into()],
    ))
    .all(&db.conn)
    .await?;
    let masters = crate::exercises::master_exercises(db, user).await?;
    let mut res = Vec::new();
    for te in candidates {
        let best = masters
            .iter()
            .map(|m| (m, name_similarity(&te.name, &m.name)))
            .filter(|(_, score)| *score >= min_score)
            .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.name.cmp(&a.0.name)));
        if let Some((master, score)) = best {
            res.push(Suggestion {
                template_exercise_id: te.id,
                exercise_name: te.name,
                master_exercise_id: master.id,
                master_name: master.name.clone(),
                score,
            });
        }
    }
    Ok(res)
}

/// One ISO week of an exercise's trend (weeks with counted sets only). Weights are kilograms.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendWeek {
    pub week_start: NaiveDate,
    pub max_one_rm: Option<f64>,
    /// The best e1RM of the previous week that had one (possibly before the window).
    pub previous_max_one_rm: Option<f64>,
    pub change: Option<f64>,
    pub volume: f64,
    pub sets: i64,
    /// Least-squares slope of the best e1RM over the last 8 weeks that had one, kg per week;
    /// `None` with fewer than two.
    pub slope: Option<f64>,
}

/// The weekly rows with their trends, from phase 2's tables.
pub(crate) const TRENDS_FROM_SUMMARIES: &str = "SELECT w.week_start AS week_start, w.max_one_rm AS max_one_rm, \
     t.previous_max_one_rm AS previous_max_one_rm, t.change AS change, w.volume AS volume, w.sets AS sets, \
     t.slope AS slope FROM exercise_weekly_summary w LEFT JOIN exercise_trends t \
     ON t.user_id = w.user_id AND t.resolved_exercise_name = w.resolved_exercise_name AND t.week_start = w.week_start \
     WHERE w.user_id = $1 AND w.resolved_exercise_name = $2 AND w.week_start >= $3 AND w.week_start <= $4 \
     ORDER BY w.week_start";

/// The trend of one exercise over the last `weeks` ISO weeks up to the one holding `today`,
/// oldest first. On the raw path the exercise's set lines are summarized on the fly by the same
/// functions that maintain the tables.
pub async fn exercise_trends(
    db: &Db,
    user: UserId,
    exercise_name: &str,
    weeks: u32,
    today: NaiveDate,
) -> Result<Vec<TrendWeek>, QueryError> {
    let question = Question::Trends { exercise: exercise_name.to_owned(), weeks, today };
    cached::progress(db, user, question, || {
        exercise_trends_uncached(db, user, exercise_name, weeks, today)
    })
    .await
}

async fn exercise_trends_uncached(
    db: &Db,
    user: UserId,
    exercise_name: &str,
    weeks: u32,
    today: NaiveDate,
) -> Result<Vec<TrendWeek>, QueryError> {
    let last = domain::iso_week_start(today);
    let first = last - chrono::Duration::weeks(i64::from(weeks.max(1)) - 1);
    let mut res = match db.flags(user).summaries {
        Path::Optimized => {
            #[derive(FromQueryResult)]
            struct Row {
                week_start: NaiveDate,
                max_one_rm: Option<f64>,
                previous_max_one_rm: Option<f64>,
                change: Option<f64>,
                volume: f64,
                sets: i64,
                slope: Option<f64>,
            }
            let values = vec![user.0.into(), exercise_name.into(), first.into(), last.into()];
            Row::find_by_statement(stmt(db, TRENDS_FROM_SUMMARIES, values))
                .all(&db.conn)
                .await?
                .into_iter()
                .map(|r| TrendWeek {
                    week_start: r.week_start,
                    max_one_rm: r.max_one_rm,
                    previous_max_one_rm: r.previous_max_one_rm,
                    change: r.change,
                    volume: r.volume,
                    sets: r.sets,
                    slope: r.slope,
                })
                .collect::<Vec<_>>()
        }
        Path::Original => {
            let summaries =
                aggregation::rebuild::compute_exercise(&db.conn, user.0, exercise_name).await?;
            summaries
                .exercise_weeks
                .iter()
                .filter(|(key, _)| key.week_start >= first && key.week_start <= last)
                .map(|(key, totals)| {
                    let trend = summaries.trends.get(key);
                    TrendWeek {
                        week_start: key.week_start,
                        max_one_rm: totals.max_one_rm,
                        previous_max_one_rm: trend.and_then(|t| t.previous_max_one_rm),
                        change: trend.and_then(|t| t.change),
                        volume: totals.volume,
                        sets: totals.sets,
                        slope: trend.and_then(|t| t.slope),
                    }
                })
                .collect()
        }
    };
    for it in &mut res {
        it.volume = grams(it.volume);
    }
    Ok(res)
}

/// Which way an exercise's best e1RM went over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trend {
    /// The last day's best e1RM is at least 5% above the first day's.
    Improving,
    /// Within 5% either way.
    Stable,
    /// At least 5% below.
    Declining,
}

/// How much the best e1RM must move, in percent, to count as a trend (the original's ±5%).
pub const TREND_THRESHOLD: f64 = 5.0;

/// A ranked exercise's strength over the period: the mean of its daily best e1RM and its trend
/// (none with fewer than two days with an e1RM).
#[derive(Debug, Clone, PartialEq)]
pub struct StrengthOver {
    pub average_one_rm: Option<f64>,
    pub trend: Option<Trend>,
}

/// The strength of a series of daily best e1RMs, oldest first.
pub fn strength_over(series: &[f64]) -> StrengthOver {
    let average_one_rm =
        (!series.is_empty()).then(|| series.iter().sum::<f64>() / series.len() as f64);
    let trend = match series {
        [first, .., last] if *first > 0.0 => {
            let change = (last - first) / first * 100.0;
            Some(if change >= TREND_THRESHOLD {
                Trend::Improving
            } else if change <= -TREND_THRESHOLD {
                Trend::Declining
            } else {
                Trend::Stable
            })
        }
        _ => None,
    };
    StrengthOver { average_one_rm, trend }
}

fn daily_best_sql(n: usize, summaries: bool) -> String {
    let names = db::chunk::placeholders(4, n);
    if summaries {
        format!(
            "SELECT resolved_exercise_name AS name, local_date, max_one_rm FROM exercise_daily_summary \
             WHERE user_id = $1 AND local_date >= $2 AND local_date <= $3 AND max_one_rm IS NOT NULL \
               AND resolved_exercise_name IN ({names}) ORDER BY resolved_exercise_name, local_date"
        )
    } else {
        format!(
            "SELECT se.resolved_exercise_name AS name, ws.local_date AS local_date, MAX(se.one_rm_estimate) AS max_one_rm \
             FROM workout_sessions ws CROSS JOIN session_exercises se \
             WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup' \
               AND ws.local_date >= $2 AND ws.local_date <= $3 AND se.one_rm_estimate IS NOT NULL \
               AND se.resolved_exercise_name IN ({names}) \
             GROUP BY se.resolved_exercise_name, ws.local_date ORDER BY name, local_date"
        )
    }
}

/// The strength over `from..=to` of each of `names` (the user's resolved exercises), by name.
pub async fn strength_of(
    db: &Db,
    user: UserId,
    names: &[String],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<std::collections::HashMap<String, StrengthOver>, QueryError> {
    #[derive(FromQueryResult)]
    struct Best {
        name: String,
        max_one_rm: f64,
    }
    let summaries = db.flags(user).summaries == Path::Optimized;
    let mut series: std::collections::HashMap<String, Vec<f64>> = std::collections::HashMap::new();
    for chunk in db::chunk::in_list_chunks(names, 3, db.param_limit) {
        let mut values: Vec<Value> = vec![user.0.into(), from.into(), to.into()];
        values.extend(chunk.iter().map(|it| Value::from(it.clone())));
        let sql = daily_best_sql(chunk.len(), summaries);
        for row in Best::find_by_statement(stmt(db, &sql, values)).all(&db.conn).await? {
            series.entry(row.name).or_default().push(row.max_one_rm);
        }
    }
    Ok(names
        .iter()
        .map(|name| (name.clone(), strength_over(series.get(name).map_or(&[][..], Vec::as_slice))))
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp, reason = "tests compare literal values")]

    use super::*;

    #[test]
    fn a_trend_needs_five_percent_and_two_days() {
        let cases: [(&[f64], Option<Trend>); 6] = [
            (&[], None),
            (&[100.0], None),
            (&[100.0, 90.0, 105.0], Some(Trend::Improving)),
            (&[100.0, 104.99], Some(Trend::Stable)),
            (&[100.0, 95.0], Some(Trend::Declining)),
            (&[100.0, 95.01], Some(Trend::Stable)),
        ];
        for (series, trend) in cases {
            assert_eq!(strength_over(series).trend, trend, "{series:?}");
        }
        assert_eq!(strength_over(&[100.0, 90.0, 110.0]).average_one_rm, Some(100.0));
        assert_eq!(strength_over(&[]).average_one_rm, None);
    }
}
