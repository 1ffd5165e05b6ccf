//! The answer explained: the verdict in words, the lines of one perspective, the bridge from
//! investment to NPV and the table of lines by payer — computed once from a run's results and
//! read by the terminal summary, report.html, attachment.pdf and the bridge chart. The Danish
//! and English sentences of the verdict are written here, side by side, and only from the
//! figures computed here, so no sentence claims more than the run shows.

use super::format::{Lang, dkk, mio, num, pct};
use crate::economics::business_case::{PERSPECTIVES, above_zero, payback_month};
use crate::economics::lines::LineKind;
use crate::montecarlo::Results;
use crate::scenario::{Payer, Scenario};
use crate::stats::Stat;

/// Perspective index of the municipality, the default for the verdict and the bridge.
pub const MUNICIPALITY: usize = 3;

/// One business-case line in the explained perspective.
#[derive(Debug, Clone)]
pub struct LineRow {
    /// Line id.
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// Investment or saving.
    pub kind: LineKind,
    /// Discounted mean in the explained perspective (positive where it costs or saves).
    pub discounted: f64,
    /// Discounted mean per payer (Payer::ALL order), same sign convention.
    pub by_payer: [f64; 6],
}

impl LineRow {
    /// Label in `lang`.
    pub fn label(&self, lang: Lang) -> &str {
        if lang == Lang::Da {
            &self.label_da
        } else {
            &self.label_en
        }
    }

    /// Contribution to the NPV: + for a saving, − for an investment.
    pub fn signed(&self, v: f64) -> f64 {
        match self.kind {
            LineKind::Investment => -v,
            LineKind::Saving => v,
        }
    }
}

/// The figures behind the verdict, for one perspective of the focus arm against control.
#[derive(Debug, Clone)]
pub struct Explained {
    /// Perspective index (into [`PERSPECTIVES`]).
    pub perspective: usize,
    /// The compared arm's label (Danish, English).
    pub arm_label: (String, String),
    /// Citizens per replication.
    pub citizens: usize,
    /// Mean participants of the compared arm.
    pub participants: f64,
    /// Mean participant-years: months participants spend in the course states, over 12.
    pub participant_years: f64,
    /// Mean over replications of investment ÷ participants (as summary.json's
    /// `cost_per_participant_dkk`); None without participants.
    pub cost_per_participant: Option<f64>,
    /// Mean over replications of investment ÷ participant-years (`cost_per_participant_year_dkk`).
    pub cost_per_participant_year: Option<f64>,
    /// Investment over the horizon (mean, undiscounted).
    pub investment: f64,
    /// Discounted investment (mean).
    pub investment_d: f64,
    /// Gross savings (mean, undiscounted).
    pub savings: f64,
    /// Discounted gross savings (mean).
    pub savings_d: f64,
    /// NPV over replications.
    pub npv: Stat,
    /// Share of replications with NPV above zero.
    pub p_positive: f64,
    /// Payback month of the mean cumulative discounted net.
    pub payback_month: Option<u32>,
    /// The mean NPV lies more than 2 Monte Carlo standard errors from zero; otherwise the
    /// perspective has "no detectable effect" and neither payback nor break-even.
    pub detectable: bool,
    /// Break-even effect scale: None when not searched, Some(None) when not reached.
    pub break_even: Option<Option<f64>>,
    /// Largest effect scale the break-even search tries.
    pub break_even_max: f64,
    /// The lines of the perspective, largest first within each kind (investments first).
    pub lines: Vec<LineRow>,
    /// Horizon in months and the start (`YYYY-MM`).
    pub horizon_months: u32,
    /// The first calendar year.
    pub start_year: i32,
    /// Start month (1–12).
    pub start_month: u32,
    /// Replications.
    pub replications: usize,
    /// Net (savings − investment, undiscounted, mean) per budget year and payer
    /// (Payer::ALL order).
    pub payer_years: Vec<(i32, [f64; 6])>,
}

/// What the result says, by P(NPV > 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// P(NPV > 0) ≥ 90 %.
    PaysOff,
    /// 10 % < P(NPV > 0) < 90 %.
    Uncertain,
    /// P(NPV > 0) ≤ 10 %.
    DoesNotPay,
}

impl Explained {
    /// Explain perspective `k` of the focus arm of a run.
    pub fn new(
        sc: &Scenario,
        res: &Results,
        break_even: Option<&[Option<f64>; 8]>,
        k: usize,
    ) -> Explained {
        let arm = Results::focus_arm(sc);
        let n = res.replications().max(1) as f64;
        let col = |f: fn(&crate::economics::business_case::Headline) -> f64| -> Vec<f64> {
            res.reps.iter().map(|r| f(&r.headlines[arm][k])).collect()
        };
        let mean = |v: Vec<f64>| v.iter().sum::<f64>() / n;
        let npv_v = col(|h| h.npv);
        let detect = crate::economics::business_case::detectable(&npv_v);
        let p_positive = npv_v.iter().filter(|v| above_zero(**v)).count() as f64 / n;
        let participants = res
            .reps
            .iter()
            .map(|r| r.participants.get(arm).copied().unwrap_or(0) as f64)
            .sum::<f64>()
            / n;
        let participant_years = res
            .reps
            .iter()
            .map(|r| r.participant_years.get(arm).copied().unwrap_or(0.0))
            .sum::<f64>()
            / n;
        let per = |per_year: bool| -> Option<f64> {
            let v = super::summary::cost_per_participant(res, arm, k, per_year);
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        };
        let cost_per_participant = per(false);
        let cost_per_participant_year = per(true);
        let mut lines = Vec::new();
        if let Some(c) = &res.line_sums[arm] {
            let persp = c.discounted_totals(k);
            let per_payer: Vec<Vec<f64>> = [0usize, 1, 2, 4, 5]
                .iter()
                .map(|&p| c.discounted_totals(p))
                .collect();
            for (l, def) in res.lines.iter().enumerate() {
                let mut by_payer = [0.0; 6];
                for (slot, p) in [0usize, 1, 2, 3, 4].into_iter().enumerate() {
                    by_payer[p] = per_payer[slot][l] / n;
                }
                let v = persp[l] / n;
                if v == 0.0 && by_payer.iter().all(|x| *x == 0.0) {
                    continue;
                }
                lines.push(LineRow {
                    id: def.id.clone(),
                    label_da: def.label_da.clone(),
                    label_en: def.label_en.clone(),
                    kind: def.kind,
                    discounted: v,
                    by_payer,
                });
            }
        }
        lines.sort_by(|a, b| {
            (a.kind != LineKind::Investment)
                .cmp(&(b.kind != LineKind::Investment))
                .then(b.discounted.abs().total_cmp(&a.discounted.abs()))
        });
        Explained {
            perspective: k,
            arm_label: (sc.arms[arm].label_da.clone(), sc.arms[arm].label_en.clone()),
            citizens: res.citizens,
            participants,
            participant_years,
            cost_per_participant,
            cost_per_participant_year,
            investment: mean(col(|h| h.investment)),
            investment_d: mean(col(|h| h.investment_d)),
            savings: mean(col(|h| h.savings)),
            savings_d: mean(col(|h| h.savings_d)),
            npv: Stat::of(&npv_v),
            p_positive,
            payback_month: payback_month(
                &super::summary::mean_net_discounted(res, arm, k),
                sc.sim.cycle_months,
            )
            .filter(|_| detect),
            break_even: break_even.map(|b| b[k].filter(|_| detect)),
            detectable: detect,
            break_even_max: crate::economics::business_case::BREAK_EVEN_GRID
                .last()
                .copied()
                .unwrap_or(1.0),
            lines,
            horizon_months: sc.sim.horizon_months(),
            start_year: sc.sim.start_year,
            start_month: sc.sim.start_month,
            replications: res.replications(),
            payer_years: match &res.comparison_sums[arm] {
                Some(c) => super::csv::years(sc, res.layout.horizon)
                    .into_iter()
                    .map(|(y, cycles)| {
                        let mut row = [0.0; 6];
                        for (p, x) in row.iter_mut().enumerate() {
                            *x = cycles
                                .iter()
                                .map(|&m| c.payer_sav[p][m] - c.payer_inv[p][m])
                                .sum::<f64>()
                                / n;
                        }
                        (y, row)
                    })
                    .collect(),
                None => vec![],
            },
        }
    }

    /// The verdict the figures support.
    pub fn verdict(&self) -> Verdict {
        if self.p_positive >= 0.9 {
            Verdict::PaysOff
        } else if self.p_positive <= 0.1 {
            Verdict::DoesNotPay
        } else {
            Verdict::Uncertain
        }
    }

    /// The largest line of a kind in the perspective (by discounted mean), if any is positive.
    pub fn largest(&self, kind: LineKind) -> Option<&LineRow> {
        self.lines
            .iter()
            .filter(|l| l.kind == kind && l.discounted > 0.0)
            .max_by(|a, b| a.discounted.total_cmp(&b.discounted))
    }

    /// `YYYY-MM` of the end of month `m` (1-based from the start).
    fn month_text(&self, m: u32) -> String {
        let idx = self.start_month - 1 + m - 1;
        format!(
            "{:04}-{:02}",
            self.start_year + (idx / 12) as i32,
            idx % 12 + 1
        )
    }

    /// The verdict as sentences, built only from the figures above.
    pub fn sentences(&self, lang: Lang) -> Vec<String> {
        let da = lang == Lang::Da;
        let who = perspective_noun(self.perspective, lang);
        let arm = if da {
            &self.arm_label.0
        } else {
            &self.arm_label.1
        };
        let mut s = Vec::new();
        let part = num(self.participants, 0, lang);
        s.push(if da {
            format!(
                "{part} af {} borgere deltager i indsatsen ({arm}); resultaterne følger dem i {} måneder og er gennemsnit over {} replikationer.",
                num(self.citizens as f64, 0, lang),
                self.horizon_months,
                self.replications
            )
        } else {
            format!(
                "{part} of {} citizens take part in the programme ({arm}); the results follow them for {} months and are means over {} replications.",
                num(self.citizens as f64, 0, lang),
                self.horizon_months,
                self.replications
            )
        });
        let mut cost = if da {
            format!(
                "Indsatsen koster {who} {} i alt ({} diskonteret)",
                mio(self.investment, lang),
                mio(self.investment_d, lang)
            )
        } else {
            format!(
                "The programme costs {who} {} in total ({} discounted)",
                mio(self.investment, lang),
                mio(self.investment_d, lang)
            )
        };
        if let Some(p) = self.cost_per_participant {
            cost.push_str(&if da {
                format!(", {} pr. deltager", dkk(round_k(p), lang))
            } else {
                format!(", {} per participant", dkk(round_k(p), lang))
            });
        }
        if let Some(v) = self.cost_per_participant_year {
            cost.push_str(&if da {
                format!(
                    " og {} pr. deltagerår ({} deltagerår i ressourceforløbet)",
                    dkk(round_k(v), lang),
                    num(self.participant_years, 0, lang)
                )
            } else {
                format!(
                    " and {} per participant-year ({} participant-years in the course)",
                    dkk(round_k(v), lang),
                    num(self.participant_years, 0, lang)
                )
            });
        }
        cost.push('.');
        s.push(cost);
        s.push(if da {
            format!(
                "Den sparer {who} {} ({} diskonteret), så nutidsværdien er {} (95 %-interval {} til {}).",
                mio(self.savings, lang),
                mio(self.savings_d, lang),
                mio(self.npv.mean, lang),
                mio(self.npv.p025, lang),
                mio(self.npv.p975, lang)
            )
        } else {
            format!(
                "It saves {who} {} ({} discounted), so the net present value is {} (95 % interval {} to {}).",
                mio(self.savings, lang),
                mio(self.savings_d, lang),
                mio(self.npv.mean, lang),
                mio(self.npv.p025, lang),
                mio(self.npv.p975, lang)
            )
        });
        let p = pct(self.p_positive, lang);
        let payback = self.payback_month.map(|m| (m, self.month_text(m)));
        if !self.detectable {
            s.push(if da {
                format!(
                    "Ingen påviselig effekt for {who}: nutidsværdiens gennemsnit ligger inden for 2 Monte Carlo-standardfejl af nul, så den kan ikke skelnes fra tilfældig variation; der er hverken tilbagebetaling eller break-even."
                )
            } else {
                format!(
                    "No detectable effect for {who}: the mean net present value lies within 2 Monte Carlo standard errors of zero, so it cannot be told apart from random variation; there is neither payback nor break-even."
                )
            });
            return s;
        }
        s.push(match (self.verdict(), da) {
            (Verdict::PaysOff, true) => format!(
                "Indsatsen betaler sig for {who}: nutidsværdien er positiv i {p} af replikationerne."
            ),
            (Verdict::PaysOff, false) => format!(
                "The programme pays off for {who}: the net present value is positive in {p} of the replications."
            ),
            (Verdict::Uncertain, true) => format!(
                "Det er usikkert, om indsatsen betaler sig for {who}: nutidsværdien er positiv i {p} af replikationerne."
            ),
            (Verdict::Uncertain, false) => format!(
                "Whether the programme pays off for {who} is uncertain: the net present value is positive in {p} of the replications."
            ),
            (Verdict::DoesNotPay, true) if self.p_positive == 0.0 => format!(
                "Indsatsen betaler sig ikke for {who}: nutidsværdien er negativ i alle replikationer."
            ),
            (Verdict::DoesNotPay, false) if self.p_positive == 0.0 => format!(
                "The programme does not pay off for {who}: the net present value is negative in every replication."
            ),
            (Verdict::DoesNotPay, true) => format!(
                "Indsatsen betaler sig ikke for {who}: nutidsværdien er positiv i kun {p} af replikationerne."
            ),
            (Verdict::DoesNotPay, false) => format!(
                "The programme does not pay off for {who}: the net present value is positive in only {p} of the replications."
            ),
        });
        s.push(match (payback, da) {
            (Some((m, d)), true) => format!(
                "Den gennemsnitlige akkumulerede diskonterede netto er over nul fra udgangen af måned {} ({d}) og bliver der til horisonten.",
                m.saturating_sub(1)
            ),
            (Some((m, d)), false) => format!(
                "The mean cumulative discounted net is above zero from the end of month {} ({d}) and stays there to the horizon.",
                m.saturating_sub(1)
            ),
            (None, true) => format!(
                "Den tilbagebetales ikke inden for horisonten på {} måneder.",
                self.horizon_months
            ),
            (None, false) => format!(
                "It does not pay back within the horizon of {} months.",
                self.horizon_months
            ),
        });
        match (self.break_even, da) {
            (Some(Some(x)), true) => s.push(format!(
                "Nutidsværdien når over nul, når virkningerne skaleres med {} (1 = som antaget; 0 = ingen virkning).",
                num(x, 2, lang)
            )),
            (Some(Some(x)), false) => s.push(format!(
                "The net present value turns above zero when the effects are scaled by {} (1 = as assumed; 0 = no effect).",
                num(x, 2, lang)
            )),
            (Some(None), true) => s.push(format!(
                "Selv med virkningerne skaleret med {} (1 = som antaget) er nutidsværdien ikke over nul.",
                num(self.break_even_max, 0, lang)
            )),
            (Some(None), false) => s.push(format!(
                "Even with the effects scaled by {} (1 = as assumed) the net present value is not above zero.",
                num(self.break_even_max, 0, lang)
            )),
            (None, true) => {
                s.push("Break-even-virkningen er ikke beregnet i denne kørsel (--no-break-even).".into())
            }
            (None, false) => s.push(
                "The break-even effect was not computed in this run (--no-break-even).".into(),
            ),
        }
        let inv = self.largest(LineKind::Investment);
        let sav = self.largest(LineKind::Saving);
        if inv.is_some() || sav.is_some() {
            let part = |l: &LineRow| format!("{}, {}", l.label(lang), mio(l.discounted, lang));
            s.push(match (inv, sav, da) {
                (Some(i), Some(v), true) => format!(
                    "Største udgiftspost (diskonteret): {}; største besparelse: {}.",
                    part(i),
                    part(v)
                ),
                (Some(i), Some(v), false) => format!(
                    "Largest cost line (discounted): {}; largest saving line: {}.",
                    part(i),
                    part(v)
                ),
                (Some(i), None, true) => {
                    format!(
                        "Største udgiftspost (diskonteret): {}; ingen post sparer.",
                        part(i)
                    )
                }
                (Some(i), None, false) => {
                    format!(
                        "Largest cost line (discounted): {}; no line saves.",
                        part(i)
                    )
                }
                (None, Some(v), true) => format!("Største besparelse (diskonteret): {}.", part(v)),
                (None, Some(v), false) => format!("Largest saving line (discounted): {}.", part(v)),
                (None, None, _) => String::new(),
            });
        }
        // An amount ending in "kr." closes the sentence by itself.
        s.into_iter()
            .filter(|x| !x.is_empty())
            .map(|x| x.replace("kr..", "kr."))
            .collect()
    }

    /// The bridge: (label, start, end) per step — investment lines down from zero, saving
    /// lines up, and a last step from zero to the NPV. At most `max_each` lines of a kind are
    /// shown; the rest of the kind is one step "other".
    pub fn bridge_steps(&self, lang: Lang, max_each: usize) -> Vec<(String, f64, f64)> {
        let mut out = Vec::new();
        let mut level = 0.0;
        for kind in [LineKind::Investment, LineKind::Saving] {
            let of: Vec<&LineRow> = self.lines.iter().filter(|l| l.kind == kind).collect();
            let mut shown: Vec<(String, f64)> = of
                .iter()
                .take(max_each)
                .map(|l| (l.label(lang).to_string(), l.signed(l.discounted)))
                .collect();
            let rest: f64 = of
                .iter()
                .skip(max_each)
                .map(|l| l.signed(l.discounted))
                .sum();
            if of.len() > max_each {
                shown.push((
                    match (kind, lang) {
                        (LineKind::Investment, Lang::Da) => "Øvrige udgiftsposter".into(),
                        (LineKind::Investment, Lang::En) => "Other cost lines".into(),
                        (LineKind::Saving, Lang::Da) => "Øvrige besparelser".into(),
                        (LineKind::Saving, Lang::En) => "Other saving lines".into(),
                    },
                    rest,
                ));
            }
            for (label, v) in shown {
                out.push((label, level, level + v));
                level += v;
            }
        }
        out.push((
            if lang == Lang::Da {
                "Nutidsværdi".into()
            } else {
                "Net present value".into()
            },
            0.0,
            level,
        ));
        out
    }
}

/// Round to the nearest thousand kroner (amounts per participant are not known to the krone).
fn round_k(v: f64) -> f64 {
    (v / 1000.0).round() * 1000.0
}

/// The perspective as the object of a sentence: "kommunen" / "the municipality".
pub fn perspective_noun(k: usize, lang: Lang) -> String {
    let da = lang == Lang::Da;
    match PERSPECTIVES.get(k).copied().unwrap_or("") {
        "bif" => if da { "BIF" } else { "BIF (employment)" }.into(),
        "sof" => if da { "SOF" } else { "SOF (social services)" }.into(),
        "suf" => if da { "SUF" } else { "SUF (health)" }.into(),
        "municipality" => if da { "kommunen" } else { "the municipality" }.into(),
        "region" => if da { "regionen" } else { "the region" }.into(),
        "state" => if da { "staten" } else { "the state" }.into(),
        "public" => if da {
            "den offentlige sektor"
        } else {
            "the public sector"
        }
        .into(),
        "society" => if da { "samfundet" } else { "society" }.into(),
        other => other.into(),
    }
}

/// Payers in the lines-by-payer table: (Payer::ALL index, payer).
pub fn table_payers() -> [(usize, Payer); 5] {
    [
        (0, Payer::Bif),
        (1, Payer::Sof),
        (2, Payer::Suf),
        (3, Payer::Region),
        (4, Payer::State),
    ]
}
