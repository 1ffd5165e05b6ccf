//! Lines: where the money goes and where it comes from.
//!
//! Every amount of the business case belongs to one *line*: each staffed service (its wage
//! cost), each programme cost (premises, start-up, research, a released caseload as a negative
//! amount) and each account (benefits after refusion, case handling, housing support, health
//! use, tax …). A line has a kind:
//!
//! * `investment` — a cost of the programme: the compared arm's amount minus control's;
//! * `saving` — a consequence: control's amount minus the compared arm's.
//!
//! Both are positive where they cost or save, so for every perspective
//! NPV = Σ discounted saving lines − Σ discounted investment lines, and the same for the
//! undiscounted investment, gross savings and net. A line's amount in a perspective sums the
//! payers of the perspective (a refusion account's reimbursed share is booked on `state`);
//! society leaves out transfers, as the business case does.

use super::business_case::{PERSPECTIVES, SOCIETY, payers_of};
use crate::scenario::{Payer, Scenario};

/// Whether a line is a cost of the programme or a consequence it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A cost of the programme (arm − control).
    Investment,
    /// A consequence (control − arm).
    Saving,
}

impl LineKind {
    /// The id used in files: `investment` or `saving`.
    pub fn id(self) -> &'static str {
        match self {
            LineKind::Investment => "investment",
            LineKind::Saving => "saving",
        }
    }
}

/// Where a line's amounts come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineSource {
    /// A staffed service (id), in whichever arms offer it.
    Service(String),
    /// A programme cost (id), in whichever arms have it.
    Cost(String),
    /// The account with this index.
    Account(usize),
}

/// One line of the business case.
#[derive(Debug, Clone)]
pub struct LineDef {
    /// Id used in files (unique in the scenario).
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// Investment or saving.
    pub kind: LineKind,
    /// The payer that books it (a refusion account's reimbursed share goes to `state`).
    pub payer: Payer,
    /// Left out of the society perspective (benefits, taxes: money moved, not used).
    pub transfer: bool,
    /// Where its amounts come from.
    pub source: LineSource,
}

impl LineDef {
    /// The label in the given language (`true` = Danish).
    pub fn label(&self, danish: bool) -> &str {
        if danish {
            &self.label_da
        } else {
            &self.label_en
        }
    }
}

/// Every line of a scenario, in a fixed order: services, programme costs, investment accounts,
/// then the consequence accounts in file order. Only accounts in DKK are lines.
pub fn line_defs(sc: &Scenario) -> Vec<LineDef> {
    let mut out: Vec<LineDef> = Vec::new();
    let mut push = |mut d: LineDef, prefix: &str| {
        if out.iter().any(|o| o.id == d.id) {
            d.id = format!("{prefix}.{}", d.id);
        }
        if !out.iter().any(|o| o.id == d.id) {
            out.push(d);
        }
    };
    for arm in &sc.arms {
        for sv in &arm.services {
            push(
                LineDef {
                    id: sv.id.clone(),
                    label_da: sv.label_da.clone(),
                    label_en: sv.label_en.clone(),
                    kind: LineKind::Investment,
                    payer: sv.payer,
                    transfer: false,
                    source: LineSource::Service(sv.id.clone()),
                },
                "service",
            );
        }
    }
    for arm in &sc.arms {
        for co in &arm.costs {
            push(
                LineDef {
                    id: co.id.clone(),
                    label_da: co.label_da.clone(),
                    label_en: co.label_en.clone(),
                    kind: LineKind::Investment,
                    payer: co.payer,
                    transfer: false,
                    source: LineSource::Cost(co.id.clone()),
                },
                "cost",
            );
        }
    }
    for investment in [true, false] {
        for (j, acc) in sc.accounts.iter().enumerate() {
            if acc.investment != investment || !acc.in_dkk() {
                continue;
            }
            push(
                LineDef {
                    id: acc.id.clone(),
                    label_da: acc.label_da.clone(),
                    label_en: acc.label_en.clone(),
                    kind: if investment {
                        LineKind::Investment
                    } else {
                        LineKind::Saving
                    },
                    payer: acc.payer,
                    transfer: acc.transfer,
                    source: LineSource::Account(j),
                },
                "account",
            );
        }
    }
    out
}

/// Line index of every account (None for accounts in other units), of every service id and of
/// every programme cost id, for booking.
#[derive(Debug, Clone)]
pub struct LineIndex {
    /// Per account.
    pub account: Vec<Option<usize>>,
    /// Per arm, per service.
    pub service: Vec<Vec<usize>>,
    /// Per arm, per programme cost.
    pub cost: Vec<Vec<usize>>,
    /// Per line: left out of society.
    pub transfer: Vec<bool>,
    /// Per line: investment (true) or saving.
    pub investment: Vec<bool>,
}

impl LineIndex {
    /// The index of a scenario's lines.
    pub fn new(sc: &Scenario, defs: &[LineDef]) -> LineIndex {
        let find = |src: &LineSource| defs.iter().position(|d| &d.source == src).unwrap_or(0);
        LineIndex {
            account: (0..sc.accounts.len())
                .map(|j| defs.iter().position(|d| d.source == LineSource::Account(j)))
                .collect(),
            service: sc
                .arms
                .iter()
                .map(|a| {
                    a.services
                        .iter()
                        .map(|s| find(&LineSource::Service(s.id.clone())))
                        .collect()
                })
                .collect(),
            cost: sc
                .arms
                .iter()
                .map(|a| {
                    a.costs
                        .iter()
                        .map(|c| find(&LineSource::Cost(c.id.clone())))
                        .collect()
                })
                .collect(),
            transfer: defs.iter().map(|d| d.transfer).collect(),
            investment: defs
                .iter()
                .map(|d| d.kind == LineKind::Investment)
                .collect(),
        }
    }
}

/// One arm's amounts in one replication, per line, payer and cycle.
#[derive(Debug, Clone)]
pub struct LineLedger {
    n_lines: usize,
    horizon: usize,
    /// Amount per (line, payer, cycle).
    v: Vec<f64>,
    /// Discounted amount per (line, payer, cycle).
    vd: Vec<f64>,
}

impl LineLedger {
    /// All zero.
    pub fn new(n_lines: usize, horizon: usize) -> LineLedger {
        let n = n_lines * 6 * horizon;
        LineLedger {
            n_lines,
            horizon,
            v: vec![0.0; n],
            vd: vec![0.0; n],
        }
    }

    fn ix(&self, line: usize, payer: usize, m: usize) -> usize {
        (line * 6 + payer) * self.horizon + m
    }

    /// Book `v` (discounted `vd`) on `line`, payer index `payer`, cycle `m`.
    pub fn add(&mut self, line: usize, payer: usize, m: usize, v: f64, vd: f64) {
        let i = self.ix(line, payer, m);
        self.v[i] += v;
        self.vd[i] += vd;
    }

    /// Number of lines.
    pub fn n_lines(&self) -> usize {
        self.n_lines
    }
}

/// An arm against control in one replication (or summed over replications), per line,
/// perspective and cycle, signed so that both kinds are positive where they cost or save.
#[derive(Debug, Clone, PartialEq)]
pub struct LineComparison {
    /// Lines.
    pub n_lines: usize,
    /// Cycles.
    pub horizon: usize,
    /// Amount per (line, perspective, cycle).
    pub v: Vec<f64>,
    /// Discounted amount per (line, perspective, cycle).
    pub vd: Vec<f64>,
}

impl LineComparison {
    /// All zero.
    pub fn zeros(n_lines: usize, horizon: usize) -> LineComparison {
        let n = n_lines * PERSPECTIVES.len() * horizon;
        LineComparison {
            n_lines,
            horizon,
            v: vec![0.0; n],
            vd: vec![0.0; n],
        }
    }

    /// Index of (line, perspective, cycle).
    pub fn ix(&self, line: usize, perspective: usize, m: usize) -> usize {
        (line * PERSPECTIVES.len() + perspective) * self.horizon + m
    }

    /// Compare an arm's lines with control's.
    pub fn compare(index: &LineIndex, ctrl: &LineLedger, arm: &LineLedger) -> LineComparison {
        let h = ctrl.horizon;
        let mut c = LineComparison::zeros(ctrl.n_lines, h);
        for l in 0..ctrl.n_lines {
            let sign = if index.investment[l] { 1.0 } else { -1.0 };
            for k in 0..PERSPECTIVES.len() {
                let payers: &[usize] = if k == SOCIETY {
                    if index.transfer[l] {
                        &[]
                    } else {
                        &[0, 1, 2, 3, 4, 5]
                    }
                } else {
                    payers_of(k)
                };
                for m in 0..h {
                    let (mut v, mut vd) = (0.0, 0.0);
                    for &p in payers {
                        let i = ctrl.ix(l, p, m);
                        v += sign * (arm.v[i] - ctrl.v[i]);
                        vd += sign * (arm.vd[i] - ctrl.vd[i]);
                    }
                    let o = c.ix(l, k, m);
                    c.v[o] = v;
                    c.vd[o] = vd;
                }
            }
        }
        c
    }

    /// Add another comparison cell by cell.
    pub fn add(&mut self, other: &LineComparison) {
        for (x, y) in self.v.iter_mut().zip(&other.v) {
            *x += y;
        }
        for (x, y) in self.vd.iter_mut().zip(&other.vd) {
            *x += y;
        }
    }

    /// Discounted total of each line in perspective `k` over the horizon.
    pub fn discounted_totals(&self, k: usize) -> Vec<f64> {
        (0..self.n_lines)
            .map(|l| {
                let s = self.ix(l, k, 0);
                self.vd[s..s + self.horizon].iter().sum()
            })
            .collect()
    }

    /// Undiscounted total of each line in perspective `k` over the horizon.
    pub fn totals(&self, k: usize) -> Vec<f64> {
        (0..self.n_lines)
            .map(|l| {
                let s = self.ix(l, k, 0);
                self.v[s..s + self.horizon].iter().sum()
            })
            .collect()
    }
}

/// Sum of the lines of one kind, given per-line values.
pub fn sum_kind(index: &LineIndex, values: &[f64], kind: LineKind) -> f64 {
    values
        .iter()
        .enumerate()
        .filter(|(l, _)| index.investment[*l] == (kind == LineKind::Investment))
        .map(|(_, v)| v)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(investment: Vec<bool>, transfer: Vec<bool>) -> LineIndex {
        LineIndex {
            account: vec![],
            service: vec![],
            cost: vec![],
            transfer,
            investment,
        }
    }

    #[test]
    fn lines_are_positive_where_they_cost_or_save() {
        // Line 0: a service (investment) only in the arm; line 1: benefits (saving, transfer).
        let ix = index(vec![true, false], vec![false, true]);
        let mut ctrl = LineLedger::new(2, 1);
        let mut arm = LineLedger::new(2, 1);
        arm.add(0, 1, 0, 100.0, 90.0);
        ctrl.add(1, 0, 0, 50.0, 45.0);
        arm.add(1, 0, 0, 30.0, 27.0);
        let c = LineComparison::compare(&ix, &ctrl, &arm);
        // sof pays the service; bif saves 20 of benefits.
        assert_eq!(c.totals(1), vec![100.0, 0.0]);
        assert_eq!(c.totals(0), vec![0.0, 20.0]);
        assert_eq!(c.discounted_totals(3), vec![90.0, 18.0]);
        // Society leaves out the transfer.
        assert_eq!(c.totals(SOCIETY), vec![100.0, 0.0]);
        let d = c.discounted_totals(3);
        assert_eq!(
            sum_kind(&ix, &d, LineKind::Saving) - sum_kind(&ix, &d, LineKind::Investment),
            18.0 - 90.0
        );
    }
}
