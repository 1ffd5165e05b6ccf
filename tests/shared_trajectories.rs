//! Arms that share trajectories are simulated once (issue 13), and the cohort simulated in
//! blocks gives the counts of one pass: both change nothing about the results.

use ressim::cohort;
use ressim::economics;
use ressim::engine::{self, NoObserver, Trajectories, compile::compile_arm};
use ressim::montecarlo::{self, RunOptions, draw_params};
use ressim::scenario::{self, Scenario};

const FOUR_STATE: &str = include_str!("../benches/data/four-state.toml");

fn opts(effect_scale: f64) -> RunOptions {
    RunOptions {
        replications: 1,
        seed: 7,
        threads: 0,
        psa: true,
        effect_scale,
        progress: false,
    }
}

/// The 4-state benchmark model, smaller, with a third arm and an uncertain amount.
fn four_state(extra: &str) -> Scenario {
    let text = FOUR_STATE.replace("size = 100000", "size = 6000").replace(
        "amount = 12000",
        "amount = { dist = \"gamma\", mean = 12000, sd = 2000, source = \"test\" }",
    ) + extra;
    scenario::load_str("four-state.toml", &text).unwrap()
}

const HALF_ARM: &str = r#"
[arms.half]
offer_share = 0.5
[arms.half.accounts.treatment]
amount = 6000
"#;

#[test]
fn an_arm_that_changes_only_amounts_is_booked_from_the_control_simulation() {
    let sc = four_state(HALF_ARM);
    for rep in 0..3 {
        let shared = montecarlo::run_counts_with(&sc, &opts(1.0), rep, true).unwrap();
        let alone = montecarlo::run_counts_with(&sc, &opts(1.0), rep, false).unwrap();
        // Detected and used: both other arms are booked from the control's simulation.
        assert_eq!(shared.simulated_by, vec![0, 0, 0]);
        assert_eq!(alone.simulated_by, vec![0, 1, 2]);
        // Each arm's counts by its own classes are exactly those of its own simulation.
        assert_eq!(shared.arms, alone.arms);
        // The participants differ between the arms, so the booking classes matter.
        let parts = |a: usize| shared.arms[a].1.iter().filter(|&&c| c & 1 == 1).count();
        assert_eq!(parts(0), 0);
        assert_eq!(parts(1), 6000);
        assert!(parts(2) > 2500 && parts(2) < 3500, "{}", parts(2));
    }
    // And the whole replication books the same amounts as before.
    let r = montecarlo::run_rep(&sc, &opts(1.0), 0).unwrap();
    let c = r.comparisons[1].as_ref().unwrap();
    assert!(c.inv_d.iter().flatten().sum::<f64>() > 0.0);
}

#[test]
fn an_arm_with_a_transition_effect_is_simulated_on_its_own() {
    let sc = four_state("[arms.treatment.effects.sick]\nsicker = 0.8\n");
    let rc = montecarlo::run_counts(&sc, &opts(1.0), 0).unwrap();
    assert_eq!(rc.simulated_by, vec![0, 1]);
    assert_ne!(rc.arms[0].0.end, rc.arms[1].0.end);
    // In the placebo world the effect is a hazard ratio of 1: the trajectories are shared
    // again, and the arms book the same consequences.
    let rc = montecarlo::run_counts(&sc, &opts(0.0), 0).unwrap();
    assert_eq!(rc.simulated_by, vec![0, 0]);
    let r = montecarlo::run_rep(&sc, &opts(0.0), 0).unwrap();
    let c = r.comparisons[1].as_ref().unwrap();
    assert!(c.sav_d.iter().flatten().all(|&v| v == 0.0));
}

#[test]
fn an_arm_with_services_is_simulated_on_its_own() {
    let sc = scenario::load_default().unwrap();
    let rc = montecarlo::run_counts(&sc, &opts(1.0), 0).unwrap();
    assert_eq!(rc.simulated_by, vec![0, 1]);
}

#[test]
fn blocks_in_parallel_count_as_one_pass_over_the_cohort() {
    let sc = four_state("[arms.treatment.effects.healthy]\nsick = 0.7\n");
    assert!(sc.cohort.size() > engine::BLOCK);
    let values = draw_params(&sc, 3, 1, true);
    let cit = cohort::synthesize(&sc, 3, 1);
    let (sclass, classes) = economics::static_classes(&sc, &cit).unwrap();
    let lay = montecarlo::layout(&sc, classes.n_classes());
    for a in 0..2 {
        let carm = compile_arm(&sc, &values, a, 1.0).unwrap();
        let class = engine::classes(&carm, &cit, &sclass);
        // An observer that looks at citizens gets one pass in id order; none gets blocks.
        let mut t = Trajectories::default();
        let one = engine::run_arm(&lay, &carm, &cit, &class, 3, 1, &mut t).unwrap();
        let blocks = engine::run_arm(&lay, &carm, &cit, &class, 3, 1, &mut NoObserver).unwrap();
        assert_eq!(one, blocks);
        assert_eq!(t.rows.len(), cit.n * sc.sim.horizon as usize);
        let single = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| engine::run_arm(&lay, &carm, &cit, &class, 3, 1, &mut NoObserver))
            .unwrap();
        assert_eq!(single, blocks);
    }
}
