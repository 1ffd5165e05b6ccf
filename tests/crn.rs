//! Common random numbers that hold: properties of the random streams, each of which fails if
//! the coupling between arms or between variants of a scenario breaks.
//!
//! - lowering the rate of one exit moves nobody between the other exits;
//! - the shares per exit match the closed form of competing risks in both arms;
//! - adding a parameter leaves the draws of the others byte-identical;
//! - changing one attribute's distribution leaves the other attributes identical;
//! - tornado low and high bracket the base for a monotone parameter;
//! - staff that never bind change nothing but the staff cost.

mod common;
use common::*;
use ressim::analysis::sensitivity;
use ressim::cohort;
use ressim::economics::business_case::PERSPECTIVES;
use ressim::engine::Trajectories;
use ressim::montecarlo::{self, RunOptions, draw_params};
use ressim::scenario::{self, Scenario};

/// State `a` with three competing exits of 0.1 a month each; the treatment arm halves only
/// the rate of `a → b`. Two attributes: `burden` (gamma, whose sampler rejects a variable
/// number of draws) and `provider` (bernoulli).
fn three_exits(size: u32, burden_sd: f64, extra_account: bool) -> String {
    let extra = if extra_account {
        "[accounts.a0]\npayer = \"bif\"\namount = { dist = \"gamma\", mean = 50, sd = 10, source = \"probe\" }\nstates = [\"a\"]\n\n"
    } else {
        ""
    };
    format!(
        r#"[scenario]
name = "three-exits"

[simulation]
start = "2016-01"
horizon = 12
seed = 11
replications = 4

[cohort]
size = {size}
start_state = "a"

[cohort.attributes.burden]
dist = "gamma"
mean = 10
sd = {burden_sd}

[cohort.attributes.provider]
dist = "bernoulli"
p = 0.4

[states.a]
in_course = true
[states.b]
absorbing = true
[states.c]
absorbing = true
[states.d]
absorbing = true

[transitions.a.b]
prob = 0.1
[transitions.a.c]
prob = 0.1
[transitions.a.d]
prob = 0.1

{extra}[accounts.x]
payer = "bif"
amount = {{ dist = "gamma", mean = 1000, sd = 100, source = "probe" }}
states = ["a"]

[arms.control]

[arms.treatment]
offer_share = 1.0

[arms.treatment.effects.a]
b = 0.5
"#
    )
}

fn load(text: &str) -> Scenario {
    scenario::load_str("probe.toml", text).unwrap()
}

/// Per arm: each citizen's first (month, state) outside `a`, or None if it stays.
fn first_exits(sc: &Scenario, rep: u32) -> Vec<Vec<Option<(u32, u16)>>> {
    let opts = RunOptions::from_scenario(sc);
    let (_, obs) = montecarlo::run_observed(sc, &opts, rep, |_| Trajectories::default()).unwrap();
    let n = sc.cohort.size();
    obs.iter()
        .map(|t| {
            let mut out = vec![None; n];
            for &(cycle, i, states) in &t.rows {
                if states[0] != 0 && out[i].is_none() {
                    out[i] = Some((cycle, states[0]));
                }
            }
            out
        })
        .collect()
}

#[test]
fn lowering_one_exit_moves_nobody_between_the_other_exits() {
    let sc = load(&three_exits(20_000, 4.0, false));
    let (c, d) = (2u16, 3u16);
    let exits = first_exits(&sc, 0);
    let (control, treatment) = (&exits[0], &exits[1]);
    let to_c_or_d: Vec<usize> = (0..control.len())
        .filter(|&i| matches!(control[i], Some((_, s)) if s == c || s == d))
        .collect();
    assert!(to_c_or_d.len() > 10_000, "{} leavers", to_c_or_d.len());
    let moved: Vec<usize> = to_c_or_d
        .iter()
        .copied()
        .filter(|&i| treatment[i] != control[i])
        .collect();
    assert!(
        moved.is_empty(),
        "{} of {} citizens who leave a for c or d under control leave differently under \
         treatment, though only a → b changed (first: citizen {})",
        moved.len(),
        to_c_or_d.len(),
        moved.first().copied().unwrap_or(0)
    );
    // Those who stay in a under control stay under treatment too (every rate is lower or equal).
    assert!((0..control.len()).all(|i| control[i].is_some() || treatment[i].is_none()));
    // And the change is real: some who take b under control take another path under treatment.
    let b_changed = (0..control.len())
        .filter(|&i| matches!(control[i], Some((_, 1))) && treatment[i] != control[i])
        .count();
    assert!(b_changed > 1_000, "{b_changed}");
}

#[test]
fn shares_per_exit_match_competing_risks_in_closed_form() {
    // Absorbing b, c, d: after T months the share in exit k is rₖ/R · (1 − exp(−R·T)).
    let n = 20_000u32;
    let sc = load(&three_exits(n, 4.0, false));
    let t = sc.sim.horizon as f64;
    let r = -(0.7f64).ln() / 3.0;
    let exits = first_exits(&sc, 1);
    for (arm, rates) in [(0usize, [r, r, r]), (1, [r * 0.5, r, r])] {
        let total: f64 = rates.iter().sum();
        for (k, &rk) in rates.iter().enumerate() {
            let p = rk / total * (1.0 - (-total * t).exp());
            let got = exits[arm]
                .iter()
                .filter(|e| matches!(e, Some((_, s)) if *s as usize == k + 1))
                .count() as f64
                / n as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (got - p).abs() < 4.0 * se,
                "arm {arm}, exit {}: share {got:.4}, closed form {p:.4} (4 SE = {:.4})",
                k + 1,
                4.0 * se
            );
        }
    }
}

#[test]
fn adding_a_parameter_leaves_the_draws_of_the_others_identical() {
    let a = load(&three_exits(100, 4.0, false));
    let b = load(&three_exits(100, 4.0, true));
    let x = |sc: &Scenario| {
        sc.params
            .iter()
            .position(|p| p.path == "accounts.x.amount")
            .unwrap()
    };
    let (xa, xb) = (x(&a), x(&b));
    assert_ne!(
        xa, xb,
        "the new account must come before x in the parameter list"
    );
    let mut varied = false;
    for rep in 0..50 {
        let (va, vb) = (
            draw_params(&a, 11, rep, true),
            draw_params(&b, 11, rep, true),
        );
        assert_eq!(
            va[xa].to_bits(),
            vb[xb].to_bits(),
            "replication {rep}: x drawn {} without and {} with the new account",
            va[xa],
            vb[xb]
        );
        varied |= va[xa] != draw_params(&a, 11, 0, true)[xa];
    }
    assert!(varied, "x must actually be drawn per replication");
}

#[test]
fn changing_one_attribute_leaves_the_other_attributes_identical() {
    let a = load(&three_exits(20_000, 4.0, false));
    let c = load(&three_exits(20_000, 8.0, false));
    for rep in 0..2 {
        let (ca, cc) = (
            cohort::synthesize(&a, 11, rep),
            cohort::synthesize(&c, 11, rep),
        );
        let provider = a
            .attributes
            .iter()
            .position(|x| x.id == "provider")
            .unwrap();
        let burden = a.attributes.iter().position(|x| x.id == "burden").unwrap();
        let differ = (0..ca.n)
            .filter(|&i| ca.attr(i, provider) != cc.attr(i, provider))
            .count();
        assert_eq!(
            differ, 0,
            "changing burden's sd changed provider for {differ} citizens"
        );
        assert_eq!(
            ca.offer_u, cc.offer_u,
            "the offer draws must not move either"
        );
        assert_eq!(ca.start, cc.start);
        let burden_changed = (0..ca.n)
            .filter(|&i| ca.attr(i, burden) != cc.attr(i, burden))
            .count();
        assert!(burden_changed > 19_000, "{burden_changed}");
    }
}

#[test]
fn tornado_low_and_high_bracket_the_base_for_a_monotone_parameter() {
    // A job effect that only ever helps: more of it, fewer benefit months, higher savings.
    let text = small("").replace(
        "[arms.treatment.effects.course]\njob = 1.5",
        "[arms.treatment.effects.course]\njob = { dist = \"lognormal\", mean = 1.5, sd = 0.3, source = \"probe\" }",
    );
    let sc = load(&text);
    let bif = PERSPECTIVES.iter().position(|p| *p == "bif").unwrap();
    let opts = RunOptions {
        replications: 20,
        ..RunOptions::from_scenario(&sc)
    };
    let (base, rows) = sensitivity::tornado(&sc, &opts, bif, &|_, _| {}).unwrap();
    let row = rows
        .iter()
        .find(|r| r.parameter.ends_with("effects.course.job"))
        .unwrap();
    assert!(row.low < row.high);
    assert!(
        row.npv_low < base && base < row.npv_high,
        "low {} / base {base} / high {} do not bracket the base",
        row.npv_low,
        row.npv_high
    );
    // Paired replications: the swing is known far more precisely than its size.
    let mcse = row.swing_mcse.unwrap();
    assert!(mcse < row.swing / 4.0, "swing {} ± {mcse}", row.swing);
}

#[test]
fn staff_that_never_binds_changes_nothing_but_the_staff_cost() {
    // 100 and 200 mentors both exceed the demand of 120 citizens: no queue at either, so every
    // citizen gets the same service in the same month and follows the same trajectory; only
    // the mentors' cost differs. (The first version's sweep test only checked the grid.)
    let mut lo = load(&staffed(100.0, 1.0, 2.0, 1.0));
    let mut hi = lo.clone();
    lo.set_staff("mentors", 100.0).unwrap();
    hi.set_staff("mentors", 200.0).unwrap();
    let opts = RunOptions {
        replications: 3,
        ..RunOptions::from_scenario(&lo)
    };
    let (a, b) = (
        montecarlo::run(&lo, &opts).unwrap(),
        montecarlo::run(&hi, &opts).unwrap(),
    );
    let sof = PERSPECTIVES.iter().position(|p| *p == "sof").unwrap();
    for (ra, rb) in a.reps.iter().zip(&b.reps) {
        assert_eq!(ra.end_share, rb.end_share);
        for (k, (ha, hb)) in ra.headlines[1].iter().zip(&rb.headlines[1]).enumerate() {
            assert_eq!(ha.savings, hb.savings, "savings must not change ({k})");
            // SOF employs the mentors: 100 more FTE × 480,000 kr. a year × 2 years.
            let extra = if k == sof {
                100.0 * 480_000.0 * 2.0
            } else {
                0.0
            };
            let got = hb.investment - ha.investment;
            if PERSPECTIVES[k] == "bif" || PERSPECTIVES[k] == "suf" || k == sof {
                assert!(
                    (got - extra).abs() < 1e-3,
                    "{}: {got} ≠ {extra}",
                    PERSPECTIVES[k]
                );
            }
        }
    }
}
