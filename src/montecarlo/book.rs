//! One replication's booking: each arm's counts booked on the accounts, its programme costs,
//! discounted, by payer and by line, and every arm compared with control.

use super::{RunOptions, run_counts};
use crate::economics::business_case::{self, Comparison, Ledger};
use crate::economics::lines::{self, LineDiff, LineIndex, LineLedger};
use crate::economics::{self, ClassMap};
use crate::engine::{self, ArmCounts, Layout, StaffRow};
use crate::error::Result;
use crate::scenario::{COURSE, Payer, Scenario};

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
/// `each` sees every account in DKK's parts once they are made (the line ledger books them
/// too), in the order of the accounts.
pub(crate) fn ledger(
    sc: &Scenario,
    booked: &economics::Booked,
    disc: &Discounts,
    programme: &[[f64; 6]],
    mut each: impl FnMut(usize, &Split),
) -> Ledger {
    let h = programme.len();
    let state_ix = business_case::payer_index(Payer::State);
    let mut ledger = Ledger::new(h);
    let mut split = Split::new(h);
    for (j, acc) in sc.accounts.iter().enumerate() {
        if !acc.in_dkk() {
            continue;
        }
        let p = business_case::payer_index(acc.payer);
        split.of(booked, j, disc.account(j));
        // Adding 0 changes no cell of a ledger (see [`LineLedger::add_series`]), so the
        // cycles without a reimbursed part need not be left out.
        let (inv, transfer) = (acc.investment, acc.transfer);
        ledger.add_series(inv, transfer, p, &split.own, &split.own_d);
        ledger.add_series(inv, transfer, state_ix, &split.refund, &split.refund_d);
        each(j, &split);
    }
    let sim = disc.sim();
    let (mut v, mut vd) = (vec![0.0; h], vec![0.0; h]);
    for p in 0..6 {
        for (m, row) in programme.iter().enumerate() {
            v[m] = row[p];
            vd[m] = row[p] * sim[m];
        }
        ledger.add_series(true, false, p, &v, &vd);
    }
    ledger
}

/// An account's amounts per cycle split into its own part (the gross amount less the
/// reimbursed part, booked on its payer) and the reimbursed part (booked on the state), each
/// with its discounted value: made for one account after another in the same buffers.
pub(crate) struct Split {
    own: Vec<f64>,
    own_d: Vec<f64>,
    refund: Vec<f64>,
    refund_d: Vec<f64>,
}

impl Split {
    fn new(h: usize) -> Split {
        Split {
            own: vec![0.0; h],
            own_d: vec![0.0; h],
            refund: vec![0.0; h],
            refund_d: vec![0.0; h],
        }
    }

    /// Account `j`'s parts, discounted by `factors`.
    fn of(&mut self, booked: &economics::Booked, j: usize, factors: &[f64]) {
        let (gross, refunded) = (&booked.gross[j], &booked.refunded[j]);
        for (m, &f) in factors.iter().enumerate() {
            let (g, r) = (gross[m], refunded[m]);
            self.own[m] = g - r;
            self.own_d[m] = (g - r) * f;
            self.refund[m] = r;
            self.refund_d[m] = r * f;
        }
    }
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
        let mut line_ledger = LineLedger::new(index.investment.len(), h);
        let ledger = ledger(sc, &booked, disc, &programme, |j, split| {
            if let Some(l) = index.account[j] {
                let p = business_case::payer_index(sc.accounts[j].payer);
                line_ledger.add_series(l, p, &split.own, &split.own_d, false);
                let (r, rd) = (&split.refund, &split.refund_d);
                line_ledger.add_series(l, state_ix, r, rd, true);
            }
        });
        let mut discounted = Vec::with_capacity(sc.accounts.len());
        let mut units_discounted = Vec::with_capacity(sc.accounts.len());
        let mut credit_d = Vec::with_capacity(sc.accounts.len());
        for j in 0..sc.accounts.len() {
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
            let vd: Vec<f64> = item.per_cycle.iter().zip(sim).map(|(v, f)| v * f).collect();
            line_ledger.add_series(l, item.payer, &item.per_cycle, &vd, true);
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
