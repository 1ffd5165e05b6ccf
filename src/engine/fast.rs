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
    /// Per exit: its key and threshold in each of the first [`VECTOR_ROWS`] rows (0 beyond
    /// the last row), the vector form's tables.
    by_exit: Vec<[[u64; VECTOR_ROWS]; 2]>,
    /// Bit s: nothing leaves course state s (for the first 64 states).
    finished: u64,
}

/// The most rows (2 × course states) whose tables the vector form looks up by permutation.
const VECTOR_ROWS: usize = 16;

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
            by_exit: Vec::new(),
            finished: 0,
        };
        for (s, cst) in states.iter().enumerate() {
            if cst.on_max.is_some() || cst.max_months.is_some() {
                return None;
            }
            if cst.edges.is_empty() && s < 64 {
                t.finished |= 1 << s;
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
        t.by_exit = t.columns();
        Some(t)
    }

    /// Each exit's key and threshold by row, for the first [`VECTOR_ROWS`] rows.
    fn columns(&self) -> Vec<[[u64; VECTOR_ROWS]; 2]> {
        let w = self.width;
        (0..w)
            .map(|k| {
                let [mut keys, mut thresholds] = [[0; VECTOR_ROWS]; 2];
                let rows = self.rows.min(VECTOR_ROWS);
                for (row, (key, th)) in keys.iter_mut().zip(&mut thresholds).take(rows).enumerate()
                {
                    *key = self.keys[row * w + k];
                    *th = self.exits[row * w + k].threshold;
                }
                [keys, thresholds]
            })
            .collect()
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

/// The citizens of a block the fast path still moves, in id order: their course states,
/// booking classes and random-number keys. Citizens who reach a state that nothing leaves are
/// dropped (unless an observer looks at every citizen): they never move again, and only moves
/// are counted.
#[derive(Default)]
pub(super) struct Present {
    pub(super) state: Vec<u16>,
    pub(super) class: Vec<u16>,
    pub(super) key: Vec<u64>,
}

impl Present {
    /// An empty set with room for `n` citizens.
    pub(super) fn with_capacity(n: usize) -> Present {
        Present {
            state: Vec::with_capacity(n),
            class: Vec::with_capacity(n),
            key: Vec::with_capacity(n),
        }
    }

    /// A citizen who enters.
    pub(super) fn push(&mut self, state: u16, class: u16, key: u64) {
        self.state.push(state);
        self.class.push(class);
        self.key.push(key);
    }

    /// Keep the first `n`.
    fn truncate(&mut self, n: usize) {
        self.state.truncate(n);
        self.class.truncate(n);
        self.key.truncate(n);
    }
}

/// One cycle of the fast path for the citizens `present` in a block. With `drop` true the
/// citizens who reach a state nothing leaves are removed from `present`. `moves` is scratch
/// space for the codes of the cycle's moves, counted once every citizen has chosen.
pub(super) fn fast_cycle(
    fast: &FastTables,
    present: &mut Present,
    drop: bool,
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
    let cycle = Cycle {
        cycle: m as u32,
        cells,
        finished: if drop { fast.finished } else { 0 },
    };
    moves.clear();
    // The citizens the vector form did (a multiple of eight; none on other CPUs) and how many
    // of them are still present, at the start.
    #[cfg(target_arch = "x86_64")]
    let (done, kept) = if avx512::usable(fast) {
        // SAFETY: `usable` checked that the CPU has the features `cycle` is compiled for.
        unsafe { avx512::cycle(fast, present, cycle, moves) }
    } else {
        (0, 0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let (done, kept) = (0, 0);
    let kept = portable_cycle(fast, present, done, kept, cycle, moves);
    present.truncate(kept);
    let flows = &mut counts.flows[cells.base..];
    for &code in moves.iter() {
        flows[code as usize] += 1;
    }
}

/// What a cycle of the fast path needs besides the tables and the citizens.
#[derive(Clone, Copy)]
struct Cycle {
    cycle: u32,
    cells: FlowCells,
    /// Bit s: citizens who reach state s are dropped.
    finished: u64,
}

impl Cycle {
    /// Whether a citizen now in `state` stays present.
    #[inline(always)]
    fn keeps(&self, state: u16) -> bool {
        state >= 64 || self.finished >> state & 1 == 0
    }
}

/// The cycle one citizen at a time, for the citizens from `from` on, the ones still present
/// written from `kept` on (`kept <= from`); returns how many are present. Each citizen's exit by
/// [`fired`] and [`pick`] on its row, the move's code pushed to `moves`. The reference the
/// vector form must equal, and what runs on a CPU without AVX-512.
fn portable_cycle(
    fast: &FastTables,
    p: &mut Present,
    from: usize,
    mut kept: usize,
    x: Cycle,
    moves: &mut Vec<u64>,
) -> usize {
    let w = fast.width;
    for i in from..p.state.len() {
        let (st, cl, key) = (p.state[i], p.class[i], p.key[i]);
        let row = row_of(st, cl);
        let (ks, ex) = fast.row(row);
        let bits = rng::cycle_bits(key, x.cycle);
        let mut dest = st;
        if let Some(k) = pick(fired(ks, ex, bits), ks, ex, || bits) {
            dest = fast.to[row * (w + 1) + k];
            moves.push(x.cells.code(st, dest, cl));
        }
        if x.keeps(dest) {
            (p.state[kept], p.class[kept], p.key[kept]) = (dest, cl, key);
            kept += 1;
        }
    }
    kept
}

/// [`portable_cycle`] eight citizens at a time with AVX-512, with exactly the same integer
/// arithmetic: SplitMix64 on eight 64-bit lanes (`vpmullq` is a wrapping 64-bit multiply like
/// `wrapping_mul`), each lane's key and threshold of exit k taken from its row by a
/// permutation of a 16-entry table, the fired exit found by counting zeros, the destination
/// gathered from the same `to` table, and the moves' codes packed in citizen order. A citizen
/// for whom several exits fired (rare) is settled by the same [`pick`].
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Cycle, FastTables, Present, pick};
    use crate::rng;
    use std::arch::x86_64::*;

    use super::VECTOR_ROWS as MAX_ROWS;

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

    /// What every group of eight lanes reads: per exit, its key and threshold in each of up
    /// to 16 rows (two vectors of eight rows each), the destinations, and the cycle's constants.
    struct Lanes<'a> {
        fast: &'a FastTables,
        exit_keys: Vec<[__m512i; 2]>,
        thresholds: Vec<[__m512i; 2]>,
        /// Up to 32 destinations as two vectors of 32-bit entries (looked up by a permutation,
        /// cheaper than a gather); None when there are more.
        to_small: Option<[__m512i; 2]>,
        /// The destinations as 64-bit entries, for the gather (empty when `to_small` serves).
        to: Vec<i64>,
        offset: __m512i,
        /// Per row: where its destinations start in `to` (row·(w + 1)).
        row_start: [__m512i; 2],
        /// Per state (at most eight): its part of a move's code as the origin (s·size·classes)
        /// and as the destination (s·classes), see [`FlowCells::code`]. Looked up rather than
        /// multiplied: a 64-bit multiply waits 15 cycles, a permutation 3.
        from_code: __m512i,
        to_code: __m512i,
        x: Cycle,
    }

    /// The cycle of the first multiple of eight citizens present; returns how many it did and
    /// how many of them are still present (moved to the front). The codes of their moves are
    /// in `moves`, in citizen order.
    ///
    /// Four groups of eight lanes go through each step together (hash, then each exit's coin,
    /// then the rest one group after the other): the steps of one group wait on each other's
    /// multiplications, those of four groups do not.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, DQ and CD, and the table at most [`MAX_ROWS`] rows.
    #[target_feature(enable = "avx512f,avx512dq,avx512cd")]
    pub(super) unsafe fn cycle(
        fast: &FastTables,
        p: &mut Present,
        x: Cycle,
        moves: &mut Vec<u64>,
    ) -> (usize, usize) {
        // SAFETY (the loads): each half is eight initialised u64 (or sixteen u32), unaligned.
        let load = |v: &[u64; MAX_ROWS]| unsafe {
            [
                _mm512_loadu_si512(v.as_ptr().cast()),
                _mm512_loadu_si512(v.as_ptr().add(8).cast()),
            ]
        };
        let to_small = (fast.to.len() <= 32).then(|| {
            let mut v = [0u32; 32];
            for (x, &t) in v.iter_mut().zip(&fast.to) {
                *x = t as u32;
            }
            unsafe {
                [
                    _mm512_loadu_si512(v.as_ptr().cast()),
                    _mm512_loadu_si512(v.as_ptr().add(16).cast()),
                ]
            }
        });
        let lanes = Lanes {
            fast,
            exit_keys: fast.by_exit.iter().map(|[k, _]| load(k)).collect(),
            thresholds: fast.by_exit.iter().map(|[_, t]| load(t)).collect(),
            to_small,
            to: match to_small {
                Some(_) => Vec::new(),
                None => fast.to.iter().map(|&s| s as i64).collect(),
            },
            offset: _mm512_set1_epi64(rng::cycle_offset(x.cycle) as i64),
            row_start: load(&std::array::from_fn(|r| (r * (fast.width + 1)) as u64)),
            from_code: load(&std::array::from_fn(|s| {
                (s * x.cells.size * x.cells.classes) as u64
            }))[0],
            to_code: load(&std::array::from_fn(|s| (s * x.cells.classes) as u64))[0],
            x,
        };
        let len = p.state.len();
        assert!(p.class.len() == len && p.key.len() == len);
        let n = len / 8 * 8;
        // Every lane of a group of eight is stored into the spare capacity, only the movers'
        // lanes are kept: each store starts where the codes kept so far end.
        let start = moves.len();
        moves.reserve(n + 8);
        let (mut moved, mut kept) = (start, 0);
        let mut c = 0;
        while c + 32 <= n {
            // SAFETY: c + 32 <= n, and the CPU has the features (this function's contract).
            unsafe { groups::<4>(&lanes, p, c, moves.as_mut_ptr(), &mut moved, &mut kept) };
            c += 32;
        }
        while c < n {
            // SAFETY: c + 8 <= n, as above.
            unsafe { groups::<1>(&lanes, p, c, moves.as_mut_ptr(), &mut moved, &mut kept) };
            c += 8;
        }
        // SAFETY: the stores wrote every cell from `start` to `moved` (each began where the
        // previous one's kept codes ended), within the capacity reserved.
        unsafe { moves.set_len(moved) };
        (n, kept)
    }

    /// `G` groups of eight citizens from `c` on: their moves' codes stored from `moved` on, the
    /// citizens still present from `kept` on (`kept <= c`, so the stores only reach citizens
    /// already read).
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, DQ and CD; `c + 8·G` is at most the number of citizens
    /// present, and `moves` points to room for eight cells beyond every code stored so far
    /// plus those of these citizens.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512cd")]
    unsafe fn groups<const G: usize>(
        lanes: &Lanes,
        p: &mut Present,
        c: usize,
        moves: *mut u64,
        moved: &mut usize,
        kept: &mut usize,
    ) {
        let fast = lanes.fast;
        let x = lanes.x;
        let w = fast.width;
        let (zero, one) = (_mm512_setzero_si512(), _mm512_set1_epi64(1));
        let width = _mm512_set1_epi64(w as i64);
        let low32 = _mm512_set1_epi64(0xFFFF_FFFF);
        let finished = _mm512_set1_epi64(x.finished as i64);
        let mut st = [zero; G];
        let mut cl = [zero; G];
        let mut key = [zero; G];
        let mut row = [zero; G];
        let mut bits = [zero; G];
        // Each citizen's origin and class part of its move's code, and its row's destinations.
        let mut code_from = [zero; G];
        let mut row_start = [zero; G];
        for g in 0..G {
            let at = c + 8 * g;
            // SAFETY: at + 8 <= the number of citizens present (the contract).
            unsafe {
                st[g] = _mm512_cvtepu16_epi64(_mm_loadu_si128(p.state.as_ptr().add(at).cast()));
                cl[g] = _mm512_cvtepu16_epi64(_mm_loadu_si128(p.class.as_ptr().add(at).cast()));
                key[g] = _mm512_loadu_si512(p.key.as_ptr().add(at).cast());
            }
            bits[g] = mix(_mm512_add_epi64(key[g], lanes.offset));
            row[g] = _mm512_add_epi64(_mm512_add_epi64(st[g], st[g]), _mm512_and_si512(cl[g], one));
            code_from[g] =
                _mm512_add_epi64(_mm512_permutexvar_epi64(st[g], lanes.from_code), cl[g]);
            row_start[g] =
                _mm512_permutex2var_epi64(lanes.row_start[0], row[g], lanes.row_start[1]);
        }
        let mut fired = [zero; G];
        for (k, (ek, th)) in lanes.exit_keys.iter().zip(&lanes.thresholds).enumerate() {
            let bit = _mm512_set1_epi64(1 << k);
            for g in 0..G {
                let ek = _mm512_permutex2var_epi64(ek[0], row[g], ek[1]);
                let th = _mm512_permutex2var_epi64(th[0], row[g], th[1]);
                let u = mix(_mm512_xor_si512(bits[g], ek));
                let hit = _mm512_cmplt_epu64_mask(u, th);
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
                    // This group's cells are not yet overwritten (see `kept`).
                    let (rk, rx) = fast.row(super::row_of(p.state[at + j], p.class[at + j]));
                    let bits = || rng::cycle_bits(p.key[at + j], x.cycle);
                    ks[j] = pick(masks[j], rk, rx, bits).unwrap_or(w) as i64;
                }
                // SAFETY: eight 64-bit lanes.
                k = unsafe { _mm512_loadu_si512(ks.as_ptr().cast()) };
            }
            let to_at = _mm512_add_epi64(row_start[g], k);
            let dest = match lanes.to_small {
                // Each index's low 32-bit lane picks the destination; the high lane is 0.
                Some([lo, hi]) => _mm512_and_si512(_mm512_permutex2var_epi32(lo, to_at, hi), low32),
                // SAFETY: every index is a cell of `to` (row·(w+1) + k with k <= w).
                None => unsafe { _mm512_i64gather_epi64(to_at, lanes.to.as_ptr(), 8) },
            };
            let did_move = _mm512_cmplt_epu64_mask(k, width);
            let code =
                _mm512_add_epi64(code_from[g], _mm512_permutexvar_epi64(dest, lanes.to_code));
            // Citizens whose new state is not finished stay (`Cycle::keeps`; states are < 16).
            let stays = _mm512_cmpeq_epi64_mask(
                _mm512_and_si512(_mm512_srlv_epi64(finished, dest), one),
                zero,
            );
            // SAFETY: `moves` has eight cells beyond `moved`; kept + 8 <= at + 8, within the
            // citizens present, and only cells of this group or earlier ones are written.
            unsafe {
                _mm512_storeu_si512(
                    moves.add(*moved).cast(),
                    _mm512_maskz_compress_epi64(did_move, code),
                );
                _mm_storeu_si128(
                    p.state.as_mut_ptr().add(*kept).cast(),
                    _mm512_cvtepi64_epi16(_mm512_maskz_compress_epi64(stays, dest)),
                );
                _mm_storeu_si128(
                    p.class.as_mut_ptr().add(*kept).cast(),
                    _mm512_cvtepi64_epi16(_mm512_maskz_compress_epi64(stays, cl[g])),
                );
                _mm512_storeu_si512(
                    p.key.as_mut_ptr().add(*kept).cast(),
                    _mm512_maskz_compress_epi64(stays, key[g]),
                );
            }
            *moved += did_move.count_ones() as usize;
            *kept += stays.count_ones() as usize;
        }
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
        let mut t = FastTables {
            width,
            rows,
            keys,
            exits,
            to: vec![0; rows * (width + 1)],
            by_exit: Vec::new(),
            finished: 0,
        };
        t.by_exit = t.columns();
        t
    }

    /// A cycle of [`fast_cycle`]'s vector form (where the CPU has it) leaves every citizen in
    /// the same state, keeps the same citizens present and records the same moves in the same
    /// order as [`portable_cycle`], for tables of 1 to 8 states (permutation) and 9 (portable
    /// only), widths 0 to 7, cohorts that are not a multiple of eight, and with and without
    /// dropping the citizens who reach a state nothing leaves.
    #[test]
    fn the_vector_cycle_equals_the_portable_loop() {
        let (mut moved, mut several, mut dropped) = (0, 0, 0);
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
                // Some states are finished (whatever their table says: only the bits count).
                fast.finished = next() & ((1 << states) - 1);
                let n = 1003;
                let mut present = Present::with_capacity(n);
                for _ in 0..n {
                    let st = (next() % states as u64) as u16;
                    present.push(st, (next() % 6) as u16, next());
                }
                let cells = FlowCells {
                    base: 0,
                    size: states,
                    classes: 6,
                };
                for (cycle, drop) in [(0, false), (1, true), (30, false), (299, true)] {
                    let lay = Layout::new(vec![states], cycle as usize + 1, 6, 1);
                    let mut counts = ArmCounts {
                        flows: vec![0; lay.horizon * lay.n_flows * 6],
                        ..ArmCounts::default()
                    };
                    let mut got = Present::with_capacity(n);
                    let mut want = Present::with_capacity(n);
                    for i in 0..n {
                        let (s, c, k) = (present.state[i], present.class[i], present.key[i]);
                        got.push(s, c, k);
                        want.push(s, c, k);
                    }
                    let (mut got_moves, mut want_moves) = (Vec::new(), Vec::new());
                    fast_cycle(
                        &fast,
                        &mut got,
                        drop,
                        cycle as usize,
                        &lay,
                        &mut counts,
                        &mut got_moves,
                    );
                    let x = Cycle {
                        cycle,
                        cells,
                        finished: if drop { fast.finished } else { 0 },
                    };
                    let kept = portable_cycle(&fast, &mut want, 0, 0, x, &mut want_moves);
                    want.truncate(kept);
                    let what = format!("{states} states, width {width}, cycle {cycle}");
                    assert_eq!(got.state, want.state, "{what}");
                    assert_eq!(got.class, want.class, "{what}");
                    assert_eq!(got.key, want.key, "{what}");
                    assert_eq!(got_moves, want_moves, "{what}");
                    // Dropped exactly the citizens now in a finished state, the others in order.
                    let now: Vec<u16> = (0..n)
                        .map(|i| {
                            let (st, cl) = (present.state[i], present.class[i]);
                            let row = row_of(st, cl);
                            let (ks, ex) = fast.row(row);
                            let bits = rng::cycle_bits(present.key[i], cycle);
                            pick(fired(ks, ex, bits), ks, ex, || bits)
                                .map_or(st, |k| fast.to[row * (width + 1) + k])
                        })
                        .collect();
                    let left: Vec<u64> = (0..n)
                        .filter(|&i| !drop || fast.finished >> now[i] & 1 == 0)
                        .map(|i| present.key[i])
                        .collect();
                    assert_eq!(got.key, left, "{what}");
                    dropped += n - kept;
                    // Every move is counted once, in its cycle's cells.
                    let counted: u32 = counts.flows[lay.flow_ix(cycle as usize, 0, 0, 0, 0)..]
                        .iter()
                        .sum();
                    assert_eq!(counted as usize, want_moves.len());
                    moved += want_moves.len();
                    several += (0..n)
                        .filter(|&i| {
                            let (ks, ex) = fast.row(row_of(present.state[i], present.class[i]));
                            fired(ks, ex, rng::cycle_bits(present.key[i], cycle)).count_ones() > 1
                        })
                        .count();
                }
            }
        }
        // The comparison saw many moves, citizens for whom several exits fired, and drops.
        assert!(
            moved > 10_000 && several > 1_000 && dropped > 10_000,
            "{moved} {several} {dropped}"
        );
    }
}
