//! A run's result for the page: the headline business case per perspective (from the same
//! `business_case` block summary.json holds, with the report's number formats in Danish and
//! English), net per payer and budget year, staffing utilisation and queue over time, and the
//! occupancy of the course states per arm.

use crate::economics::business_case::PERSPECTIVES;
use crate::montecarlo::Results;
use crate::report::format::{Lang, mio, num, pct};
use crate::report::html::payer_name;
use crate::scenario::{COURSE, Payer, Scenario};
use serde_json::{Value, json};

fn both(f: impl Fn(Lang) -> String) -> Value {
    json!({"da": f(Lang::Da), "en": f(Lang::En)})
}

fn label(da: &str, en: &str, id: &str) -> Value {
    let pick = |s: &str| {
        if s.trim().is_empty() {
            id.to_string()
        } else {
            s.to_string()
        }
    };
    json!({"da": pick(da), "en": pick(en)})
}

/// Rounded for the wire (the page draws charts; the headline figures are sent exactly).
fn r(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1e4).round() / 1e4
    } else {
        0.0
    }
}

/// The view of a run.
pub fn view(sc: &Scenario, res: &Results) -> Value {
    let focus = Results::focus_arm(sc);
    let n = res.replications().max(1) as f64;
    let h = res.layout.horizon;
    let cm = sc.sim.cycle_months;
    let bc = crate::report::summary::business_case(sc, res, None);
    let one = res.replications() < 2;
    let perspectives: Vec<Value> = PERSPECTIVES
        .iter()
        .map(|id| {
            let p = &bc["perspectives"][*id];
            let g = |k: &str, s: &str| p[k][s].as_f64().unwrap_or(f64::NAN);
            let npv = g("npv_dkk", "mean");
            let lo = g("npv_dkk", "p025");
            let hi = g("npv_dkk", "p975");
            let inv = g("investment_dkk", "mean");
            let sav = g("gross_savings_dkk", "mean");
            let pos = p["p_positive_npv"].as_f64().unwrap_or(f64::NAN);
            json!({
                "id": id,
                "label": both(|l| payer_name(id, l)),
                "npv": npv, "p025": lo, "p975": hi,
                "investment": inv, "savings": sav, "p_positive": pos,
                "text": {
                    "npv": both(|l| mio(npv, l)),
                    "interval": both(|l| if one { "–".into() } else { format!("{} … {}", num(lo / 1e6, 1, l), num(hi / 1e6, 1, l)) }),
                    "p_positive": both(|l| pct(pos, l)),
                    "investment": both(|l| mio(inv, l)),
                    "savings": both(|l| mio(sav, l)),
                }
            })
        })
        .collect();

    // Net per payer and budget year, as the report's payers chart.
    let years = crate::report::csv::years(sc, h);
    let payers: Vec<Value> = match &res.comparison_sums[focus] {
        Some(c) => Payer::ALL
            .iter()
            .enumerate()
            .map(|(p, payer)| {
                let v: Vec<f64> = years
                    .iter()
                    .map(|(_, cycles)| {
                        r(cycles
                            .iter()
                            .map(|&m| c.payer_sav[p][m] - c.payer_inv[p][m])
                            .sum::<f64>()
                            / n)
                    })
                    .collect();
                json!({"id": payer.id(), "label": both(|l| payer_name(payer.id(), l)), "values": v})
            })
            .collect(),
        None => vec![],
    };

    // Staffing: utilisation and mean queue per month of each service with capacity.
    let svs = crate::montecarlo::capacity_services(sc, focus);
    let staffing: Vec<Value> = svs
        .iter()
        .enumerate()
        .map(|(k, &si)| {
            let sv = &sc.arms[focus].services[si];
            let row = |m: usize| res.staffing_sums[focus][m * svs.len() + k];
            let util: Vec<Value> = (0..h)
                .map(|m| {
                    let x = row(m);
                    if x[0] > 0.0 {
                        json!(r(x[1] / x[0]))
                    } else {
                        Value::Null
                    }
                })
                .collect();
            let queue: Vec<f64> = (0..h).map(|m| r(row(m)[2] / n)).collect();
            let fte: Vec<f64> = (0..h)
                .map(|m| r(row(m)[crate::engine::ROW_FTE] / n))
                .collect();
            json!({"id": sv.id, "label": label(&sv.label_da, &sv.label_en, &sv.id),
                   "utilisation": util, "queue": queue, "fte": fte})
        })
        .collect();

    // Citizens per course state over time, per arm.
    let chain = &sc.chains[COURSE];
    let occupancy: Vec<Value> = sc
        .arms
        .iter()
        .enumerate()
        .map(|(a, arm)| {
            let states: Vec<Value> = chain
                .states
                .iter()
                .enumerate()
                .map(|(s, st)| {
                    let v: Vec<f64> = (0..h)
                        .map(|m| r(res.occupancy_cell(a, m, COURSE, s).mean()))
                        .collect();
                    json!({"id": st.id, "label": label(&st.label_da, &st.label_en, &st.id), "values": v})
                })
                .collect();
            json!({"id": arm.id, "label": label(&arm.label_da, &arm.label_en, &arm.id), "states": states})
        })
        .collect();

    json!({
        "scenario": sc.name,
        "title": {"da": sc.title_da, "en": sc.title_en},
        "replications": res.replications(),
        "seed": res.options.seed,
        "effect_scale": res.options.effect_scale,
        "horizon_months": sc.sim.horizon_months(),
        "cycle_months": cm,
        "price_year": sc.sim.price_year,
        "arm": label(&sc.arms[focus].label_da, &sc.arms[focus].label_en, &sc.arms[focus].id),
        "control": label(&sc.arms[0].label_da, &sc.arms[0].label_en, &sc.arms[0].id),
        "perspectives": perspectives,
        "years": years.iter().map(|(y, _)| *y).collect::<Vec<_>>(),
        "payers": payers,
        "staffing": staffing,
        "occupancy": occupancy,
    })
}
