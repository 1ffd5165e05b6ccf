//! `ressim compare`: one row per scenario (investment, gross saving and how much of it is
//! replacement, NPV per perspective with its interval, P(NPV > 0), payback, break-even effect),
//! as compare.csv and compare.html. Every figure is read from the scenario's own summary.json,
//! written beside the table, so the two always agree.

use super::format::{Lang, num};
use super::html::{esc, payer_name};
use crate::economics::business_case::PERSPECTIVES;
use serde_json::Value;
use std::fmt::Write;

/// One compared scenario: its name, the folder of its run and its summary.json.
pub struct Row {
    /// Scenario name (its folder name under the comparison's folder).
    pub name: String,
    /// The run's summary.json.
    pub summary: Value,
}

fn f(v: &Value) -> String {
    v.as_f64().map(|x| format!("{x:.2}")).unwrap_or_default()
}

/// compare.csv: one row per scenario; amounts in DKK, discounted, means over replications.
pub fn csv(rows: &[Row]) -> String {
    let mut head = vec![
        "scenario",
        "title_da",
        "evidence",
        "replications",
        "effect_scale",
        "participants",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    for p in PERSPECTIVES {
        for c in [
            "investment_dkk",
            "gross_savings_dkk",
            "investment_discounted_dkk",
            "gross_savings_discounted_dkk",
            "replacement_discounted_dkk",
            "npv_dkk_mean",
            "npv_dkk_p025",
            "npv_dkk_p975",
            "p_positive_npv",
            "payback_month",
            "break_even_effect_scale",
        ] {
            head.push(format!("{p}_{c}"));
        }
    }
    let mut out = head.join(",") + "\n";
    for r in rows {
        let s = &r.summary;
        let bc = &s["business_case"];
        let arm = bc["arm"].as_str().unwrap_or("treatment");
        let mut cells = vec![
            r.name.clone(),
            format!(
                "\"{}\"",
                s["title"]["da"].as_str().unwrap_or("").replace('"', "\"\"")
            ),
            s["evidence"].as_str().unwrap_or("").to_string(),
            s["replications"].to_string(),
            f(&s["effect_scale"]),
            f(&s["arms"][arm]["participants"]["mean"]),
        ];
        for p in PERSPECTIVES.iter() {
            let v = &bc["perspectives"][*p];
            cells.push(f(&v["investment_dkk"]["mean"]));
            cells.push(f(&v["gross_savings_dkk"]["mean"]));
            cells.push(f(&v["investment_discounted_dkk"]));
            cells.push(f(&v["gross_savings_discounted_dkk"]));
            cells.push(f(&v["replacement_discounted_dkk"]));
            cells.push(f(&v["npv_dkk"]["mean"]));
            cells.push(f(&v["npv_dkk"]["p025"]));
            cells.push(f(&v["npv_dkk"]["p975"]));
            cells.push(
                v["p_positive_npv"]
                    .as_f64()
                    .map(|x| format!("{x:.4}"))
                    .unwrap_or_default(),
            );
            cells.push(
                v["payback_month"]
                    .as_f64()
                    .map(|x| format!("{x}"))
                    .unwrap_or_default(),
            );
            cells.push(
                v["break_even_effect_scale"]
                    .as_f64()
                    .map(|x| format!("{x:.4}"))
                    .unwrap_or_default(),
            );
        }
        out += &cells.join(",");
        out.push('\n');
    }
    out
}

fn mio(v: &Value, lang: Lang) -> String {
    v.as_f64()
        .map(|x| num(x / 1e6, 1, lang))
        .unwrap_or_else(|| "–".into())
}

/// compare.html: the table a planner puts side by side, municipality first.
pub fn html(rows: &[Row], lang: Lang) -> String {
    let da = lang == Lang::Da;
    let t = |d: &'static str, e: &'static str| if da { d } else { e };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>body{{font-family:sans-serif;max-width:75em;margin:1em auto;padding:0 1em}}table{{border-collapse:collapse;font-size:90%}}td,th{{border-bottom:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}}td.l,th.l{{text-align:left}}.neg{{color:#a00}}.small{{font-size:85%;color:#444}}</style></head><body>\n<h1>{}</h1>\n",
        if da { "da" } else { "en" },
        t("Sammenligning af scenarier", "Comparison of scenarios"),
        t("Sammenligning af scenarier", "Comparison of scenarios"),
    );
    let _ = writeln!(
        h,
        "<p>{}</p>",
        t(
            "Én række pr. scenarie. Beløb i mio. kr., diskonteret, gennemsnit over replikationer; interval: 95 % af replikationerne. Erstatning: den del af besparelsen, der er ordinær indsats, som programmet erstatter; resten er ændrede forløb. Tallene er de samme som i hvert scenaries summary.json i mappen ved siden af.",
            "One row per scenario. Amounts in DKK million, discounted, means over replications; interval: 95 % of the replications. Replacement: the part of the saving that is ordinary effort the programme replaces; the rest is changed outcomes. The figures are those of each scenario's summary.json in the folder beside this file."
        )
    );
    for p in PERSPECTIVES.iter() {
        if !matches!(
            *p,
            "municipality" | "bif" | "sof" | "suf" | "public" | "society"
        ) {
            continue;
        }
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<table><tr><th class=\"l\">{}</th><th class=\"l\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>P(NPV&gt;0)</th><th>{}</th><th>{}</th></tr>",
            esc(&payer_name(p, lang)),
            t("Scenarie", "Scenario"),
            t("Evidens", "Evidence"),
            t("Investering", "Investment"),
            t("Besparelse", "Gross saving"),
            t("heraf erstatning", "of which replacement"),
            t("Nettonutidsværdi", "Net present value"),
            t("95 %-interval", "95 % interval"),
            t("Tilbagebetaling", "Payback"),
            t("Break-even-effekt", "Break-even effect"),
        );
        for r in rows {
            let s = &r.summary;
            let v = &s["business_case"]["perspectives"][*p];
            let npv = v["npv_dkk"]["mean"].as_f64().unwrap_or(0.0);
            let rep = v["replacement_discounted_dkk"].as_f64().unwrap_or(0.0);
            let share = v["replacement_share"]
                .as_f64()
                .map(|x| format!(" ({})", super::format::pct(x, lang)))
                .unwrap_or_default();
            let payback = v["payback_month"]
                .as_f64()
                .map(|m| format!("{} {}", num(m / 12.0, 1, lang), t("år", "years")))
                .unwrap_or_else(|| t("ikke nået", "not reached").into());
            let be = v["break_even_effect_scale"]
                .as_f64()
                .map(|x| format!("{}×", num(x, 2, lang)))
                .unwrap_or_else(|| "–".into());
            let _ = writeln!(
                h,
                "<tr><td class=\"l\"><a href=\"{n}/report.html\">{title}</a><br><span class=\"small\">{n}</span></td><td class=\"l\">{ev}</td><td>{inv}</td><td>{gross}</td><td>{rep}{share}</td><td{cls}>{npv}</td><td>{lo} … {hi}</td><td>{p}</td><td>{payback}</td><td>{be}</td></tr>",
                n = esc(&r.name),
                title = esc(s["title"][if da { "da" } else { "en" }]
                    .as_str()
                    .unwrap_or(&r.name)),
                ev = esc(s["evidence"]
                    .as_str()
                    .map(|e| evidence_word(e, da))
                    .unwrap_or("–")),
                inv = mio(&v["investment_discounted_dkk"], lang),
                gross = mio(&v["gross_savings_discounted_dkk"], lang),
                rep = num(rep / 1e6, 1, lang),
                cls = if npv < 0.0 { " class=\"neg\"" } else { "" },
                npv = num(npv / 1e6, 1, lang),
                lo = mio(&v["npv_dkk"]["p025"], lang),
                hi = mio(&v["npv_dkk"]["p975"], lang),
                p = v["p_positive_npv"]
                    .as_f64()
                    .map(|x| super::format::pct(x, lang))
                    .unwrap_or_else(|| "–".into()),
            );
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(
        h,
        "<p class=\"small\">{}</p></body></html>",
        t(
            "Break-even-effekt: hvor stærke effekterne skal være (som en skala på scenariets effekter; 1 = som antaget), for at nettonutidsværdien bliver positiv; – : ikke nået inden for de afprøvede skalaer eller ikke søgt.",
            "Break-even effect: how strong the effects must be (as a scale on the scenario's effects; 1 = as assumed) for the net present value to turn positive; –: not reached within the scales tried, or not searched."
        )
    );
    h
}

fn evidence_word(e: &str, da: bool) -> &'static str {
    crate::scenario::EvidenceLevel::parse(e).map_or("–", |l| l.label(da))
}
