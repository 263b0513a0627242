//! The pure part: summary rows from set lines, with no IO.
//!
//! Every summary is a function of the counted set lines (warm-ups count nowhere) of one key, so a
//! key is always recomputed from its rows, never patched: a maximum cannot be "subtracted" when a
//! line is deleted. The write part (`maintain`) reads the lines of the keys a change touched and
//! stores what these functions return; a full rebuild calls the same functions over every line,
//! so incremental maintenance and a rebuild cannot disagree in how they sum.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::iso_week_start;

/// One stored set line with the session's local date: what every summary is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub user_id: i64,
    pub session_id: i64,
    pub local_date: NaiveDate,
    pub resolved_exercise_name: String,
    /// Whether the line counts in aggregates (`SetType::counts_in_aggregates`: not a warm-up).
    pub counted: bool,
    pub sets: i32,
    pub reps: Option<i32>,
    pub weight_kg: Option<f64>,
    pub one_rm_estimate: Option<f64>,
    pub volume_load: f64,
}

/// Sums over a group of counted set lines (or of daily rows).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    /// Sessions with at least one counted line in the group.
    pub session_count: i64,
    /// Σ sets.
    pub sets: i64,
    /// Σ reps × sets.
    pub reps: i64,
    /// Σ volume load, kg.
    pub volume: f64,
    /// Heaviest weight, kg.
    pub max_weight: Option<f64>,
    /// Highest e1RM, kg.
    pub max_one_rm: Option<f64>,
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Totals {
    /// Equal counts and maxima, and volumes equal to 1e-9 relative: the same volumes summed in
    /// another order can differ in the last bits.
    pub fn same_as(&self, other: &Self) -> bool {
        let volume_close = (self.volume - other.volume).abs()
            <= 1e-9 * self.volume.abs().max(other.volume.abs()).max(1.0);
        Self { volume: 0.0, ..*self } == Self { volume: 0.0, ..*other } && volume_close
    }

    /// Adds one counted line (its session is counted by the caller).
    fn add_line(&mut self, line: &Line) {
        self.sets += i64::from(line.sets);
        self.reps += i64::from(line.reps.unwrap_or(0)) * i64::from(line.sets);
        self.volume += line.volume_load;
        self.max_weight = max_opt(self.max_weight, line.weight_kg);
        self.max_one_rm = max_opt(self.max_one_rm, line.one_rm_estimate);
    }

    /// Adds another group's sums (groups of different sessions).
    fn add(&mut self, other: &Self) {
        self.session_count += other.session_count;
        self.sets += other.sets;
        self.reps += other.reps;
        self.volume += other.volume;
        self.max_weight = max_opt(self.max_weight, other.max_weight);
        self.max_one_rm = max_opt(self.max_one_rm, other.max_one_rm);
    }
}

/// Key of `exercise_daily_summary`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExerciseDayKey {
    pub user_id: i64,
    pub local_date: NaiveDate,
    pub name: String,
}

/// Key of `exercise_weekly_summary`; `week_start` is the Monday of the ISO week.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExerciseWeekKey {
    pub user_id: i64,
    pub name: String,
    pub week_start: NaiveDate,
}

/// Key of `user_daily_summary`, and the unit a change is recorded in (see `maintain::Touched`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserDayKey {
    pub user_id: i64,
    pub local_date: NaiveDate,
}

/// The daily rows of `lines`: per user × exercise × date, and per user × date. Groups without a
/// counted line have no row.
pub fn daily(lines: &[Line]) -> (BTreeMap<ExerciseDayKey, Totals>, BTreeMap<UserDayKey, Totals>) {
    // Sessions are counted once per group: a line of a session not yet seen in the group adds one.
    let mut per_exercise: BTreeMap<ExerciseDayKey, (Totals, Vec<i64>)> = BTreeMap::new();
    let mut per_user: BTreeMap<UserDayKey, (Totals, Vec<i64>)> = BTreeMap::new();
    for line in lines.iter().filter(|it| it.counted) {
        let key = ExerciseDayKey {
            user_id: line.user_id,
            local_date: line.local_date,
            name: line.resolved_exercise_name.clone(),
        };
        for (totals, sessions) in [
            per_exercise.entry(key).or_default(),
            per_user
                .entry(UserDayKey { user_id: line.user_id, local_date: line.local_date })
                .or_default(),
        ] {
            totals.add_line(line);
            if !sessions.contains(&line.session_id) {
                sessions.push(line.session_id);
                totals.session_count += 1;
            }
        }
    }
    (
        per_exercise.into_iter().map(|(k, (t, _))| (k, t)).collect(),
        per_user.into_iter().map(|(k, (t, _))| (k, t)).collect(),
    )
}

/// The weekly rows from daily rows: a session lies on one date, so a week's session count is the
/// sum of its days'.
pub fn weekly<'a>(
    days: impl IntoIterator<Item = (&'a ExerciseDayKey, &'a Totals)>,
) -> BTreeMap<ExerciseWeekKey, Totals> {
    let mut res: BTreeMap<ExerciseWeekKey, Totals> = BTreeMap::new();
    for (key, totals) in days {
        let week = ExerciseWeekKey {
            user_id: key.user_id,
            name: key.name.clone(),
            week_start: iso_week_start(key.local_date),
        };
        res.entry(week).or_default().add(totals);
    }
    res
}

#[cfg(test)]
mod tests;
