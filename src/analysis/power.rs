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

use crate::cli::PowerArgs;
use crate::cohort;
use crate::engine::compile::compile_arm;
use crate::engine::{self, Layout, Observer};
use crate::error::{Error, Result};
use crate::montecarlo::{self, Results};
use crate::report::charts::{self, Chart};
use crate::scenario::{COURSE, OutcomeFlags, Scenario, ServiceKind};
use plotters::coord::Shift;
use plotters::prelude::*;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use std::fmt::Write;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Power the size search and the MDE aim at.
pub const TARGET_POWER: f64 = 0.8;
/// The largest effect scale the MDE search tries (as `--effect-scale`).
pub const MAX_SCALE: f64 = 10.0;
/// Utilisation from which a service counts as binding.
pub const BINDING_UTILISATION: f64 = 0.95;

/// A trial outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// In a `self_supporting` state at the end of follow-up.
    SelfSupporting,
    /// In a `disability_pension` state at the end of follow-up.
    Pension,
    /// Months in `on_benefits` states during follow-up.
    BenefitMonths,
    /// Months in `employed` states during follow-up.
    EmploymentMonths,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 4] = [
        Outcome::SelfSupporting,
        Outcome::Pension,
        Outcome::BenefitMonths,
        Outcome::EmploymentMonths,
    ];

    /// The outcome's name on the command line and in power.csv.
    pub fn id(self) -> &'static str {
        match self {
            Outcome::SelfSupporting => "self_supporting",
            Outcome::Pension => "pension",
            Outcome::BenefitMonths => "benefit_months",
            Outcome::EmploymentMonths => "employment_months",
        }
    }

    /// The outcome named `s`.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.id() == s)
    }

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

    /// Unit of the effect.
    pub fn unit(self) -> &'static str {
        if self.is_share() { "share" } else { "months" }
    }
}

/// Parse `--outcome`: one name or a comma-separated list.
pub fn parse_outcomes(s: &str) -> std::result::Result<Vec<Outcome>, String> {
    s.split(',')
        .map(|t| {
            let t = t.trim();
            Outcome::parse(t).ok_or_else(|| {
                format!(
                    "unknown outcome `{t}`; allowed: {}",
                    Outcome::ALL.map(|o| o.id()).join(", ")
                )
            })
        })
        .collect()
}

/// The largest trial size accepted.
pub const MAX_SIZE: usize = 1_000_000;

/// Parse `--sizes`: a comma-separated list of trial sizes (citizens randomised), each 2 or
/// more; returned increasing without repeats.
pub fn parse_sizes(s: &str) -> std::result::Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for t in s.split(',') {
        let t = t.trim();
        let v: usize = t.parse().map_err(|_| {
            format!("`{t}` is not a whole number; give sizes such as 200,400,800,1600")
        })?;
        if !(2..=MAX_SIZE).contains(&v) {
            return Err(format!(
                "a trial size must be between 2 and {MAX_SIZE} citizens, got {v}"
            ));
        }
        out.push(v);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Parse `--alpha`: the two-sided significance level, strictly between 0 and 1.
pub fn parse_alpha(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; give e.g. 0.05"))?;
    if !(v > 0.0 && v < 1.0) {
        return Err(format!(
            "the significance level must lie strictly between 0 and 1, got {s}"
        ));
    }
    Ok(v)
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
    let follow_up_months = opts.follow_up_months.unwrap_or(sc.sim.horizon_months());
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

/// Starters per cycle for a trial of `size`: the shape scaled by the largest-remainder method
/// (ties go to the earlier cycle), as a full inflow vector from cycle 0.
pub fn scaled_inflow(shape: &[(u32, u32)], size: usize) -> Vec<u32> {
    let total: u64 = shape.iter().map(|&(_, k)| k as u64).sum();
    let Some(&(last, _)) = shape.last() else {
        return vec![];
    };
    let mut inflow = vec![0u32; last as usize + 1];
    if total == 0 {
        return inflow;
    }
    let mut rem: Vec<(u64, usize)> = Vec::with_capacity(shape.len());
    let mut given = 0u64;
    for (j, &(c, k)) in shape.iter().enumerate() {
        let q = size as u64 * k as u64;
        inflow[c as usize] = (q / total) as u32;
        given += q / total;
        rem.push((q % total, j));
    }
    // Largest remainder first; equal remainders go to the earlier cycle.
    rem.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, j) in rem.iter().take((size as u64 - given) as usize) {
        inflow[shape[j].0 as usize] += 1;
    }
    while inflow.len() > 1 && inflow.last() == Some(&0) {
        inflow.pop();
    }
    inflow
}

/// The scenario of one trial of `size`: the scaled inflow, and a horizon that lets the last
/// starter complete the follow-up.
pub fn trial_scenario(sc: &Scenario, d: &Design, size: usize) -> Scenario {
    let mut t = sc.clone();
    t.cohort.inflow = scaled_inflow(&d.shape, size);
    t.sim.horizon = t.cohort.inflow.len() as u32 - 1 + d.follow_up_cycles;
    t
}

/// Accumulates each citizen's follow-up: months in `on_benefits` and `employed` states and the
/// state at the end of follow-up, measured from the citizen's entry.
struct FollowUp<'a> {
    entry: &'a [u32],
    cycles: u32,
    cycle_months: u32,
    flags: &'a [OutcomeFlags],
    benefit: Vec<u32>,
    employed: Vec<u32>,
    end_state: Vec<u16>,
}

impl Observer for FollowUp<'_> {
    #[inline(always)]
    fn citizen_cycle(&mut self, cycle: u32, citizen: usize, states: [u16; 2]) {
        let since = cycle - self.entry[citizen];
        if since < self.cycles {
            let f = &self.flags[states[COURSE] as usize];
            if f.on_benefits {
                self.benefit[citizen] += self.cycle_months;
            }
            if f.employed {
                self.employed[citizen] += self.cycle_months;
            }
            if since + 1 == self.cycles {
                self.end_state[citizen] = states[COURSE];
            }
        }
    }
}

/// Sums of one group's outcome values.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    n: u64,
    sum: u64,
    sum_sq: u128,
}

impl Sums {
    fn add(&mut self, v: u64) {
        self.n += 1;
        self.sum += v;
        self.sum_sq += (v as u128) * (v as u128);
    }

    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum as f64 / self.n as f64
        }
    }

    /// Sample variance (n − 1 in the denominator), from exact integer sums.
    fn var(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as u128;
        let num = n * self.sum_sq - (self.sum as u128) * (self.sum as u128);
        num as f64 / (n * (n - 1)) as f64
    }
}

/// Two-proportion z-test with pooled variance: does it reject at critical value `z_crit`?
/// (No rejection when a group is empty or nobody / everybody has the outcome.)
pub fn z_test_rejects(x1: u64, n1: u64, x2: u64, n2: u64, z_crit: f64) -> bool {
    if n1 == 0 || n2 == 0 {
        return false;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let var = pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f);
    if var <= 0.0 {
        return false;
    }
    let z = (x1 as f64 / n1f - x2 as f64 / n2f) / var.sqrt();
    z.abs() > z_crit
}

/// Welch's t-test from group means, sample variances and sizes: the two-sided p-value (None
/// when a group has fewer than two citizens; 0 or 1 when both variances are 0).
pub fn welch_p(m1: f64, v1: f64, n1: u64, m2: f64, v2: f64, n2: u64) -> Option<f64> {
    if n1 < 2 || n2 < 2 {
        return None;
    }
    let (a, b) = (v1 / n1 as f64, v2 / n2 as f64);
    let se2 = a + b;
    if se2 <= 0.0 {
        return Some(if m1 == m2 { 1.0 } else { 0.0 });
    }
    let t = (m1 - m2) / se2.sqrt();
    let df = se2 * se2 / (a * a / (n1 - 1) as f64 + b * b / (n2 - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * dist.sf(t.abs())).min(1.0))
}

/// Wilson score interval for `k` successes in `n` trials at normal quantile `z`.
pub fn wilson(k: u32, n: u32, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The standard normal quantile.
fn probit(p: f64) -> f64 {
    // Normal::new(0, 1) cannot fail; the fallback keeps the function total.
    Normal::new(0.0, 1.0)
        .map(|n| n.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// What one simulated trial produced.
#[derive(Debug, Clone)]
struct TrialOut {
    /// Per outcome: rejected.
    reject: Vec<bool>,
    /// Per outcome: participants' mean − non-participants' mean.
    effect: Vec<f64>,
    /// Per outcome: non-participants' mean.
    control: Vec<f64>,
    /// Participants, non-participants.
    groups: [u64; 2],
    /// Per service with capacity: summed capacity, summed use, longest queue, FTE.
    services: Vec<[f64; 4]>,
}

/// Everything fixed for the trials of one size.
struct Prepared<'a> {
    tsc: Scenario,
    /// FTE multiplier of the services with capacity.
    staff_factor: f64,
    lay: Layout,
    design: &'a Design,
    opts: &'a PowerOptions,
    flags: Vec<OutcomeFlags>,
    z_crit: f64,
}

fn run_trial(p: &Prepared, scale: f64, rep: u32) -> Result<TrialOut> {
    let (sc, d, opts) = (&p.tsc, p.design, p.opts);
    let values = montecarlo::draw_params(sc, opts.seed, rep, opts.psa);
    let cit = cohort::synthesize(sc, opts.seed, rep);
    let carm = compile_arm(sc, &values, d.arm, scale).map_err(|e| {
        Error::Runtime(format!(
            "trial {rep}, arm `{}`: {}",
            sc.arms[d.arm].id,
            match e {
                Error::Runtime(m) | Error::Usage(m) => m,
                other => other.to_string(),
            }
        ))
    })?;
    let mut carm = carm;
    // The refusion clock only splits amounts between payers; the trial books no amounts.
    carm.benefit = None;
    if p.staff_factor != 1.0 {
        for s in &mut carm.services {
            s.fte *= p.staff_factor;
            s.capacity *= p.staff_factor;
        }
    }
    let class = engine::classes(&carm, &cit, &vec![0u16; cit.n]);
    let mut fu = FollowUp {
        entry: &cit.entry,
        cycles: d.follow_up_cycles,
        cycle_months: sc.sim.cycle_months,
        flags: &p.flags,
        benefit: vec![0; cit.n],
        employed: vec![0; cit.n],
        end_state: vec![0; cit.n],
    };
    let counts = engine::run_arm(&p.lay, &carm, &cit, &class, opts.seed, rep, &mut fu);
    // Index 0: participants, 1: non-participants.
    let mut sums = vec![[Sums::default(); 2]; opts.outcomes.len()];
    for (i, &cl) in class.iter().enumerate() {
        let g = if cl & 1 == 1 { 0 } else { 1 };
        let end = &p.flags[fu.end_state[i] as usize];
        for (k, o) in opts.outcomes.iter().enumerate() {
            let v = match o {
                Outcome::SelfSupporting | Outcome::Pension => o.flagged(end) as u64,
                Outcome::BenefitMonths => fu.benefit[i] as u64,
                Outcome::EmploymentMonths => fu.employed[i] as u64,
            };
            sums[k][g].add(v);
        }
    }
    let groups = [
        class.iter().filter(|&&c| c & 1 == 1).count() as u64,
        class.iter().filter(|&&c| c & 1 == 0).count() as u64,
    ];
    let mut reject = Vec::with_capacity(sums.len());
    let mut effect = Vec::with_capacity(sums.len());
    let mut control = Vec::with_capacity(sums.len());
    for (k, o) in opts.outcomes.iter().enumerate() {
        let [t, c] = sums[k];
        effect.push(t.mean() - c.mean());
        control.push(c.mean());
        reject.push(if o.is_share() {
            z_test_rejects(t.sum, t.n, c.sum, c.n, p.z_crit)
        } else {
            welch_p(t.mean(), t.var(), t.n, c.mean(), c.var(), c.n)
                .is_some_and(|pv| pv < opts.alpha)
        });
    }
    let n_sv = carm.services.len();
    let mut services = vec![[0.0; 4]; n_sv];
    for (k, s) in carm.services.iter().enumerate() {
        services[k][3] = s.fte;
    }
    for (j, row) in counts.staffing.iter().enumerate() {
        let s = &mut services[j % n_sv.max(1)];
        if row[0] > 0.0 {
            s[0] += row[0];
            s[1] += row[1];
        }
        s[2] = s[2].max(row[2]);
    }
    Ok(TrialOut {
        reject,
        effect,
        control,
        groups,
        services,
    })
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

/// Simulate `opts.trials` trials of `size` at effect `scale` in `pool`, in parallel, folding in
/// trial order. `progress(done, total)` is called after each batch.
fn evaluate(
    sc: &Scenario,
    d: &Design,
    opts: &PowerOptions,
    size: usize,
    scale: f64,
    pool: &rayon::ThreadPool,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<SizeResult> {
    let tsc = trial_scenario(sc, d, size);
    let p = Prepared {
        staff_factor: if opts.scale_staff {
            size as f64 / d.scenario_size as f64
        } else {
            1.0
        },
        lay: montecarlo::layout(&tsc, 2),
        flags: tsc.chains[COURSE].states.iter().map(|s| s.flags).collect(),
        tsc,
        design: d,
        opts,
        z_crit: probit(1.0 - opts.alpha / 2.0),
    };
    let total = opts.trials;
    let batch = (pool.current_num_threads() as u32 * 8).max(16);
    let n_out = opts.outcomes.len();
    let mut rejections = vec![0u32; n_out];
    let mut effect = vec![0.0; n_out];
    let mut control = vec![0.0; n_out];
    let mut participants = 0u64;
    let sv_ids: Vec<(String, ServiceKind)> = sc.arms[d.arm]
        .services
        .iter()
        .filter_map(|s| s.capacity.as_ref().map(|c| (s.id.clone(), c.kind)))
        .collect();
    // Per service: capacity, used, max queue, trials with a queue, FTE sum.
    let mut sv = vec![[0.0f64; 5]; sv_ids.len()];
    let mut done = 0u32;
    while done < total {
        let end = (done + batch).min(total);
        let chunk: Vec<Result<TrialOut>> = pool.install(|| {
            (done..end)
                .into_par_iter()
                .map(|r| run_trial(&p, scale, r))
                .collect()
        });
        for t in chunk {
            let t = t?;
            for k in 0..n_out {
                rejections[k] += t.reject[k] as u32;
                effect[k] += t.effect[k];
                control[k] += t.control[k];
            }
            participants += t.groups[0];
            for (acc, s) in sv.iter_mut().zip(&t.services) {
                acc[0] += s[0];
                acc[1] += s[1];
                acc[2] = acc[2].max(s[2]);
                acc[3] += (s[2] > 0.0) as u32 as f64;
                acc[4] += s[3];
            }
        }
        done = end;
        progress(done, total);
    }
    let n = total.max(1) as f64;
    let z95 = probit(0.975);
    let outcomes = opts
        .outcomes
        .iter()
        .enumerate()
        .map(|(k, &o)| {
            let (lo, hi) = wilson(rejections[k], total, z95);
            OutcomePower {
                outcome: o,
                rejections: rejections[k],
                power: rejections[k] as f64 / n,
                power_lo: lo,
                power_hi: hi,
                effect_mean: effect[k] / n,
                control_mean: control[k] / n,
            }
        })
        .collect();
    let capacity = sv_ids
        .into_iter()
        .zip(&sv)
        .map(|((service, kind), acc)| {
            let utilisation = if acc[0] > 0.0 { acc[1] / acc[0] } else { 0.0 };
            let trials_with_queue = acc[3] / n;
            CapacityUse {
                service,
                kind,
                fte_mean: acc[4] / n,
                utilisation,
                max_queue: acc[2],
                trials_with_queue,
                binds: utilisation >= BINDING_UTILISATION || trials_with_queue >= 0.5,
            }
        })
        .collect();
    Ok(SizeResult {
        size,
        scale,
        trials: total,
        outcomes,
        capacity,
        participants_mean: participants as f64 / n,
    })
}

/// The size needed for 80 % power, from the searched sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeFor {
    /// Already the smallest searched size has the power.
    AtMost(usize),
    /// Interpolated between two searched sizes.
    About(usize),
    /// Even the largest searched size falls short.
    Above(usize),
}

impl SizeFor {
    /// As text for the terminal and power.json.
    pub fn text(&self) -> String {
        match self {
            SizeFor::AtMost(n) => format!("≤ {n} (the smallest size searched)"),
            SizeFor::About(n) => format!("≈ {n}"),
            SizeFor::Above(n) => format!("above the largest size searched ({n})"),
        }
    }
}

/// Interpolate Φ⁻¹(power) linearly in `x` between two points, where it reaches `target`.
fn probit_crossing(x0: f64, p0: f64, x1: f64, p1: f64, target: f64) -> f64 {
    let clamp = |p: f64| p.clamp(1e-4, 1.0 - 1e-4);
    let (z0, z1, zt) = (probit(clamp(p0)), probit(clamp(p1)), probit(target));
    if z1 <= z0 {
        return x1;
    }
    x0 + (zt - z0) / (z1 - z0) * (x1 - x0)
}

/// The size for `target` power from (size, power) points in increasing size: at the first
/// crossing, interpolating Φ⁻¹(power) linearly in √size.
pub fn size_for(points: &[(usize, f64)], target: f64) -> Option<SizeFor> {
    let first = points.iter().position(|&(_, p)| p >= target);
    match first {
        None => points.last().map(|&(n, _)| SizeFor::Above(n)),
        Some(0) => Some(SizeFor::AtMost(points[0].0)),
        Some(i) => {
            let (n0, p0) = points[i - 1];
            let (n1, p1) = points[i];
            let s = probit_crossing((n0 as f64).sqrt(), p0, (n1 as f64).sqrt(), p1, target);
            let n = (s * s).ceil().clamp(n0 as f64 + 1.0, n1 as f64) as usize;
            Some(SizeFor::About(n))
        }
    }
}

/// The minimum detectable effect of one outcome at the scenario's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mde {
    /// Effect scale at which power reaches 80 %.
    pub scale: f64,
    /// The mean effect at that scale (a share or months).
    pub effect: f64,
}

/// The MDE search: per outcome the MDE (None: not reached at the largest scale), and every
/// evaluation made, by increasing scale.
#[derive(Debug, Clone)]
pub struct MdeSearch {
    /// Trial size searched at (the scenario's own).
    pub size: usize,
    /// Per outcome.
    pub mde: Vec<Option<Mde>>,
    /// Evaluations by increasing scale.
    pub evaluations: Vec<SizeResult>,
}

/// Per outcome: (scale, power, effect) points, with scale 0 (power alpha, no effect) first.
fn curve(evals: &[SizeResult], k: usize, alpha: f64) -> Vec<(f64, f64, f64)> {
    std::iter::once((0.0, alpha, 0.0))
        .chain(
            evals
                .iter()
                .map(|e| (e.scale, e.outcomes[k].power, e.outcomes[k].effect_mean)),
        )
        .collect()
}

/// The bracket around the first crossing of the target on a curve.
fn bracket(c: &[(f64, f64, f64)]) -> Option<(usize, usize)> {
    let i = c.iter().position(|&(_, p, _)| p >= TARGET_POWER)?;
    Some((i.saturating_sub(1), i))
}

fn mde_search(
    sc: &Scenario,
    d: &Design,
    opts: &PowerOptions,
    pool: &rayon::ThreadPool,
    progress: &mut dyn FnMut(&str, u32, u32),
) -> Result<MdeSearch> {
    let size = d.scenario_size;
    let mut evals: Vec<SizeResult> = Vec::new();
    let mut eval = |scale: f64, evals: &mut Vec<SizeResult>| -> Result<()> {
        if evals.iter().any(|e| (e.scale - scale).abs() < 1e-9) {
            return Ok(());
        }
        let label = format!("MDE search, size {size}, effect scale {scale}");
        let r = evaluate(sc, d, opts, size, scale, pool, &mut |a, b| {
            progress(&label, a, b)
        })?;
        evals.push(r);
        evals.sort_by(|a, b| a.scale.total_cmp(&b.scale));
        Ok(())
    };
    let n_out = opts.outcomes.len();
    let reached = |evals: &[SizeResult]| {
        (0..n_out).all(|k| evals.iter().any(|e| e.outcomes[k].power >= TARGET_POWER))
    };
    let mut scale = 1.0;
    loop {
        eval(scale, &mut evals)?;
        if reached(&evals) || scale >= MAX_SCALE {
            break;
        }
        scale = (scale * 2.0).min(MAX_SCALE);
    }
    // One refinement per outcome between its bracketing scales.
    for k in 0..n_out {
        let c = curve(&evals, k, opts.alpha);
        if let Some((lo, hi)) = bracket(&c)
            && lo != hi
            && c[hi].0 - c[lo].0 > 0.05
        {
            let s = probit_crossing(c[lo].0, c[lo].1, c[hi].0, c[hi].1, TARGET_POWER);
            let s = (s * 100.0).round() / 100.0;
            if s > c[lo].0 && s < c[hi].0 {
                eval(s, &mut evals)?;
            }
        }
    }
    let mde = (0..n_out)
        .map(|k| {
            let c = curve(&evals, k, opts.alpha);
            let (lo, hi) = bracket(&c)?;
            if lo == hi {
                return Some(Mde {
                    scale: c[hi].0,
                    effect: c[hi].2,
                });
            }
            let (a, b) = (c[lo], c[hi]);
            let s = probit_crossing(a.0, a.1, b.0, b.1, TARGET_POWER).clamp(a.0, b.0);
            let w = if b.0 > a.0 {
                (s - a.0) / (b.0 - a.0)
            } else {
                1.0
            };
            Some(Mde {
                scale: s,
                effect: a.2 + w * (b.2 - a.2),
            })
        })
        .collect();
    Ok(MdeSearch {
        size,
        mde,
        evaluations: evals,
    })
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

/// Run the power analysis. `progress(what, done, total)` is called after each batch of trials.
pub fn run(
    sc: &Scenario,
    opts: &PowerOptions,
    mut progress: impl FnMut(&str, u32, u32),
) -> Result<PowerReport> {
    let d = design(sc, opts)?;
    if opts.sizes.is_empty() {
        return Err(Error::Usage("give at least one trial size".into()));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| {
            Error::Runtime(format!("cannot start {} worker threads: {e}", opts.threads))
        })?;
    let mut sizes = Vec::with_capacity(opts.sizes.len());
    for &n in &opts.sizes {
        let label = format!("size {n}");
        sizes.push(evaluate(
            sc,
            &d,
            opts,
            n,
            opts.effect_scale,
            &pool,
            &mut |a, b| progress(&label, a, b),
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

/// `power.csv`: `outcome,size,power,power_lo,power_hi,effect_mean`, by outcome then size.
pub fn csv(rep: &PowerReport) -> String {
    let mut s = String::from("outcome,size,power,power_lo,power_hi,effect_mean\n");
    for (k, o) in rep.options.outcomes.iter().enumerate() {
        for sz in &rep.sizes {
            let r = &sz.outcomes[k];
            let _ = writeln!(
                s,
                "{},{},{:.4},{:.4},{:.4},{:.6}",
                o.id(),
                sz.size,
                r.power,
                r.power_lo,
                r.power_hi,
                r.effect_mean
            );
        }
    }
    s
}

/// `capacity.csv`: per size and service with capacity, how the trial used it.
pub fn capacity_csv(rep: &PowerReport) -> String {
    let mut s = String::from(
        "size,service,kind,fte_mean,utilisation_mean,max_queue,trials_with_queue,binds\n",
    );
    for sz in &rep.sizes {
        for c in &sz.capacity {
            let _ = writeln!(
                s,
                "{},{},{},{:.3},{:.4},{},{:.4},{}",
                sz.size,
                c.service,
                kind_id(c.kind),
                c.fte_mean,
                c.utilisation,
                c.max_queue,
                c.trials_with_queue,
                c.binds
            );
        }
    }
    s
}

fn kind_id(k: ServiceKind) -> &'static str {
    match k {
        ServiceKind::Caseload => "caseload",
        ServiceKind::Monthly => "monthly",
        ServiceKind::Shared => "shared",
    }
}

fn size_json(s: &SizeResult) -> serde_json::Value {
    serde_json::json!({
        "size": s.size,
        "effect_scale": s.scale,
        "trials": s.trials,
        "participants_mean": s.participants_mean,
        "outcomes": s.outcomes.iter().map(|o| serde_json::json!({
            "outcome": o.outcome.id(),
            "rejections": o.rejections,
            "power": o.power,
            "power_lo": o.power_lo,
            "power_hi": o.power_hi,
            "effect_mean": o.effect_mean,
            "non_participants_mean": o.control_mean,
        })).collect::<Vec<_>>(),
        "capacity": s.capacity.iter().map(|c| serde_json::json!({
            "service": c.service,
            "kind": kind_id(c.kind),
            "fte_mean": c.fte_mean,
            "utilisation_mean": c.utilisation,
            "max_queue": c.max_queue,
            "trials_with_queue": c.trials_with_queue,
            "binds": c.binds,
        })).collect::<Vec<_>>(),
        "capacity_binds": s.capacity.iter().any(|c| c.binds),
    })
}

/// `power.json`: the design, every size, the sizes for 80 % power and the MDE.
pub fn json(sc: &Scenario, rep: &PowerReport) -> serde_json::Value {
    let d = &rep.design;
    let o = &rep.options;
    let outcomes: Vec<serde_json::Value> = o
        .outcomes
        .iter()
        .enumerate()
        .map(|(k, out)| {
            let sf = rep.size_for_80[k];
            let mde = rep.mde.as_ref().and_then(|m| m.mde[k]);
            serde_json::json!({
                "outcome": out.id(),
                "unit": out.unit(),
                "test": out.test_name(),
                "state_flag": out.flag_key(),
                "states": sc.chains[COURSE].states.iter().filter(|s| out.flagged(&s.flags)).map(|s| s.id.clone()).collect::<Vec<_>>(),
                "size_for_80_power": match sf {
                    Some(SizeFor::About(n)) => serde_json::json!(n),
                    _ => serde_json::Value::Null,
                },
                "size_for_80_power_text": sf.map(|s| s.text()),
                "mde_effect_scale": mde.map(|m| m.scale),
                "mde_effect": mde.map(|m| m.effect),
            })
        })
        .collect();
    serde_json::json!({
        "scenario": sc.name,
        "arm": sc.arms[d.arm].id,
        "offer_share": d.offer_share,
        "scenario_size": d.scenario_size,
        "follow_up_months": d.follow_up_months,
        "alpha": o.alpha,
        "trials": o.trials,
        "effect_scale": o.effect_scale,
        "psa": o.psa,
        "scale_staff": o.scale_staff,
        "seed": o.seed,
        "interval": "Wilson score 95 %",
        "target_power": TARGET_POWER,
        "outcomes": outcomes,
        "sizes": rep.sizes.iter().map(size_json).collect::<Vec<_>>(),
        "mde_search": rep.mde.as_ref().map(|m| serde_json::json!({
            "size": m.size,
            "evaluations": m.evaluations.iter().map(size_json).collect::<Vec<_>>(),
        })),
    })
}

/// One point of a power curve: (size, power, interval low, interval high).
pub type PowerPoint = (f64, f64, f64, f64);

/// Power against trial size, one line per outcome with its Wilson band, the 80 % target and
/// the significance level as dashed lines; x on a logarithmic axis.
pub struct PowerChart {
    /// Title.
    pub title: String,
    /// X-axis label.
    pub x_label: String,
    /// Per outcome: name and (size, power, low, high).
    pub series: Vec<(String, Vec<PowerPoint>)>,
    /// Significance level (drawn as the power of no effect).
    pub alpha: f64,
}

impl PowerChart {
    /// The sizes on the x-axis, increasing, without repeats (the axis's labelled points).
    fn sizes(&self) -> Vec<f64> {
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.1.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    }
}

const PALETTE: [RGBColor; 5] = [
    RGBColor(66, 114, 176),
    RGBColor(221, 132, 82),
    RGBColor(85, 168, 104),
    RGBColor(196, 78, 82),
    RGBColor(129, 114, 179),
];

impl Chart for PowerChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let err = |e: &dyn std::fmt::Display| Error::Runtime(format!("cannot draw power: {e}"));
        let xs = self.series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
        let (mut x0, mut x1) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        if !(x0.is_finite() && x0 > 0.0) {
            (x0, x1) = (1.0, 10.0);
        }
        (x0, x1) = (x0 / 1.15, x1 * 1.15);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x0..x1).log_scale().with_key_points(self.sizes()),
                0.0f64..1.0,
            )
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc("power")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| err(&e))?;
        for (y, label) in [
            (TARGET_POWER, "80 % power".to_string()),
            (self.alpha, format!("α = {}", self.alpha)),
        ] {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, y), (x1, y)],
                    6,
                    5,
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label,
                    (x0 * 1.02, (y + 0.012).min(0.98)),
                    ("sans-serif", 12).into_font().color(&BLACK.mix(0.7)),
                )))
                .map_err(|e| err(&e))?;
        }
        for (k, (name, pts)) in self.series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            if pts.len() > 1 {
                let upper = pts.iter().map(|p| (p.0, p.3));
                let lower = pts.iter().rev().map(|p| (p.0, p.2));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        upper.chain(lower).collect::<Vec<_>>(),
                        colour.mix(0.18).filled(),
                    )))
                    .map_err(|e| err(&e))?;
            }
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0, p.1)),
                    colour.stroke_width(2),
                ))
                .map_err(|e| err(&e))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(
                    pts.iter()
                        .map(|p| Circle::new((p.0, p.1), 3, colour.filled())),
                )
                .map_err(|e| err(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(|e| err(&e))?;
        Ok(())
    }
}

/// The chart of a report.
pub fn chart(sc: &Scenario, rep: &PowerReport) -> PowerChart {
    let binding: Vec<String> = rep
        .sizes
        .iter()
        .filter(|s| s.capacity.iter().any(|c| c.binds))
        .map(|s| s.size.to_string())
        .collect();
    PowerChart {
        title: format!(
            "Trial power, {} ({} trials per size, α = {}, follow-up {} months)",
            sc.name, rep.options.trials, rep.options.alpha, rep.design.follow_up_months
        ),
        x_label: if binding.is_empty() {
            "citizens randomised (log scale); staff capacity does not bind at any size".into()
        } else {
            format!(
                "citizens randomised (log scale); some staff capacity binds at n = {} (capacity.csv)",
                binding.join(", ")
            )
        },
        series: rep
            .options
            .outcomes
            .iter()
            .enumerate()
            .map(|(k, o)| {
                (
                    o.id().to_string(),
                    rep.sizes
                        .iter()
                        .map(|s| {
                            let r = &s.outcomes[k];
                            (s.size as f64, r.power, r.power_lo, r.power_hi)
                        })
                        .collect(),
                )
            })
            .collect(),
        alpha: rep.options.alpha,
    }
}

/// An effect in the outcome's unit: percentage points for shares, months otherwise.
pub fn effect_text(o: Outcome, v: f64) -> String {
    if o.is_share() {
        format!("{:+.1} pp", v * 100.0)
    } else {
        format!("{v:+.2} months")
    }
}

/// The terminal summary.
pub fn summary_text(sc: &Scenario, rep: &PowerReport) -> String {
    let d = &rep.design;
    let o = &rep.options;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nTrial power: {} — arm `{}`, {:.0} % randomised to the programme; {} trials per size, \
         α = {}, follow-up {} months from entry, effect scale {}; {}",
        sc.name,
        sc.arms[d.arm].id,
        d.offer_share * 100.0,
        o.trials,
        o.alpha,
        d.follow_up_months,
        o.effect_scale,
        if o.scale_staff {
            format!("staff scaled with the size (× size ÷ {})", d.scenario_size)
        } else {
            "the scenario's staff at every size".to_string()
        }
    );
    let _ = write!(s, "{:<20}", "power (95 % CI)");
    for sz in &rep.sizes {
        let _ = write!(s, "{:>19}", format!("n = {}", sz.size));
    }
    let _ = writeln!(s, "   80 % power at n");
    for (k, out) in o.outcomes.iter().enumerate() {
        let _ = write!(s, "{:<20}", out.id());
        for sz in &rep.sizes {
            let r = &sz.outcomes[k];
            let _ = write!(
                s,
                "{:>19}",
                format!("{:.2} ({:.2}–{:.2})", r.power, r.power_lo, r.power_hi)
            );
        }
        let _ = writeln!(
            s,
            "   {}",
            rep.size_for_80[k].map(|x| x.text()).unwrap_or_default()
        );
    }
    let _ = writeln!(s, "mean effect (participants − non-participants):");
    for (k, out) in o.outcomes.iter().enumerate() {
        let _ = write!(s, "{:<20}", out.id());
        for sz in &rep.sizes {
            let _ = write!(s, "{:>19}", effect_text(*out, sz.outcomes[k].effect_mean));
        }
        let base = rep.sizes.first().map(|z| z.outcomes[k].control_mean);
        if let Some(b) = base {
            let _ = write!(
                s,
                "   (non-participants: {})",
                if out.is_share() {
                    format!("{:.1} %", b * 100.0)
                } else {
                    format!("{b:.1} months")
                }
            );
        }
        let _ = writeln!(s);
    }
    for sz in &rep.sizes {
        let bind: Vec<String> = sz
            .capacity
            .iter()
            .filter(|c| c.binds)
            .map(|c| {
                format!(
                    "{} (utilisation {:.0} %, queue in {:.0} % of trials, max {})",
                    c.service,
                    c.utilisation * 100.0,
                    c.trials_with_queue * 100.0,
                    c.max_queue
                )
            })
            .collect();
        if !bind.is_empty() {
            let _ = writeln!(s, "capacity binds at n = {}: {}", sz.size, bind.join("; "));
        }
    }
    if rep
        .sizes
        .iter()
        .all(|z| z.capacity.iter().all(|c| !c.binds))
    {
        let _ = writeln!(s, "staff capacity does not bind at any size searched");
    }
    if let Some(m) = &rep.mde {
        let _ = writeln!(
            s,
            "minimum detectable effect (80 % power) at the scenario's own size n = {}:",
            m.size
        );
        for (k, out) in o.outcomes.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {:<20}{}",
                out.id(),
                match m.mde[k] {
                    Some(x) => format!(
                        "effect scale {:.2} ({})",
                        x.scale,
                        effect_text(*out, x.effect)
                    ),
                    None => format!("not reached at effect scale {MAX_SCALE}"),
                }
            );
        }
    }
    s
}

/// `ressim power`: run the analysis and write power.csv, capacity.csv, power.json, the chart
/// and manifest.json.
pub fn command(a: PowerArgs) -> Result<()> {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let sc = crate::commands::load(a.scenario.as_deref())?;
    let mut opts = PowerOptions::from_scenario(&sc);
    if let Some(s) = a.sizes {
        opts.sizes = s;
    }
    opts.follow_up_months = a.follow_up;
    opts.alpha = a.alpha;
    opts.trials = a.trials;
    opts.effect_scale = a.effect_scale;
    if let Some(s) = a.seed {
        opts.seed = s;
    }
    opts.threads = a.threads.map(|t| t as usize).unwrap_or(0);
    opts.psa = !a.no_psa;
    opts.mde = !a.no_mde;
    opts.scale_staff = a.scale_staff;
    let mut skipped = Vec::new();
    if a.outcome.is_empty() {
        let can = measurable(&sc);
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
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-power", sc.name)));
    let d = design(&sc, &opts)?;
    if !a.quiet {
        for o in &skipped {
            eprintln!(
                "warning: outcome `{}` is left out: no course state has `{} = true`",
                o.id(),
                o.flag_key()
            );
        }
        eprintln!(
            "ressim: trial power of {} — sizes {}, {} trials each, follow-up {} months{}",
            sc.name,
            opts.sizes
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            opts.trials,
            d.follow_up_months,
            if opts.mde {
                format!(", then the MDE at n = {}", d.scenario_size)
            } else {
                String::new()
            }
        );
    }
    let show = !a.quiet && std::io::stderr().is_terminal();
    let rep = run(&sc, &opts, |what, done, total| {
        if show {
            eprint!("\r  {what}: trial {done}/{total}      ");
            if done == total {
                eprintln!();
            }
        }
    })?;
    let st = crate::report::output::Staging::new(&out)?;
    st.write("power.csv", csv(&rep).as_bytes())?;
    st.write("capacity.csv", capacity_csv(&rep).as_bytes())?;
    let mut js =
        serde_json::to_vec_pretty(&json(&sc, &rep)).map_err(|e| Error::Runtime(e.to_string()))?;
    js.push(b'\n');
    st.write("power.json", &js)?;
    charts::both(&st.path(""), "power", (1000, 620), &chart(&sc, &rep))?;
    let power_json = json(&sc, &rep);
    let svg = std::fs::read_to_string(st.path("power.svg")).unwrap_or_default();
    st.write(
        "report.html",
        crate::report::html::power_report(&sc.title_en, &power_json, &csv(&rep), &svg).as_bytes(),
    )?;
    let manifest = serde_json::json!({
        "ressim_version": env!("CARGO_PKG_VERSION"),
        "scenario": sc.name,
        "scenario_files": sc.files,
        "scenario_sha256": sc.sha256,
        "seed": opts.seed,
        "trials": opts.trials,
        "sizes": opts.sizes,
        "follow_up_months": rep.design.follow_up_months,
        "alpha": opts.alpha,
        "outcomes": opts.outcomes.iter().map(|o| o.id()).collect::<Vec<_>>(),
        "effect_scale": opts.effect_scale,
        "psa": opts.psa,
        "mde_search": opts.mde,
        "scale_staff": opts.scale_staff,
        "threads": rep.threads_used,
        "wall_time_seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "started_unix": started_unix,
        "command_line": std::env::args().collect::<Vec<_>>(),
    });
    let mut bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Runtime(e.to_string()))?;
    bytes.push(b'\n');
    st.write("manifest.json", &bytes)?;
    let dir = st.commit()?;
    if !a.quiet {
        print!("{}", summary_text(&sc, &rep));
        println!("Results in: {}", dir.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflow_keeps_its_shape_and_sums_to_the_size() {
        let shape = [(0, 60), (1, 60), (2, 60), (3, 60), (4, 60), (5, 60)];
        assert_eq!(scaled_inflow(&shape, 360), vec![60; 6]);
        assert_eq!(scaled_inflow(&shape, 200), vec![34, 34, 33, 33, 33, 33]);
        assert_eq!(scaled_inflow(&shape, 3), vec![1, 1, 1]);
        // Cycles before the window stay empty; a closed cohort stays closed.
        assert_eq!(scaled_inflow(&[(2, 10), (3, 30)], 8), vec![0, 0, 2, 6]);
        assert_eq!(scaled_inflow(&[(0, 500)], 1600), vec![1600]);
        for n in [2usize, 7, 199, 1601] {
            assert_eq!(
                scaled_inflow(&shape, n)
                    .iter()
                    .map(|&k| k as usize)
                    .sum::<usize>(),
                n
            );
        }
    }

    #[test]
    fn wilson_interval_matches_the_formula() {
        let (lo, hi) = wilson(8, 10, probit(0.975));
        assert!(
            (lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 50, probit(0.975));
        assert_eq!(lo, 0.0);
        assert!((hi - 0.0714).abs() < 1e-3, "{hi}");
    }

    #[test]
    fn z_test_uses_the_pooled_variance() {
        // 60/200 vs 40/200: pooled 0.25, se = sqrt(0.25·0.75·0.01) = 0.0433, z = 2.309.
        let z = probit(0.975);
        assert!(z_test_rejects(60, 200, 40, 200, z));
        assert!(!z_test_rejects(60, 200, 40, 200, probit(0.995)));
        assert!(!z_test_rejects(0, 10, 0, 10, z));
        assert!(!z_test_rejects(3, 0, 1, 10, z));
    }

    #[test]
    fn welch_p_value_matches_r() {
        // R: t.test(1:5, c(2,4,6,8,10)) gives t = -1.8974, df = 5.8824, p-value = 0.1075.
        let p = welch_p(3.0, 2.5, 5, 6.0, 10.0, 5).unwrap();
        assert!((p - 0.1075).abs() < 5e-4, "{p}");
        assert_eq!(welch_p(1.0, 0.0, 5, 1.0, 0.0, 5), Some(1.0));
        assert_eq!(welch_p(1.0, 0.0, 1, 1.0, 0.0, 5), None);
    }

    #[test]
    fn exact_sums_give_the_sample_variance() {
        let mut s = Sums::default();
        for v in [2u64, 4, 4, 4, 5, 5, 7, 9] {
            s.add(v);
        }
        assert_eq!(s.mean(), 5.0);
        assert!((s.var() - 32.0 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn size_for_interpolates_on_the_probit_scale() {
        assert_eq!(
            size_for(&[(100, 0.9), (200, 0.95)], 0.8),
            Some(SizeFor::AtMost(100))
        );
        assert_eq!(
            size_for(&[(100, 0.2), (200, 0.5)], 0.8),
            Some(SizeFor::Above(200))
        );
        // Power Φ(√n/10 − 1.96) reaches 80 % at n = (10·(1.96 + 0.8416))² ≈ 785.
        let pw = |n: f64| {
            Normal::new(0.0, 1.0)
                .unwrap()
                .cdf(n.sqrt() / 10.0 - 1.959964)
        };
        let pts = [(400, pw(400.0)), (1600, pw(1600.0))];
        match size_for(&pts, 0.8) {
            Some(SizeFor::About(n)) => assert!((784..=786).contains(&n), "{n}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        assert!(parse_sizes("0").unwrap_err().contains("between 2"));
        assert!(
            parse_sizes("abc")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert_eq!(parse_sizes("800, 200,800").unwrap(), vec![200, 800]);
        assert!(
            parse_alpha("1.5")
                .unwrap_err()
                .contains("strictly between 0 and 1")
        );
        assert!(parse_alpha("nan").is_err());
        assert!(parse_outcomes("jobs").unwrap_err().contains("allowed:"));
        assert_eq!(
            parse_outcomes("pension,benefit_months").unwrap(),
            vec![Outcome::Pension, Outcome::BenefitMonths]
        );
    }
}
