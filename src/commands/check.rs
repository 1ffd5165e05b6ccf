//! `ressim check`: validate a scenario and print what it contains, without running it.

use super::{load, print_scenario_warnings};
use crate::cli::{CheckArgs, Lang};
use crate::error::Result;
use crate::report;
use crate::report::format::{pct, plain};
use crate::scenario::{self, COURSE, HOUSING, Scenario};

/// What the life course of the scenario holds, one line each.
fn life_lines(sc: &Scenario, lang: Lang) -> Vec<String> {
    let t = |d: &'static str, e: &'static str| lang.pick(d, e);
    let life = &sc.life;
    let id = |a: usize| sc.attributes[a].id.as_str();
    let course = &sc.chains[COURSE].states;
    let mut out = Vec::new();
    if !life.ageing.is_empty() {
        let ids: Vec<&str> = life.ageing.iter().map(|&a| id(a)).collect();
        out.push(format!(
            "{:<14}{}",
            t("aldring:", "ageing:"),
            ids.join(", ")
        ));
    }
    if let Some(m) = &life.mortality {
        out.push(format!(
            "{:<14}{} ({} {}–{}), {} `{}`{}, {} `{}`",
            t("dødelighed:", "mortality:"),
            m.table.label,
            t("alder", "ages"),
            m.table.first_age,
            m.table.last_age(),
            t("alder", "age"),
            id(m.age_attribute),
            m.sex_attribute
                .map(|s| format!(", {} `{}`", t("køn", "sex"), id(s)))
                .unwrap_or_default(),
            t("døde til", "deaths to"),
            course[m.death_state].id
        ));
        for (s, hr) in m.state_hr.iter().enumerate() {
            if let Some(p) = hr {
                out.push(format!(
                    "  {} × {} {} `{}`",
                    t("dødelighed", "mortality"),
                    plain(sc.params[*p].param.central(), lang),
                    t("i", "in"),
                    course[s].id
                ));
            }
        }
    }
    for (s, r) in life.at_age.iter().enumerate() {
        if let Some(r) = r {
            out.push(format!(
                "{} {} (`{}`): `{}` → `{}`",
                t("ved alder", "at age"),
                plain(r.age, lang),
                id(r.attribute),
                course[s].id,
                course[r.to].id
            ));
        }
    }
    out
}

/// A convention or unit in words, in the terminal's language.
fn words(da: bool, id: &str) -> &'static str {
    match (id, da) {
        ("start", true) => "tilstanden ved periodens start",
        ("start", false) => "the state at the start of each cycle",
        ("end", true) => "tilstanden ved periodens slutning",
        ("end", false) => "the state at the end of each cycle",
        ("half-cycle", true) => "halvcyklus (halvt start, halvt slut)",
        ("half-cycle", false) => "half-cycle (half start, half end)",
        ("budget-year", true) => "pr. budgetår",
        ("budget-year", false) => "per budget year",
        ("simulation-year", true) => "pr. år fra start",
        ("simulation-year", false) => "per year from the start",
        ("monthly", true) => "pr. måned",
        ("monthly", false) => "per month",
        ("month", true) => "pr. måned",
        ("month", false) => "per month",
        ("year", true) => "pr. år",
        ("year", false) => "per year",
        ("total", true) => "i alt, fordelt jævnt",
        ("total", false) => "in total, spread evenly",
        ("once", true) => "én gang",
        ("once", false) => "once",
        ("caseload", true) => "sagsstamme",
        ("caseload", false) => "caseload",
        ("monthly-new", true) => "nye forløb pr. måned",
        ("monthly-new", false) => "new services per month",
        ("shared", true) => "delt (virkningen fortyndes ved overbelastning)",
        ("shared", false) => "shared (effect diluted when overloaded)",
        _ => "",
    }
}

/// `ressim check`: print what the scenario contains and its warnings.
pub(super) fn check(a: CheckArgs) -> Result<()> {
    let da = a.lang.lang == Lang::Da;
    let t = |d: &'static str, e: &'static str| if da { d } else { e };
    let sc = load(a.scenario.as_deref())?;
    let sim = &sc.sim;
    let counting = match sim.counting {
        scenario::Counting::Start => "start",
        scenario::Counting::End => "end",
        scenario::Counting::HalfCycle => "half-cycle",
    };
    let discounting = match sim.discounting {
        scenario::Discounting::BudgetYear => "budget-year",
        scenario::Discounting::SimulationYear => "simulation-year",
        scenario::Discounting::Monthly => "monthly",
    };
    crate::outln!(
        "{} `{}` {}: {}",
        t("Scenariet", "Scenario"),
        sc.name,
        t("er gyldigt", "is valid"),
        if da { &sc.title_da } else { &sc.title_en }
    )?;
    crate::outln!("  {:<14}{}", t("filer:", "files:"), sc.files.join(" → "))?;
    crate::outln!("  {:<14}{}", "sha256:", sc.sha256)?;
    crate::outln!(
        "  {:<14}{} {} {} {} {}{}; {}: {}; {}: {}",
        t("tid:", "time:"),
        t("fra", "from"),
        sim.start_text(),
        t("i", "for"),
        sim.horizon,
        if sim.cycle_months == 12 {
            t("år", "years")
        } else {
            t("måneder", "months")
        },
        if sim.cycle_months == 1 {
            String::new()
        } else {
            format!(" ({} {})", sim.horizon_months(), t("måneder", "months"))
        },
        t("beløb tælles efter", "amounts count"),
        words(da, counting),
        t("diskontering", "discounting"),
        words(da, discounting)
    )?;
    let inflow = &sc.cohort.inflow;
    let cohort_text = if inflow.len() == 1 {
        format!(
            "{} {}",
            t("lukket kohorte på", "closed cohort of"),
            inflow[0]
        )
    } else {
        format!(
            "{} {} {} {}",
            sc.cohort.size(),
            t("startende over", "starters over"),
            inflow.len(),
            t("perioder", "cycles")
        )
    };
    crate::outln!("  {:<14}{cohort_text}", t("kohorte:", "cohort:"))?;
    for (ci, name) in [
        (COURSE, t("tilstande:", "states:")),
        (HOUSING, t("bostøtte:", "housing:")),
    ] {
        let ch = &sc.chains[ci];
        let list: Vec<String> = ch
            .states
            .iter()
            .map(|s| {
                let mut x = s.id.clone();
                if s.absorbing {
                    x.push_str(t(" (varig)", " (absorbing)"));
                }
                if let Some(m) = s.max_months {
                    x.push_str(&format!(" (max {m} {})", t("måneder", "months")));
                }
                x
            })
            .collect();
        crate::outln!(
            "  {name:<14}{} — {} {}",
            list.join(", "),
            ch.edges.len(),
            t("overgange", "transitions")
        )?;
    }
    crate::outln!(
        "  {:<14}{}",
        t("egenskaber:", "attributes:"),
        if sc.attributes.is_empty() {
            t("ingen", "none").to_string()
        } else {
            sc.attributes
                .iter()
                .map(|a| a.id.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }
    )?;
    for arm in &sc.arms {
        let share = sc.params[arm.offer_share].param.central();
        crate::outln!(
            "  {} {:<10} {} {} {} {}–{}; {} {}, {} {}",
            t("arm", "arm"),
            arm.id,
            t("tilbydes", "offered to"),
            pct(share, a.lang.lang),
            t("af de startende i perioderne", "of starters in cycles"),
            arm.offer_from,
            arm.offer_to,
            arm.effects.len(),
            t("virkninger", "effects"),
            arm.account_overrides.len(),
            t("ændrede beløb", "amount overrides")
        )?;
    }
    for line in report::programme::lines(&sc, da) {
        crate::outln!("{line}")?;
    }
    for line in sc.prices.sentences(da) {
        crate::outln!("  {line}")?;
    }
    for w in &sc.widened {
        crate::outln!(
            "  {} `{}`: {}–{} ({} {}–{}): {}",
            t("udvidet plausibelt interval", "widened plausible range"),
            w.kind.id(),
            plain(w.min, a.lang.lang),
            plain(w.max, a.lang.lang),
            t("dokumenteret", "documented"),
            plain(w.documented.0, a.lang.lang),
            plain(w.documented.1, a.lang.lang),
            w.reason
        )?;
    }
    if !sc.removed.is_empty() {
        crate::outln!(
            "  {:<14}{}",
            t("fjernet:", "removed:"),
            sc.removed.join(", ")
        )?;
    }
    if let Some(r) = &sc.refusion {
        let steps: Vec<String> = r
            .steps
            .iter()
            .map(|(w, p)| {
                format!(
                    "{} {w}: {}",
                    t("uge", "week"),
                    plain(sc.params[*p].param.central(), a.lang.lang)
                )
            })
            .collect();
        crate::outln!("  {:<14}{}", t("refusion:", "refusion:"), steps.join(", "))?;
    }
    for line in life_lines(&sc, a.lang.lang) {
        crate::outln!("  {line}")?;
    }
    crate::outln!("  {:<14}{}", t("konti:", "accounts:"), sc.accounts.len())?;
    let uncertain = sc.params.iter().filter(|p| p.param.is_uncertain()).count();
    crate::outln!(
        "  {:<14}{} ({} {})",
        t("parametre:", "parameters:"),
        sc.params.len(),
        uncertain,
        t(
            "med en usikkerhedsfordeling",
            "with an uncertainty distribution"
        )
    )?;
    // The register of sources: its size and how much of it the numbers cite.
    if !sc.bibliography.is_empty() {
        let mut cited: Vec<&str> = Vec::new();
        let texts = sc
            .params
            .iter()
            .map(|p| &p.param)
            .chain(sc.attributes.iter().map(|a| &a.dist))
            .filter_map(|p| p.source.as_deref());
        for text in texts {
            for k in scenario::bibliography::cited_keys(text) {
                if !cited.contains(&k) {
                    cited.push(k);
                }
            }
        }
        crate::outln!(
            "  {:<14}{} {}; {} {}",
            t("register:", "register:"),
            sc.bibliography.len(),
            t("kilder", "sources"),
            cited.len(),
            t("af dem citeres af tallene", "of them cited by the numbers")
        )?;
    }
    let unsourced = sc.unsourced();
    if unsourced.is_empty() {
        crate::outln!(
            "  {:<14}{}",
            t("kilder:", "sources:"),
            t(
                "alle parametre har en kilde",
                "every parameter has a source"
            )
        )?;
    } else {
        crate::outln!(
            "  {} ({}):",
            t("uden kilde", "without a source"),
            unsourced.len()
        )?;
        for p in unsourced {
            crate::outln!("    {} = {}", p.path, p.param.describe())?;
        }
    }
    print_scenario_warnings(&sc, a.lang.lang);
    Ok(())
}
