//! The report's method text, built from the scenario's own states, housing levels, services,
//! refusion and price year: no sentence describes a particular scenario.

use super::format::Lang;
use crate::scenario::{COURSE, HOUSING, Scenario};

/// "a, b og c" / "a, b and c".
pub fn list(items: &[String], da: bool) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!(
            "{} {} {}",
            items[..n - 1].join(", "),
            if da { "og" } else { "and" },
            items[n - 1]
        ),
    }
}

/// The labels of the services with capacity of the arms compared with control.
pub fn capacity_services(sc: &Scenario, da: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for arm in sc.arms.iter().skip(1) {
        for sv in arm.services.iter().filter(|s| s.capacity.is_some()) {
            let l = if da { &sv.label_da } else { &sv.label_en };
            let l = if l.trim().is_empty() { &sv.id } else { l };
            if !out.contains(l) {
                out.push(l.clone());
            }
        }
    }
    out
}

/// The method section's paragraph.
pub fn text(sc: &Scenario, lang: Lang) -> String {
    let da = lang == Lang::Da;
    let label = |s: &crate::scenario::State| {
        let l = if da { &s.label_da } else { &s.label_en };
        if l.trim().is_empty() {
            s.id.clone()
        } else {
            l.clone()
        }
    };
    let states: Vec<String> = sc.chains[COURSE].states.iter().map(label).collect();
    let levels: Vec<String> = sc.chains[HOUSING].states.iter().map(label).collect();
    let cycle = if sc.sim.cycle_months == 12 {
        if da { "årlige" } else { "yearly" }
    } else if da {
        "månedlige"
    } else {
        "monthly"
    };
    let mut s = if da {
        format!(
            "ressim er en mikrosimulering med {cycle} cyklusser. Syntetiske borgere trækkes fra scenariets fordelinger og går gennem scenariets forløbsstatus ({})",
            list(&states, true)
        )
    } else {
        format!(
            "ressim is a microsimulation with {cycle} cycles. Synthetic citizens drawn from the scenario's distributions move through the scenario's course states ({})",
            list(&states, false)
        )
    };
    if levels.len() > 1 {
        s.push_str(&if da {
            format!(" og bostøtteniveauer ({})", list(&levels, true))
        } else {
            format!(" and housing-support levels ({})", list(&levels, false))
        });
    }
    s.push_str(if da {
        ". Alle arme kører på de samme borgere og de samme tilfældige tal, så forskellen mellem armene er indsatsens effekt og ikke støj. Konkurrerende overgange kombineres som rater; effekter er hazard ratios."
    } else {
        ". All arms run on the same citizens and the same random numbers, so the difference between arms is the intervention's effect, not noise. Competing transitions are combined as rates; effects are hazard ratios."
    });
    let services = capacity_services(sc, da);
    if !services.is_empty() {
        s.push_str(&if da {
            format!(
                " Indsatser med kapacitet ({}) fordeles hver måned efter ventetid og borger-id og overskrides aldrig.",
                list(&services, true)
            )
        } else {
            format!(
                " Services with capacity ({}) are allocated each month by waiting time and citizen id and never exceeded.",
                list(&services, false)
            )
        });
    }
    s.push_str(if da {
        " Hver replikation trækker alle usikre parametre fra deres fordelinger; intervallerne dækker både parameterusikkerhed og tilfældighed i forløbene."
    } else {
        " Each replication draws every uncertain parameter from its distribution; the intervals cover parameter uncertainty and the randomness of individual courses."
    });
    if sc.refusion.is_some() {
        s.push_str(if da {
            " Ydelser er opgjort efter statsrefusion (refusionstrappen)."
        } else {
            " Benefits are net of state reimbursement (the refusion staircase)."
        });
    }
    s.push_str(&if da {
        format!(" Beløb er i {}-priser.", sc.sim.price_year)
    } else {
        format!(" Amounts are in {} prices.", sc.sim.price_year)
    });
    for line in sc.prices.sentences(da) {
        s.push(' ');
        s.push_str(&line);
    }
    for w in &sc.widened {
        let n = crate::scenario::param::fmt_num;
        let (kind, reason) = (w.kind.id(), w.reason.trim_end_matches('.'));
        let (d0, d1, lo, hi) = (n(w.documented.0), n(w.documented.1), n(w.min), n(w.max));
        s.push_str(&if da {
            format!(
                " Scenariet udvider det plausible interval for {kind} fra {d0}–{d1} til {lo}–{hi}: {reason}."
            )
        } else {
            format!(
                " The scenario widens the plausible range of {kind} from {d0}–{d1} to {lo}–{hi}: {reason}."
            )
        });
    }
    if !sc.removed.is_empty() {
        s.push_str(&if da {
            format!(
                " Varianten fjerner fra sit grundscenarie: {}.",
                sc.removed.join(", ")
            )
        } else {
            format!(
                " The variant removes from its base: {}.",
                sc.removed.join(", ")
            )
        });
    }
    s
}

/// The headline's "offered, served, waiting" sentence from summary.json: how many citizens the
/// compared arm offered its programme, and per service with capacity how many were served,
/// after what mean wait, and what share of those offered never were.
pub fn offered_served(s: &serde_json::Value, arm: &str, lang: Lang) -> Option<String> {
    use super::format::{num, pct};
    let da = lang == Lang::Da;
    let offered = s["arms"][arm]["citizens_offered"].as_f64()?;
    let mut parts = Vec::new();
    for (id, v) in s["staffing"].as_object()? {
        let Some(served) = v["citizens_served"].as_f64() else {
            continue;
        };
        let label = v[if da { "label_da" } else { "label_en" }]
            .as_str()
            .filter(|l| !l.trim().is_empty())
            .unwrap_or(id);
        let wait = v["mean_wait_months_of_served"].as_f64().unwrap_or(0.0);
        let mut p = if da {
            format!(
                "{label}: {} betjent efter {} måneders ventetid i gennemsnit",
                num(served, 0, lang),
                num(wait, 1, lang)
            )
        } else {
            format!(
                "{label}: {} served after a mean wait of {} months",
                num(served, 0, lang),
                num(wait, 1, lang)
            )
        };
        if let Some(never) = v["share_offered_never_served"].as_f64() {
            p.push_str(&if da {
                format!(", {} af de tilbudte aldrig", pct(never, lang))
            } else {
                format!(", {} of those offered never", pct(never, lang))
            });
        }
        parts.push(p);
    }
    let head = if da {
        format!("{} borgere fik tilbudt indsatsen", num(offered, 0, lang))
    } else {
        format!(
            "{} citizens were offered the programme",
            num(offered, 0, lang)
        )
    };
    Some(if parts.is_empty() {
        format!("{head}.")
    } else {
        format!("{head}. {}.", parts.join("; "))
    })
}
