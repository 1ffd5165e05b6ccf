//! The table-driven fast path: a cycle of a model whose course states are left by shared exit
//! tables alone (no services, refusion clock, life course, clocks or housing moves) is only the
//! exit choice of the general path — the same [`fired`] and [`pick`] on the same
//! [`StaticExits`] tables, the same flow counters.
//!
//! The citizens it still moves are kept grouped by row — (course state, participation), which
//! fixes the exit table — so that each citizen flips exactly its own state's coins and a group's
//! tables are the same for all of its citizens. A cycle is, per row and per citizen in it: its
//! cycle bits and one uniform per exit of the row, compared with the exits' thresholds (a bit
//! mask of the exits that fire); the fired exit, or — rarely, when several fired — the one with
//! the shortest waiting time ([`pick`]); the code of the move, if any; and the citizen's place in
//! its new row for the next cycle. Citizens who reach a state that nothing leaves are dropped:
//! they never move again, and only moves are counted. The moves are counted once every citizen
//! of the block has chosen. Which citizen is where in the lists changes no result: each
//! citizen's coins depend only on its own key and the cycle.
//!
//! Where the CPU has AVX-512 (checked at run time) eight citizens of a row go through this at
//! once, where it has AVX2 four (`avx512`, `avx2`), with exactly the same integer arithmetic,
//! so every choice and every count is identical bit for bit to those of the portable form
//! ([`portable_row`]), which is the reference and runs on other CPUs, for rows the vector
//! forms do not take and for the last few citizens of a row. The portable form works in
//! passes over a few hundred citizens at a time: the masks of fired exits (compiled for AVX2
//! where the CPU has it, four citizens at once), then each citizen's exit and destination, then
//! each destination's list. No form branches on anything random but the rare
//! several-fired case: a branch on where a citizen goes would be mispredicted about as often
//! as citizens move.

use super::compile::CArm;
use super::exits::{self, Exit, StaticExits, fired, pick};
use super::{ArmCounts, Layout};
use crate::rng;

/// The exit tables of the fast path, one [`Row`] per (course state, participation).
pub(super) struct FastTables {
    rows: Vec<Row>,
}

/// The exits of one (course state, participation): the state's shared exits ([`StaticExits`]).
struct Row {
    /// The course state.
    state: u16,
    /// Per exit: its key.
    keys: Vec<u64>,
    /// Per exit: its shared threshold and rate.
    exits: Vec<Exit>,
    /// Per exit: its destination.
    to: Vec<u16>,
    /// Per exit, then for nothing fired (index = the number of exits): where the citizen goes,
    /// as an index into `next_rows`.
    dest_ix: Vec<usize>,
    /// The rows the row's citizens go to: the rows of its distinct destinations (in the order
    /// of `dest_ix`), None for a state nothing leaves: citizens who reach it are dropped.
    next_rows: Vec<Option<usize>>,
    /// For a row of at most [`SMALL`] exits, per mask of fired exits (see [`fired`]): the exit
    /// (the width for none) and, above it, its `dest_ix`, or [`SEVERAL`] where more than one
    /// fired; empty for a wider row.
    by_mask: Vec<u16>,
    /// The distinct destinations (states) of `dest_ix`.
    dests: Vec<u16>,
    /// Whether an exit leads back to the row's own state (never in a scenario, whose
    /// validation refuses such a transition; the tests make some).
    self_loop: bool,
    /// Whether each exit leads to a destination of its own, other than the row's state:
    /// `dest_ix` is 0, 1, … up to the width (the case of every scenario, whose validation
    /// refuses an exit back to the state and whose states have one exit per destination).
    one_each: bool,
}

/// The widest row that has [`Row::by_mask`].
const SMALL: usize = 7;

/// [`Row::by_mask`] of a mask where more than one exit fired: [`pick`] decides.
const SEVERAL: u16 = u16::MAX;

impl Row {
    /// The row of state `state` whose exits have keys `keys`, destinations `to` and
    /// thresholds and rates `exits`; not yet routed ([`FastTables::routed`] routes it).
    fn new(state: u16, keys: Vec<u64>, to: Vec<u16>, exits: Vec<Exit>) -> Row {
        Row {
            state,
            keys,
            exits,
            to,
            dest_ix: Vec::new(),
            next_rows: Vec::new(),
            by_mask: Vec::new(),
            dests: Vec::new(),
            self_loop: false,
            one_each: false,
        }
    }

    /// Nothing leaves the row's state: citizens who reach it are dropped.
    fn finished(&self) -> bool {
        self.exits.is_empty()
    }

    /// Where the row's citizens go ([`Row::dest_ix`], [`Row::dests`], [`Row::next_rows`],
    /// [`Row::by_mask`]), given every row's state and whether it is finished.
    fn route(&mut self, row: usize, finished: &[bool]) {
        let w = self.exits.len();
        let mut dests: Vec<u16> = Vec::new();
        self.dest_ix = (0..=w)
            .map(|k| {
                let d = self.to.get(k).copied().unwrap_or(self.state);
                dests.iter().position(|&s| s == d).unwrap_or_else(|| {
                    dests.push(d);
                    dests.len() - 1
                })
            })
            .collect();
        self.next_rows = dests
            .iter()
            .map(|&d| {
                let r = 2 * d as usize + (row & 1);
                (!finished[r]).then_some(r)
            })
            .collect();
        self.self_loop = self.to.contains(&self.state);
        self.one_each = self.dest_ix.iter().enumerate().all(|(k, &d)| d == k);
        self.dests = dests;
        self.by_mask = match w <= SMALL {
            true => (0..1u64 << w)
                .map(|mask| match mask.count_ones() {
                    0 => (w | self.dest_ix[w] << 8) as u16,
                    1 => {
                        let k = mask.trailing_zeros() as usize;
                        (k | self.dest_ix[k] << 8) as u16
                    }
                    _ => SEVERAL,
                })
                .collect(),
            false => Vec::new(),
        };
    }
}

impl FastTables {
    /// The tables of the course chain, or None when a course state's exits depend on the
    /// citizen or on a planned length (then the general path runs).
    pub(super) fn new(carm: &CArm, tables: &StaticExits) -> Option<FastTables> {
        let states = carm.chains.first()?;
        let mut rows = Vec::with_capacity(2 * states.len());
        for (s, cst) in states.iter().enumerate() {
            if cst.on_max.is_some()
                || cst.max_months.is_some()
                || cst.edges.len() > exits::MASK_EXITS
            {
                return None;
            }
            for p in [false, true] {
                let exits = match cst.edges.is_empty() {
                    true => Vec::new(),
                    false => tables.get(0, s as u16, p)?.0.to_vec(),
                };
                rows.push(Row::new(
                    s as u16,
                    cst.keys[..exits.len()].to_vec(),
                    cst.edges[..exits.len()].iter().map(|e| e.to).collect(),
                    exits,
                ));
            }
        }
        Some(FastTables::routed(rows))
    }

    /// The tables of `rows` with each row's destinations filled in ([`Row::route`]).
    fn routed(mut rows: Vec<Row>) -> FastTables {
        let finished: Vec<bool> = rows.iter().map(Row::finished).collect();
        for (r, row) in rows.iter_mut().enumerate() {
            row.route(r, &finished);
        }
        FastTables { rows }
    }
}

/// The row of a citizen in state `state` of booking class `class` (bit 0: participant).
#[inline(always)]
fn row_of(state: u16, class: u16) -> usize {
    2 * state as usize + (class & 1) as usize
}

/// The citizens of one row: their booking classes and random-number keys.
#[derive(Default, Clone, PartialEq, Debug)]
struct Citizens {
    class: Vec<u16>,
    key: Vec<u64>,
}

/// The citizens of a block the fast path still moves, grouped by row (see the module's
/// documentation).
pub(super) struct Present {
    rows: Vec<Citizens>,
}

impl Present {
    /// Nobody yet, for the rows of `fast`.
    pub(super) fn new(fast: &FastTables) -> Present {
        Present {
            rows: vec![Citizens::default(); fast.rows.len()],
        }
    }

    /// A citizen in `state` for the next cycle (dropped when nothing leaves the state).
    #[inline(always)]
    fn enter(&mut self, fast: &FastTables, state: u16, class: u16, key: u64) {
        let row = row_of(state, class);
        if !fast.rows[row].finished() {
            self.push(row, class, key);
        }
    }

    /// The citizens with states `state`, classes `class` and keys `key` for the next cycle
    /// (as [`Present::enter`] one by one). A function of its own, so that its short loop keeps
    /// its values in registers rather than sharing them with the month loop's.
    #[inline(never)]
    pub(super) fn enter_all(
        &mut self,
        fast: &FastTables,
        state: &[u16],
        class: &[u16],
        key: &[u64],
    ) {
        for ((&s, &c), &k) in state.iter().zip(class).zip(key) {
            self.enter(fast, s, c, k);
        }
    }

    /// A citizen for the next cycle in row `row` (not finished).
    #[inline(always)]
    fn push(&mut self, row: usize, class: u16, key: u64) {
        self.rows[row].class.push(class);
        self.rows[row].key.push(key);
    }

    /// Nobody, keeping the room.
    fn clear(&mut self) {
        for r in &mut self.rows {
            r.class.clear();
            r.key.clear();
        }
    }
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
    /// The number of flow cells of a cycle.
    fn n_cells(&self) -> usize {
        self.size * self.size * self.classes
    }

    /// The code of a move of a citizen of class `class` from `from` to `to`.
    #[inline(always)]
    fn code(&self, from: u16, to: u16, class: u16) -> u64 {
        ((from as usize * self.size + to as usize) * self.classes + class as usize) as u64
    }
}

/// One cycle of the fast path for the citizens `present` in a block; afterwards `present` holds
/// them in their new rows (`next` is scratch space of the same shape). The moves are counted
/// once every citizen has chosen.
pub(super) fn fast_cycle(
    fast: &FastTables,
    present: &mut Present,
    next: &mut Present,
    m: usize,
    lay: &Layout,
    counts: &mut ArmCounts,
    moves: &mut Moves,
) {
    let cells = FlowCells {
        base: lay.flow_ix(m, 0, 0, 0, 0),
        size: lay.chain_size[0],
        classes: lay.n_classes,
    };
    cycle_rows(fast, present, next, m as u32, cells, moves, Form::Avx512);
    std::mem::swap(present, next);
    moves.count(&mut counts.flows[cells.base..cells.base + cells.n_cells()]);
}

/// Scratch space for the moves of a cycle: the codes of those the portable and AVX-512 forms
/// record, and tallies that count them and those the AVX2 form adds directly.
#[derive(Default)]
pub(super) struct Moves {
    codes: Vec<u64>,
    tally: Vec<u32>,
}

impl Moves {
    /// No moves yet, for a cycle of `n_cells` flow cells.
    fn start(&mut self, n_cells: usize) {
        self.codes.clear();
        self.tally.clear();
        self.tally.resize(4 * n_cells, 0);
    }

    /// The moves of citizens of classes `classes` whose codes but the class are `code`.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    fn add(&mut self, code: u64, classes: &[u16]) {
        tally(&mut self.tally, classes.iter().map(|&cl| code + cl as u64));
    }

    /// Add the cycle's moves to `flows`, its flow cells (as many as [`Moves::start`] was
    /// given).
    fn count(&mut self, flows: &mut [u32]) {
        tally(&mut self.tally, self.codes.iter().copied());
        for (f, t) in flows.iter_mut().zip(self.tally.chunks_exact(4)) {
            *f += t.iter().sum::<u32>();
        }
    }
}

/// Count the moves with codes `codes` in `tally`, four interleaved tallies per flow cell: the
/// moves of a row come one after the other to a few cells, so that the increments of one cell
/// do not wait on each other.
#[inline(always)]
fn tally(tally: &mut [u32], codes: impl Iterator<Item = u64>) {
    for (i, code) in codes.enumerate() {
        tally[4 * code as usize + (i & 3)] += 1;
    }
}

/// The forms of a row's cycle, from the portable one (the reference) to the widest vectors.
#[derive(Clone, Copy, PartialEq, PartialOrd, Debug)]
enum Form {
    /// [`portable_row`], on any CPU (the tests' reference).
    #[cfg_attr(not(test), allow(dead_code))]
    Portable,
    /// Four citizens at a time where the CPU has AVX2 (`avx2`).
    Avx2,
    /// Eight citizens at a time where the CPU has AVX-512 (`avx512`).
    Avx512,
}

/// The cycle of every row: the citizens of `present` moved into `next` (cleared first), the
/// moves into `moves` (started afresh; [`Moves::count`] counts them). Each row takes the
/// widest form up to `widest` that the CPU has for it; with [`Form::Portable`] the portable
/// form does every citizen (the reference of the tests).
fn cycle_rows(
    fast: &FastTables,
    present: &Present,
    next: &mut Present,
    cycle: u32,
    cells: FlowCells,
    moves: &mut Moves,
    widest: Form,
) {
    next.clear();
    moves.start(cells.n_cells());
    // Finished rows are always empty: nobody is entered in them.
    for (r, citizens) in present.rows.iter().enumerate() {
        if citizens.key.is_empty() {
            continue;
        }
        let x = RowCycle {
            fast,
            row: r,
            cycle,
            cells,
        };
        // The citizens a vector form did (a multiple of its width; none on other CPUs).
        #[cfg(target_arch = "x86_64")]
        let done = {
            let row = &fast.rows[r];
            if widest >= Form::Avx512 && avx512::usable(row) {
                // SAFETY: `usable` checked that the CPU has the features `row` is compiled
                // for and that the row is not too wide.
                unsafe { avx512::row(x, citizens, next, &mut moves.codes) }
            } else if widest >= Form::Avx2 && avx2::usable(row) {
                // SAFETY: as above.
                unsafe { avx2::row(x, citizens, next, moves) }
            } else {
                0
            }
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = {
            let _ = widest;
            0
        };
        portable_row(x, citizens, done, next, &mut moves.codes);
    }
}

/// What the cycle of one row reads besides its citizens.
#[derive(Clone, Copy)]
struct RowCycle<'a> {
    fast: &'a FastTables,
    row: usize,
    cycle: u32,
    cells: FlowCells,
}

/// The cycle of the citizens of row `x.row` from `from` on, in the portable form: each
/// citizen's exit by [`fired`] and [`pick`] on its row, the move's code appended to `moves`, the
/// citizen put in its new row of `next` unless that is finished. The reference the vector
/// forms must equal, and what runs where they do not (other CPUs, rows they do not take, the
/// last few citizens of a row).
///
/// [`CHUNK`] citizens at a time, in passes: their masks of fired exits ([`masks`]); each one's
/// exit and destination, those who stay written to their row and those who leave listed; for
/// each other destination, its citizens among those who leave and their moves' codes. The passes
/// decide by arithmetic, not by branches: each citizen is written to the end of a list and the
/// list's count advanced by 0 or 1. Each list gets its citizens in citizen order, as pushing
/// them one by one would; the moves' codes come by destination (they are only counted).
fn portable_row(
    x: RowCycle,
    citizens: &Citizens,
    from: usize,
    next: &mut Present,
    moves: &mut Vec<u64>,
) {
    let row = &x.fast.rows[x.row];
    let (ks, ex, dest_ix) = (&row.keys[..], &row.exits[..], &row.dest_ix[..]);
    let w = ex.len();
    let (class, key) = (&citizens.class[from..], &citizens.key[from..]);
    let n = key.len().min(class.len());
    // Where an exit leads back to the row's state: per exit, then for none, the move's code
    // but the class.
    let code: Vec<u64> = match row.self_loop {
        true => (row.to.iter().map(|&d| x.cells.code(row.state, d, 0)))
            .chain([0])
            .collect(),
        false => Vec::new(),
    };
    // Per destination (index into `next_rows`): its row's list and the count of its citizens;
    // None for a finished row, where nobody is kept. Each pass below first makes the lists it
    // writes long enough for every citizen it may write (and one more, written past the last
    // one and cut off).
    let mut lists: Vec<Option<(Citizens, usize)>> = (row.next_rows.iter())
        .map(|to| {
            to.map(|r| {
                let list = std::mem::take(&mut next.rows[r]);
                let c = list.key.len();
                (list, c)
            })
        })
        .collect();
    let mut nm = moves.len();
    // The destination of those who stay.
    let stay_d = dest_ix[w];
    // Per chunk: each citizen's mask of fired exits; those who leave, each as its place in the
    // chunk and (above it) its destination.
    let (mut fired, mut leaving) = ([0u64; CHUNK], [0u16; CHUNK]);
    for (class, key) in class[..n].chunks(CHUNK).zip(key[..n].chunks(CHUNK)) {
        let len = key.len();
        let fired = &mut fired[..len];
        masks(row, x.cycle, key, fired);
        // The exit of a citizen with mask `mask` and key `ky`, and (above it) its destination:
        // by the row's table where it has one, else (and where several exits fired) by [`pick`].
        let exit = |mask: u64, ky: u64| match row.by_mask.get(mask as usize) {
            Some(&e) if e != SEVERAL => e,
            _ => {
                let e = pick(mask, ks, ex, || rng::cycle_bits(ky, x.cycle)).unwrap_or(w);
                (e | dest_ix[e] << 8) as u16
            }
        };
        // Those who stay written to their row's list, those who leave listed.
        let mut nl = 0;
        let mut none = (Citizens::default(), 0);
        let (kept, ws) = match &mut lists[stay_d] {
            Some(list) => list,
            None => &mut none,
        };
        let room = *ws + 1 + len;
        kept.class.resize(room, 0);
        kept.key.resize(room, 0);
        let (kc, kk, mut c) = (&mut kept.class[..], &mut kept.key[..], *ws);
        for (i, ((&mask, &ky), &cl)) in fired.iter().zip(key).zip(class).enumerate() {
            let d = exit(mask, ky) >> 8;
            let stays = d as usize == stay_d;
            kc[c] = cl;
            kk[c] = ky;
            c += stays as usize;
            leaving[nl] = i as u16 | d << 8;
            nl += !stays as usize;
        }
        *ws = c;
        let leaving = &leaving[..nl];
        moves.resize(nm + len + 1, 0);
        // The moves: where an exit leads back to the row's state (only in the tests), from
        // each citizen's exit; else from each destination's citizens, below.
        if row.self_loop {
            let mv = &mut moves[..];
            for ((&mask, &ky), &cl) in fired.iter().zip(key).zip(class) {
                let k = (exit(mask, ky) & 0xff) as usize;
                mv[nm] = code[k] + cl as u64;
                nm += (k < w) as usize;
            }
        }
        // Each other destination: its citizens among those who leave.
        for (d, list) in lists.iter_mut().enumerate() {
            if d == stay_d {
                continue;
            }
            // The code of a move there, but the class.
            let code = x.cells.code(row.state, row.dests[d], 0);
            let Some((list, count)) = list else {
                // A finished row: nobody is kept, only the moves are recorded.
                if !row.self_loop {
                    let mv = &mut moves[..];
                    for &l in leaving {
                        mv[nm] = code + class[(l & 0xff) as usize] as u64;
                        nm += ((l >> 8) as usize == d) as usize;
                    }
                }
                continue;
            };
            list.class.resize(*count + 1 + nl, 0);
            list.key.resize(*count + 1 + nl, 0);
            let (oc, ok, mut c) = (&mut list.class[..], &mut list.key[..], *count);
            for &l in leaving {
                let i = (l & 0xff) as usize;
                oc[c] = class[i];
                ok[c] = key[i];
                c += ((l >> 8) as usize == d) as usize;
            }
            if !row.self_loop {
                for (m, &cl) in moves[nm..].iter_mut().zip(&oc[*count..c]) {
                    *m = code + cl as u64;
                }
                nm += c - *count;
            }
            *count = c;
        }
    }
    moves.truncate(nm);
    for (to, list) in row.next_rows.iter().zip(lists) {
        if let (Some(r), Some((mut list, c))) = (*to, list) {
            list.class.truncate(c);
            list.key.truncate(c);
            next.rows[r] = list;
        }
    }
}

/// Citizens per pass of [`portable_row`]: few enough that what one pass leaves for the next
/// stays in the L1 cache, and that a citizen's place in the chunk fits in a byte (as does its
/// destination's index: a row has at most [`exits::MASK_EXITS`] exits).
const CHUNK: usize = 256;
const _: () = assert!(CHUNK <= 256 && exits::MASK_EXITS < 256);

/// The mask of fired exits ([`fired`]) of each citizen of a row whose keys are `key`, into
/// `out` (as long as `key`). On a CPU with AVX2 (checked at run time) the same code is
/// compiled for it, and the compiler hashes four citizens at once; the arithmetic is the same
/// integer arithmetic, so the masks are the same bit for bit.
fn masks(row: &Row, cycle: u32, key: &[u64], out: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        /// [`masks_of`] compiled for AVX2.
        #[target_feature(enable = "avx2")]
        fn with_avx2(row: &Row, cycle: u32, key: &[u64], out: &mut [u64]) {
            masks_of(row, cycle, key, out)
        }
        // SAFETY: the CPU has AVX2, checked above.
        return unsafe { with_avx2(row, cycle, key, out) };
    }
    masks_of(row, cycle, key, out)
}

/// The work of [`masks`]. Rows of 1–4 exits get their keys and thresholds as arrays of a
/// known length, so that the loop over them unrolls (the same arithmetic in the same order).
#[inline(always)]
fn masks_of(row: &Row, cycle: u32, key: &[u64], out: &mut [u64]) {
    #[inline(always)]
    fn fixed<const N: usize>(row: &Row, cycle: u32, key: &[u64], out: &mut [u64]) {
        let (ks, ex) = (&row.keys[..], &row.exits[..]);
        match (<&[u64; N]>::try_from(ks), <&[Exit; N]>::try_from(ex)) {
            (Ok(ks), Ok(ex)) => each(key, out, |b| fired(ks, ex, rng::cycle_bits(b, cycle))),
            _ => each(key, out, |b| fired(ks, ex, rng::cycle_bits(b, cycle))),
        }
    }
    #[inline(always)]
    fn each(key: &[u64], out: &mut [u64], mask: impl Fn(u64) -> u64) {
        for (o, &k) in out.iter_mut().zip(key) {
            *o = mask(k);
        }
    }
    match row.exits.len() {
        1 => fixed::<1>(row, cycle, key, out),
        2 => fixed::<2>(row, cycle, key, out),
        3 => fixed::<3>(row, cycle, key, out),
        4 => fixed::<4>(row, cycle, key, out),
        _ => each(key, out, |b| {
            fired(&row.keys, &row.exits, rng::cycle_bits(b, cycle))
        }),
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

#[cfg(test)]
mod tests;
