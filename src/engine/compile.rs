//! Per-replication transition tables: the drawn parameter values turned into per-cycle rates
//! for each (arm, chain, state), ready for the month loop.
//!
//! Competing risks: probabilities per cycle out of one state are converted together into
//! rates that share one exit probability — with probabilities p₁…pₖ (Σp < 1) the total rate is
//! R = −ln(1 − Σp) and rᵢ = R·pᵢ/Σp — so that without modifiers the engine reproduces the
//! given probabilities exactly. Hazard ratios (duration, attributes, arm effects) multiply
//! rates. Each cycle a citizen leaves with probability 1 − exp(−Σr) and goes to destination i
//! with probability rᵢ/Σr of that (see [`crate::engine`] for how the exits are drawn).

use crate::error::{Error, Result};
use crate::rng::name_key;
use crate::scenario::{EdgeBase, Scenario, ServiceKind, Staffing};

/// The largest probability of leaving a state in one cycle that drawn probabilities are
/// combined into (a draw whose probabilities add up to 1 or more is capped here).
pub const MAX_EXIT_PROBABILITY: f64 = 1.0 - 1e-9;

/// One outgoing transition, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct CEdge {
    /// Destination state.
    pub to: u16,
    /// Key of this exit's own uniform: the name `chain:from->to`.
    pub key: u64,
    /// Rate per cycle before hazard ratios.
    pub rate: f64,
    /// Duration steps (from month, hazard ratio), sorted.
    pub duration: Vec<(u32, f64)>,
    /// Attribute modifiers (attribute, ln HR per unit, reference).
    pub modifiers: Vec<(usize, f64, f64)>,
    /// Hazard ratio for participants of the arm (1 if none).
    pub participant_hr: f64,
    /// Hazard ratios while receiving a service: (service index, hr).
    pub service_hr: Vec<(usize, f64)>,
    /// Banded attribute modifiers: (attribute, [(from, hr)] by increasing `from`).
    pub bands: Vec<(usize, Vec<(f64, f64)>)>,
}

impl CEdge {
    /// Duration hazard ratio at `months` in state.
    #[inline]
    pub fn duration_hr(&self, months: u32) -> f64 {
        let mut hr = 1.0;
        for &(from, h) in &self.duration {
            if months >= from {
                hr = h;
            } else {
                break;
            }
        }
        hr
    }
}

/// One state, compiled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CState {
    /// Id (for messages).
    pub id: String,
    /// Outgoing transitions.
    pub edges: Vec<CEdge>,
    /// The key of each exit's uniform, in `edges` order (kept together for the month loop).
    pub keys: Vec<u64>,
    /// Months in state at which the rates change (duration steps), sorted, deduplicated.
    pub breakpoints: Vec<u32>,
    /// Planned length.
    pub max_months: Option<u32>,
    /// Destinations at the planned length: (state, share, key of its uniform).
    pub on_max: Option<Vec<(u16, f64, u64)>>,
    /// Part of the course.
    pub in_course: bool,
    /// Planned length and duration steps count months since entering the course.
    pub course_clock: bool,
    /// Housing level held while in this state.
    pub housing: Option<u16>,
}

impl CState {
    /// The next breakpoint strictly after `months`, or `u32::MAX`.
    pub fn next_breakpoint(&self, months: u32) -> u32 {
        self.breakpoints
            .iter()
            .copied()
            .find(|&b| b > months)
            .unwrap_or(u32::MAX)
    }

    /// The exits (bit k: exit k; exits from 63 on share bit 63) whose hazard ratio for the
    /// time in the state steps at a month in `from..=to`.
    pub fn crossed(&self, from: u32, to: u32) -> u64 {
        self.edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.duration.iter().any(|&(m, _)| (from..=to).contains(&m)))
            .fold(0, |mask, (k, _)| mask | 1 << k.min(63))
    }
}

/// The tables of one arm in one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct CArm {
    /// Per chain, per state.
    pub chains: Vec<Vec<CState>>,
    /// Share of starters offered the programme.
    pub offer_share: f64,
    /// Entry-cycle window of the offer.
    pub offer_from: u32,
    /// Entry-cycle window of the offer (inclusive).
    pub offer_to: u32,
    /// The refusion clock, when the scenario reimburses benefits.
    pub benefit: Option<BenefitClock>,
    /// Services with capacity, in scenario order.
    pub services: Vec<CService>,
    /// Ages, deaths and moves at an age, when the scenario has them.
    pub life: Option<super::life::CLife>,
    /// Positions in `services` of the services whose holders are counted per state
    /// (accounts with `while_served`), in [`held_services`] order.
    pub held: Vec<usize>,
    /// Whether starters count at the start of their entry cycle (`count_time_zero`).
    pub count_time_zero: bool,
    /// Settle the citizens whom no coin moves in states left only by shared tables without
    /// the general step (the engine's `quiet` module), and, once every service has closed for
    /// good, leave every citizen out of the allocation, so that those in the states the
    /// services were for are settled ahead too. Always true when compiled; a test turns it off
    /// to check that it changes no trajectory.
    pub quiet: bool,
}

impl CArm {
    /// Whether every citizen follows exactly the same trajectory in this arm as in `other`
    /// under common random numbers, so that one simulation can book both: the same transition
    /// tables, life course and benefit clock, no service with capacity in either arm (services
    /// move citizens, change attributes and change rates), and no hazard ratio for
    /// participants (so who participates changes only the amounts booked). An arm whose
    /// effects change only amounts (costs, quantities) is such an arm; so is every arm of the
    /// placebo world (`--effect-scale 0`) that has no services.
    pub fn same_trajectories(&self, other: &CArm) -> bool {
        self.services.is_empty()
            && other.services.is_empty()
            && self
                .chains
                .iter()
                .flatten()
                .flat_map(|s| &s.edges)
                .all(|e| e.participant_hr == 1.0)
            && self.chains == other.chains
            && self.life == other.life
            && self.benefit == other.benefit
    }

    /// Whether this arm's non-participants follow exactly the trajectories they follow in
    /// `other` under common random numbers, so that one simulation of them can book both:
    /// `other` has no service with capacity and no hazard ratio for participants, every
    /// service of this arm serves participants only (services move citizens, change
    /// attributes and change rates of those they serve), and the tables are the same once
    /// the hazard ratios that only participants and service holders meet are left out; the
    /// same life course and benefit clock.
    pub fn same_for_non_participants(&self, other: &CArm) -> bool {
        let neutral = |chains: &[Vec<CState>]| -> Vec<Vec<CState>> {
            let mut chains = chains.to_vec();
            for e in chains.iter_mut().flatten().flat_map(|s| &mut s.edges) {
                e.participant_hr = 1.0;
                e.service_hr.clear();
            }
            chains
        };
        other.services.is_empty()
            && self.services.iter().all(|s| s.participants_only)
            && other
                .chains
                .iter()
                .flatten()
                .flat_map(|s| &s.edges)
                .all(|e| e.participant_hr == 1.0 && e.service_hr.is_empty())
            && neutral(&self.chains) == other.chains
            && self.life == other.life
            && self.benefit == other.benefit
    }
}

/// The ids of the services named by accounts' `while_served`, in first-named order: the
/// services whose holders the engine counts per state (see [`ArmCounts::held_start`]).
///
/// [`ArmCounts::held_start`]: crate::engine::ArmCounts::held_start
pub fn held_services(sc: &Scenario) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for a in &sc.accounts {
        if let Some(w) = &a.while_served
            && !ids.contains(&w.service.as_str())
        {
            ids.push(&w.service);
        }
    }
    ids
}

/// A service with capacity, compiled for one replication.
#[derive(Debug, Clone, PartialEq)]
pub struct CService {
    /// Index in the arm's service list.
    pub index: usize,
    /// How capacity is used.
    pub kind: ServiceKind,
    /// Staff: fixed, the peak of a schedule, or the most that may be staffed to demand.
    pub fte: f64,
    /// FTE × capacity per FTE.
    pub capacity: f64,
    /// Capacity per FTE (caseload, or services a month).
    pub per_fte: f64,
    /// A schedule's (first month, share of `fte`); empty for fixed staff.
    pub schedule: Vec<(u32, f64)>,
    /// Staffing to demand.
    pub demand: Option<CDemand>,
    /// First and last month staffed.
    pub window: (u32, u32),
    /// Eligible course states.
    pub eligible: Vec<bool>,
    /// Participants only.
    pub participants_only: bool,
    /// Attribute condition (attribute, min, max).
    pub when: Option<(usize, f64, f64)>,
    /// Months in course before eligible.
    pub min_course_months: u32,
    /// Move to this course state when served (monthly).
    pub move_to: Option<u16>,
    /// Probability that a served citizen is moved: the effect scale, capped at 1 (so that
    /// with no effect the service moves nobody).
    pub move_probability: f64,
    /// Key of the uniform that decides the move: the name `service:<id>:move`, so two
    /// services never share one uniform.
    pub move_key: u64,
    /// Add to an attribute when served (monthly).
    pub attribute_change: Option<(usize, f64)>,
    /// At most once per citizen (monthly).
    pub once: bool,
}

impl CService {
    /// Whether the service is staffed in any month of cycle `m`.
    pub fn is_open(&self, m: u32, cm: u32) -> bool {
        let (first, last) = (m * cm, m * cm + cm - 1);
        first <= self.window.1 && last >= self.window.0
    }

    /// Whether the service is closed in cycle `m` and every cycle after it.
    pub fn closed_from(&self, m: u32, cm: u32) -> bool {
        m * cm > self.window.1
    }

    /// Capacity in cycle `m` (months `m·cm … (m+1)·cm − 1`): whole slots for caseloads, and
    /// for monthly services the whole services accrued in the cycle (fractions carry over,
    /// so 1.5 a month gives 1, 2, 1, 2, …).
    pub fn capacity_in(&self, m: u32, cm: u32) -> u32 {
        let first = m * cm;
        let last = first + cm - 1;
        let staffed = (first..=last)
            .filter(|mo| *mo >= self.window.0 && *mo <= self.window.1)
            .count() as u32;
        if staffed == 0 {
            return 0;
        }
        match self.kind {
            ServiceKind::Caseload | ServiceKind::Shared => self.capacity.max(0.0).floor() as u32,
            ServiceKind::Monthly => {
                let c = self.capacity.max(0.0);
                let upto = |k: u32| (k as f64 * c + 1e-9).floor() as u32;
                upto(first + staffed) - upto(first)
            }
        }
    }
}

/// Staffing to demand, compiled: FTE(m) = ⌈demand(m − lag) ÷ target ÷ step⌉ · step within
/// [`min`, `fte`]; before the first lagged month the service has `min` FTE.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CDemand {
    /// Citizens per FTE aimed at.
    pub target: f64,
    /// Fewest FTE.
    pub min: f64,
    /// Lag in cycles (months rounded up to whole cycles).
    pub lag: usize,
    /// Staffing step in FTE.
    pub step: f64,
}

impl CService {
    /// Whether the staff vary over time (then capacity is computed month by month).
    pub fn varies(&self) -> bool {
        !self.schedule.is_empty() || self.demand.is_some()
    }

    /// The FTE staffed in cycle `m` given the demand seen in earlier cycles (`demand[k]`: the
    /// eligible citizens of cycle k); 0 when the service is closed.
    pub fn fte_in(&self, m: u32, cm: u32, demand: &[u32]) -> f64 {
        if !self.is_open(m, cm) {
            return 0.0;
        }
        if let Some(d) = &self.demand {
            let m = m as usize;
            let want = if m < d.lag {
                0.0
            } else {
                let need = demand.get(m - d.lag).copied().unwrap_or(0) as f64 / d.target;
                // Round up to whole steps; the tolerance keeps 2.0000000001 steps at 2.
                (need / d.step - 1e-9).ceil() * d.step
            };
            return want.max(d.min).min(self.fte);
        }
        if self.schedule.is_empty() {
            return self.fte;
        }
        let month = (m * cm).max(self.window.0);
        let share = self
            .schedule
            .iter()
            .rev()
            .find(|(from, _)| *from <= month)
            .map_or(0.0, |p| p.1);
        self.fte * share
    }
}

/// What the engine needs to know to track each citizen's weeks on covered benefits.
#[derive(Debug, Clone, PartialEq)]
pub struct BenefitClock {
    /// Per chain, per state: the clock runs here.
    pub states: Vec<Vec<bool>>,
    /// First week of each refusion step, increasing (the first is 1).
    pub from_weeks: Vec<u32>,
    /// Attribute with prior weeks.
    pub prior_attribute: Option<usize>,
}

impl BenefitClock {
    /// The step that applies to a citizen with `weeks` weeks behind them (paying week
    /// ⌊weeks⌋ + 1).
    #[inline]
    pub fn step(&self, weeks: f64) -> usize {
        // ⌊weeks⌋ for weeks ≥ 0: the cast truncates, the same without a call to libm's floor.
        let week = weeks.max(0.0) as u64 + 1;
        self.from_weeks
            .iter()
            .rposition(|&w| w as u64 <= week)
            .unwrap_or(0)
    }

    /// [`BenefitClock::step`] for a clock that only runs forward: the same step, searched from
    /// `from`, the step at an earlier number of weeks (the steps' weeks increase).
    #[inline]
    pub fn step_from(&self, weeks: f64, from: usize) -> usize {
        let week = weeks.max(0.0) as u64 + 1;
        let mut s = from;
        while s + 1 < self.from_weeks.len() && self.from_weeks[s + 1] as u64 <= week {
            s += 1;
        }
        s
    }
}

/// Compile the tables of arm `arm` from drawn values; `effect_scale` raises every arm effect
/// (hazard ratio) to that power.
pub fn compile_arm(sc: &Scenario, values: &[f64], arm: usize, effect_scale: f64) -> Result<CArm> {
    let a = &sc.arms[arm];
    let cm = sc.sim.cycle_months as f64;
    let mut chains = Vec::with_capacity(sc.chains.len());
    for (ci, chain) in sc.chains.iter().enumerate() {
        let mut states: Vec<CState> = Vec::with_capacity(chain.states.len());
        for (si, st) in chain.states.iter().enumerate() {
            let out: Vec<usize> = (0..chain.edges.len())
                .filter(|&e| chain.edges[e].from == si)
                .collect();
            let psum: f64 = out
                .iter()
                .filter_map(|&e| match chain.edges[e].base {
                    EdgeBase::Prob(p) => Some(values[p]),
                    _ => None,
                })
                .sum();
            // Validation keeps the 99.9th percentiles of competing probabilities below 1 in
            // sum, so a draw reaches 1 in fewer than k in 1,000 replications. Such a draw is
            // capped: the state is left within the cycle with probability 1 − 10⁻⁹, to each
            // exit in proportion to its probability.
            let psum_capped = psum.min(MAX_EXIT_PROBABILITY);
            let prob_total_rate = if psum > 0.0 {
                -(1.0 - psum_capped).ln()
            } else {
                0.0
            };
            let mut cs = CState {
                id: st.id.clone(),
                in_course: st.in_course,
                course_clock: st.course_clock,
                housing: st.housing.map(|h| h as u16),
                max_months: st.max_months,
                on_max: st.on_max.as_ref().map(|v| {
                    // The model keeps cumulative shares; the engine wants each share.
                    let mut prev = 0.0;
                    v.iter()
                        .map(|&(s, c)| {
                            let share = c - prev;
                            prev = c;
                            let to = &chain.states[s].id;
                            let key = name_key(&format!("{}:{}=>{to}", chain.name, st.id));
                            (s as u16, share, key)
                        })
                        .collect()
                }),
                ..Default::default()
            };
            for &e in &out {
                let edge = &chain.edges[e];
                let rate = match edge.base {
                    EdgeBase::Prob(p) => {
                        if psum > 0.0 {
                            prob_total_rate * values[p] / psum
                        } else {
                            0.0
                        }
                    }
                    EdgeBase::Rate { param, per_months } => values[param] * cm / per_months as f64,
                };
                let participant_hr = a
                    .effects
                    .iter()
                    .filter(|&&(c, ed, _)| c == ci && ed == e)
                    .map(|&(_, _, hr)| values[hr].powf(effect_scale))
                    .product();
                let duration: Vec<(u32, f64)> = edge
                    .duration
                    .iter()
                    .map(|&(m, hr)| (m, values[hr]))
                    .collect();
                cs.breakpoints.extend(duration.iter().map(|d| d.0));
                let modifiers: Vec<(usize, f64, f64)> = edge
                    .modifiers
                    .iter()
                    .map(|m| (m.attribute, values[m.hr_per_unit].ln(), m.reference))
                    .collect();
                let service_hr = a
                    .services
                    .iter()
                    .enumerate()
                    .filter_map(|(k, sv)| sv.capacity.as_ref().map(|cap| (k, cap)))
                    .flat_map(|(k, cap)| {
                        cap.effects
                            .iter()
                            .filter(move |&&(c, ed, _)| c == ci && ed == e)
                            .map(move |&(_, _, hr)| (k, values[hr].powf(effect_scale)))
                    })
                    .collect();
                if !rate.is_finite() {
                    return Err(Error::Runtime(format!(
                        "the rate of `{}` → `{}` is not a number ({rate}); check its parameters",
                        st.id, chain.states[edge.to].id
                    )));
                }
                let to_id = &chain.states[edge.to].id;
                cs.edges.push(CEdge {
                    to: edge.to as u16,
                    key: name_key(&format!("{}:{}->{to_id}", chain.name, st.id)),
                    rate,
                    duration,
                    modifiers,
                    participant_hr,
                    service_hr,
                    bands: edge
                        .bands
                        .iter()
                        .map(|b| {
                            let steps = b.steps.iter().map(|&(f, hr)| (f, values[hr])).collect();
                            (b.attribute, steps)
                        })
                        .collect(),
                });
            }
            cs.keys = cs.edges.iter().map(|e| e.key).collect();
            cs.breakpoints.sort_unstable();
            cs.breakpoints.dedup();
            states.push(cs);
        }
        chains.push(states);
    }
    let services: Vec<&crate::scenario::Service> =
        a.services.iter().filter(|s| s.capacity.is_some()).collect();
    let held = held_services(sc)
        .iter()
        .map(|id| {
            services
                .iter()
                .position(|s| s.id == *id)
                .unwrap_or(usize::MAX)
        })
        .collect();
    let life = super::life::compile_life(sc, values, &chains);
    Ok(CArm {
        held,
        count_time_zero: sc.sim.count_time_zero,
        quiet: true,
        life,
        chains,
        offer_share: values[a.offer_share],
        offer_from: a.offer_from,
        offer_to: a.offer_to,
        services: a
            .services
            .iter()
            .enumerate()
            .filter_map(|(k, sv)| {
                let cap = sv.capacity.as_ref()?;
                let fte = values[sv.fte];
                let cm = sc.sim.cycle_months as usize;
                Some(CService {
                    index: k,
                    kind: cap.kind,
                    fte,
                    capacity: fte * values[cap.per_fte],
                    per_fte: values[cap.per_fte],
                    schedule: match &sv.staffing {
                        Staffing::Schedule(p) => p.clone(),
                        _ => Vec::new(),
                    },
                    demand: match &sv.staffing {
                        Staffing::Demand(d) => Some(CDemand {
                            target: values[d.target],
                            min: d.min_fte,
                            lag: (d.lag_months as usize).div_ceil(cm),
                            step: d.step,
                        }),
                        _ => None,
                    },
                    window: (sv.from_month, sv.to_month),
                    eligible: cap.eligible_states.clone(),
                    participants_only: cap.participants_only,
                    when: cap.when.as_ref().map(|w| (w.attribute, w.min, w.max)),
                    min_course_months: cap.min_course_months,
                    move_to: cap.move_to.map(|s| s as u16),
                    move_probability: effect_scale.clamp(0.0, 1.0),
                    move_key: name_key(&format!("service:{}:move", sv.id)),
                    // An attribute change is an effect: scaled like every other effect.
                    attribute_change: cap.attribute_change.map(|(a, add)| (a, add * effect_scale)),
                    once: cap.once,
                })
            })
            .collect(),
        benefit: sc.refusion.as_ref().map(|r| BenefitClock {
            states: r.clock_states.clone(),
            from_weeks: r.steps.iter().map(|s| s.0).collect(),
            prior_attribute: r.prior_weeks_attribute,
        }),
    })
}
