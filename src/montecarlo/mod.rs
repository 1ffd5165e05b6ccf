//! Replications: draw parameters, synthesise the cohort, run every arm on the same citizens and
//! random numbers, book accounts — in parallel — and fold the results in replication order, so
//! that the outcome is the same bit for bit on any number of threads.

use crate::cohort::{self, Citizens};
use crate::economics::business_case::{self, Comparison, Ledger};
use crate::economics::lines::{self, LineDiff, LineIndex, LineLedger};
use crate::economics::{self, ClassMap};
use crate::engine::compile::compile_arm;
use crate::engine::{self, ArmCounts, Layout, NoObserver, StaffRow};
use crate::error::{Error, Result};
use crate::rng::named_stream;
use crate::scenario::param::unit;
use crate::scenario::quantile::quantile;
use crate::scenario::{COURSE, Payer, Scenario};
use std::io::{IsTerminal, Write};

mod once;
pub mod ordered;
mod points;
mod results;
mod scales;
mod variants;

pub use points::run_points;
pub use results::{ComparisonSums, RepScalars, Results};
pub use scales::{focus_npv_by_scale, scale_free};
pub use variants::focus_npv_by_variant;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Replications.
    pub replications: u32,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Draw uncertain parameters per replication (probabilistic analysis); false fixes them at
    /// their central values.
    pub psa: bool,
    /// Every arm effect (hazard ratio) is raised to this power: 1 as written, 0 no effect.
    pub effect_scale: f64,
    /// Show progress on a terminal.
    pub progress: bool,
}

impl RunOptions {
    /// Options from the scenario's own defaults.
    pub fn from_scenario(sc: &Scenario) -> RunOptions {
        RunOptions {
            replications: sc.sim.replications,
            seed: sc.sim.seed,
            threads: 0,
            psa: true,
            effect_scale: sc.sim.effect_scale,
            progress: false,
        }
    }
}

/// Draw every parameter for replication `rep`. Each parameter draws from the stream named by
/// its path (e.g. `accounts.x.amount`), so adding, removing or reordering parameters never
/// changes the draws of the others.
///
/// Parameters of one correlation group share one uniform per replication and take their own
/// percentile at it (perfect rank correlation).
pub fn draw_params(sc: &Scenario, seed: u64, rep: u32, psa: bool) -> Vec<f64> {
    sc.params
        .iter()
        .map(|p| {
            if !(psa && p.param.is_uncertain()) {
                return p.param.central();
            }
            match &p.param.group {
                Some(g) => {
                    let u = unit(&mut named_stream(seed, &format!("group:{g}"), rep));
                    quantile(&p.param, u)
                }
                None => p.param.sample(&mut named_stream(seed, &p.path, rep)),
            }
        })
        .collect()
}

/// One arm of one replication, summed over booking classes.
#[derive(Debug, Clone)]
pub struct ArmRep {
    /// Citizens per (cycle, global state) at the end of the cycle.
    pub end: Vec<u32>,
    /// Moves per (cycle, flow).
    pub flows: Vec<u32>,
    /// Amount per account and cycle (DKK for DKK accounts, else the unit).
    pub amounts: Vec<Vec<f64>>,
    /// Discounted amount per account and cycle.
    pub discounted: Vec<Vec<f64>>,
    /// The reimbursed (refusion) part of each account per cycle.
    pub refunded: Vec<Vec<f64>>,
    /// Amount per account and cycle in the account's own unit (before its price).
    pub units: Vec<Vec<f64>>,
    /// The same, discounted at the account's rate (its own, else the simulation's).
    pub units_discounted: Vec<Vec<f64>>,
    /// Programme costs per cycle and payer.
    pub programme: Vec<[f64; 6]>,
    /// Amounts by payer, consequences and investment.
    pub ledger: Ledger,
    /// The same amounts by line, payer and cycle.
    pub lines: LineLedger,
    /// Participants of the arm's programme.
    pub participants: u32,
    /// Years participants spent in the course states (`in_course`) within the horizon.
    pub participant_years: f64,
    /// Per account: the discounted amount not booked because citizens held a service
    /// (`while_served`), in the account's unit or DKK.
    pub while_served_d: Vec<f64>,
    /// Per (cycle, service with capacity): capacity, used, queue, allocated, summed wait.
    pub staffing: Vec<StaffRow>,
    /// Drawn FTE per service with capacity.
    pub fte: Vec<f64>,
}

/// Everything one replication produced.
#[derive(Debug, Clone)]
pub struct RepResult {
    /// Per arm.
    pub arms: Vec<ArmRep>,
    /// Per arm (index 0, control, has none): the comparison with control.
    pub comparisons: Vec<Option<Comparison>>,
    /// Per arm (index 0, control, has none): the comparison with control by line.
    pub line_comparisons: Vec<Option<LineDiff>>,
}

/// The layout of count arrays for a scenario with `n_classes` classes.
pub fn layout(sc: &Scenario, n_classes: usize) -> Layout {
    Layout::new(
        sc.chains.iter().map(|c| c.states.len()).collect(),
        sc.sim.horizon as usize,
        n_classes,
        sc.sim.cycle_months,
    )
}

/// The raw counts of every arm of one replication, with what is needed to book them.
pub struct RepCounts {
    /// Drawn parameter values.
    pub values: Vec<f64>,
    /// The citizens.
    pub citizens: Citizens,
    /// Booking classes.
    pub classes: ClassMap,
    /// Layout of the counts.
    pub layout: Layout,
    /// Per arm: counts and per-citizen classes.
    pub arms: Vec<(ArmCounts, Vec<u16>)>,
    /// Per arm: FTE of each service with capacity.
    pub fte: Vec<Vec<f64>>,
    /// Per arm: the arm whose simulation it was booked from — itself, or an earlier arm whose
    /// trajectories it shares (see [`run_counts_with`]).
    pub simulated_by: Vec<usize>,
    /// Per arm: the arm whose simulation of its non-participants it was booked from, when
    /// only its participants were simulated in it (see [`run_counts_with`]).
    pub non_participants_by: Vec<Option<usize>>,
}

/// Run all arms of one replication and keep the raw counts. Arms that share trajectories
/// (see [`run_counts_with`]) are simulated once.
pub fn run_counts(sc: &Scenario, opts: &RunOptions, rep: u32) -> Result<RepCounts> {
    run_counts_with(sc, opts, rep, true)
}

/// [`run_counts`], with `share` false simulating every arm on its own even where arms share
/// trajectories (to check that sharing changes nothing).
///
/// An arm whose compiled tables show that every citizen follows exactly the trajectory it
/// follows in an earlier arm ([`CArm::same_trajectories`]: effects that change only amounts,
/// no services) is booked from that arm's simulation. The shared simulation counts citizens
/// by joint classes — the static class and the participation in each arm of the group — so
/// that each arm's counts by its own classes are sums of them ([`ArmCounts::project`]),
/// exactly the counts a simulation of its own would give.
///
/// Likewise, where an arm's services and effects reach only its participants
/// ([`CArm::same_for_non_participants`]), its non-participants follow exactly the
/// trajectories they follow in an earlier arm without services (usually the control): they
/// are simulated once, in that arm, and their counts are added to the counts of each arm's
/// own simulation of the participants ([`ArmCounts::merge`]).
///
/// [`CArm::same_for_non_participants`]: crate::engine::compile::CArm::same_for_non_participants
/// [`CArm::same_trajectories`]: crate::engine::compile::CArm::same_trajectories
pub fn run_counts_with(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    share: bool,
) -> Result<RepCounts> {
    run_arms(sc, opts, rep, share, |_| NoObserver).map(|(rc, _)| rc)
}

/// Run all arms of one replication with an observer per arm (made by `observer(arm)`), e.g. to
/// trace individual citizens; returns the raw counts and the observers. Arms share one
/// simulation only where their observers do not look at citizens.
pub fn run_observed<O: engine::Observer>(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    observer: impl FnMut(usize) -> O,
) -> Result<(RepCounts, Vec<O>)> {
    run_arms(sc, opts, rep, true, observer)
}

/// The most joint classes of a shared simulation (they double with each arm that shares it,
/// and every count array grows with them).
const MAX_JOINT_CLASSES: usize = 4096;

fn run_arms<O: engine::Observer>(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    share: bool,
    mut observer: impl FnMut(usize) -> O,
) -> Result<(RepCounts, Vec<O>)> {
    let values = draw_params(sc, opts.seed, rep, opts.psa);
    let cit = cohort::synthesize(sc, opts.seed, rep);
    let (static_class, classes) = economics::static_classes(sc, &cit)?;
    let lay = layout(sc, classes.n_classes());
    let n_arms = sc.arms.len();
    let in_arm = |a: usize| in_arm(sc, rep, a);
    let mut carms = Vec::with_capacity(n_arms);
    let mut observers = Vec::with_capacity(n_arms);
    for a in 0..n_arms {
        carms.push(compile_arm(sc, &values, a, opts.effect_scale).map_err(in_arm(a))?);
        observers.push(observer(a));
    }
    let class: Vec<Vec<u16>> = carms
        .iter()
        .map(|carm| engine::classes(carm, &cit, &static_class))
        .collect();
    // Each arm's group: the first arm whose trajectories it shares (itself if none).
    let mut leader: Vec<usize> = (0..n_arms).collect();
    if share {
        for a in 1..n_arms {
            if observers[a].sees_citizens() {
                continue;
            }
            if let Some(b) = (0..a).find(|&b| {
                leader[b] == b
                    && !observers[b].sees_citizens()
                    && (lay.n_classes / 2) << (leader.iter().filter(|&&l| l == b).count() + 1)
                        <= MAX_JOINT_CLASSES
                    && carms[a].same_trajectories(&carms[b])
            }) {
                leader[a] = b;
            }
        }
    }
    // An arm simulated on its own whose non-participants follow an earlier such arm exactly
    // (`CArm::same_for_non_participants`, with the same booking classes there): the pair's
    // non-participants are simulated once, and each arm simulates only the rest.
    let mut partner: Vec<Option<usize>> = vec![None; n_arms];
    if share {
        let alone = |x: usize| {
            leader.iter().filter(|&&l| l == x).count() == 1
                && leader[x] == x
                && !observers[x].sees_citizens()
        };
        for a in 0..n_arms {
            if !alone(a) {
                continue;
            }
            partner[a] = (0..a).find(|&b| {
                alone(b)
                    && partner[b].is_none()
                    && !partner.contains(&Some(b))
                    && once::paired(&carms[a], &class[a], &carms[b], &class[b])
            });
        }
    }
    let mut counts: Vec<Option<ArmCounts>> = vec![None; n_arms];
    for a in 0..n_arms {
        if leader[a] != a || partner.contains(&Some(a)) {
            continue;
        }
        if let Some(b) = partner[a] {
            let participant: Vec<bool> = class[a].iter().map(|&c| c & 1 == 1).collect();
            let pick = |cl: &[u16], want: bool| once::pick(cl, &participant, want);
            let (part, rest) = (
                cit.subset(&participant, true),
                cit.subset(&participant, false),
            );
            let others = engine::run_arm(
                &lay,
                &carms[b],
                &rest,
                &pick(&class[b], false),
                opts.seed,
                rep,
                &mut NoObserver,
            )
            .map_err(in_arm(b))?;
            // Each arm's participants are counted onto the non-participants' counts (the
            // second arm takes them over, the first a copy).
            let mut others = Some(others);
            for x in [b, a] {
                let base = match x == a {
                    true => others.take(),
                    false => others.clone(),
                };
                counts[x] = Some(
                    engine::run_arm_onto(
                        &lay,
                        &carms[x],
                        &part,
                        &pick(&class[x], true),
                        opts.seed,
                        rep,
                        &mut observers[x],
                        base,
                    )
                    .map_err(in_arm(x))?,
                );
            }
            continue;
        }
        let group: Vec<usize> = (0..n_arms).filter(|&b| leader[b] == a).collect();
        if group.len() == 1 {
            counts[a] = Some(
                engine::run_arm(
                    &lay,
                    &carms[a],
                    &cit,
                    &class[a],
                    opts.seed,
                    rep,
                    &mut observers[a],
                )
                .map_err(in_arm(a))?,
            );
            continue;
        }
        // Joint class: static class, then one participation bit per arm of the group.
        let k = group.len();
        let joint: Vec<u16> = (0..cit.n)
            .map(|i| {
                let bits = group
                    .iter()
                    .enumerate()
                    .fold(0u16, |acc, (j, &b)| acc | ((class[b][i] & 1) << j));
                ((class[a][i] >> 1) << k) | bits
            })
            .collect();
        let n_joint = (lay.n_classes / 2) << k;
        let joint_lay = layout(sc, n_joint);
        let run = engine::run_arm(
            &joint_lay,
            &carms[a],
            &cit,
            &joint,
            opts.seed,
            rep,
            &mut observers[a],
        )
        .map_err(in_arm(a))?;
        for (j, &b) in group.iter().enumerate() {
            let map: Vec<usize> = (0..n_joint)
                .map(|c| ((c >> k) << 1) | ((c >> j) & 1))
                .collect();
            counts[b] = Some(run.project(n_joint, lay.n_classes, &map));
        }
    }
    let fte = carms
        .iter()
        .map(|carm| carm.services.iter().map(|s| s.fte).collect())
        .collect();
    let arms = counts
        .into_iter()
        .zip(class)
        .map(|(c, cl)| (c.unwrap_or_default(), cl))
        .collect();
    Ok((
        RepCounts {
            values,
            citizens: cit,
            classes,
            layout: lay,
            arms,
            fte,
            simulated_by: leader,
            non_participants_by: partner,
        },
        observers,
    ))
}

/// Participant-years: months that participants (odd booking classes) spend in the course
/// states marked `in_course`, counted at the end of each cycle, ÷ 12.
fn participant_years(sc: &Scenario, lay: &Layout, counts: &ArmCounts) -> f64 {
    let mut months = 0u64;
    for (s, st) in sc.chains[COURSE].states.iter().enumerate() {
        if !st.in_course {
            continue;
        }
        for m in 0..lay.horizon {
            let ix = lay.state_ix(m, COURSE, s, 0);
            for cl in (1..lay.n_classes).step_by(2) {
                months += counts.end[ix + cl] as u64;
            }
        }
    }
    (months * lay.cycle_months as u64) as f64 / 12.0
}

/// Per cell of a count array laid out (…, class): the sum over its `nc` classes (a fixed
/// number of classes lets the compiler unroll the sum).
fn sum_classes(v: &[u32], nc: usize) -> Vec<u32> {
    fn by<const N: usize>(v: &[u32]) -> Vec<u32> {
        v.chunks_exact(N).map(|c| c.iter().sum()).collect()
    }
    match nc {
        1 => v.to_vec(),
        2 => by::<2>(v),
        4 => by::<4>(v),
        8 => by::<8>(v),
        _ => v.chunks_exact(nc).map(|c| c.iter().sum()).collect(),
    }
}

/// An error of arm `a` in replication `rep`, said with both.
fn in_arm(sc: &Scenario, rep: u32, a: usize) -> impl Fn(Error) -> Error + '_ {
    move |e: Error| {
        Error::Runtime(format!(
            "replication {rep}, arm `{}`: {}",
            sc.arms[a].id,
            strip(e)
        ))
    }
}

fn strip(e: Error) -> String {
    match e {
        Error::Runtime(m) | Error::Usage(m) => m,
        other => other.to_string(),
    }
}

/// Run one replication and reduce it to what the aggregate needs.
pub fn run_rep(sc: &Scenario, opts: &RunOptions, rep: u32) -> Result<RepResult> {
    let defs = lines::line_defs(sc);
    let index = LineIndex::new(sc, &defs);
    run_rep_indexed(sc, opts, rep, &index)
}

/// Discount factors per cycle, made once per replication: `rates[0]` at the simulation's rate,
/// then one per rate parameter that accounts name (accounts mostly share them); `of[j]` is
/// account j's.
pub(crate) struct Discounts {
    rates: Vec<Vec<f64>>,
    of: Vec<usize>,
}

impl Discounts {
    pub(crate) fn new(sc: &Scenario, values: &[f64], horizon: usize) -> Discounts {
        let discount = |rate: f64| -> Vec<f64> {
            (0..horizon)
                .map(|m| economics::discount_factor(sc, rate, m))
                .collect()
        };
        let mut rates = vec![discount(values[sc.sim.discount_rate])];
        let mut rate_params: Vec<usize> = Vec::new();
        let of = sc
            .accounts
            .iter()
            .map(|acc| match acc.discount_rate {
                None => 0,
                Some(r) => match rate_params.iter().position(|&q| q == r) {
                    Some(i) => i + 1,
                    None => {
                        rate_params.push(r);
                        rates.push(discount(values[r]));
                        rates.len() - 1
                    }
                },
            })
            .collect();
        Discounts { rates, of }
    }

    /// The simulation's factors (programme costs are discounted at its rate).
    fn sim(&self) -> &[f64] {
        &self.rates[0]
    }

    /// Account `j`'s factors.
    fn account(&self, j: usize) -> &[f64] {
        &self.rates[self.of[j]]
    }
}

/// An arm's programme items and their sum per cycle and payer, from what its simulation
/// recorded of its `n_services` services.
pub(crate) fn programme(
    sc: &Scenario,
    values: &[f64],
    a: usize,
    lay: &Layout,
    counts: &ArmCounts,
    n_services: usize,
) -> (Vec<economics::ProgrammeItem>, Vec<[f64; 6]>) {
    // The FTE staffed per cycle of each capacity service, in the arm's service order.
    let n_cap = n_services.max(1);
    let mut cap_k = 0;
    let staffed: Vec<Option<economics::ServiceUse>> = sc.arms[a]
        .services
        .iter()
        .map(|sv| {
            sv.capacity.as_ref()?;
            let k = cap_k;
            cap_k += 1;
            let row = |col: usize| -> Vec<f64> {
                (0..lay.horizon)
                    .map(|m| counts.staffing.get(m * n_cap + k).map_or(0.0, |r| r[col]))
                    .collect()
            };
            Some(economics::ServiceUse {
                fte: row(engine::ROW_FTE),
                cases: row(engine::ROW_ALLOCATED),
            })
        })
        .collect();
    let items = economics::programme_items(sc, values, a, lay, &staffed);
    let mut per_cycle = vec![[0.0f64; 6]; lay.horizon];
    for item in &items {
        for (m, &v) in item.per_cycle.iter().enumerate() {
            per_cycle[m][item.payer] += v;
        }
    }
    (items, per_cycle)
}

/// An arm's amounts by payer, consequences and investment: its booked accounts in DKK (the
/// reimbursed part on the state) and its programme costs, each with its discounted value.
pub(crate) fn ledger(
    sc: &Scenario,
    booked: &economics::Booked,
    disc: &Discounts,
    programme: &[[f64; 6]],
) -> Ledger {
    let h = programme.len();
    let state_ix = business_case::payer_index(Payer::State);
    let mut ledger = Ledger::new(h);
    for (j, acc) in sc.accounts.iter().enumerate() {
        if !acc.in_dkk() {
            continue;
        }
        let p = business_case::payer_index(acc.payer);
        for (m, &f) in disc.account(j).iter().enumerate() {
            let refund = booked.refunded[j][m];
            let own = booked.gross[j][m] - refund;
            ledger.add(acc.investment, acc.transfer, p, m, own, own * f);
            if refund != 0.0 {
                ledger.add(
                    acc.investment,
                    acc.transfer,
                    state_ix,
                    m,
                    refund,
                    refund * f,
                );
            }
        }
    }
    let sim = disc.sim();
    for (m, row) in programme.iter().enumerate() {
        for (p, &v) in row.iter().enumerate() {
            if v != 0.0 {
                ledger.add(true, false, p, m, v, v * sim[m]);
            }
        }
    }
    ledger
}

/// What booking an arm of one replication reads besides its counts.
pub(crate) struct Booking<'a> {
    pub sc: &'a Scenario,
    pub values: &'a [f64],
    pub lay: &'a Layout,
    pub classes: &'a ClassMap,
    pub disc: &'a Discounts,
    pub index: &'a LineIndex,
    pub effect_scale: f64,
}

impl Booking<'_> {
    /// Arm `a`'s results from its counts, the class of each citizen and the FTE of each
    /// service with capacity: booked, discounted, by payer and by line.
    pub(crate) fn arm(&self, a: usize, counts: ArmCounts, class: &[u16], fte: Vec<f64>) -> ArmRep {
        let Booking {
            sc,
            values,
            lay,
            classes,
            disc,
            index,
            effect_scale,
        } = *self;
        let h = lay.horizon;
        let state_ix = business_case::payer_index(Payer::State);
        let booked = economics::book(sc, values, a, lay, classes, &counts, effect_scale);
        let (items, programme) = programme(sc, values, a, lay, &counts, fte.len());
        let ledger = ledger(sc, &booked, disc, &programme);
        let mut line_ledger = LineLedger::new(index.investment.len(), h);
        let mut discounted = Vec::with_capacity(sc.accounts.len());
        let mut units_discounted = Vec::with_capacity(sc.accounts.len());
        let mut credit_d = Vec::with_capacity(sc.accounts.len());
        for (j, acc) in sc.accounts.iter().enumerate() {
            let factors = disc.account(j);
            let series: Vec<f64> = booked.gross[j]
                .iter()
                .zip(factors)
                .map(|(v, f)| v * f)
                .collect();
            credit_d.push(
                booked.while_served[j]
                    .iter()
                    .zip(factors)
                    .map(|(v, f)| v * f)
                    .sum(),
            );
            if let (true, Some(l)) = (acc.in_dkk(), index.account[j]) {
                let p = business_case::payer_index(acc.payer);
                for (m, &f) in factors.iter().enumerate() {
                    let refund = booked.refunded[j][m];
                    let own = booked.gross[j][m] - refund;
                    line_ledger.add(l, p, m, own, own * f);
                    if refund != 0.0 {
                        line_ledger.add(l, state_ix, m, refund, refund * f);
                    }
                }
            }
            discounted.push(series);
            units_discounted.push(
                booked.units[j]
                    .iter()
                    .zip(factors)
                    .map(|(v, f)| v * f)
                    .collect::<Vec<f64>>(),
            );
        }
        let sim = disc.sim();
        for item in &items {
            let l = if item.service {
                index.service[a][item.index]
            } else {
                index.cost[a][item.index]
            };
            for (m, &v) in item.per_cycle.iter().enumerate() {
                if v != 0.0 {
                    line_ledger.add(l, item.payer, m, v, v * sim[m]);
                }
            }
        }
        ArmRep {
            end: sum_classes(&counts.end, lay.n_classes),
            flows: sum_classes(&counts.flows, lay.n_classes),
            amounts: booked.gross,
            discounted,
            refunded: booked.refunded,
            units: booked.units,
            units_discounted,
            programme,
            ledger,
            lines: line_ledger,
            participants: class.iter().filter(|&&c| c & 1 == 1).count() as u32,
            participant_years: participant_years(sc, lay, &counts),
            while_served_d: credit_d,
            staffing: counts.staffing,
            fte,
        }
    }
}

/// A replication's result from its arms: each arm after control compared with control, in
/// total and by line.
pub(crate) fn compared(arms: Vec<ArmRep>, index: &LineIndex) -> RepResult {
    let comparisons = (0..arms.len())
        .map(|a| (a > 0).then(|| business_case::compare(&arms[0].ledger, &arms[a].ledger)))
        .collect();
    let line_comparisons = (0..arms.len())
        .map(|a| (a > 0).then(|| LineDiff::compare(index, &arms[0].lines, &arms[a].lines)))
        .collect();
    RepResult {
        arms,
        comparisons,
        line_comparisons,
    }
}

/// [`run_rep`] with the scenario's line index made once for all replications.
pub fn run_rep_indexed(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    index: &LineIndex,
) -> Result<RepResult> {
    let mut rc = run_counts(sc, opts, rep)?;
    let disc = Discounts::new(sc, &rc.values, rc.layout.horizon);
    let booking = Booking {
        sc,
        values: &rc.values,
        lay: &rc.layout,
        classes: &rc.classes,
        disc: &disc,
        index,
        effect_scale: opts.effect_scale,
    };
    let fte = std::mem::take(&mut rc.fte);
    let arms = std::mem::take(&mut rc.arms)
        .into_iter()
        .zip(fte)
        .enumerate()
        .map(|(a, ((counts, class), fte))| booking.arm(a, counts, &class, fte))
        .collect();
    Ok(compared(arms, index))
}

/// Indices (in the arm's service list) of the services with capacity, in order.
pub fn capacity_services(sc: &Scenario, arm: usize) -> Vec<usize> {
    sc.arms[arm]
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| s.capacity.is_some())
        .map(|(k, _)| k)
        .collect()
}

/// Run every replication and aggregate.
pub fn run(sc: &Scenario, opts: &RunOptions) -> Result<Results> {
    run_while(sc, opts, &|_, _| true)?
        .ok_or_else(|| Error::Runtime("the run was stopped before it finished".into()))
}

/// A pool of `threads` workers (0: one per core).
pub fn worker_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start {threads} worker threads: {e}")))
}

/// [`run`] that asks `keep_going(done, total)` before each replication is started (`done`:
/// the replications folded so far) and stops (returning None) when it says no: cooperative
/// cancellation and progress for `ressim serve`. The result of a run that is not stopped is
/// the same as [`run`]'s.
pub fn run_while(
    sc: &Scenario,
    opts: &RunOptions,
    keep_going: &(dyn Fn(u32, u32) -> bool + Sync),
) -> Result<Option<Results>> {
    let pool = worker_pool(opts.threads)?;
    let threads_used = pool.current_num_threads();
    let mut res = Results::new(sc, opts.clone(), threads_used);
    let index = res.line_index.clone();
    let total = opts.replications;
    // Replications started ahead of the fold: bounds memory (each holds a replication's
    // results until it is folded); results do not depend on it, the fold is in order.
    let window = (threads_used as u32 * 8).max(16);
    let progress = Progress::new(opts.progress, total);
    let outcome = ordered::fold_in_order(
        &pool,
        total,
        window,
        &|r| run_rep_indexed(sc, opts, r, &index),
        &mut |rep| {
            res.fold(rep);
            Ok(())
        },
        &|done| {
            progress.show(done);
            keep_going(done, total)
        },
    );
    match outcome {
        ordered::Outcome::Done => res.finish_folds(),
        ordered::Outcome::Stopped => return Ok(None),
        ordered::Outcome::Failed(e) => return Err(e),
    }
    progress.finish();
    keep_going(total, total);
    Ok(Some(res))
}

/// "replication k/n" on standard error while replications are folded, when asked for and
/// standard error is a terminal.
struct Progress {
    show: bool,
    shown: std::sync::atomic::AtomicU32,
    total: u32,
}

impl Progress {
    fn new(asked: bool, total: u32) -> Progress {
        Progress {
            show: asked && std::io::stderr().is_terminal(),
            shown: std::sync::atomic::AtomicU32::new(0),
            total,
        }
    }

    /// `done` replications are folded: shown at most once per replication, from whichever
    /// worker asks.
    fn show(&self, done: u32) {
        let order = std::sync::atomic::Ordering::Relaxed;
        if self.show && self.shown.fetch_max(done, order) < done {
            crate::err!("\r  replication {done}/{}", self.total);
            let _ = std::io::stderr().flush();
        }
    }

    /// Every replication is folded.
    fn finish(&self) {
        if self.show {
            crate::err!("\r  replication {0}/{0}", self.total);
            crate::errln!();
        }
    }
}

/// Compute `work(r)` for every replication r on `pool` and fold the results in replication
/// order ([`ordered::fold_in_order`], at most `window` ahead of the fold); `progress(done)` as
/// they are folded. For passes that are never stopped.
fn fold_every<T: Send>(
    pool: &rayon::ThreadPool,
    total: u32,
    window: u32,
    work: &(dyn Fn(u32) -> Result<T> + Sync),
    fold: &mut (dyn FnMut(T) + Send),
    progress: &(dyn Fn(u32) + Sync),
) -> Result<()> {
    let outcome = ordered::fold_in_order(
        pool,
        total,
        window,
        work,
        &mut |t| {
            fold(t);
            Ok(())
        },
        &|done| {
            progress(done);
            true
        },
    );
    match outcome {
        ordered::Outcome::Done => Ok(()),
        ordered::Outcome::Stopped => Err(Error::Runtime(
            "the run was stopped before it finished".into(),
        )),
        ordered::Outcome::Failed(e) => Err(e),
    }
}

/// `work(r)` gives replication r's NPV per perspective for each of `n` variants; collected per
/// variant in replication order (`out[v][r]`), with progress on standard error as
/// `opts.progress` says and `progress(done, total)`.
fn npv_series(
    opts: &RunOptions,
    n: usize,
    work: &(dyn Fn(u32) -> Result<Vec<[f64; 8]>> + Sync),
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Vec<Vec<[f64; 8]>>> {
    let total = opts.replications;
    let mut out: Vec<Vec<[f64; 8]>> = (0..n).map(|_| Vec::with_capacity(total as usize)).collect();
    if n == 0 {
        return Ok(out);
    }
    let pool = worker_pool(opts.threads)?;
    let window = (pool.current_num_threads() as u32 * 8).max(16);
    let shown = Progress::new(opts.progress, total);
    fold_every(
        &pool,
        total,
        window,
        work,
        &mut |rep: Vec<[f64; 8]>| {
            for (series, npv) in out.iter_mut().zip(rep) {
                series.push(npv);
            }
        },
        &|done| {
            shown.show(done);
            progress(done, total);
        },
    )?;
    shown.finish();
    progress(total, total);
    Ok(out)
}
