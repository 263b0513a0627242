//! Trends (PDR §7) from weekly rows, pure: per exercise and ISO week with an e1RM, that week's
//! best e1RM, the previous such week's (the design's `LAG`), the change, and the least-squares
//! slope of the best e1RM over the last 8 such weeks, per week.

use chrono::NaiveDate;

/// How many weeks with an e1RM the slope looks back over, this one included.
pub const SLOPE_WEEKS: usize = 8;

/// One exercise's trend in one week.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub max_one_rm: f64,
    pub previous_max_one_rm: Option<f64>,
    pub change: Option<f64>,
    /// kg per week; `None` with fewer than 2 weeks.
    pub slope: Option<f64>,
}

impl Trend {
    /// Equal e1RMs and changes, and slopes equal to 1e-9 relative: the migration's back-fill
    /// computes the slope from window sums, this module from centred sums.
    pub fn same_as(&self, other: &Self) -> bool {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        let slopes = match (self.slope, other.slope) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        };
        let changes = match (self.change, other.change) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a == b,
        };
        // Maxima are copied, never computed: they compare exactly.
        self.max_one_rm.to_bits() == other.max_one_rm.to_bits()
            && self.previous_max_one_rm.map(f64::to_bits)
                == other.previous_max_one_rm.map(f64::to_bits)
            && changes
            && slopes
    }
}

/// Weeks since Monday 2000-01-03, the regression's x (the phase-2 migration's back-fill uses the
/// same origin).
fn week_number(week_start: NaiveDate) -> f64 {
    let origin = NaiveDate::from_ymd_opt(2000, 1, 3).unwrap_or_default();
    (week_start - origin).num_days() as f64 / 7.0
}

/// The trend of every week of `weeks` (one exercise's `(week_start, max e1RM)`, in week order)
/// that has an e1RM.
pub fn trends(weeks: &[(NaiveDate, Option<f64>)]) -> Vec<(NaiveDate, Trend)> {
    let points: Vec<(NaiveDate, f64)> =
        weeks.iter().filter_map(|(week, one_rm)| one_rm.map(|it| (*week, it))).collect();
    points
        .iter()
        .enumerate()
        .map(|(idx, (week, one_rm))| {
            let previous = idx.checked_sub(1).map(|it| points[it].1);
            let window = &points[idx.saturating_sub(SLOPE_WEEKS - 1)..=idx];
            let trend = Trend {
                max_one_rm: *one_rm,
                previous_max_one_rm: previous,
                change: previous.map(|it| one_rm - it),
                slope: slope(window),
            };
            (*week, trend)
        })
        .collect()
}

/// Least-squares slope of e1RM over week number; `None` below two points.
fn slope(points: &[(NaiveDate, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let xs: Vec<f64> = points.iter().map(|(week, _)| week_number(*week)).collect();
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, (_, y)) in xs.iter().zip(points) {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monday(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 6).expect("a Monday") + chrono::Duration::weeks(n)
    }

    #[test]
    fn previous_change_and_slope_follow_the_weeks_with_an_e1rm() {
        // Weeks 0..10 gaining 2.5 kg a week, week 3 without an e1RM (say, only sets over 30 reps).
        let weeks: Vec<(NaiveDate, Option<f64>)> =
            (0..10).map(|n| (monday(n), (n != 3).then_some(100.0 + 2.5 * n as f64))).collect();
        let got = trends(&weeks);
        assert_eq!(got.len(), 9, "week 3 has no trend row");
        let (week, first) = got[0];
        assert_eq!(
            (week, first.previous_max_one_rm, first.change, first.slope),
            (monday(0), None, None, None)
        );
        // Week 4's previous week with an e1RM is week 2: the change spans the gap.
        let (week, w4) = got[3];
        assert_eq!(week, monday(4));
        assert_eq!((w4.previous_max_one_rm, w4.change), (Some(105.0), Some(5.0)));
        // A straight line has its slope in every window, gaps included.
        for (week, trend) in &got[1..] {
            let slope = trend.slope.expect("two or more weeks");
            assert!((slope - 2.5).abs() < 1e-9, "{week}: {slope}");
        }
    }

    #[test]
    fn the_slope_looks_back_over_eight_weeks_with_an_e1rm() {
        // Flat for 8 weeks, then a jump: the jump week's window is weeks 1..=8.
        let mut weeks: Vec<(NaiveDate, Option<f64>)> =
            (0..8).map(|n| (monday(n), Some(100.0))).collect();
        weeks.push((monday(8), Some(108.0)));
        let got = trends(&weeks);
        assert_eq!(got[7].1.slope, Some(0.0));
        // x = 1..=8 centred on 4.5, y = 100 except 108 at x = 8: slope = 8 * 3.5 / 42.
        let slope = got[8].1.slope.expect("a window");
        assert!((slope - 8.0 * 3.5 / 42.0).abs() < 1e-12, "{slope}");
        assert!(trends(&[(monday(0), None)]).is_empty());
    }
}
