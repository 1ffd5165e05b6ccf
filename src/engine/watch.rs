//! The coins of a settled citizen, looked at many cycles at once. In a settled stretch
//! ([`super::quiet`]) the citizen's exit thresholds stay the same from cycle to cycle, and so
//! does its death's threshold while its completed age does; only the coins change, and they
//! are a function of the citizen's key and the cycle alone ([`rng::cycle_bits`]). So the first
//! cycle in which any of them can fire is found by hashing eight cycles side by side, with
//! the same integer arithmetic as [`super::exits::fired`] — compiled for AVX-512 or AVX2 where
//! the CPU has them (checked at run time), which changes no bit of it.

use crate::rng;

/// The most coins a [`Watch`] holds: every coin of a quiet row and the death's.
pub(super) const WIDTH: usize = super::quiet::MAX_COINS + 1;

/// Cycles hashed side by side.
const LANES: usize = 8;

/// Coins (key, threshold), each firing in a cycle whose random bits are `bits` when
/// `mix64(bits ^ key) < threshold`, as in [`super::exits::fired`].
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Watch {
    keys: [u64; WIDTH],
    thresholds: [u64; WIDTH],
    n: usize,
}

impl Watch {
    /// How many coins it holds.
    pub(super) fn len(&self) -> usize {
        self.n
    }

    /// Add a coin; false (and nothing added) when it holds [`WIDTH`] already.
    pub(super) fn push(&mut self, key: u64, threshold: u64) -> bool {
        if self.n == WIDTH {
            return false;
        }
        self.keys[self.n] = key;
        self.thresholds[self.n] = threshold;
        self.n += 1;
        true
    }

    /// Keep the first `n` coins.
    pub(super) fn truncate(&mut self, n: usize) {
        self.n = self.n.min(n);
    }

    /// The first cycle from `from` before `until` in which any coin fires for the citizen of
    /// random key `citizen`, or `until` when none does.
    pub(super) fn first_fired(&self, citizen: u64, from: usize, until: usize) -> usize {
        if from >= until {
            return until;
        }
        let (keys, thresholds) = (&self.keys[..self.n], &self.thresholds[..self.n]);
        #[cfg(target_arch = "x86_64")]
        {
            /// [`first_fired_in`] compiled for AVX2.
            #[target_feature(enable = "avx2")]
            fn avx2(k: &[u64], th: &[u64], citizen: u64, from: usize, until: usize) -> usize {
                first_fired_in(k, th, citizen, from, until)
            }
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
            {
                // SAFETY: the CPU has the features, checked above.
                return unsafe { avx512::first_fired(keys, thresholds, citizen, from, until) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                return unsafe { avx2(keys, thresholds, citizen, from, until) };
            }
        }
        first_fired_in(keys, thresholds, citizen, from, until)
    }
}

/// The work of [`Watch::first_fired`] (`from` < `until`): eight cycles at a time, their random
/// bits, then each coin on all eight, so that the compiler can hash them side by side. The
/// lanes past `until` are hashed too, and not looked at.
#[inline(always)]
fn first_fired_in(
    keys: &[u64],
    thresholds: &[u64],
    citizen: u64,
    from: usize,
    until: usize,
) -> usize {
    let mut t = from;
    while t < until {
        let mut bits = [0u64; LANES];
        for (l, b) in bits.iter_mut().enumerate() {
            *b = rng::cycle_bits(citizen, (t + l) as u32);
        }
        let mut hit = [0u64; LANES];
        for (&key, &threshold) in keys.iter().zip(thresholds) {
            for (h, &b) in hit.iter_mut().zip(&bits) {
                *h |= (rng::mix64(b ^ key) < threshold) as u64;
            }
        }
        if let Some(l) = hit.iter().position(|&h| h != 0) {
            return (t + l).min(until);
        }
        t += LANES;
    }
    until
}

/// [`first_fired_in`] with AVX-512 intrinsics: the eight cycles' SplitMix64 counters in one
/// vector, stepped by eight cycles at a time, and each coin a wrapping 64-bit multiply
/// (`vpmullq`) and an unsigned comparison per lane — the same integer arithmetic.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use crate::rng;
    use std::arch::x86_64::*;

    /// SplitMix64's output function ([`rng::mix64`]) on eight lanes.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn mix(z: __m512i) -> __m512i {
        let [a, b] = rng::MIX_MULTIPLIERS;
        let z = _mm512_xor_si512(z, _mm512_srli_epi64::<30>(z));
        let z = _mm512_mullo_epi64(z, _mm512_set1_epi64(a as i64));
        let z = _mm512_xor_si512(z, _mm512_srli_epi64::<27>(z));
        let z = _mm512_mullo_epi64(z, _mm512_set1_epi64(b as i64));
        _mm512_xor_si512(z, _mm512_srli_epi64::<31>(z))
    }

    /// See [`super::first_fired_in`] (`from` < `until`).
    ///
    /// # Safety
    /// The CPU must have AVX-512 F and DQ.
    #[target_feature(enable = "avx512f,avx512dq")]
    pub(super) unsafe fn first_fired(
        keys: &[u64],
        thresholds: &[u64],
        citizen: u64,
        from: usize,
        until: usize,
    ) -> usize {
        // What `rng::cycle_bits` mixes for cycles t … t + 7: the citizen's key plus each
        // cycle's offset; eight cycles on, each lane's offset is eight steps further.
        let mut lanes = [0u64; 8];
        for (l, x) in lanes.iter_mut().enumerate() {
            *x = citizen.wrapping_add(rng::cycle_offset((from + l) as u32));
        }
        // SAFETY: eight initialised u64, read unaligned.
        let mut z = unsafe { _mm512_loadu_si512(lanes.as_ptr().cast()) };
        let stride = _mm512_set1_epi64(rng::cycle_offset(7) as i64);
        let mut t = from;
        while t < until {
            let bits = mix(z);
            let mut hit: __mmask8 = 0;
            for (&key, &threshold) in keys.iter().zip(thresholds) {
                let u = mix(_mm512_xor_si512(bits, _mm512_set1_epi64(key as i64)));
                hit |= _mm512_cmplt_epu64_mask(u, _mm512_set1_epi64(threshold as i64));
            }
            if hit != 0 {
                return (t + hit.trailing_zeros() as usize).min(until);
            }
            z = _mm512_add_epi64(z, stride);
            t += 8;
        }
        until
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::exits::{Exit, fired};

    /// Per cycle, the way the general step looks at the coins.
    fn one_by_one(w: &Watch, citizen: u64, from: usize, until: usize) -> usize {
        let exits: Vec<Exit> = w.thresholds[..w.n]
            .iter()
            .map(|&threshold| Exit {
                threshold,
                ..Exit::default()
            })
            .collect();
        (from..until)
            .find(|&t| fired(&w.keys[..w.n], &exits, rng::cycle_bits(citizen, t as u32)) != 0)
            .unwrap_or(until)
    }

    #[test]
    fn finds_the_cycle_the_coins_give_one_by_one() {
        let mut sm = rng::SplitMix::new(7, 11);
        use rand::Rng;
        for case in 0..400 {
            let mut w = Watch::default();
            let n = case % (WIDTH + 1);
            for k in 0..n {
                // Thresholds from "never" to "often", so that stretches are long and short.
                let p = [0.0, 1e-4, 0.003, 0.02, 0.2][(case + k) % 5];
                let key: u64 = sm.next_u64();
                assert!(w.push(key, (p * 18_446_744_073_709_551_616.0) as u64));
            }
            assert_eq!(w.len(), n);
            let citizen: u64 = sm.next_u64();
            let from = case % 37;
            let until = from + case % 301;
            let got = w.first_fired(citizen, from, until);
            assert_eq!(got, one_by_one(&w, citizen, from, until), "case {case}");
            assert_eq!(
                first_fired_in(
                    &w.keys[..n],
                    &w.thresholds[..n],
                    citizen,
                    from,
                    until.max(from)
                ),
                got.min(until),
                "portable, case {case}"
            );
        }
    }

    #[test]
    fn holds_at_most_its_width_and_truncates() {
        let mut w = Watch::default();
        for k in 0..WIDTH as u64 {
            assert!(w.push(k, u64::MAX));
        }
        assert!(!w.push(99, u64::MAX));
        assert_eq!(w.first_fired(1, 5, 9), 5, "a coin that always fires");
        w.truncate(0);
        assert_eq!(w.first_fired(1, 5, 9), 9, "no coin: nothing fires");
        assert_eq!(w.first_fired(1, 9, 5), 5, "an empty range");
    }
}
