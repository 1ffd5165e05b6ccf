//! What each subcommand does, on top of the library: one module per command, and here the
//! pieces they share (loading a scenario, run options from the command line, simulating and
//! writing a run, the scenario's warnings).
//!
//! Imports flow one way: `cli` → `commands` → the library (`analysis`, `report`, `serve`,
//! `montecarlo`, `scenario`, …); nothing below imports `commands`.

mod check;
mod compare;
mod init;
mod power;
mod run;
mod sensitivity;
mod serve;
mod sweep;

use crate::cli::{Cli, Command, Lang};
use crate::error::Result;
use crate::montecarlo::{self, RunOptions};
use crate::report::{self, RunInfo};
use crate::scenario::{self, Scenario};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Run a parsed command line.
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Check(a) => check::check(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::Sensitivity(a) => sensitivity::sensitivity(a),
        Command::Power(a) => power::power(a),
        Command::Serve(a) => serve::serve(a),
        Command::Compare(a) => compare::compare(a),
        Command::Init(a) => init::init(a),
    }
}

/// What a run produced: its results, the break-even effect per perspective (when searched)
/// and the folder written.
pub(super) type Simulated = (montecarlo::Results, Option<[Option<f64>; 8]>, PathBuf);

/// Seconds since the Unix epoch now (0 if the clock is before it), for the manifests.
pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The output folder: the one given with `--out`, or `outputs/<scenario name><suffix>`.
pub(super) fn out_dir(out: Option<PathBuf>, sc: &Scenario, suffix: &str) -> PathBuf {
    out.unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}{suffix}", sc.name)))
}

/// Write `manifest.json` of a command that runs the scenario many times (sweep, sensitivity)
/// into the staged folder: version, scenario, SHA-256, seed and replications, then the
/// command's `own` keys, the wall time since `started`, `started_unix` when given and the
/// command line — pretty JSON with a final newline.
pub(super) fn write_manifest(
    st: &report::output::Staging,
    sc: &Scenario,
    opts: &RunOptions,
    own: serde_json::Value,
    started: Instant,
    started_unix: Option<u64>,
) -> Result<()> {
    let mut manifest = serde_json::json!({
        "ressim_version": env!("CARGO_PKG_VERSION"),
        "scenario": sc.name,
        "scenario_sha256": sc.sha256,
        "seed": opts.seed,
        "replications": opts.replications,
    });
    let keys = manifest.as_object_mut().expect("a JSON object");
    if let serde_json::Value::Object(own) = own {
        keys.extend(own);
    }
    let wall = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    keys.insert("wall_time_seconds".into(), wall.into());
    if let Some(u) = started_unix {
        keys.insert("started_unix".into(), u.into());
    }
    keys.insert(
        "command_line".into(),
        std::env::args().collect::<Vec<_>>().into(),
    );
    let mut bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| crate::Error::Runtime(e.to_string()))?;
    bytes.push(b'\n');
    st.write("manifest.json", &bytes)
}

/// Run options from the scenario's defaults and the command line's overrides.
pub(super) fn options(sc: &Scenario, common: &crate::cli::Common) -> RunOptions {
    let mut opts = RunOptions::from_scenario(sc);
    if let Some(r) = common.replications {
        opts.replications = r;
    }
    if let Some(s) = common.seed_threads.seed {
        opts.seed = s;
    }
    opts.threads = common.seed_threads.threads.map(|t| t as usize).unwrap_or(0);
    opts
}

/// Load the named scenario or the built-in one.
pub fn load(path: Option<&Path>) -> Result<Scenario> {
    match path {
        Some(p) => scenario::load(p),
        None => scenario::load_default(),
    }
}

/// Run a scenario, search its break-even effect when asked, and write its outputs to `out`;
/// `info.wall_time_seconds` is filled in from `started`.
pub(super) fn simulate(
    sc: &Scenario,
    opts: &RunOptions,
    out: &Path,
    mut info: RunInfo,
    started: Instant,
    break_even: bool,
    lang: Lang,
) -> Result<Simulated> {
    let (res, break_even) = if break_even {
        if opts.progress {
            let more = crate::analysis::break_even::GRID.len() - 1;
            match lang {
                Lang::Da => crate::errln!(
                    "ressim: søger også den virkning, hvor investeringen balancerer ({more} virkningsstørrelser mere i hver replikation)"
                ),
                Lang::En => {
                    crate::errln!(
                        "ressim: searching the break-even effect as well ({more} more effect scales in each replication)"
                    )
                }
            }
        }
        let (res, found) = crate::analysis::break_even::run_and_search(sc, opts)?;
        (res, Some(found))
    } else {
        (montecarlo::run(sc, opts)?, None)
    };
    info.wall_time_seconds = started.elapsed().as_secs_f64();
    let dir = report::write_run(sc, &res, out, &info, break_even.as_ref(), lang)?;
    Ok((res, break_even, dir))
}

/// The scenario's warnings (implausible values, nothing to save or invest) on standard error.
pub(super) fn print_scenario_warnings(sc: &Scenario, lang: Lang) {
    for w in &sc.warnings {
        crate::errln!("{}: {w}", lang.pick("advarsel", "warning"));
    }
}
