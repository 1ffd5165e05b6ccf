//! `ressim power`: the trial-power analysis from the command line's options.

use super::{load, out_dir, unix_now};
use crate::error::Result;
use std::time::Instant;

/// `ressim power`: the options from the command line, then the analysis and its outputs.
pub(super) fn power(a: crate::cli::PowerArgs) -> Result<()> {
    use crate::analysis::power::{self, CommandOptions, Outcome, PowerOptions};
    use crate::error::Error;
    let started = Instant::now();
    let started_unix = unix_now();
    let sc = load(a.scenario.as_deref())?;
    let mut opts = PowerOptions::from_scenario(&sc);
    if let Some(s) = a.sizes {
        opts.sizes = s;
    }
    opts.follow_up_months = a.follow_up;
    opts.alpha = a.alpha;
    opts.trials = a.trials;
    opts.effect_scale = a.effect_scale.unwrap_or(sc.sim.effect_scale);
    if let Some(s) = a.seed_threads.seed {
        opts.seed = s;
    }
    opts.threads = a.seed_threads.threads.map(|t| t as usize).unwrap_or(0);
    opts.psa = !a.no_psa;
    opts.mde = !a.no_mde;
    opts.scale_staff = a.scale_staff;
    let mut skipped = Vec::new();
    if a.outcome.is_empty() {
        let can = power::measurable(&sc);
        skipped = Outcome::ALL
            .into_iter()
            .filter(|o| !can.contains(o))
            .collect();
        opts.outcomes = can;
        if opts.outcomes.is_empty() {
            return Err(Error::Usage(
                "no course state carries a trial-outcome flag (self_supporting, \
                 disability_pension, on_benefits, employed); see docs/scenario.md, \"Trial power\""
                    .into(),
            ));
        }
    } else {
        let asked: Vec<Outcome> = a.outcome.into_iter().flatten().collect();
        opts.outcomes = Outcome::ALL
            .into_iter()
            .filter(|o| asked.contains(o))
            .collect();
    }
    let out = out_dir(a.out, &sc, "-power");
    power::command(
        &sc,
        &opts,
        &CommandOptions {
            out,
            quiet: a.quiet.quiet,
            skipped,
            started,
            started_unix,
            lang: a.lang.lang,
        },
    )
}
