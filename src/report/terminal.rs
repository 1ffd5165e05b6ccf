//! The summary `ressim run` prints on the terminal: outcomes at the horizon per arm, the
//! business case per perspective and the staffing, in the report's language, with columns
//! aligned by display width (long Danish labels do not push the numbers out of line).

use super::format::{Lang, num, pad, pct};
use super::html::payer_name;
use crate::economics::business_case::{
    Headline, PERSPECTIVES, above_zero, detectable, payback_month,
};
use crate::error::Result;
use crate::montecarlo::Results;
use crate::scenario::{COURSE, Scenario};
use crate::stats::Stat;
use std::path::Path;

/// Lines of a table whose first column is left-aligned text and the rest right-aligned, each
/// column as wide as its widest cell, columns two spaces apart.
pub fn table(rows: &[Vec<String>]) -> Vec<String> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| super::format::display_width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(c, s)| pad(s, widths[c], c == 0))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect()
}

/// The lines of the terminal summary.
pub fn summary_lines(sc: &Scenario, res: &Results, dir: &Path, lang: Lang) -> Vec<String> {
    let da = lang == Lang::Da;
    let chain = &sc.chains[COURSE];
    let n = res.replications().max(1) as f64;
    let arm_label = |a: usize| {
        let arm = &sc.arms[a];
        if da {
            arm.label_da.clone()
        } else {
            arm.label_en.clone()
        }
    };
    let mut out = vec![
        String::new(),
        format!(
            "{} ({} {}, {} {})",
            if da { &sc.title_da } else { &sc.title_en },
            res.replications(),
            if da { "replikationer" } else { "replications" },
            sc.sim.horizon_months(),
            if da { "måneder" } else { "months" }
        ),
    ];
    if let Some(ev) = &sc.evidence {
        out.push(format!(
            "{}: {}",
            if da {
                "Evidensvariant"
            } else {
                "Evidence variant"
            },
            ev.level.label(da)
        ));
    }
    let mut rows = vec![
        std::iter::once(
            if da {
                "Status ved horisonten"
            } else {
                "State at the horizon"
            }
            .to_string(),
        )
        .chain((0..sc.arms.len()).map(arm_label))
        .collect::<Vec<_>>(),
    ];
    for (s, st) in chain.states.iter().enumerate() {
        let mut row = vec![if da { &st.label_da } else { &st.label_en }.clone()];
        for a in 0..sc.arms.len() {
            let m: f64 = res.reps.iter().map(|r| r.end_share[a][s]).sum::<f64>() / n;
            row.push(pct(m, lang));
        }
        rows.push(row);
    }
    out.extend(table(&rows));
    out.push(String::new());
    let arm = Results::focus_arm(sc);
    out.push(format!(
        "Business case ({} {} {}; mio. kr., {} {})",
        arm_label(arm),
        if da { "mod" } else { "vs" },
        arm_label(0),
        if da { "prisår" } else { "price year" },
        sc.sim.price_year
    ));
    let mut rows = vec![vec![
        if da { "Perspektiv" } else { "Perspective" }.to_string(),
        if da { "Investering" } else { "Investment" }.to_string(),
        if da { "Besparelse" } else { "Savings" }.to_string(),
        if da {
            "Nutidsværdi (95 %)"
        } else {
            "NPV (95 %)"
        }
        .to_string(),
        "P(NPV>0)".to_string(),
        if da { "Tilbagebet." } else { "Payback" }.to_string(),
    ]];
    let one = res.replications() < 2;
    for (k, id) in PERSPECTIVES.iter().enumerate() {
        let col = |f: fn(&Headline) -> f64| -> Vec<f64> {
            res.reps.iter().map(|r| f(&r.headlines[arm][k])).collect()
        };
        let npv = Stat::of(&col(|h| h.npv));
        let inv = col(|h| h.investment).iter().sum::<f64>() / n;
        let sav = col(|h| h.savings).iter().sum::<f64>() / n;
        let pos = col(|h| h.npv).iter().filter(|v| above_zero(**v)).count() as f64 / n;
        let payback = if detectable(&col(|h| h.npv)) {
            payback_month(
                &super::summary::mean_net_discounted(res, arm, k),
                sc.sim.cycle_months,
            )
            .map(|m| {
                let i = m.saturating_sub(1);
                format!("{i} ({})", sc.sim.month_text(i))
            })
            .unwrap_or_else(|| "–".into())
        } else if da {
            "ingen påviselig effekt".into()
        } else {
            "no detectable effect".into()
        };
        let m = |v: f64| num(v / 1e6, 1, lang);
        rows.push(vec![
            payer_name(id, lang),
            m(inv),
            m(sav),
            // One replication gives no interval.
            if one {
                m(npv.mean)
            } else {
                format!("{} ({} … {})", m(npv.mean), m(npv.p025), m(npv.p975))
            },
            pct(pos, lang),
            payback,
        ]);
    }
    out.extend(table(&rows));
    let staffing = super::summary::staffing_of(sc, res, arm);
    let offered = res
        .reps
        .iter()
        .map(|r| r.participants.get(arm).copied().unwrap_or(0) as f64)
        .sum::<f64>()
        / res.replications().max(1) as f64;
    if arm > 0 {
        out.push(format!(
            "{}: {}",
            if da {
                "Tilbudt indsatsen (borgere)"
            } else {
                "Offered the programme (citizens)"
            },
            num(offered, 0, lang)
        ));
    }
    if let Some(map) = staffing.as_object().filter(|m| !m.is_empty()) {
        let mut rows = Vec::new();
        for (id, v) in map {
            if let Some(u) = v["utilisation_mean"].as_f64() {
                let label = v[if da { "label_da" } else { "label_en" }]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .unwrap_or(id);
                rows.push(vec![
                    format!("  {label}"),
                    format!("{} FTE", num(v["fte"].as_f64().unwrap_or(0.0), 1, lang)),
                    if da { "udnyttelse" } else { "utilisation" }.to_string(),
                    pct(u, lang),
                    if da { "max kø" } else { "max queue" }.to_string(),
                    num(v["max_queue"].as_f64().unwrap_or(0.0), 0, lang),
                    served_text(v, offered, da, lang),
                ]);
            }
        }
        if !rows.is_empty() {
            out.push(String::new());
            out.extend(table(&rows));
        }
    }
    out.push(String::new());
    out.push(results_in(dir, lang));
    out
}

/// "Resultater i: DIR" / "Results in: DIR", the last line of every command that writes a folder.
pub fn results_in(dir: &Path, lang: Lang) -> String {
    format!(
        "{}: {}",
        lang.pick("Resultater i", "Results in"),
        dir.display()
    )
}

/// "betjent 129 af 239 tilbudt, ventetid 6,4 mdr." of one service's staffing block.
fn served_text(v: &serde_json::Value, offered: f64, da: bool, lang: Lang) -> String {
    let served = v["citizens_served"].as_f64().unwrap_or(0.0);
    let wait = v["mean_wait_months_of_served"].as_f64().unwrap_or(0.0);
    if v["share_offered_never_served"].is_null() {
        format!(
            "{} {}, {} {} {}",
            if da { "betjent" } else { "served" },
            num(served, 0, lang),
            if da { "ventetid" } else { "wait" },
            num(wait, 1, lang),
            if da { "mdr." } else { "months" }
        )
    } else {
        format!(
            "{} {} {} {} {}, {} {} {}",
            if da { "betjent" } else { "served" },
            num(served, 0, lang),
            if da { "af" } else { "of" },
            num(offered, 0, lang),
            if da { "tilbudt" } else { "offered" },
            if da { "ventetid" } else { "wait" },
            num(wait, 1, lang),
            if da { "mdr." } else { "months" }
        )
    }
}

/// Print the terminal summary; a closed standard output ends it quietly.
pub fn print_summary(sc: &Scenario, res: &Results, dir: &Path, lang: Lang) -> Result<()> {
    for line in summary_lines(sc, res, dir, lang) {
        crate::outln!("{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_by_display_width_whatever_the_label() {
        let rows = vec![
            vec![
                "Status".to_string(),
                "Kontrol".into(),
                "Rehabiliteringshus".into(),
            ],
            vec![
                "Virksomhedspraktik i ressourceforløbet".to_string(),
                "12,5 %".into(),
                "3,0 %".into(),
            ],
            vec![
                "Førtidspension".to_string(),
                "45,1 %".into(),
                "40,0 %".into(),
            ],
        ];
        let lines = table(&rows);
        let w: Vec<usize> = lines
            .iter()
            .map(|l| super::super::format::display_width(l))
            .collect();
        assert!(w.iter().all(|&x| x == w[0]), "{lines:#?}");
        // The numbers end in the same column.
        assert!(lines[1].ends_with("3,0 %") && lines[2].ends_with("40,0 %"));
    }
}
