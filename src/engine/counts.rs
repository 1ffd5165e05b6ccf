//! What the engine counts and where: the layout of the count arrays of one scenario
//! ([`Layout`]), one arm's counts of one replication ([`ArmCounts`]) and the per-cycle row
//! of a service's staffing ([`StaffRow`]).

use super::compile::CArm;

/// Sizes and offsets of the count arrays of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Cycles.
    pub horizon: usize,
    /// States per chain.
    pub chain_size: Vec<usize>,
    /// Offset of each chain's states in the global state index.
    pub chain_offset: Vec<usize>,
    /// Offset of each chain's flows in the flow index (from·S + to).
    pub flow_offset: Vec<usize>,
    /// Total states over chains.
    pub n_states: usize,
    /// Total flow cells over chains.
    pub n_flows: usize,
    /// Per state in the global state index: its place among the states where the refusion
    /// clock runs, by which the refusion-step counts are laid out ([`ArmCounts::steps_start`]),
    /// or [`NO_CLOCK`].
    pub clock_slot: Vec<usize>,
    /// States where the refusion clock runs.
    pub n_clock: usize,
    /// Booking classes.
    pub n_classes: usize,
    /// Months per cycle.
    pub cycle_months: u32,
}

/// [`Layout::clock_slot`] of a state where the refusion clock does not run.
pub const NO_CLOCK: usize = usize::MAX;

impl Layout {
    /// Layout for chain sizes, horizon and classes; `clock_states` (per chain, per state,
    /// empty without refusion) are the states where the refusion clock runs
    /// ([`super::compile::BenefitClock::states`]).
    pub fn new(
        chain_size: Vec<usize>,
        horizon: usize,
        n_classes: usize,
        cycle_months: u32,
        clock_states: &[Vec<bool>],
    ) -> Layout {
        let mut chain_offset = Vec::new();
        let mut flow_offset = Vec::new();
        let (mut so, mut fo) = (0, 0);
        for &s in &chain_size {
            chain_offset.push(so);
            flow_offset.push(fo);
            so += s;
            fo += s * s;
        }
        let mut clock_slot = vec![NO_CLOCK; so];
        let mut n_clock = 0;
        for (c, on) in clock_states.iter().enumerate() {
            for (s, _) in on.iter().enumerate().filter(|(_, on)| **on) {
                clock_slot[chain_offset[c] + s] = n_clock;
                n_clock += 1;
            }
        }
        Layout {
            horizon,
            chain_size,
            chain_offset,
            flow_offset,
            n_states: so,
            n_flows: fo,
            clock_slot,
            n_clock,
            n_classes,
            cycle_months,
        }
    }

    /// Index into a state-count array.
    #[inline(always)]
    pub fn state_ix(&self, cycle: usize, chain: usize, state: usize, class: usize) -> usize {
        ((cycle * self.n_states) + self.chain_offset[chain] + state) * self.n_classes + class
    }

    /// Index of (`cycle`, `chain`, `state`, class 0) into the refusion-step counts, in cells
    /// of one class ([`ArmCounts::steps_start`]: the class's steps follow at (index + class) ·
    /// steps); None where the refusion clock does not run (no citizen is counted there).
    #[inline(always)]
    pub fn clock_ix(&self, cycle: usize, chain: usize, state: usize) -> Option<usize> {
        match self.clock_slot[self.chain_offset[chain] + state] {
            NO_CLOCK => None,
            slot => Some((cycle * self.n_clock + slot) * self.n_classes),
        }
    }

    /// Index into a flow-count array.
    #[inline(always)]
    pub fn flow_ix(
        &self,
        cycle: usize,
        chain: usize,
        from: usize,
        to: usize,
        class: usize,
    ) -> usize {
        ((cycle * self.n_flows) + self.flow_offset[chain] + from * self.chain_size[chain] + to)
            * self.n_classes
            + class
    }
}

/// One service in one cycle: capacity, used, queue at the end of allocation, newly
/// allocated, the summed waiting months of the newly allocated, the FTE staffed and the
/// demand (citizens eligible: holding, or waiting for, the service).
pub type StaffRow = [f64; 8];
/// Index of the citizens newly given a slot or a service in the cycle in a [`StaffRow`].
pub const ROW_ALLOCATED: usize = 3;
/// Index of the FTE staffed in a [`StaffRow`].
pub const ROW_FTE: usize = 5;
/// Index of the demand in a [`StaffRow`].
pub const ROW_DEMAND: usize = 6;
/// Index of [`StaffRow`]: citizens served for the first time in the cycle.
pub const ROW_FIRST_SERVED: usize = 7;

/// What one arm of one replication produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArmCounts {
    /// Citizens per (cycle, state, class) at the end of the cycle.
    pub end: Vec<u32>,
    /// Starters per (cycle, start state, class), counted at the start of their entry cycle.
    pub new: Vec<u32>,
    /// Moves per (cycle, chain, from, to, class) during the cycle.
    pub flows: Vec<u32>,
    /// With refusion: citizens per (cycle, state where the benefit clock runs, class, refusion
    /// step) at the start of the cycle (see [`Layout::clock_ix`]); empty otherwise.
    pub steps_start: Vec<u32>,
    /// The same at the end of the cycle.
    pub steps_end: Vec<u32>,
    /// Per (cycle, service with capacity): see [`StaffRow`].
    pub staffing: Vec<StaffRow>,
    /// Holders of the services counted per state ([`super::compile::held_services`]): per (cycle,
    /// state, class, held service), citizens holding the service in the cycle, counted in
    /// their state at the start of the cycle (starters only with `count_time_zero`); empty
    /// when no account uses `while_served`.
    pub held_start: Vec<u32>,
    /// The same, counted in the state at the end of the cycle.
    pub held_end: Vec<u32>,
}

impl ArmCounts {
    /// Citizens in (chain, state) at the end of `cycle`, over all classes.
    pub fn at_end(&self, lay: &Layout, cycle: usize, chain: usize, state: usize) -> u32 {
        let i = lay.state_ix(cycle, chain, state, 0);
        self.end[i..i + lay.n_classes].iter().sum()
    }

    /// Citizens in (chain, state) at the start of `cycle` (after entry), over all classes.
    pub fn at_start(&self, lay: &Layout, cycle: usize, chain: usize, state: usize) -> u32 {
        let i = lay.state_ix(cycle, chain, state, 0);
        let new: u32 = self.new[i..i + lay.n_classes].iter().sum();
        let before = if cycle == 0 {
            0
        } else {
            self.at_end(lay, cycle - 1, chain, state)
        };
        before + new
    }
}

impl ArmCounts {
    /// The counts of one arm from a run over joint classes (see
    /// [`crate::montecarlo::run_counts_with`], laid out by `joint`): joint class `j` of
    /// `joint.n_classes` is summed into class `map[j]` of `n_classes`. Every count array is
    /// laid out as (…, class, detail), so this is one pass per array; staffing has no classes
    /// and is kept.
    pub fn project(&self, joint: &Layout, n_classes: usize, map: &[usize]) -> ArmCounts {
        let n_joint = joint.n_classes;
        // Cells per class of the state counts and of the refusion-step counts; each array's
        // detail per class (refusion steps, held services) is its length over them.
        let states = joint.horizon * joint.n_states * n_joint;
        let clock = joint.horizon * joint.n_clock * n_joint;
        let per = |v: &Vec<u32>, cells: usize| v.len().checked_div(cells).unwrap_or(0);
        let proj = |v: &Vec<u32>, detail: usize| -> Vec<u32> {
            if v.is_empty() || detail == 0 {
                return v.clone();
            }
            let outer = v.len() / (n_joint * detail);
            let mut out = vec![0u32; outer * n_classes * detail];
            for (o, src) in v.chunks_exact(n_joint * detail).enumerate() {
                let dst = &mut out[o * n_classes * detail..(o + 1) * n_classes * detail];
                for (j, cell) in src.chunks_exact(detail).enumerate() {
                    let d = &mut dst[map[j] * detail..(map[j] + 1) * detail];
                    for (x, y) in d.iter_mut().zip(cell) {
                        *x += y;
                    }
                }
            }
            out
        };
        ArmCounts {
            end: proj(&self.end, 1),
            new: proj(&self.new, 1),
            flows: proj(&self.flows, 1),
            steps_start: proj(&self.steps_start, per(&self.steps_start, clock)),
            steps_end: proj(&self.steps_end, per(&self.steps_end, clock)),
            staffing: self.staffing.clone(),
            held_start: proj(&self.held_start, per(&self.held_start, states)),
            held_end: proj(&self.held_end, per(&self.held_end, states)),
        }
    }
}
impl ArmCounts {
    /// Empty counts of an arm.
    pub(super) fn zeros(lay: &Layout, carm: &CArm) -> ArmCounts {
        ArmCounts::onto(lay, carm, ArmCounts::default())
    }

    /// Counts of an arm that start from `base` (other citizens of the same arm, simulated
    /// apart): each count array of `base` where it has the arm's shape, zeros where it has not
    /// (held services the other run did not count; every array of an empty `base`), and no
    /// staffing — as `ArmCounts::merge` adds them.
    pub(super) fn onto(lay: &Layout, carm: &CArm, base: ArmCounts) -> ArmCounts {
        let n_steps = carm.benefit.as_ref().map_or(0, |b| b.from_weeks.len());
        let cells = lay.horizon * lay.n_states * lay.n_classes;
        let steps = lay.horizon * lay.n_clock * lay.n_classes * n_steps;
        let keep = |v: Vec<u32>, len: usize| if v.len() == len { v } else { vec![0; len] };
        ArmCounts {
            end: keep(base.end, cells),
            new: keep(base.new, cells),
            flows: keep(base.flows, lay.horizon * lay.n_flows * lay.n_classes),
            steps_start: keep(base.steps_start, steps),
            steps_end: keep(base.steps_end, steps),
            staffing: vec![[0.0; 8]; lay.horizon * carm.services.len()],
            held_start: keep(base.held_start, cells * carm.held.len()),
            held_end: keep(base.held_end, cells * carm.held.len()),
        }
    }

    /// Add the counts of other citizens of the same arm, simulated apart (another block of
    /// [`run_arm`]; the non-participants of [`crate::montecarlo::run_counts_with`] are
    /// counted onto instead, see [`run_arm_onto`]): every count is a sum over citizens.
    /// Staffing is kept (the other citizens hold no service); so are the held-service counts
    /// where the other run has none of them.
    pub(super) fn merge(&mut self, o: &ArmCounts) {
        for (x, y) in [
            (&mut self.end, &o.end),
            (&mut self.new, &o.new),
            (&mut self.flows, &o.flows),
            (&mut self.steps_start, &o.steps_start),
            (&mut self.steps_end, &o.steps_end),
            (&mut self.held_start, &o.held_start),
            (&mut self.held_end, &o.held_end),
        ] {
            if x.len() == y.len() {
                for (a, b) in x.iter_mut().zip(y) {
                    *a += b;
                }
            }
        }
    }

    /// End-of-cycle counts follow from the start counts and the moves, so the hot loop only
    /// touches counters when somebody moves.
    pub(super) fn close(&mut self, lay: &Layout) {
        let ncl = lay.n_classes;
        // Cells of one cycle: (state, class).
        let cells = lay.n_states * ncl;
        for m in 0..lay.horizon {
            // The citizens at the end of the previous cycle plus the starters, then each move
            // out of its state and into the other. Each count is a small non-negative integer,
            // so adding and subtracting modulo 2³² in any order gives it exactly.
            let (done, rest) = self.end.split_at_mut(m * cells);
            let end = &mut rest[..cells];
            end.copy_from_slice(&self.new[m * cells..(m + 1) * cells]);
            if m > 0 {
                for (e, &p) in end.iter_mut().zip(&done[(m - 1) * cells..]) {
                    *e = e.wrapping_add(p);
                }
            }
            for (c, &size) in lay.chain_size.iter().enumerate() {
                let f = lay.flow_ix(m, c, 0, 0, 0);
                let flows = &self.flows[f..f + size * size * ncl];
                let chain = &mut end[lay.chain_offset[c] * ncl..][..size * ncl];
                // Flow cells are (from, to, class); most are 0, so runs of 16 cells are
                // skipped at once when all are (an OR over the run, which vectorises).
                for (r, run) in flows.chunks(16).enumerate() {
                    if run.iter().fold(0, |a, &n| a | n) == 0 {
                        continue;
                    }
                    for (k, &n) in run.iter().enumerate() {
                        if n != 0 {
                            let k = r * 16 + k;
                            let (from, to, cl) = (k / (size * ncl), k / ncl % size, k % ncl);
                            chain[to * ncl + cl] = chain[to * ncl + cl].wrapping_add(n);
                            chain[from * ncl + cl] = chain[from * ncl + cl].wrapping_sub(n);
                        }
                    }
                }
            }
        }
    }
}
