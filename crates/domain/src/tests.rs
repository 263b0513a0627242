//! Table-driven tests of the domain rules, and property tests of their invariants.

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use crate::{
    DerivedSet, Limits, SetType, UserTimeZone, WeightUnit, check_name, check_range,
    check_workout_date, e1rm_kg, iso_week_start, local_date, normalize_exercise_name, volume_load,
};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn e1rm_follows_the_documented_formula() {
    // (weight kg, reps, expected e1RM kg)
    let cases: &[(f64, i32, Option<f64>)] = &[
        (100.0, 1, Some(100.0)),
        (100.0, 2, Some(100.0 * 36.0 / 35.0)),
        (100.0, 5, Some(100.0 * 36.0 / 32.0)),
        (100.0, 10, Some(100.0 * 36.0 / 27.0)),
        (100.0, 11, Some(100.0 * (1.0 + 11.0 / 30.0))),
        (60.0, 30, Some(120.0)),
        (100.0, 31, None),
        (100.0, 0, None),
        (100.0, -3, None),
        (0.0, 5, None),
        (-20.0, 5, None),
        (f64::NAN, 5, None),
        (f64::INFINITY, 5, None),
    ];
    for &(weight, reps, expected) in cases {
        let got = e1rm_kg(weight, reps);
        match (got, expected) {
            (Some(g), Some(e)) => assert!(close(g, e), "e1rm({weight}, {reps}) = {g}, want {e}"),
            (None, None) => {}
            _ => panic!("e1rm({weight}, {reps}) = {got:?}, want {expected:?}"),
        }
    }
}

#[test]
fn brzycki_and_epley_agree_at_ten_reps() {
    let brzycki = 100.0 * 36.0 / 27.0;
    let epley = 100.0 * (1.0 + 10.0 / 30.0);
    assert!(close(brzycki, epley));
    assert!(close(e1rm_kg(100.0, 10).unwrap(), epley));
}

#[test]
fn volume_load_needs_every_factor_positive() {
    let cases: &[(i32, i32, f64, f64)] = &[
        (1, 10, 100.0, 1000.0),
        (3, 10, 100.0, 3000.0),
        (0, 10, 100.0, 0.0),
        (1, 0, 100.0, 0.0),
        (1, 10, 0.0, 0.0),
        (-1, 10, 100.0, 0.0),
        (1, 10, -5.0, 0.0),
    ];
    for &(sets, reps, weight, expected) in cases {
        assert!(close(volume_load(sets, reps, weight), expected), "{sets}x{reps}@{weight}");
    }
}

/// (weight as typed, unit, reps, sets, expected derived columns)
type DerivedCase = (Option<f64>, WeightUnit, Option<i32>, Option<i32>, DerivedSet);

#[test]
fn derived_set_converts_pounds_and_defaults_sets_to_one() {
    let cases: &[DerivedCase] = &[
        (
            Some(100.0),
            WeightUnit::Kg,
            Some(5),
            None,
            DerivedSet { weight_kg: Some(100.0), one_rm_estimate: Some(112.5), volume_load: 500.0 },
        ),
        (
            Some(225.0),
            WeightUnit::Lbs,
            Some(1),
            Some(2),
            // 225 lb = 102.05828325 kg: a literal, not the code's own constant.
            DerivedSet {
                weight_kg: Some(102.058_283_25),
                one_rm_estimate: Some(102.058_283_25),
                volume_load: 204.116_566_5,
            },
        ),
        (
            None,
            WeightUnit::Kg,
            Some(10),
            None,
            DerivedSet { weight_kg: None, one_rm_estimate: None, volume_load: 0.0 },
        ),
        (
            Some(50.0),
            WeightUnit::Kg,
            None,
            None,
            DerivedSet { weight_kg: Some(50.0), one_rm_estimate: None, volume_load: 0.0 },
        ),
    ];
    for (weight, unit, reps, sets, expected) in cases {
        let got = DerivedSet::compute(*weight, *unit, *reps, *sets);
        assert_eq!(got.weight_kg.is_some(), expected.weight_kg.is_some());
        assert!(close(got.weight_kg.unwrap_or(0.0), expected.weight_kg.unwrap_or(0.0)));
        assert_eq!(got.one_rm_estimate.is_some(), expected.one_rm_estimate.is_some());
        assert!(close(got.one_rm_estimate.unwrap_or(0.0), expected.one_rm_estimate.unwrap_or(0.0)));
        assert!(close(got.volume_load, expected.volume_load), "{got:?} vs {expected:?}");
    }
}

#[test]
fn units_and_set_types_parse_and_print() {
    let units = [
        ("kg", WeightUnit::Kg),
        ("KG", WeightUnit::Kg),
        ("lbs", WeightUnit::Lbs),
        ("lb", WeightUnit::Lbs),
    ];
    for (text, unit) in units {
        assert_eq!(text.parse::<WeightUnit>().unwrap(), unit);
    }
    assert!("stone".parse::<WeightUnit>().unwrap_err().to_string().contains("stone"));
    for it in SetType::ALL {
        assert_eq!(it.as_str().parse::<SetType>().unwrap(), it);
    }
    assert!("cooldown".parse::<SetType>().is_err());
    assert!(!SetType::Warmup.counts_in_aggregates());
    assert!(SetType::Working.counts_in_aggregates());
    assert!(SetType::Drop.counts_in_aggregates());
    assert!(SetType::Failure.counts_in_aggregates());
}

#[test]
fn preference_choices_are_the_originals_words() {
    use crate::{
        BodyweightSource, ExperienceLevel, ProgressionType, RecoveryPlannerStrategy,
        RightSwipeAction, WarmupRepsStrategy, WarmupStrategy,
    };
    // The words the original stored (its schema comments and zod enums), set by set.
    type Parses = fn(&str) -> bool;
    let sets: [(Vec<&str>, Parses); 7] = [
        (vec!["percentage", "fixed", "history", "none"], |s| s.parse::<WarmupStrategy>().is_ok()),
        (vec!["match_working", "descending", "fixed"], |s| s.parse::<WarmupRepsStrategy>().is_ok()),
        (vec!["linear", "percentage", "adaptive"], |s| s.parse::<ProgressionType>().is_ok()),
        (vec!["collapse_expand", "none"], |s| s.parse::<RightSwipeAction>().is_ok()),
        (vec!["conservative", "moderate", "adaptive", "aggressive"], |s| {
            s.parse::<RecoveryPlannerStrategy>().is_ok()
        }),
        (vec!["beginner", "intermediate", "advanced"], |s| s.parse::<ExperienceLevel>().is_ok()),
        (vec!["manual", "whoop"], |s| s.parse::<BodyweightSource>().is_ok()),
    ];
    for (words, parses) in sets {
        for word in &words {
            assert!(parses(word), "{word}");
            assert!(!parses(&word.to_uppercase()), "stored words are lower case: {word}");
        }
        assert!(!parses("yolo"));
    }
    assert_eq!(WarmupStrategy::History.as_str(), "history");
    let err = "yolo".parse::<WarmupStrategy>().unwrap_err().to_string();
    assert_eq!(
        err,
        "unknown warm-up strategy `yolo`: expected one of percentage, fixed, history, none"
    );
}

#[test]
fn exercise_names_normalize() {
    let cases = [
        ("Bench Press", "bench press"),
        ("  bench   PRESS ", "bench press"),
        ("BB\tBench", "bb bench"),
        ("", ""),
        ("Übung", "übung"),
    ];
    for (input, expected) in cases {
        assert_eq!(normalize_exercise_name(input), expected, "{input:?}");
    }
}

#[test]
fn local_dates_follow_the_users_zone() {
    let instant = Utc.with_ymd_and_hms(2025, 3, 10, 2, 30, 0).unwrap();
    let cases = [
        ("UTC", NaiveDate::from_ymd_opt(2025, 3, 10)),
        ("America/Los_Angeles", NaiveDate::from_ymd_opt(2025, 3, 9)),
        ("Asia/Tokyo", NaiveDate::from_ymd_opt(2025, 3, 10)),
        ("Pacific/Auckland", NaiveDate::from_ymd_opt(2025, 3, 10)),
    ];
    for (zone, expected) in cases {
        let zone: UserTimeZone = zone.parse().unwrap();
        assert_eq!(Some(local_date(instant, zone)), expected, "{zone}");
    }
    assert!("Mars/Olympus".parse::<UserTimeZone>().is_err());
}

#[test]
fn iso_weeks_start_on_monday() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let cases = [
        (d(2025, 11, 24), d(2025, 11, 24)), // Monday
        (d(2025, 11, 30), d(2025, 11, 24)), // Sunday
        (d(2026, 1, 1), d(2025, 12, 29)),   // across a year boundary
    ];
    for (date, monday) in cases {
        assert_eq!(iso_week_start(date), monday, "{date}");
    }
}

#[test]
fn validation_names_the_field_and_the_rule() {
    assert!(check_range("reps", 10, &Limits::REPS).is_ok());
    let err = check_range("exercises[0].sets[2].reps", 1001, &Limits::REPS).unwrap_err();
    assert_eq!(err.field, "exercises[0].sets[2].reps");
    assert_eq!(err.rule, "must be between 0 and 1000");
    assert!(check_range("weight", f64::NAN, &Limits::WEIGHT_KG).is_err());
    assert!(check_range("sets", 0, &Limits::SETS).is_err());
    assert!(check_range("rpe", 10.5, &Limits::RPE).is_err());
    assert_eq!(check_name("name", "  Push Day ").unwrap(), "Push Day");
    assert!(check_name("name", "   ").is_err());
    assert!(check_name("name", &"x".repeat(101)).is_err());
    assert!(check_name("name", &"é".repeat(100)).is_ok());
    let now = Utc.with_ymd_and_hms(2025, 3, 10, 12, 0, 0).unwrap();
    assert!(check_workout_date("workoutDate", now + chrono::Duration::hours(23), now).is_ok());
    let err =
        check_workout_date("workoutDate", now + chrono::Duration::hours(25), now).unwrap_err();
    assert_eq!(err.to_string(), "workoutDate: must be at most one day in the future");
}

proptest! {
    #[test]
    fn e1rm_grows_with_weight(w in 1.0f64..1000.0, extra in 0.5f64..100.0, reps in 1i32..=30) {
        let lo = e1rm_kg(w, reps).unwrap();
        let hi = e1rm_kg(w + extra, reps).unwrap();
        prop_assert!(hi > lo);
    }

    #[test]
    fn e1rm_grows_with_reps(w in 1.0f64..1000.0, reps in 1i32..30) {
        let lo = e1rm_kg(w, reps).unwrap();
        let hi = e1rm_kg(w, reps + 1).unwrap();
        prop_assert!(hi > lo, "reps {} -> {}: {} vs {}", reps, reps + 1, lo, hi);
    }

    #[test]
    fn e1rm_is_never_below_the_lifted_weight(w in 0.5f64..1000.0, reps in 1i32..=30) {
        prop_assert!(e1rm_kg(w, reps).unwrap() >= w);
    }

    #[test]
    fn kg_to_lbs_to_kg_is_identity(kg in 0.0f64..10_000.0) {
        let back = WeightUnit::Lbs.to_kg(WeightUnit::Lbs.from_kg(kg));
        prop_assert!((back - kg).abs() <= 1e-9, "{} -> {}", kg, back);
    }

    #[test]
    fn normalization_is_idempotent(name in "\\PC{0,40}") {
        let once = normalize_exercise_name(&name);
        prop_assert_eq!(normalize_exercise_name(&once), once);
    }
}

#[test]
fn similar_names_score_high_and_different_ones_low() {
    // (a, b, at least, at most)
    let cases: &[(&str, &str, f64, f64)] = &[
        ("Bench Press", "bench press", 1.0, 1.0),
        ("bench press (barbell)", "Bench Press", 1.0, 1.0),
        ("BB Bench", "Barbell Bench Press", 1.0, 1.0),
        ("OHP", "Overhead Press", 1.0, 1.0),
        ("Face Pulls", "Face Pull", 0.9, 1.0),
        ("Squat", "Bicep Curl", 0.0, 0.6),
        ("Deadlift", "Lateral Raise", 0.0, 0.6),
        ("", "Squat", 0.0, 0.0),
    ];
    for &(a, b, lo, hi) in cases {
        let score = crate::name_similarity(a, b);
        assert!((lo..=hi).contains(&score), "{a:?} vs {b:?}: {score}");
        assert!((crate::name_similarity(b, a) - score).abs() < 1e-12, "symmetric: {a:?} vs {b:?}");
    }
}

#[test]
fn streaks_count_weeks_and_days_once() {
    let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
    let today = d(11, 26); // a Wednesday
    // Mon 24, Tue 25, twice on Wed 26 (one day), the previous two weeks, a gap, then two weeks.
    let dates = [
        d(11, 24),
        d(11, 25),
        d(11, 26),
        d(11, 26),
        d(11, 18),
        d(11, 12),
        d(10, 20),
        d(10, 14),
        d(10, 7),
    ];
    let res = crate::consistency(&dates, today, 28, 3.0);
    assert_eq!(res.current_week_streak, 3);
    assert_eq!(res.longest_week_streak, 3);
    assert_eq!(res.current_day_streak, 3);
    assert_eq!(res.workout_days, 5); // Oct 20 is outside the last 28 days (from Oct 30)
    assert!((res.frequency_per_week - 1.25).abs() < 1e-12);
    assert_eq!(res.score, 42);
    // Nothing this week yet: the streak still counts up to last week.
    let res = crate::consistency(&[d(11, 18), d(11, 11)], d(11, 24), 7, 3.0);
    assert_eq!((res.current_week_streak, res.current_day_streak), (2, 0));
    let empty = crate::consistency(&[], today, 7, 3.0);
    assert_eq!((empty.workout_days, empty.score, empty.longest_week_streak), (0, 0, 0));
}
