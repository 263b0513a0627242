//! How alike two exercise names are, for linking suggestions.
//!
//! Names are split into words (lower-cased, punctuation dropped) with common gym abbreviations
//! expanded ("BB" → barbell, "DB" → dumbbell, "OHP" → overhead press). The score is the larger of
//! word containment (shared words over the shorter name's words: "bench press (barbell)" contains
//! "bench press") and the Jaro-Winkler similarity of the normalized texts (typos, plurals).

use std::collections::BTreeSet;

/// Common abbreviations and the words they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("bb", "barbell"),
    ("db", "dumbbell"),
    ("ohp", "overhead press"),
    ("rdl", "romanian deadlift"),
    ("dl", "deadlift"),
    ("ez", "ez bar"),
];

fn words(name: &str) -> Vec<String> {
    let mut res = Vec::new();
    for word in name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let lower = word.to_lowercase();
        match ABBREVIATIONS.iter().find(|(short, _)| *short == lower) {
            Some((_, long)) => res.extend(long.split(' ').map(str::to_owned)),
            None => res.push(lower),
        }
    }
    res
}

/// Similarity in `0.0..=1.0`; 1.0 for names that are the same after normalization.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() || wb.is_empty() {
        return 0.0;
    }
    let (sa, sb): (BTreeSet<&str>, BTreeSet<&str>) =
        (wa.iter().map(String::as_str).collect(), wb.iter().map(String::as_str).collect());
    let shared = sa.intersection(&sb).count() as f64;
    let containment = shared / sa.len().min(sb.len()) as f64;
    let text = strsim::jaro_winkler(&wa.join(" "), &wb.join(" "));
    containment.max(text)
}
