//! `manifest.json`: what produced a result folder, so a reviewer can match a report to its run.

use crate::montecarlo::Results;
use crate::scenario::Scenario;
use serde_json::{Value, json};

/// Facts about the invocation that the results do not carry.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The command line as typed.
    pub command_line: Vec<String>,
    /// Wall time of the simulation and writing, in seconds.
    pub wall_time_seconds: f64,
    /// Seconds since 1970 at the start.
    pub started_unix: u64,
    /// `--trace N`: write trace.csv for the first N citizens of replication 0.
    pub trace: Option<u32>,
    /// Changes made on the command line to the scenario and its run settings.
    pub changes: Vec<crate::scenario::overrides::Change>,
}

/// The run options that differ from the scenario's, as recorded changes, in the order they
/// name an output folder: effect scale, probabilistic analysis, seed, replications.
pub fn option_changes(
    sc: &Scenario,
    opts: &crate::montecarlo::RunOptions,
) -> Vec<crate::scenario::overrides::Change> {
    use crate::scenario::{overrides::option, param::fmt_num};
    let mut changes = Vec::new();
    changes.extend(option(
        "effect_scale",
        fmt_num(opts.effect_scale),
        fmt_num(sc.sim.effect_scale),
    ));
    if !opts.psa {
        changes.extend(option("psa", "nej / no".into(), "ja / yes".into()));
    }
    changes.extend(option(
        "seed",
        opts.seed.to_string(),
        sc.sim.seed.to_string(),
    ));
    changes.extend(option(
        "replications",
        opts.replications.to_string(),
        sc.sim.replications.to_string(),
    ));
    changes
}

/// Build manifest.json.
pub fn manifest(sc: &Scenario, res: &Results, info: &RunInfo) -> Value {
    json!({
        "ressim_version": env!("CARGO_PKG_VERSION"),
        "scenario": sc.name,
        "scenario_files": sc.files,
        "scenario_sha256": sc.sha256,
        "seed": res.options.seed,
        "replications": res.replications(),
        "threads": res.threads_used,
        "psa": res.options.psa,
        "effect_scale": res.options.effect_scale,
        "random_generators": "ChaCha8 (rand_chacha 0.10) per (seed, parameter path) with the replication as stream; SplitMix64 streams per (replication, citizen, purpose) for citizen synthesis; SplitMix64 counter-based uniforms per (replication, citizen, cycle, event name) for monthly draws",
        "wall_time_seconds": (info.wall_time_seconds * 1000.0).round() / 1000.0,
        "started_unix": info.started_unix,
        "command_line": info.command_line,
        "target": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        "changes": info.changes.iter().map(|c| json!({
            "key": c.key,
            "value": c.value,
            "scenario_value": c.scenario_value,
            "text_da": c.text(true),
            "text_en": c.text(false),
        })).collect::<Vec<_>>(),
    })
}
