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
        "random_generators": "ChaCha8 (rand_chacha 0.10) per replication × unit × purpose; SplitMix64 counter streams per replication × citizen for monthly draws",
        "wall_time_seconds": (info.wall_time_seconds * 1000.0).round() / 1000.0,
        "started_unix": info.started_unix,
        "command_line": info.command_line,
        "target": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
    })
}
