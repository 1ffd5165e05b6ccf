//! `ressim run`: simulate one scenario (with the command line's changes) and write its
//! outputs, then print the summary and the verdict.

use super::{load, options, print_scenario_warnings, simulate, unix_now};
use crate::cli::{Lang, RunArgs};
use crate::error::Result;
use crate::montecarlo;
use crate::report::{self, RunInfo};
use crate::scenario::{self, Scenario};
use std::path::PathBuf;
use std::time::Instant;

/// `ressim run`: apply the command line's changes, simulate, write and summarise.
pub(super) fn run(a: RunArgs) -> Result<()> {
    let started = Instant::now();
    let started_unix = unix_now();
    let sc = load(a.scenario.as_deref())?;
    let mut opts = options(&sc, &a.common);
    opts.psa = !a.no_psa;
    if let Some(x) = a.effect_scale {
        opts.effect_scale = x;
    }
    opts.progress = !a.quiet.quiet;
    // Every change is applied before anything runs or is written, and recorded.
    let mut changes = Vec::new();
    let mut sc = sc;
    for (id, fte) in &a.staff {
        if let Some(c) = scenario::overrides::staff(&mut sc, id, *fte)
            .map_err(|m| crate::Error::Usage(format!("--staff {id}={fte}: {m}")))?
        {
            changes.retain(|x: &scenario::overrides::Change| x.key != c.key);
            changes.push(c);
        }
    }
    let sc = sc;
    changes.extend(report::manifest::option_changes(&sc, &opts));
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs").join(scenario::overrides::folder_name(&sc.name, &changes))
    });
    if !a.quiet.quiet {
        let (name, citizens, arms, months, reps) = (
            &sc.name,
            sc.cohort.size(),
            sc.arms.len(),
            sc.sim.horizon_months(),
            opts.replications,
        );
        match a.lang {
            Lang::Da => crate::errln!(
                "ressim: {name} — {citizens} borgere, {arms} arme, {months} måneder, {reps} replikationer"
            ),
            Lang::En => crate::errln!(
                "ressim: {name} — {citizens} citizens, {arms} arms, {months} months, {reps} replications"
            ),
        }
    }
    print_scenario_warnings(&sc, a.lang);
    let info = RunInfo {
        command_line: std::env::args().collect(),
        wall_time_seconds: 0.0,
        started_unix,
        trace: a.trace,
        changes,
    };
    let (res, break_even, dir) =
        simulate(&sc, &opts, &out, info, started, !a.no_break_even, a.lang)?;
    if !a.quiet.quiet {
        report::terminal::print_summary(&sc, &res, &dir, a.lang)?;
        print_verdict(&sc, &res, break_even.as_ref(), a.lang)?;
        for w in report::summary::warnings(&sc, &res)
            .into_iter()
            .filter(|w| !sc.warnings.contains(w))
        {
            crate::errln!("{}: {w}", a.lang.pick("advarsel", "warning"));
        }
    }
    Ok(())
}

/// The verdict in words, the same sentences as the report's first section.
fn print_verdict(
    sc: &Scenario,
    res: &montecarlo::Results,
    break_even: Option<&[Option<f64>; 8]>,
    lang: Lang,
) -> Result<()> {
    let ex = report::explain::Explained::new(sc, res, break_even, report::explain::MUNICIPALITY);
    crate::outln!()?;
    for s in ex.sentences(lang) {
        crate::outln!("{s}")?;
    }
    Ok(())
}
