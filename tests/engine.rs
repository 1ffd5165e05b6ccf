//! The engine against things we know: conservation of citizens, common random numbers,
//! a closed-form expectation, and hand-computed bookings to the øre.

mod common;
use common::*;
use ressim::cohort;
use ressim::economics;
use ressim::engine::{self, Trajectories, compile::compile_arm};
use ressim::montecarlo::{self, RunOptions, draw_params};
use ressim::scenario::{self, Scenario};

fn opts(replications: u32, seed: u64) -> RunOptions {
    RunOptions {
        replications,
        seed,
        threads: 0,
        psa: true,
        effect_scale: 1.0,
        progress: false,
    }
}

fn trajectories(sc: &Scenario, seed: u64, rep: u32, effect_scale: f64) -> Vec<Trajectories> {
    let values = draw_params(sc, seed, rep, true);
    let cit = cohort::synthesize(sc, seed, rep);
    let (sclass, classes) = economics::static_classes(sc, &cit).unwrap();
    let lay = montecarlo::layout(sc, classes.n_classes());
    (0..sc.arms.len())
        .map(|a| {
            let carm = compile_arm(sc, &values, a, effect_scale).unwrap();
            let class = engine::classes(&carm, &cit, &sclass);
            let mut t = Trajectories::default();
            let counts = engine::run_arm(&lay, &carm, &cit, &class, seed, rep, &mut t).unwrap();
            assert_conserved(sc, &lay, &counts, &cit.entered);
            // The counts must equal an independent tally of every citizen's state.
            let mut tally = vec![0u32; counts.end.len()];
            for &(m, i, states) in &t.rows {
                for (c, &s) in states.iter().enumerate() {
                    tally[lay.state_ix(m as usize, c, s as usize, class[i] as usize)] += 1;
                }
            }
            assert_eq!(
                tally, counts.end,
                "counts differ from the citizens' own states"
            );
            t
        })
        .collect()
}

#[test]
fn shipped_scenario_conserves_population_with_finite_amounts() {
    let sc = scenario::load(&shipped()).unwrap();
    for rep in 0..3 {
        let rc = montecarlo::run_counts(&sc, &opts(3, 5), rep).unwrap();
        for (a, (counts, _)) in rc.arms.iter().enumerate() {
            assert_conserved(&sc, &rc.layout, counts, &rc.citizens.entered);
            let amounts = economics::book(&sc, &rc.values, a, &rc.layout, &rc.classes, counts, 1.0);
            assert!(
                amounts
                    .gross
                    .iter()
                    .chain(&amounts.refunded)
                    .flatten()
                    .all(|v| v.is_finite())
            );
        }
    }
}

#[test]
fn an_arm_equal_to_control_has_identical_trajectories_and_zero_difference() {
    let text = small("[arms.same]\noffer_share = 1.0\n");
    let sc = scenario::load_str("crn.toml", &text).unwrap();
    let ids: Vec<&str> = sc.arms.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["control", "treatment", "same"]);
    for rep in 0..3 {
        let t = trajectories(&sc, 99, rep, 1.0);
        assert_eq!(
            t[0], t[2],
            "replication {rep}: arm `same` drifted from control"
        );
        assert_ne!(
            t[0], t[1],
            "the treatment effect should change some trajectory"
        );
        // With no effect (scale 0) the treatment arm is the control arm, citizen by citizen.
        let z = trajectories(&sc, 99, rep, 0.0);
        assert_eq!(z[0], z[1]);
    }
    let res = montecarlo::run(&sc, &opts(10, 99)).unwrap();
    for r in &res.reps {
        assert_eq!(r.total_by_payer[0], r.total_by_payer[2]);
        assert_eq!(r.end_share[0], r.end_share[2]);
    }
}

#[test]
fn non_participants_follow_control_exactly() {
    // Citizens not offered the programme (half of them) must have the control trajectory.
    let sc = scenario::load_str("np.toml", &small("")).unwrap();
    let values = draw_params(&sc, 3, 0, true);
    let cit = cohort::synthesize(&sc, 3, 0);
    let (sclass, _) = economics::static_classes(&sc, &cit).unwrap();
    let treat = compile_arm(&sc, &values, 1, 1.0).unwrap();
    let class = engine::classes(&treat, &cit, &sclass);
    let t = trajectories(&sc, 3, 0, 1.0);
    let participants = class.iter().filter(|c| **c & 1 == 1).count();
    assert!(
        participants > 60 && participants < 140,
        "{participants} of 200 offered at share 0.5"
    );
    for (row_c, row_t) in t[0].rows.iter().zip(&t[1].rows) {
        assert_eq!((row_c.0, row_c.1), (row_t.0, row_t.1));
        if class[row_c.1] & 1 == 0 {
            assert_eq!(row_c.2, row_t.2, "non-participant {} differs", row_c.1);
        }
    }
}

#[test]
fn constant_exit_probability_matches_the_closed_form() {
    // One state left with probability p per cycle; months counted at the start of each cycle.
    // Expected cycles in the state over T cycles: (1 − (1 − p)^T) / p.
    let (p, horizon, n) = (0.07, 36, 400);
    let text = format!(
        r#"[simulation]
start = "2020-01"
horizon = {horizon}
counting = "start"
[cohort]
size = {n}
[states.in]
[states.out]
absorbing = true
[transitions.in.out]
prob = {p}
[accounts.months_in]
unit = "months"
payer = "citizen"
amount = 1
states = ["in"]
[arms.control]
[arms.other]
"#
    );
    let sc = scenario::load_str("closed.toml", &text).unwrap();
    let res = montecarlo::run(&sc, &opts(200, 1)).unwrap();
    // The grand mean over R·n independent citizens; its standard error follows from the
    // variance of one citizen's months in the state (computed exactly below).
    let total: f64 = res.amount_sums[0][0].iter().sum();
    let citizens = (res.replications() * n) as f64;
    let mean = total / citizens;
    let q: f64 = 1.0 - p;
    let expected = (1.0 - q.powi(horizon)) / p;
    // Variance of months in state for one citizen (a truncated geometric): E[X²] − E[X]².
    let mut ex2 = 0.0;
    let mut ex = 0.0;
    for k in 1..=horizon {
        // P(X = k): leave during cycle k (k < T) or still in at the end (k = T).
        let pk = if k < horizon {
            q.powi(k - 1) * p
        } else {
            q.powi(horizon - 1)
        };
        ex += k as f64 * pk;
        ex2 += (k * k) as f64 * pk;
    }
    assert!((ex - expected).abs() < 1e-9, "{ex} vs {expected}");
    let mcse = ((ex2 - ex * ex) / citizens).sqrt();
    assert!(
        (mean - expected).abs() < 3.0 * mcse,
        "simulated {mean:.4}, closed form {expected:.4}, 3·MCSE {:.4}",
        3.0 * mcse
    );
}

fn one_citizen(extra_sim: &str) -> String {
    format!(
        r#"[simulation]
start = "2016-11"
horizon = 6
discount_rate = 0.04
{extra_sim}
[cohort]
size = 1
[cohort.attributes.provider]
dist = "bernoulli"
p = 1
[states.course]
in_course = true
max_months = 3
on_max = {{ pension = 1.0 }}
[states.pension]
absorbing = true
[accounts.benefit]
payer = "bif"
amount = 10968.50
states = ["course"]
[accounts.provider_supplement]
payer = "bif"
amount = 100
states = ["course"]
when = {{ attribute = "provider", min = 1 }}
[accounts.childless_supplement]
payer = "bif"
amount = 55
states = ["course"]
when = {{ attribute = "provider", max = 0 }}
[accounts.pension]
payer = "state"
amount = 17000.50
states = ["pension"]
[accounts.award]
payer = "state"
amount = 1234.56
transitions = ["course->pension"]
[accounts.hours]
unit = "hours"
price = 400
payer = "bif"
amount = 4.5
states = ["course"]
[arms.control]
[arms.treatment]
[arms.treatment.accounts.benefit]
amount = 5000
"#
    )
}

/// cashflows.csv rows as fields: arm, year, account, payer, dkk_mean, dkk_discounted_mean.
fn cash_rows(dir: &std::path::Path) -> Vec<Vec<String>> {
    csv_rows(&dir.join("cashflows.csv"))
}

/// (dkk_mean, dkk_discounted_mean) of one row.
fn cash(rows: &[Vec<String>], arm: &str, year: &str, acc: &str) -> (String, String) {
    let r = csv_row(rows, &[arm, year, acc]);
    (r[4].clone(), r[5].clone())
}

#[test]
fn one_citizen_is_booked_exactly_to_the_ore() {
    // The citizen starts a course in November 2016, is forced out after 3 months (during the
    // third cycle, January 2017) to pension, and stays there to April 2017.
    // Half-cycle counting: Nov 1, Dec 1, Jan ½ course + ½ pension, Feb–Apr pension.
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "one.toml", &one_citizen(""));
    let out = t.path().join("o");
    quick("run", &[p.to_str().unwrap()], 3, &out);
    let rows = cash_rows(&out);
    // 2016: 2 course months. Budget-year discounting: 2016 factor 1, 2017 factor 1/1.04.
    assert_eq!(
        cash(&rows, "control", "2016", "benefit"),
        ("21937.00".into(), "21937.00".into())
    );
    assert_eq!(
        cash(&rows, "control", "2016", "provider_supplement").0,
        "200.00"
    );
    assert_eq!(
        cash(&rows, "control", "2016", "childless_supplement").0,
        "0.00"
    );
    assert_eq!(cash(&rows, "control", "2016", "hours").0, "3600.00"); // 2 × 4.5 h × 400 kr.
    assert_eq!(cash(&rows, "control", "2016", "pension").0, "0.00");
    // 2017: ½ course month, 3½ pension months, one award.
    assert_eq!(
        cash(&rows, "control", "2017", "benefit"),
        ("5484.25".into(), format!("{:.2}", 5484.25 / 1.04))
    );
    assert_eq!(
        cash(&rows, "control", "2017", "pension"),
        ("59501.75".into(), format!("{:.2}", 59501.75 / 1.04))
    );
    assert_eq!(
        cash(&rows, "control", "2017", "award"),
        ("1234.56".into(), format!("{:.2}", 1234.56 / 1.04))
    );
    // The treatment arm offers its programme to everybody (default share 1) and overrides
    // the benefit amount for participants.
    assert_eq!(cash(&rows, "treatment", "2016", "benefit").0, "10000.00");
    assert_eq!(cash(&rows, "treatment", "2017", "benefit").0, "2500.00");
}

#[test]
fn timing_conventions_change_the_booking_as_documented() {
    let t = tempfile::tempdir().unwrap();
    for (conv, b2016, b2017, p2017) in [
        // start: Nov, Dec, Jan course (3 months); Feb–Apr pension.
        ("counting = \"start\"", "21937.00", "10968.50", "51001.50"),
        // start without time zero: the entry cycle (Nov) is not counted.
        (
            "counting = \"start\"\ncount_time_zero = false",
            "10968.50",
            "10968.50",
            "51001.50",
        ),
        // end: Nov, Dec course; Jan–Apr pension.
        ("counting = \"end\"", "21937.00", "0.00", "68002.00"),
    ] {
        let p = write(t.path(), "c.toml", &one_citizen(conv));
        let out = t.path().join("o");
        let o = run_in(
            t.path(),
            &[
                "run",
                p.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--replications",
                "1",
                "--quiet",
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let rows = cash_rows(&out);
        assert_eq!(cash(&rows, "control", "2016", "benefit").0, b2016, "{conv}");
        assert_eq!(cash(&rows, "control", "2017", "benefit").0, b2017, "{conv}");
        assert_eq!(cash(&rows, "control", "2017", "pension").0, p2017, "{conv}");
    }
    // Monthly discounting with discount_start 1: month m is discounted by 1.04^−(m/12 + 1).
    let p = write(
        t.path(),
        "m.toml",
        &one_citizen("discounting = \"monthly\"\ndiscount_start = 1"),
    );
    let out = t.path().join("o");
    assert!(
        run_in(
            t.path(),
            &[
                "run",
                p.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--replications",
                "1",
                "--quiet"
            ]
        )
        .status
        .success()
    );
    let rows = cash_rows(&out);
    let d = |m: f64| 1.04f64.powf(-(m / 12.0 + 1.0));
    let expected = 10968.50 * d(0.0) + 10968.50 * d(1.0);
    assert_eq!(
        cash(&rows, "control", "2016", "benefit").1,
        format!("{expected:.2}")
    );
}

/// After a course, citizens move among states whose exits are shared tables (a hub with six
/// exits, a calm state with seven), with housing that moves on its own (one or two exits per
/// level) or is held, deaths by the life table, moves at an age, the refusion clock (prior
/// weeks spread over its steps) and a hazard ratio for participants.
const SETTLED: &str = r#"[scenario]
name = "settled"
[simulation]
start = "2016-01"
horizon = 180
[cohort]
inflow = [50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50]
start_state = "course"
start_housing = { none = 0.6, support = 0.3, facility = 0.1 }
[cohort.attributes.age]
dist = "uniform"
min = 40
max = 66
ageing = true
[cohort.attributes.female]
dist = "bernoulli"
p = 0.5
[cohort.attributes.prior]
dist = "uniform"
min = 0
max = 60
[cohort.attributes.burden]
dist = "uniform"
min = 0
max = 3
[states.course]
in_course = true
on_benefits = true
at_age = { age = 67, to = "old" }
[states.hub]
on_benefits = true
at_age = { age = 67, to = "old" }
[states.calm]
at_age = { age = 67, to = "old" }
[states.job]
[states.pension]
absorbing = true
on_benefits = true
[states.old]
absorbing = true
[states.exit]
absorbing = true
housing = "none"
[states.dead]
absorbing = true
housing = "none"
[mortality]
table = "builtin"
age_attribute = "age"
sex_attribute = "female"
death_state = "dead"
[transitions.course.hub]
prob = 0.04
modifiers = [{ attribute = "burden", hr_per_unit = 0.8, reference = 1 }]
[transitions.course.calm]
prob = 0.02
[transitions.hub.course]
prob = 0.01
[transitions.hub.calm]
prob = 0.02
by_duration = [{ from_month = 0, hr = 0.5 }, { from_month = 4, hr = 1.5 }, { from_month = 9, hr = 1.0 }]
[transitions.hub.job]
prob = 0.01
[transitions.hub.pension]
prob = 0.005
[transitions.hub.exit]
prob = 0.002
[transitions.hub.old]
prob = 0.001
[transitions.calm.hub]
prob = 0.01
[transitions.calm.job]
prob = 0.01
modifiers = [{ attribute = "burden", hr_per_unit = 0.7, reference = 1 }]
[transitions.calm.pension]
prob = 0.004
[transitions.calm.exit]
prob = 0.002
[transitions.calm.old]
prob = 0.001
[transitions.calm.course]
prob = 0.003
[transitions.calm.dead]
prob = 0.001
[transitions.job.calm]
prob = 0.01
[housing.levels.none]
[housing.levels.support]
[housing.levels.facility]
[housing.transitions.none.support]
prob = 0.01
[housing.transitions.support.none]
prob = 0.03
[housing.transitions.support.facility]
prob = 0.01
[housing.transitions.facility.support]
prob = 0.02
[housing.transitions.facility.none]
prob = 0.01
[refusion]
steps = [{ from_week = 1, rate = 0.8 }, { from_week = 5, rate = 0.4 }, { from_week = 27, rate = 0.3 }, { from_week = 53, rate = 0.2 }]
prior_weeks_attribute = "prior"
[accounts.x]
payer = "bif"
amount = 1
states = ["course", "hub", "pension"]
refusion = true
[arms.control]
[arms.treatment]
offer_share = 0.5
[arms.treatment.effects.hub]
job = 1.5
calm = 0.7
"#;

/// The scenarios whose quiet citizens are settled: every shipped one, a staffed one, the
/// settled states of [`SETTLED`] and a service that reaches settled states.
fn settled_scenarios() -> Vec<Scenario> {
    let mut scenarios: Vec<Scenario> = scenario::library::runnable()
        .map(|s| scenario::load_shipped(s.name).unwrap())
        .collect();
    let staffed = common::staffed(2.0, 1.0, 1.0, 1.0).replace(
        "[arms.treatment]\n",
        "[arms.treatment]\noffer_share = 0.5\n",
    );
    scenarios.push(scenario::load_str("staffed.toml", &staffed).unwrap());
    scenarios.push(scenario::load_str("settled.toml", SETTLED).unwrap());
    // A service for two settled states, too small for all who are eligible: allocation reaches
    // citizens there (it takes them up, lets them wait, releases them as they leave), so such
    // a citizen must never be settled ahead of its cycles.
    let aftercare = SETTLED
        .replace("name = \"settled\"", "name = \"aftercare\"")
        .replace(
            "[arms.treatment.effects.hub]",
            r#"[arms.treatment.services.aftercare]
kind = "caseload"
fte = 1
capacity_per_fte = 15
cost_per_fte_year = 100000
payer = "bif"
eligible_states = ["job", "calm"]
[arms.treatment.services.aftercare.effects.job]
calm = 0.3
[arms.treatment.services.aftercare.effects.calm]
job = 2.0
[arms.treatment.effects.hub]"#,
        );
    scenarios.push(scenario::load_str("aftercare.toml", &aftercare).unwrap());
    // The same service open only in months 6–17: before it opens it is closed too, and no
    // citizen may be left out of the allocation then; after it closes for good none is reached
    // again, and the citizens in its states are settled ahead.
    let window = aftercare
        .replace("name = \"aftercare\"", "name = \"aftercare-window\"")
        .replace(
            "eligible_states = [\"job\", \"calm\"]",
            "eligible_states = [\"job\", \"calm\"]\nfrom_month = 6\nto_month = 17",
        );
    assert_ne!(window, aftercare);
    scenarios.push(scenario::load_str("aftercare-window.toml", &window).unwrap());
    scenarios
}

#[test]
fn settling_quiet_citizens_changes_no_trajectory() {
    // Every shipped scenario (pensions, old age, housing, the refusion clock, services), four
    // kinds of service, and the settled states above (six and seven exits plus housing: up to
    // and beyond the eight coins a quiet row holds; states settled on the citizen's own table,
    // by duration steps or an attribute modifier).
    let scenarios = settled_scenarios();
    for sc in &scenarios {
        variant_changes_no_trajectory(sc, 2, |carm| assert!(carm.quiet), |carm| carm.quiet = false);
    }
}
