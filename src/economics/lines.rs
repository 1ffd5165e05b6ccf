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

use super::business_case::{PERSPECTIVES, SOCIETY, add_to, payers_of};
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

/// One arm's amounts in one replication, per line, payer and cycle. Only the (line, payer)
/// rows something is booked on are stored (most lines have one or two payers).
#[derive(Debug, Clone)]
pub struct LineLedger {
    n_lines: usize,
    horizon: usize,
    /// Per (line, payer): the row of `v` and `vd` holding its cycles, None while nothing is
    /// booked on it (all zero).
    row: Vec<Option<usize>>,
    /// Rows stored.
    n_rows: usize,
    /// Amount per (row, cycle).
    v: Vec<f64>,
    /// Discounted amount per (row, cycle).
    vd: Vec<f64>,
}

impl LineLedger {
    /// All zero.
    pub fn new(n_lines: usize, horizon: usize) -> LineLedger {
        LineLedger {
            n_lines,
            horizon,
            row: vec![None; n_lines * 6],
            n_rows: 0,
            // Room for two rows per line (a line is booked on its payer, and the state's
            // reimbursed part on the state), so that the rows are seldom moved as they are made.
            v: Vec::with_capacity(2 * n_lines * horizon),
            vd: Vec::with_capacity(2 * n_lines * horizon),
        }
    }

    /// The row of (`line`, `payer`), made (all zero) if it is not yet.
    fn row_of(&mut self, line: usize, payer: usize) -> usize {
        let h = self.horizon;
        match self.row[line * 6 + payer] {
            Some(r) => r,
            None => {
                let r = self.n_rows;
                self.n_rows += 1;
                self.v.resize((r + 1) * h, 0.0);
                self.vd.resize((r + 1) * h, 0.0);
                self.row[line * 6 + payer] = Some(r);
                r
            }
        }
    }

    /// Book `v` (discounted `vd`) on `line`, payer index `payer`, cycle `m`: the one-cycle
    /// reference the tests hold [`LineLedger::add_series`] to.
    #[cfg(test)]
    pub fn add(&mut self, line: usize, payer: usize, m: usize, v: f64, vd: f64) {
        let (h, r) = (self.horizon, self.row_of(line, payer));
        self.v[r * h + m] += v;
        self.vd[r * h + m] += vd;
    }

    /// Book the series `v` (discounted `vd`), one amount per cycle, on `line`, payer index
    /// `payer`: what `LineLedger::add` (the tests' reference) of each cycle in turn gives.
    /// With `nonzero`, only the cycles whose amount is not 0 would be booked, so a series of
    /// zeros books nothing (no row); the zeros of a series that is booked change no cell (a
    /// cell starts at +0.0 and only ever adds, so it is never −0.0, and x + ±0.0 = x for every
    /// other x).
    pub fn add_series(&mut self, line: usize, payer: usize, v: &[f64], vd: &[f64], nonzero: bool) {
        if nonzero && v.iter().all(|&x| x == 0.0) {
            return;
        }
        let (h, r) = (self.horizon, self.row_of(line, payer));
        add_to(&mut self.v[r * h..(r + 1) * h], v);
        add_to(&mut self.vd[r * h..(r + 1) * h], vd);
    }

    /// The amounts and discounted amounts of (`line`, `payer`) per cycle, None where nothing
    /// is booked (all zero).
    fn cycles(&self, line: usize, payer: usize) -> Option<(&[f64], &[f64])> {
        let r = self.row[line * 6 + payer]?;
        let cells = r * self.horizon..(r + 1) * self.horizon;
        Some((&self.v[cells.clone()], &self.vd[cells]))
    }

    /// Number of lines.
    pub fn n_lines(&self) -> usize {
        self.n_lines
    }
}

/// An arm against control in one replication by line, perspective and cycle, as in
/// [`LineComparison`], holding only the (line, perspective) rows that can be non-zero: those
/// with a payer that either ledger books on. Every other row of the comparison is +0.0.
#[derive(Debug, Clone)]
pub struct LineDiff {
    n_lines: usize,
    horizon: usize,
    /// Per (line, perspective): the row of `v` and `vd` holding its cycles, None for a row of
    /// +0.0.
    row: Vec<Option<usize>>,
    /// Amount per (row, cycle).
    v: Vec<f64>,
    /// Discounted amount per (row, cycle).
    vd: Vec<f64>,
}

impl LineDiff {
    /// Compare an arm's lines with control's: the cells [`LineComparison::compare`] gives.
    ///
    /// A payer booked in neither ledger adds sign·(+0 − +0) = ±0 to a cell's sum, which
    /// changes nothing (the sum starts at +0.0 and so is never −0.0), and is skipped.
    pub fn compare(index: &LineIndex, ctrl: &LineLedger, arm: &LineLedger) -> LineDiff {
        let h = ctrl.horizon;
        let n_persp = PERSPECTIVES.len();
        // Which payers each line is booked on in either ledger, and so the rows to hold.
        let booked_on = |l: usize| -> [bool; 6] {
            std::array::from_fn(|p| arm.cycles(l, p).is_some() || ctrl.cycles(l, p).is_some())
        };
        let held = |l: usize, booked: &[bool; 6], k: usize| {
            perspective_payers(index, l, k).iter().any(|&p| booked[p])
        };
        let n_held: usize = (0..ctrl.n_lines)
            .map(|l| (l, booked_on(l)))
            .map(|(l, b)| (0..n_persp).filter(|&k| held(l, &b, k)).count())
            .sum();
        let mut d = LineDiff {
            n_lines: ctrl.n_lines,
            horizon: h,
            row: vec![None; ctrl.n_lines * n_persp],
            v: vec![0.0; n_held * h],
            vd: vec![0.0; n_held * h],
        };
        let zeros = vec![0.0; h];
        // Per payer and cycle: sign·(arm − control) of the line, where `booked[p]`.
        let mut dv = vec![0.0; 6 * h];
        let mut dvd = vec![0.0; 6 * h];
        let mut n_rows = 0;
        for l in 0..ctrl.n_lines {
            let sign = if index.investment[l] { 1.0 } else { -1.0 };
            let booked = booked_on(l);
            for p in (0..6).filter(|&p| booked[p]) {
                let (a, c) = (arm.cycles(l, p), ctrl.cycles(l, p));
                let (av, avd) = a.unwrap_or((&zeros, &zeros));
                let (cv, cvd) = c.unwrap_or((&zeros, &zeros));
                let cells = p * h..(p + 1) * h;
                for (((x, a), c), (xd, (ad, cd))) in dv[cells.clone()]
                    .iter_mut()
                    .zip(av)
                    .zip(cv)
                    .zip(dvd[cells].iter_mut().zip(avd.iter().zip(cvd)))
                {
                    *x = sign * (a - c);
                    *xd = sign * (ad - cd);
                }
            }
            for k in 0..n_persp {
                if !held(l, &booked, k) {
                    continue;
                }
                let payers = perspective_payers(index, l, k);
                let r = n_rows;
                n_rows += 1;
                d.row[l * n_persp + k] = Some(r);
                let cells = r * h..(r + 1) * h;
                for &p in payers.iter().filter(|&&p| booked[p]) {
                    let from = p * h..(p + 1) * h;
                    add_to(&mut d.v[cells.clone()], &dv[from.clone()]);
                    add_to(&mut d.vd[cells.clone()], &dvd[from]);
                }
            }
        }
        d
    }

    /// Discounted total of each line in perspective `k` over the horizon, as
    /// [`LineComparison::discounted_totals`].
    pub fn discounted_totals(&self, k: usize) -> Vec<f64> {
        (0..self.n_lines)
            .map(|l| self.discounted_total(l, k))
            .collect()
    }

    /// [`LineDiff::discounted_totals`] of every perspective in turn (index
    /// `perspective · lines + line`), in a vector of exactly that length: what a replication
    /// keeps for the lines' percentiles.
    pub fn discounted_totals_all(&self) -> Vec<f64> {
        let mut all = Vec::with_capacity(PERSPECTIVES.len() * self.n_lines);
        for k in 0..PERSPECTIVES.len() {
            all.extend((0..self.n_lines).map(|l| self.discounted_total(l, k)));
        }
        all
    }

    /// Discounted total of line `l` in perspective `k` over the horizon.
    fn discounted_total(&self, l: usize, k: usize) -> f64 {
        let h = self.horizon;
        match self.row[l * PERSPECTIVES.len() + k] {
            Some(r) => self.vd[r * h..(r + 1) * h].iter().sum(),
            // A row of +0.0 sums to +0.0 (a horizon has at least one cycle).
            None => 0.0,
        }
    }
}

/// Payer indices perspective `k` sums for line `l`: society every payer unless the line is a
/// transfer (then none).
fn perspective_payers(index: &LineIndex, l: usize, k: usize) -> &'static [usize] {
    if k == SOCIETY {
        if index.transfer[l] {
            &[]
        } else {
            &[0, 1, 2, 3, 4, 5]
        }
    } else {
        payers_of(k)
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
        let mut c = LineComparison::zeros(ctrl.n_lines, ctrl.horizon);
        c.add_diff(&LineDiff::compare(index, ctrl, arm));
        c
    }

    /// Add a one-replication comparison cell by cell; its rows of +0.0 change nothing (a sum
    /// that starts at +0.0 is never −0.0) and are skipped.
    pub fn add_diff(&mut self, d: &LineDiff) {
        let h = self.horizon;
        for (lk, r) in d.row.iter().enumerate() {
            let Some(r) = *r else { continue };
            let o = lk * h;
            add_to(&mut self.v[o..o + h], &d.v[r * h..(r + 1) * h]);
            add_to(&mut self.vd[o..o + h], &d.vd[r * h..(r + 1) * h]);
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
    fn a_series_books_what_its_cycles_book_one_by_one() {
        // Amounts with zeros, a negative zero and values whose sums round, booked onto rows
        // that already hold amounts.
        let v = [0.1, 0.0, -0.0, 1e16, 3.0, 0.0];
        let vd = [0.07, 0.0, -0.0, 1.0, 2.5, 0.0];
        let (mut series, mut cycles) = (LineLedger::new(3, 6), LineLedger::new(3, 6));
        for l in [&mut series, &mut cycles] {
            l.add(0, 2, 3, 1.0, 0.9);
            l.add(0, 2, 0, 0.2, 0.3);
        }
        series.add_series(0, 2, &v, &vd, false);
        series.add_series(1, 4, &v, &vd, true);
        // Nothing that is not 0: no row, as when each cycle's 0 is left out.
        series.add_series(2, 0, &[0.0, -0.0, 0.0, 0.0, 0.0, 0.0], &[0.0; 6], true);
        for (m, (&x, &xd)) in v.iter().zip(&vd).enumerate() {
            cycles.add(0, 2, m, x, xd);
            if x != 0.0 {
                cycles.add(1, 4, m, x, xd);
            }
        }
        for (l, p) in [(0, 2), (1, 4), (2, 0)] {
            let bits = |c: Option<(&[f64], &[f64])>| {
                c.map(|(a, b)| a.iter().chain(b).map(|x| x.to_bits()).collect::<Vec<_>>())
            };
            assert_eq!(
                bits(series.cycles(l, p)),
                bits(cycles.cycles(l, p)),
                "{l} {p}"
            );
        }
        assert!(series.cycles(2, 0).is_none());
        // A series of zeros on a row that is booked anyway changes no cell.
        let before = bits_of(&series);
        series.add_series(0, 2, &[-0.0; 6], &[0.0; 6], false);
        assert_eq!(bits_of(&series), before);
    }

    fn bits_of(l: &LineLedger) -> Vec<u64> {
        l.v.iter().chain(&l.vd).map(|x| x.to_bits()).collect()
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
