//! Quantities: accounts in a unit other than kroner (caseworker hours, employment months,
//! QALYs), with or without a price. Per arm: the total over the horizon and, where the account
//! asks for discounting (its own `discount_rate`), the discounted total — mean, MCSE and 95 %
//! interval; the difference between each arm and control with its interval; and the net cost
//! per extra unit (e.g. kroner per extra employment month). One computed result feeds
//! quantities.csv, summary.json, the report and the workbook.

use super::format::{Lang, num};
use super::summary::stat;
use crate::economics::business_case::PERSPECTIVES;
use crate::montecarlo::Results;
use crate::scenario::Scenario;
use crate::stats::Stat;
use serde_json::{Map, Value, json};
use std::fmt::Write;

/// Perspectives for which the net cost per extra unit is given (indices in [`PERSPECTIVES`]).
pub const RATIO_PERSPECTIVES: [usize; 3] = [3, 6, 7];

/// Per replication: the total (or discounted total) of quantity `q` in arm `a`.
fn per_rep(res: &Results, a: usize, q: usize, discounted: bool) -> Vec<f64> {
    let k = usize::from(discounted);
    res.reps.iter().map(|r| r.quantities[a][q][k]).collect()
}

/// Per replication: arm `a` minus control.
fn diff_per_rep(res: &Results, a: usize, q: usize, discounted: bool) -> Vec<f64> {
    let k = usize::from(discounted);
    res.reps
        .iter()
        .map(|r| r.quantities[a][q][k] - r.quantities[0][q][k])
        .collect()
}

/// `arms.<arm>.quantities`: per quantity account its unit, labels, `total` and
/// `discounted_total` (a stat; `null` unless the account has its own `discount_rate`).
pub fn of_arm(sc: &Scenario, res: &Results, a: usize) -> Value {
    let mut out = Map::new();
    for (q, &j) in res.quantity_accounts.iter().enumerate() {
        let acc = &sc.accounts[j];
        let disc = acc.discounts_quantity();
        out.insert(
            acc.id.clone(),
            json!({
                "label_da": acc.label_da,
                "label_en": acc.label_en,
                "unit": acc.unit,
                "discounted": disc,
                "total": stat(&per_rep(res, a, q, false)),
                "discounted_total": if disc { stat(&per_rep(res, a, q, true)) } else { Value::Null },
            }),
        );
    }
    Value::Object(out)
}

/// `difference_vs_control_quantities.<arm>.<account>`: `unit`, `total` and `discounted_total`
/// of the arm minus control (stats over replications).
pub fn differences(sc: &Scenario, res: &Results) -> Value {
    let mut out = Map::new();
    for a in 1..sc.arms.len() {
        let mut per = Map::new();
        for (q, &j) in res.quantity_accounts.iter().enumerate() {
            let acc = &sc.accounts[j];
            let disc = acc.discounts_quantity();
            per.insert(
                acc.id.clone(),
                json!({
                    "unit": acc.unit,
                    "total": stat(&diff_per_rep(res, a, q, false)),
                    "discounted_total": if disc { stat(&diff_per_rep(res, a, q, true)) } else { Value::Null },
                }),
            );
        }
        out.insert(sc.arms[a].id.clone(), Value::Object(per));
    }
    Value::Object(out)
}

/// Net cost per extra unit of quantity `q` for arm `a` and perspective `k`: −(mean NPV) ÷
/// (mean difference in the quantity, discounted where the account discounts). `None` when the
/// arm changes the quantity by (almost) nothing.
pub fn net_cost_per_unit(
    sc: &Scenario,
    res: &Results,
    a: usize,
    q: usize,
    k: usize,
) -> Option<f64> {
    let j = *res.quantity_accounts.get(q)?;
    let disc = sc.accounts[j].discounts_quantity();
    let d = Stat::of(&diff_per_rep(res, a, q, disc)).mean;
    let npv = Stat::of(
        &res.reps
            .iter()
            .map(|r| r.headlines[a][k].npv)
            .collect::<Vec<_>>(),
    )
    .mean;
    let ratio = -npv / d;
    (d.abs() > 1e-9 && ratio.is_finite()).then_some(ratio)
}

/// `business_case.net_cost_per_quantity.<account>`: `unit`, `discounted`, and per perspective
/// (municipality, public, society) the net cost in kroner per extra unit — e.g. kroner per
/// extra employment month, or per QALY gained; `null` where the arm changes nothing.
pub fn ratios(sc: &Scenario, res: &Results, a: usize) -> Value {
    let mut out = Map::new();
    for (q, &j) in res.quantity_accounts.iter().enumerate() {
        let acc = &sc.accounts[j];
        let mut per = Map::new();
        for k in RATIO_PERSPECTIVES {
            per.insert(
                PERSPECTIVES[k].into(),
                json!(net_cost_per_unit(sc, res, a, q, k)),
            );
        }
        out.insert(
            acc.id.clone(),
            json!({
                "unit": acc.unit,
                "discounted": acc.discounts_quantity(),
                "dkk_per_unit": per,
            }),
        );
    }
    Value::Object(out)
}

/// A unit for readers: `hours` is "timer" in Danish, `months` "måneder", `qaly` "QALY"; other
/// units as written.
pub fn unit_name(unit: &str, lang: Lang) -> String {
    let da = lang == Lang::Da;
    match unit {
        "hours" | "hour" => if da { "timer" } else { "hours" }.into(),
        "months" | "month" => if da { "måneder" } else { "months" }.into(),
        "qaly" | "qalys" => "QALY".into(),
        other => other.into(),
    }
}

/// A CSV number, empty when unknown.
fn cell(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        String::new()
    }
}

/// `quantities.csv`: `arm,year,account,unit,mean` (as before) and `discounted_mean`,
/// `diff_mean` (the arm minus control) per budget year; then one row per arm and account with
/// `year` = `total`, where `mcse`, `p025`, `p975` and the difference's `diff_p025`, `diff_p975`
/// are filled in too (over replications; empty with one replication, and `discounted_mean` is
/// empty unless the account discounts).
pub fn csv(sc: &Scenario, res: &Results) -> String {
    let mut s = String::from(
        "arm,year,account,unit,mean,discounted_mean,diff_mean,mcse,p025,p975,diff_p025,diff_p975\n",
    );
    let n = res.replications().max(1) as f64;
    let one = res.replications() < 2;
    for (a, arm) in sc.arms.iter().enumerate() {
        for (year, cycles) in super::csv::years(sc, res.layout.horizon) {
            for &j in &res.quantity_accounts {
                let acc = &sc.accounts[j];
                let sum = |sums: &Vec<Vec<Vec<f64>>>, arm: usize| -> f64 {
                    cycles.iter().map(|&m| sums[arm][j][m]).sum::<f64>() / n
                };
                let v = sum(&res.unit_sums, a);
                let d = if acc.discounts_quantity() {
                    cell(sum(&res.unit_discounted_sums, a))
                } else {
                    String::new()
                };
                let diff = if a > 0 {
                    cell(v - sum(&res.unit_sums, 0))
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "{},{},{},{},{:.4},{d},{diff},,,,,",
                    arm.id, year, acc.id, acc.unit, v
                );
            }
        }
        for (q, &j) in res.quantity_accounts.iter().enumerate() {
            let acc = &sc.accounts[j];
            let st = Stat::of(&per_rep(res, a, q, false));
            let d = if acc.discounts_quantity() {
                cell(Stat::of(&per_rep(res, a, q, true)).mean)
            } else {
                String::new()
            };
            let (diff, dlo, dhi) = if a > 0 {
                let ds = Stat::of(&diff_per_rep(res, a, q, false));
                if one {
                    (cell(ds.mean), String::new(), String::new())
                } else {
                    (cell(ds.mean), cell(ds.p025), cell(ds.p975))
                }
            } else {
                Default::default()
            };
            let (mcse, lo, hi) = if one {
                Default::default()
            } else {
                (cell(st.mcse), cell(st.p025), cell(st.p975))
            };
            let _ = writeln!(
                s,
                "{},total,{},{},{},{d},{diff},{mcse},{lo},{hi},{dlo},{dhi}",
                arm.id,
                acc.id,
                acc.unit,
                cell(st.mean)
            );
        }
    }
    s
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A stat from summary.json as "mean (p025 … p975)", or the mean alone without an interval.
fn stat_text(v: &Value, decimals: usize, lang: Lang) -> String {
    let m = v["mean"].as_f64().unwrap_or(f64::NAN);
    match (v["p025"].as_f64(), v["p975"].as_f64()) {
        (Some(lo), Some(hi)) => format!(
            "{} ({} … {})",
            num(m, decimals, lang),
            num(lo, decimals, lang),
            num(hi, decimals, lang)
        ),
        _ => num(m, decimals, lang),
    }
}

/// The report's section on quantities (empty when the scenario has none), from summary.json.
pub fn html(sc: &Scenario, summary: &Value, lang: Lang) -> String {
    let da = lang == Lang::Da;
    let bc = &summary["business_case"];
    let arm = bc["arm"].as_str().unwrap_or("");
    let Some(a) = sc.arms.iter().position(|x| x.id == arm) else {
        return String::new();
    };
    let ids: Vec<&String> = summary["arms"][arm]["quantities"]
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    if ids.is_empty() || a == 0 {
        return String::new();
    }
    let label = |x: &crate::scenario::Arm| {
        if da {
            x.label_da.clone()
        } else {
            x.label_en.clone()
        }
    };
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<h2>{}</h2>",
        if da {
            "Mængder: timer, måneder og QALY"
        } else {
            "Quantities: hours, months and QALYs"
        }
    );
    let _ = writeln!(
        h,
        "<table><tr><th class=\"l\">{}</th><th class=\"l\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        if da { "Konto" } else { "Account" },
        if da { "Enhed" } else { "Unit" },
        esc(&label(&sc.arms[0])),
        esc(&label(&sc.arms[a])),
        if da {
            "Forskel (95 %-interval)"
        } else {
            "Difference (95 % interval)"
        },
        if da {
            "Kommunen: kr. pr. ekstra enhed"
        } else {
            "Municipality: DKK per extra unit"
        },
        if da {
            "Samfundet: kr. pr. ekstra enhed"
        } else {
            "Society: DKK per extra unit"
        },
    );
    for id in ids {
        let Some(acc) = sc.accounts.iter().find(|x| &x.id == id) else {
            continue;
        };
        let key = if acc.discounts_quantity() {
            "discounted_total"
        } else {
            "total"
        };
        let ratio = |p: &str| {
            bc["net_cost_per_quantity"][id]["dkk_per_unit"][p]
                .as_f64()
                .map(|v| num(v, 0, lang))
                .unwrap_or_else(|| "–".into())
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(if da { &acc.label_da } else { &acc.label_en }),
            esc(&unit_name(&acc.unit, lang)),
            if acc.discounts_quantity() {
                if da { ", diskonteret" } else { ", discounted" }
            } else {
                ""
            },
            stat_text(
                &summary["arms"][&sc.arms[0].id]["quantities"][id][key],
                0,
                lang
            ),
            stat_text(&summary["arms"][arm]["quantities"][id][key], 0, lang),
            stat_text(
                &summary["difference_vs_control_quantities"][arm][id][key],
                1,
                lang
            ),
            ratio("municipality"),
            ratio("society"),
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(
        h,
        "<p class=\"small\">{}</p>",
        if da {
            "Totaler over horisonten pr. borgerkohorte (gennemsnit over replikationer med 95 %-interval). En mængde diskonteres, når kontoen selv angiver en diskonteringsrente (fx QALY). Kr. pr. ekstra enhed: nettoomkostningen (minus nutidsværdien) delt med forskellen i mængden; – når indsatsen ikke ændrer mængden. Et negativt tal betyder, at indsatsen både sparer penge og giver flere enheder – eller koster penge og giver færre."
        } else {
            "Totals over the horizon for the cohort (mean over replications with its 95 % interval). A quantity is discounted when its account gives its own discount rate (e.g. QALYs). DKK per extra unit: the net cost (minus the NPV) divided by the difference in the quantity; – where the arm does not change it. A negative number means the arm saves money and gives more units – or costs money and gives fewer."
        }
    );
    h
}

/// The workbook's Quantities sheet: per arm and quantity account the totals with intervals,
/// and the difference against control, from summary.json.
pub fn sheet(
    ws: &mut rust_xlsxwriter::Worksheet,
    sc: &Scenario,
    summary: &Value,
    head: &rust_xlsxwriter::Format,
    da: bool,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    ws.set_name(if da { "Mængder" } else { "Quantities" })?;
    let cols = if da {
        [
            "Arm",
            "Konto",
            "Enhed",
            "Diskonteret",
            "Total, middel",
            "Total, 2,5 %",
            "Total, 97,5 %",
            "Total, MCSE",
            "Diskonteret total, middel",
            "Forskel, middel",
            "Forskel, 2,5 %",
            "Forskel, 97,5 %",
        ]
    } else {
        [
            "Arm",
            "Account",
            "Unit",
            "Discounted",
            "Total, mean",
            "Total, 2.5 %",
            "Total, 97.5 %",
            "Total, MCSE",
            "Discounted total, mean",
            "Difference, mean",
            "Difference, 2.5 %",
            "Difference, 97.5 %",
        ]
    };
    for (c, name) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, head)?;
        ws.set_column_width(c as u16, if c < 2 { 26.0 } else { 13.0 })?;
    }
    ws.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
    for arm in &sc.arms {
        let Some(map) = summary["arms"][&arm.id]["quantities"].as_object() else {
            continue;
        };
        for (id, q) in map {
            ws.write_string(row, 0, &arm.id)?;
            ws.write_string(row, 1, id)?;
            ws.write_string(row, 2, q["unit"].as_str().unwrap_or(""))?;
            ws.write_boolean(row, 3, q["discounted"].as_bool().unwrap_or(false))?;
            let cells = [
                &q["total"]["mean"],
                &q["total"]["p025"],
                &q["total"]["p975"],
                &q["total"]["mcse"],
                &q["discounted_total"]["mean"],
                &summary["difference_vs_control_quantities"][&arm.id][id]["total"]["mean"],
                &summary["difference_vs_control_quantities"][&arm.id][id]["total"]["p025"],
                &summary["difference_vs_control_quantities"][&arm.id][id]["total"]["p975"],
            ];
            for (c, v) in cells.iter().enumerate() {
                if let Some(x) = v.as_f64() {
                    ws.write_number(row, 4 + c as u16, x)?;
                }
            }
            row += 1;
        }
    }
    Ok(())
}
