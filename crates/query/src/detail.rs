//! One exercise's detail page: its strength progression over a period beside the previous period,
//! PR events, top sets and intensity (the original's `getExerciseStrengthProgression`,
//! `getExerciseRecentPRs` and `getExerciseTopSets`, answered together).
//!
//! One statement reads the exercise's counted set lines (warm-ups never count) from its first day
//! up to the period's end, oldest first; everything else is computed here from those rows by pure
//! functions. A PR is a line that beats every earlier line of the exercise — including those
//! before the period (the original restarted its running maxima at zero at the period's start, so
//! every period opened with "PRs"). Weights are kilograms.

use chrono::NaiveDate;
use sea_orm::FromQueryResult;

use crate::progress::grams;
use crate::sql::stmt;
use crate::{Db, QueryError, UserId};

/// The exercise's counted set lines up to `$3`, oldest first (by day, then workout, then line).
pub(crate) const EXERCISE_LINES: &str = "SELECT ws.local_date AS local_date, se.session_id AS session_id, \
     se.weight_kg AS weight_kg, se.reps AS reps, se.sets AS sets, se.one_rm_estimate AS one_rm, se.volume_load AS volume \
     FROM session_exercises se JOIN workout_sessions ws ON ws.id = se.session_id \
     WHERE se.user_id = $1 AND se.resolved_exercise_name = $2 AND se.set_type <> 'warmup' AND ws.local_date <= $3 \
     ORDER BY ws.local_date, ws.workout_date, se.session_id, se.set_order, se.id";

/// A share of the best e1RM from which a set counts as heavy, in percent.
pub const HEAVY_SHARE: f64 = 85.0;

/// One counted set line of the exercise.
#[derive(Debug, Clone, PartialEq, FromQueryResult)]
pub struct Line {
    pub local_date: NaiveDate,
    pub session_id: i64,
    pub weight_kg: Option<f64>,
    pub reps: Option<i32>,
    pub sets: i32,
    pub one_rm: Option<f64>,
    pub volume: Option<f64>,
}

/// What kind of record a PR event set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrKind {
    /// The best estimated one-rep max.
    OneRm,
    /// The heaviest weight.
    Weight,
    /// The largest volume of one line (weight × reps × sets).
    Volume,
}

/// A line that beat every earlier line of the exercise in one respect.
#[derive(Debug, Clone, PartialEq)]
pub struct PrEvent {
    pub kind: PrKind,
    pub local_date: NaiveDate,
    /// The new record (kg for `OneRm` and `Weight`, kg moved for `Volume`).
    pub value: f64,
    /// The record it beat; none for the exercise's first line.
    pub previous: Option<f64>,
    pub weight_kg: f64,
    pub reps: Option<i32>,
    pub sets: i32,
}

/// A set line with its share of the period's best e1RM.
#[derive(Debug, Clone, PartialEq)]
pub struct TopSet {
    pub local_date: NaiveDate,
    pub weight_kg: f64,
    pub reps: Option<i32>,
    pub sets: i32,
    pub one_rm: Option<f64>,
    /// `one_rm` as a percentage of the period's best e1RM.
    pub share_of_best: Option<f64>,
}

/// An exercise's day: best e1RM, heaviest weight and volume.
#[derive(Debug, Clone, PartialEq)]
pub struct Day {
    pub local_date: NaiveDate,
    pub max_one_rm: Option<f64>,
    pub top_weight: Option<f64>,
    pub volume: f64,
}

/// Totals of one period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Period {
    pub best_one_rm: Option<f64>,
    pub best_weight: Option<f64>,
    pub best_volume: Option<f64>,
    pub volume: f64,
    pub sessions: i64,
    pub days: Vec<Day>,
}

/// An exercise's detail over `from..=to`, with the previous period of the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct ExerciseProgress {
    pub current: Period,
    pub previous: Period,
    /// Sessions per week over the period.
    pub frequency_per_week: f64,
    /// Least-squares slope of the daily best e1RM, per week; none with fewer than two days.
    pub trend_per_week: Option<f64>,
    /// The period's PR events, oldest first.
    pub prs: Vec<PrEvent>,
    /// PR events per 30 days of the period.
    pub prs_per_month: f64,
    /// The five lines with the largest share of the period's best e1RM (latest first on ties).
    pub top_sets: Vec<TopSet>,
    /// The mean share of the period's best e1RM over its lines with an e1RM, in percent.
    pub average_intensity: Option<f64>,
    /// The period's heaviest line (the first on ties).
    pub heaviest_set: Option<TopSet>,
    /// The period's latest line at or above `HEAVY_SHARE` of its best e1RM.
    pub latest_heavy_set: Option<TopSet>,
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The period's totals from its lines (oldest first).
pub fn period(lines: &[&Line]) -> Period {
    let mut res = Period::default();
    let mut sessions = std::collections::BTreeSet::new();
    for line in lines {
        sessions.insert(line.session_id);
        res.best_one_rm = max_opt(res.best_one_rm, line.one_rm);
        res.best_weight = max_opt(res.best_weight, line.weight_kg.filter(|w| *w > 0.0));
        res.best_volume = max_opt(res.best_volume, line.volume);
        res.volume += line.volume.unwrap_or(0.0);
        match res.days.last_mut() {
            Some(day) if day.local_date == line.local_date => {
                day.max_one_rm = max_opt(day.max_one_rm, line.one_rm);
                day.top_weight = max_opt(day.top_weight, line.weight_kg.filter(|w| *w > 0.0));
                day.volume += line.volume.unwrap_or(0.0);
            }
            _ => res.days.push(Day {
                local_date: line.local_date,
                max_one_rm: line.one_rm,
                top_weight: line.weight_kg.filter(|w| *w > 0.0),
                volume: line.volume.unwrap_or(0.0),
            }),
        }
    }
    res.volume = grams(res.volume);
    for day in &mut res.days {
        day.volume = grams(day.volume);
    }
    res.sessions = i64::try_from(sessions.len()).unwrap_or(i64::MAX);
    res
}

/// PR events of the lines from `from` on, each against every earlier line (oldest first).
pub fn pr_events(lines: &[Line], from: NaiveDate) -> Vec<PrEvent> {
    let mut best: [Option<f64>; 3] = [None, None, None];
    let mut res = Vec::new();
    for line in lines {
        let marks = [
            (PrKind::OneRm, line.one_rm),
            (PrKind::Weight, line.weight_kg.filter(|w| *w > 0.0)),
            (PrKind::Volume, line.volume.filter(|v| *v > 0.0)),
        ];
        for (slot, (kind, mark)) in marks.into_iter().enumerate() {
            let Some(value) = mark else { continue };
            if best[slot].is_none_or(|it| value > it) {
                if line.local_date >= from {
                    res.push(PrEvent {
                        kind,
                        local_date: line.local_date,
                        value,
                        previous: best[slot],
                        weight_kg: line.weight_kg.unwrap_or(0.0),
                        reps: line.reps,
                        sets: line.sets,
                    });
                }
                best[slot] = Some(value);
            }
        }
    }
    res
}

fn top_set(line: &Line, best: Option<f64>) -> TopSet {
    TopSet {
        local_date: line.local_date,
        weight_kg: line.weight_kg.unwrap_or(0.0),
        reps: line.reps,
        sets: line.sets,
        one_rm: line.one_rm,
        share_of_best: line.one_rm.zip(best).map(|(it, best)| it / best * 100.0),
    }
}

/// Least-squares slope of `(day, value)` per week; none with fewer than two points.
pub fn slope_per_week(points: &[(NaiveDate, f64)]) -> Option<f64> {
    let first = points.first()?.0;
    let xs: Vec<f64> = points.iter().map(|(d, _)| (*d - first).num_days() as f64).collect();
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / n;
    let cov: f64 = xs.iter().zip(points).map(|(x, (_, y))| (x - mean_x) * (y - mean_y)).sum();
    let var: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    (var > 0.0).then(|| cov / var * 7.0)
}

/// The detail of `lines` (the exercise's counted lines up to `to`, oldest first) over
/// `from..=to`, beside the `days` before `from`.
pub fn exercise_progress(lines: &[Line], from: NaiveDate, to: NaiveDate) -> ExerciseProgress {
    let days = (to - from).num_days() + 1;
    let previous_from = from - chrono::Duration::days(days);
    let in_current: Vec<&Line> = lines.iter().filter(|l| l.local_date >= from).collect();
    let in_previous: Vec<&Line> =
        lines.iter().filter(|l| l.local_date >= previous_from && l.local_date < from).collect();
    let current = period(&in_current);
    let previous = period(&in_previous);
    let best = current.best_one_rm;
    let mut ranked: Vec<&Line> =
        in_current.iter().copied().filter(|l| l.one_rm.is_some()).collect();
    // By e1RM, the latest first on ties (a stable sort of the reversed chronological list).
    ranked.reverse();
    ranked.sort_by(|a, b| b.one_rm.unwrap_or(0.0).total_cmp(&a.one_rm.unwrap_or(0.0)));
    let top_sets = ranked.iter().take(5).map(|l| top_set(l, best)).collect();
    let shares: Vec<f64> =
        in_current.iter().filter_map(|l| top_set(l, best).share_of_best).collect();
    let heaviest = in_current.iter().filter(|l| l.weight_kg.is_some_and(|w| w > 0.0)).fold(
        None::<&Line>,
        |acc, l| match acc {
            Some(it) if it.weight_kg >= l.weight_kg => Some(it),
            _ => Some(l),
        },
    );
    let latest_heavy = in_current
        .iter()
        .rev()
        .find(|l| top_set(l, best).share_of_best.is_some_and(|s| s >= HEAVY_SHARE));
    let prs = pr_events(lines, from);
    let series: Vec<(NaiveDate, f64)> =
        current.days.iter().filter_map(|d| d.max_one_rm.map(|it| (d.local_date, it))).collect();
    ExerciseProgress {
        frequency_per_week: current.sessions as f64 * 7.0 / days as f64,
        trend_per_week: slope_per_week(&series),
        prs_per_month: prs.len() as f64 * 30.0 / days as f64,
        prs,
        top_sets,
        average_intensity: (!shares.is_empty())
            .then(|| shares.iter().sum::<f64>() / shares.len() as f64),
        heaviest_set: heaviest.map(|l| top_set(l, best)),
        latest_heavy_set: latest_heavy.map(|l| top_set(l, best)),
        current,
        previous,
    }
}

/// The detail of one of the user's exercises (by resolved name) over `from..=to`.
pub async fn exercise_progress_of(
    db: &Db,
    user: UserId,
    exercise: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ExerciseProgress, QueryError> {
    let lines = exercise_lines(db, user, exercise, to).await?;
    Ok(exercise_progress(&lines, from, to))
}

/// The exercise's counted set lines up to `to`, oldest first.
pub async fn exercise_lines(
    db: &Db,
    user: UserId,
    exercise: &str,
    to: NaiveDate,
) -> Result<Vec<Line>, QueryError> {
    let values = vec![user.0.into(), exercise.trim().into(), to.into()];
    Ok(Line::find_by_statement(stmt(db, EXERCISE_LINES, values)).all(&db.conn).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::float_cmp, reason = "tests compare literal values")]

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, d).unwrap()
    }

    /// A line of `w` kg × `r` reps × `s` sets on day `d` in session `d`, e1RM given directly.
    fn line(d: u32, w: f64, r: i32, s: i32, one_rm: f64) -> Line {
        Line {
            local_date: day(d),
            session_id: i64::from(d),
            weight_kg: Some(w),
            reps: Some(r),
            sets: s,
            one_rm: Some(one_rm),
            volume: Some(w * f64::from(r) * f64::from(s)),
        }
    }

    #[test]
    fn prs_beat_every_earlier_line_including_those_before_the_period() {
        let lines = [
            line(1, 100.0, 5, 1, 112.5),  // before the period: sets the marks
            line(10, 95.0, 8, 1, 119.0),  // e1RM PR only
            line(11, 102.5, 1, 1, 102.5), // weight PR only
            line(12, 60.0, 12, 3, 84.0),  // volume PR only (2160 > 500)
            line(13, 100.0, 5, 1, 112.5), // nothing
        ];
        let events: Vec<(PrKind, NaiveDate, f64, Option<f64>)> = pr_events(&lines, day(10))
            .into_iter()
            .map(|e| (e.kind, e.local_date, e.value, e.previous))
            .collect();
        assert_eq!(
            events,
            [
                (PrKind::OneRm, day(10), 119.0, Some(112.5)),
                (PrKind::Volume, day(10), 760.0, Some(500.0)),
                (PrKind::Weight, day(11), 102.5, Some(100.0)),
                (PrKind::Volume, day(12), 2160.0, Some(760.0)),
            ]
        );
        // With the period starting at the first line, the first line sets all three.
        assert_eq!(pr_events(&lines[..1], day(1)).len(), 3);
    }

    #[test]
    fn top_sets_intensity_and_heavy_sets_are_shares_of_the_periods_best() {
        let lines = [
            line(1, 200.0, 1, 1, 200.0), // previous period (days 1..=7 before day 8)
            line(8, 100.0, 1, 1, 100.0),
            line(9, 80.0, 1, 1, 80.0),
            line(10, 90.0, 1, 1, 90.0),
            line(11, 86.0, 1, 1, 86.0),
            line(12, 50.0, 1, 1, 50.0),
            line(13, 70.0, 1, 1, 70.0),
        ];
        let it = exercise_progress(&lines, day(8), day(14));
        let shares: Vec<f64> = it.top_sets.iter().map(|s| s.share_of_best.unwrap()).collect();
        assert_eq!(shares, [100.0, 90.0, 86.0, 80.0, 70.0]);
        // (100 + 80 + 90 + 86 + 50 + 70) / 6
        assert!((it.average_intensity.unwrap() - 476.0 / 6.0).abs() < 1e-9);
        assert_eq!(it.heaviest_set.unwrap().weight_kg, 100.0);
        assert_eq!(it.latest_heavy_set.unwrap().local_date, day(11), "86% is heavy, 70% not");
        assert_eq!((it.current.best_one_rm, it.previous.best_one_rm), (Some(100.0), Some(200.0)));
        assert_eq!((it.current.sessions, it.previous.sessions), (6, 1));
        assert_eq!(it.frequency_per_week, 6.0);
        assert_eq!(it.current.volume, 476.0);
    }

    #[test]
    fn the_trend_is_a_least_squares_slope_per_week() {
        // +1 kg per day is +7 kg per week, whatever the spacing.
        let points = [(day(1), 100.0), (day(2), 101.0), (day(8), 107.0)];
        assert!((slope_per_week(&points).unwrap() - 7.0).abs() < 1e-9);
        assert_eq!(slope_per_week(&points[..1]), None);
        assert_eq!(slope_per_week(&[(day(1), 1.0), (day(1), 2.0)]), None, "one day is no trend");
    }

    #[test]
    fn days_group_lines_and_empty_periods_have_no_marks() {
        let lines =
            [line(8, 100.0, 5, 1, 112.5), line(8, 105.0, 3, 2, 111.2), line(9, 60.0, 10, 1, 80.0)];
        let it = exercise_progress(&lines, day(8), day(14));
        let days: Vec<(NaiveDate, Option<f64>, Option<f64>, f64)> = it
            .current
            .days
            .iter()
            .map(|d| (d.local_date, d.max_one_rm, d.top_weight, d.volume))
            .collect();
        assert_eq!(
            days,
            [(day(8), Some(112.5), Some(105.0), 1130.0), (day(9), Some(80.0), Some(60.0), 600.0)]
        );
        assert_eq!(it.previous, Period::default());
        let empty = exercise_progress(&[], day(8), day(14));
        assert_eq!(
            (empty.top_sets.len(), empty.average_intensity, empty.trend_per_week),
            (0, None, None)
        );
    }
}
