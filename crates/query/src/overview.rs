//! The progress overview beyond the dashboard: strength pulse, set and rep distributions, daily
//! volume a page at a time, and the user's exercise list with aliases (the original's
//! `getStrengthPulse`, `getSetRepDistribution`, `getVolumeProgression` and `getExerciseList`).
//!
//! Counted set lines only (warm-ups never count), kilograms, one statement per read. Daily volume
//! reads `user_daily_summary` from phase 2 (`Flags::summaries`), with the raw-row statement as the
//! rollout path and the tests' reference.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::{FromQueryResult, Value};

use crate::detail::HEAVY_SHARE;
use crate::progress::grams;
use crate::sql::stmt;
use crate::{Db, Path, QueryError, UserId};

/// Per exercise: the best e1RM of the period `$3..=$4` and of the one before (`$2..$3`), how many
/// of the period's lines reached `$5` percent of its best, and the first day of the best.
pub(crate) const PULSE: &str = "WITH lines AS (SELECT se.resolved_exercise_name AS name, \
     se.one_rm_estimate AS one_rm, ws.local_date AS local_date \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup' \
       AND se.one_rm_estimate IS NOT NULL AND ws.local_date >= $2 AND ws.local_date <= $4), \
     cur AS (SELECT name, MAX(one_rm) AS best FROM lines WHERE local_date >= $3 GROUP BY name), \
     prev AS (SELECT name, MAX(one_rm) AS best FROM lines WHERE local_date < $3 GROUP BY name) \
     SELECT cur.name AS name, cur.best AS current_best, prev.best AS previous_best, \
       (SELECT COUNT(*) FROM lines l WHERE l.name = cur.name AND l.local_date >= $3 \
          AND l.one_rm * 100.0 >= $5 * cur.best) AS heavy_sets, \
       (SELECT MIN(l.local_date) FROM lines l WHERE l.name = cur.name AND l.local_date >= $3 \
          AND l.one_rm = cur.best) AS best_date \
     FROM cur LEFT JOIN prev ON prev.name = cur.name ORDER BY cur.name";

/// The period's counted lines grouped by workout, exercise, sets and reps.
pub(crate) const LINE_SHAPES: &str = "SELECT se.session_id AS session_id, se.resolved_exercise_name AS name, \
     se.sets AS sets, se.reps AS reps, COUNT(*) AS lines \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup' \
       AND ws.local_date >= $2 AND ws.local_date <= $3 \
     GROUP BY se.session_id, se.resolved_exercise_name, se.sets, se.reps";

/// Days with counted lines in `$2..=$3` before `$4`, newest first, `$5` of them.
pub(crate) const VOLUME_DAYS: &str = "SELECT ws.local_date AS local_date, COUNT(DISTINCT ws.id) AS sessions, \
     SUM(se.sets) AS sets, SUM(COALESCE(se.reps, 0) * se.sets) AS reps, SUM(se.volume_load) AS volume, \
     COUNT(DISTINCT se.resolved_exercise_name) AS exercises \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id AND se.set_type <> 'warmup' \
       AND ws.local_date >= $2 AND ws.local_date <= $3 AND ws.local_date < $4 \
     GROUP BY ws.local_date ORDER BY ws.local_date DESC LIMIT $5";

/// As [`VOLUME_DAYS`], from the summaries (a day's exercises are its exercise-day rows).
pub(crate) const VOLUME_DAYS_FROM_SUMMARIES: &str = "SELECT u.local_date AS local_date, u.session_count AS sessions, \
     u.sets AS sets, u.reps AS reps, u.volume AS volume, \
     (SELECT COUNT(*) FROM exercise_daily_summary e WHERE e.user_id = u.user_id AND e.local_date = u.local_date) AS exercises \
     FROM user_daily_summary u WHERE u.user_id = $1 AND u.local_date >= $2 AND u.local_date <= $3 AND u.local_date < $4 \
     ORDER BY u.local_date DESC LIMIT $5";

/// Each resolved exercise with each spelling logged for it: last day and line count.
pub(crate) const EXERCISE_NAMES: &str = "SELECT se.resolved_exercise_name AS name, se.exercise_name AS alias, \
     MAX(ws.local_date) AS last_used, COUNT(*) AS lines, \
     (SELECT m.id FROM master_exercises m WHERE m.user_id = $1 AND m.name = se.resolved_exercise_name) AS master_exercise_id \
     FROM workout_sessions ws CROSS JOIN session_exercises se \
     WHERE se.session_id = ws.id AND ws.user_id = $1 AND +se.user_id = ws.user_id \
     GROUP BY se.resolved_exercise_name, se.exercise_name";

/// One exercise's best e1RM now and in the previous period.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct PulseRow {
    pub name: String,
    pub current_best: f64,
    pub previous_best: Option<f64>,
    pub heavy_sets: i64,
    pub best_date: NaiveDate,
}

/// Strength over all exercises: the period's best e1RM against the previous period's.
#[derive(Debug, Clone, PartialEq)]
pub struct StrengthPulse {
    /// The exercise with the period's best e1RM (the first by name on ties).
    pub top_lift: Option<PulseRow>,
    pub previous_best: Option<f64>,
    /// Lines at or above `HEAVY_SHARE` percent of their exercise's best e1RM of the period.
    pub heavy_sets: i64,
    /// Exercises whose best e1RM rose over the previous period's (both periods trained).
    pub exercises_improved: i64,
    /// Exercises trained in both periods.
    pub exercises_compared: i64,
    pub exercises: Vec<PulseRow>,
}

/// The strength pulse over `from..=to` against the period of the same length before it.
pub async fn strength_pulse(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<StrengthPulse, QueryError> {
    let days = (to - from).num_days() + 1;
    let values: Vec<Value> = vec![
        user.0.into(),
        (from - chrono::Duration::days(days)).into(),
        from.into(),
        to.into(),
        HEAVY_SHARE.into(),
    ];
    let rows = PulseRow::find_by_statement(stmt(db, PULSE, values)).all(&db.conn).await?;
    Ok(pulse(rows))
}

/// The pulse of per-exercise rows.
pub fn pulse(rows: Vec<PulseRow>) -> StrengthPulse {
    let top_lift = rows
        .iter()
        .fold(None::<&PulseRow>, |acc, it| match acc {
            Some(best) if best.current_best >= it.current_best => Some(best),
            _ => Some(it),
        })
        .cloned();
    let compared: Vec<&PulseRow> = rows.iter().filter(|it| it.previous_best.is_some()).collect();
    StrengthPulse {
        top_lift,
        previous_best: rows.iter().filter_map(|it| it.previous_best).reduce(f64::max),
        heavy_sets: rows.iter().map(|it| it.heavy_sets).sum(),
        exercises_improved: i64::try_from(
            compared
                .iter()
                .filter(|it| it.previous_best.is_some_and(|p| it.current_best > p))
                .count(),
        )
        .unwrap_or(i64::MAX),
        exercises_compared: i64::try_from(compared.len()).unwrap_or(i64::MAX),
        exercises: rows,
    }
}

#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct Shape {
    pub session_id: i64,
    pub name: String,
    pub sets: i32,
    pub reps: Option<i32>,
    pub lines: i64,
}

/// The rep ranges of the original's distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RepRange {
    OneToFive,
    SixToEight,
    NineToTwelve,
    ThirteenToFifteen,
    SixteenPlus,
}

impl RepRange {
    pub const ALL: [Self; 5] = [
        Self::OneToFive,
        Self::SixToEight,
        Self::NineToTwelve,
        Self::ThirteenToFifteen,
        Self::SixteenPlus,
    ];

    /// The range `reps` falls in; none for no reps.
    pub fn of(reps: i32) -> Option<Self> {
        match reps {
            1..=5 => Some(Self::OneToFive),
            6..=8 => Some(Self::SixToEight),
            9..=12 => Some(Self::NineToTwelve),
            13..=15 => Some(Self::ThirteenToFifteen),
            16.. => Some(Self::SixteenPlus),
            _ => None,
        }
    }
}

/// How the period's sets were shaped. A line of 3 × 10 is three sets of ten reps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distribution {
    /// Sets performed, in all.
    pub total_sets: i64,
    /// `(reps, sets)`: the ten most frequent rep counts, most sets first (then fewer reps).
    pub reps: Vec<(i32, i64)>,
    /// `(range, sets, percent of total_sets)` for every range, in order.
    pub rep_ranges: Vec<(RepRange, i64, f64)>,
    /// `(sets, occurrences)`: how many sets an exercise got in a workout, by count.
    pub sets_per_exercise: Vec<(i64, i64)>,
    /// `(sets, reps, lines)`: the eight most frequent line shapes ("3 × 10"), most lines first.
    pub combinations: Vec<(i32, i32, i64)>,
}

/// The distribution of `shapes`.
pub fn distribution(shapes: &[Shape]) -> Distribution {
    let mut reps: BTreeMap<i32, i64> = BTreeMap::new();
    let mut ranges: BTreeMap<RepRange, i64> = BTreeMap::new();
    let mut per_exercise: BTreeMap<(i64, &str), i64> = BTreeMap::new();
    let mut combinations: BTreeMap<(i32, i32), i64> = BTreeMap::new();
    let mut total = 0;
    for it in shapes {
        let sets = i64::from(it.sets) * it.lines;
        total += sets;
        *per_exercise.entry((it.session_id, it.name.as_str())).or_default() += sets;
        if let Some(r) = it.reps.filter(|r| *r > 0) {
            *reps.entry(r).or_default() += sets;
            if let Some(range) = RepRange::of(r) {
                *ranges.entry(range).or_default() += sets;
            }
            *combinations.entry((it.sets, r)).or_default() += it.lines;
        }
    }
    let mut reps: Vec<(i32, i64)> = reps.into_iter().collect();
    reps.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    reps.truncate(10);
    let mut histogram: BTreeMap<i64, i64> = BTreeMap::new();
    for sets in per_exercise.values() {
        *histogram.entry(*sets).or_default() += 1;
    }
    let mut combinations: Vec<(i32, i32, i64)> =
        combinations.into_iter().map(|((s, r), n)| (s, r, n)).collect();
    combinations.sort_by(|a, b| b.2.cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    combinations.truncate(8);
    Distribution {
        total_sets: total,
        reps,
        rep_ranges: RepRange::ALL
            .into_iter()
            .map(|range| {
                let sets = ranges.get(&range).copied().unwrap_or(0);
                let share = if total > 0 { sets as f64 * 100.0 / total as f64 } else { 0.0 };
                (range, sets, share)
            })
            .collect(),
        sets_per_exercise: histogram.into_iter().collect(),
        combinations,
    }
}

/// The set and rep distribution of the user's counted lines over `from..=to`.
pub async fn set_rep_distribution(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Distribution, QueryError> {
    let values = vec![user.0.into(), from.into(), to.into()];
    let shapes = Shape::find_by_statement(stmt(db, LINE_SHAPES, values)).all(&db.conn).await?;
    Ok(distribution(&shapes))
}

/// One day's totals over all exercises.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct VolumeDay {
    pub local_date: NaiveDate,
    pub sessions: i64,
    pub sets: i64,
    pub reps: i64,
    pub volume: f64,
    pub exercises: i64,
}

/// Days with counted lines in `from..=to`, newest first, strictly before `before`, `limit` of
/// them (a keyset page).
pub async fn volume_by_day(
    db: &Db,
    user: UserId,
    from: NaiveDate,
    to: NaiveDate,
    before: Option<NaiveDate>,
    limit: u64,
) -> Result<Vec<VolumeDay>, QueryError> {
    let before = before.unwrap_or(to + chrono::Duration::days(1));
    let values = vec![
        user.0.into(),
        from.into(),
        to.into(),
        before.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
    ];
    let sql = match db.flags(user).summaries {
        Path::Original => VOLUME_DAYS,
        Path::Optimized => VOLUME_DAYS_FROM_SUMMARIES,
    };
    let mut days = VolumeDay::find_by_statement(stmt(db, sql, values)).all(&db.conn).await?;
    for it in &mut days {
        it.volume = grams(it.volume);
    }
    Ok(days)
}

#[derive(Debug, Clone, PartialEq, FromQueryResult)]
struct NameRow {
    name: String,
    alias: String,
    last_used: NaiveDate,
    lines: i64,
    master_exercise_id: Option<i64>,
}

/// An exercise the user logged, under the name progress groups it by.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseEntry {
    pub name: String,
    /// The master exercise of that name, when it is one.
    pub master_exercise_id: Option<i64>,
    /// Other spellings logged for it, by name.
    pub aliases: Vec<String>,
    pub last_used: NaiveDate,
    /// Set lines logged (warm-ups included).
    pub lines: i64,
}

/// The user's exercises, most recently used first (then by name).
pub async fn exercise_list(db: &Db, user: UserId) -> Result<Vec<ExerciseEntry>, QueryError> {
    let rows = NameRow::find_by_statement(stmt(db, EXERCISE_NAMES, vec![user.0.into()]))
        .all(&db.conn)
        .await?;
    let mut by_name: BTreeMap<String, ExerciseEntry> = BTreeMap::new();
    for row in rows {
        let entry = by_name.entry(row.name.clone()).or_insert_with(|| ExerciseEntry {
            name: row.name.clone(),
            master_exercise_id: row.master_exercise_id,
            aliases: Vec::new(),
            last_used: row.last_used,
            lines: 0,
        });
        entry.last_used = entry.last_used.max(row.last_used);
        entry.lines += row.lines;
        if row.alias != row.name {
            entry.aliases.push(row.alias);
        }
    }
    let mut list: Vec<ExerciseEntry> = by_name.into_values().collect();
    for it in &mut list {
        it.aliases.sort();
        it.aliases.dedup();
    }
    list.sort_by(|a, b| b.last_used.cmp(&a.last_used).then_with(|| a.name.cmp(&b.name)));
    Ok(list)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp, reason = "tests compare literal values")]

    use super::*;

    fn shape(session_id: i64, name: &str, sets: i32, reps: Option<i32>, lines: i64) -> Shape {
        Shape { session_id, name: name.to_owned(), sets, reps, lines }
    }

    #[test]
    fn distributions_count_performed_sets() {
        let shapes = [
            shape(1, "Squat", 3, Some(5), 1), // 3 sets of 5
            shape(1, "Squat", 1, Some(3), 2), // 2 sets of 3
            shape(1, "Curl", 3, Some(12), 1), // 3 sets of 12
            shape(2, "Squat", 1, Some(5), 4), // 4 sets of 5
            shape(2, "Row", 2, Some(20), 1),  // 2 sets of 20
            shape(2, "Plank", 1, None, 1),    // a set without reps
        ];
        let it = distribution(&shapes);
        assert_eq!(it.total_sets, 15);
        assert_eq!(it.reps, [(5, 7), (12, 3), (3, 2), (20, 2)]);
        assert_eq!(
            it.rep_ranges.iter().map(|(r, s, _)| (*r, *s)).collect::<Vec<_>>(),
            [
                (RepRange::OneToFive, 9),
                (RepRange::SixToEight, 0),
                (RepRange::NineToTwelve, 3),
                (RepRange::ThirteenToFifteen, 0),
                (RepRange::SixteenPlus, 2),
            ]
        );
        assert_eq!(it.rep_ranges[0].2, 60.0);
        // Workout 1: Squat 5 sets, Curl 3; workout 2: Squat 4, Row 2, Plank 1.
        assert_eq!(it.sets_per_exercise, [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]);
        assert_eq!(it.combinations, [(1, 5, 4), (1, 3, 2), (2, 20, 1), (3, 5, 1), (3, 12, 1)]);
        assert_eq!(
            distribution(&[]),
            Distribution { rep_ranges: distribution(&[]).rep_ranges, ..Distribution::default() }
        );
    }

    #[test]
    fn rep_ranges_have_the_originals_edges() {
        let cases = [
            (0, None),
            (1, Some(RepRange::OneToFive)),
            (5, Some(RepRange::OneToFive)),
            (6, Some(RepRange::SixToEight)),
            (8, Some(RepRange::SixToEight)),
            (9, Some(RepRange::NineToTwelve)),
            (12, Some(RepRange::NineToTwelve)),
            (13, Some(RepRange::ThirteenToFifteen)),
            (15, Some(RepRange::ThirteenToFifteen)),
            (16, Some(RepRange::SixteenPlus)),
            (100, Some(RepRange::SixteenPlus)),
        ];
        for (reps, range) in cases {
            assert_eq!(RepRange::of(reps), range, "{reps}");
        }
    }

    #[test]
    fn the_pulse_compares_like_with_like() {
        let row = |name: &str, current: f64, previous: Option<f64>, heavy: i64| PulseRow {
            name: name.to_owned(),
            current_best: current,
            previous_best: previous,
            heavy_sets: heavy,
            best_date: NaiveDate::from_ymd_opt(2025, 11, 1).unwrap(),
        };
        let it = pulse(vec![
            row("Bench", 100.0, Some(95.0), 3),
            row("Deadlift", 200.0, Some(210.0), 2),
            row("Squat", 150.0, None, 1),
        ]);
        assert_eq!(it.top_lift.unwrap().name, "Deadlift");
        assert_eq!(it.previous_best, Some(210.0));
        assert_eq!((it.heavy_sets, it.exercises_improved, it.exercises_compared), (6, 1, 2));
        assert_eq!(pulse(vec![]).top_lift, None);
    }
}
