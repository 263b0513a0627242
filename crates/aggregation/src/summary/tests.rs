//! Pure-part tests: daily and weekly rows from hand-written set lines.

use chrono::NaiveDate;
use domain::SetType;

use super::*;

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, d).expect("valid date")
}

fn line(session: i64, d: u32, name: &str, set_type: SetType, kg: f64, reps: i32) -> Line {
    let derived =
        domain::DerivedSet::compute(Some(kg), domain::WeightUnit::Kg, Some(reps), Some(1));
    Line {
        user_id: 1,
        session_id: session,
        local_date: date(d),
        resolved_exercise_name: name.to_owned(),
        counted: set_type.counts_in_aggregates(),
        sets: 1,
        reps: Some(reps),
        weight_kg: derived.weight_kg,
        one_rm_estimate: derived.one_rm_estimate,
        volume_load: derived.volume_load,
    }
}

#[test]
fn daily_rows_count_sessions_once_and_warm_ups_nowhere() {
    use SetType::{Drop, Warmup, Working};
    // 2025-11-17 is a Monday, 2025-11-23 a Sunday, 2025-11-24 the next Monday.
    let lines = [
        line(1, 17, "Squat", Warmup, 200.0, 1), // heavier than any counted line, yet counts nowhere
        line(1, 17, "Squat", Working, 100.0, 5),
        line(1, 17, "Squat", Working, 100.0, 5),
        line(1, 17, "Bench", Drop, 60.0, 10),
        line(2, 17, "Squat", Working, 110.0, 1), // a second session the same day
        line(3, 23, "Squat", Working, 120.0, 1),
        line(4, 24, "Squat", Working, 90.0, 3),
        line(5, 24, "Bench", Warmup, 40.0, 5), // a day of warm-ups only has no row
    ];
    let (exercise_days, user_days) = daily(&lines);
    let squat_17 =
        &exercise_days[&ExerciseDayKey { user_id: 1, local_date: date(17), name: "Squat".into() }];
    assert_eq!((squat_17.session_count, squat_17.sets, squat_17.reps), (2, 3, 11));
    assert!((squat_17.volume - 1110.0).abs() < 1e-9);
    assert_eq!((squat_17.max_weight, squat_17.max_one_rm), (Some(110.0), Some(112.5)));
    assert_eq!(exercise_days.len(), 4, "{exercise_days:?}");
    let day_17 = &user_days[&UserDayKey { user_id: 1, local_date: date(17) }];
    assert_eq!((day_17.session_count, day_17.sets, day_17.reps), (2, 4, 21));
    assert!((day_17.volume - 1710.0).abs() < 1e-9);
    assert_eq!(user_days.len(), 3, "the 24th has one counted session: {user_days:?}");
    assert_eq!(user_days[&UserDayKey { user_id: 1, local_date: date(24) }].session_count, 1);

    let weeks = weekly(&exercise_days);
    let squat_week =
        |d| &weeks[&ExerciseWeekKey { user_id: 1, name: "Squat".into(), week_start: date(d) }];
    assert_eq!((squat_week(17).session_count, squat_week(17).sets), (3, 4), "Monday to Sunday");
    assert_eq!(squat_week(17).max_weight, Some(120.0));
    assert_eq!((squat_week(24).session_count, squat_week(24).sets), (1, 1));
    assert_eq!(weeks.len(), 3, "{weeks:?}");
}

#[test]
fn no_lines_no_rows() {
    let (a, b) = daily(&[]);
    assert!(a.is_empty() && b.is_empty() && weekly(&a).is_empty());
}
