//! Trial power: how often a randomised trial of a given size would detect the effect the
//! scenario assumes.
//!
//! # The simulated trial
//!
//! The trial is the arm compared with control (`treatment`, or the first arm after control):
//! every starter whose entry cycle lies in the arm's offer window is randomised — with the
//! per-citizen uniform the engine already uses — to the programme (a *participant*, with
//! probability `offer_share`) or not (a *non-participant*, who follows the ordinary effort, as in
//! control). Only that arm is simulated; the comparison is participants against
//! non-participants within it, which is what a trial observes. Services with capacity work as in
//! `ressim run`: a larger trial competes for the same staff, so the effect per participant can
//! shrink as the trial grows (the report says per size where capacity binds).
//!
//! A trial of size `n` keeps the scenario's **inflow shape**: the starters per cycle inside the
//! offer window, scaled to `n` by the largest-remainder method (a closed cohort stays closed).
//! Citizens draw their attributes and start states from the scenario's distributions. Each
//! trial is one replication index: its parameters are drawn with probabilistic analysis on
//! (as `ressim run` does), so power is averaged over the parameter uncertainty (sometimes
//! called *assurance*). Trial `r` uses the same replication index at every size and effect
//! scale (common random numbers), so the curves are smooth.
//!
//! # Follow-up and outcomes
//!
//! Each citizen is followed for `follow_up` months from their own entry (the simulation runs
//! long enough for the last starter). Outcomes come from the outcome flags of the course states
//! (`self_supporting`, `disability_pension`, `on_benefits`, `employed`; docs/scenario.md,
//! "Trial power"):
//!
//! * `self_supporting` — share in a `self_supporting` state at the end of follow-up; tested with
//!   the two-proportion z-test with pooled variance;
//! * `pension` — share in a `disability_pension` state at the end of follow-up; z-test;
//! * `benefit_months` — months in `on_benefits` states during follow-up; Welch's t-test;
//! * `employment_months` — months in `employed` states during follow-up; Welch's t-test.
//!
//! A month counts as spent in a state when the citizen is in it at the end of the month.
//! Tests are two-sided at level `alpha`. Power is the share of trials that reject, with the
//! Wilson score 95 % interval for a binomial proportion.
//!
//! # Sizes for 80 % power and the minimum detectable effect
//!
//! The size for 80 % power interpolates between the two searched sizes around the first
//! crossing of 80 %, linearly in Φ⁻¹(power) against √size (the normal approximation makes that
//! relation a straight line). The minimum detectable effect (MDE) at the scenario's own size is
//! the effect scale (every hazard ratio HR becomes HR^scale) at which power reaches 80 %: the
//! power is simulated at scales 1, 2, 4, 8, 10 until every outcome reaches 80 %, then once more
//! per outcome between the bracketing scales, and interpolated in the same way (power at scale
//! 0 is `alpha`). The MDE is also given in the outcome's unit: the mean effect interpolated at
//! that scale.

use crate::engine::compile::compile_arm;
use crate::error::{Error, Result};
use crate::montecarlo::Results;
use crate::report::format::Lang;
use crate::scenario::{COURSE, OutcomeFlags, Scenario, ServiceKind};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

mod report;
mod stats_tests;
mod trial;

/// The longest default follow-up of a trial, in months: six years, a trial's evaluation
/// period. A lifetime horizon is for the business case; a trial reports long before it ends.
pub const DEFAULT_MAX_FOLLOW_UP_MONTHS: u32 = 72;

pub use report::*;
pub use stats_tests::*;
pub use trial::*;

/// Power the size search and the MDE aim at.
pub const TARGET_POWER: f64 = 0.8;
/// The largest effect scale the MDE search tries (as `--effect-scale`).
pub const MAX_SCALE: f64 = 10.0;
/// Utilisation from which a service counts as binding.
pub const BINDING_UTILISATION: f64 = 0.95;

/// The outcomes; their names on the command line are in [`crate::args`].
pub use crate::args::Outcome;

/// What each outcome means for the trial (its name and parsing are argument syntax, in
/// [`crate::args`]).
impl Outcome {
    /// A share of citizens (z-test) rather than months per citizen (Welch's t-test).
    pub fn is_share(self) -> bool {
        matches!(self, Outcome::SelfSupporting | Outcome::Pension)
    }

    /// The course-state key that defines the outcome.
    pub fn flag_key(self) -> &'static str {
        match self {
            Outcome::SelfSupporting => "self_supporting",
            Outcome::Pension => "disability_pension",
            Outcome::BenefitMonths => "on_benefits",
            Outcome::EmploymentMonths => "employed",
        }
    }

    /// Whether a state with these flags counts for the outcome.
    pub fn flagged(self, f: &OutcomeFlags) -> bool {
        match self {
            Outcome::SelfSupporting => f.self_supporting,
            Outcome::Pension => f.disability_pension,
            Outcome::BenefitMonths => f.on_benefits,
            Outcome::EmploymentMonths => f.employed,
        }
    }

    /// The planned test.
    pub fn test_name(self) -> &'static str {
        if self.is_share() {
            "two-proportion z-test (pooled variance)"
        } else {
            "Welch t-test"
        }
    }

    /// The planned test in words, in `lang` (power.json keeps [`Outcome::test_name`]).
    pub fn test_label(self, lang: Lang) -> &'static str {
        match (self.is_share(), lang) {
            (true, Lang::Da) => "z-test for to andele (samlet varians)",
            (false, Lang::Da) => "Welchs t-test",
            (_, Lang::En) => self.test_name(),
        }
    }

    /// The outcome in words for reports and the terminal, in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Outcome::SelfSupporting, Lang::Da) => "selvforsørgende",
            (Outcome::Pension, Lang::Da) => "førtidspension",
            (Outcome::BenefitMonths, Lang::Da) => "måneder på ydelse",
            (Outcome::EmploymentMonths, Lang::Da) => "måneder i beskæftigelse",
            (Outcome::SelfSupporting, Lang::En) => "self-supporting",
            (Outcome::Pension, Lang::En) => "disability pension",
            (Outcome::BenefitMonths, Lang::En) => "months on benefits",
            (Outcome::EmploymentMonths, Lang::En) => "months employed",
        }
    }

    /// Unit of the effect.
    pub fn unit(self) -> &'static str {
        if self.is_share() { "share" } else { "months" }
    }
}

/// How to run the power analysis.
#[derive(Debug, Clone)]
pub struct PowerOptions {
    /// Trial sizes (citizens randomised), increasing.
    pub sizes: Vec<usize>,
    /// Follow-up in months from each citizen's entry; None: the scenario's horizon in months.
    pub follow_up_months: Option<u32>,
    /// Two-sided significance level.
    pub alpha: f64,
    /// Simulated trials per size.
    pub trials: u32,
    /// Outcomes to test, in report order.
    pub outcomes: Vec<Outcome>,
    /// Every hazard ratio HR becomes HR^effect_scale (0: no effect).
    pub effect_scale: f64,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Draw uncertain parameters per trial.
    pub psa: bool,
    /// Search the minimum detectable effect at the scenario's own size.
    pub mde: bool,
    /// Scale the staff of every service with capacity with the trial size (FTE × size ÷ the
    /// scenario's own size), instead of keeping the scenario's staff for every size.
    pub scale_staff: bool,
}

impl PowerOptions {
    /// The defaults of `ressim power` for a scenario.
    pub fn from_scenario(sc: &Scenario) -> PowerOptions {
        PowerOptions {
            sizes: vec![200, 400, 800, 1600],
            follow_up_months: None,
            alpha: 0.05,
            trials: 1000,
            outcomes: Outcome::ALL.to_vec(),
            effect_scale: 1.0,
            seed: sc.sim.seed,
            threads: 0,
            psa: true,
            mde: true,
            scale_staff: false,
        }
    }
}

/// The trial as derived from the scenario.
#[derive(Debug, Clone)]
pub struct Design {
    /// The arm whose participants are compared with its non-participants.
    pub arm: usize,
    /// Follow-up in months.
    pub follow_up_months: u32,
    /// Follow-up in cycles.
    pub follow_up_cycles: u32,
    /// Starters per cycle inside the offer window, by cycle (the inflow shape).
    pub shape: Vec<(u32, u32)>,
    /// The scenario's own trial size: its starters inside the offer window.
    pub scenario_size: usize,
    /// Central value of the arm's offer share.
    pub offer_share: f64,
}

/// Derive the trial from the scenario and check that it can be run.
pub fn design(sc: &Scenario, opts: &PowerOptions) -> Result<Design> {
    if sc.arms.len() < 2 {
        return Err(Error::Usage(
            "a trial needs an arm besides `control` whose programme is offered to a share of \
             the starters"
                .into(),
        ));
    }
    let arm = Results::focus_arm(sc);
    let a = &sc.arms[arm];
    let offer_share = sc.params[a.offer_share].param.central();
    if !(offer_share > 0.0 && offer_share < 1.0) {
        return Err(Error::Usage(format!(
            "arm `{}` offers its programme to {} of the starters: a randomised trial needs an \
             `offer_share` strictly between 0 and 1",
            a.id, offer_share
        )));
    }
    let cm = sc.sim.cycle_months;
    let follow_up_months = opts
        .follow_up_months
        .unwrap_or(sc.sim.horizon_months().min(DEFAULT_MAX_FOLLOW_UP_MONTHS));
    if follow_up_months == 0 || !follow_up_months.is_multiple_of(cm) {
        return Err(Error::Usage(format!(
            "--follow-up {follow_up_months}: the scenario moves in cycles of {cm} months, so \
             the follow-up must be a positive multiple of {cm} months"
        )));
    }
    let shape: Vec<(u32, u32)> = sc
        .cohort
        .inflow
        .iter()
        .enumerate()
        .map(|(c, &k)| (c as u32, k))
        .filter(|&(c, k)| k > 0 && c >= a.offer_from && c <= a.offer_to)
        .collect();
    let scenario_size: usize = shape.iter().map(|&(_, k)| k as usize).sum();
    if scenario_size == 0 {
        return Err(Error::Usage(format!(
            "arm `{}` offers its programme to starters of cycles {}–{}, but nobody starts then; \
             the trial has no citizens",
            a.id, a.offer_from, a.offer_to
        )));
    }
    for &o in &opts.outcomes {
        if !sc.chains[COURSE].states.iter().any(|s| o.flagged(&s.flags)) {
            return Err(Error::Usage(format!(
                "outcome `{}` needs a course state with `{} = true`; the scenario has none \
                 (see docs/scenario.md, \"Trial power\")",
                o.id(),
                o.flag_key()
            )));
        }
    }
    if opts.outcomes.is_empty() {
        return Err(Error::Usage("no outcome to test".into()));
    }
    Ok(Design {
        arm,
        follow_up_months,
        follow_up_cycles: follow_up_months / cm,
        shape,
        scenario_size,
        offer_share,
    })
}

/// The outcomes the scenario can measure (a course state carries the outcome's flag), in
/// report order.
pub fn measurable(sc: &Scenario) -> Vec<Outcome> {
    Outcome::ALL
        .into_iter()
        .filter(|o| sc.chains[COURSE].states.iter().any(|s| o.flagged(&s.flags)))
        .collect()
}

/// Power and effect of one outcome at one size and effect scale.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomePower {
    /// The outcome.
    pub outcome: Outcome,
    /// Trials that rejected.
    pub rejections: u32,
    /// Share of trials that rejected.
    pub power: f64,
    /// Wilson 95 % interval of the power.
    pub power_lo: f64,
    /// Wilson 95 % interval of the power.
    pub power_hi: f64,
    /// Mean over trials of participants' mean − non-participants' mean (a share or months).
    pub effect_mean: f64,
    /// Mean over trials of the non-participants' mean.
    pub control_mean: f64,
}

/// How a service with capacity fared in the trials of one size.
#[derive(Debug, Clone, PartialEq)]
pub struct CapacityUse {
    /// Service id.
    pub service: String,
    /// How its capacity is used.
    pub kind: ServiceKind,
    /// Mean drawn FTE.
    pub fte_mean: f64,
    /// Used ÷ capacity over the months it is staffed, over all trials.
    pub utilisation: f64,
    /// The longest queue in any month of any trial (for shared services: demand above
    /// capacity, which dilutes the effect).
    pub max_queue: f64,
    /// Share of trials with a queue in some month.
    pub trials_with_queue: f64,
    /// Capacity binds: utilisation ≥ 0.95 or a queue in at least half of the trials.
    pub binds: bool,
}

/// All trials of one size at one effect scale.
#[derive(Debug, Clone, PartialEq)]
pub struct SizeResult {
    /// Citizens randomised per trial.
    pub size: usize,
    /// Effect scale.
    pub scale: f64,
    /// Trials.
    pub trials: u32,
    /// Per outcome, in the options' order.
    pub outcomes: Vec<OutcomePower>,
    /// Per service with capacity.
    pub capacity: Vec<CapacityUse>,
    /// Mean participants per trial.
    pub participants_mean: f64,
}

/// The whole power analysis.
#[derive(Debug, Clone)]
pub struct PowerReport {
    /// The trial.
    pub design: Design,
    /// Options used.
    pub options: PowerOptions,
    /// Worker threads used.
    pub threads_used: usize,
    /// Per size (increasing), at the options' effect scale.
    pub sizes: Vec<SizeResult>,
    /// Per outcome: the size for 80 % power.
    pub size_for_80: Vec<Option<SizeFor>>,
    /// The MDE search, when asked for.
    pub mde: Option<MdeSearch>,
}

/// What the power analysis is simulating, for its progress line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    /// The trials of one size at the options' effect scale.
    Size(usize),
    /// The MDE search: the trials of the scenario's own size at one effect scale.
    Mde {
        /// Trial size.
        size: usize,
        /// Effect scale.
        scale: f64,
    },
}

impl Stage {
    /// The stage in words, in `lang`.
    pub fn text(self, lang: Lang) -> String {
        match (self, lang) {
            (Stage::Size(n), Lang::Da) => format!("størrelse {n}"),
            (Stage::Size(n), Lang::En) => format!("size {n}"),
            (Stage::Mde { size, scale }, Lang::Da) => {
                format!("MDE-søgning, størrelse {size}, virkningsskala {scale}")
            }
            (Stage::Mde { size, scale }, Lang::En) => {
                format!("MDE search, size {size}, effect scale {scale}")
            }
        }
    }
}

/// Run the power analysis. `progress(stage, done, total)` is called after each batch of
/// trials.
pub fn run(
    sc: &Scenario,
    opts: &PowerOptions,
    mut progress: impl FnMut(Stage, u32, u32),
) -> Result<PowerReport> {
    let d = design(sc, opts)?;
    if opts.sizes.is_empty() {
        return Err(Error::Usage("give at least one trial size".into()));
    }
    let pool = crate::montecarlo::worker_pool(opts.threads)?;
    let mut sizes = Vec::with_capacity(opts.sizes.len());
    for &n in &opts.sizes {
        sizes.push(evaluate(
            sc,
            &d,
            opts,
            n,
            opts.effect_scale,
            &pool,
            &mut |a, b| progress(Stage::Size(n), a, b),
        )?);
    }
    let size_for_80 = (0..opts.outcomes.len())
        .map(|k| {
            let pts: Vec<(usize, f64)> = sizes
                .iter()
                .map(|s| (s.size, s.outcomes[k].power))
                .collect();
            size_for(&pts, TARGET_POWER)
        })
        .collect();
    let mde = if opts.mde {
        Some(mde_search(sc, &d, opts, &pool, &mut progress)?)
    } else {
        None
    };
    Ok(PowerReport {
        design: d,
        options: opts.clone(),
        threads_used: pool.current_num_threads(),
        sizes,
        size_for_80,
        mde,
    })
}

/// How `ressim power` was invoked, beyond the analysis options: where to write, whether to
/// talk, which outcomes were left out, and when it started (for the manifest).
#[derive(Debug, Clone)]
pub struct CommandOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Print nothing but errors.
    pub quiet: bool,
    /// Outcomes left out because no course state carries their flag (warned about).
    pub skipped: Vec<Outcome>,
    /// When the command started.
    pub started: Instant,
    /// When the command started, in seconds since the Unix epoch.
    pub started_unix: u64,
    /// Language of the terminal texts, the chart and report.html.
    pub lang: Lang,
}

/// `ressim power`: run the analysis and write power.csv, capacity.csv, power.json, the chart
/// and manifest.json.
pub fn command(sc: &Scenario, opts: &PowerOptions, c: &CommandOptions) -> Result<()> {
    let d = design(sc, opts)?;
    let lang = c.lang;
    if !c.quiet {
        for o in &c.skipped {
            crate::errln!(
                "{}",
                match lang {
                    Lang::Da => format!(
                        "advarsel: udfaldet `{}` er udeladt: ingen forløbstilstand har `{} = true`",
                        o.id(),
                        o.flag_key()
                    ),
                    Lang::En => format!(
                        "warning: outcome `{}` is left out: no course state has `{} = true`",
                        o.id(),
                        o.flag_key()
                    ),
                }
            );
        }
        let sizes = opts
            .sizes
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let mde = if opts.mde {
            format!(
                "{} n = {}",
                lang.pick(", derefter MDE ved", ", then the MDE at"),
                d.scenario_size
            )
        } else {
            String::new()
        };
        match lang {
            Lang::Da => crate::errln!(
                "ressim: forsøgets styrke for {} — størrelser {sizes}, {} forsøg hver, opfølgning {} måneder{mde}",
                sc.name,
                opts.trials,
                d.follow_up_months
            ),
            Lang::En => crate::errln!(
                "ressim: trial power of {} — sizes {sizes}, {} trials each, follow-up {} months{mde}",
                sc.name,
                opts.trials,
                d.follow_up_months
            ),
        }
    }
    let show = !c.quiet && std::io::stderr().is_terminal();
    let trial = lang.pick("forsøg", "trial");
    let rep = run(sc, opts, |what, done, total| {
        if show {
            crate::err!("\r  {}: {trial} {done}/{total}      ", what.text(lang));
            if done == total {
                crate::errln!();
            }
        }
    })?;
    let dir = write(sc, opts, &rep, c)?;
    if !c.quiet {
        crate::out!("{}", summary_text(sc, &rep, lang))?;
        crate::outln!("{}", crate::report::terminal::results_in(&dir, lang))?;
    }
    Ok(())
}
