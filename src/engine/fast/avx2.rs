//! [`portable_row`](super::portable_row) four citizens at a time with AVX2, with exactly the
//! same integer arithmetic: SplitMix64 on four 64-bit lanes — each 64-bit multiply made of
//! three 32-bit ones (`vpmuludq`), whose sum has the same low 64 bits as `wrapping_mul` — and
//! each coin compared with its threshold as unsigned numbers (the top bit of both sides
//! flipped, so that the signed comparison AVX2 has gives the unsigned order).
//!
//! Each group's fired lanes are kept as one integer, four bits per exit. Exit k leads to
//! destination k and nothing fired to the last one ([`Row::one_each`], true of every
//! scenario's rows), so each destination's lanes are a shift and a mask away. AVX2 has no
//! compress, so a destination's citizens among four lanes are packed to the front by a
//! permutation looked up per mask of lanes ([`PACK64`], [`PACK16`]) and stored whole; the
//! list's length then grows by the number of those lanes, and what the store wrote past it is
//! overwritten by the next store or cut off. Each list gets its citizens in citizen order, as
//! in the portable form. The moves are the citizens each destination but the row's own state
//! got, so they are counted from those citizens' classes once the row is done; a finished
//! destination keeps only the classes.
//! A citizen for whom several exits fired (rare) is settled by the same [`pick`].

use super::super::simd::Mix4;
use super::{Citizens, Moves, Present, Row, RowCycle, pick};
use crate::rng;
use std::arch::x86_64::*;

/// The most exits of a row this form takes (as many as [`Row::by_mask`] covers).
const MAX_WIDTH: usize = super::SMALL;

/// Groups of four citizens hashed together, so that the multiplications of one group do not
/// wait on those of another (four measured 2–4 % faster than two on an AMD EPYC host once the
/// several-fired lanes had become cheap; three lay between).
const GROUPS: usize = 4;

/// Whether this form can run for a row: a CPU with AVX2 and POPCNT, at most [`MAX_WIDTH`]
/// exits, and each exit to a destination of its own ([`Row::one_each`]: the moves are found
/// among the citizens each other destination gets; every scenario's rows are such).
pub(super) fn usable(row: &Row) -> bool {
    row.exits.len() <= MAX_WIDTH
        && row.one_each
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("popcnt")
}

const _: () = assert!(4 * MAX_WIDTH <= 32);

/// Per mask of four 16-bit lanes: the `pshufb` indices that put the lanes of the mask first,
/// in lane order — lane l's two bytes are 2l and 2l + 1 — then 0x80 (a zero byte).
const PACK16: [[u8; 16]; 16] = {
    let mut t = [[0x80u8; 16]; 16];
    let mut m = 0;
    while m < 16 {
        let (mut kept, mut lane) = (0, 0);
        while lane < 4 {
            if m >> lane & 1 == 1 {
                t[m][2 * kept] = 2 * lane as u8;
                t[m][2 * kept + 1] = 2 * lane as u8 + 1;
                kept += 1;
            }
            lane += 1;
        }
        m += 1;
    }
    t
};

/// Per mask of four 64-bit lanes: the `vpermd` indices that put the lanes of the mask first,
/// in lane order. Lane l's two 32-bit halves are 2l and 2l + 1, the same pairs as
/// [`PACK16`]'s bytes; the rest, 0x80 there, reads as 0 here (`vpermd` takes the low three
/// bits): what it fetches is never kept.
const PACK64: [[u32; 8]; 16] = {
    let mut t = [[0u32; 8]; 16];
    let mut m = 0;
    while m < 16 {
        let mut i = 0;
        while i < 8 {
            t[m][i] = (PACK16[m][i] & 7) as u32;
            i += 1;
        }
        m += 1;
    }
    t
};

/// What every group of four citizens of a row of `W` exits reads.
struct Lanes<'a, const W: usize> {
    row: &'a Row,
    /// SplitMix64's output function ([`rng::mix64`]).
    mix: Mix4,
    /// What [`rng::cycle_bits`] adds to a citizen's key, broadcast.
    offset: __m256i,
    /// The top bit of a 64-bit lane, broadcast.
    top: __m256i,
    /// Per exit: its key, and its threshold with the top bit flipped, broadcast.
    keys: [__m256i; W],
    thresholds: [__m256i; W],
}

impl<const W: usize> Lanes<'_, W> {
    /// SplitMix64's output function ([`rng::mix64`]) on four lanes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mix(&self, z: __m256i) -> __m256i {
        self.mix.mix(z)
    }
}

/// Where a destination's citizens are appended, through raw pointers into room reserved
/// beforehand; the list's length is set once the row is done.
#[derive(Clone, Copy)]
struct List {
    /// The citizens' keys; null for a finished destination, where only the classes are kept
    /// (for the moves).
    key: *mut u64,
    /// The citizens' classes.
    class: *mut u16,
    /// The list's length at the row's start, and now.
    start: usize,
    len: usize,
}

/// The first multiple of four citizens of row `x.row`; returns how many it did. Their moves
/// are added to `moves` and they themselves to their new rows of `next`, each list in citizen
/// order.
///
/// # Safety
/// The CPU must have AVX2 and POPCNT, and the row at most [`MAX_WIDTH`] exits, each to a
/// destination of its own ([`usable`]).
#[target_feature(enable = "avx2,popcnt")]
pub(super) unsafe fn row(
    x: RowCycle,
    citizens: &Citizens,
    next: &mut Present,
    moves: &mut Moves,
) -> usize {
    // SAFETY (each): the caller's contract, and the row has that many exits.
    unsafe {
        match x.fast.rows[x.row].exits.len() {
            1 => row_of::<1>(x, citizens, next, moves),
            2 => row_of::<2>(x, citizens, next, moves),
            3 => row_of::<3>(x, citizens, next, moves),
            4 => row_of::<4>(x, citizens, next, moves),
            5 => row_of::<5>(x, citizens, next, moves),
            6 => row_of::<6>(x, citizens, next, moves),
            7 => row_of::<7>(x, citizens, next, moves),
            _ => 0,
        }
    }
}

/// [`row`] for a row of exactly `W` exits.
///
/// # Safety
/// As for [`row`], and the row has `W` exits.
#[target_feature(enable = "avx2,popcnt")]
unsafe fn row_of<const W: usize>(
    x: RowCycle,
    citizens: &Citizens,
    next: &mut Present,
    moves: &mut Moves,
) -> usize {
    let row = &x.fast.rows[x.row];
    debug_assert_eq!(row.exits.len(), W);
    let n = citizens.key.len().min(citizens.class.len()) / 4 * 4;
    if n == 0 {
        return 0;
    }
    let top = _mm256_set1_epi64x(i64::MIN);
    let lanes = Lanes::<W> {
        row,
        mix: Mix4::new(),
        offset: _mm256_set1_epi64x(rng::cycle_offset(x.cycle) as i64),
        top,
        keys: std::array::from_fn(|k| _mm256_set1_epi64x(row.keys[k] as i64)),
        thresholds: std::array::from_fn(|k| {
            _mm256_xor_si256(_mm256_set1_epi64x(row.exits[k].threshold as i64), top)
        }),
    };
    // Room for every citizen of the row in each list it can be appended to, and four cells
    // beyond (a store writes four), so that the groups never check. A finished destination
    // gets the classes of its citizens in `finished`, each its own stretch.
    let stretch = n + 4;
    let n_finished = row.next_rows.iter().filter(|to| to.is_none()).count();
    let mut finished: Vec<u16> = Vec::with_capacity(n_finished * stretch);
    let mut lists = [List {
        key: std::ptr::null_mut(),
        class: std::ptr::null_mut(),
        start: 0,
        len: 0,
    }; MAX_WIDTH + 1];
    let mut f = 0;
    for (list, to) in lists.iter_mut().zip(&row.next_rows) {
        match *to {
            Some(r) => {
                let Citizens { key, class } = &mut next.rows[r];
                debug_assert_eq!(key.len(), class.len());
                key.reserve(stretch);
                class.reserve(stretch);
                *list = List {
                    key: key.as_mut_ptr(),
                    class: class.as_mut_ptr(),
                    start: key.len(),
                    len: key.len(),
                };
            }
            None => {
                // SAFETY: within the capacity reserved above.
                list.class = unsafe { finished.as_mut_ptr().add(f * stretch) };
                f += 1;
            }
        }
    }
    let mut c = 0;
    while c + 4 * GROUPS <= n {
        // SAFETY: c + 4·GROUPS <= n, the room reserved above, the CPU (the contract).
        unsafe { groups::<W, GROUPS>(&lanes, citizens, c, &mut lists) };
        c += 4 * GROUPS;
    }
    while c < n {
        // SAFETY: c + 4 <= n, as above.
        unsafe { groups::<W, 1>(&lanes, citizens, c, &mut lists) };
        c += 4;
    }
    // The moves: the citizens each destination but the row's own state got, by their
    // classes.
    for (list, &to) in lists.iter().zip(&row.to) {
        // SAFETY: the cells from `start` to `len` were written by the groups.
        let classes = unsafe {
            std::slice::from_raw_parts(list.class.add(list.start), list.len - list.start)
        };
        moves.add(x.cells.code(row.state, to, 0), classes);
    }
    // SAFETY: the cells up to the new lengths were written above, within the room reserved
    // (no list was reallocated since: nothing else appended to them).
    unsafe {
        for (list, to) in lists.iter().zip(&row.next_rows) {
            if let Some(r) = *to {
                next.rows[r].key.set_len(list.len);
                next.rows[r].class.set_len(list.len);
            }
        }
    }
    n
}

/// `G` groups of four citizens of a row from `c` on: hashed and compared together, then each
/// group's citizens appended to their destinations' lists.
///
/// # Safety
/// The CPU must have AVX2 and POPCNT; `c + 4·G` is at most the row's citizens; every list of
/// `lists` points to room for the row's citizens and four cells beyond.
#[inline]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn groups<const W: usize, const G: usize>(
    lanes: &Lanes<W>,
    citizens: &Citizens,
    c: usize,
    lists: &mut [List; MAX_WIDTH + 1],
) {
    let zero = _mm256_setzero_si256();
    let mut key = [zero; G];
    let mut bits = [zero; G];
    for g in 0..G {
        // SAFETY: c + 4·G <= the row's citizens (the contract).
        key[g] = unsafe { _mm256_loadu_si256(citizens.key.as_ptr().add(c + 4 * g).cast()) };
        bits[g] = lanes.mix(_mm256_add_epi64(key[g], lanes.offset));
    }
    // Per group: the lanes whose coin fired, four bits per exit (exit k's in bits 4k to
    // 4k + 3), kept in one register rather than an array (whose cells, written one by one and
    // read whole, would wait for the stores).
    let mut hit = [0u32; G];
    for k in 0..W {
        for g in 0..G {
            let u = lanes.mix(_mm256_xor_si256(bits[g], lanes.keys[k]));
            let fires = _mm256_cmpgt_epi64(lanes.thresholds[k], _mm256_xor_si256(u, lanes.top));
            hit[g] |= (_mm256_movemask_pd(_mm256_castsi256_pd(fires)) as u32) << (4 * k);
        }
    }
    for (g, &hit) in hit.iter().enumerate() {
        let at = c + 4 * g;
        // The lanes where some exit fired, and where several did.
        let (mut any, mut two) = (0, 0);
        for k in 0..W {
            let h = hit >> (4 * k) & 0xf;
            two |= any & h;
            any |= h;
        }
        // Per exit (four bits each, as in `hit`): the lanes it moves.
        let mut by_exit = hit & !(two * NIBBLES);
        if two != 0 {
            several(lanes, bits[g], hit, two, &mut by_exit);
        }
        // SAFETY (the loads and stores): at + 4 <= the row's citizens; every store has room
        // for four cells (the contract).
        let class = unsafe { _mm_loadl_epi64(citizens.class.as_ptr().add(at).cast()) };
        // Exit k's citizens go to destination k, those whom nothing moved to the last
        // ([`Row::one_each`]).
        let stays = !any & 0xf;
        for (d, list) in lists.iter_mut().enumerate().take(W + 1) {
            let goes = match d < W {
                true => by_exit >> (4 * d) & 0xf,
                false => stays,
            };
            unsafe {
                if !list.key.is_null() {
                    _mm256_storeu_si256(list.key.add(list.len).cast(), pack64(key[g], goes));
                }
                _mm_storel_epi64(list.class.add(list.len).cast(), pack16(class, goes));
            }
            list.len += goes.count_ones() as usize;
        }
    }
}

/// A nibble's lowest bit in each of the eight nibbles of a `u32`: `x * NIBBLES` repeats a
/// four-bit `x` in every nibble.
const NIBBLES: u32 = 0x1111_1111;

/// The lanes of `v` (four 64-bit lanes) that `keep` selects, first and in lane order.
#[inline]
#[target_feature(enable = "avx2")]
fn pack64(v: __m256i, keep: u32) -> __m256i {
    // SAFETY: a table of eight u32, read unaligned; keep < 16.
    let ix = unsafe { _mm256_loadu_si256(PACK64[keep as usize & 0xf].as_ptr().cast()) };
    _mm256_permutevar8x32_epi32(v, ix)
}

/// The lanes of `v` (four 16-bit lanes in its low 64 bits) that `keep` selects, first and in
/// lane order.
#[inline]
#[target_feature(enable = "avx2")]
fn pack16(v: __m128i, keep: u32) -> __m128i {
    // SAFETY: a table of sixteen bytes, read unaligned; keep < 16.
    let ix = unsafe { _mm_loadu_si128(PACK16[keep as usize & 0xf].as_ptr().cast()) };
    _mm_shuffle_epi8(v, ix)
}

/// The lanes `two` of a group, where several exits fired (`hit`, four bits per exit; `bits`:
/// the lanes' cycle bits): each settled by [`pick`], its lane added to the winning exit's in
/// `by_exit`.
#[cold]
#[inline(never)]
#[target_feature(enable = "avx2")]
fn several<const W: usize>(lanes: &Lanes<W>, bits: __m256i, hit: u32, two: u32, by_exit: &mut u32) {
    let row = lanes.row;
    let mut lane_bits = [0u64; 4];
    // SAFETY: four u64 are 32 bytes, stored unaligned.
    unsafe { _mm256_storeu_si256(lane_bits.as_mut_ptr().cast(), bits) };
    let mut rest = two & 0xf;
    while rest != 0 {
        let j = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        let mask = (0..W).fold(0u64, |m, k| m | ((hit >> (4 * k + j) & 1) as u64) << k);
        if let Some(k) = pick(mask, &row.keys, &row.exits, || lane_bits[j]) {
            *by_exit |= 1 << (4 * k + j);
        }
    }
}
