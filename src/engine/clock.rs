//! The refusion clock of a block's citizens (weeks on covered benefits, see
//! [`BenefitClock`]) and the count of citizens on each refusion step.
//!
//! The counts per (cycle, state on the clock, class, step) at the start and at the end of each
//! cycle are kept as a running tally that changes only when a citizen changes state or step,
//! and copied into [`ArmCounts::steps_start`] and [`ArmCounts::steps_end`] once per cycle: a
//! citizen who stays put on the same step costs no counting.

use super::compile::{BenefitClock, CArm};
use super::{ArmCounts, Layout, NO_CLOCK};

/// Per citizen: months on the clock and the refusion step there; and the running tally.
pub(super) struct Clocks<'a> {
    benefit: Option<&'a BenefitClock>,
    /// Per citizen: months on the clock and the refusion step there.
    at: Vec<(u32, usize)>,
    /// Per citizen: the months on the clock at which its step next rises (`u32::MAX`: not
    /// within the horizon, or on the last step), so that a cycle on the clock that stays on
    /// its step costs an addition and a comparison.
    rise: Vec<u32>,
    /// Per citizen: prior weeks on covered benefits.
    prior_weeks: Vec<f64>,
    /// Weeks for whole months on the clock: months × 52/12 (kept as whole months so that step
    /// boundaries such as week 27 after 6 months are hit exactly).
    month_weeks: Vec<f64>,
    /// Citizens now per (state where the clock runs, class, step).
    live: Vec<u32>,
    /// Per state in the global state index: its place in `live` ([`Layout::clock_slot`]), or
    /// [`NO_CLOCK`] where the clock does not run.
    slot: &'a [usize],
    chain_offset: &'a [usize],
    n_classes: usize,
    n_steps: usize,
}

impl<'a> Clocks<'a> {
    /// The clocks of `prior_weeks.len()` citizens (prior weeks each), every clock at 0 months.
    pub(super) fn new(lay: &'a Layout, carm: &'a CArm, prior_weeks: Vec<f64>) -> Clocks<'a> {
        let benefit = carm.benefit.as_ref();
        let n_steps = benefit.map_or(0, |b| b.from_weeks.len());
        let month_weeks = match benefit {
            Some(_) => (0..=lay.horizon as u32 * lay.cycle_months)
                .map(|months| (months as f64 * 52.0) / 12.0)
                .collect(),
            None => Vec::new(),
        };
        let at = match benefit {
            Some(b) => prior_weeks
                .iter()
                .map(|&w| (0, b.step(w + month_weeks[0])))
                .collect(),
            None => Vec::new(),
        };
        // The layout and the arm are compiled from the same scenario's clock states.
        debug_assert!(benefit.is_none_or(|b| {
            let on = b.states.iter().flatten();
            on.zip(&lay.clock_slot)
                .all(|(&on, &slot)| on == (slot != NO_CLOCK))
        }));
        let mut clocks = Clocks {
            benefit,
            rise: vec![u32::MAX; at.len()],
            at,
            prior_weeks,
            month_weeks,
            live: vec![0; lay.n_clock * lay.n_classes * n_steps],
            slot: &lay.clock_slot,
            chain_offset: &lay.chain_offset,
            n_classes: lay.n_classes,
            n_steps,
        };
        for i in 0..clocks.at.len() {
            clocks.rise[i] = clocks.next_rise(i);
        }
        clocks
    }

    /// The first number of months on the clock, beyond citizen `i`'s months now, at which its
    /// step is higher than its step now; `u32::MAX` if none within the horizon. The step only
    /// rises with the months ([`BenefitClock::step_from`] is monotone in the weeks), so a
    /// binary search finds it.
    fn next_rise(&self, i: usize) -> u32 {
        let Some(b) = self.benefit else {
            return u32::MAX;
        };
        let (at, step) = self.at[i];
        if step + 1 >= self.n_steps {
            return u32::MAX;
        }
        let rises = |m: usize| b.step_from(self.prior_weeks[i] + self.month_weeks[m], step) > step;
        let (mut lo, mut hi) = (at as usize + 1, self.month_weeks.len());
        if lo >= hi || !rises(hi - 1) {
            return u32::MAX;
        }
        // rises(hi - 1) holds; find the first m in lo..hi where it does.
        hi -= 1;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if rises(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo as u32
    }

    /// For how many more cycles of `cm` months citizen `i`'s clock can run with its refusion
    /// step staying ([`Clocks::stay`] moves it in the tally when it rises).
    #[inline(always)]
    pub(super) fn steady(&self, i: usize, cm: u32) -> u64 {
        if self.benefit.is_none() {
            return u64::MAX;
        }
        // The k-th cycle ends at `at + cm·k`, which must stay below `rise`: the cycles that
        // end there are those that start at `at + cm`, `at + 2·cm`, … .
        cycles_below(self.at[i].0.saturating_add(cm), self.rise[i], cm)
    }

    /// Whether the scenario has a benefit clock.
    #[inline(always)]
    pub(super) fn runs(&self) -> bool {
        self.benefit.is_some()
    }

    /// Whether the clock runs in state `s` of chain `c`.
    #[inline(always)]
    fn on(&self, c: usize, s: u16) -> bool {
        self.slot[self.chain_offset[c] + s as usize] != NO_CLOCK
    }

    /// Whether the clock runs for a citizen in `states` (course, housing): in the course state,
    /// or, when `housing`, in the housing state.
    #[inline(always)]
    pub(super) fn runs_in(&self, states: (u16, u16), housing: bool) -> bool {
        self.on(0, states.0) || (housing && self.on(1, states.1))
    }

    #[inline(always)]
    fn cell(&self, c: usize, s: u16, cl: usize, step: usize) -> usize {
        (self.slot[self.chain_offset[c] + s as usize] * self.n_classes + cl) * self.n_steps + step
    }

    /// Count citizen `i` (class `cl`) in its states `states` (per chain) as it enters.
    pub(super) fn enter(&mut self, i: usize, cl: usize, states: impl Iterator<Item = u16>) {
        if !self.runs() {
            return;
        }
        let step = self.at[i].1;
        for (c, s) in states.enumerate() {
            if self.on(c, s) {
                let ix = self.cell(c, s, cl, step);
                self.live[ix] += 1;
            }
        }
    }

    /// Citizen `i` (class `cl`) moved from `from` to `to` in chain `c` on the same step (a
    /// service's move before the month's exits).
    pub(super) fn moved(&mut self, i: usize, cl: usize, c: usize, from: u16, to: u16) {
        if !self.runs() {
            return;
        }
        let step = self.at[i].1;
        self.shift(c, from, to, cl, (step, step));
    }

    /// The end of citizen `i`'s cycle: its clock runs one cycle (`months` long) when it was on
    /// the clock at the start (`before`: its course and housing states then; housing only
    /// when `housing`), and the tally follows its move from `before` to `now` and any change
    /// of step. (The states are scalars, not arrays: an array written cell by cell and then
    /// read whole stalls on store forwarding.)
    #[inline(always)]
    pub(super) fn advance(
        &mut self,
        i: usize,
        cl: usize,
        months: u32,
        before: (u16, u16),
        now: (u16, u16),
        housing: bool,
    ) {
        let Some(b) = self.benefit else { return };
        let old = self.at[i].1;
        let step = match self.runs_in(before, housing) {
            true => self.run(b, i, months),
            false => old,
        };
        if step == old && before.0 == now.0 && before.1 == now.1 {
            return;
        }
        self.retally(cl, before, now, (old, step), housing);
    }

    /// [`Clocks::advance`] for a citizen who stays in `states`, where the clock runs
    /// ([`Clocks::runs_in`], which the caller has asked once for all such citizens): the same,
    /// without asking again.
    #[inline(always)]
    pub(super) fn stay(
        &mut self,
        i: usize,
        cl: usize,
        months: u32,
        states: (u16, u16),
        housing: bool,
    ) {
        let Some(b) = self.benefit else { return };
        let old = self.at[i].1;
        let step = self.run(b, i, months);
        if step != old {
            self.retally(cl, states, states, (old, step), housing);
        }
    }

    /// The tally follows a citizen of class `cl` from (`before`, step `steps.0`) to (`now`,
    /// step `steps.1`) in the course chain and, when `housing`, in the housing chain.
    #[inline(always)]
    fn retally(
        &mut self,
        cl: usize,
        before: (u16, u16),
        now: (u16, u16),
        steps: (usize, usize),
        housing: bool,
    ) {
        self.shift(0, before.0, now.0, cl, steps);
        if housing {
            self.shift(1, before.1, now.1, cl, steps);
        }
    }

    /// Citizen `i`'s clock runs `months` more; returns its step then. The step can only rise,
    /// and only where `rise` says it does.
    #[inline(always)]
    fn run(&mut self, b: &BenefitClock, i: usize, months: u32) -> usize {
        let (at, step) = self.at[i];
        let at = at + months;
        if at < self.rise[i] {
            self.at[i].0 = at;
            return step;
        }
        let step = b.step_from(self.prior_weeks[i] + self.month_weeks[at as usize], step);
        self.at[i] = (at, step);
        self.rise[i] = self.next_rise(i);
        step
    }

    /// A citizen of class `cl` went from (`from`, step `steps.0`) to (`to`, step `steps.1`)
    /// in chain `c`.
    #[inline(always)]
    fn shift(&mut self, c: usize, from: u16, to: u16, cl: usize, steps: (usize, usize)) {
        if self.on(c, from) {
            let ix = self.cell(c, from, cl, steps.0);
            self.live[ix] -= 1;
        }
        if self.on(c, to) {
            let ix = self.cell(c, to, cl, steps.1);
            self.live[ix] += 1;
        }
    }

    /// Add the tally to cycle `m`'s counts at its start (`start`) or end (which may hold the
    /// counts of other citizens of the arm, see [`ArmCounts::onto`]).
    pub(super) fn write(&self, counts: &mut ArmCounts, m: usize, start: bool) {
        if !self.runs() {
            return;
        }
        let n = self.live.len();
        let out = match start {
            true => &mut counts.steps_start,
            false => &mut counts.steps_end,
        };
        for (o, &l) in out[m * n..(m + 1) * n].iter_mut().zip(&self.live) {
            *o += l;
        }
    }
}

/// How many of the cycles that start at `months`, `months + cm`, … start below `limit`.
#[inline(always)]
pub(super) fn cycles_below(months: u32, limit: u32, cm: u32) -> u64 {
    match months < limit {
        true => (limit - months - 1) as u64 / cm.max(1) as u64 + 1,
        false => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compile::compile_arm;
    use crate::montecarlo::{draw_params, layout};
    use crate::rng::SplitMix;
    use rand::Rng;

    fn unit(r: &mut SplitMix) -> f64 {
        crate::rng::to_unit(r.next_u64())
    }

    /// The step the clock keeps by `rise` ([`Clocks::advance`], [`Clocks::stay`]) equals the
    /// plain [`BenefitClock::step`] of the citizen's weeks after every cycle, and the tally
    /// counts every citizen on the clock on its step: prior weeks on and around the steps'
    /// boundaries and at random, moves on and off the clock, the shipped scenario's horizon.
    #[test]
    fn the_step_by_its_next_rise_is_the_step_of_the_weeks() {
        let sc = crate::scenario::load_default().expect("shipped scenario loads");
        let values = draw_params(&sc, 1, 0, true);
        let carm = compile_arm(&sc, &values, 0, 1.0).expect("compiles");
        let lay = layout(&sc, 2);
        let b = carm
            .benefit
            .as_ref()
            .expect("the shipped scenario has refusion");
        assert!(b.from_weeks.len() > 2, "a staircase of several steps");
        let on = (0..carm.chains[0].len() as u16).find(|&s| b.states[0][s as usize]);
        let off = (0..carm.chains[0].len() as u16).find(|&s| !b.states[0][s as usize]);
        let (on, off) = (on.expect("a state on the clock"), off.expect("one off it"));
        let mut r = SplitMix::new(5, 9);
        let mut prior: Vec<f64> = Vec::new();
        for &w in &b.from_weeks {
            for d in [-1.0, -0.5, -1e-9, 0.0, 1e-9, 0.5, 1.0] {
                prior.push(w as f64 + d);
            }
        }
        prior.extend((0..200).map(|_| unit(&mut r) * 80.0));
        prior.extend([-3.0, 0.0, 2000.0]);
        let n = prior.len();
        let mut clocks = Clocks::new(&lay, &carm, prior.clone());
        let mut state: Vec<u16> = (0..n).map(|i| if i % 3 == 2 { off } else { on }).collect();
        for (i, &s) in state.iter().enumerate() {
            clocks.enter(i, 0, [s].into_iter());
        }
        let mut rises = 0;
        for m in 0..lay.horizon {
            for (i, p) in prior.iter().enumerate() {
                let was = state[i];
                // Most stay; some move between a state on the clock and one off it.
                let now = match unit(&mut r) < 0.2 {
                    true => [on, off][(unit(&mut r) < 0.5) as usize],
                    false => was,
                };
                let before = clocks.at[i].1;
                match was == on && now == on {
                    true => clocks.stay(i, 0, lay.cycle_months, (on, 0), false),
                    false => clocks.advance(i, 0, lay.cycle_months, (was, 0), (now, 0), false),
                }
                state[i] = now;
                let (at, step) = clocks.at[i];
                assert_eq!(step, b.step(p + clocks.month_weeks[at as usize]), "{i} {m}");
                rises += (step != before) as usize;
            }
            for step in 0..clocks.n_steps {
                let on_step = (0..n).filter(|&i| state[i] == on && clocks.at[i].1 == step);
                let ix = clocks.cell(0, on, 0, step);
                assert_eq!(
                    clocks.live[ix],
                    on_step.count() as u32,
                    "cycle {m} step {step}"
                );
            }
        }
        assert!(rises >= n / 2, "the test crosses steps ({rises} of {n})");
    }

    /// The cycles that start at 10, 13, 16, … months below a limit, counted by hand.
    #[test]
    fn cycles_below_counts_the_cycles_that_start_below_the_limit() {
        // 10, 13, 16 and 19 start below 20; 22 does not.
        assert_eq!(cycles_below(10, 20, 3), 4);
        // 10, 13, 16 below 19: the limit itself is not below.
        assert_eq!(cycles_below(10, 19, 3), 3);
        assert_eq!(cycles_below(10, 11, 3), 1);
        assert_eq!(cycles_below(10, 10, 3), 0);
        assert_eq!(cycles_below(12, 10, 1), 0);
        // Monthly cycles: every month from 0 to 59 is below a planned length of 60.
        assert_eq!(cycles_below(0, 60, 1), 60);
        // No limit: more cycles than any horizon.
        assert!(cycles_below(0, u32::MAX, 1) > 1_000_000);
    }
}
