//! The life course: ages that advance, deaths from the life table, moves at an age, age bands,
//! account windows. Each test fails if its property breaks.

mod common;
use common::*;
use ressim::economics;
use ressim::engine::Observer;
use ressim::montecarlo::{self, RunOptions};
use ressim::scenario::lifetable;
use ressim::scenario::{self, COURSE, Scenario};
use std::fs;

fn load(text: &str) -> Scenario {
    scenario::load_str("life.toml", text).unwrap()
}

/// Every (cycle, citizen, course state, attributes) at the end of each cycle.
#[derive(Default)]
struct Rows(Vec<(u32, usize, u16, Vec<f64>)>);
impl Observer for Rows {
    fn citizen_state(&mut self, cycle: u32, citizen: usize, states: [u16; 2], attrs: &[f64]) {
        self.0.push((cycle, citizen, states[0], attrs.to_vec()));
    }
}

fn observed(sc: &Scenario, rep: u32) -> Vec<Rows> {
    let opts = RunOptions::from_scenario(sc);
    montecarlo::run_observed(sc, &opts, rep, |_| Rows::default())
        .unwrap()
        .1
}

/// A closed cohort in `alive`, a state nobody leaves except by death.
fn cohort_alive(size: u32, horizon: u32, age: &str, hr: &str) -> String {
    format!(
        r#"[simulation]
start = "2016-01"
horizon = {horizon}
seed = 3
replications = 1
[cohort]
size = {size}
start_state = "alive"
[cohort.attributes.age]
{age}
ageing = true
[cohort.attributes.female]
dist = "bernoulli"
p = 0.5
[states.alive]
absorbing = true
{hr}
[states.dead]
absorbing = true
[mortality]
age_attribute = "age"
sex_attribute = "female"
death_state = "dead"
[accounts.x]
payer = "bif"
amount = 1
states = ["alive"]
[arms.control]
[arms.treatment]
"#
    )
}

#[test]
fn survival_by_age_matches_the_life_table() {
    let n = 20_000u32;
    let sc = load(&cohort_alive(n, 300, "value = 60", ""));
    let table = lifetable::builtin().unwrap();
    let rc = montecarlo::run_counts(&sc, &RunOptions::from_scenario(&sc), 0).unwrap();
    let (counts, _) = &rc.arms[0];
    let alive = sc.chains[COURSE].index("alive").unwrap();
    // From exact age 60, twelve months of each year of age survive with 1 − qx.
    let (mut s_m, mut s_f) = (1.0, 1.0);
    for year in 1..=25u32 {
        let x = 60 + year - 1;
        s_m *= 1.0 - table.qx(x, false);
        s_f *= 1.0 - table.qx(x, true);
        let expected = 0.5 * (s_m + s_f);
        let got =
            counts.at_end(&rc.layout, (12 * year - 1) as usize, COURSE, alive) as f64 / n as f64;
        let mcse = (expected * (1.0 - expected) / n as f64).sqrt();
        assert!(
            (got - expected).abs() < 3.0 * mcse,
            "age {}: survival {got:.4}, life table {expected:.4} (MCSE {mcse:.4})",
            60 + year
        );
    }
    // The survival curve falls: at 85 well below one half survive for men.
    assert!(s_m < 0.7 && s_f > s_m);
}

#[test]
fn excess_mortality_multiplies_the_death_rate() {
    let n = 20_000u32;
    let sc = load(&cohort_alive(n, 12, "value = 50", "mortality_hr = 3"));
    let table = lifetable::builtin().unwrap();
    let rc = montecarlo::run_counts(&sc, &RunOptions::from_scenario(&sc), 0).unwrap();
    let alive = sc.chains[COURSE].index("alive").unwrap();
    let got = rc.arms[0].0.at_end(&rc.layout, 11, COURSE, alive) as f64 / n as f64;
    // Under hazard ratio 3 a year survives with (1 − qx)³.
    let expected = 0.5 * ((1.0 - table.qx(50, false)).powi(3) + (1.0 - table.qx(50, true)).powi(3));
    let mcse = (expected * (1.0 - expected) / n as f64).sqrt();
    assert!((got - expected).abs() < 3.0 * mcse, "{got} vs {expected}");
}

#[test]
fn nobody_is_older_than_the_tables_last_age() {
    let age = "dist = \"uniform\"\nmin = 100\nmax = 110";
    let sc = load(&cohort_alive(2_000, 150, age, ""));
    let last = lifetable::builtin().unwrap().last_age() as f64;
    let alive = sc.chains[COURSE].index("alive").unwrap() as u16;
    let rows = observed(&sc, 0);
    let mut oldest: f64 = 0.0;
    for &(cycle, i, s, ref a) in &rows[0].0 {
        if s == alive {
            oldest = oldest.max(a[0]);
            // Alive at the end of a cycle: the completed age is at most the last age, and the
            // citizen dies in the first cycle that starts at it.
            assert!(
                a[0].floor() <= last && a[0] < last + 1.0 / 12.0 + 1e-9,
                "citizen {i} alive at {} in cycle {cycle}",
                a[0]
            );
        }
    }
    assert!(
        oldest > last,
        "someone lived into the last year of age: {oldest}"
    );
    let ends: Vec<u16> = rows[0]
        .0
        .iter()
        .filter(|r| r.0 == 149)
        .map(|r| r.2)
        .collect();
    assert!(
        ends.iter().all(|&s| s != alive),
        "everybody has died by then"
    );
}

fn pension_at_67(mortality: bool) -> String {
    let m = if mortality {
        "[mortality]\nage_attribute = \"age\"\nsex_attribute = \"female\"\ndeath_state = \"dead\"\n\
         [states.pension.mortality_hr]\nvalue = 2\nsource = \"Assumption: excess mortality\"\n"
    } else {
        ""
    };
    format!(
        r#"[simulation]
start = "2016-01"
horizon = 120
seed = 5
replications = 1
[cohort]
size = 3000
start_state = {{ course = 0.5, pension = 0.5 }}
[cohort.attributes.age]
dist = "uniform"
min = 60
max = 66.99
ageing = true
[cohort.attributes.female]
dist = "bernoulli"
p = 0.5
[states.course]
in_course = true
at_age = {{ age = 67, to = "old_age_pension" }}
[states.pension]
absorbing = true
at_age = {{ age = 67, to = "old_age_pension" }}
[states.old_age_pension]
absorbing = true
[states.dead]
absorbing = true
[transitions.course.pension]
prob = 0.02
{m}
[accounts.pension]
payer = "bif"
amount = 10000
states = ["pension"]
[arms.control]
[arms.treatment]
"#
    )
}

#[test]
fn the_at_age_rule_moves_everyone_in_the_cycle_they_reach_67() {
    for mortality in [false, true] {
        let sc = load(&pension_at_67(mortality));
        let course = &sc.chains[COURSE];
        let (old, dead) = (
            course.index("old_age_pension").unwrap() as u16,
            course.index("dead").unwrap() as u16,
        );
        let rows = observed(&sc, 0);
        let n = sc.cohort.size();
        let mut prev: Vec<Option<u16>> = vec![None; n];
        let (mut moved, mut died) = (0, 0);
        for &(cycle, i, s, ref a) in &rows[0].0 {
            let age_end = a[0];
            let was = prev[i];
            if s == old && was != Some(old) {
                // Moved in this cycle: 67 reached by its end, not by the end of the last one.
                assert!(
                    age_end >= 67.0 - 1e-9 && age_end - 1.0 / 12.0 < 67.0 - 1e-9,
                    "citizen {i} moved in cycle {cycle} at age {age_end}"
                );
                moved += 1;
            }
            if s != old && s != dead {
                assert!(
                    age_end < 67.0 - 1e-9,
                    "citizen {i} still in {s} at {age_end}"
                );
            }
            died += (s == dead && was != Some(dead)) as usize;
            prev[i] = Some(s);
        }
        assert!(moved > 2_500, "{moved} moved");
        assert_eq!(died > 0, mortality, "{died} died");
        // Nothing is booked on the førtidspension account after everyone has turned 67.
        let rc = montecarlo::run_counts(&sc, &RunOptions::from_scenario(&sc), 0).unwrap();
        let b = economics::book(
            &sc,
            &rc.values,
            0,
            &rc.layout,
            &rc.classes,
            &rc.arms[0].0,
            1.0,
        );
        // The youngest (60 at entry) turn 67 at the end of cycle 83.
        assert!(b.gross[0][..80].iter().all(|&x| x > 0.0));
        assert!(
            b.gross[0][84..].iter().all(|&x| x == 0.0),
            "{:?}",
            &b.gross[0][80..90]
        );
    }
}

/// State `a` with three competing exits; `extra` adds mortality.
fn three_exits(mortality: bool) -> String {
    let m = if mortality {
        "[mortality]\nage_attribute = \"age\"\nsex_attribute = \"female\"\ndeath_state = \"dead\"\n\
         [states.a.mortality_hr]\nvalue = 20\n"
    } else {
        ""
    };
    format!(
        r#"[simulation]
start = "2016-01"
horizon = 24
seed = 9
replications = 1
[cohort]
size = 10000
start_state = "a"
[cohort.attributes.age]
dist = "uniform"
min = 40
max = 80
ageing = true
[cohort.attributes.female]
dist = "bernoulli"
p = 0.5
[states.a]
in_course = true
[states.b]
[states.c]
absorbing = true
[states.dead]
absorbing = true
[transitions.a.b]
prob = 0.04
[transitions.a.c]
prob = 0.04
[transitions.b.a]
prob = 0.1
{m}
[arms.control]
[arms.treatment]
"#
    )
}

#[test]
fn adding_mortality_moves_only_the_citizens_who_die() {
    let without = observed(&load(&three_exits(false)), 0);
    let with = observed(&load(&three_exits(true)), 0);
    let sc = load(&three_exits(true));
    let dead = sc.chains[COURSE].index("dead").unwrap() as u16;
    let n = sc.cohort.size();
    let h = 24usize;
    let path = |rows: &Rows| {
        let mut p = vec![vec![0u16; h]; n];
        for &(cycle, i, s, _) in &rows.0 {
            p[i][cycle as usize] = s;
        }
        p
    };
    let (a, b) = (path(&without[0]), path(&with[0]));
    let mut deaths = 0;
    for i in 0..n {
        match b[i].iter().position(|&s| s == dead) {
            // Never dies: the very same course, month by month.
            None => assert_eq!(a[i], b[i], "citizen {i} moved without dying"),
            // Dies in cycle d: the same course until then.
            Some(d) => {
                deaths += 1;
                assert_eq!(a[i][..d], b[i][..d], "citizen {i} moved before dying");
            }
        }
    }
    assert!(deaths > 200, "{deaths} deaths");
}

#[test]
fn age_bands_apply_from_the_month_the_age_is_reached() {
    // Everyone is 49.5 at entry; the exit doubles from 50, i.e. from the seventh month.
    let text = r#"[simulation]
start = "2016-01"
horizon = 12
seed = 1
replications = 1
[cohort]
size = 40000
start_state = "a"
[cohort.attributes.age]
value = 49.5
ageing = true
[states.a]
[states.b]
absorbing = true
[transitions.a.b]
prob = 0.05
modifiers = [{ attribute = "age", bands = [{ from = 50, hr = 2 }] }]
[arms.control]
[arms.treatment]
"#;
    let sc = load(text);
    let rc = montecarlo::run_counts(&sc, &RunOptions::from_scenario(&sc), 0).unwrap();
    let (counts, _) = &rc.arms[0];
    for m in 1..12usize {
        let start = counts.at_end(&rc.layout, m - 1, COURSE, 0) as f64;
        let left = start - counts.at_end(&rc.layout, m, COURSE, 0) as f64;
        let p = if m >= 6 { 1.0 - 0.95f64.powi(2) } else { 0.05 };
        let se = (p * (1.0 - p) / start).sqrt();
        assert!(
            (left / start - p).abs() < 4.0 * se,
            "month {m}: {} left, expected {p}",
            left / start
        );
    }
}

#[test]
fn an_account_window_books_only_inside_it() {
    let text = r#"[simulation]
start = "2016-01"
horizon = 12
[cohort]
size = 10
[states.a]
absorbing = true
[accounts.house]
payer = "bif"
amount = 100
states = ["a"]
from_month = 2
to_month = 4
[arms.control]
[arms.treatment]
"#;
    let sc = load(text);
    let rc = montecarlo::run_counts(&sc, &RunOptions::from_scenario(&sc), 0).unwrap();
    let b = economics::book(
        &sc,
        &rc.values,
        0,
        &rc.layout,
        &rc.classes,
        &rc.arms[0].0,
        1.0,
    );
    let expected: Vec<f64> = (0..12)
        .map(|m| if (2..=4).contains(&m) { 1000.0 } else { 0.0 })
        .collect();
    assert_eq!(b.gross[0], expected);
}

#[test]
fn placebo_world_with_a_life_course_saves_exactly_nothing() {
    let text = format!(
        "{}\n[arms.treatment.effects.course]\npension = 0.7\n",
        pension_at_67(true).replace(
            "[arms.treatment]\n",
            "[arms.treatment]\noffer_share = 0.5\n"
        )
    );
    let sc = load(&text);
    let arm = montecarlo::Results::focus_arm(&sc);
    let opts = |x: f64| RunOptions {
        replications: 4,
        effect_scale: x,
        ..RunOptions::from_scenario(&sc)
    };
    let res = montecarlo::run(&sc, &opts(0.0)).unwrap();
    for rep in &res.reps {
        for h in &rep.headlines[arm] {
            assert_eq!(h.savings, 0.0);
        }
    }
    let res = montecarlo::run(&sc, &opts(1.0)).unwrap();
    assert!(res.reps.iter().any(|r| r.headlines[arm][6].savings != 0.0));
}

#[test]
fn life_course_outputs_are_byte_identical_across_thread_counts() {
    let t = tempfile::tempdir().unwrap();
    let scen = write(t.path(), "life.toml", &pension_at_67(true));
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = t.path().join(format!("t{threads}"));
        quick(
            "run",
            &[scen.to_str().unwrap(), "--threads", threads],
            6,
            &out,
        );
        outs.push(out);
    }
    for f in [
        "summary.json",
        "occupancy.csv",
        "cashflows.csv",
        "flows.csv",
    ] {
        assert!(
            fs::read(outs[0].join(f)).unwrap() == fs::read(outs[1].join(f)).unwrap(),
            "{f} differs between thread counts"
        );
    }
}

#[test]
fn life_course_errors_say_where_and_what_is_allowed() {
    let t = tempfile::tempdir().unwrap();
    let bad_table = cohort_alive(10, 12, "value = 60", "")
        .replace("[mortality]\n", "[mortality]\ntable = \"missing.csv\"\n");
    let e = scenario::load(&write(t.path(), "a.toml", &bad_table)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("a.toml: line") && msg.contains("missing.csv"),
        "{msg}"
    );
    write(t.path(), "t.csv", "age,qx\n0,0.5\n1,2\n");
    let text = cohort_alive(10, 12, "value = 0", "")
        .replace("[mortality]\n", "[mortality]\ntable = \"t.csv\"\n")
        .replace("sex_attribute = \"female\"\n", "");
    let msg = scenario::load(&write(t.path(), "b.toml", &text))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("t.csv: line 3, column 3") && msg.contains("between 0 and 1"),
        "{msg}"
    );
    let text = cohort_alive(10, 12, "value = 60", "").replace("ageing = true\n", "");
    let msg = scenario::load(&write(t.path(), "c.toml", &text))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("ageing = true"), "{msg}");
    let text = small(
        "[accounts.old]\npayer = \"bif\"\namount = 1\nstates = [\"course\"]\nwhen = { attribute = \"age\", min = 60 }\n[cohort.attributes.age]\nvalue = 40\nageing = true\n",
    );
    let msg = scenario::load(&write(t.path(), "d.toml", &text))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("ageing attribute") && msg.contains("line"),
        "{msg}"
    );
    let text =
        small("[accounts.w]\npayer = \"bif\"\namount = 1\nstates = [\"course\"]\nto_month = 99\n");
    let msg = scenario::load(&write(t.path(), "e.toml", &text))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("between 0 and 23"), "{msg}");
}

/// Exits whose rates read an age are bounded for a year and refreshed exactly only when their
/// uniform falls below the bound (`AgeBound`); every citizen's trajectory is the same as with
/// the exact refresh of every cycle: in the shipped scenario (age effect on førtidspension,
/// services with effects) and in one with strong age effects of both signs, two ageing
/// attributes, duration steps, a participant effect and an age band (which cannot be bounded).
#[test]
fn bounding_the_exits_that_read_an_age_changes_no_trajectory() {
    use ressim::engine::compile::CArm;
    let strong = r#"[scenario]
name = "ages"
[simulation]
start = "2016-01"
horizon = 120
[cohort]
size = 400
start_state = "course"
[cohort.attributes.age]
dist = "uniform"
min = 20
max = 64
ageing = true
[cohort.attributes.years_known]
dist = "uniform"
min = 0
max = 5
ageing = true
[cohort.attributes.burden]
dist = "uniform"
min = 0
max = 3
[states.course]
in_course = true
[states.job]
[states.pension]
absorbing = true
[states.sick]
[transitions.course.job]
prob = 0.02
by_duration = [{ from_month = 0, hr = 0.5 }, { from_month = 7, hr = 1.0 }]
modifiers = [
  { attribute = "age", hr_per_unit = 0.85, reference = 45 },
  { attribute = "years_known", hr_per_unit = 1.1, reference = 2 },
  { attribute = "burden", hr_per_unit = 0.7, reference = 1 },
]
[transitions.course.pension]
prob = 0.01
modifiers = [{ attribute = "age", hr_per_unit = 1.2, reference = 50 }]
[transitions.course.sick]
prob = 0.01
[transitions.job.course]
prob = 0.01
modifiers = [{ attribute = "age", hr_per_unit = 1.05, reference = 40 }]
[transitions.sick.course]
prob = 0.05
modifiers = [{ attribute = "age", bands = [{ from = 45, hr = 1.5 }, { from = 55, hr = 0.5 }] }]
[accounts.x]
payer = "bif"
amount = 1
states = ["course"]
[arms.control]
[arms.treatment]
offer_share = 0.5
[arms.treatment.effects.course]
job = 1.4
pension = 0.7
"#;
    let scenarios = [
        scenario::load_default().unwrap(),
        scenario::load_str("ages.toml", strong).unwrap(),
    ];
    for sc in &scenarios {
        let bounded = |carm: &CArm| {
            let life = carm.life.as_ref().unwrap();
            let used = life.age_bounds.iter().flatten().filter(|b| b.is_some());
            assert!(used.count() > 0, "{}: nothing bounded", sc.name);
        };
        let exact = |carm: &mut CArm| {
            for b in carm.life.as_mut().unwrap().age_bounds.iter_mut().flatten() {
                *b = None;
            }
        };
        variant_changes_no_trajectory(sc, 3, bounded, exact);
    }
}
