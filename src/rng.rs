//! Random numbers that depend neither on the thread count nor on what else was drawn.
//!
//! Every random purpose has its own stream, keyed by a **stable name** rather than by its
//! position in a list, so adding, removing or changing one parameter, attribute, exit or
//! service never changes the draws of another:
//!
//! * **Parameter draws** (once per replication): a ChaCha8 stream keyed by (seed, the
//!   parameter's path, e.g. `accounts.x.amount`) with the replication as its stream number.
//!   A correlation group draws its shared uniform from the stream of `group:<name>`.
//! * **Citizen synthesis**: a SplitMix64 stream per (seed, replication, citizen, purpose),
//!   where the purpose is `offer`, `start:course`, `start:housing` or `attr:<id>`. The gamma
//!   and beta samplers reject a variable number of draws; with one stream per attribute that
//!   can never shift another attribute.
//! * **Monthly decisions of the engine**: one uniform per (citizen, cycle, event), where an
//!   event is an exit `course:from->to` (or `housing:…`), a planned-length end, a service's
//!   move or a death (`mortality`), each keyed by its name. It is SplitMix64 in counter mode — random access, so every
//!   arm and every variant reads exactly the same uniform for the same citizen, cycle and
//!   event, whatever happened before — and costs a few nanoseconds.

use rand::SeedableRng;
use rand::TryRng;
use rand_chacha::ChaCha8Rng;
use std::convert::Infallible;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function (Steele, Lea & Flood 2014).
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(MIX_MULTIPLIERS[0]);
    z = (z ^ (z >> 27)).wrapping_mul(MIX_MULTIPLIERS[1]);
    z ^ (z >> 31)
}

/// A stable 64-bit key of a name: FNV-1a over its UTF-8 bytes, then mixed. The same name gives
/// the same key on every platform and in every version that keeps this function.
pub fn name_key(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    mix64(h)
}

/// The ChaCha8 stream of a named purpose in replication `rep`: the key holds the master seed
/// and the name's key, the stream number the replication.
pub fn named_stream(seed: u64, name: &str, rep: u32) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&name_key(name).to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(rep as u64);
    rng
}

/// The key of a citizen's random numbers in one replication.
#[inline]
pub fn citizen_key(seed: u64, rep: u32, citizen: u32) -> u64 {
    mix64(mix64(seed ^ GOLDEN) ^ mix64(((rep as u64) << 32) | citizen as u64))
}

/// A SplitMix64 stream (Steele, Lea & Flood 2014): a 64-bit counter stepped by the golden
/// ratio and mixed. Cheap to create, so every (citizen, purpose) can have its own.
#[derive(Debug, Clone)]
pub struct SplitMix {
    state: u64,
}

impl SplitMix {
    /// The stream of `purpose` (a [`name_key`]) for a citizen key.
    pub fn new(citizen_key: u64, purpose: u64) -> SplitMix {
        SplitMix {
            state: mix64(citizen_key ^ purpose),
        }
    }
}

impl TryRng for SplitMix {
    type Error = Infallible;

    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.try_next_u64().map(|x| (x >> 32) as u32)
    }

    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.state = self.state.wrapping_add(GOLDEN);
        Ok(mix64(self.state))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let w = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

/// The 64 random bits shared by all events of one citizen-cycle; combine them with an event's
/// key by [`event_uniform`].
#[inline(always)]
pub fn cycle_bits(citizen_key: u64, cycle: u32) -> u64 {
    mix64(citizen_key.wrapping_add(cycle_offset(cycle)))
}

/// What [`cycle_bits`] adds to a citizen's key before mixing: the cycle's place in the
/// citizen's SplitMix64 sequence.
#[inline(always)]
pub const fn cycle_offset(cycle: u32) -> u64 {
    (cycle as u64 + 1).wrapping_mul(GOLDEN)
}

/// The two multipliers of [`mix64`], for code that computes it on several words at once.
pub const MIX_MULTIPLIERS: [u64; 2] = [0xBF58_476D_1CE4_E5B9, 0x94D0_49BB_1331_11EB];

/// The uniform in [0, 1) of one event (an exit, a planned-length end, a service's move) in one
/// citizen-cycle, from [`cycle_bits`] and the event's [`name_key`].
#[inline(always)]
pub fn event_uniform(cycle_bits: u64, event: u64) -> f64 {
    to_unit(mix64(cycle_bits ^ event))
}

/// A uniform in [0, 1) from the top 53 bits of a word.
#[inline(always)]
pub fn to_unit(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn event_uniforms_are_uniform_and_independent_of_order() {
        let key = citizen_key(42, 3, 17);
        let ev = name_key("course:a->b");
        let n = 100_000u32;
        let xs: Vec<f64> = (0..n)
            .map(|c| event_uniform(cycle_bits(key, c), ev))
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        // sd of a U(0,1) mean: sqrt(1/12/n) ≈ 0.00091; allow 5 standard errors.
        assert!(
            (mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / n as f64).sqrt(),
            "{mean}"
        );
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        // Random access: the same position gives the same number whenever it is read.
        let b = cycle_bits(key, 500);
        assert_eq!(event_uniform(b, ev), event_uniform(b, ev));
        assert_ne!(
            event_uniform(b, ev),
            event_uniform(b, name_key("course:a->c"))
        );
        // Lag-1 correlation over cycles near zero.
        let c: f64 = xs
            .windows(2)
            .map(|w| (w[0] - 0.5) * (w[1] - 0.5))
            .sum::<f64>()
            / (n - 1) as f64
            * 12.0;
        assert!(c.abs() < 5.0 / (n as f64).sqrt(), "{c}");
    }

    #[test]
    fn two_events_of_one_cycle_are_uncorrelated() {
        let (e1, e2) = (name_key("course:a->b"), name_key("course:a->c"));
        let n = 100_000u32;
        let c: f64 = (0..n)
            .map(|i| {
                let b = cycle_bits(citizen_key(7, 0, i), 3);
                (event_uniform(b, e1) - 0.5) * (event_uniform(b, e2) - 0.5)
            })
            .sum::<f64>()
            / n as f64
            * 12.0;
        assert!(c.abs() < 5.0 / (n as f64).sqrt(), "{c}");
    }

    #[test]
    fn named_streams_differ_by_each_key_part_and_not_by_anything_else() {
        let a = named_stream(1, "accounts.x.amount", 0).next_u64();
        assert_eq!(a, named_stream(1, "accounts.x.amount", 0).next_u64());
        assert_ne!(a, named_stream(2, "accounts.x.amount", 0).next_u64());
        assert_ne!(a, named_stream(1, "accounts.x.amount", 1).next_u64());
        assert_ne!(a, named_stream(1, "accounts.y.amount", 0).next_u64());
        let s = SplitMix::new(citizen_key(1, 0, 5), name_key("attr:age")).next_u64();
        assert_eq!(
            s,
            SplitMix::new(citizen_key(1, 0, 5), name_key("attr:age")).next_u64()
        );
        assert_ne!(
            s,
            SplitMix::new(citizen_key(1, 0, 5), name_key("attr:sex")).next_u64()
        );
        assert_ne!(
            s,
            SplitMix::new(citizen_key(1, 0, 6), name_key("attr:age")).next_u64()
        );
    }
}
