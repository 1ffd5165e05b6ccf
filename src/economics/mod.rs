//! Accounts: turning the engine's counts into amounts per account and cycle, and discounting.
//!
//! Timing conventions (see docs/scenario.md):
//! * `counting = "start"`: a cycle's amount uses the states at the start of the cycle (starters
//!   included only with `count_time_zero = true`); `"end"`: the states at its end;
//!   `"half-cycle"`: half of each.
//! * A monthly amount is multiplied by the months per cycle; a transition amount is booked
//!   once, in the cycle the move happens.
//! * The discount factor of a cycle is (1 + r)^−(t + discount_start), where t is counted at the
//!   cycle's first month: budget years since the start year (`budget-year`), whole years since
//!   the start (`simulation-year`) or months/12 (`monthly`).

use crate::engine::{ArmCounts, Layout};
use crate::scenario::{Basis, Counting, Discounting, Scenario};

/// Booking classes: which conditional accounts apply to a citizen, and whether it participates.
#[derive(Debug, Clone)]
pub struct ClassMap {
    /// Distinct condition masks (bit j: account j's `when` holds).
    pub masks: Vec<u64>,
}

impl ClassMap {
    /// Number of classes (each mask × participant or not).
    pub fn n_classes(&self) -> usize {
        self.masks.len() * 2
    }

    /// Whether account `j` applies to class `class`.
    pub fn applies(&self, sc: &Scenario, j: usize, class: usize) -> bool {
        sc.accounts[j].when.is_none() || self.masks[class / 2] & (1u64 << j) != 0
    }
}

/// Largest number of accounts with a `when` condition (one bit each).
pub const MAX_CONDITIONAL_ACCOUNTS: usize = 64;

/// Each citizen's static class (its mask index) and the map of masks, in first-seen order.
pub fn static_classes(sc: &Scenario, cit: &crate::cohort::Citizens) -> (Vec<u16>, ClassMap) {
    let mut masks: Vec<u64> = Vec::new();
    let mut out = Vec::with_capacity(cit.n);
    for i in 0..cit.n {
        let mut mask = 0u64;
        for (j, a) in sc
            .accounts
            .iter()
            .enumerate()
            .take(MAX_CONDITIONAL_ACCOUNTS)
        {
            if let Some(w) = &a.when {
                let x = cit.attr(i, w.attribute);
                if x >= w.min && x <= w.max {
                    mask |= 1 << j;
                }
            }
        }
        let k = match masks.iter().position(|&m| m == mask) {
            Some(k) => k,
            None => {
                masks.push(mask);
                masks.len() - 1
            }
        };
        out.push(k as u16);
    }
    if masks.is_empty() {
        masks.push(0);
    }
    (out, ClassMap { masks })
}

/// Discount factor of cycle `cycle` at annual rate `rate`.
pub fn discount_factor(sc: &Scenario, rate: f64, cycle: usize) -> f64 {
    let month = (cycle as u32) * sc.sim.cycle_months;
    let t = match sc.sim.discounting {
        Discounting::BudgetYear => (sc.sim.calendar_year(month) - sc.sim.start_year) as f64,
        Discounting::SimulationYear => (month / 12) as f64,
        Discounting::Monthly => month as f64 / 12.0,
    } + sc.sim.discount_start as f64;
    (1.0 + rate).powf(-t)
}

/// Amounts of one arm of one replication: `value[account][cycle]` in DKK for DKK-valued
/// accounts (amount × price where there is a price) and in the account's unit otherwise.
pub fn book(
    sc: &Scenario,
    values: &[f64],
    arm: usize,
    lay: &Layout,
    classes: &ClassMap,
    counts: &ArmCounts,
) -> Vec<Vec<f64>> {
    let h = lay.horizon;
    let cm = lay.cycle_months as f64;
    let arm_def = &sc.arms[arm];
    let mut out = Vec::with_capacity(sc.accounts.len());
    for (j, acc) in sc.accounts.iter().enumerate() {
        let base = values[acc.amount];
        let over = arm_def
            .account_overrides
            .iter()
            .find(|(a, _)| *a == j)
            .map(|(_, p)| values[*p]);
        let price = acc.price.map(|p| values[p]).unwrap_or(1.0);
        // Amount per class (0 where the account does not apply).
        let per_class: Vec<f64> = (0..lay.n_classes)
            .map(|cl| {
                if !classes.applies(sc, j, cl) {
                    0.0
                } else if cl & 1 == 1 {
                    over.unwrap_or(base)
                } else {
                    base
                }
            })
            .collect();
        let mut series = vec![0.0; h];
        for (m, slot) in series.iter_mut().enumerate() {
            let mut v = 0.0;
            match &acc.basis {
                Basis::States(states) => {
                    for &(c, s) in states {
                        for (cl, &amt) in per_class.iter().enumerate() {
                            if amt == 0.0 {
                                continue;
                            }
                            let end = counts.end[lay.state_ix(m, c, s, cl)] as f64;
                            let new = counts.new[lay.state_ix(m, c, s, cl)] as f64;
                            let before = if m == 0 {
                                0.0
                            } else {
                                counts.end[lay.state_ix(m - 1, c, s, cl)] as f64
                            };
                            let start = before + if sc.sim.count_time_zero { new } else { 0.0 };
                            let n = match sc.sim.counting {
                                Counting::Start => start,
                                Counting::End => end,
                                Counting::HalfCycle => 0.5 * (start + end),
                            };
                            v += n * amt * cm;
                        }
                    }
                }
                Basis::Transitions(moves) => {
                    for &(c, from, to) in moves {
                        let froms: Vec<usize> = match from {
                            Some(f) => vec![f],
                            None => (0..lay.chain_size[c]).filter(|&f| f != to).collect(),
                        };
                        for f in froms {
                            for (cl, &amt) in per_class.iter().enumerate() {
                                if amt != 0.0 {
                                    v += counts.flows[lay.flow_ix(m, c, f, to, cl)] as f64 * amt;
                                }
                            }
                        }
                    }
                }
            }
            *slot = v * price;
        }
        out.push(series);
    }
    out
}
