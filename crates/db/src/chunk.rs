//! `IN` lists that fit the parameter limit and keep prepared statements reusable.
//!
//! An `IN (…)` list of n values is padded to the next fixed bucket size (1, 4, 16, 64, or the
//! largest that fits), repeating its last value, so a handful of SQL texts serve every input size
//! and the statement cache stays warm. Lists larger than the largest bucket are split.

use crate::config::ParamLimit;

/// The `IN` list sizes statements are built with.
pub const IN_BUCKETS: &[usize] = &[1, 4, 16, 64];

/// The bucket a list of `n` values is padded to, when `other_params` are bound besides the list.
/// `None` when not even one value fits.
pub fn bucket_for(n: usize, other_params: usize, limit: ParamLimit) -> Option<usize> {
    let room = limit.get().checked_sub(other_params).filter(|room| *room > 0)?;
    let res = IN_BUCKETS.iter().copied().find(|b| *b >= n && *b <= room).unwrap_or(room);
    Some(res.min(room).max(1))
}

/// Splits `values` into padded chunks: each chunk has a bucket size and, with `other_params`,
/// binds at most `limit` parameters. An empty input gives no chunk (and so runs no statement).
pub fn in_list_chunks<T: Clone>(
    values: &[T],
    other_params: usize,
    limit: ParamLimit,
) -> Vec<Vec<T>> {
    let Some(largest) = bucket_for(usize::MAX, other_params, limit) else {
        return Vec::new();
    };
    let mut res = Vec::new();
    for chunk in values.chunks(largest) {
        let size = bucket_for(chunk.len(), other_params, limit).unwrap_or(largest);
        let mut padded = chunk.to_vec();
        if let Some(last) = chunk.last() {
            padded.resize(size, last.clone());
        }
        res.push(padded);
    }
    res
}

/// `$from, $from+1, …` placeholders for a list of `n` values.
pub fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|idx| format!("${idx}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lists_are_padded_to_buckets() {
        let limit = ParamLimit::D1;
        let cases: &[(usize, usize, Vec<usize>)] = &[
            (0, 1, vec![]),
            (1, 1, vec![1]),
            (3, 1, vec![4]),
            (17, 1, vec![64]),
            (64, 1, vec![64]),
            (65, 1, vec![99]),
            (150, 1, vec![99, 64]),
            (200, 2, vec![98, 98, 4]),
        ];
        for (n, other, sizes) in cases {
            let values: Vec<usize> = (0..*n).collect();
            let chunks = in_list_chunks(&values, *other, limit);
            let got: Vec<usize> = chunks.iter().map(Vec::len).collect();
            assert_eq!(&got, sizes, "n = {n}, other = {other}");
        }
    }

    proptest! {
        #[test]
        fn chunks_cover_the_input_and_fit_the_limit(n in 0usize..3000, other in 0usize..10, limit in 11usize..300) {
            let limit = ParamLimit::new(limit).unwrap();
            let values: Vec<usize> = (0..n).collect();
            let chunks = in_list_chunks(&values, other, limit);
            let mut seen: Vec<usize> = chunks.iter().flatten().copied().collect();
            seen.sort_unstable();
            seen.dedup();
            prop_assert_eq!(seen, values);
            for chunk in &chunks {
                prop_assert!(chunk.len() + other <= limit.get());
            }
        }
    }
}
