//! The table-driven fast path: a cycle of a model whose course states are left by shared exit
//! tables alone (no services, refusion clock, life course, clocks or housing moves) is only the
//! exit choice of the general path — the same [`fired`] and [`pick`] on the same
//! [`StaticExits`] tables, the same flow counters.
//!
//! A cycle is, per citizen present: its cycle bits and one uniform per exit of its state,
//! compared with the exits' thresholds (a bit mask of the exits that fire); the fired exit, or
//! — rarely, when several fired — the one with the shortest waiting time ([`pick`]); the new
//! state; and the code of the move, if any. The moves are counted once every citizen of the
//! block has chosen.
//!
//! Where the CPU has AVX-512 (checked at run time) eight citizens go through this at once with
//! exactly the same integer arithmetic, so every state and every count is identical bit for bit
//! to those of the one-at-a-time loop ([`portable_cycle`]), which is the reference and runs on
//! other CPUs and for the last few citizens of a block. Almost all of the work is the hashing,
//! and neither form branches on anything random but the rare several-fired case.

use super::compile::CArm;
use super::exits::{self, Exit, StaticExits, fired, pick};
use super::{ArmCounts, Layout};
use crate::rng;

/// The exit tables of the table-driven fast path, one row per (course state, participation):
/// the state's shared exits ([`StaticExits`]) padded to the widest state's with exits that
/// never fire (threshold 0), and the destination of each exit followed by the state itself
/// (index `width`: nothing fired). Every citizen thus flips the same number of coins, with no
/// branch on the state's number of exits or on which coins came up.
pub(super) struct FastTables {
    /// Exits per row.
    width: usize,
    /// Rows: 2 × course states.
    rows: usize,
    /// Per row, per exit: the exit's key (0 for padding).
    keys: Vec<u64>,
    /// Per row, per exit: the shared exit (threshold 0 for padding).
    exits: Vec<Exit>,
    /// Per row: the destination of each exit, then the state itself.
    to: Vec<u16>,
}

impl FastTables {
    /// The tables of the course chain, or None when a course state's exits depend on the
    /// citizen or on a planned length (then the general path runs).
    pub(super) fn new(carm: &CArm, tables: &StaticExits) -> Option<FastTables> {
        let states = carm.chains.first()?;
        let width = states.iter().map(|s| s.edges.len()).max().unwrap_or(0);
        if width > exits::MASK_EXITS {
            return None;
        }
        let rows = 2 * states.len();
        let mut t = FastTables {
            width,
            rows,
            keys: vec![0; rows * width],
            exits: vec![Exit::default(); rows * width],
            to: Vec::with_capacity(rows * (width + 1)),
        };
        for (s, cst) in states.iter().enumerate() {
            if cst.on_max.is_some() || cst.max_months.is_some() {
                return None;
            }
            for p in [false, true] {
                let row = 2 * s + p as usize;
                if !cst.edges.is_empty() {
                    let (shared, _) = tables.get(0, s as u16, p)?;
                    t.exits[row * width..row * width + shared.len()].copy_from_slice(shared);
                    t.keys[row * width..row * width + shared.len()].copy_from_slice(&cst.keys);
                }
                t.to.extend(cst.edges.iter().map(|e| e.to));
                t.to.extend(std::iter::repeat_n(s as u16, width + 1 - cst.edges.len()));
            }
        }
        Some(t)
    }

    /// The keys and exits of one row.
    #[inline(always)]
    fn row(&self, row: usize) -> (&[u64], &[Exit]) {
        let w = self.width;
        (
            &self.keys[row * w..(row + 1) * w],
            &self.exits[row * w..(row + 1) * w],
        )
    }
}

/// The row of a citizen in state `state` of booking class `class` (bit 0: participant).
#[inline(always)]
fn row_of(state: u16, class: u16) -> usize {
    2 * state as usize + (class & 1) as usize
}

/// Where the moves of a cycle are counted: the course chain's flow cells of the cycle are
/// `flows[base + code]` with code = (from·size + to)·classes + class (see [`Layout::flow_ix`]).
#[derive(Clone, Copy)]
struct FlowCells {
    base: usize,
    size: usize,
    classes: usize,
}

impl FlowCells {
    /// The code of a move of a citizen of class `class` from `from` to `to`.
    #[inline(always)]
    fn code(&self, from: u16, to: u16, class: u16) -> u64 {
        ((from as usize * self.size + to as usize) * self.classes + class as usize) as u64
    }
}

/// One cycle of the fast path for the citizens present in a block: `course` their states,
/// `class` their booking classes, `keys` their random-number keys. `moves` is scratch space for
/// the codes of the cycle's moves, counted once every citizen has chosen.
#[allow(clippy::too_many_arguments)]
pub(super) fn fast_cycle(
    fast: &FastTables,
    course: &mut [u16],
    class: &[u16],
    keys: &[u64],
    m: usize,
    lay: &Layout,
    counts: &mut ArmCounts,
    moves: &mut Vec<u64>,
) {
    let cells = FlowCells {
        base: lay.flow_ix(m, 0, 0, 0, 0),
        size: lay.chain_size[0],
        classes: lay.n_classes,
    };
    let cycle = m as u32;
    moves.clear();
    // The citizens the vector form did (a multiple of eight; none on other CPUs).
    #[cfg(target_arch = "x86_64")]
    let done = if avx512::usable(fast) {
        // SAFETY: `usable` checked that the CPU has the features `cycle` is compiled for.
        unsafe { avx512::cycle(fast, course, class, keys, cycle, cells, moves) }
    } else {
        0
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    portable_cycle(
        fast,
        &mut course[done..],
        &class[done..],
        &keys[done..],
        cycle,
        cells,
        moves,
    );
    let flows = &mut counts.flows[cells.base..];
    for &code in moves.iter() {
        flows[code as usize] += 1;
    }
}

/// The cycle one citizen at a time: each citizen's exit by [`fired`] and [`pick`] on its row,
/// the move's code pushed to `moves`. The reference the vector form must equal, and what runs
/// on a CPU without AVX-512.
fn portable_cycle(
    fast: &FastTables,
    course: &mut [u16],
    class: &[u16],
    keys: &[u64],
    cycle: u32,
    cells: FlowCells,
    moves: &mut Vec<u64>,
) {
    let w = fast.width;
    for ((st, &cl), &key) in course.iter_mut().zip(class).zip(keys) {
        let row = row_of(*st, cl);
        let (ks, ex) = fast.row(row);
        let bits = rng::cycle_bits(key, cycle);
        if let Some(k) = pick(fired(ks, ex, bits), ks, ex, || bits) {
            let dest = fast.to[row * (w + 1) + k];
            moves.push(cells.code(*st, dest, cl));
            *st = dest;
        }
    }
}

/// [`portable_cycle`] eight citizens at a time with AVX-512, with exactly the same integer
/// arithmetic: SplitMix64 on eight 64-bit lanes (`vpmullq` is a wrapping 64-bit multiply like
/// `wrapping_mul`), each lane's key and threshold of exit k taken from its row by a
/// permutation of a 16-entry table, the fired exit found by counting zeros, the destination
/// gathered from the same `to` table, and the moves' codes packed in citizen order. A citizen
/// for whom several exits fired (rare) is settled by the same [`pick`].
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{FastTables, FlowCells, pick};
    use crate::rng;
    use std::arch::x86_64::*;

    /// The most rows (2 × course states) whose tables fit the permutation.
    const MAX_ROWS: usize = 16;

    /// Whether the vector form can run: a CPU with AVX-512 F, DQ and CD, and at most
    /// [`MAX_ROWS`] rows.
    pub(super) fn usable(fast: &FastTables) -> bool {
        fast.rows <= MAX_ROWS
            && std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512cd")
    }

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

    /// The cycle of the first multiple of eight citizens; returns how many it did. The codes
    /// of their moves are in `moves`, in citizen order.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, DQ and CD, and the table at most [`MAX_ROWS`] rows.
    #[target_feature(enable = "avx512f,avx512dq,avx512cd")]
    pub(super) unsafe fn cycle(
        fast: &FastTables,
        course: &mut [u16],
        class: &[u16],
        keys: &[u64],
        cycle: u32,
        cells: FlowCells,
        moves: &mut Vec<u64>,
    ) -> usize {
        let w = fast.width;
        // Per exit k: its key and threshold in each row, as two vectors of eight rows.
        let table = |pick: &dyn Fn(usize) -> u64| -> Vec<[__m512i; 2]> {
            (0..w)
                .map(|k| {
                    let mut v = [0u64; MAX_ROWS];
                    for (row, x) in v.iter_mut().enumerate().take(fast.rows) {
                        *x = pick(row * w + k);
                    }
                    // SAFETY: each half is 8 initialised u64, read unaligned.
                    unsafe {
                        [
                            _mm512_loadu_si512(v.as_ptr().cast()),
                            _mm512_loadu_si512(v.as_ptr().add(8).cast()),
                        ]
                    }
                })
                .collect()
        };
        let exit_keys = table(&|i| fast.keys[i]);
        let thresholds = table(&|i| fast.exits[i].threshold);
        // Up to 32 destinations fit two vectors of 32-bit entries, looked up by a permutation
        // (cheaper than a gather); more are gathered from 64-bit entries.
        let to_small = (fast.to.len() <= 32).then(|| {
            let mut v = [0u32; 32];
            for (x, &t) in v.iter_mut().zip(&fast.to) {
                *x = t as u32;
            }
            // SAFETY: each half is 16 initialised u32, read unaligned.
            unsafe {
                [
                    _mm512_loadu_si512(v.as_ptr().cast()),
                    _mm512_loadu_si512(v.as_ptr().add(16).cast()),
                ]
            }
        });
        let to: Vec<i64> = match to_small {
            Some(_) => Vec::new(),
            None => fast.to.iter().map(|&s| s as i64).collect(),
        };
        let low32 = _mm512_set1_epi64(0xFFFF_FFFF);
        let n = course.len().min(class.len()).min(keys.len()) / 8 * 8;
        // Every lane of a block of eight is stored; only the movers' lanes are kept.
        let start = moves.len();
        moves.resize(start + n + 8, 0);
        let mut kept = start;
        let (zero, one) = (_mm512_setzero_si512(), _mm512_set1_epi64(1));
        let width = _mm512_set1_epi64(w as i64);
        let offset = _mm512_set1_epi64(rng::cycle_offset(cycle) as i64);
        for c in (0..n).step_by(8) {
            // SAFETY: c + 8 <= n <= the length of every slice read or written here, and
            // `moves` has 8 cells beyond the last kept code.
            unsafe {
                let st = _mm512_cvtepu16_epi64(_mm_loadu_si128(course.as_ptr().add(c).cast()));
                let cl = _mm512_cvtepu16_epi64(_mm_loadu_si128(class.as_ptr().add(c).cast()));
                let row = _mm512_add_epi64(_mm512_add_epi64(st, st), _mm512_and_si512(cl, one));
                let key = _mm512_loadu_si512(keys.as_ptr().add(c).cast());
                let bits = mix(_mm512_add_epi64(key, offset));
                let mut fired = zero;
                for (k, (ek, th)) in exit_keys.iter().zip(&thresholds).enumerate() {
                    let ek = _mm512_permutex2var_epi64(ek[0], row, ek[1]);
                    let th = _mm512_permutex2var_epi64(th[0], row, th[1]);
                    let u = mix(_mm512_xor_si512(bits, ek));
                    let hit = _mm512_cmplt_epu64_mask(u, th);
                    fired = _mm512_mask_or_epi64(fired, hit, fired, _mm512_set1_epi64(1 << k));
                }
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
                    _mm512_storeu_si512(ks.as_mut_ptr().cast(), k);
                    _mm512_storeu_si512(masks.as_mut_ptr().cast(), fired);
                    for j in (0..8).filter(|j| several & (1 << j) != 0) {
                        let (rk, rx) = fast.row(super::row_of(course[c + j], class[c + j]));
                        let bits = || rng::cycle_bits(keys[c + j], cycle);
                        ks[j] = pick(masks[j], rk, rx, bits).unwrap_or(w) as i64;
                    }
                    k = _mm512_loadu_si512(ks.as_ptr().cast());
                }
                // Products of small numbers: the 32 × 32 → 64-bit multiply is exact.
                let at =
                    _mm512_add_epi64(_mm512_mul_epu32(row, _mm512_set1_epi64(w as i64 + 1)), k);
                let dest = match to_small {
                    // Each index's low 32-bit lane picks the destination; the high lane is 0.
                    Some([lo, hi]) => {
                        _mm512_and_si512(_mm512_permutex2var_epi32(lo, at, hi), low32)
                    }
                    None => _mm512_i64gather_epi64(at, to.as_ptr(), 8),
                };
                _mm_storeu_si128(
                    course.as_mut_ptr().add(c).cast(),
                    _mm512_cvtepi64_epi16(dest),
                );
                let moved = _mm512_cmplt_epu64_mask(k, width);
                let from_to = _mm512_add_epi64(
                    _mm512_mul_epu32(st, _mm512_set1_epi64(cells.size as i64)),
                    dest,
                );
                let code = _mm512_add_epi64(
                    _mm512_mul_epu32(from_to, _mm512_set1_epi64(cells.classes as i64)),
                    cl,
                );
                _mm512_storeu_si512(
                    moves.as_mut_ptr().add(kept).cast(),
                    _mm512_maskz_compress_epi64(moved, code),
                );
                kept += moved.count_ones() as usize;
            }
        }
        moves.truncate(kept);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// Tables of `states` states with `width` exits each, some padded, with random thresholds
    /// spanning never, rare, common and certain.
    fn tables(states: usize, width: usize, seed: u64) -> FastTables {
        let mut r = rng::SplitMix::new(seed, 1);
        let mut next = || r.next_u64();
        let rows = 2 * states;
        let mut keys = vec![0; rows * width];
        let mut exits = vec![Exit::default(); rows * width];
        for row in 0..rows {
            let used = (next() as usize) % (width + 1);
            for k in 0..used {
                keys[row * width + k] = next();
                exits[row * width + k].threshold = match next() % 4 {
                    0 => 0,
                    1 => next() >> 8,
                    2 => next(),
                    _ => u64::MAX,
                };
            }
        }
        FastTables {
            width,
            rows,
            keys,
            exits,
            to: vec![0; rows * (width + 1)],
        }
    }

    /// A cycle of [`fast_cycle`]'s vector form (where the CPU has it) leaves every citizen in
    /// the same state and records the same moves in the same order as [`portable_cycle`],
    /// for tables of 1 to 8 states (permutation) and 9 (portable only), widths 0 to 7 and
    /// cohorts that are not a multiple of eight.
    #[test]
    fn the_vector_cycle_equals_the_portable_loop() {
        let (mut moved, mut several) = (0, 0);
        for states in [1, 2, 4, 7, 8, 9] {
            for width in 0..8 {
                let mut fast = tables(states, width, (states * 31 + width) as u64);
                let mut r = rng::SplitMix::new(7, (states + width) as u64);
                let mut next = || r.next_u64();
                // Random destinations, and the state itself where nothing fired.
                fast.to = (0..fast.rows * (width + 1))
                    .map(|i| match i % (width + 1) {
                        k if k == width => (i / (width + 1) / 2) as u16,
                        _ => (next() % states as u64) as u16,
                    })
                    .collect();
                let n = 1003;
                let course: Vec<u16> = (0..n).map(|_| (next() % states as u64) as u16).collect();
                let class: Vec<u16> = (0..n).map(|_| (next() % 6) as u16).collect();
                let keys: Vec<u64> = (0..n).map(|_| next()).collect();
                let cells = FlowCells {
                    base: 0,
                    size: states,
                    classes: 6,
                };
                for cycle in [0, 1, 30, 299] {
                    let lay = Layout::new(vec![states], cycle as usize + 1, 6, 1);
                    let mut counts = ArmCounts {
                        flows: vec![0; lay.horizon * lay.n_flows * 6],
                        ..ArmCounts::default()
                    };
                    let (mut got, mut want) = (course.clone(), course.clone());
                    let (mut got_moves, mut want_moves) = (Vec::new(), Vec::new());
                    fast_cycle(
                        &fast,
                        &mut got,
                        &class,
                        &keys,
                        cycle as usize,
                        &lay,
                        &mut counts,
                        &mut got_moves,
                    );
                    portable_cycle(
                        &fast,
                        &mut want,
                        &class,
                        &keys,
                        cycle,
                        cells,
                        &mut want_moves,
                    );
                    assert_eq!(got, want, "{states} states, width {width}, cycle {cycle}");
                    assert_eq!(got_moves, want_moves, "{states} states, width {width}");
                    // Every move is counted once, in its cycle's cells.
                    let counted: u32 = counts.flows[lay.flow_ix(cycle as usize, 0, 0, 0, 0)..]
                        .iter()
                        .sum();
                    assert_eq!(counted as usize, want_moves.len());
                    moved += want_moves.len();
                    several += (0..n)
                        .filter(|&i| {
                            let (ks, ex) = fast.row(row_of(course[i], class[i]));
                            fired(ks, ex, rng::cycle_bits(keys[i], cycle)).count_ones() > 1
                        })
                        .count();
                }
            }
        }
        // The comparison saw many moves, and citizens for whom several exits fired.
        assert!(moved > 10_000 && several > 1_000, "{moved} {several}");
    }
}
