//! What a run keeps of its replications: the sums and histograms the outputs are made from,
//! folded in replication order (`Results::fold`), and a few numbers per replication
//! ([`RepScalars`]).

use super::{RepResult, RunOptions, capacity_services, layout};
use crate::economics::business_case::{self, Comparison, Headline, add_to};
use crate::economics::lines::{self, LineComparison, LineDef, LineIndex};
use crate::engine::{Layout, StaffRow};
use crate::scenario::{COURSE, Scenario};
use crate::stats::Hist;

/// Replications whose end-of-cycle counts are added to the occupancy histograms at once.
const OCCUPANCY_BATCH: usize = 32;

/// Per-replication numbers kept for every replication (a few per arm and payer).
#[derive(Debug, Clone)]
pub struct RepScalars {
    /// Per arm: participants.
    pub participants: Vec<u32>,
    /// Per arm: participant-years in the course states.
    pub participant_years: Vec<f64>,
    /// Per arm, per payer (Payer::ALL order): DKK total over the horizon (after refusion).
    pub total_by_payer: Vec<[f64; 6]>,
    /// Per arm, per payer: discounted DKK total.
    pub discounted_by_payer: Vec<[f64; 6]>,
    /// Per arm, per course state: share of citizens in it at the end.
    pub end_share: Vec<Vec<f64>>,
    /// Per arm (control: all zero), per perspective: the headline numbers against control.
    pub headlines: Vec<[Headline; 8]>,
    /// Per arm (control: empty), per budget year: the cumulative discounted net at the end of
    /// the year, per perspective (for intervals around the payback curve).
    pub cum_net_by_year: Vec<Vec<[f64; 8]>>,
    /// Per arm, per quantity account ([`Results::quantity_accounts`] order): the total over
    /// the horizon in the account's unit and its discounted total.
    pub quantities: Vec<Vec<[f64; 2]>>,
    /// Per arm (control: empty): the discounted total of every line in every perspective,
    /// indexed `perspective * lines + line`.
    pub line_npv: Vec<Vec<f64>>,
}

/// Sums over replications of an arm's comparison with control, per cycle (the same shape
/// as one replication's comparison).
pub type ComparisonSums = Comparison;

/// The aggregate of a run.
#[derive(Debug, Clone)]
pub struct Results {
    /// Options used.
    pub options: RunOptions,
    /// Threads actually used.
    pub threads_used: usize,
    /// Citizens per replication.
    pub citizens: usize,
    /// Layout (classes summed: `n_classes` is 1).
    pub layout: Layout,
    /// Per arm, per (cycle, global state): histogram of end-of-cycle counts
    /// ([`Results::occupancy_cell`]).
    occupancy: Vec<Vec<Hist>>,
    /// Per arm, the end-of-cycle counts of replications folded but not yet in `occupancy`, one
    /// replication after the other. They are added [`OCCUPANCY_BATCH`] replications at a time,
    /// cell by cell, so that each cell's histogram is fetched from memory once per batch
    /// rather than once per replication (a histogram does not depend on the order of adds).
    occupancy_pending: Vec<Vec<u32>>,
    /// Per arm, per (cycle, flow): sum of moves over replications.
    pub flow_sums: Vec<Vec<u64>>,
    /// Per arm, per account, per cycle: sum over replications.
    pub amount_sums: Vec<Vec<Vec<f64>>>,
    /// Per arm, per account: summed discounted `while_served` credit.
    pub while_served_sums: Vec<Vec<f64>>,
    /// Per arm, per account, per cycle: discounted sum over replications.
    pub discounted_sums: Vec<Vec<Vec<f64>>>,
    /// Per arm, per account, per cycle: reimbursed (refusion) sum over replications.
    pub refunded_sums: Vec<Vec<Vec<f64>>>,
    /// Per arm, per cycle, per payer: programme cost sum over replications.
    pub programme_sums: Vec<Vec<[f64; 6]>>,
    /// Per arm, per account, per cycle: sum over replications in the account's own unit.
    pub unit_sums: Vec<Vec<Vec<f64>>>,
    /// Per arm, per account, per cycle: discounted sum over replications in the account's unit.
    pub unit_discounted_sums: Vec<Vec<Vec<f64>>>,
    /// Indices of the accounts that count a quantity (unit not `dkk`), in account order.
    pub quantity_accounts: Vec<usize>,
    /// Per arm (None for control): sums of the comparison with control.
    pub comparison_sums: Vec<Option<ComparisonSums>>,
    /// The scenario's business-case lines.
    pub lines: Vec<LineDef>,
    /// Where each account, service and cost is booked among the lines.
    pub line_index: LineIndex,
    /// Per arm (None for control): sums over replications of the comparison by line.
    pub line_sums: Vec<Option<LineComparison>>,
    /// Per arm, per (cycle, service with capacity): sums over replications of capacity, used,
    /// queue, allocated and summed waiting months.
    pub staffing_sums: Vec<Vec<StaffRow>>,
    /// Per arm, per service with capacity: the longest queue seen in any cycle and replication.
    pub staffing_max_queue: Vec<Vec<f64>>,
    /// Per arm, per service with capacity: sum of drawn FTE over replications.
    pub fte_sums: Vec<Vec<f64>>,
    /// Last cycle of each budget (calendar) year within the horizon.
    pub year_ends: Vec<usize>,
    /// Per replication scalars, in replication order.
    pub reps: Vec<RepScalars>,
}

impl Results {
    pub(super) fn new(sc: &Scenario, options: RunOptions, threads_used: usize) -> Results {
        let lay = layout(sc, 1);
        let na = sc.arms.len();
        let h = lay.horizon;
        let acc = vec![vec![vec![0.0; h]; sc.accounts.len()]; na];
        let defs = lines::line_defs(sc);
        let line_index = LineIndex::new(sc, &defs);
        Results {
            line_sums: (0..na)
                .map(|a| (a > 0).then(|| LineComparison::zeros(defs.len(), h)))
                .collect(),
            lines: defs,
            line_index,
            citizens: sc.cohort.size(),
            occupancy: vec![vec![Hist::default(); h * lay.n_states]; na],
            occupancy_pending: vec![Vec::new(); na],
            flow_sums: vec![vec![0; h * lay.n_flows]; na],
            amount_sums: acc.clone(),
            while_served_sums: vec![vec![0.0; sc.accounts.len()]; na],
            discounted_sums: acc.clone(),
            unit_sums: acc.clone(),
            unit_discounted_sums: acc.clone(),
            refunded_sums: acc,
            quantity_accounts: (0..sc.accounts.len())
                .filter(|&j| sc.accounts[j].is_quantity())
                .collect(),
            programme_sums: vec![vec![[0.0; 6]; h]; na],
            comparison_sums: (0..na)
                .map(|a| (a > 0).then(|| Comparison::zeros(h)))
                .collect(),
            staffing_sums: (0..na)
                .map(|a| vec![[0.0; 8]; h * capacity_services(sc, a).len()])
                .collect(),
            staffing_max_queue: (0..na)
                .map(|a| vec![0.0; capacity_services(sc, a).len()])
                .collect(),
            fte_sums: (0..na)
                .map(|a| vec![0.0; capacity_services(sc, a).len()])
                .collect(),
            year_ends: (0..h)
                .filter(|&m| {
                    m + 1 == h
                        || sc.sim.calendar_year((m as u32 + 1) * sc.sim.cycle_months)
                            != sc.sim.calendar_year(m as u32 * sc.sim.cycle_months)
                })
                .collect(),
            reps: Vec::with_capacity(options.replications as usize),
            layout: lay,
            options,
            threads_used,
        }
    }

    pub(super) fn fold(&mut self, r: RepResult) {
        let lay = &self.layout;
        let h = lay.horizon;
        // Kept for every replication (for exact percentiles), so each vector is made with
        // the capacity it needs: a vector grown by push reserves at least four elements.
        let na = r.arms.len();
        let mut scal = RepScalars {
            participants: Vec::with_capacity(na),
            participant_years: Vec::with_capacity(na),
            total_by_payer: Vec::with_capacity(na),
            discounted_by_payer: Vec::with_capacity(na),
            end_share: Vec::with_capacity(na),
            headlines: Vec::with_capacity(na),
            cum_net_by_year: Vec::with_capacity(na),
            quantities: Vec::with_capacity(na),
            line_npv: Vec::with_capacity(na),
        };
        for (a, c) in r.line_comparisons.iter().enumerate() {
            match c {
                Some(c) => {
                    if let Some(sums) = self.line_sums[a].as_mut() {
                        sums.add_diff(c);
                    }
                    scal.line_npv.push(c.discounted_totals_all());
                }
                None => scal.line_npv.push(vec![]),
            }
        }
        for (a, arm) in r.arms.into_iter().enumerate() {
            self.occupancy_pending[a].extend_from_slice(&arm.end);
            for (s, &v) in self.flow_sums[a].iter_mut().zip(&arm.flows) {
                *s += v as u64;
            }
            for (sums, add) in [
                (&mut self.amount_sums[a], &arm.amounts),
                (&mut self.discounted_sums[a], &arm.discounted),
                (&mut self.refunded_sums[a], &arm.refunded),
                (&mut self.unit_sums[a], &arm.units),
                (&mut self.unit_discounted_sums[a], &arm.units_discounted),
            ] {
                // Row by row (every row is one account's cycles): the inner loop vectorises.
                for (xs, ys) in sums.iter_mut().zip(add) {
                    add_to(xs, ys);
                }
            }
            for m in 0..h {
                for p in 0..6 {
                    self.programme_sums[a][m][p] += arm.programme[m][p];
                }
            }
            let mut tot = [0.0; 6];
            let mut disc = [0.0; 6];
            for p in 0..6 {
                tot[p] =
                    arm.ledger.cons[p].iter().sum::<f64>() + arm.ledger.inv[p].iter().sum::<f64>();
                disc[p] = arm.ledger.cons_d[p].iter().sum::<f64>()
                    + arm.ledger.inv_d[p].iter().sum::<f64>();
            }
            let n = self.citizens.max(1) as f64;
            let last = h - 1;
            scal.end_share.push(
                (0..lay.chain_size[COURSE])
                    .map(|s| arm.end[last * lay.n_states + lay.chain_offset[COURSE] + s] as f64 / n)
                    .collect(),
            );
            for (x, y) in self.staffing_sums[a].iter_mut().zip(&arm.staffing) {
                add_to(x, y);
            }
            let n_sv = arm.fte.len();
            for (k, row) in arm.staffing.iter().enumerate() {
                let q = &mut self.staffing_max_queue[a][k % n_sv.max(1)];
                *q = q.max(row[2]);
            }
            add_to(&mut self.fte_sums[a], &arm.fte);
            scal.quantities.push(
                self.quantity_accounts
                    .iter()
                    .map(|&j| {
                        [
                            arm.units[j].iter().sum(),
                            arm.units_discounted[j].iter().sum(),
                        ]
                    })
                    .collect(),
            );
            add_to(&mut self.while_served_sums[a], &arm.while_served_d);
            scal.participants.push(arm.participants);
            scal.participant_years.push(arm.participant_years);
            scal.total_by_payer.push(tot);
            scal.discounted_by_payer.push(disc);
        }
        for (a, c) in r.comparisons.iter().enumerate() {
            match c {
                Some(c) => {
                    if let Some(sums) = self.comparison_sums[a].as_mut() {
                        sums.add(c);
                    }
                    scal.headlines.push(business_case::headlines(c));
                    let mut cum = [0.0; 8];
                    let mut by_year = Vec::with_capacity(self.year_ends.len());
                    for m in 0..h {
                        for (k, x) in cum.iter_mut().enumerate() {
                            *x += c.sav_d[k][m] - c.inv_d[k][m];
                        }
                        if self.year_ends.contains(&m) {
                            by_year.push(cum);
                        }
                    }
                    scal.cum_net_by_year.push(by_year);
                }
                None => {
                    scal.headlines.push([Headline::default(); 8]);
                    scal.cum_net_by_year.push(vec![]);
                }
            }
        }
        self.reps.push(scal);
        if self.reps.len().is_multiple_of(OCCUPANCY_BATCH) {
            self.finish_folds();
        }
    }

    /// Add what the folds left pending to the histograms: called by the fold every
    /// [`OCCUPANCY_BATCH`] replications and once at the end of a run.
    pub(super) fn finish_folds(&mut self) {
        for (hists, pending) in self.occupancy.iter_mut().zip(&mut self.occupancy_pending) {
            let cells = hists.len().max(1);
            for (k, hist) in hists.iter_mut().enumerate() {
                for rep in pending.chunks(cells) {
                    hist.add(rep[k]);
                }
            }
            pending.clear();
        }
    }

    /// Replications folded.
    pub fn replications(&self) -> usize {
        self.reps.len()
    }

    /// The NPV of perspective `perspective` (an index into the perspectives) of arm `arm`
    /// against control, per replication in replication order.
    pub fn npv_draws(&self, arm: usize, perspective: usize) -> Vec<f64> {
        self.reps
            .iter()
            .map(|r| r.headlines[arm][perspective].npv)
            .collect()
    }

    /// The histogram of cell (arm, cycle, chain, state) over the replications.
    pub fn occupancy_cell(&self, arm: usize, cycle: usize, chain: usize, state: usize) -> &Hist {
        debug_assert!(self.occupancy_pending.iter().all(Vec::is_empty));
        &self.occupancy[arm][cycle * self.layout.n_states + self.layout.chain_offset[chain] + state]
    }

    /// Mean moves per replication of (arm, cycle, chain, from, to).
    pub fn flow_mean(&self, arm: usize, cycle: usize, chain: usize, from: usize, to: usize) -> f64 {
        let lay = &self.layout;
        let i = cycle * lay.n_flows + lay.flow_offset[chain] + from * lay.chain_size[chain] + to;
        self.flow_sums[arm][i] as f64 / self.replications().max(1) as f64
    }

    /// The arm the headline business case is about: `treatment` if there is one, else the
    /// first arm after control.
    pub fn focus_arm(sc: &Scenario) -> usize {
        sc.arms
            .iter()
            .position(|a| a.id == "treatment")
            .unwrap_or(1.min(sc.arms.len() - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::montecarlo::{run, run_rep};

    /// The occupancy histograms, filled [`OCCUPANCY_BATCH`] replications at a time, hold
    /// exactly what adding each replication's end-of-cycle counts one by one gives: a run of
    /// a batch and a part of one (the part added at the end).
    #[test]
    fn occupancy_in_batches_is_occupancy_one_by_one() {
        let sc = crate::scenario::load_default().expect("shipped scenario loads");
        let reps = OCCUPANCY_BATCH as u32 + 5;
        let opts = RunOptions {
            replications: reps,
            threads: 2,
            ..RunOptions::from_scenario(&sc)
        };
        let res = run(&sc, &opts).expect("runs");
        let lay = &res.layout;
        let mut by_hand = vec![vec![Hist::default(); lay.horizon * lay.n_states]; sc.arms.len()];
        for r in 0..reps {
            let rep = run_rep(&sc, &opts, r).expect("replication runs");
            for (hists, arm) in by_hand.iter_mut().zip(&rep.arms) {
                for (h, &v) in hists.iter_mut().zip(&arm.end) {
                    h.add(v);
                }
            }
        }
        for (a, hists) in by_hand.iter().enumerate() {
            for m in 0..lay.horizon {
                for (c, &size) in lay.chain_size.iter().enumerate() {
                    for s in 0..size {
                        let cell = m * lay.n_states + lay.chain_offset[c] + s;
                        assert_eq!(res.occupancy_cell(a, m, c, s), &hists[cell]);
                    }
                }
            }
        }
        assert!(
            by_hand[0]
                .iter()
                .any(|h| h.len() == reps as u64 && h.mean() > 0.0)
        );
    }
}
