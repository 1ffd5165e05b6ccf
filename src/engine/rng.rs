//! Random numbers that do not depend on thread count or on what else was drawn.
//!
//! Two named, portable generators are used, each keyed by (seed, replication, unit, purpose):
//!
//! * **ChaCha8** (`rand_chacha`), one stream per (replication, unit, purpose), for draws whose
//!   number varies: parameter draws (gamma and beta samplers reject) and citizen synthesis.
//! * **SplitMix64 in counter mode** for the monthly uniforms of the engine: the uniform for
//!   (citizen, cycle, slot) is the SplitMix64 output at position `cycle·SLOTS + slot` of a stream
//!   seeded by (seed, replication, citizen). It is random access, so every arm reads exactly
//!   the same uniform for the same citizen-cycle whatever happened before — common random
//!   numbers hold by construction — and it costs a few nanoseconds, which matters at tens of
//!   millions of citizen-months per second.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Purpose tag of parameter draws.
pub const PURPOSE_PARAMS: u64 = 1;
/// Purpose tag of citizen synthesis.
pub const PURPOSE_COHORT: u64 = 2;
/// Purpose tag of the shared uniform of a parameter correlation group.
pub const PURPOSE_GROUP: u64 = 3;

/// Uniform slots per citizen-cycle reserved for the engine (course, housing, services, …).
pub const SLOTS: u64 = 8;
/// Slot of the course-state transition.
pub const SLOT_COURSE: u64 = 0;
/// Slot of the housing-support transition.
pub const SLOT_HOUSING: u64 = 1;
/// Slot of a service's move (e.g. into a company placement) under a partial effect scale.
pub const SLOT_SERVICE: u64 = 2;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function (Steele, Lea & Flood 2014).
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A ChaCha8 stream for (seed, replication, unit, purpose).
pub fn chacha(seed: u64, rep: u32, unit: u64, purpose: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // 24 bits of replication, 32 bits of unit, 8 bits of purpose: distinct for every
    // combination the validator allows.
    rng.set_stream(((rep as u64) << 40) | ((unit & 0xFFFF_FFFF) << 8) | (purpose & 0xFF));
    rng
}

/// The key of a citizen's monthly stream.
#[inline]
pub fn citizen_key(seed: u64, rep: u32, citizen: u32) -> u64 {
    mix64(mix64(seed ^ GOLDEN) ^ mix64(((rep as u64) << 32) | citizen as u64))
}

/// The uniform in [0, 1) for (citizen key, cycle, slot).
#[inline(always)]
pub fn uniform(key: u64, cycle: u32, slot: u64) -> f64 {
    let pos = (cycle as u64) * SLOTS + slot + 1;
    let bits = mix64(key.wrapping_add(pos.wrapping_mul(GOLDEN)));
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_uniforms_are_uniform_and_independent_of_order() {
        let key = citizen_key(42, 3, 17);
        let n = 100_000u32;
        let xs: Vec<f64> = (0..n).map(|c| uniform(key, c, SLOT_COURSE)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        // sd of a U(0,1) mean: sqrt(1/12/n) ≈ 0.00091; allow 5 standard errors.
        assert!(
            (mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / n as f64).sqrt(),
            "{mean}"
        );
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        // Random access: the same position gives the same number whenever it is read.
        assert_eq!(uniform(key, 500, 1), uniform(key, 500, 1));
        assert_ne!(uniform(key, 500, 0), uniform(key, 500, 1));
        // Lag-1 correlation near zero.
        let c: f64 = xs
            .windows(2)
            .map(|w| (w[0] - 0.5) * (w[1] - 0.5))
            .sum::<f64>()
            / (n - 1) as f64
            * 12.0;
        assert!(c.abs() < 5.0 / (n as f64).sqrt(), "{c}");
    }

    #[test]
    fn chacha_streams_differ_by_each_key_part() {
        use rand::Rng;
        let a = chacha(1, 0, 0, PURPOSE_PARAMS).next_u64();
        assert_eq!(a, chacha(1, 0, 0, PURPOSE_PARAMS).next_u64());
        assert_ne!(a, chacha(2, 0, 0, PURPOSE_PARAMS).next_u64());
        assert_ne!(a, chacha(1, 1, 0, PURPOSE_PARAMS).next_u64());
        assert_ne!(a, chacha(1, 0, 1, PURPOSE_PARAMS).next_u64());
        assert_ne!(a, chacha(1, 0, 0, PURPOSE_COHORT).next_u64());
    }
}
