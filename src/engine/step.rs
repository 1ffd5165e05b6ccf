//! Step (3) of a cycle for one citizen in one chain, in the general path: what the month loop
//! reads about a state at a glance ([`Hot`]), who and when ([`At`]), and the step itself
//! ([`StepCtx::chain`]: decide, then settle).

use super::compile::{CArm, CState};
use super::exits::{
    ChainState, Exit, MASK_EXITS, NanRate, Slot, StaticExits, Who, bound_aged, bound_of, competing,
    exact_fired, exit_of, fired, forced_exit, nan_error, pick, refresh_some, waiting_time,
};
use super::{Layout, life};
use crate::error::Result;
use crate::rng;

/// A state as the month loop sees it at a glance.
#[derive(Clone, Copy)]
pub(super) struct Hot {
    /// Something can move a citizen out of the state this cycle: an exit, a planned length
    /// with destinations, or (course chain) a death or a move at an age.
    pub(super) decides: bool,
    /// Course chain: the housing level held while in the state, or [`NOT_HELD`].
    pub(super) held: u16,
    /// Part of the course.
    pub(super) in_course: bool,
}

/// [`Hot::held`] of a state that holds no housing level.
pub(super) const NOT_HELD: u16 = u16::MAX;

impl Hot {
    /// Per (chain, state), in the global state index of the layout.
    pub(super) fn of(lay: &Layout, carm: &CArm) -> Vec<Hot> {
        let life = carm.life.as_ref();
        let mut hot = Vec::with_capacity(lay.n_states);
        for (c, states) in carm.chains.iter().enumerate() {
            for (s, cst) in states.iter().enumerate() {
                let event = c == 0 && life.is_some_and(|l| l.events[s]);
                hot.push(Hot {
                    decides: !cst.edges.is_empty() || cst.on_max.is_some() || event,
                    held: match c {
                        0 => cst.housing.unwrap_or(NOT_HELD),
                        _ => NOT_HELD,
                    },
                    in_course: cst.in_course,
                });
            }
        }
        hot
    }
}

/// Who, when and with which random bits one citizen-cycle is decided.
pub(super) struct At {
    /// Index in the block.
    pub(super) i: usize,
    /// Cohort number (for messages and observers).
    pub(super) id: usize,
    /// Booking class.
    pub(super) cl: usize,
    /// Cycle.
    pub(super) m: usize,
    /// The cycle's random bits ([`rng::cycle_bits`]).
    pub(super) bits: u64,
}

/// What step (3) reads for every citizen of a block.
pub(super) struct StepCtx<'a> {
    pub(super) lay: &'a Layout,
    pub(super) carm: &'a CArm,
    pub(super) tables: &'a StaticExits,
    pub(super) life: Option<&'a life::CLife>,
    pub(super) hot: &'a [Hot],
    pub(super) track_course: bool,
}

impl StepCtx<'_> {
    /// Step (3) in chain `c` for citizen `at.i`: the state it is in at the end of the cycle,
    /// moved there (counted as a flow) if it left. `stay`: it makes no move this cycle.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(super) fn chain(
        &self,
        c: usize,
        at: &At,
        who: &Who,
        ch: &mut ChainState,
        course_months: &mut u32,
        flows: &mut [u32],
        stay: bool,
    ) -> Result<u16> {
        let s = ch.state[at.i];
        let hot = self.hot(c, s);
        let mut dest = s;
        if !stay && hot.decides {
            let cst = &self.carm.chains[c][s as usize];
            let sl = &mut ch.slot[at.i];
            let clock = match cst.course_clock {
                true => *course_months,
                false => sl.months,
            };
            let row = (&mut ch.exits[..], ch.width, &mut ch.inexact[at.i]);
            dest = self
                .decide(c, s, cst, sl, row, at, clock, who)
                .map_err(|NanRate(k)| nan_error(self.carm, c, s, k, at.id, at.m))?;
        }
        if c == 0 && self.track_course {
            let stays_in = hot.in_course && (dest == s || self.hot(0, dest).in_course);
            *course_months = match stays_in {
                true => *course_months + self.lay.cycle_months,
                false => 0,
            };
        }
        Ok(self.settle(c, at, ch, dest, flows))
    }

    /// How the month loop sees state `s` of chain `c`.
    #[inline(always)]
    fn hot(&self, c: usize, s: u16) -> Hot {
        self.hot[self.lay.chain_offset[c] + s as usize]
    }

    /// Citizen `at.i` of chain `c` ends the cycle in `dest`: a move is counted and restarts
    /// the time in state; else the time in state grows.
    #[inline(always)]
    pub(super) fn settle(
        &self,
        c: usize,
        at: &At,
        ch: &mut ChainState,
        dest: u16,
        flows: &mut [u32],
    ) -> u16 {
        let s = ch.state[at.i];
        let sl = &mut ch.slot[at.i];
        if dest != s {
            flows[self.lay.flow_ix(at.m, c, s as usize, dest as usize, at.cl)] += 1;
            ch.state[at.i] = dest;
            sl.months = 0;
            sl.valid_until = 0;
        } else {
            sl.months += self.lay.cycle_months;
        }
        dest
    }

    /// Where a citizen in state `s` of chain `c` goes this cycle, where something can move
    /// it: a death or a move at an age (course chain), the planned length, or the exits —
    /// the state's shared table when its rates read nothing about the citizen but
    /// participation, else the citizen's own (`rows`, of `width` entries per citizen, with
    /// the entries that hold bounds in `inexact`), refreshed when stale.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        c: usize,
        s: u16,
        cst: &CState,
        sl: &mut Slot,
        (rows, width, inexact): (&mut [Exit], usize, &mut u64),
        at: &At,
        clock: u32,
        who: &Who,
    ) -> std::result::Result<u16, NanRate> {
        let bits = at.bits;
        let cm = self.lay.cycle_months;
        // The life course (course chain only): a death that fires, a move at an age.
        let (death, aged) = match self.life.filter(|_| c == 0) {
            Some(l) => (
                l.mortality
                    .as_ref()
                    .and_then(|d| d.fires(s, who.attrs, bits).map(|t| (t, d.death_state))),
                l.aged_out(s, who.attrs),
            ),
            None => (None, None),
        };
        if aged.is_some() || cst.max_months.is_some_and(|mx| clock + cm >= mx) {
            return Ok(match (death, aged) {
                (Some((_, dead)), _) => dead,
                (None, Some(to)) => to,
                (None, None) => forced_exit(cst, who, clock, bits, s)?,
            });
        }
        // The exit that fires, with its uniform and its rate.
        let won = match self.tables.get(c, s, who.participant) {
            Some((row, live)) => match live {
                true => competing(&cst.keys, row, bits).map(|k| (k, row[k].rate)),
                false => None,
            },
            None => {
                let row = &mut rows[at.i * width..(at.i + 1) * width];
                // Exits whose rates read an age: their entries go stale every cycle, the rest
                // only at a breakpoint. Where they can be bounded, the bounds are made once a
                // year and an exact entry only when its exit may fire.
                let (aged, bound) = match self.life {
                    Some(l) => (
                        l.refresh_every_cycle[c][s as usize],
                        l.age_bounds[c][s as usize].as_ref(),
                    ),
                    None => (0, None),
                };
                // Where a mask names every exit, the entries are made as bounds and each made
                // exact only when its coin falls below its bound (`exits::bound_of`).
                let lazy = cst.keys.len() <= MASK_EXITS;
                let remake = |row: &mut [Exit], inexact: &mut u64, edges: u64| {
                    let entry = match lazy {
                        true => {
                            *inexact |= edges;
                            bound_of
                        }
                        false => exit_of,
                    };
                    refresh_some(cst, who, clock, row, edges, entry)
                };
                if sl.valid_until == 0 {
                    *inexact = 0;
                    sl.live = remake(row, inexact, u64::MAX)?;
                    sl.valid_until = cst.next_breakpoint(clock).max(1);
                    sl.bound_until = 0;
                    sl.stale = 0;
                } else if clock >= sl.valid_until {
                    // A duration step: only the exits whose hazard ratio for the time in the
                    // state steps here (and those that read an age, and those a change of
                    // services made stale) change; every other entry was made from what it is
                    // made from now (a change of state or attributes empties the table), so
                    // the table is what a full refresh makes.
                    let stale = cst.crossed(sl.valid_until, clock) | aged | sl.stale as u64;
                    sl.live = remake(row, inexact, stale)?;
                    sl.valid_until = cst.next_breakpoint(clock).max(1);
                    sl.bound_until = 0;
                    sl.stale = 0;
                } else if sl.stale != 0 {
                    // A service the citizen took up or left, or its dilution: only the exits
                    // that read it (and those that read an age, as below).
                    let stale = sl.stale as u64;
                    let exact = if bound.is_none() { aged } else { 0 };
                    sl.live = remake(row, inexact, stale | exact)?;
                    if stale & aged != 0 {
                        // Those entries are exact now: the bounds are made again below.
                        sl.bound_until = 0;
                    }
                    sl.stale = 0;
                } else if aged != 0 && bound.is_none() {
                    sl.live = remake(row, inexact, aged)?;
                }
                if let Some(b) = bound
                    && (sl.bound_until == 0 || clock >= sl.bound_until)
                {
                    match bound_aged(cst, who, clock, row, aged, b)? {
                        Some(live) => {
                            // Those entries are bounds of their own, with rates that are not
                            // exact: made exact by the test of `bound_until` below.
                            *inexact &= !aged;
                            sl.live = live;
                            sl.bound_until = clock + b.cycles * self.lay.cycle_months;
                        }
                        None => {
                            sl.live = remake(row, inexact, aged)?;
                            sl.bound_until = 0;
                        }
                    }
                }
                match sl.live {
                    true if bound.is_some() || lazy => {
                        let mut mask = fired(&cst.keys, row, bits);
                        if sl.bound_until != 0 && mask & aged != 0 {
                            // An exit that reads an age may fire: decide on its exact entry.
                            sl.live = remake(row, inexact, aged)?;
                            sl.bound_until = 0;
                            mask = fired(&cst.keys, row, bits);
                        }
                        mask = exact_fired(&cst.keys, row, bits, mask, inexact);
                        pick(mask, &cst.keys, row, || bits).map(|k| (k, row[k].rate))
                    }
                    true => competing(&cst.keys, row, bits).map(|k| (k, row[k].rate)),
                    false => None,
                }
            }
        };
        let won = won.map(|(k, rate)| (k, rng::mix64(bits ^ cst.keys[k]), rate));
        Ok(match (won, death) {
            (None, None) => s,
            (None, Some((_, dead))) => dead,
            (Some((k, _, _)), None) => cst.edges[k].to,
            (Some((k, u, rate)), Some((t, dead))) => {
                // Both fired: the shorter waiting time wins.
                if t < waiting_time(u, rate) {
                    dead
                } else {
                    cst.edges[k].to
                }
            }
        })
    }
}
