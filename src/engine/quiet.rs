//! Citizens who stay where they are, settled cheaply. Most citizen-cycles of a long horizon are
//! spent after the course — on a pension, in a flex job, in old age — in states whose exits
//! are shared tables ([`StaticExits`]) and where the only other event is a death or a move at
//! an age. For such a citizen the general step reads a dozen records to find out, most
//! cycles, that nothing happens. [`Quiet`] holds, per (course state, housing state,
//! participation), the coins that can move the citizen; when none of them fires for a citizen
//! who holds no service and was not moved by one this cycle (the same [`fired`] on the same
//! tables and the same random bits as the general step, the same mortality test and age
//! test), the citizen's cycle is settled by the same bookkeeping the general step does when
//! nobody moves. When any fires, the citizen takes the general step, which decides exactly as
//! always.
//!
//! Where no allocation can reach such a citizen (no service is for its state, it holds none
//! and waits for none), nothing but its own coins can move it, so the month loop settles its
//! following cycles at once, with the same test ([`Row::keeps`]) and the same bookkeeping,
//! until the first cycle that test does not settle or in which its refusion step would rise;
//! the loop then passes the citizen by until that cycle. The cycles are settled exactly as
//! they would be one month at a time, only earlier: nothing else reads or writes the citizen
//! meanwhile, and its coins are a function of the cycle, not of when they are drawn. Over
//! such a stretch the thresholds of its coins stay the same, and the life course's tests come
//! down to a coin of their own ([`CLife::steady`]), so the first cycle in which any coin can
//! fire is found eight cycles at a time ([`Watch`]); that cycle alone takes the test.
//!
//! A state whose rates read something about the citizen other than an age (a duration step,
//! an attribute modifier or band, a service effect) has no shared table, but while the
//! citizen's own cached table is current — made, and not yet at a duration step, with no exit
//! that reads an age — the general step uses it unchanged; such a state is settled here on
//! that table ([`Row::own_stays`]), under the same conditions the general step checks before
//! using it.

use super::clock::{Clocks, cycles_below};
use super::compile::CArm;
use super::exits::{ChainState, Exit, StaticExits, fired};
use super::life::{CLife, Fate};
use super::step::{Hot, NOT_HELD};
use super::watch::Watch;
use crate::rng;

/// The most coins a [`Row`] holds (exits of the course state and of the housing state).
pub(super) const MAX_COINS: usize = 8;

/// The coins of one (course state, housing state, participation) whose citizens can be
/// settled here: the exits of the course state's shared table and, where the course state
/// does not hold the housing level, those of the housing state's, side by side; after them,
/// the keys of a state's exits that are read with the citizen's own table ([`Row::own`]).
#[derive(Clone, Copy)]
pub(super) struct Row {
    keys: [u64; MAX_COINS],
    exits: [Exit; MAX_COINS],
    /// The coins of the shared tables (the first `n` of `keys` and `exits`).
    n: usize,
    /// Per chain (course, housing): where in `keys` (first, how many) the keys of the state's
    /// exits lie when they are read with the citizen's own table; None for a shared table.
    own: [Option<(u8, u8)>; 2],
    /// Per chain: the state's own table holds bounds for the exits that read an age
    /// ([`crate::engine::life::AgeBound`]), which must be current too.
    bounded: [bool; 2],
    /// The time in the course state before which its planned length does not end this
    /// cycle: its `max_months` less a cycle (`u32::MAX` without a planned length).
    before_max: u32,
    /// The course state is part of the course and the course time is tracked: it grows in
    /// each settled cycle (else it is 0).
    pub(super) in_course: bool,
    /// Months per cycle.
    cm: u32,
    /// What the life course can do in the course state (None without a life course).
    pub(super) fate: Option<Fate>,
    /// The refusion clock runs in the course state or the housing state ([`Clocks::runs_in`]).
    pub(super) clock: bool,
}

/// The keys and thresholds of a shared table's coins.
type Shared<'a> = (&'a [u64], &'a [Exit]);

/// The coins of a state for [`Row::new`]: keys and thresholds of a shared table (none where
/// nothing leaves), or the keys of the citizen's own table and whether it holds bounds for
/// exits that read an age.
enum Coins<'a> {
    Shared(Shared<'a>),
    Own(&'a [u64], bool),
}

impl<'a> Coins<'a> {
    /// The shared coins (none for an own table) and the own table's keys (None for a shared
    /// table).
    fn split(&self) -> (Shared<'a>, Option<&'a [u64]>) {
        match *self {
            Coins::Shared(shared) => (shared, None),
            Coins::Own(keys, _) => ((&[], &[]), Some(keys)),
        }
    }

    /// An own table with bounds for the exits that read an age.
    fn bounded(&self) -> bool {
        matches!(*self, Coins::Own(_, true))
    }
}

impl Row {
    /// The row of course state `s0` and housing state `s1` with the coins of each; None when
    /// they are more than [`MAX_COINS`]. `track_course`: the course time is tracked.
    fn new(
        carm: &CArm,
        clocks: &Clocks,
        (s0, s1): (usize, usize),
        (course, housing): (Coins, Coins),
        track_course: bool,
        cm: u32,
    ) -> Option<Row> {
        let bounded = [course.bounded(), housing.bounded()];
        let cst = &carm.chains[0][s0];
        let ((course, own0), (housing, own1)) = (course.split(), housing.split());
        let n = course.0.len() + housing.0.len();
        let own_len = |o: Option<&[u64]>| o.map_or(0, <[u64]>::len);
        if n + own_len(own0) + own_len(own1) > MAX_COINS {
            return None;
        }
        let mut row = Row {
            keys: [0; MAX_COINS],
            exits: [Exit::default(); MAX_COINS],
            n,
            own: [None; 2],
            bounded,
            before_max: cst.max_months.map_or(u32::MAX, |mx| mx.saturating_sub(cm)),
            in_course: track_course && cst.in_course,
            cm,
            fate: carm.life.as_ref().map(|l| l.fate(s0 as u16)),
            clock: clocks.runs_in((s0 as u16, s1 as u16), carm.chains.len() > 1),
        };
        let keys = course.0.iter().chain(housing.0);
        let exits = course.1.iter().chain(housing.1);
        for (k, (&key, &exit)) in keys.zip(exits).enumerate() {
            row.keys[k] = key;
            row.exits[k] = exit;
        }
        let mut at = n;
        for (c, own) in [own0, own1].into_iter().enumerate() {
            if let Some(keys) = own {
                row.keys[at..at + keys.len()].copy_from_slice(keys);
                row.own[c] = Some((at as u8, keys.len() as u8));
                at += keys.len();
            }
        }
        Some(row)
    }

    /// Whether no exit of the shared tables fires for the cycle's random bits `bits`.
    #[inline(always)]
    fn stays(&self, bits: u64) -> bool {
        let n = self.n.min(MAX_COINS);
        fired(&self.keys[..n], &self.exits[..n], bits) == 0
    }

    /// Whether nothing moves citizen `i` (attributes `attrs`) this cycle, whose random bits
    /// are `bits`: the row's tests of the time in the states pass ([`Row::time_tests`]) and
    /// no coin moves it ([`Row::coins_keep`]).
    #[inline(always)]
    pub(super) fn keeps(
        &self,
        life: Option<&CLife>,
        chains: &[ChainState],
        i: usize,
        attrs: &[f64],
        bits: u64,
    ) -> bool {
        self.time_tests(chains, i, true, |ok, months, limit| ok && months < limit) == Some(true)
            && self.coins_keep(life, chains, i, attrs, bits)
    }

    /// For how many cycles, from the one that starts with citizen `i`'s time in its states
    /// as in `chains`, the row's tests of that time pass if the citizen stays (0: not even in
    /// this one); see [`Row::time_tests`].
    #[inline(always)]
    fn steady(&self, chains: &[ChainState], i: usize) -> u64 {
        let cm = self.cm;
        let fold = |n: u64, months, limit| n.min(cycles_below(months, limit, cm));
        self.time_tests(chains, i, u64::MAX, fold).unwrap_or(0)
    }

    /// The row's tests of citizen `i`'s time in its states, folded with `f` from `init`, each
    /// a pair (months, limit) that passes while the months are below the limit: the course
    /// state's planned length does not end this cycle, and each own table is current — the
    /// time in the state not yet at its next duration step, and where the table holds
    /// bounds for the exits that read an age, the bounds not yet due again. None where an
    /// own table is not current whatever the time: not made (`valid_until` = 0), an entry
    /// stale after a change of services, or its bounds not made. While all pass, the general
    /// step uses the tables without a refresh, and it moves the citizen exactly when an exit
    /// fires.
    #[inline(always)]
    fn time_tests<T>(
        &self,
        chains: &[ChainState],
        i: usize,
        init: T,
        f: impl Fn(T, u32, u32) -> T,
    ) -> Option<T> {
        let mut acc = f(init, chains.first()?.slot[i].months, self.before_max);
        for (c, own) in self.own.iter().enumerate() {
            if own.is_none() {
                continue;
            }
            let sl = &chains.get(c)?.slot[i];
            if sl.valid_until == 0 || sl.stale != 0 || (self.bounded[c] && sl.bound_until == 0) {
                return None;
            }
            acc = f(acc, sl.months, sl.valid_until);
            if self.bounded[c] {
                acc = f(acc, sl.months, sl.bound_until);
            }
        }
        Some(acc)
    }

    /// Whether no coin moves citizen `i` (attributes `attrs`) in a cycle whose random bits are
    /// `bits` and whose time tests pass ([`Row::time_tests`]): no exit of the shared tables or of
    /// its own tables fires, and the life course neither ends its life nor moves it at an
    /// age.
    #[inline(always)]
    fn coins_keep(
        &self,
        life: Option<&CLife>,
        chains: &[ChainState],
        i: usize,
        attrs: &[f64],
        bits: u64,
    ) -> bool {
        self.stays(bits)
            && self.own_stays(0, chains.first(), i, bits)
            && self.own_stays(1, chains.get(1), i, bits)
            && (life.zip(self.fate.as_ref())).is_none_or(|(l, f)| l.spares(f, attrs, bits))
    }

    /// The coins that can move citizen `i` in a cycle whose time tests pass
    /// ([`Row::time_tests`]): those of the shared tables, then those of its own tables that
    /// are live, with their thresholds — the coins of [`Row::coins_keep`] but the life
    /// course's, onto `w`. While the time tests pass the thresholds stay the same.
    fn watch(&self, chains: &[ChainState], i: usize, w: &mut Watch) {
        let n = self.n.min(MAX_COINS);
        for (&key, x) in self.keys[..n].iter().zip(&self.exits[..n]) {
            w.push(key, x.threshold);
        }
        for (own, ch) in self.own.iter().zip(chains) {
            if let (Some(own), true) = (*own, ch.slot[i].live) {
                let (keys, exits) = self.own_coins(own, ch, i);
                for (&key, x) in keys.iter().zip(exits) {
                    w.push(key, x.threshold);
                }
            }
        }
    }

    /// Whether no exit of citizen `i`'s own table in chain `c` (`ch`, None without that
    /// chain) fires for `bits`, the table current ([`Row::time_tests`]); true where the row's
    /// state there has a shared table. None fires where the table is not `live` (every
    /// threshold is 0). A bound is at least the exact entry it stands for, so where no exit
    /// fires on the bounds none fires on the exact entries either (the general step makes an
    /// exact entry only when its bound fires).
    #[inline(always)]
    fn own_stays(&self, c: usize, ch: Option<&ChainState>, i: usize, bits: u64) -> bool {
        let Some((at, n)) = self.own[c] else {
            return true;
        };
        let Some(ch) = ch else {
            return false;
        };
        let (keys, exits) = self.own_coins((at, n), ch, i);
        !ch.slot[i].live || fired(keys, exits, bits) == 0
    }

    /// The keys of the coins read with an own table (where `own` places them in `keys`) and
    /// citizen `i`'s entries for them in its table of chain `ch`.
    #[inline(always)]
    fn own_coins<'a>(
        &'a self,
        (at, n): (u8, u8),
        ch: &'a ChainState,
        i: usize,
    ) -> (&'a [u64], &'a [Exit]) {
        let keys = &self.keys[at as usize..][..n as usize];
        let exits = &ch.exits[i * ch.width..(i + 1) * ch.width];
        (keys, &exits[..keys.len()])
    }
}

/// The rows of an arm, by (course state, housing state, participation); None where a citizen
/// there takes the general step every cycle (every row when [`CArm::quiet`] is off).
pub(super) struct Quiet {
    rows: Vec<Option<Row>>,
    /// Housing states (1 without housing).
    n1: usize,
}

impl Quiet {
    /// Which states of the arm can be settled here: no planned length but in a course state
    /// whose clock is its own time in it, exits by a shared table (or none) or by the
    /// citizen's own table where the state's clock is its own time in it and every exit that
    /// reads an age is bounded ([`Row::own_stays`]); housing held by the course state or left
    /// likewise. Course states are settled too when the course time is tracked: it grows in
    /// each settled cycle, as in the general step.
    pub(super) fn new(
        carm: &CArm,
        clocks: &Clocks,
        tables: &StaticExits,
        hot: &[Hot],
        (track_course, cm): (bool, u32),
    ) -> Quiet {
        let n0 = carm.chains.first().map_or(0, |c| c.len());
        let housing = carm.chains.len() > 1;
        let n1 = if housing { carm.chains[1].len() } else { 1 };
        // The coins of (chain, state) for a participant or not; None: not settled here.
        let coins = |c: usize, s: usize, p: bool| -> Option<Coins> {
            let cst = &carm.chains[c][s];
            // The planned length is checked on the time in the state ([`Row::keeps`]).
            if cst.max_months.is_some() && (c != 0 || cst.course_clock) {
                return None;
            }
            if cst.edges.is_empty() {
                return Some(Coins::Shared((&[], &[])));
            }
            match tables.get(c, s as u16, p) {
                Some((row, true)) => Some(Coins::Shared((&cst.keys, row))),
                Some((_, false)) => Some(Coins::Shared((&[], &[]))),
                // The citizen's own table: the general step refreshes it on the state's clock
                // (so that must be the time in the state), and every cycle for an exit that
                // reads an age unless such exits are bounded.
                None => {
                    let life = carm.life.as_ref();
                    let bounded = life.is_some_and(|l| l.age_bounds[c][s].is_some());
                    let aged = life.is_some_and(|l| l.refresh_every_cycle[c][s] != 0);
                    (!cst.course_clock && (bounded || !aged) && cst.keys.len() <= MAX_COINS)
                        .then_some(Coins::Own(&cst.keys, bounded))
                }
            }
        };
        let mut rows = Vec::with_capacity(n0 * n1 * 2);
        if !carm.quiet {
            return Quiet { rows, n1 };
        }
        for (s0, h) in hot.iter().take(n0).enumerate() {
            for s1 in 0..n1 {
                for p in [false, true] {
                    let row = coins(0, s0, p).and_then(|course| {
                        let housing = match (housing, h.held) {
                            (false, _) => Coins::Shared((&[], &[])),
                            (true, NOT_HELD) => coins(1, s1, p)?,
                            // A citizen not yet at the held level moves to it: the general step.
                            (true, hl) if hl as usize != s1 => return None,
                            (true, _) => Coins::Shared((&[], &[])),
                        };
                        Row::new(carm, clocks, (s0, s1), (course, housing), track_course, cm)
                    });
                    rows.push(row);
                }
            }
        }
        Quiet { rows, n1 }
    }

    /// The row of a citizen in course state `s0` and housing state `s1` (0 without housing).
    #[inline(always)]
    pub(super) fn row(&self, s0: u16, s1: u16, participant: bool) -> Option<&Row> {
        let ix = (s0 as usize * self.n1 + s1 as usize) * 2 + participant as usize;
        self.rows.get(ix).and_then(Option::as_ref)
    }
}

/// What settling a quiet citizen's cycles reads besides the citizen ([`Settle::cycles`]).
pub(super) struct Settle<'a> {
    pub(super) life: Option<&'a CLife>,
    /// Months per cycle.
    pub(super) cm: u32,
    /// The course time is tracked (outside the course it stays 0).
    pub(super) track_course: bool,
}

/// A quiet citizen: its row, its number in the block, its class, its states (course,
/// housing) and its random key.
pub(super) struct Quietly<'a> {
    pub(super) q: &'a Row,
    pub(super) i: usize,
    pub(super) cl: usize,
    pub(super) was: (u16, u16),
    pub(super) key: u64,
}

impl Settle<'_> {
    /// Settle cycle `from` of citizen `c`, whom nothing moved in it — what the general step
    /// does when nobody moves: the time in its states, its refusion clock, its ages — and
    /// then each following cycle before `until` that [`Row::keeps`] settles and in which its
    /// refusion step stays: the cycles in which no coin can fire are passed over many at a
    /// time ([`Watch`]), and the others take the test. Returns the first cycle not settled.
    /// Out of line, so that the loop keeps the citizen's records in registers rather than in
    /// the month loop's frame.
    #[inline(never)]
    pub(super) fn cycles(
        &self,
        c: &Quietly,
        chains: &mut [ChainState],
        clocks: &mut Clocks,
        course_months: &mut u32,
        attrs: &mut [f64],
        (from, until): (usize, usize),
    ) -> usize {
        // The course time grows in each cycle settled in the course; outside the course it is
        // 0 in every cycle settled here.
        if self.track_course && !c.q.in_course {
            *course_months = 0;
        }
        // Cycle `from`, found quiet by the caller (its refusion step may rise at its end).
        self.stay(c, chains, clocks, course_months, 1);
        if let Some(l) = self.life {
            l.grow(c.was.0, attrs);
        }
        // The cycles after it, for as long as its time in the states, its course time and
        // its clock only grow (no planned length ends, its own tables stay current, its
        // refusion step stays): only their coins and ages are looked at one by one, and
        // the rest is booked for all of them after the loop.
        let steady = match c.q.clock {
            true => c.q.steady(chains, c.i).min(clocks.steady(c.i, self.cm)),
            false => c.q.steady(chains, c.i),
        };
        let last = (from as u64 + 1).saturating_add(steady).min(until as u64) as usize;
        // Their coins, many cycles at a time while the life course's tests come down to a
        // coin of its own ([`CLife::steady`]). A cycle in which a coin fires, and one for
        // which `steady` cannot vouch, takes the exact test alone (`Row::coins_keep`).
        let mut watch = Watch::default();
        c.q.watch(chains, c.i, &mut watch);
        let exits = watch.len();
        let mut t = from + 1;
        // The cycles before `sure` are looked at by `watch`.
        let mut sure = t;
        while t < last {
            if t >= sure {
                let want = (last - t) as u64;
                let (cycles, death) = match (self.life, &c.q.fate) {
                    (Some(l), Some(fate)) => l.steady(fate, c.was.0, attrs, want),
                    _ => (want, None),
                };
                watch.truncate(exits);
                sure = match death.is_none_or(|(key, threshold)| watch.push(key, threshold)) {
                    true => t + cycles.min(want) as usize,
                    false => t,
                };
            }
            let fired = watch.first_fired(c.key, t, sure);
            if let Some(l) = self.life {
                l.grow_by(c.was.0, attrs, fired - t);
            }
            // None fired before `sure`: the cycles from there are looked at afresh.
            let ended = fired == sure && sure > t;
            t = fired;
            if ended {
                continue;
            }
            let bits = rng::cycle_bits(c.key, t as u32);
            if !c.q.coins_keep(self.life, chains, c.i, attrs, bits) {
                break;
            }
            if let Some(l) = self.life {
                l.grow(c.was.0, attrs);
            }
            t += 1;
        }
        self.stay(c, chains, clocks, course_months, (t - from - 1) as u32);
        t
    }

    /// The bookkeeping of `k` cycles in which citizen `c` stays: its time in its states and
    /// its course time grow, and its refusion clock runs.
    #[inline(always)]
    fn stay(
        &self,
        c: &Quietly,
        chains: &mut [ChainState],
        clocks: &mut Clocks,
        course_months: &mut u32,
        k: u32,
    ) {
        let months = self.cm * k;
        for ch in chains.iter_mut().take(2) {
            ch.slot[c.i].months += months;
        }
        if c.q.in_course {
            *course_months += months;
        }
        if c.q.clock {
            clocks.stay(c.i, c.cl, months, c.was, chains.len() > 1);
        }
    }
}
