//! Step (2) of a cycle: each service's capacity allocated in a fixed order (waiting since,
//! then citizen id), never beyond capacity; staff that follow a schedule or the demand.

use super::clock::Clocks;
use super::compile::{CArm, CService};
use super::exits::ChainState;
use super::{ArmCounts, Layout, Observer, rng};
use crate::scenario::ServiceKind;

/// The arm's services: who holds or received which, who waits since when.
pub(super) struct ServiceState {
    /// Per citizen: bit k set while receiving arm service k.
    pub(super) mask: Vec<u32>,
    /// Per (citizen, capacity service): cycle since which the citizen waits (u32::MAX: not
    /// waiting).
    pub(super) wait_since: Vec<u32>,
    /// Per (citizen, capacity service): has been served (for once-only services).
    pub(super) served: Vec<bool>,
    /// Per arm service index: the dilution ratio of a shared service (1 otherwise).
    pub(super) ratio: Vec<f64>,
    /// Per citizen: 1 + the cycle in which a service moved it (then it makes no other course
    /// move that cycle: one move per dimension per cycle).
    pub(super) moved_in: Vec<u32>,
    /// Per capacity service, per cycle: citizens eligible (holding or waiting).
    pub(super) demand: Vec<Vec<u32>>,
    /// Per capacity service: fraction of a monthly service carried to the next cycle.
    pub(super) carry: Vec<f64>,
    /// Per capacity service: closed, and nobody holds it or waits for it.
    pub(super) cleared: Vec<bool>,
    /// Per course state: some service of the arm is for citizens in it. All false once every
    /// service has closed for good and let go of its holders and its queue: no allocation
    /// reaches anyone after that.
    pub(super) any_eligible: Vec<bool>,
    /// Every service has closed for good and let go of its holders and its queue: from the
    /// next cycle on an allocation would change and count nothing (nobody holds, waits or is
    /// served; the staffing rows of closed services stay 0), so the month loop skips it.
    pub(super) finished: bool,
    /// Per citizen: waited for some service at the end of the last allocation.
    pub(super) waiting: Vec<bool>,
    /// The citizens this cycle's allocation looks at, in id order (a buffer kept between
    /// cycles), see [`candidates`].
    pub(super) candidates: Vec<u32>,
    /// Buffers of one service's allocation, kept between cycles so that the month loop does
    /// not allocate.
    scratch: Scratch,
    /// Per state of every chain (in [`Layout::chain_offset`] order), per arm service index:
    /// the exits of the state whose rates read the service ([`Reads`]); a row of
    /// `ratio.len()` per state.
    pub(super) reads: Vec<Reads>,
}

/// Which exits of a state read one service (its hazard ratio while held, diluted by the
/// service's ratio): bit k for exit k. `Reads::ALL` where an exit from the 16th on reads it,
/// which a citizen's stale mask ([`super::exits::Slot::stale`]) cannot name.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) struct Reads(pub(super) u32);

impl Reads {
    /// Every exit of the state: the whole table goes stale.
    pub(super) const ALL: Reads = Reads(u32::MAX);

    /// The exits of `edges` whose rates read service `sv`.
    fn of(edges: &[super::compile::CEdge], sv: usize) -> Reads {
        let mut bits = 0u32;
        for (k, e) in edges.iter().enumerate() {
            if e.service_hr.iter().any(|&(s, _)| s == sv) {
                if k >= 16 {
                    return Reads::ALL;
                }
                bits |= 1 << k;
            }
        }
        Reads(bits)
    }
}

/// The buffers of [`ServiceState::scratch`], each emptied before use.
#[derive(Default)]
struct Scratch {
    /// Per candidate: eligible for a shared service.
    eligible: Vec<bool>,
    /// Holders of a caseload or monthly service who keep their slot.
    holders: Vec<usize>,
    /// The queue of a caseload or monthly service: (waiting since, citizen).
    queue: Vec<(u32, usize)>,
}

impl ServiceState {
    /// The services' state of `n` citizens before the first cycle: nobody holds, waits for or
    /// has received a service.
    pub(super) fn new(carm: &CArm, n: usize, horizon: usize) -> ServiceState {
        let n_sv = carm.services.len();
        let ratio_len = carm.services.iter().map(|s| s.index + 1).max().unwrap_or(0);
        let n_states = carm.chains.first().map_or(0, |c| c.len());
        ServiceState {
            mask: vec![0; n],
            wait_since: vec![u32::MAX; n * n_sv],
            served: vec![false; n * n_sv],
            ratio: vec![1.0; ratio_len],
            moved_in: vec![0; n],
            demand: vec![vec![0; horizon]; n_sv],
            carry: vec![0.0; n_sv],
            cleared: vec![false; n_sv],
            finished: false,
            any_eligible: (0..n_states)
                .map(|s| carm.services.iter().any(|sv| sv.eligible[s]))
                .collect(),
            waiting: vec![false; n],
            candidates: Vec::new(),
            scratch: Default::default(),
            reads: carm
                .chains
                .iter()
                .flatten()
                .flat_map(|cst| (0..ratio_len).map(|sv| Reads::of(&cst.edges, sv)))
                .collect(),
        }
    }

    /// Whether no allocation reaches citizen `i` while it stays in course state `s`: no
    /// service is for `s`, and it holds none and waits for none ([`candidates`] leaves it out).
    #[inline(always)]
    pub(super) fn untouched(&self, i: usize, s: u16) -> bool {
        !self.any_eligible[s as usize] && self.mask[i] == 0 && !self.waiting[i]
    }
}

/// The citizens among the first `active` whom an allocation can change or count: those who hold
/// a service, wait for one, or are in a state some service is for. For everyone else every
/// service's step below does nothing (not eligible, nothing to release, no wait to end), so
/// leaving them out changes no result; in a long run most citizens have left the course.
fn candidates(st: &ServiceState, state: &[u16], active: usize, out: &mut Vec<u32>) {
    out.clear();
    for (i, &s) in state.iter().enumerate().take(active) {
        if !st.untouched(i, s) {
            out.push(i as u32);
        }
    }
}

/// Mark citizen `i`'s exit tables stale (its attributes or its state changed).
pub(super) fn invalidate(chains: &mut [ChainState], i: usize) {
    for ch in chains.iter_mut() {
        ch.slot[i].valid_until = 0;
    }
}

/// Mark stale the entries of citizen `i`'s exit tables that read service `sv` (the citizen
/// took it up or left it, or its dilution ratio changed): only those are made again before
/// the table is next read; each entry is made on its own, so the table is what a full refresh
/// makes. A state none of whose exits reads the service keeps its table as it is.
/// `chain_offset`: the layout's first state of each chain.
fn invalidate_service(
    st: &ServiceState,
    chain_offset: &[usize],
    chains: &mut [ChainState],
    i: usize,
    sv: usize,
) {
    #[cfg(test)]
    if tests::FULL_REFRESH.get() {
        return invalidate(chains, i);
    }
    let width = st.ratio.len();
    for (ch, &first) in chains.iter_mut().zip(chain_offset) {
        match st.reads[(first + ch.state[i] as usize) * width + sv] {
            Reads::ALL => ch.slot[i].valid_until = 0,
            Reads(bits) => {
                #[cfg(test)]
                tests::PARTIAL.set(tests::PARTIAL.get() + (bits != 0) as u64);
                ch.slot[i].stale |= bits as u16
            }
        }
    }
}

/// Everything the allocation step reads and changes.
pub(super) struct AllocCtx<'a, 'c, O: Observer> {
    pub(super) obs: &'a mut O,
    pub(super) keys: &'a [u64],
    pub(super) lay: &'a Layout,
    pub(super) carm: &'a CArm,
    pub(super) class: &'a [u16],
    pub(super) course_months: &'a mut [u32],
    pub(super) chains: &'a mut [ChainState],
    pub(super) attrs: &'a mut [f64],
    pub(super) n_attrs: usize,
    pub(super) st: &'a mut ServiceState,
    pub(super) counts: &'a mut ArmCounts,
    pub(super) clocks: &'a mut Clocks<'c>,
}

/// Step (2) of a cycle: allocate each service's capacity in a fixed order — by waiting time,
/// then citizen id — never beyond capacity. Caseload slots are kept while the citizen stays
/// eligible (continuity); monthly services go to the first in the queue and may move the
/// citizen or change an attribute; shared services serve everyone eligible with a diluted
/// effect when demand exceeds capacity.
pub(super) fn allocate<O: Observer>(m: usize, active: usize, mut x: AllocCtx<O>) {
    let cm = x.lay.cycle_months;
    let n_sv = x.carm.services.len();
    let mut cand = std::mem::take(&mut x.st.candidates);
    candidates(x.st, &x.chains[0].state, active, &mut cand);
    for (si, sv) in x.carm.services.iter().enumerate() {
        let bit = 1u32 << sv.index;
        if !sv.is_open(m as u32, cm) {
            // Closed (before it opens or after it closes): nobody holds it, nobody queues.
            // Once cleared it stays clear while closed (starters enter holding nothing), so
            // the pass over the candidates (nobody else holds or waits) is made only in the
            // first closed cycle.
            if !x.st.cleared[si] {
                for &i in &cand {
                    let i = i as usize;
                    if x.st.mask[i] & bit != 0 {
                        x.st.mask[i] &= !bit;
                        invalidate_service(x.st, &x.lay.chain_offset, x.chains, i, sv.index);
                    }
                    x.st.wait_since[i * n_sv + si] = u32::MAX;
                }
                x.st.cleared[si] = true;
            }
            x.counts.staffing[m * n_sv + si] = [0.0; 8];
            continue;
        }
        x.st.cleared[si] = false;
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
        let (mut allocated, mut wait_sum, mut first) = (0usize, 0.0f64, 0usize);
        let (used, queue, cap);
        let mut fte = 0.0;
        match sv.kind {
            ServiceKind::Shared => {
                let mut el = std::mem::take(&mut x.st.scratch.eligible);
                el.clear();
                el.extend(
                    cand.iter()
                        .map(|&i| eligible(i as usize, x.chains, x.attrs, x.course_months)),
                );
                let demand = el.iter().filter(|e| **e).count();
                cap = capacity(sv, m, cm, demand, x.st, si, &mut fte);
                let ratio = if demand > cap {
                    cap as f64 / demand as f64
                } else {
                    1.0
                };
                let changed = ratio != x.st.ratio[sv.index];
                x.st.ratio[sv.index] = ratio;
                for (&i, &e) in cand.iter().zip(&el) {
                    let i = i as usize;
                    let had = x.st.mask[i] & bit != 0;
                    if e {
                        x.st.mask[i] |= bit;
                        if !x.st.served[i * n_sv + si] {
                            x.st.served[i * n_sv + si] = true;
                            first += 1;
                        }
                    } else {
                        x.st.mask[i] &= !bit;
                    }
                    if had != e || (e && changed) {
                        invalidate_service(x.st, &x.lay.chain_offset, x.chains, i, sv.index);
                    }
                }
                used = demand.min(cap);
                queue = demand - used;
                x.st.scratch.eligible = el;
            }
            ServiceKind::Caseload | ServiceKind::Monthly => {
                let monthly = sv.kind == ServiceKind::Monthly;
                let mut holders = std::mem::take(&mut x.st.scratch.holders);
                let mut q = std::mem::take(&mut x.st.scratch.queue);
                holders.clear();
                q.clear();
                // One pass: a holder keeps its slot while eligible (a monthly service is held
                // for one cycle); everyone else eligible queues. Eligibility reads nothing
                // this pass changes, so it is tested once per citizen.
                for &i in &cand {
                    let i = i as usize;
                    let el = eligible(i, x.chains, x.attrs, x.course_months);
                    if x.st.mask[i] & bit != 0 {
                        if monthly || !el {
                            x.st.mask[i] &= !bit;
                            invalidate_service(x.st, &x.lay.chain_offset, x.chains, i, sv.index);
                        } else {
                            holders.push(i);
                        }
                    }
                    let w = &mut x.st.wait_since[i * n_sv + si];
                    let done = monthly && sv.once && x.st.served[i * n_sv + si];
                    if x.st.mask[i] & bit == 0 && !done && el {
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
                        invalidate_service(x.st, &x.lay.chain_offset, x.chains, i, sv.index);
                        x.st.wait_since[i * n_sv + si] = m as u32;
                        q.push((m as u32, i));
                    }
                }
                q.sort_unstable();
                let free = cap - holders.len();
                for &(w, i) in q.iter().take(free) {
                    x.st.mask[i] |= bit;
                    x.st.wait_since[i * n_sv + si] = u32::MAX;
                    if !x.st.served[i * n_sv + si] {
                        first += 1;
                    }
                    x.st.served[i * n_sv + si] = true;
                    invalidate_service(x.st, &x.lay.chain_offset, x.chains, i, sv.index);
                    allocated += 1;
                    wait_sum += ((m as u32 - w) * cm) as f64;
                    if monthly {
                        serve_once(sv, i, m, &mut x);
                    }
                }
                used = holders.len() + allocated;
                queue = q.len() - allocated;
                x.obs.queue(m as u32, sv.index, &q, allocated);
                x.st.scratch.holders = holders;
                x.st.scratch.queue = q;
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
            first as f64,
        ];
    }
    for &i in &cand {
        let i = i as usize;
        x.st.waiting[i] = x.st.wait_since[i * n_sv..(i + 1) * n_sv]
            .iter()
            .any(|&w| w != u32::MAX);
    }
    x.st.candidates = cand;
    // Every service closed from this cycle on, and cleared in it or before (nobody holds or
    // waits for one): from the next cycle no citizen is a candidate, and the month loop may
    // settle the citizens in the states the services were for ahead ([`ServiceState::untouched`]).
    let mut services = x.carm.services.iter().zip(&x.st.cleared);
    if services.all(|(sv, &cleared)| cleared && sv.closed_from(m as u32, cm)) {
        x.st.finished = true;
        if x.carm.quiet {
            x.st.any_eligible.fill(false);
        }
    }
}

/// The capacity of service `sv` (position `si`) in cycle `m`, given this cycle's demand; sets
/// the FTE staffed. Fixed staff keep the first version's capacity exactly; staff that vary
/// get FTE(m) × capacity per FTE, with monthly services carrying fractions of a service over.
pub(super) fn capacity(
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
pub(super) fn serve_once<O: Observer>(sv: &CService, i: usize, m: usize, x: &mut AllocCtx<O>) {
    if let Some((a, add)) = sv.attribute_change {
        x.attrs[i * x.n_attrs + a] += add;
        invalidate(x.chains, i);
    }
    let moves = sv.move_probability >= 1.0
        || rng::event_uniform(rng::cycle_bits(x.keys[i], m as u32), sv.move_key)
            < sv.move_probability;
    if let Some(dest) = sv.move_to.filter(|_| moves) {
        let from = x.chains[0].state[i];
        if from != dest {
            let cl = x.class[i] as usize;
            x.counts.flows[x.lay.flow_ix(m, 0, from as usize, dest as usize, cl)] += 1;
            x.clocks.moved(i, cl, 0, from, dest);
            x.chains[0].state[i] = dest;
            x.chains[0].slot[i].months = 0;
            invalidate(x.chains, i);
            x.st.moved_in[i] = m as u32 + 1;
            let course = &x.carm.chains[0];
            if !(course[from as usize].in_course && course[dest as usize].in_course) {
                x.course_months[i] = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compile::compile_arm;
    use crate::engine::{classes, run_arm};
    use crate::{cohort, montecarlo, scenario};
    use std::cell::Cell;

    thread_local! {
        /// Make a change of services empty a citizen's whole exit tables (as before partial
        /// refreshes), on this thread.
        pub(super) static FULL_REFRESH: Cell<bool> = const { Cell::new(false) };
        /// Changes of services that made some entries of a table stale, on this thread.
        pub(super) static PARTIAL: Cell<u64> = const { Cell::new(0) };
    }

    /// Every citizen's states and attributes at the end of every cycle, folded into one hash.
    #[derive(Default, PartialEq, Debug)]
    struct Seen(u64, u64);
    impl Observer for Seen {
        fn citizen_state(&mut self, cycle: u32, citizen: usize, states: [u16; 2], attrs: &[f64]) {
            let mut h = self.0 ^ ((cycle as u64) << 40 | (citizen as u64) << 8);
            h = rng::mix64(h ^ (states[0] as u64) << 16 ^ states[1] as u64);
            for a in attrs {
                h = rng::mix64(h ^ a.to_bits());
            }
            self.0 = h;
            self.1 += 1;
        }
    }

    /// Remaking only the entries that read a service when a citizen takes it up or leaves it
    /// (or its dilution changes) gives exactly what remaking the whole table gives: every
    /// citizen's states and attributes in every cycle, and every count. The shipped scenario's
    /// treatment arm (a life course, housing with service effects), its cohort six times as
    /// large — the shared caseworkers diluted from month to month, queues for the mentors and
    /// the health staff — with a monthly service that moves citizens and one that changes an
    /// attribute. Some effects are made strong so that an entry left stale would show: the
    /// mentors' on housing support, up and down (read while a citizen who has left the course
    /// stays put without a step: an entry too low would keep it there), and age on the way to
    /// a pension, an exit that several services act on and whose entries are bounds for a
    /// year at a time.
    #[test]
    fn a_change_of_services_remakes_what_the_whole_table_would() {
        let text = r#"
extends = "kbh-rehabiliteringshus"
[cohort]
inflow = [240, 240, 240, 240, 240, 240]
[transitions.course.pension]
modifiers = [
  { attribute = "health_burden", hr_per_unit = 1.5, reference = 1 },
  { attribute = "age", hr_per_unit = 1.15, reference = 42 },
]
[arms.treatment.services.mentors.housing_effects.facility]
support85 = 30
[arms.treatment.services.mentors.housing_effects.support85]
none = 0.03
[arms.treatment.services.placements]
kind = "monthly"
fte = 1
capacity_per_fte = 6
cost_per_fte_year = 450000
payer = "bif"
move_to = "placement"
eligible_states = ["course"]
min_course_months = 3
[arms.treatment.services.clarification]
kind = "monthly"
fte = 1
capacity_per_fte = 6
cost_per_fte_year = 450000
payer = "bif"
change = { attribute = "health_burden", add = -1 }
when = { attribute = "health_burden", min = 1 }
eligible_states = ["course"]
"#;
        let sc = scenario::load_str("refresh-check.toml", text).unwrap();
        for rep in 0..2 {
            let values = montecarlo::draw_params(&sc, 9, rep, true);
            let cit = cohort::synthesize(&sc, 9, rep);
            let carm = compile_arm(&sc, &values, 1, 1.0).unwrap();
            let class = classes(&carm, &cit, &vec![0; cit.n]);
            let lay = montecarlo::layout(&sc, 2);
            let run = |full: bool| {
                FULL_REFRESH.set(full);
                PARTIAL.set(0);
                let mut seen = Seen::default();
                let counts = run_arm(&lay, &carm, &cit, &class, 9, rep, &mut seen).unwrap();
                FULL_REFRESH.set(false);
                (seen, counts, PARTIAL.get())
            };
            let (seen, counts, partial) = run(false);
            let (seen_full, counts_full, _) = run(true);
            // Each citizen is seen in every cycle from its entry on.
            let cycles: u64 = cit
                .entry
                .iter()
                .map(|&e| (lay.horizon as u64).saturating_sub(e as u64))
                .sum();
            assert_eq!(seen.1, cycles);
            assert_eq!(seen, seen_full, "replication {rep}: trajectories differ");
            assert!(counts == counts_full, "replication {rep}: counts differ");
            assert!(
                partial > 10_000,
                "replication {rep}: {partial} partial refreshes"
            );
        }
    }

    /// Citizens 0–5 in course states 0–2, of which only state 1 is for a service: the
    /// allocation looks at those in state 1, holders and waiters, in id order, among the
    /// first `active` only.
    #[test]
    fn candidates_are_the_eligible_holders_and_waiters_in_id_order() {
        let n = 6;
        let st = ServiceState {
            mask: vec![0, 0, 0b10, 0, 0, 0],
            wait_since: vec![u32::MAX; n],
            served: vec![false; n],
            ratio: vec![1.0],
            moved_in: vec![0; n],
            demand: vec![vec![0; 4]],
            carry: vec![0.0],
            cleared: vec![false],
            finished: false,
            any_eligible: vec![false, true, false],
            waiting: vec![false, false, false, true, false, true],
            candidates: Vec::new(),
            scratch: Default::default(),
            reads: Vec::new(),
        };
        let state = [0u16, 1, 2, 0, 1, 2];
        let mut out = vec![99];
        candidates(&st, &state, n, &mut out);
        // 1 and 4 are in state 1, 2 holds a service, 3 and 5 wait; 0 is none of these.
        assert_eq!(out, vec![1, 2, 3, 4, 5]);
        candidates(&st, &state, 3, &mut out);
        assert_eq!(out, vec![1, 2]);
        candidates(&st, &state, 0, &mut out);
        assert!(out.is_empty());
    }
}
