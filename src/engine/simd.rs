//! SplitMix64's output function ([`rng::mix64`]) on vector lanes, for the vector forms of the
//! fast path ([`super::fast`]) and of the settled stretches' watch ([`super::watch`]): the same
//! integer arithmetic as the scalar function, so every coin is the same bit for bit.

use crate::rng;
use std::arch::x86_64::*;

/// [`rng::mix64`] on eight lanes with AVX-512 (`vpmullq` is a wrapping 64-bit multiply like
/// `wrapping_mul`).
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
pub(super) fn mix8(z: __m512i) -> __m512i {
    let [a, b] = rng::MIX_MULTIPLIERS;
    let z = _mm512_xor_si512(z, _mm512_srli_epi64::<30>(z));
    let z = _mm512_mullo_epi64(z, _mm512_set1_epi64(a as i64));
    let z = _mm512_xor_si512(z, _mm512_srli_epi64::<27>(z));
    let z = _mm512_mullo_epi64(z, _mm512_set1_epi64(b as i64));
    _mm512_xor_si512(z, _mm512_srli_epi64::<31>(z))
}

/// [`rng::mix64`] on four lanes with AVX2, which has no 64-bit multiply: each is made of
/// three 32-bit ones (`vpmuludq`), whose sum has the same low 64 bits as `wrapping_mul`.
#[derive(Clone, Copy)]
pub(super) struct Mix4 {
    mul: [Multiplier; 2],
}

impl Mix4 {
    /// The multipliers of [`rng::mix64`], broadcast.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn new() -> Mix4 {
        let [a, b] = rng::MIX_MULTIPLIERS;
        Mix4 {
            mul: [Multiplier::new(a), Multiplier::new(b)],
        }
    }

    /// [`rng::mix64`] of each lane of `z`.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn mix(self, z: __m256i) -> __m256i {
        let z = _mm256_xor_si256(z, _mm256_srli_epi64::<30>(z));
        let z = self.mul[0].times(z);
        let z = _mm256_xor_si256(z, _mm256_srli_epi64::<27>(z));
        let z = self.mul[1].times(z);
        _mm256_xor_si256(z, _mm256_srli_epi64::<31>(z))
    }
}

/// A 64-bit multiplier as the two 32-bit halves `vpmuludq` reads, each broadcast.
#[derive(Clone, Copy)]
struct Multiplier {
    lo: __m256i,
    hi: __m256i,
}

impl Multiplier {
    #[inline]
    #[target_feature(enable = "avx2")]
    fn new(m: u64) -> Multiplier {
        Multiplier {
            lo: _mm256_set1_epi64x((m & 0xffff_ffff) as i64),
            hi: _mm256_set1_epi64x((m >> 32) as i64),
        }
    }

    /// `z.wrapping_mul(m)` on four lanes: lo(z)·lo(m) + ((hi(z)·lo(m) + lo(z)·hi(m)) << 32),
    /// everything modulo 2⁶⁴ (the product hi(z)·hi(m) lies wholly above bit 63).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn times(self, z: __m256i) -> __m256i {
        let low = _mm256_mul_epu32(z, self.lo);
        let cross = _mm256_add_epi64(
            _mm256_mul_epu32(_mm256_srli_epi64::<32>(z), self.lo),
            _mm256_mul_epu32(z, self.hi),
        );
        _mm256_add_epi64(low, _mm256_slli_epi64::<32>(cross))
    }
}

/// `z` with the top bit of each 64-bit lane flipped: AVX2 compares only signed lanes, and two
/// sides so flipped compare signed as the originals do unsigned.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn flip_top(z: __m256i) -> __m256i {
    _mm256_xor_si256(z, _mm256_set1_epi64x(i64::MIN))
}
