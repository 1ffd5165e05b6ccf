//! The coins of a settled citizen, looked at many cycles at once. In a settled stretch
//! ([`super::quiet`]) the citizen's exit thresholds stay the same from cycle to cycle, and its
//! death is watched at the highest threshold its ages reach in the stretch
//! ([`super::life::CLife::steady`]); only the coins change, and they are a function of the
//! citizen's key and the cycle alone ([`rng::cycle_bits`]). So the first cycle in which any
//! of them can fire is found by hashing eight cycles side by side, with the same integer
//! arithmetic as [`super::exits::fired`]: with AVX-512 or AVX2 where the CPU has them (checked
//! at run time), else in a portable loop, the same bits in every form.

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
    /// A coin did not fit: the watch vouches for no cycle.
    lost: bool,
}

impl Watch {
    /// How many coins it holds.
    pub(super) fn len(&self) -> usize {
        self.n
    }

    /// Add a coin; false when it holds [`WIDTH`] already: the coin is not added, and from
    /// then on [`Watch::first_fired`] vouches for no cycle.
    pub(super) fn push(&mut self, key: u64, threshold: u64) -> bool {
        if self.n == WIDTH {
            self.lost = true;
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
    /// random key `citizen`, or `until` when none does; `from` once a coin was lost.
    pub(super) fn first_fired(&self, citizen: u64, from: usize, until: usize) -> usize {
        if from >= until || self.lost {
            return from.min(until);
        }
        let (keys, thresholds) = (&self.keys[..self.n], &self.thresholds[..self.n]);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
            {
                // SAFETY: the CPU has the features, checked above.
                return unsafe { avx512::first_fired(keys, thresholds, citizen, from, until) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                return unsafe { avx2::first_fired(keys, thresholds, citizen, from, until) };
            }
        }
        first_fired_in(keys, thresholds, citizen, from, until)
    }
}

/// The portable form of [`Watch::first_fired`] (`from` < `until`), the reference of the vector
/// forms: eight cycles at a time, their random bits, then each coin on all eight. The lanes
/// past `until` are hashed too, and not looked at.
#[inline(always)]
fn first_fired_in(
    keys: &[u64],
    thresholds: &[u64],
    citizen: u64,
    from: usize,
    until: usize,
) -> usize {
    let mut t = from;
    first_of_blocks(from, until, || {
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
        t += LANES;
        hit.iter()
            .enumerate()
            .map(|(l, &h)| (h as u32) << l)
            .fold(0, |a, b| a | b)
    })
}

/// The loop of every form: `block` gives, for the next eight cycles from `from` on, a mask of
/// those in which a coin fired (bit l: the l-th of them); the first such cycle before `until`,
/// or `until`.
#[inline(always)]
fn first_of_blocks(from: usize, until: usize, mut block: impl FnMut() -> u32) -> usize {
    let mut t = from;
    while t < until {
        let hit = block();
        if hit != 0 {
            return (t + hit.trailing_zeros() as usize).min(until);
        }
        t += LANES;
    }
    until
}

/// The eight cycles' SplitMix64 counters from cycle `from`: what [`rng::cycle_bits`] mixes,
/// the citizen's key plus each cycle's offset. Eight cycles on, each lane is [`STRIDE`] further.
fn counters(citizen: u64, from: usize) -> [u64; LANES] {
    std::array::from_fn(|l| citizen.wrapping_add(rng::cycle_offset((from + l) as u32)))
}

/// What eight cycles add to a lane's counter (the offset of cycle 7 is 8 steps of the sequence).
const STRIDE: u64 = rng::cycle_offset(LANES as u32 - 1);

/// [`first_fired_in`] with AVX-512: the eight cycles in one vector, each coin a wrapping
/// 64-bit multiply per lane and an unsigned comparison.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::super::simd::mix8;
    use super::{STRIDE, counters, first_of_blocks};
    use std::arch::x86_64::*;

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
        let lanes = counters(citizen, from);
        // SAFETY: eight initialised u64, read unaligned.
        let mut z = unsafe { _mm512_loadu_si512(lanes.as_ptr().cast()) };
        let stride = _mm512_set1_epi64(STRIDE as i64);
        first_of_blocks(from, until, || {
            let bits = mix8(z);
            let mut hit: __mmask8 = 0;
            for (&key, &threshold) in keys.iter().zip(thresholds) {
                let u = mix8(_mm512_xor_si512(bits, _mm512_set1_epi64(key as i64)));
                hit |= _mm512_cmplt_epu64_mask(u, _mm512_set1_epi64(threshold as i64));
            }
            z = _mm512_add_epi64(z, stride);
            hit as u32
        })
    }
}

/// [`first_fired_in`] with AVX2: the eight cycles in two vectors of four, hashed together so
/// that the multiplications of one do not wait on the other's.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::super::simd::{Mix4, flip_top};
    use super::{STRIDE, counters, first_of_blocks};
    use std::arch::x86_64::*;

    /// See [`super::first_fired_in`] (`from` < `until`).
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn first_fired(
        keys: &[u64],
        thresholds: &[u64],
        citizen: u64,
        from: usize,
        until: usize,
    ) -> usize {
        let mix = Mix4::new();
        let lanes = counters(citizen, from);
        // SAFETY: four initialised u64 each, read unaligned.
        let load = |at: usize| unsafe { _mm256_loadu_si256(lanes[at..].as_ptr().cast()) };
        let mut z = [load(0), load(4)];
        let stride = _mm256_set1_epi64x(STRIDE as i64);
        first_of_blocks(from, until, || {
            let bits = z.map(|z| mix.mix(z));
            let mut hit = [_mm256_setzero_si256(); 2];
            for (&key, &threshold) in keys.iter().zip(thresholds) {
                let key = _mm256_set1_epi64x(key as i64);
                let threshold = flip_top(_mm256_set1_epi64x(threshold as i64));
                for (h, &b) in hit.iter_mut().zip(&bits) {
                    let u = flip_top(mix.mix(_mm256_xor_si256(b, key)));
                    *h = _mm256_or_si256(*h, _mm256_cmpgt_epi64(threshold, u));
                }
            }
            z = z.map(|z| _mm256_add_epi64(z, stride));
            let mask = |h: __m256i| _mm256_movemask_pd(_mm256_castsi256_pd(h)) as u32;
            mask(hit[0]) | mask(hit[1]) << 4
        })
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

    /// What each form the CPU has finds (`from` < `until`).
    fn every_form(w: &Watch, citizen: u64, from: usize, until: usize) -> Vec<(&str, usize)> {
        let (k, th) = (&w.keys[..w.n], &w.thresholds[..w.n]);
        let mut forms = Vec::new();
        if from < until {
            forms.push(("portable", first_fired_in(k, th, citizen, from, until)));
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2.
                    let got = unsafe { avx2::first_fired(k, th, citizen, from, until) };
                    forms.push(("avx2", got));
                }
                if std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                {
                    // SAFETY: the CPU has AVX-512 F and DQ.
                    let got = unsafe { avx512::first_fired(k, th, citizen, from, until) };
                    forms.push(("avx512", got));
                }
            }
        }
        forms
    }

    /// Every form finds the cycle the coins give one by one, for 0 to [`WIDTH`] coins of
    /// thresholds from never to often and stretches from none to 300 cycles.
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
            let want = one_by_one(&w, citizen, from, until);
            assert_eq!(w.first_fired(citizen, from, until), want, "case {case}");
            for (form, got) in every_form(&w, citizen, from, until) {
                assert_eq!(got, want, "{form}, case {case}");
            }
        }
    }

    /// A coin fires when its uniform is below its threshold, not at it (as in [`fired`]): in
    /// every form, a coin whose threshold is its own uniform in one cycle fires only where its
    /// uniform is lower.
    #[test]
    fn a_coin_at_its_threshold_does_not_fire() {
        for citizen in 0..50u64 {
            let key = rng::name_key("course:a->b");
            let at = 3 + citizen as usize % 20;
            let mut w = Watch::default();
            w.push(key, rng::mix64(rng::cycle_bits(citizen, at as u32) ^ key));
            let want = one_by_one(&w, citizen, at, at + 40);
            assert_ne!(want, at, "citizen {citizen}");
            assert_eq!(w.first_fired(citizen, at, at + 40), want);
            for (form, got) in every_form(&w, citizen, at, at + 40) {
                assert_eq!(got, want, "{form}, citizen {citizen}");
            }
        }
    }

    #[test]
    fn holds_at_most_its_width_and_truncates() {
        let mut w = Watch::default();
        for k in 0..WIDTH as u64 {
            assert!(w.push(k, u64::MAX));
        }
        assert_eq!(w.first_fired(1, 5, 9), 5, "a coin that always fires");
        w.truncate(0);
        assert_eq!(w.first_fired(1, 5, 9), 9, "no coin: nothing fires");
        assert_eq!(w.first_fired(1, 9, 5), 5, "an empty range");
        for _ in 0..WIDTH {
            assert!(w.push(7, 0));
        }
        assert_eq!(w.first_fired(1, 5, 9), 9, "coins that never fire");
        assert!(!w.push(99, 0));
        assert_eq!(
            w.first_fired(1, 5, 9),
            5,
            "a coin lost: no cycle vouched for"
        );
        w.truncate(0);
        assert_eq!(w.first_fired(1, 5, 9), 5, "still lost");
    }
}
