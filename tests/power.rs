//! Trial power (`ressim power`): the type I error is alpha when there is no effect, power
//! rises with size, power agrees with the analytic two-proportion formula on a scenario simple
//! enough to solve by hand, results do not depend on the thread count, staff capacity that
//! binds is reported, and bad arguments are refused with a clear message.

mod common;
use common::*;
use ressim::analysis::power::{self, Outcome, PowerOptions};
use ressim::scenario::{self, Scenario};
use statrs::distribution::{ContinuousCDF, Normal};
use std::collections::BTreeMap;
use std::path::Path;

/// A closed cohort in a course that people leave for a job with probability `P_JOB` a month;
/// participants of the treatment arm leave with hazard ratio `HR`. No services, no capacity.
const P_JOB: f64 = 0.03;
const HR: f64 = 1.5;

fn two_state() -> Scenario {
    let text = format!(
        r#"[scenario]
name = "two-state"
[simulation]
start = "2016-01"
horizon = 12
seed = 11
[cohort]
size = 400
start_state = "course"
[states.course]
in_course = true
on_benefits = true
[states.job]
absorbing = true
self_supporting = true
employed = true
[transitions.course.job]
prob = {P_JOB}
[arms.control]
[arms.treatment]
offer_share = 0.5
[arms.treatment.effects.course]
job = {HR}
"#
    );
    scenario::load_str("two-state.toml", &text).expect("the two-state scenario is valid")
}

fn options(sc: &Scenario, sizes: &[usize], trials: u32) -> PowerOptions {
    PowerOptions {
        sizes: sizes.to_vec(),
        follow_up_months: Some(12),
        trials,
        outcomes: vec![Outcome::SelfSupporting],
        mde: false,
        ..PowerOptions::from_scenario(sc)
    }
}

fn phi(x: f64) -> f64 {
    Normal::new(0.0, 1.0).unwrap().cdf(x)
}

/// ln C(n, k).
fn ln_choose(n: u64, k: u64) -> f64 {
    (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum()
}

/// The analytic power of the two-sided pooled z-test for proportions p1 (n1) against p2 (n2)
/// (normal approximation: the statistic has mean Δ/sd1 and sd sd1/sd0 in units of sd0), averaged
/// over the binomial split of `n` citizens randomised 50/50.
fn analytic_power(n: u64, p1: f64, p2: f64, alpha: f64) -> f64 {
    let z = Normal::new(0.0, 1.0)
        .unwrap()
        .inverse_cdf(1.0 - alpha / 2.0);
    let mut total = 0.0;
    for n1 in 1..n {
        let n2 = n - n1;
        let w = (ln_choose(n, n1) - n as f64 * 2f64.ln()).exp();
        let (a, b) = (n1 as f64, n2 as f64);
        let pbar = (a * p1 + b * p2) / (a + b);
        let sd0 = (pbar * (1.0 - pbar) * (1.0 / a + 1.0 / b)).sqrt();
        let sd1 = (p1 * (1.0 - p1) / a + p2 * (1.0 - p2) / b).sqrt();
        let d = (p1 - p2).abs();
        total += w * (phi((d - z * sd0) / sd1) + phi((-d - z * sd0) / sd1));
    }
    total
}

#[test]
fn power_agrees_with_the_two_proportion_formula() {
    let sc = two_state();
    let trials = 2000;
    let rep = power::run(&sc, &options(&sc, &[100, 400], trials), |_, _, _| {}).unwrap();
    let rate = -(1.0 - P_JOB).ln();
    let p_control = 1.0 - (1.0 - P_JOB).powi(12);
    let p_treated = 1.0 - (-HR * rate * 12.0).exp();
    for s in &rep.sizes {
        let r = &s.outcomes[0];
        let expected = analytic_power(s.size as u64, p_treated, p_control, 0.05);
        // The simulated power is a binomial share of `trials`: 3 standard errors.
        let tol = 3.0 * (expected * (1.0 - expected) / trials as f64).sqrt();
        assert!(
            (r.power - expected).abs() <= tol,
            "size {}: simulated power {} vs analytic {expected:.4} (tolerance {tol:.4})",
            s.size,
            r.power
        );
        assert!(r.power_lo <= r.power && r.power <= r.power_hi);
        // The mean effect is the difference of the two probabilities; each trial's difference
        // has a standard error of about √(p₁q₁/(n/2) + p₂q₂/(n/2)).
        let n = s.size as f64 / 2.0;
        let se = ((p_treated * (1.0 - p_treated) + p_control * (1.0 - p_control)) / n).sqrt()
            / (trials as f64).sqrt();
        assert!(
            (r.effect_mean - (p_treated - p_control)).abs() <= 4.0 * se,
            "size {}: effect {} vs {}",
            s.size,
            r.effect_mean,
            p_treated - p_control
        );
        assert!((r.control_mean - p_control).abs() < 0.01);
    }
}

#[test]
fn power_rises_with_size() {
    let sc = two_state();
    let trials = 500;
    let mut o = options(&sc, &[50, 200, 800], trials);
    o.outcomes = Outcome::ALL.to_vec();
    o.outcomes.retain(|x| *x != Outcome::Pension);
    let rep = power::run(&sc, &o, |_, _, _| {}).unwrap();
    for (k, out) in o.outcomes.iter().enumerate() {
        for w in rep.sizes.windows(2) {
            let (a, b) = (w[0].outcomes[k].power, w[1].outcomes[k].power);
            // Three standard errors of the difference of two binomial shares.
            let se = ((a * (1.0 - a) + b * (1.0 - b)) / trials as f64).sqrt();
            assert!(
                b - a > 3.0 * se,
                "{}: power {a} at {} vs {b} at {}",
                out.id(),
                w[0].size,
                w[1].size
            );
        }
    }
}

/// Read power.csv into outcome → size → (power, effect_mean).
fn read_power(dir: &Path) -> BTreeMap<String, BTreeMap<usize, (f64, f64)>> {
    let text = std::fs::read_to_string(dir.join("power.csv")).expect("power.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("outcome,size,power,power_lo,power_hi,effect_mean")
    );
    let mut out: BTreeMap<String, BTreeMap<usize, (f64, f64)>> = BTreeMap::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 6, "{l}");
        let (p, lo, hi): (f64, f64, f64) = (
            f[2].parse().unwrap(),
            f[3].parse().unwrap(),
            f[4].parse().unwrap(),
        );
        assert!(0.0 <= lo && lo <= p && p <= hi && hi <= 1.0, "{l}");
        out.entry(f[0].to_string())
            .or_default()
            .insert(f[1].parse().unwrap(), (p, f[5].parse().unwrap()));
    }
    out
}

#[test]
fn with_no_effect_the_rejection_rate_is_alpha() {
    let t = tempfile::tempdir().unwrap();
    let trials = 1000;
    let alpha = 0.05;
    let o = run_in(
        t.path(),
        &[
            "power",
            shipped().to_str().unwrap(),
            "--sizes",
            "400",
            "--trials",
            &trials.to_string(),
            "--effect-scale",
            "0",
            "--seed",
            "3",
            "--no-mde",
            "--out",
            "p0",
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let tol = 3.0 * (alpha * (1.0 - alpha) / trials as f64).sqrt();
    let rows = read_power(&t.path().join("p0"));
    assert_eq!(rows.len(), 4, "every outcome of the shipped scenario");
    for (outcome, by_size) in &rows {
        let (rate, _) = by_size[&400];
        assert!(
            (rate - alpha).abs() <= tol,
            "{outcome}: rejection rate {rate} with no effect, alpha {alpha} ± {tol:.4}"
        );
    }
}

#[test]
fn shipped_trial_reports_binding_capacity_and_scaled_staff_restores_power() {
    // The shipped house staffs its mentors to the demand; this test is about a house with the
    // seed's fixed 20 mentors, whose capacity binds as the trial grows.
    let mut sc = scenario::load(&shipped()).unwrap();
    for sv in sc.arms[1].services.iter_mut() {
        sv.staffing = ressim::scenario::Staffing::Fixed;
    }
    let mut o = PowerOptions::from_scenario(&sc);
    o.sizes = vec![200, 1600];
    o.trials = 300;
    o.mde = false;
    o.outcomes = vec![Outcome::Pension];
    let fixed = power::run(&sc, &o, |_, _, _| {}).unwrap();
    let binds = |r: &power::PowerReport, size: usize, service: &str| {
        r.sizes
            .iter()
            .find(|s| s.size == size)
            .and_then(|s| s.capacity.iter().find(|c| c.service == service))
            .map(|c| (c.binds, c.utilisation))
            .unwrap()
    };
    // 20 mentors × 10 = 200 slots: enough for 100 participants, not for 800.
    assert!(!binds(&fixed, 200, "mentors").0);
    let (b, u) = binds(&fixed, 1600, "mentors");
    assert!(b && u >= power::BINDING_UTILISATION, "utilisation {u}");
    // With the staff fixed, the effect per participant shrinks as the trial grows.
    let effect = |r: &power::PowerReport, i: usize| r.sizes[i].outcomes[0].effect_mean;
    assert!(effect(&fixed, 1).abs() < 0.6 * effect(&fixed, 0).abs());

    o.scale_staff = true;
    let scaled = power::run(&sc, &o, |_, _, _| {}).unwrap();
    assert!(!binds(&scaled, 1600, "mentors").0);
    let (a, b) = (
        scaled.sizes[0].outcomes[0].power,
        scaled.sizes[1].outcomes[0].power,
    );
    let se = ((a * (1.0 - a) + b * (1.0 - b)) / o.trials as f64).sqrt();
    assert!(
        b - a > 3.0 * se,
        "power {a} at 200 vs {b} at 1600 with scaled staff"
    );
}

#[test]
fn outputs_are_identical_for_any_thread_count() {
    let t = tempfile::tempdir().unwrap();
    let run = |threads: &str, out: &str| {
        let o = run_in(
            t.path(),
            &[
                "power",
                shipped().to_str().unwrap(),
                "--sizes",
                "100,300",
                "--trials",
                "40",
                "--threads",
                threads,
                "--out",
                out,
                "--quiet",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run("1", "a");
    run("2", "b");
    for f in ["power.csv", "capacity.csv", "power.json"] {
        let a = std::fs::read(t.path().join("a").join(f)).unwrap();
        let b = std::fs::read(t.path().join("b").join(f)).unwrap();
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
    for f in ["power.svg", "power.png", "manifest.json"] {
        assert!(t.path().join("a").join(f).exists(), "{f}");
    }
    let js: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("a/power.json")).unwrap()).unwrap();
    // The shipped trial's cohort: 40 starters a month for six months.
    let sc = ressim::scenario::load_default().unwrap();
    assert_eq!(js["scenario_size"], sc.cohort.size() as u64);
    assert_eq!(sc.cohort.size(), 240);
    assert_eq!(js["outcomes"].as_array().unwrap().len(), 4);
    for o in js["outcomes"].as_array().unwrap() {
        assert!(o["mde_effect_scale"].is_number() || o["mde_effect_scale"].is_null());
    }
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let t = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["--sizes", "0"], "between 2"),
        (&["--sizes", "abc"], "not a whole number"),
        (&["--sizes", "200,-4"], "not a whole number"),
        (&["--alpha", "1.5"], "strictly between 0 and 1"),
        (&["--alpha", "0"], "strictly between 0 and 1"),
        (&["--trials", "0"], "--trials"),
        (&["--outcome", "jobs"], "unknown outcome `jobs`"),
        (&["--follow-up", "0"], "--follow-up"),
    ];
    for (args, want) in cases {
        let mut all = vec!["power", "--out", "never"];
        all.extend_from_slice(args);
        let o = run_in(t.path(), &all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(!t.path().join("never").exists());
}

#[test]
fn an_outcome_the_scenario_cannot_measure_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "small.toml", &small(""));
    let o = run_in(
        t.path(),
        &["power", p.to_str().unwrap(), "--outcome", "pension"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`disability_pension = true`"),
        "{}",
        stderr(&o)
    );
    // Without any flag nothing can be measured.
    let o = run_in(t.path(), &["power", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("trial-outcome flag"), "{}", stderr(&o));
    // Flags belong to course states.
    let bad = small("[housing.levels.none]\n[housing.levels.support]\nemployed = true\n");
    let p = write(t.path(), "bad.toml", &bad);
    let o = run_in(t.path(), &["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not of housing levels"),
        "{}",
        stderr(&o)
    );
}
