//! The monthly engine: moves one replication's citizens through the cycles of one arm and
//! counts, per cycle, how many citizens of each booking class are in each state and how many
//! moved between states. Amounts are computed from these counts afterwards (see
//! [`crate::economics`]), so the engine itself never touches money.
//!
//! Each cycle: (1) the cycle's starters enter in their start states; (2) each service's
//! capacity is allocated in a fixed order (waiting since, then citizen id); (3) every present
//! citizen who can leave its state draws one uniform per exit of that state — each keyed by
//! the exit's name, see [`crate::rng`] — and moves to the exit with the shortest waiting time among
//! those that fire, or stays; (4) the states at the end of the cycle are counted.
//!
//! With a life course ([`life`]): death is one more competing exit of every course state but
//! the death state, with its own uniform keyed `mortality`, so adding it moves only the
//! citizens who die; a move at an age (`at_age`) is a forced move of the cycle in which the
//! age is reached; ageing attributes grow by the cycle's length at the end of each cycle, and
//! the cached entries of exits whose rates read an age are refreshed every cycle — or, where
//! they can be bounded ([`life::AgeBound`]), bounded for a year and made exact only in a cycle
//! where the exit may fire, which decides exactly as the refresh of every cycle would.
//!
//! Step (3) of a citizen in a state left only by shared exit tables whom none of its coins
//! moves (no exit, no death, no move at an age) is settled without the general step
//! (module `quiet`); the general step (module `step`) decides everyone else.

mod allocate;
mod clock;
pub mod compile;
mod counts;
mod exits;
mod fast;
pub mod life;
mod quiet;
#[cfg(target_arch = "x86_64")]
mod simd;
mod step;
mod watch;

use crate::cohort::Citizens;
use crate::error::Result;
use crate::rng;
use allocate::{AllocCtx, ServiceState, allocate};
use clock::Clocks;
use compile::CArm;
use exits::{ChainState, Exit, Slot, StaticExits, Who};
use fast::{FastTables, Moves, Present, fast_cycle};
use quiet::{Quiet, Quietly, Settle};
use step::{At, Hot, NOT_HELD, StepCtx};

pub use counts::{
    ArmCounts, Layout, NO_CLOCK, ROW_ALLOCATED, ROW_DEMAND, ROW_FIRST_SERVED, ROW_FTE, StaffRow,
};

/// Sees every citizen-cycle; used by tests and traces. The default does nothing and costs
/// nothing.
pub trait Observer {
    /// Citizen `citizen` is in `states` (course, housing) at the end of `cycle`.
    #[inline(always)]
    fn citizen_cycle(&mut self, _cycle: u32, _citizen: usize, _states: [u16; 2]) {}

    /// The same with the citizen's attributes at the end of `cycle` (for traces); by default
    /// it calls [`Observer::citizen_cycle`].
    #[inline(always)]
    fn citizen_state(&mut self, cycle: u32, citizen: usize, states: [u16; 2], _attrs: &[f64]) {
        self.citizen_cycle(cycle, citizen, states);
    }

    /// A service's queue in `cycle`, sorted by (waiting since, citizen id): the first
    /// `served` entries got the service, the rest wait.
    #[inline(always)]
    fn queue(&mut self, _cycle: u32, _service: usize, _queue: &[(u32, usize)], _served: usize) {}

    /// Whether the observer looks at citizens at all. An observer that does (the default)
    /// sees every cycle's citizens in id order; one that does not lets the engine simulate
    /// the cohort in blocks, in parallel (see [`run_arm`]).
    fn sees_citizens(&self) -> bool {
        true
    }
}

/// An observer that does nothing.
pub struct NoObserver;
impl Observer for NoObserver {
    fn sees_citizens(&self) -> bool {
        false
    }
}

/// Records every citizen's states per cycle (for small runs: memory grows with n × cycles).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Trajectories {
    /// (cycle, citizen, states) in the order seen.
    pub rows: Vec<(u32, usize, [u16; 2])>,
}
impl Observer for Trajectories {
    fn citizen_cycle(&mut self, cycle: u32, citizen: usize, states: [u16; 2]) {
        self.rows.push((cycle, citizen, states));
    }
}

/// Who is a participant of the arm's programme, and each citizen's booking class.
pub fn classes(carm: &CArm, cit: &Citizens, static_class: &[u16]) -> Vec<u16> {
    (0..cit.n)
        .map(|i| {
            let e = cit.entry[i];
            let participant =
                e >= carm.offer_from && e <= carm.offer_to && cit.offer_u[i] < carm.offer_share;
            static_class[i] * 2 + participant as u16
        })
        .collect()
}

/// Run one arm of one replication. Fails only when a rate is not a number (for example a
/// hazard ratio of 0 times one that overflowed to infinity).
///
/// Without services citizens never meet, so the cohort is simulated in blocks of
/// [`BLOCK`] citizens — each block through every cycle while its citizens' records are in
/// cache — and, when the observer does not look at citizens, the blocks run in parallel. The
/// counts are integers summed in block order, so the result is the same on any number of
/// threads and the same as one pass over the whole cohort.
pub fn run_arm<O: Observer>(
    lay: &Layout,
    carm: &CArm,
    cit: &Citizens,
    class: &[u16],
    seed: u64,
    rep: u32,
    obs: &mut O,
) -> Result<ArmCounts> {
    run_arm_onto(lay, carm, cit, class, seed, rep, obs, None)
}

/// The counts of some of an arm's citizens, simulated apart from the others ([`run_part`]),
/// not yet closed: only a base for [`run_arm_onto`], which closes the sum (closing the part
/// too would be work thrown away, the sum's end-of-cycle counts are made anew from its moves).
#[derive(Debug, Clone)]
pub struct Part(ArmCounts);

/// Run citizens `cit` of one arm as [`run_arm`] does, as a [`Part`] for [`run_arm_onto`].
pub fn run_part(
    lay: &Layout,
    carm: &CArm,
    cit: &Citizens,
    class: &[u16],
    seed: u64,
    rep: u32,
) -> Result<Part> {
    run_open(lay, carm, cit, class, seed, rep, &mut NoObserver, None).map(Part)
}

/// [`run_arm`], its counts added to `base` (the counts of other citizens of the same arm,
/// simulated apart): what `ArmCounts::merge` of the two gives, without zeroing counts of
/// its own and adding them after.
#[allow(clippy::too_many_arguments)]
pub fn run_arm_onto<O: Observer>(
    lay: &Layout,
    carm: &CArm,
    cit: &Citizens,
    class: &[u16],
    seed: u64,
    rep: u32,
    obs: &mut O,
    base: Option<Part>,
) -> Result<ArmCounts> {
    let mut counts = run_open(lay, carm, cit, class, seed, rep, obs, base.map(|p| p.0))?;
    counts.close(lay);
    Ok(counts)
}

/// [`run_arm_onto`] but for the closing of the counts ([`ArmCounts::close`]).
#[allow(clippy::too_many_arguments)]
fn run_open<O: Observer>(
    lay: &Layout,
    carm: &CArm,
    cit: &Citizens,
    class: &[u16],
    seed: u64,
    rep: u32,
    obs: &mut O,
    base: Option<ArmCounts>,
) -> Result<ArmCounts> {
    let tables = StaticExits::new(carm);
    let ctx = BlockCtx {
        lay,
        carm,
        cit,
        class,
        seed,
        rep,
        tables: &tables,
    };
    Ok(
        if !carm.services.is_empty() || obs.sees_citizens() || cit.n <= BLOCK {
            run_block(&ctx, 0, cit.n, obs, base)?
        } else {
            use rayon::prelude::*;
            let parts: Vec<Result<ArmCounts>> = (0..cit.n.div_ceil(BLOCK))
                .into_par_iter()
                .map(|b| {
                    run_block(
                        &ctx,
                        b * BLOCK,
                        ((b + 1) * BLOCK).min(cit.n),
                        &mut NoObserver,
                        None,
                    )
                })
                .collect();
            let mut parts = parts.into_iter();
            let mut total = match base {
                Some(base) => ArmCounts::onto(lay, carm, base),
                None => parts
                    .next()
                    .unwrap_or_else(|| Ok(ArmCounts::zeros(lay, carm)))?,
            };
            for p in parts {
                total.merge(&p?);
            }
            total
        },
    )
}

/// The citizens whose first cycle not yet settled (`ahead_until`) is `m` or earlier, as bits
/// into `take` (bit j of word w: citizen 64·w + j; the words past them cleared).
fn due(ahead_until: &[u32], m: u32, take: &mut [u64]) {
    take.fill(0);
    for (word, until) in take.iter_mut().zip(ahead_until.chunks(64)) {
        *word = until
            .iter()
            .enumerate()
            .fold(0, |w, (j, &t)| w | ((t <= m) as u64) << j);
    }
}

/// The citizens named by the bits of `take` ([`due`]), in increasing order.
fn citizens_of(take: &[u64]) -> impl Iterator<Item = usize> + '_ {
    take.iter().enumerate().flat_map(|(w, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let j = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                64 * w + j
            })
        })
    })
}

/// Citizens per block of [`run_arm`] when they do not share services.
pub const BLOCK: usize = 4096;

/// What every block of one arm's run reads.
struct BlockCtx<'a> {
    lay: &'a Layout,
    carm: &'a CArm,
    cit: &'a Citizens,
    class: &'a [u16],
    seed: u64,
    rep: u32,
    tables: &'a StaticExits,
}
/// Run citizens `lo..hi` of one arm through every cycle, their counts added to `base` (zeros
/// when None, see [`ArmCounts::onto`]); `end` is left to [`ArmCounts::close`].
fn run_block<O: Observer>(
    x: &BlockCtx,
    lo: usize,
    hi: usize,
    obs: &mut O,
    base: Option<ArmCounts>,
) -> Result<ArmCounts> {
    let BlockCtx {
        lay,
        carm,
        cit,
        seed,
        rep,
        tables,
        ..
    } = *x;
    let class = &x.class[lo..hi];
    let n = hi - lo;
    let entry = &cit.entry[lo..hi];
    let h = lay.horizon;
    let cm = lay.cycle_months;
    let n_chains = carm.chains.len();
    let benefit = carm.benefit.as_ref();
    let n_sv = carm.services.len();
    let mut counts = match base {
        Some(base) => ArmCounts::onto(lay, carm, base),
        None => ArmCounts::zeros(lay, carm),
    };
    let n_held = carm.held.len();
    // Bit in the service mask of each held service (0: not in this arm, never held).
    let held_bits: Vec<u32> = carm
        .held
        .iter()
        .map(|&si| carm.services.get(si).map_or(0, |s| 1u32 << s.index))
        .collect();
    // Attributes may change (a monthly service can lower a health burden), so each arm
    // works on its own copy.
    let na = cit.n_attrs;
    let mut attrs = cit.attrs[lo * na..hi * na].to_vec();
    let mut svc = ServiceState::new(carm, n, h);
    let mut chains: Vec<ChainState> = (0..n_chains)
        .map(|c| {
            // A table per citizen only where a state's rates depend on the citizen.
            let own = carm.chains[c]
                .iter()
                .enumerate()
                .any(|(s, cst)| !cst.edges.is_empty() && tables.get(c, s as u16, false).is_none());
            let width = if own {
                carm.chains[c]
                    .iter()
                    .map(|s| s.edges.len())
                    .max()
                    .unwrap_or(0)
            } else {
                0
            };
            ChainState {
                state: cit.start[lo..hi].iter().map(|s| s[c]).collect(),
                slot: vec![Slot::default(); n],
                exits: vec![Exit::default(); n * width],
                width,
                inexact: vec![0; n],
            }
        })
        .collect();
    // Months since entering the course states (runs across moves between them).
    let mut course_months = vec![0u32; n];
    // Weeks on covered benefits = prior weeks + months on the refusion clock × 52/12.
    let prior_weeks: Vec<f64> = match benefit {
        Some(b) => (lo..hi)
            .map(|i| b.prior_attribute.map_or(0.0, |a| cit.attr(i, a).max(0.0)))
            .collect(),
        None => Vec::new(),
    };
    let mut clocks = Clocks::new(lay, carm, prior_weeks);
    // A citizen who starts in a course state that holds a housing level has that level.
    if n_chains > 1 {
        for i in 0..n {
            if let Some(hl) = carm.chains[0][chains[0].state[i] as usize].housing {
                chains[1].state[i] = hl;
            }
        }
    }
    // Work the hot loop can skip when the scenario does not use it.
    let track_course = carm.chains[0].iter().any(|s| s.course_clock)
        || carm.services.iter().any(|s| s.min_course_months > 0);
    let life = carm.life.as_ref();
    let hot = Hot::of(lay, carm);
    let keys: Vec<u64> = (lo..hi)
        .map(|i| rng::citizen_key(seed, rep, cit.id[i]))
        .collect();
    // The table-driven fast path: no services, refusion clock, held services, life course,
    // clocks or housing moves, and every course state either left by its shared exit table
    // alone or never left. Then a cycle is only the exit choice of the general path below
    // (the two steps of [`competing`] on the same [`StaticExits`] tables, the same flow
    // counters), see [`FastTables`].
    let plain = n_sv == 0
        && benefit.is_none()
        && n_held == 0
        && life.is_none()
        && !track_course
        && hot.iter().all(|h| h.held == NOT_HELD)
        && carm
            .chains
            .iter()
            .skip(1)
            .flatten()
            .all(|s| s.edges.is_empty() && s.on_max.is_none() && s.max_months.is_none());
    // The fast path keeps its own lists of the citizens it still moves, grouped by exit table
    // (see [`Present`]), so an observer that looks at every citizen in id order is shown the
    // general path, which makes the same choices.
    let fast = match plain && !obs.sees_citizens() {
        true => FastTables::new(carm, tables),
        false => None,
    };
    let mut moves = Moves::default();
    let mut present = fast.as_ref().map(Present::new);
    let mut next = fast.as_ref().map(Present::new);
    let mut entered_before = 0;
    let step = StepCtx {
        lay,
        carm,
        tables,
        life,
        hot: &hot,
        track_course,
    };
    // Chains whose states the month loop follows (the course and, if any, housing).
    let n_follow = n_chains.min(2);
    // Only an observer that looks at citizens is shown each citizen-cycle.
    let sees = obs.sees_citizens();
    let quiet = Quiet::new(carm, &clocks, tables, &hot, (track_course, cm));
    let settle = Settle {
        life,
        cm,
        track_course,
    };
    // Per citizen: the first cycle not yet settled (a quiet citizen's later cycles are settled
    // with the cycle in which it is first found quiet, where nothing else can reach it); and
    // the citizens the loop takes in a cycle, those with an earlier one, as bits (bit j of
    // word w: citizen 64·w + j), so that it takes them in id order without a branch per
    // citizen passed by.
    let mut ahead_until = vec![0u32; n];
    let mut take = vec![0u64; n.div_ceil(64)];
    for m in 0..h {
        let active = cit.entered[m].clamp(lo, hi) - lo;
        let entering = entered_before..active;
        for (i, &cl) in class.iter().enumerate().take(active).skip(entered_before) {
            for (c, ch) in chains.iter().enumerate() {
                counts.new[lay.state_ix(m, c, ch.state[i] as usize, cl as usize)] += 1;
            }
            clocks.enter(i, cl as usize, chains.iter().map(|ch| ch.state[i]));
        }
        entered_before = active;
        if n_sv > 0 && !svc.finished {
            allocate(
                m,
                active,
                AllocCtx {
                    obs: &mut *obs,
                    keys: &keys,
                    lay,
                    carm,
                    class,
                    course_months: &mut course_months,
                    chains: &mut chains,
                    attrs: &mut attrs,
                    n_attrs: na,
                    st: &mut svc,
                    counts: &mut counts,
                    clocks: &mut clocks,
                },
            );
        }
        if let (Some(fast), Some(present), Some(next)) = (&fast, &mut present, &mut next) {
            let state = &chains[0].state;
            present.enter_all(
                fast,
                &state[entering.clone()],
                &class[entering.clone()],
                &keys[entering],
            );
            fast_cycle(fast, present, next, m, lay, &mut counts, &mut moves);
            continue;
        }
        // Refusion steps at the start of the cycle (after the services' moves).
        clocks.write(&mut counts, m, true);
        let (mask, ratio, moved_in) = (&svc.mask, &svc.ratio, &svc.moved_in);
        let flows = &mut counts.flows;
        due(&ahead_until[..active], m as u32, &mut take);
        for i in citizens_of(&take) {
            let cl = class[i] as usize;
            // The states at the start (`was`) and at the end (`now`) of the cycle, per chain,
            // kept as scalars: arrays built cell by cell in memory and then read whole stall
            // on store forwarding.
            let was = (
                chains[0].state[i],
                chains.get(1).map_or(0, |ch| ch.state[i]),
            );
            let bits = rng::cycle_bits(keys[i], m as u32);
            // The course: a service that moved the citizen this cycle keeps it there until
            // the next (one move per dimension per cycle).
            let moved = n_sv > 0 && moved_in[i] == m as u32 + 1;
            // A citizen whom no coin moves, in a state settled by shared tables ([`Quiet`]):
            // what the general step below does when nobody moves.
            if !moved
                && (n_held == 0 || mask[i] == 0)
                && let Some(q) = quiet.row(was.0, was.1, cl & 1 == 1)
                && q.keeps(life, &chains, i, &attrs[i * na..(i + 1) * na], bits)
            {
                // While no allocation can reach the citizen (no service is for its state, it
                // holds none and waits for none) nothing but its own coins can move it, so the
                // cycles after this one are settled now, one by one as the loop would, for as
                // long as none of their coins moves it and its refusion step stays; the loop
                // passes it by until the first cycle that is not settled so (`ahead`).
                let ahead = !sees && svc.untouched(i, was.0);
                let me = Quietly {
                    q,
                    i,
                    cl,
                    was,
                    key: keys[i],
                };
                let until = if ahead { h } else { m + 1 };
                let attrs_i = &mut attrs[i * na..(i + 1) * na];
                let course_i = &mut course_months[i];
                let span = (m, until);
                let t = settle.cycles(&me, &mut chains, &mut clocks, course_i, attrs_i, span);
                ahead_until[i] = t as u32;
                if sees {
                    let attrs = &attrs[i * na..(i + 1) * na];
                    obs.citizen_state(m as u32, cit.id[lo + i] as usize, [was.0, was.1], attrs);
                }
                continue;
            }
            let who = Who {
                attrs: &attrs[i * na..(i + 1) * na],
                participant: cl & 1 == 1,
                mask: mask[i],
                ratio,
            };
            let at = At {
                i,
                id: cit.id[lo + i] as usize,
                cl,
                m,
                bits,
            };
            let cm0 = &mut course_months[i];
            let now0 = step.chain(0, &at, &who, &mut chains[0], cm0, flows, moved)?;
            let now1 = match n_chains > 1 {
                // Housing is held by the course state where it holds a level (e.g. none after
                // death); else it moves on its own.
                true => match hot[now0 as usize].held {
                    NOT_HELD => {
                        let cm1 = &mut course_months[i];
                        step.chain(1, &at, &who, &mut chains[1], cm1, flows, false)?
                    }
                    hl => step.settle(1, &at, &mut chains[1], hl, flows),
                },
                false => 0,
            };
            clocks.advance(i, cl, cm, was, (now0, now1), n_chains > 1);
            if n_held > 0 && svc.mask[i] != 0 {
                let (before, now) = ([was.0, was.1], [now0, now1]);
                let counted_at_start = entry[i] < m as u32 || carm.count_time_zero;
                for (t, &bit) in held_bits.iter().enumerate() {
                    if bit == 0 || svc.mask[i] & bit == 0 {
                        continue;
                    }
                    for c in 0..n_follow {
                        if counted_at_start {
                            let ix = lay.state_ix(m, c, before[c] as usize, cl);
                            counts.held_start[ix * n_held + t] += 1;
                        }
                        let ix = lay.state_ix(m, c, now[c] as usize, cl);
                        counts.held_end[ix * n_held + t] += 1;
                    }
                }
            }
            if let Some(l) = life {
                l.grow(now0, &mut attrs[i * na..(i + 1) * na]);
            }
            if sees {
                obs.citizen_state(m as u32, at.id, [now0, now1], &attrs[i * na..(i + 1) * na]);
            }
        }
        clocks.write(&mut counts, m, false);
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::{citizens_of, due};

    /// The citizens due in a cycle are those whose first cycle not settled is that cycle or
    /// earlier, in increasing order, over several words and a short last one.
    #[test]
    fn the_citizens_due_are_those_not_settled_past_the_cycle() {
        let ahead_until: Vec<u32> = (0..150u32).map(|i| (i * 37) % 11).collect();
        let mut take = vec![u64::MAX; 4];
        for m in 0..12 {
            due(&ahead_until, m, &mut take);
            let want: Vec<usize> = (0..150).filter(|&i| ahead_until[i] <= m).collect();
            assert_eq!(citizens_of(&take).collect::<Vec<_>>(), want, "cycle {m}");
            assert_eq!(take[3], 0, "no citizen past the last");
        }
    }
}
