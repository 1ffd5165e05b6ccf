//! The programme's amounts as a readable table for `ressim check`: per arm compared with
//! control, its staff and cost per service, its other costs, its effects and its participants'
//! own amounts, so that a wrong magnitude (520 kr. a year for a mentor) is visible before a run.

use super::format::{self, Lang};
use crate::scenario::{CostPer, Scenario, ServiceKind};

/// A number for the table in the language's format: grouped thousands, two decimals for small
/// fractional ones.
fn num(v: f64, lang: Lang) -> String {
    if v.abs() >= 1000.0 {
        format::num(v.round(), 0, lang)
    } else if v == v.trunc() {
        format::plain(v, lang)
    } else {
        format::num(v, 2, lang)
    }
}

/// An effect `from → to  hr` with the states' ids.
fn effect(sc: &Scenario, chain: usize, edge: usize, hr: usize, lang: Lang) -> String {
    let ch = &sc.chains[chain];
    match ch.edges.get(edge) {
        Some(e) => format!(
            "{}→{} {}",
            ch.states[e.from].id,
            ch.states[e.to].id,
            num(sc.params[hr].param.central(), lang)
        ),
        None => format!("? {}", num(sc.params[hr].param.central(), lang)),
    }
}

/// The table's lines (without a trailing newline), in Danish or English.
pub fn lines(sc: &Scenario, da: bool) -> Vec<String> {
    let t = |d: &'static str, e: &'static str| if da { d } else { e };
    let lang = if da { Lang::Da } else { Lang::En };
    let num = |v: f64| num(v, lang);
    let mut out = Vec::new();
    for arm in sc.arms.iter().skip(1) {
        out.push(format!(
            "  {} `{}` ({}), {}:",
            t("Programmets beløb for armen", "Programme amounts of arm"),
            arm.id,
            if da { &arm.label_da } else { &arm.label_en },
            if da {
                format!("i {}-priser", sc.sim.price_year)
            } else {
                format!("in {} prices", sc.sim.price_year)
            }
        ));
        if !arm.services.is_empty() {
            out.push(format!(
                "    {:<18} {:>6} {:>14} {:>14}  {:<5} {}",
                t("ydelse", "service"),
                "FTE",
                t("kr./årsværk", "kr./FTE-year"),
                t("kr./år", "kr./year"),
                t("betaler", "payer"),
                t("måneder", "months")
            ));
        }
        for sv in &arm.services {
            let fte = sc.params[sv.fte].param.central();
            let cost = sc.params[sv.cost_per_fte_year].param.central();
            out.push(format!(
                "    {:<18} {:>6} {:>14} {:>14}  {:<5} {}–{} ({}–{})",
                sv.id,
                num(fte),
                num(cost),
                num(fte * cost),
                sv.payer.id(),
                sv.from_month,
                sv.to_month,
                sc.sim.month_text(sv.from_month),
                sc.sim.month_text(sv.to_month)
            ));
            if let Some(c) = &sv.capacity {
                let per = sc.params[c.per_fte].param.central();
                let what = match c.kind {
                    ServiceKind::Caseload => t("borgere pr. årsværk", "citizens per FTE"),
                    ServiceKind::Shared => {
                        t("borgere pr. årsværk (delt)", "citizens per FTE (shared)")
                    }
                    ServiceKind::Monthly => {
                        t("borgere pr. årsværk pr. måned", "citizens per FTE a month")
                    }
                };
                let effects: Vec<String> = c
                    .effects
                    .iter()
                    .map(|(ch, e, hr)| effect(sc, *ch, *e, *hr, lang))
                    .collect();
                out.push(format!(
                    "      {} {what}; {}: {}",
                    num(per),
                    t("virkninger (hazard ratio)", "effects (hazard ratio)"),
                    if effects.is_empty() {
                        t("ingen", "none").to_string()
                    } else {
                        effects.join(", ")
                    }
                ));
            }
        }
        if !arm.costs.is_empty() {
            out.push(format!(
                "    {:<18} {:>14} {:<10} {:<5} {}",
                t("udgift", "cost"),
                t("kr.", "kr."),
                t("pr.", "per"),
                t("betaler", "payer"),
                t("måneder", "months")
            ));
        }
        for co in &arm.costs {
            let case;
            let per = match (co.per, da) {
                (CostPer::Case(s), _) => {
                    case = format!(
                        "{} {}",
                        t("sag:", "case:"),
                        arm.services.get(s).map_or("?", |x| x.id.as_str())
                    );
                    case.as_str()
                }
                (CostPer::Month, true) => "måned",
                (CostPer::Month, false) => "month",
                (CostPer::Year, true) => "år",
                (CostPer::Year, false) => "year",
                (CostPer::Total, true) => "i alt",
                (CostPer::Total, false) => "in total",
                (CostPer::Once, true) => "én gang",
                (CostPer::Once, false) => "once",
            };
            out.push(format!(
                "    {:<18} {:>14} {:<10} {:<5} {}–{} ({}–{})",
                co.id,
                num(sc.params[co.amount].param.central()),
                per,
                co.payer.id(),
                co.from_month,
                co.to_month,
                sc.sim.month_text(co.from_month),
                sc.sim.month_text(co.to_month)
            ));
        }
        if !arm.effects.is_empty() {
            let effects: Vec<String> = arm
                .effects
                .iter()
                .map(|(ch, e, hr)| effect(sc, *ch, *e, *hr, lang))
                .collect();
            out.push(format!(
                "    {}: {}",
                t(
                    "virkninger for alle deltagere (hazard ratio)",
                    "effects for every participant (hazard ratio)"
                ),
                effects.join(", ")
            ));
        }
        for (acc, pid) in &arm.account_overrides {
            let a = &sc.accounts[*acc];
            out.push(format!(
                "    {} `{}`: {} {} ({} {})",
                t("deltagernes beløb", "participants' amount"),
                a.id,
                num(sc.params[*pid].param.central()),
                if a.unit == "dkk" {
                    t("kr.", "DKK")
                } else {
                    a.unit.as_str()
                },
                t("ellers", "otherwise"),
                num(sc.params[a.amount].param.central())
            ));
        }
        if arm.services.is_empty() && arm.costs.is_empty() && arm.effects.is_empty() {
            out.push(format!(
                "    {}",
                t(
                    "ingen ydelser, udgifter eller virkninger",
                    "no services, costs or effects"
                )
            ));
        }
    }
    out
}
