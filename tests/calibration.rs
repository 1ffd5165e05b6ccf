//! Calibration of the shipped scenario (`scenarios/kbh-rehabiliteringshus.toml`).
//!
//! The control arm (ordinary effort) must reproduce the published national outcome mix of
//! citizens leaving a ressourceforløb (shared/reference/parameters-dk.md, section 1a):
//!
//! * førtidspension 46 % (Redegørelse om ressourceforløb 2017, 13 weeks after the end) to 56 %
//!   (STAR 2018, one month after);
//! * fleksjob or ledighedsydelse 13 % (2017) to 25 % (2018);
//! * ordinary job 3–4 %; the model's `job_education` also holds education, a few % more, so it
//!   must lie between 3 % and 10 %;
//! * the rest (education, kontanthjælp, a new course, other) is 100 − 46 − 13 = 41 % (2017) to
//!   100 − 56 − 25 = 19 % (2018), so 1 − pension − flexjob must lie between 19 % and 41 %.
//!
//! The leaver mix is the share of moves out of the course states (`in_course = true`) to each
//! other state over the horizon, pooled over replications.

use ressim::montecarlo::{self, Results, RunOptions};
use ressim::report::summary::leaver_mix;
use ressim::scenario::{self, COURSE, Scenario};
use std::collections::HashMap;
use std::path::Path;

const SCENARIO: &str = "scenarios/kbh-rehabiliteringshus.toml";

fn shipped() -> Scenario {
    scenario::load(Path::new(SCENARIO)).unwrap_or_else(|e| panic!("{SCENARIO} does not load: {e}"))
}

fn options(replications: u32, seed: u64, psa: bool) -> RunOptions {
    RunOptions {
        replications,
        seed,
        threads: 0,
        psa,
        effect_scale: 1.0,
        progress: false,
    }
}

fn run(sc: &Scenario, replications: u32, seed: u64) -> Results {
    run_psa(sc, replications, seed, true)
}

fn run_psa(sc: &Scenario, replications: u32, seed: u64, psa: bool) -> Results {
    montecarlo::run(sc, &options(replications, seed, psa)).expect("the shipped scenario runs")
}

/// Leaver mix of `arm` by state id.
fn mix(sc: &Scenario, res: &Results, arm: usize) -> HashMap<String, f64> {
    leaver_mix(sc, res, arm)
        .expect("citizens leave the course within the horizon")
        .into_iter()
        .map(|(i, share)| (sc.chains[COURSE].states[i].id.clone(), share))
        .collect()
}

/// The quantities checked against the published ranges: (name, value, low, high).
fn checked(m: &HashMap<String, f64>) -> Vec<(&'static str, f64, f64, f64)> {
    let get = |id: &str| {
        *m.get(id).unwrap_or_else(|| {
            panic!("the shipped scenario has no state `{id}` outside the course")
        })
    };
    let (pension, flexjob, job) = (get("pension"), get("flexjob"), get("job_education"));
    vec![
        ("pension", pension, 0.46, 0.56),
        ("flexjob", flexjob, 0.13, 0.25),
        ("job_education", job, 0.03, 0.10),
        (
            "rest (1 - pension - flexjob)",
            1.0 - pension - flexjob,
            0.19,
            0.41,
        ),
    ]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Replications for a calibration run of a scenario: enough that the pooled citizens number
/// about 24,000 (the trial's 240 citizens × 100), between 10 and 100, and whether the parameters
/// are drawn (PSA). A large cohort (the operating case's 9,600 citizens) needs few replications
/// for the trajectories, but the parameter draws would then dominate the Monte Carlo error: it
/// is checked at the parameters' central values.
fn calibration_replications(sc: &Scenario) -> (u32, bool) {
    let reps = (24_000usize.div_ceil(sc.cohort.size().max(1)) as u32).clamp(10, 100);
    (reps, reps >= 50)
}

/// The control arm of `sc` against the published leaver mix; the failures, if any.
fn calibration_failures(sc: &Scenario) -> Vec<String> {
    let (reps, psa) = calibration_replications(sc);
    let res = run_psa(sc, reps, 2016, psa);
    let main = checked(&mix(sc, &res, 0));

    // Monte Carlo standard error of the main estimate, by batch means: ten further
    // independent runs of a tenth of the replications each (seeds 1–10, disjoint from the main
    // run's streams) give ten estimates of each share; their sd / √10 estimates the standard
    // error of one estimate of the main run's size (it includes the parameter uncertainty drawn
    // per replication; with batches of one replication in a large cohort it is conservative). The
    // tolerance is 3 standard errors: a scenario whose expected share lies inside a published
    // range fails at most about 1 time in 700 (one-sided 3 sigma, reached only when the
    // expected share sits right on a bound). The standard error must itself be small (below 1
    // percentage point), so the tolerance is at most 3 pp and the test still bites.
    let batch = (reps / 10).max(1);
    let batches: Vec<Vec<f64>> = (1..=10)
        .map(|b| {
            let r = run_psa(sc, batch, b, psa);
            checked(&mix(sc, &r, 0)).into_iter().map(|c| c.1).collect()
        })
        .collect();
    let scale = (f64::from(batch) / f64::from(reps)).sqrt();
    let mut failures = Vec::new();
    for (k, &(name, value, lo, hi)) in main.iter().enumerate() {
        let est: Vec<f64> = batches.iter().map(|b| b[k]).collect();
        let mcse = sd(&est) * scale;
        assert!(
            mcse < 0.01,
            "{}: {name}: Monte Carlo standard error {mcse:.4} is too large for a calibration check",
            sc.name
        );
        let tol = 3.0 * mcse;
        // Shown with `cargo test --release --test calibration -- --nocapture`.
        eprintln!(
            "{} control {name}: {:.1} % (published {:.0}–{:.0} %, MCSE {:.2} pp, {reps} replications)",
            sc.name,
            value * 100.0,
            lo * 100.0,
            hi * 100.0,
            mcse * 100.0
        );
        if value < lo - tol || value > hi + tol {
            failures.push(format!(
                "{}: {name} = {:.1} % outside the published {:.0}–{:.0} % (± {:.1} pp Monte Carlo tolerance)",
                sc.name,
                value * 100.0,
                lo * 100.0,
                hi * 100.0,
                tol * 100.0
            ));
        }
    }
    failures
}

#[test]
fn control_arm_reproduces_the_published_leaver_mix() {
    let failures = calibration_failures(&shipped());
    assert!(
        failures.is_empty(),
        "control arm of {SCENARIO} is off calibration:\n  {}",
        failures.join("\n  ")
    );
}

/// Every scenario of the shipped library (the variants, the operating case and the health
/// coordinator) keeps the national base's calibration in its control arm.
#[test]
fn every_shipped_control_arm_reproduces_the_published_leaver_mix() {
    let mut failures = Vec::new();
    for s in scenario::library::runnable().filter(|s| s.name != scenario::DEFAULT_NAME) {
        let sc = scenario::load_shipped(s.name)
            .unwrap_or_else(|e| panic!("{} does not load: {e}", s.name));
        failures.extend(calibration_failures(&sc));
    }
    assert!(
        failures.is_empty(),
        "off calibration:\n  {}",
        failures.join("\n  ")
    );
}

#[test]
fn shipped_scenario_has_a_source_for_every_parameter() {
    let sc = shipped();
    let missing: Vec<String> = sc
        .unsourced()
        .iter()
        .map(|p| format!("{} = {}", p.path, p.param.describe()))
        .collect();
    assert!(
        missing.is_empty(),
        "parameters without a source in {SCENARIO}:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn treatment_lowers_the_pension_share_at_the_horizon() {
    let sc = shipped();
    let res = run(&sc, 100, 2016);
    let pension = sc.chains[COURSE]
        .index("pension")
        .expect("the shipped scenario has a state `pension`");
    let treatment = sc
        .arms
        .iter()
        .position(|a| a.id == "treatment")
        .expect("the shipped scenario has an arm `treatment`");
    // Both arms see the same citizens and random numbers, so the per-replication difference is
    // the effect; its mean must be below zero by more than 3 standard errors, and modest (the
    // house is offered to half of the starters; a fall of more than 10 pp would be implausible).
    let diff: Vec<f64> = res
        .reps
        .iter()
        .map(|r| r.end_share[treatment][pension] - r.end_share[0][pension])
        .collect();
    let (d, se) = (mean(&diff), sd(&diff) / (diff.len() as f64).sqrt());
    let control = mean(
        &res.reps
            .iter()
            .map(|r| r.end_share[0][pension])
            .collect::<Vec<_>>(),
    );
    assert!(
        d + 3.0 * se < 0.0,
        "treatment's pension share at the horizon is not below control's: difference {:.2} pp \
         (standard error {:.2} pp; control {:.1} %)",
        d * 100.0,
        se * 100.0,
        control * 100.0
    );
    assert!(
        d > -0.10,
        "treatment lowers the pension share by {:.1} pp, more than a plausible effect",
        -d * 100.0
    );
}
