//! The monthly engine: moves one replication's citizens through the cycles of one arm and
//! counts, per cycle, how many citizens of each booking class are in each state and how many
//! moved between states. Amounts are computed from these counts afterwards (see
//! [`crate::economics`]), so the engine itself never touches money.
//!
//! Each cycle: (1) the cycle's starters enter in their start states; (2) each service's
//! capacity is allocated in a fixed order (waiting since, then citizen id); (3) every present
//! citizen who can leave its state draws one uniform per exit of that state — each keyed by
//! the exit's name, see [`rng`] — and moves to the exit with the shortest waiting time among
//! those that fire, or stays; (4) the states at the end of the cycle are counted.

pub mod compile;
pub mod rng;

use crate::cohort::Citizens;
use crate::error::{Error, Result};
use crate::scenario::ServiceKind;
use compile::{CArm, CService, CState};

/// Sizes and offsets of the count arrays of one scenario.
#[derive(Debug, Clone)]
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
    /// Booking classes.
    pub n_classes: usize,
    /// Months per cycle.
    pub cycle_months: u32,
}

impl Layout {
    /// Layout for chain sizes, horizon and classes.
    pub fn new(
        chain_size: Vec<usize>,
        horizon: usize,
        n_classes: usize,
        cycle_months: u32,
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
        Layout {
            horizon,
            chain_size,
            chain_offset,
            flow_offset,
            n_states: so,
            n_flows: fo,
            n_classes,
            cycle_months,
        }
    }

    /// Index into a state-count array.
    #[inline(always)]
    pub fn state_ix(&self, cycle: usize, chain: usize, state: usize, class: usize) -> usize {
        ((cycle * self.n_states) + self.chain_offset[chain] + state) * self.n_classes + class
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
pub type StaffRow = [f64; 7];
/// Index of the FTE staffed in a [`StaffRow`].
pub const ROW_FTE: usize = 5;
/// Index of the demand in a [`StaffRow`].
pub const ROW_DEMAND: usize = 6;

/// What one arm of one replication produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmCounts {
    /// Citizens per (cycle, state, class) at the end of the cycle.
    pub end: Vec<u32>,
    /// Starters per (cycle, start state, class), counted at the start of their entry cycle.
    pub new: Vec<u32>,
    /// Moves per (cycle, chain, from, to, class) during the cycle.
    pub flows: Vec<u32>,
    /// With refusion: citizens per (cycle, state, class, refusion step) at the start of the
    /// cycle, for states where the benefit clock runs; empty otherwise.
    pub steps_start: Vec<u32>,
    /// The same at the end of the cycle.
    pub steps_end: Vec<u32>,
    /// Per (cycle, service with capacity): see [`StaffRow`].
    pub staffing: Vec<StaffRow>,
    /// Holders of the services counted per state ([`compile::held_services`]): per (cycle,
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
}

/// An observer that does nothing.
pub struct NoObserver;
impl Observer for NoObserver {}

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

/// A citizen's clock and whether its cached exit table can fire, kept together so the hot
/// loop reads one small record per citizen and chain.
#[derive(Clone, Copy, Default)]
struct Slot {
    /// Whether any exit of the cached table can fire this cycle; a citizen whose state nobody
    /// leaves draws nothing.
    live: bool,
    /// Months in the current state.
    months: u32,
    /// Months on the state's clock from which the cached exit table is stale (0: stale now).
    valid_until: u32,
}

/// One exit of a citizen's cached exit table: the exit fires this cycle when its uniform,
/// as 64 bits, is below `threshold` = P(fire)·2⁶⁴ with P(fire) = 1 − exp(−rate).
#[derive(Clone, Copy, Default)]
struct Exit {
    threshold: u64,
    rate: f64,
}

struct ChainState {
    state: Vec<u16>,
    slot: Vec<Slot>,
    exits: Vec<Exit>,
    width: usize,
}

/// What about a citizen changes its rates besides state and time: attributes, participation,
/// the services it receives (bit k: service k) and each service's dilution ratio.
struct Who<'a> {
    attrs: &'a [f64],
    participant: bool,
    mask: u32,
    ratio: &'a [f64],
}

/// A rate that is not a number: the index of the exit in its state.
struct NanRate(usize);

/// The rate of each exit of a citizen in its state at `months` on the state's clock.
#[inline]
fn rates(
    cst: &CState,
    who: &Who,
    months: u32,
    out: &mut [f64],
) -> std::result::Result<(), NanRate> {
    for (k, e) in cst.edges.iter().enumerate() {
        let mut r = e.rate * e.duration_hr(months);
        if who.participant {
            r *= e.participant_hr;
        }
        for &(a, ln_hr, reference) in &e.modifiers {
            let x = who.attrs[a] - reference;
            if x != 0.0 {
                r *= (ln_hr * x).exp();
            }
        }
        for &(sv, hr) in &e.service_hr {
            if who.mask & (1 << sv) != 0 {
                let q = who.ratio[sv];
                r *= if q < 1.0 { hr.powf(q) } else { hr };
            }
        }
        if r.is_nan() {
            return Err(NanRate(k));
        }
        // An infinite rate (a hazard ratio that overflowed) is a certain exit.
        out[k] = r.min(1e300);
    }
    Ok(())
}

/// Fill the cached exit table of a citizen for its state and months on the state's clock;
/// returns the months from which it is stale and whether any exit can fire.
#[inline]
fn refresh(
    cst: &CState,
    who: &Who,
    months: u32,
    out: &mut [Exit],
) -> std::result::Result<(u32, bool), NanRate> {
    let mut r = [0.0f64; 16];
    let mut big;
    let rs: &mut [f64] = if cst.edges.len() <= r.len() {
        &mut r[..cst.edges.len()]
    } else {
        big = vec![0.0; cst.edges.len()];
        &mut big
    };
    rates(cst, who, months, rs)?;
    let mut live = false;
    for (e, &rate) in out.iter_mut().zip(rs.iter()) {
        // P(fire) = 1 − exp(−rate), as a fraction of 2⁶⁴ (the cast saturates at 1).
        let p = -(-rate).exp_m1();
        let threshold = (p * 18_446_744_073_709_551_616.0) as u64;
        live |= threshold > 0;
        *e = Exit { threshold, rate };
    }
    Ok((cst.next_breakpoint(months), live))
}

/// The exponential waiting time of an exit whose 64-bit uniform is `bits`: −ln(1 − U)/rate.
#[inline]
fn waiting_time(bits: u64, rate: f64) -> f64 {
    -(-rng::to_unit(bits)).ln_1p() / rate
}

/// Competing exits, each with its own uniform: every exit whose uniform fires competes, and
/// the one with the shortest exponential waiting time wins. Returns the winning exit.
///
/// The guarantee: whether exit k fires depends only on exit k's own rate and uniform, and a
/// fired exit's waiting time only on its own, so lowering one exit's rate can only move the
/// citizens who would have taken that exit — nobody moves between the other exits. The
/// marginals are those of competing risks: P(leave) = 1 − exp(−Σr), P(exit k) = rₖ/Σr of that.
#[inline]
fn competing(cst: &CState, exits: &[Exit], bits: u64) -> Option<usize> {
    let mut best: Option<(usize, u64)> = None;
    let mut best_t = f64::INFINITY;
    for (k, (e, x)) in cst.edges.iter().zip(exits).enumerate() {
        let u = rng::mix64(bits ^ e.key);
        if u < x.threshold {
            match best {
                None => best = Some((k, u)),
                Some((b, bu)) => {
                    // Several exits fired: compare waiting times (rare, so computed lazily).
                    if best_t.is_infinite() {
                        best_t = waiting_time(bu, exits[b].rate);
                    }
                    let t = waiting_time(u, x.rate);
                    if t < best_t {
                        best = Some((k, u));
                        best_t = t;
                    }
                }
            }
        }
    }
    best.map(|(k, _)| k)
}

/// The destination at the planned length: by the `on_max` shares, or in proportion to the
/// state's current rates. Either way each destination has its own uniform and the shortest
/// exponential waiting time (uniform ÷ share or rate) wins, with the same guarantee as
/// [`competing`]. Returns the state itself when nothing can leave.
fn forced_exit(
    cst: &CState,
    who: &Who,
    months: u32,
    bits: u64,
    me: u16,
) -> std::result::Result<u16, NanRate> {
    let pick = |cands: &mut dyn Iterator<Item = (u16, f64, u64)>| {
        let mut best = (me, f64::INFINITY);
        for (to, w, key) in cands {
            if w > 0.0 {
                let t = waiting_time(rng::mix64(bits ^ key), w);
                if t < best.1 {
                    best = (to, t);
                }
            }
        }
        best.0
    };
    if let Some(shares) = &cst.on_max {
        return Ok(pick(&mut shares.iter().copied()));
    }
    let mut r = vec![0.0; cst.edges.len()];
    rates(cst, who, months, &mut r)?;
    Ok(pick(
        &mut cst.edges.iter().zip(&r).map(|(e, &r)| (e.to, r, e.key)),
    ))
}

/// The arm's services: who holds or received which, who waits since when.
struct ServiceState {
    /// Per citizen: bit k set while receiving arm service k.
    mask: Vec<u32>,
    /// Per (citizen, capacity service): cycle since which the citizen waits (u32::MAX: not
    /// waiting).
    wait_since: Vec<u32>,
    /// Per (citizen, capacity service): has been served (for once-only services).
    served: Vec<bool>,
    /// Per arm service index: the dilution ratio of a shared service (1 otherwise).
    ratio: Vec<f64>,
    /// Per citizen: 1 + the cycle in which a service moved it (then it makes no other course
    /// move that cycle: one move per dimension per cycle).
    moved_in: Vec<u32>,
    /// Per capacity service, per cycle: citizens eligible (holding or waiting).
    demand: Vec<Vec<u32>>,
    /// Per capacity service: fraction of a monthly service carried to the next cycle.
    carry: Vec<f64>,
}

/// Mark citizen `i`'s exit tables stale (its services or attributes changed).
fn invalidate(chains: &mut [ChainState], i: usize) {
    for ch in chains.iter_mut() {
        ch.slot[i].valid_until = 0;
    }
}

/// Everything the allocation step reads and changes.
struct AllocCtx<'a, O: Observer> {
    obs: &'a mut O,
    keys: &'a [u64],
    lay: &'a Layout,
    carm: &'a CArm,
    class: &'a [u16],
    course_months: &'a mut [u32],
    chains: &'a mut [ChainState],
    attrs: &'a mut [f64],
    n_attrs: usize,
    st: &'a mut ServiceState,
    counts: &'a mut ArmCounts,
}

/// Step (2) of a cycle: allocate each service's capacity in a fixed order — by waiting time,
/// then citizen id — never beyond capacity. Caseload slots are kept while the citizen stays
/// eligible (continuity); monthly services go to the first in the queue and may move the
/// citizen or change an attribute; shared services serve everyone eligible with a diluted
/// effect when demand exceeds capacity.
fn allocate<O: Observer>(m: usize, active: usize, mut x: AllocCtx<O>) {
    let cm = x.lay.cycle_months;
    let n_sv = x.carm.services.len();
    for (si, sv) in x.carm.services.iter().enumerate() {
        let bit = 1u32 << sv.index;
        if !sv.is_open(m as u32, cm) {
            // Closed (before it opens or after it closes): nobody holds it, nobody queues.
            for i in 0..active {
                if x.st.mask[i] & bit != 0 {
                    x.st.mask[i] &= !bit;
                    invalidate(x.chains, i);
                }
                x.st.wait_since[i * n_sv + si] = u32::MAX;
            }
            x.counts.staffing[m * n_sv + si] = [0.0; 7];
            continue;
        }
        let na = x.n_attrs;
        let eligible =
            |i: usize, chains: &[ChainState], attrs: &[f64], course_months: &[u32]| -> bool {
                sv.eligible[chains[0].state[i] as usize]
                    && (!sv.participants_only || x.class[i] & 1 == 1)
                    && sv.when.is_none_or(|(a, lo, hi)| {
                        let v = attrs[i * na + a];
                        v >= lo && v <= hi
                    })
                    && course_months[i] >= sv.min_course_months
            };
        let (mut allocated, mut wait_sum) = (0usize, 0.0f64);
        let (used, queue, cap);
        let mut fte = 0.0;
        match sv.kind {
            ServiceKind::Shared => {
                let el: Vec<bool> = (0..active)
                    .map(|i| eligible(i, x.chains, x.attrs, x.course_months))
                    .collect();
                let demand = el.iter().filter(|e| **e).count();
                cap = capacity(sv, m, cm, demand, x.st, si, &mut fte);
                let ratio = if demand > cap {
                    cap as f64 / demand as f64
                } else {
                    1.0
                };
                let changed = ratio != x.st.ratio[sv.index];
                x.st.ratio[sv.index] = ratio;
                for (i, &e) in el.iter().enumerate() {
                    let had = x.st.mask[i] & bit != 0;
                    if e {
                        x.st.mask[i] |= bit;
                    } else {
                        x.st.mask[i] &= !bit;
                    }
                    if had != e || (e && changed) {
                        invalidate(x.chains, i);
                    }
                }
                used = demand.min(cap);
                queue = demand - used;
            }
            ServiceKind::Caseload | ServiceKind::Monthly => {
                let monthly = sv.kind == ServiceKind::Monthly;
                let mut holders = Vec::new();
                for i in 0..active {
                    if x.st.mask[i] & bit != 0 {
                        if monthly || !eligible(i, x.chains, x.attrs, x.course_months) {
                            x.st.mask[i] &= !bit;
                            invalidate(x.chains, i);
                        } else {
                            holders.push(i);
                        }
                    }
                }
                let mut q: Vec<(u32, usize)> = Vec::new();
                for i in 0..active {
                    let w = &mut x.st.wait_since[i * n_sv + si];
                    let done = monthly && sv.once && x.st.served[i * n_sv + si];
                    if x.st.mask[i] & bit == 0
                        && !done
                        && eligible(i, x.chains, x.attrs, x.course_months)
                    {
                        if *w == u32::MAX {
                            *w = m as u32;
                        }
                        q.push((*w, i));
                    } else {
                        *w = u32::MAX;
                    }
                }
                cap = capacity(sv, m, cm, holders.len() + q.len(), x.st, si, &mut fte);
                // Fewer slots than holders (the service closes or shrinks): the latest ids
                // leave first and queue again from this month.
                while holders.len() > cap {
                    if let Some(i) = holders.pop() {
                        x.st.mask[i] &= !bit;
                        invalidate(x.chains, i);
                        x.st.wait_since[i * n_sv + si] = m as u32;
                        q.push((m as u32, i));
                    }
                }
                q.sort_unstable();
                let free = cap - holders.len();
                for &(w, i) in q.iter().take(free) {
                    x.st.mask[i] |= bit;
                    x.st.wait_since[i * n_sv + si] = u32::MAX;
                    x.st.served[i * n_sv + si] = true;
                    invalidate(x.chains, i);
                    allocated += 1;
                    wait_sum += ((m as u32 - w) * cm) as f64;
                    if monthly {
                        serve_once(sv, i, m, &mut x);
                    }
                }
                used = holders.len() + allocated;
                queue = q.len() - allocated;
                x.obs.queue(m as u32, sv.index, &q, allocated);
            }
        }
        x.counts.staffing[m * n_sv + si] = [
            cap as f64,
            used as f64,
            queue as f64,
            allocated as f64,
            wait_sum,
            fte,
            x.st.demand[si][m] as f64,
        ];
    }
}

/// The capacity of service `sv` (position `si`) in cycle `m`, given this cycle's demand; sets
/// the FTE staffed. Fixed staff keep the first version's capacity exactly; staff that vary
/// get FTE(m) × capacity per FTE, with monthly services carrying fractions of a service over.
fn capacity(
    sv: &CService,
    m: usize,
    cm: u32,
    demand: usize,
    st: &mut ServiceState,
    si: usize,
    fte: &mut f64,
) -> usize {
    st.demand[si][m] = demand as u32;
    if !sv.varies() {
        *fte = sv.fte;
        return sv.capacity_in(m as u32, cm) as usize;
    }
    *fte = sv.fte_in(m as u32, cm, &st.demand[si]);
    let per_cycle = *fte * sv.per_fte;
    match sv.kind {
        ServiceKind::Caseload | ServiceKind::Shared => (per_cycle + 1e-9).floor().max(0.0) as usize,
        ServiceKind::Monthly => {
            let first = m as u32 * cm;
            let staffed = (first..first + cm)
                .filter(|mo| *mo >= sv.window.0 && *mo <= sv.window.1)
                .count() as f64;
            let acc = st.carry[si] + per_cycle * staffed;
            let whole = (acc + 1e-9).floor().max(0.0);
            st.carry[si] = (acc - whole).max(0.0);
            whole as usize
        }
    }
}

/// What a monthly service does to the citizen served: a move (e.g. into a company
/// placement) and/or an attribute change (e.g. a lower health burden after clarification).
fn serve_once<O: Observer>(sv: &CService, i: usize, m: usize, x: &mut AllocCtx<O>) {
    if let Some((a, add)) = sv.attribute_change {
        x.attrs[i * x.n_attrs + a] += add;
    }
    let moves = sv.move_probability >= 1.0
        || rng::event_uniform(rng::cycle_bits(x.keys[i], m as u32), sv.move_key)
            < sv.move_probability;
    if let Some(dest) = sv.move_to.filter(|_| moves) {
        let from = x.chains[0].state[i];
        if from != dest {
            let cl = x.class[i] as usize;
            x.counts.flows[x.lay.flow_ix(m, 0, from as usize, dest as usize, cl)] += 1;
            x.chains[0].state[i] = dest;
            x.chains[0].slot[i].months = 0;
            x.st.moved_in[i] = m as u32 + 1;
            let course = &x.carm.chains[0];
            if !(course[from as usize].in_course && course[dest as usize].in_course) {
                x.course_months[i] = 0;
            }
        }
    }
}

/// Index into a refusion-step count array.
#[inline]
fn step_ix(
    lay: &Layout,
    cycle: usize,
    chain: usize,
    state: usize,
    class: usize,
    n_steps: usize,
    step: usize,
) -> usize {
    lay.state_ix(cycle, chain, state, class) * n_steps + step
}

/// Run one arm of one replication. Fails only when a rate is not a number (for example a
/// hazard ratio of 0 times one that overflowed to infinity).
pub fn run_arm<O: Observer>(
    lay: &Layout,
    carm: &CArm,
    cit: &Citizens,
    class: &[u16],
    seed: u64,
    rep: u32,
    obs: &mut O,
) -> Result<ArmCounts> {
    let h = lay.horizon;
    let cm = lay.cycle_months;
    let n_chains = carm.chains.len();
    let benefit = carm.benefit.as_ref();
    let n_steps = benefit.map_or(0, |b| b.from_weeks.len());
    let step_cells = if n_steps > 0 {
        h * lay.n_states * lay.n_classes * n_steps
    } else {
        0
    };
    let n_sv = carm.services.len();
    let mut counts = ArmCounts {
        end: vec![0; h * lay.n_states * lay.n_classes],
        new: vec![0; h * lay.n_states * lay.n_classes],
        flows: vec![0; h * lay.n_flows * lay.n_classes],
        steps_start: vec![0; step_cells],
        steps_end: vec![0; step_cells],
        staffing: vec![[0.0; 7]; h * n_sv],
        held_start: vec![0; h * lay.n_states * lay.n_classes * carm.held.len()],
        held_end: vec![0; h * lay.n_states * lay.n_classes * carm.held.len()],
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
    let mut attrs = cit.attrs.clone();
    let ratio_len = carm.services.iter().map(|s| s.index + 1).max().unwrap_or(0);
    let mut svc = ServiceState {
        mask: vec![0; cit.n],
        wait_since: vec![u32::MAX; cit.n * n_sv],
        served: vec![false; cit.n * n_sv],
        ratio: vec![1.0; ratio_len],
        moved_in: vec![0; cit.n],
        demand: vec![vec![0; h]; n_sv],
        carry: vec![0.0; n_sv],
    };
    let mut chains: Vec<ChainState> = (0..n_chains)
        .map(|c| {
            let width = carm.chains[c]
                .iter()
                .map(|s| s.edges.len())
                .max()
                .unwrap_or(0)
                .max(1);
            ChainState {
                state: cit.start.iter().map(|s| s[c]).collect(),
                slot: vec![Slot::default(); cit.n],
                exits: vec![Exit::default(); cit.n * width],
                width,
            }
        })
        .collect();
    // Months since entering the course states (runs across moves between them).
    let mut course_months = vec![0u32; cit.n];
    // Weeks on covered benefits = prior weeks + months on the clock × 52/12 (kept as whole
    // months so that step boundaries such as week 27 after 6 months are hit exactly).
    let prior_weeks: Vec<f64> = match benefit {
        Some(b) => (0..cit.n)
            .map(|i| b.prior_attribute.map_or(0.0, |a| cit.attr(i, a).max(0.0)))
            .collect(),
        None => Vec::new(),
    };
    let mut clock_months = vec![0u32; if benefit.is_some() { cit.n } else { 0 }];
    let weeks = |prior: f64, months: u32| prior + (months as f64 * 52.0) / 12.0;
    // A citizen who starts in a course state that holds a housing level has that level.
    if n_chains > 1 {
        for i in 0..cit.n {
            if let Some(hl) = carm.chains[0][chains[0].state[i] as usize].housing {
                chains[1].state[i] = hl;
            }
        }
    }
    // Work the hot loop can skip when the scenario does not use it.
    let any_held = carm.chains[0].iter().any(|s| s.housing.is_some());
    let track_course = carm.chains[0].iter().any(|s| s.course_clock)
        || carm.services.iter().any(|s| s.min_course_months > 0);
    let keys: Vec<u64> = (0..cit.n)
        .map(|i| rng::citizen_key(seed, rep, i as u32))
        .collect();
    let mut entered_before = 0;
    for m in 0..h {
        let active = cit.entered[m];
        for (i, &cl) in class.iter().enumerate().take(active).skip(entered_before) {
            for (c, ch) in chains.iter().enumerate() {
                counts.new[lay.state_ix(m, c, ch.state[i] as usize, cl as usize)] += 1;
            }
        }
        entered_before = active;
        if n_sv > 0 {
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
                },
            );
        }
        let (mask, ratio, moved_in) = (&svc.mask, &svc.ratio, &svc.moved_in);
        for (i, &cl) in class.iter().enumerate().take(active) {
            let key = keys[i];
            let cl = cl as usize;
            let participant = cl & 1 == 1;
            // Refusion: the step at the start of the cycle, for the states where it runs.
            let mut on_clock = false;
            if let Some(b) = benefit {
                let step = b.step(weeks(prior_weeks[i], clock_months[i]));
                for (c, ch) in chains.iter().enumerate() {
                    let s = ch.state[i] as usize;
                    if b.states[c][s] {
                        on_clock = true;
                        counts.steps_start[step_ix(lay, m, c, s, cl, n_steps, step)] += 1;
                    }
                }
            }
            let mut now = [0u16; 2];
            let before = [chains[0].state[i], chains.get(1).map_or(0, |c| c.state[i])];
            // One chain step, expanded for each chain with a constant index so that the
            // chain-specific branches fold away.
            macro_rules! chain_step {
                ($c:expr) => {{
                    let c: usize = $c;
                    let held = if c == 1 && any_held {
                        carm.chains[0][chains[0].state[i] as usize].housing
                    } else {
                        None
                    };
                    let ChainState {
                        state,
                        slot,
                        exits,
                        width,
                    } = &mut chains[c];
                    let s = state[i];
                    let cst = &carm.chains[c][s as usize];
                    let sl = &mut slot[i];
                    let clock = if cst.course_clock {
                        course_months[i]
                    } else {
                        sl.months
                    };
                    let mut dest = s;
                    if let Some(hl) = held {
                        // Housing is held by the course state (e.g. none after death).
                        dest = hl;
                    } else if c == 0 && n_sv > 0 && moved_in[i] == m as u32 + 1 {
                        // A service moved the citizen this cycle; it stays there until the next.
                    } else if !cst.edges.is_empty() || cst.on_max.is_some() {
                        let who = || Who {
                            attrs: &attrs[i * na..(i + 1) * na],
                            participant,
                            mask: mask[i],
                            ratio,
                        };
                        let nan = |NanRate(k): NanRate| nan_error(carm, c, s, k, i, m);
                        if cst.max_months.is_some_and(|mx| clock + cm >= mx) {
                            let bits = rng::cycle_bits(key, m as u32);
                            dest = forced_exit(cst, &who(), clock, bits, s).map_err(nan)?;
                        } else {
                            let row = &mut exits[i * *width..(i + 1) * *width];
                            if sl.valid_until == 0 || clock >= sl.valid_until {
                                let (until, live) =
                                    refresh(cst, &who(), clock, row).map_err(nan)?;
                                sl.valid_until = until.max(1);
                                sl.live = live;
                            }
                            if sl.live
                                && let Some(k) = competing(cst, row, rng::cycle_bits(key, m as u32))
                            {
                                dest = cst.edges[k].to;
                            }
                        }
                    }
                    if dest != s {
                        counts.flows[lay.flow_ix(m, c, s as usize, dest as usize, cl)] += 1;
                        state[i] = dest;
                        sl.months = 0;
                        sl.valid_until = 0;
                    } else {
                        sl.months += cm;
                    }
                    if c == 0 && track_course {
                        let stays_in =
                            cst.in_course && (dest == s || carm.chains[0][dest as usize].in_course);
                        course_months[i] = if stays_in { course_months[i] + cm } else { 0 };
                    }
                    if c < 2 {
                        now[c] = dest;
                    }
                }};
            }
            chain_step!(0);
            if n_chains > 1 {
                chain_step!(1);
            }
            if let Some(b) = benefit {
                if on_clock {
                    clock_months[i] += cm;
                }
                let step = b.step(weeks(prior_weeks[i], clock_months[i]));
                for (c, ch) in chains.iter().enumerate() {
                    let s = ch.state[i] as usize;
                    if b.states[c][s] {
                        counts.steps_end[step_ix(lay, m, c, s, cl, n_steps, step)] += 1;
                    }
                }
            }
            if n_held > 0 {
                let counted_at_start = cit.entry[i] < m as u32 || carm.count_time_zero;
                for (t, &bit) in held_bits.iter().enumerate() {
                    if bit == 0 || svc.mask[i] & bit == 0 {
                        continue;
                    }
                    for c in 0..n_chains.min(2) {
                        if counted_at_start {
                            let ix = lay.state_ix(m, c, before[c] as usize, cl);
                            counts.held_start[ix * n_held + t] += 1;
                        }
                        let ix = lay.state_ix(m, c, chains[c].state[i] as usize, cl);
                        counts.held_end[ix * n_held + t] += 1;
                    }
                }
            }
            obs.citizen_state(m as u32, i, now, &attrs[i * na..(i + 1) * na]);
        }
        // End-of-cycle counts follow from the start counts and the moves, so the hot loop
        // only touches counters when somebody moves.
        for (c, &size) in lay.chain_size.iter().enumerate() {
            for s in 0..size {
                for cl in 0..lay.n_classes {
                    let ix = lay.state_ix(m, c, s, cl);
                    let mut v = counts.new[ix] as i64;
                    if m > 0 {
                        v += counts.end[lay.state_ix(m - 1, c, s, cl)] as i64;
                    }
                    for o in 0..size {
                        v += counts.flows[lay.flow_ix(m, c, o, s, cl)] as i64;
                        v -= counts.flows[lay.flow_ix(m, c, s, o, cl)] as i64;
                    }
                    counts.end[ix] = v as u32;
                }
            }
        }
    }
    Ok(counts)
}

/// The error for a rate that is not a number.
fn nan_error(
    carm: &CArm,
    chain: usize,
    state: u16,
    exit: usize,
    citizen: usize,
    m: usize,
) -> Error {
    let states = &carm.chains[chain];
    let from = &states[state as usize];
    let to = from
        .edges
        .get(exit)
        .map_or("?", |e| states[e.to as usize].id.as_str());
    Error::Runtime(format!(
        "the rate of `{}` → `{to}` for citizen {citizen} in cycle {m} is not a number: a \
         hazard ratio of 0 met one that is infinite; check the hazard ratios and attribute \
         modifiers of that transition",
        from.id
    ))
}
