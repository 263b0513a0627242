//! Progress highlights (the original's `getProgressHighlights`, whose three tabs are three reads
//! here, each paid for only when asked): the period's PR events over every exercise, its volume
//! highlights (heaviest day, top exercise by volume, variety), and its streak highlights (streaks,
//! frequency, best week, last workout).
//!
//! The original's "PRs" were each exercise's best line *within* the period, so every period
//! opened with records; here a PR beats every earlier line of its exercise (`detail::pr_events`).
//! Counted lines only, kilograms; the volume read takes the summaries from phase 2
//! (`Flags::summaries`), the raw-row statement being the rollout path and the tests' reference.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Consistency, iso_week_start};
use sea_orm::FromQueryResult;

use crate::detail::{Line, PrEvent, pr_events};
use crate::overview::VolumeDay;
use crate::progress::grams;
use crate::sql::stmt;
use crate::{Db, Path, QueryError, UserId};

/// Every counted line of the user up to `$2`, by exercise, then oldest first.
pub(crate) const ALL_LINES: &str = "SELECT se.resolved_exercise_name AS name, ws.local_date AS local_date, \
     se.session_id AS session_id, se.weight_kg AS weight_kg, se.reps AS reps, se.sets AS sets, \
     se.one_rm_estimate AS one_rm, se.volume_load AS volume \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup' \
       AND ws.local_date <= $2 \
     ORDER BY se.resolved_exercise_name, ws.local_date, ws.workout_date, se.session_id, se.set_order, se.id";

/// Per exercise over `$2..=$3`: volume, sets and reps performed.
pub(crate) const EXERCISE_VOLUMES: &str = "SELECT se.resolved_exercise_name AS name, SUM(se.volume_load) AS volume, \
     CAST(SUM(se.sets) AS BIGINT) AS sets, CAST(SUM(COALESCE(se.reps, 0) * se.sets) AS BIGINT) AS reps \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup' \
       AND ws.local_date >= $2 AND ws.local_date <= $3 \
     GROUP BY se.resolved_exercise_name ORDER BY se.resolved_exercise_name";

/// As [`EXERCISE_VOLUMES`], from `exercise_daily_summary`.
pub(crate) const EXERCISE_VOLUMES_FROM_SUMMARIES: &str = "SELECT resolved_exercise_name AS name, SUM(volume) AS volume, \
     CAST(SUM(sets) AS BIGINT) AS sets, CAST(SUM(reps) AS BIGINT) AS reps FROM exercise_daily_summary \
     WHERE user_id = $1 AND local_date >= $2 AND local_date <= $3 \
     GROUP BY resolved_exercise_name ORDER BY resolved_exercise_name";

/// The user's workouts with a counted line in `$2..=$3`: local date and instant.
pub(crate) const PERIOD_WORKOUTS: &str = "SELECT ws.local_date AS local_date, ws.workout_date AS workout_date \
     FROM workout_sessions ws WHERE ws.user_id = $1 AND ws.local_date >= $2 AND ws.local_date <= $3 \
       AND EXISTS (SELECT 1 FROM session_exercises se WHERE se.session_id = ws.id AND se.set_type <> 'warmup') \
     ORDER BY ws.workout_date";

#[derive(Debug, FromQueryResult)]
struct NamedLine {
    name: String,
    local_date: NaiveDate,
    session_id: i64,
    weight_kg: Option<f64>,
    reps: Option<i32>,
    sets: i32,
    one_rm: Option<f64>,
    volume: Option<f64>,
}

/// A PR event of one exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct ExercisePr {
    pub exercise: String,
    pub event: PrEvent,
}

/// The PR events of `from..=to` over every exercise, newest first (by day, then exercise).
pub async fn period_prs(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ExercisePr>, QueryError> {
    let rows = NamedLine::find_by_statement(stmt(db, ALL_LINES, vec![user.0.into(), to.into()]))
        .all(&db.conn)
        .await?;
    Ok(prs_of(rows, from))
}

fn prs_of(rows: Vec<NamedLine>, from: NaiveDate) -> Vec<ExercisePr> {
    let mut by_name: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    for it in rows {
        by_name.entry(it.name).or_default().push(Line {
            local_date: it.local_date,
            session_id: it.session_id,
            weight_kg: it.weight_kg,
            reps: it.reps,
            sets: it.sets,
            one_rm: it.one_rm,
            volume: it.volume,
        });
    }
    let mut res: Vec<ExercisePr> = by_name
        .into_iter()
        .flat_map(|(exercise, lines)| {
            pr_events(&lines, from)
                .into_iter()
                .map(move |event| ExercisePr { exercise: exercise.clone(), event })
        })
        .collect();
    res.sort_by(|a, b| {
        b.event.local_date.cmp(&a.event.local_date).then_with(|| a.exercise.cmp(&b.exercise))
    });
    res
}

/// One exercise's totals over a period.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct ExerciseVolume {
    pub name: String,
    pub volume: f64,
    pub sets: i64,
    pub reps: i64,
}

/// The volume side of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeHighlights {
    pub total_volume: f64,
    pub workouts: i64,
    /// Distinct exercises trained.
    pub exercises: i64,
    /// The day with the most volume (the latest on ties).
    pub heaviest_day: Option<VolumeDay>,
    /// The exercise with the most volume (the first by name on ties).
    pub top_exercise: Option<ExerciseVolume>,
}

/// Volume highlights of `from..=to`: per-day and per-exercise totals, two statements.
pub async fn volume_highlights(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<VolumeHighlights, QueryError> {
    let n_days = u64::try_from((to - from).num_days() + 1).unwrap_or(0);
    let days = crate::overview::volume_by_day(db, user, from, to, None, n_days).await?;
    let sql = match db.flags(user).summaries {
        Path::Original => EXERCISE_VOLUMES,
        Path::Optimized => EXERCISE_VOLUMES_FROM_SUMMARIES,
    };
    let values = vec![user.0.into(), from.into(), to.into()];
    let mut exercises =
        ExerciseVolume::find_by_statement(stmt(db, sql, values)).all(&db.conn).await?;
    for it in &mut exercises {
        it.volume = grams(it.volume);
    }
    Ok(volume_of(&days, &exercises))
}

fn volume_of(days: &[VolumeDay], exercises: &[ExerciseVolume]) -> VolumeHighlights {
    let total_volume = grams(days.iter().map(|it| it.volume).sum());
    let workouts = days.iter().map(|it| it.sessions).sum();
    // Days come newest first: `max_by` keeps the last maximum, so walk them oldest first.
    let heaviest_day = days.iter().rev().max_by(|a, b| a.volume.total_cmp(&b.volume)).cloned();
    let top_exercise = exercises.iter().rev().max_by(|a, b| a.volume.total_cmp(&b.volume)).cloned();
    VolumeHighlights {
        total_volume,
        workouts,
        exercises: i64::try_from(exercises.len()).unwrap_or(i64::MAX),
        heaviest_day,
        top_exercise,
    }
}

/// The streak side of a period.
#[derive(Debug, Clone, PartialEq)]
pub struct StreakHighlights {
    pub consistency: Consistency,
    pub workouts: i64,
    /// The ISO week (its Monday) with the most workouts in the period (the latest on ties), and
    /// how many.
    pub best_week: Option<(NaiveDate, i64)>,
    pub last_workout_at: Option<DateTime<Utc>>,
}

/// Streaks and consistency (as `consistencyStats`), with the period's best week and last workout.
pub async fn streak_highlights(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<StreakHighlights, QueryError> {
    #[derive(FromQueryResult)]
    struct Workout {
        local_date: NaiveDate,
        workout_date: DateTime<Utc>,
    }
    let period_days = (to - from).num_days() + 1;
    let consistency = crate::analytics::consistency_stats(db, user, to, period_days).await?;
    let values = vec![user.0.into(), from.into(), to.into()];
    let workouts: Vec<(NaiveDate, DateTime<Utc>)> =
        Workout::find_by_statement(stmt(db, PERIOD_WORKOUTS, values))
            .all(&db.conn)
            .await?
            .into_iter()
            .map(|it| (it.local_date, it.workout_date))
            .collect();
    Ok(streaks_of(consistency, &workouts))
}

fn streaks_of(
    consistency: Consistency,
    workouts: &[(NaiveDate, DateTime<Utc>)],
) -> StreakHighlights {
    let mut weeks: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (day, _) in workouts {
        *weeks.entry(iso_week_start(*day)).or_default() += 1;
    }
    let best_week = weeks.into_iter().max_by_key(|(week, n)| (*n, *week));
    StreakHighlights {
        consistency,
        workouts: i64::try_from(workouts.len()).unwrap_or(i64::MAX),
        best_week,
        last_workout_at: workouts.iter().map(|it| it.1).max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detail::PrKind;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, d).unwrap()
    }

    fn line(name: &str, d: u32, weight: f64, reps: i32) -> NamedLine {
        NamedLine {
            name: name.to_owned(),
            local_date: day(d),
            session_id: i64::from(d),
            weight_kg: Some(weight),
            reps: Some(reps),
            sets: 1,
            one_rm: domain::e1rm_kg(weight, reps),
            volume: Some(weight * f64::from(reps)),
        }
    }

    #[test]
    fn prs_beat_history_before_the_period_and_come_newest_first() {
        use PrKind::{OneRm, Volume, Weight};
        let rows = vec![
            line("Bench", 1, 100.0, 5),
            line("Bench", 10, 95.0, 5), // no record: the 1st is before the period but counts
            line("Bench", 12, 100.0, 6), // e1RM and volume records, not weight
            line("Squat", 11, 140.0, 3), // the exercise's first line: every kind
        ];
        let got: Vec<(String, u32, PrKind)> = prs_of(rows, day(10))
            .into_iter()
            .map(|it| (it.exercise, chrono::Datelike::day(&it.event.local_date), it.event.kind))
            .collect();
        assert_eq!(
            got,
            vec![
                ("Bench".to_owned(), 12, OneRm),
                ("Bench".to_owned(), 12, Volume),
                ("Squat".to_owned(), 11, OneRm),
                ("Squat".to_owned(), 11, Weight),
                ("Squat".to_owned(), 11, Volume),
            ]
        );
    }

    #[test]
    fn the_best_week_is_the_busiest_and_the_latest_on_ties() {
        let at = |d: u32| (day(d), day(d).and_hms_opt(9, 0, 0).unwrap().and_utc());
        // Mon 3 Mar – Sun 9 Mar: two; 10–16 Mar: two; 17 Mar: one.
        let workouts = [at(3), at(5), at(10), at(12), at(17)];
        let it = streaks_of(Consistency::default(), &workouts);
        assert_eq!(it.best_week, Some((day(10), 2)));
        assert_eq!((it.workouts, it.last_workout_at), (5, Some(at(17).1)));
        assert_eq!(streaks_of(Consistency::default(), &[]).best_week, None);
    }

    #[test]
    fn the_heaviest_day_and_top_exercise_take_the_expected_tie_breaks() {
        let d = |n: u32, volume: f64| VolumeDay {
            local_date: day(n),
            sessions: 1,
            sets: 3,
            reps: 15,
            volume,
            exercises: 1,
        };
        let e = |name: &str, volume: f64| ExerciseVolume {
            name: name.to_owned(),
            volume,
            sets: 1,
            reps: 1,
        };
        let it = volume_of(
            &[d(5, 900.0), d(3, 1000.0), d(1, 1000.0)],
            &[e("A", 10.0), e("B", 30.0), e("C", 30.0)],
        );
        assert_eq!(it.heaviest_day.map(|d| d.local_date), Some(day(3)));
        assert_eq!(it.top_exercise.map(|e| e.name), Some("B".to_owned()));
        assert_eq!((it.total_volume, it.workouts, it.exercises), (2900.0, 3, 3));
    }
}
