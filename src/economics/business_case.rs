//! The business case: who pays, who saves, and when — per perspective.
//!
//! Each arm's bookings are first split into a *ledger* by payer: consequences (benefits, case
//! handling, housing support, health, earnings …) and investment (the programme's staff and
//! costs, and accounts marked `investment`). A refusion account books its municipal share on
//! its payer and the reimbursed share on `state`. An arm is then compared with control:
//!
//! * investment = the arm's investment − control's investment,
//! * gross savings = control's consequences − the arm's consequences,
//! * net = gross savings − investment; NPV the same with discounted amounts.
//!
//! Perspectives sum payers: `municipality` = bif + sof + suf; `public` = municipality + region +
//! state; `society` = every payer including the citizen, leaving out transfers (benefits and
//! taxes move money between the public and the citizen and cancel for society).

use crate::scenario::Payer;

/// Perspective ids in report order.
pub const PERSPECTIVES: [&str; 8] = [
    "bif",
    "sof",
    "suf",
    "municipality",
    "region",
    "state",
    "public",
    "society",
];

/// Index of the society perspective in [`PERSPECTIVES`].
pub const SOCIETY: usize = 7;

/// Payer indices (into [`Payer::ALL`]) a perspective sums; society is handled apart.
pub fn payers_of(perspective: usize) -> &'static [usize] {
    match perspective {
        0 => &[0],
        1 => &[1],
        2 => &[2],
        3 => &[0, 1, 2],
        4 => &[3],
        5 => &[4],
        6 => &[0, 1, 2, 3, 4],
        _ => &[0, 1, 2, 3, 4, 5],
    }
}

/// Index of a payer in [`Payer::ALL`].
pub fn payer_index(p: Payer) -> usize {
    Payer::ALL.iter().position(|&x| x == p).unwrap_or(0)
}

/// One arm's amounts in one replication, by payer and cycle.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Consequences per payer and cycle (DKK).
    pub cons: Vec<Vec<f64>>,
    /// Investment per payer and cycle.
    pub inv: Vec<Vec<f64>>,
    /// Discounted consequences.
    pub cons_d: Vec<Vec<f64>>,
    /// Discounted investment.
    pub inv_d: Vec<Vec<f64>>,
    /// Society: consequences that are not transfers, all payers.
    pub soc_cons: Vec<f64>,
    /// Society: investment that is not a transfer.
    pub soc_inv: Vec<f64>,
    /// Society, discounted.
    pub soc_cons_d: Vec<f64>,
    /// Society, discounted.
    pub soc_inv_d: Vec<f64>,
}

impl Ledger {
    /// An empty ledger for `horizon` cycles.
    pub fn new(horizon: usize) -> Ledger {
        let z = vec![vec![0.0; horizon]; 6];
        Ledger {
            cons: z.clone(),
            inv: z.clone(),
            cons_d: z.clone(),
            inv_d: z,
            soc_cons: vec![0.0; horizon],
            soc_inv: vec![0.0; horizon],
            soc_cons_d: vec![0.0; horizon],
            soc_inv_d: vec![0.0; horizon],
        }
    }

    /// Book the series `v` (discounted `vd`), one amount per cycle, on payer index `p`: what
    /// `Ledger::add` (the tests' reference) of each cycle in turn gives, each cell taking its
    /// amounts in the same order.
    pub fn add_series(
        &mut self,
        investment: bool,
        transfer: bool,
        p: usize,
        v: &[f64],
        vd: &[f64],
    ) {
        let (x, xd, soc, soc_d) = match investment {
            true => (
                &mut self.inv[p],
                &mut self.inv_d[p],
                &mut self.soc_inv,
                &mut self.soc_inv_d,
            ),
            false => (
                &mut self.cons[p],
                &mut self.cons_d[p],
                &mut self.soc_cons,
                &mut self.soc_cons_d,
            ),
        };
        add_to(x, v);
        add_to(xd, vd);
        if !transfer {
            add_to(soc, v);
            add_to(soc_d, vd);
        }
    }

    /// Book `v` (discounted `vd`) in cycle `m` on payer index `p`: the one-cycle reference
    /// the tests hold [`Ledger::add_series`] to.
    #[cfg(test)]
    pub fn add(&mut self, investment: bool, transfer: bool, p: usize, m: usize, v: f64, vd: f64) {
        if investment {
            self.inv[p][m] += v;
            self.inv_d[p][m] += vd;
            if !transfer {
                self.soc_inv[m] += v;
                self.soc_inv_d[m] += vd;
            }
        } else {
            self.cons[p][m] += v;
            self.cons_d[p][m] += vd;
            if !transfer {
                self.soc_cons[m] += v;
                self.soc_cons_d[m] += vd;
            }
        }
    }
}

/// Add `v` to `x` cell by cell.
pub(crate) fn add_to(x: &mut [f64], v: &[f64]) {
    for (a, b) in x.iter_mut().zip(v) {
        *a += b;
    }
}

/// An arm against control in one replication: per perspective and cycle.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Investment per perspective and cycle.
    pub inv: Vec<Vec<f64>>,
    /// Gross savings per perspective and cycle.
    pub sav: Vec<Vec<f64>>,
    /// Discounted investment.
    pub inv_d: Vec<Vec<f64>>,
    /// Discounted gross savings.
    pub sav_d: Vec<Vec<f64>>,
    /// Per payer (Payer::ALL) and cycle: investment.
    pub payer_inv: Vec<Vec<f64>>,
    /// Per payer and cycle: gross savings.
    pub payer_sav: Vec<Vec<f64>>,
}

impl Comparison {
    /// All zero, for `horizon` cycles.
    pub fn zeros(horizon: usize) -> Comparison {
        Comparison {
            inv: vec![vec![0.0; horizon]; 8],
            sav: vec![vec![0.0; horizon]; 8],
            inv_d: vec![vec![0.0; horizon]; 8],
            sav_d: vec![vec![0.0; horizon]; 8],
            payer_inv: vec![vec![0.0; horizon]; 6],
            payer_sav: vec![vec![0.0; horizon]; 6],
        }
    }

    /// Add another comparison cell by cell (summing replications in a fixed order).
    pub fn add(&mut self, other: &Comparison) {
        let pairs = [
            (&mut self.inv, &other.inv),
            (&mut self.sav, &other.sav),
            (&mut self.inv_d, &other.inv_d),
            (&mut self.sav_d, &other.sav_d),
            (&mut self.payer_inv, &other.payer_inv),
            (&mut self.payer_sav, &other.payer_sav),
        ];
        for (acc, add) in pairs {
            for (a, b) in acc.iter_mut().zip(add) {
                add_to(a, b);
            }
        }
    }
}

/// Compare an arm's ledger with control's.
pub fn compare(ctrl: &Ledger, arm: &Ledger) -> Comparison {
    let h = ctrl.soc_cons.len();
    let mut c = Comparison::zeros(h);
    for m in 0..h {
        for p in 0..6 {
            c.payer_inv[p][m] = arm.inv[p][m] - ctrl.inv[p][m];
            c.payer_sav[p][m] = ctrl.cons[p][m] - arm.cons[p][m];
        }
        for (k, _) in PERSPECTIVES.iter().enumerate() {
            if k == SOCIETY {
                c.inv[k][m] = arm.soc_inv[m] - ctrl.soc_inv[m];
                c.sav[k][m] = ctrl.soc_cons[m] - arm.soc_cons[m];
                c.inv_d[k][m] = arm.soc_inv_d[m] - ctrl.soc_inv_d[m];
                c.sav_d[k][m] = ctrl.soc_cons_d[m] - arm.soc_cons_d[m];
                continue;
            }
            for &p in payers_of(k) {
                c.inv[k][m] += arm.inv[p][m] - ctrl.inv[p][m];
                c.sav[k][m] += ctrl.cons[p][m] - arm.cons[p][m];
                c.inv_d[k][m] += arm.inv_d[p][m] - ctrl.inv_d[p][m];
                c.sav_d[k][m] += ctrl.cons_d[p][m] - arm.cons_d[p][m];
            }
        }
    }
    c
}

/// The headline numbers of one perspective in one replication.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Headline {
    /// Investment over the horizon.
    pub investment: f64,
    /// Gross savings over the horizon.
    pub savings: f64,
    /// Net = savings − investment.
    pub net: f64,
    /// Net present value.
    pub npv: f64,
    /// Discounted investment.
    pub investment_d: f64,
    /// Discounted savings.
    pub savings_d: f64,
}

impl Headline {
    /// Savings per krone invested (discounted); None without investment.
    pub fn roi(&self) -> Option<f64> {
        (self.investment_d.abs() > 1e-9).then(|| self.savings_d / self.investment_d)
    }
}

/// Headlines of every perspective.
pub fn headlines(c: &Comparison) -> [Headline; 8] {
    let mut out = [Headline::default(); 8];
    for (k, h) in out.iter_mut().enumerate() {
        h.investment = c.inv[k].iter().sum();
        h.savings = c.sav[k].iter().sum();
        h.net = h.savings - h.investment;
        h.investment_d = c.inv_d[k].iter().sum();
        h.savings_d = c.sav_d[k].iter().sum();
        h.npv = h.savings_d - h.investment_d;
    }
    out
}

/// The one definition of "above zero" used everywhere a result is called positive: P(NPV > 0)
/// counts the replications whose NPV is above zero, payback is reached when the cumulative
/// discounted net stays above zero, and the break-even effect is where the mean NPV turns
/// above zero. Above zero means strictly greater than 0 kr., with no tolerance: a payer that
/// neither pays nor saves (NPV exactly 0) is not counted as paying off.
#[inline]
pub fn above_zero(x: f64) -> bool {
    x > 0.0
}

/// The effect scales on which the break-even effect is searched (`analysis::break_even` runs
/// them; the report says "not reached" beyond the last): steps of 0.25 up to 2, then 3, 4, 6
/// and 8.
pub const BREAK_EVEN_GRID: [f64; 13] = [
    0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 3.0, 4.0, 6.0, 8.0,
];

/// Whether a perspective's NPV per replication shows an effect: its mean lies more than
/// [`DETECTABLE_MCSE`] Monte Carlo standard errors from zero. A perspective the programme does
/// not touch shows only noise, and is reported as "no detectable effect", with no payback and
/// no break-even. With one replication the error is unknown: true.
pub fn detectable(npv: &[f64]) -> bool {
    let n = npv.len();
    if n < 2 {
        return true;
    }
    let mean = npv.iter().sum::<f64>() / n as f64;
    let var = npv.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let mcse = (var / n as f64).sqrt();
    mean.abs() > DETECTABLE_MCSE * mcse
}

/// How many Monte Carlo standard errors from zero a mean NPV must lie to count as an effect.
pub const DETECTABLE_MCSE: f64 = 2.0;

/// Payback: the first month (1-based, the end of the cycle) from which the cumulative
/// discounted net stays [`above_zero`] to the horizon, given the net per cycle; None when it
/// never does — in particular for every payer that ends the horizon at a loss, whatever its
/// cumulative net was earlier.
pub fn payback_month(net_d: &[f64], cycle_months: u32) -> Option<u32> {
    let mut cum = 0.0;
    let mut from = None;
    for (m, v) in net_d.iter().enumerate() {
        cum += v;
        if above_zero(cum) {
            from.get_or_insert(m);
        } else {
            from = None;
        }
    }
    from.map(|m| (m as u32 + 1) * cycle_months)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_books_what_its_cycles_book_one_by_one() {
        let v = [0.1, 0.0, -0.0, 1e16, 3.0];
        let vd = [0.07, 0.0, -0.0, 1.0, 2.5];
        let (mut series, mut cycles) = (Ledger::new(5), Ledger::new(5));
        for (inv, transfer, p) in [(false, false, 0), (true, false, 3), (false, true, 3)] {
            for l in [&mut series, &mut cycles] {
                l.add(inv, transfer, p, 3, 1.0, 0.9);
            }
            series.add_series(inv, transfer, p, &v, &vd);
            for (m, (&x, &xd)) in v.iter().zip(&vd).enumerate() {
                cycles.add(inv, transfer, p, m, x, xd);
            }
        }
        let bits = |l: &Ledger| -> Vec<u64> {
            let rows = l.cons.iter().chain(&l.inv).chain(&l.cons_d).chain(&l.inv_d);
            let soc = [&l.soc_cons, &l.soc_inv, &l.soc_cons_d, &l.soc_inv_d];
            rows.chain(soc).flatten().map(|x| x.to_bits()).collect()
        };
        assert_eq!(bits(&series), bits(&cycles));
    }

    #[test]
    fn payback_on_a_constructed_stream() {
        // −100 in month 1, then +30 a month: cumulative −100, −70, −40, −10, +20 → month 5.
        assert_eq!(payback_month(&[-100.0, 30.0, 30.0, 30.0, 30.0], 1), Some(5));
        assert_eq!(
            payback_month(&[-100.0, 30.0, 30.0, 30.0, 30.0], 12),
            Some(60)
        );
        assert_eq!(payback_month(&[-100.0, 10.0, 10.0], 1), None);
        // Exactly zero is not above zero: paid back only once the cumulative net is positive.
        assert_eq!(payback_month(&[-50.0, 50.0], 1), None);
        assert_eq!(payback_month(&[-50.0, 50.0, 1.0], 1), Some(3));
    }

    #[test]
    fn no_payback_for_a_loss_even_if_the_net_was_once_zero_or_positive() {
        // Nothing happens in the first year, then a large loss: never paid back (the first
        // version called this month 12).
        let mut net = vec![0.0; 12];
        net.extend([-6.6e9, 1.0e6, 1.0e6]);
        assert_eq!(payback_month(&net, 1), None);
        // Above zero early, below at the horizon: no payback either.
        assert_eq!(payback_month(&[10.0, -5.0, -20.0], 1), None);
        // Dips below zero and recovers for good: payback where it stays above.
        assert_eq!(payback_month(&[10.0, -20.0, 5.0, 10.0, 1.0], 1), Some(4));
        // A payer that never pays nor saves has no payback.
        assert_eq!(payback_month(&[0.0, 0.0], 1), None);
    }

    #[test]
    fn perspectives_sum_their_payers() {
        let mut ctrl = Ledger::new(2);
        let mut arm = Ledger::new(2);
        for p in 0..6 {
            ctrl.add(false, false, p, 0, 100.0 * (p + 1) as f64, 90.0);
            arm.add(false, p == 0, p, 0, 60.0 * (p + 1) as f64, 50.0);
            arm.add(true, false, p, 1, 10.0, 9.0);
        }
        let c = compare(&ctrl, &arm);
        let h = headlines(&c);
        // bif saves 40, sof 80, suf 120 → municipality 240; + region 160 + state 200 = 600.
        assert_eq!(h[0].savings, 40.0);
        assert_eq!(h[3].savings, h[0].savings + h[1].savings + h[2].savings);
        assert_eq!(h[6].savings, h[3].savings + h[4].savings + h[5].savings);
        assert_eq!(h[6].investment, 50.0);
        // Society leaves out the arm's transfer on bif (60) but keeps control's non-transfer
        // amounts: control 2100 − arm (1260 − 60) = 900; investment 60 over six payers.
        assert_eq!(h[SOCIETY].savings, 900.0);
        assert_eq!(h[SOCIETY].investment, 60.0);
        assert_eq!(h[0].net, 40.0 - 10.0);
        assert_eq!(h[0].roi(), Some(40.0 / 9.0));
    }
}
