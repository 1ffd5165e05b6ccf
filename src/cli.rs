//! The command line: `ressim run`, `ressim check`.

// The doc comments below are the commands' help text as the user reads it, so placeholders
// such as `outputs/<scenario name>` stay as written rather than in Markdown code spans.
#![allow(rustdoc::invalid_html_tags)]

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// ressim — microsimulation and business case for Danish ressourceforløb.
#[derive(Debug, Parser)]
#[command(name = "ressim", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write results (summary.json, CSV tables, manifest.json).
    Run(RunArgs),
    /// Check a scenario and print what it contains, without running it.
    Check(CheckArgs),
    /// Run a grid of staffing levels on the same citizens and random numbers (sweep.csv).
    Sweep(SweepArgs),
    /// One-way sensitivity of the NPV to every uncertain parameter (tornado.csv and chart),
    /// and the NPV against the effect scale (effect_curve.csv and chart).
    Sensitivity(SensitivityArgs),
    /// Power of the randomised trial by size (power.csv, capacity.csv, power.json and chart),
    /// the size for 80 % power and the minimum detectable effect.
    Power(PowerArgs),
    /// A local what-if page: change staffing and assumptions, see the business case move,
    /// download the variant (prints http://127.0.0.1:PORT/?token=…; opens nothing).
    Serve(ServeArgs),
    /// Run several scenarios (the shipped library when none is named) and compare them side by
    /// side (compare.csv and compare.html, each scenario's own outputs beside them).
    Compare(CompareArgs),
    /// Write a starting point for a new programme: a short scenario that extends the national
    /// base, with every value to decide marked (check refuses it until they are filled in).
    Init(InitArgs),
}

/// `ressim init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The scenario file to write, e.g. my-programme.toml.
    pub file: PathBuf,
    /// Fill in a worked single-service mentor programme instead of marking the values open.
    #[arg(long)]
    pub example: bool,
    /// Overwrite the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `ressim compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files (TOML). Without any, every shipped scenario is compared.
    pub scenarios: Vec<PathBuf>,
    /// Output folder [default: outputs/compare].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
    /// Language of the table and the reports (default Danish).
    #[arg(long, value_enum, default_value = "da")]
    pub lang: Lang,
    /// Skip the search for the break-even effect (twelve more effect scales per scenario).
    #[arg(long)]
    pub no_break_even: bool,
    /// Print nothing but errors.
    #[arg(long)]
    pub quiet: bool,
}

/// `ressim serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Folder whose scenario files (*.toml) are offered besides the shipped scenario.
    pub dir: Option<PathBuf>,
    /// Address to listen on; anything but 127.0.0.1 opens the page to the network on purpose.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Port [default: 8017, or a free one when it is taken].
    #[arg(long)]
    pub port: Option<u16>,
    /// Replications of the quick first result shown while the full run goes on.
    #[arg(long, value_name = "N", default_value_t = crate::args::QUICK_REPLICATIONS, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub quick: u32,
    /// The most replications one run from the page may ask for.
    #[arg(long, value_name = "N", default_value_t = crate::args::MAX_REPLICATIONS, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_replications: u32,
    /// Worker threads per run [default: one per core].
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

/// `ressim power`.
#[derive(Debug, Args)]
pub struct PowerArgs {
    /// Scenario file (TOML). Without it, the built-in Copenhagen scenario is used.
    pub scenario: Option<PathBuf>,
    /// Language of the terminal texts and reports.
    #[command(flatten)]
    pub lang: LangArg,
    /// Trial sizes (citizens randomised), comma-separated [default: 200,400,800,1600].
    #[arg(long, value_name = "N,N,...", value_parser = crate::args::parse_sizes)]
    pub sizes: Option<::std::vec::Vec<usize>>,
    /// Follow-up in months from each citizen's entry [default: the scenario's horizon, at most
    /// 72 months].
    #[arg(long, value_name = "MONTHS", value_parser = clap::value_parser!(u32).range(1..=1200))]
    pub follow_up: Option<u32>,
    /// Two-sided significance level of the planned tests.
    #[arg(long, value_name = "A", default_value = "0.05", value_parser = crate::args::parse_alpha)]
    pub alpha: f64,
    /// Simulated trials per size.
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub trials: u32,
    /// Outcome to test: self_supporting, pension, benefit_months, employment_months; repeat or
    /// give a comma-separated list [default: every outcome the scenario's states define].
    #[arg(long, value_name = "NAME", value_parser = crate::args::parse_outcomes)]
    pub outcome: Vec<::std::vec::Vec<crate::args::Outcome>>,
    /// Scale every effect: a hazard ratio HR becomes HR^X (0 = no effect: power = type I error)
    /// [default: the scenario's `effect_scale`, usually 1].
    #[arg(long, value_name = "X", value_parser = parse_scale)]
    pub effect_scale: Option<f64>,
    /// Seed and threads.
    #[command(flatten)]
    pub seed_threads: SeedThreads,
    /// Fix every uncertain parameter at its central value instead of drawing it per trial.
    #[arg(long)]
    pub no_psa: bool,
    /// Skip the search for the minimum detectable effect at the scenario's own size.
    #[arg(long)]
    pub no_mde: bool,
    /// Scale the staff of services with capacity with the trial size (FTE × size ÷ the
    /// scenario's own trial size) instead of keeping the scenario's staff at every size.
    #[arg(long)]
    pub scale_staff: bool,
    /// Output folder [default: outputs/<scenario name>-power].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[command(flatten)]
    pub quiet: Quiet,
}

/// `--seed` and `--threads`: shared by every simulating command (within [`Common`] or alone).
#[derive(Debug, Args)]
pub struct SeedThreads {
    /// Master seed [default: the scenario's].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Worker threads [default: one per core]. Results do not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

/// `--lang da|en` with the help most commands share (`run` and `compare` word theirs
/// differently and keep their own).
#[derive(Debug, Args)]
pub struct LangArg {
    /// Language of the terminal texts and reports (default Danish).
    #[arg(long, value_enum, default_value = "da")]
    pub lang: Lang,
}

/// `--quiet` / `-q`.
#[derive(Debug, Args)]
pub struct Quiet {
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Replications, seed and threads: the options every simulating command shares.
#[derive(Debug, Args)]
pub struct Common {
    /// Replications (per run, grid point or effect scale) [default: the scenario's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=16_777_216))]
    pub replications: Option<u32>,
    /// Seed and threads.
    #[command(flatten)]
    pub seed_threads: SeedThreads,
}

/// `ressim sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML). Without it, the built-in Copenhagen scenario is used.
    pub scenario: Option<PathBuf>,
    /// Language of the terminal texts and reports.
    #[command(flatten)]
    pub lang: LangArg,
    /// Perspective of the NPV.
    #[arg(long, default_value = "municipality", value_parser = parse_perspective)]
    pub perspective: String,
    /// Output folder [default: outputs/<scenario name>-sensitivity].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replications, seed and threads.
    #[command(flatten)]
    pub common: Common,
    /// Print nothing but errors.
    #[command(flatten)]
    pub quiet: Quiet,
}

/// `ressim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Scenario file (TOML). Without it, the built-in Copenhagen scenario is used.
    pub scenario: Option<PathBuf>,
    /// Language of the terminal texts and reports.
    #[command(flatten)]
    pub lang: LangArg,
    /// A service and its FTE range FROM:TO:STEP, e.g. `mentors=0:40:5`; repeat for a grid.
    #[arg(long = "vary", value_name = "SERVICE=FROM:TO:STEP", required = true, value_parser = crate::args::parse_vary)]
    pub vary: Vec<crate::args::Vary>,
    /// Perspective whose NPV picks the best staffing.
    #[arg(long, default_value = "municipality", value_parser = parse_perspective)]
    pub perspective: String,
    /// Output folder [default: outputs/<scenario name>-sweep].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replications, seed and threads.
    #[command(flatten)]
    pub common: Common,
    /// Fix every uncertain parameter at its central value.
    #[arg(long)]
    pub no_psa: bool,
    /// Print nothing but errors.
    #[command(flatten)]
    pub quiet: Quiet,
}

fn parse_perspective(s: &str) -> Result<String, String> {
    if crate::economics::business_case::PERSPECTIVES.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!(
            "`{s}` is not a perspective; allowed: {}",
            crate::economics::business_case::PERSPECTIVES.join(", ")
        ))
    }
}

/// Language of terminal texts and reports: the report's own language type.
pub use crate::report::format::Lang;

/// `ressim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML). Without it, the built-in Copenhagen scenario runs.
    pub scenario: Option<PathBuf>,
    /// Output folder [default: outputs/<scenario name>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replications, seed and threads.
    #[command(flatten)]
    pub common: Common,
    /// Language of the terminal summary.
    #[arg(long, value_enum, default_value = "da")]
    pub lang: Lang,
    /// Fix every uncertain parameter at its central value (no probabilistic analysis).
    #[arg(long)]
    pub no_psa: bool,
    /// Scale every arm effect: a hazard ratio HR becomes HR^X (0 = no effect) [default: the
    /// scenario's `effect_scale`, usually 1].
    #[arg(long, value_name = "X", value_parser = parse_scale)]
    pub effect_scale: Option<f64>,
    /// Override a service's staffing for this run, e.g. `--staff mentors=15`; repeatable.
    #[arg(long = "staff", value_name = "SERVICE=FTE", value_parser = crate::args::parse_staff)]
    pub staff: Vec<(String, f64)>,
    /// Skip the search for the break-even effect (twelve more effect scales).
    #[arg(long)]
    pub no_break_even: bool,
    /// Also write trace.csv: every month of the first N citizens of replication 0, in every
    /// arm (state, housing level, attributes); N at most 100000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub trace: Option<u32>,
    /// Print nothing but errors.
    #[command(flatten)]
    pub quiet: Quiet,
}

/// `ressim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario file (TOML). Without it, the built-in scenario is checked.
    pub scenario: Option<PathBuf>,
    /// Language of the terminal texts and reports.
    #[command(flatten)]
    pub lang: LangArg,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number; give e.g. 0, 0.5 or 1"))?;
    if !(0.0..=10.0).contains(&v) {
        return Err(format!("{v} is outside 0 … 10"));
    }
    Ok(v)
}
