//! [`portable_row`](super::portable_row) eight citizens at a time with AVX-512, with exactly
//! the same integer arithmetic: SplitMix64 on eight 64-bit lanes (`vpmullq` is a wrapping
//! 64-bit multiply like `wrapping_mul`) against the row's keys and thresholds, the fired exit
//! found by counting zeros, the move's code and the new row looked up by permutations of small
//! tables, and the movers' codes and each new row's citizens packed in citizen order. A
//! citizen for whom several exits fired (rare) is settled by the same [`pick`].

use super::super::simd::mix8 as mix;
use super::{Citizens, Present, Row, RowCycle, pick};
use crate::rng;
use std::arch::x86_64::*;

/// The most exits of a row the vector form takes: a citizen's exit index (0 to the width,
/// the width meaning none fired) picks from eight-entry tables.
const MAX_WIDTH: usize = 7;

/// Whether the vector form can run for a row: a CPU with AVX-512 F, DQ and CD, and at
/// most [`MAX_WIDTH`] exits.
pub(super) fn usable(row: &Row) -> bool {
    row.exits.len() <= MAX_WIDTH
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512cd")
}

/// What every group of eight citizens of a row reads.
struct Lanes<'a> {
    x: RowCycle<'a>,
    row: &'a Row,
    /// The row's exits' keys and thresholds, broadcast.
    keys: [__m512i; MAX_WIDTH],
    thresholds: [__m512i; MAX_WIDTH],
    offset: __m512i,
    /// Per exit index: the move's code but the class (see `FlowCells::code`).
    code: __m512i,
    /// Per exit index: which of the row's `next_rows` the citizen goes to.
    dest_ix: __m512i,
}

/// The first multiple of eight citizens of row `x.row`; returns how many it did. Their
/// moves' codes are appended to `moves` and they themselves to their new rows of `next`,
/// in citizen order.
///
/// Four groups of eight lanes go through each step together (hash, then each exit's coin,
/// then the rest one group after the other): the steps of one group wait on each other's
/// multiplications, those of four groups do not.
///
/// # Safety
/// The CPU must have AVX-512 F, DQ and CD, and the row at most [`MAX_WIDTH`] exits.
#[target_feature(enable = "avx512f,avx512dq,avx512cd")]
pub(super) unsafe fn row(
    x: RowCycle,
    citizens: &Citizens,
    next: &mut Present,
    moves: &mut Vec<u64>,
) -> usize {
    let row = &x.fast.rows[x.row];
    let (mut code, mut dest_ix) = ([0u64; 8], [0u64; 8]);
    for (k, &d) in row.to.iter().enumerate() {
        code[k] = x.cells.code(row.state, d, 0);
    }
    for (k, &i) in row.dest_ix.iter().enumerate() {
        dest_ix[k] = i as u64;
    }
    // SAFETY: eight initialised u64 each, read unaligned.
    let load = |v: &[u64; 8]| unsafe { _mm512_loadu_si512(v.as_ptr().cast()) };
    let lanes = Lanes {
        x,
        row,
        keys: std::array::from_fn(|k| _mm512_set1_epi64(row.keys.get(k).map_or(0, |&v| v as i64))),
        thresholds: std::array::from_fn(|k| {
            _mm512_set1_epi64(row.exits.get(k).map_or(0, |e| e.threshold as i64))
        }),
        offset: _mm512_set1_epi64(rng::cycle_offset(x.cycle) as i64),
        code: load(&code),
        dest_ix: load(&dest_ix),
    };
    let n = citizens.key.len().min(citizens.class.len()) / 8 * 8;
    // Room for every citizen of the row in each list it can be appended to, and eight
    // cells beyond (see `append64`), so that the groups never check.
    moves.reserve(n + 8);
    for &r in row.next_rows.iter().flatten() {
        next.rows[r].class.reserve(n + 8);
        next.rows[r].key.reserve(n + 8);
    }
    let mut c = 0;
    while c + 32 <= n {
        // SAFETY: c + 32 <= n, and the CPU has the features (this function's contract).
        unsafe { groups::<4>(&lanes, citizens, c, next, moves) };
        c += 32;
    }
    while c < n {
        // SAFETY: c + 8 <= n, as above.
        unsafe { groups::<1>(&lanes, citizens, c, next, moves) };
        c += 8;
    }
    n
}

/// Append the lanes of `v` that `keep` selects, in lane order, to `out`.
///
/// # Safety
/// `out` must have room for eight more cells (the store writes eight, of which the first
/// `keep.count_ones()` are kept).
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn append64(out: &mut Vec<u64>, keep: __mmask8, v: __m512i) {
    debug_assert!(out.capacity() - out.len() >= 8);
    let len = out.len();
    // SAFETY: the caller's contract.
    unsafe {
        _mm512_storeu_si512(
            out.as_mut_ptr().add(len).cast(),
            _mm512_maskz_compress_epi64(keep, v),
        );
        out.set_len(len + keep.count_ones() as usize);
    }
}

/// [`append64`] for values below 2¹⁶ appended as `u16`.
///
/// # Safety
/// As for [`append64`].
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn append16(out: &mut Vec<u16>, keep: __mmask8, v: __m512i) {
    debug_assert!(out.capacity() - out.len() >= 8);
    let len = out.len();
    // SAFETY: the caller's contract.
    unsafe {
        _mm_storeu_si128(
            out.as_mut_ptr().add(len).cast(),
            _mm512_cvtepi64_epi16(_mm512_maskz_compress_epi64(keep, v)),
        );
        out.set_len(len + keep.count_ones() as usize);
    }
}

/// `G` groups of eight citizens of a row from `c` on.
///
/// # Safety
/// The CPU must have AVX-512 F, DQ and CD; `c + 8·G` is at most the row's citizens; `moves`
/// and the lists of every row in the row's `next_rows` have room for these citizens and
/// eight cells beyond.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512cd")]
unsafe fn groups<const G: usize>(
    lanes: &Lanes,
    citizens: &Citizens,
    c: usize,
    next: &mut Present,
    moves: &mut Vec<u64>,
) {
    let row = lanes.row;
    let w = row.exits.len();
    let (zero, one) = (_mm512_setzero_si512(), _mm512_set1_epi64(1));
    let width = _mm512_set1_epi64(w as i64);
    let mut cl = [zero; G];
    let mut key = [zero; G];
    let mut bits = [zero; G];
    for g in 0..G {
        let at = c + 8 * g;
        // SAFETY: at + 8 <= the row's citizens (the contract).
        unsafe {
            cl[g] = _mm512_cvtepu16_epi64(_mm_loadu_si128(citizens.class.as_ptr().add(at).cast()));
            key[g] = _mm512_loadu_si512(citizens.key.as_ptr().add(at).cast());
        }
        bits[g] = mix(_mm512_add_epi64(key[g], lanes.offset));
    }
    let mut fired = [zero; G];
    for k in 0..w {
        let bit = _mm512_set1_epi64(1 << k);
        for g in 0..G {
            let u = mix(_mm512_xor_si512(bits[g], lanes.keys[k]));
            let hit = _mm512_cmplt_epu64_mask(u, lanes.thresholds[k]);
            fired[g] = _mm512_mask_or_epi64(fired[g], hit, fired[g], bit);
        }
    }
    for g in 0..G {
        let at = c + 8 * g;
        let fired = fired[g];
        // The exit: the lowest fired bit (63 − leading zeros of that bit), w if none.
        let lowest = _mm512_and_si512(fired, _mm512_sub_epi64(zero, fired));
        let none = _mm512_cmpeq_epi64_mask(fired, zero);
        let mut k = _mm512_mask_mov_epi64(
            _mm512_sub_epi64(_mm512_set1_epi64(63), _mm512_lzcnt_epi64(lowest)),
            none,
            width,
        );
        let several = _mm512_test_epi64_mask(fired, _mm512_sub_epi64(fired, one)) & !none;
        if several != 0 {
            let mut ks = [0i64; 8];
            let mut masks = [0u64; 8];
            // SAFETY: both arrays hold eight 64-bit lanes.
            unsafe {
                _mm512_storeu_si512(ks.as_mut_ptr().cast(), k);
                _mm512_storeu_si512(masks.as_mut_ptr().cast(), fired);
            }
            for j in (0..8).filter(|j| several & (1 << j) != 0) {
                let bits = || rng::cycle_bits(citizens.key[at + j], lanes.x.cycle);
                ks[j] = pick(masks[j], &row.keys, &row.exits, bits).unwrap_or(w) as i64;
            }
            // SAFETY: eight 64-bit lanes.
            k = unsafe { _mm512_loadu_si512(ks.as_ptr().cast()) };
        }
        let moved = _mm512_cmplt_epu64_mask(k, width);
        let code = _mm512_add_epi64(_mm512_permutexvar_epi64(k, lanes.code), cl[g]);
        // SAFETY: room for these citizens and eight beyond (the contract).
        unsafe { append64(moves, moved, code) };
        let dest = _mm512_permutexvar_epi64(k, lanes.dest_ix);
        for (i, to) in row.next_rows.iter().enumerate() {
            if let Some(r) = *to {
                let goes = _mm512_cmpeq_epi64_mask(dest, _mm512_set1_epi64(i as i64));
                // SAFETY: as above.
                unsafe {
                    append16(&mut next.rows[r].class, goes, cl[g]);
                    append64(&mut next.rows[r].key, goes, key[g]);
                }
            }
        }
    }
}
