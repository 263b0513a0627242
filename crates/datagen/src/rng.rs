//! Deterministic randomness: one independent ChaCha stream per (seed, user, purpose).
//!
//! ChaCha's output is specified, not an implementation detail, so a seed means the same data on
//! every machine and every release of `rand_chacha`'s 0.9 line.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The stream for `user_idx` and `purpose` under `seed`; streams never overlap.
pub(crate) fn rng_for(seed: u64, user_idx: u32, purpose: u8) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((u64::from(user_idx) << 8) | u64::from(purpose));
    rng
}

/// A random (version 4) UUID in its usual text form.
pub(crate) fn uuid(rng: &mut ChaCha8Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[0],
        b[1],
        b[2],
        b[3],
        b[4],
        b[5],
        b[6],
        b[7],
        b[8],
        b[9],
        b[10],
        b[11],
        b[12],
        b[13],
        b[14],
        b[15]
    )
}
