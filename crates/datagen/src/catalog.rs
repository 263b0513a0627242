//! The exercises lifters do, with the names people actually type for them, and the splits that
//! group them into templates.

/// Whether an exercise is a heavy multi-joint lift (warmed up, low reps) or an accessory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Compound,
    Accessory,
}

/// One canonical exercise.
#[derive(Debug)]
pub(crate) struct Exercise {
    /// The canonical name a master exercise gets.
    pub(crate) name: &'static str,
    /// Spellings lifters use in their templates; the first is the canonical one.
    pub(crate) variants: &'static [&'static str],
    pub(crate) muscle_group: &'static str,
    pub(crate) kind: Kind,
    /// e1RM in kg of an intermediate lifter; external load only for bodyweight lifts.
    pub(crate) base_e1rm_kg: f64,
}

pub(crate) const EXERCISES: &[Exercise] = &[
    ex(
        "Bench Press",
        &["Bench Press", "bench press (barbell)", "BB Bench", "Barbell Bench Press", "Flat Bench"],
        "chest",
        Kind::Compound,
        90.0,
    ),
    ex(
        "Squat",
        &["Squat", "Back Squat", "squat (barbell)", "BB Back Squat", "High Bar Squat"],
        "legs",
        Kind::Compound,
        120.0,
    ),
    ex(
        "Deadlift",
        &["Deadlift", "Conventional Deadlift", "deadlift (barbell)", "DL"],
        "back",
        Kind::Compound,
        150.0,
    ),
    ex(
        "Overhead Press",
        &["Overhead Press", "OHP", "Military Press", "Standing Press"],
        "shoulders",
        Kind::Compound,
        55.0,
    ),
    ex(
        "Barbell Row",
        &["Barbell Row", "Bent Over Row", "BB Row", "Pendlay Row"],
        "back",
        Kind::Compound,
        80.0,
    ),
    ex(
        "Pull Up",
        &["Pull Up", "Pull-up", "Weighted Pull Up", "pull up (weighted)"],
        "back",
        Kind::Compound,
        15.0,
    ),
    ex(
        "Front Squat",
        &["Front Squat", "front squat (barbell)", "BB Front Squat"],
        "legs",
        Kind::Compound,
        95.0,
    ),
    ex(
        "Romanian Deadlift",
        &["Romanian Deadlift", "RDL", "romanian deadlift (barbell)"],
        "legs",
        Kind::Compound,
        110.0,
    ),
    ex(
        "Incline Dumbbell Press",
        &["Incline Dumbbell Press", "Incline DB Press", "incline press (dumbbell)"],
        "chest",
        Kind::Accessory,
        32.0,
    ),
    ex(
        "Leg Press",
        &["Leg Press", "leg press (machine)", "Sled Leg Press"],
        "legs",
        Kind::Accessory,
        200.0,
    ),
    ex(
        "Lat Pulldown",
        &["Lat Pulldown", "Lat Pull Down", "lat pulldown (cable)"],
        "back",
        Kind::Accessory,
        70.0,
    ),
    ex(
        "Seated Cable Row",
        &["Seated Cable Row", "Cable Row", "seated row (cable)"],
        "back",
        Kind::Accessory,
        70.0,
    ),
    ex("Dips", &["Dips", "Weighted Dips", "Chest Dip"], "chest", Kind::Accessory, 15.0),
    ex(
        "Bicep Curl",
        &["Bicep Curl", "Barbell Curl", "EZ Bar Curl", "curl (barbell)"],
        "arms",
        Kind::Accessory,
        40.0,
    ),
    ex(
        "Tricep Pushdown",
        &["Tricep Pushdown", "Triceps Pushdown", "Cable Pushdown", "pushdown (cable)"],
        "arms",
        Kind::Accessory,
        35.0,
    ),
    ex(
        "Lateral Raise",
        &["Lateral Raise", "DB Lateral Raise", "Side Raise"],
        "shoulders",
        Kind::Accessory,
        12.0,
    ),
    ex(
        "Face Pull",
        &["Face Pull", "Face Pulls", "face pull (cable)"],
        "shoulders",
        Kind::Accessory,
        30.0,
    ),
    ex(
        "Leg Curl",
        &["Leg Curl", "Lying Leg Curl", "Hamstring Curl"],
        "legs",
        Kind::Accessory,
        50.0,
    ),
    ex(
        "Leg Extension",
        &["Leg Extension", "leg extension (machine)", "Quad Extension"],
        "legs",
        Kind::Accessory,
        65.0,
    ),
    ex(
        "Calf Raise",
        &["Calf Raise", "Standing Calf Raise", "calf raise (machine)"],
        "legs",
        Kind::Accessory,
        100.0,
    ),
    ex(
        "Hip Thrust",
        &["Hip Thrust", "Barbell Hip Thrust", "hip thrust (barbell)"],
        "legs",
        Kind::Accessory,
        140.0,
    ),
    ex(
        "Dumbbell Shoulder Press",
        &["Dumbbell Shoulder Press", "DB Shoulder Press", "Seated DB Press"],
        "shoulders",
        Kind::Accessory,
        28.0,
    ),
];

const fn ex(
    name: &'static str,
    variants: &'static [&'static str],
    muscle_group: &'static str,
    kind: Kind,
    base_e1rm_kg: f64,
) -> Exercise {
    Exercise { name, variants, muscle_group, kind, base_e1rm_kg }
}

/// Looks an exercise up by canonical name. The catalogue is static, so a miss is a typo here.
pub(crate) fn exercise(name: &str) -> usize {
    EXERCISES.iter().position(|it| it.name == name).expect("split names exist in the catalogue")
}

/// A training split: template names (several spellings) and the exercises each template draws from.
#[derive(Debug)]
pub(crate) struct Split {
    pub(crate) days: &'static [Day],
    /// Usual sessions per week for this split.
    pub(crate) sessions_per_week: u32,
}

#[derive(Debug)]
pub(crate) struct Day {
    pub(crate) names: &'static [&'static str],
    /// Candidate exercises in session order; the first ones are the day's main lifts.
    pub(crate) exercises: &'static [&'static str],
}

pub(crate) const SPLITS: &[Split] = &[
    Split {
        sessions_per_week: 3,
        days: &[
            Day {
                names: &["Push", "Push Day", "PUSH A"],
                exercises: &[
                    "Bench Press",
                    "Overhead Press",
                    "Incline Dumbbell Press",
                    "Dips",
                    "Lateral Raise",
                    "Tricep Pushdown",
                    "Dumbbell Shoulder Press",
                    "Face Pull",
                ],
            },
            Day {
                names: &["Pull", "Pull Day", "PULL A"],
                exercises: &[
                    "Deadlift",
                    "Barbell Row",
                    "Pull Up",
                    "Lat Pulldown",
                    "Seated Cable Row",
                    "Face Pull",
                    "Bicep Curl",
                    "Lateral Raise",
                ],
            },
            Day {
                names: &["Legs", "Leg Day", "LEGS A"],
                exercises: &[
                    "Squat",
                    "Romanian Deadlift",
                    "Leg Press",
                    "Leg Curl",
                    "Leg Extension",
                    "Calf Raise",
                    "Hip Thrust",
                    "Front Squat",
                ],
            },
        ],
    },
    Split {
        sessions_per_week: 4,
        days: &[
            Day {
                names: &["Upper", "Upper Body", "Upper A"],
                exercises: &[
                    "Bench Press",
                    "Barbell Row",
                    "Overhead Press",
                    "Pull Up",
                    "Bicep Curl",
                    "Tricep Pushdown",
                    "Lateral Raise",
                    "Face Pull",
                ],
            },
            Day {
                names: &["Lower", "Lower Body", "Lower A"],
                exercises: &[
                    "Squat",
                    "Romanian Deadlift",
                    "Leg Press",
                    "Leg Curl",
                    "Calf Raise",
                    "Leg Extension",
                    "Hip Thrust",
                ],
            },
        ],
    },
    Split {
        sessions_per_week: 3,
        days: &[
            Day {
                names: &["Full Body A", "FB A", "Full Body 1"],
                exercises: &[
                    "Squat",
                    "Bench Press",
                    "Barbell Row",
                    "Lateral Raise",
                    "Bicep Curl",
                    "Calf Raise",
                ],
            },
            Day {
                names: &["Full Body B", "FB B", "Full Body 2"],
                exercises: &[
                    "Deadlift",
                    "Overhead Press",
                    "Pull Up",
                    "Leg Press",
                    "Tricep Pushdown",
                    "Face Pull",
                ],
            },
        ],
    },
];

/// Time zones lifters live in; the `bool` says whether people there mostly lift in pounds.
pub(crate) const TIME_ZONES: &[(&str, bool)] = &[
    ("America/New_York", true),
    ("America/Chicago", true),
    ("America/Los_Angeles", true),
    ("Europe/London", false),
    ("Europe/Berlin", false),
    ("Asia/Tokyo", false),
    ("Australia/Sydney", false),
    ("America/Sao_Paulo", false),
    ("Asia/Kolkata", false),
    ("UTC", false),
];
