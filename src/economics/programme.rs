//! Programme items: what an arm's staffed services and programme costs cost per cycle, by
//! payer.

use crate::engine::Layout;
use crate::scenario::{CostPer, Scenario};

/// One programme item's cost per cycle: a staffed service or a programme cost of an arm.
#[derive(Debug, Clone)]
pub struct ProgrammeItem {
    /// True for a service (index into the arm's services), false for a programme cost.
    pub service: bool,
    /// Index into the arm's services or costs.
    pub index: usize,
    /// Payer index (Payer::ALL order).
    pub payer: usize,
    /// DKK per cycle.
    pub per_cycle: Vec<f64>,
}

/// What the engine recorded of one service with capacity, per cycle.
#[derive(Debug, Clone, Default)]
pub struct ServiceUse {
    /// FTE staffed.
    pub fte: Vec<f64>,
    /// Citizens newly served (new cases).
    pub cases: Vec<f64>,
}

/// Programme items of an arm (services' staff, then other costs), each per cycle in DKK.
/// `staffed[k]` is what the engine recorded for the arm's service k when it has capacity (None
/// for a service modelled by its cost only, whose FTE follows its fixed staff or schedule): the
/// staff cost follows the FTE actually staffed, a cost paid per case the cases served.
pub fn programme_items(
    sc: &Scenario,
    values: &[f64],
    arm: usize,
    lay: &Layout,
    staffed: &[Option<ServiceUse>],
) -> Vec<ProgrammeItem> {
    let a = &sc.arms[arm];
    let months = lay.horizon * lay.cycle_months as usize;
    let pix = |p: crate::scenario::Payer| {
        crate::scenario::Payer::ALL
            .iter()
            .position(|&x| x == p)
            .unwrap_or(0)
    };
    // A monthly amount over months `from..=to` (0 outside), summed per cycle.
    let per_cycle = |from: u32, to: u32, amount: &dyn Fn(usize) -> f64| -> Vec<f64> {
        let mut monthly = vec![0.0f64; months];
        for (mo, x) in monthly
            .iter_mut()
            .enumerate()
            .take(to as usize + 1)
            .skip(from as usize)
        {
            *x += amount(mo);
        }
        monthly
            .chunks(lay.cycle_months as usize)
            .map(|ch| ch.iter().sum())
            .collect()
    };
    let cm = lay.cycle_months as usize;
    let mut out = Vec::with_capacity(a.services.len() + a.costs.len());
    for (k, sv) in a.services.iter().enumerate() {
        let cost_month = values[sv.cost_per_fte_year] / 12.0;
        let staff = |mo: usize| {
            let fte = match staffed.get(k).and_then(|s| s.as_ref()) {
                Some(used) => used.fte.get(mo / cm).copied().unwrap_or(0.0),
                None => values[sv.fte] * sv.staffing.share_at(mo as u32),
            };
            fte * cost_month
        };
        out.push(ProgrammeItem {
            service: true,
            index: k,
            payer: pix(sv.payer),
            per_cycle: per_cycle(sv.from_month, sv.to_month, &staff),
        });
    }
    for (k, co) in a.costs.iter().enumerate() {
        let amt = values[co.amount];
        let span = (co.to_month - co.from_month + 1) as f64;
        let cost = |mo: usize| match co.per {
            CostPer::Month => amt,
            CostPer::Year => amt / 12.0,
            CostPer::Total => amt / span,
            CostPer::Once => {
                if mo == co.from_month as usize {
                    amt
                } else {
                    0.0
                }
            }
            // Cases are counted per cycle: booked in the cycle's first month.
            CostPer::Case(s) => {
                let cases = staffed
                    .get(s)
                    .and_then(|u| u.as_ref())
                    .filter(|_| mo.is_multiple_of(cm))
                    .and_then(|u| u.cases.get(mo / cm).copied())
                    .unwrap_or(0.0);
                amt * cases
            }
        };
        out.push(ProgrammeItem {
            service: false,
            index: k,
            payer: pix(co.payer),
            per_cycle: per_cycle(co.from_month, co.to_month, &cost),
        });
    }
    out
}

/// Programme costs of an arm (services' staff and other costs) per cycle, by payer index
/// (Payer::ALL order), in DKK: the sum of its [`programme_items`].
pub fn programme_costs(
    sc: &Scenario,
    values: &[f64],
    arm: usize,
    lay: &Layout,
    staffed: &[Option<ServiceUse>],
) -> Vec<[f64; 6]> {
    let mut out = vec![[0.0f64; 6]; lay.horizon];
    for item in programme_items(sc, values, arm, lay, staffed) {
        for (row, v) in out.iter_mut().zip(&item.per_cycle) {
            row[item.payer] += v;
        }
    }
    out
}
