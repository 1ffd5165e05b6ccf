//! Arms that share trajectories are simulated once (issue 13), and the cohort simulated in
//! blocks gives the counts of one pass: both change nothing about the results.

mod common;

use ressim::analysis::break_even;
use ressim::cohort;
use ressim::economics;
use ressim::engine::{self, NoObserver, Trajectories, compile::compile_arm};
use ressim::montecarlo::{self, Results, RunOptions, draw_params};
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
    // Its services serve participants only: its non-participants are the control's.
    assert_eq!(rc.non_participants_by, vec![None, Some(0)]);
}

/// The counts of every arm with and without sharing simulations, which must be equal; returns
/// the arms whose non-participants were booked from another arm's simulation.
fn shared_equals_alone(sc: &Scenario, reps: u32) -> Vec<Option<usize>> {
    let mut by = Vec::new();
    for rep in 0..reps {
        let shared = montecarlo::run_counts_with(sc, &opts(1.0), rep, true).unwrap();
        let alone = montecarlo::run_counts_with(sc, &opts(1.0), rep, false).unwrap();
        assert!(alone.non_participants_by.iter().all(Option::is_none));
        // Counts, staffing and the citizens' classes: all the same.
        assert_eq!(shared.arms, alone.arms, "{} rep {rep}", sc.name);
        by = shared.non_participants_by;
    }
    by
}

#[test]
fn non_participants_are_simulated_once_when_only_participants_are_served() {
    // Every shipped scenario: its programme arms serve participants only.
    for shipped in ressim::scenario::library::runnable() {
        let sc = scenario::load_shipped(shipped.name).unwrap();
        let by = shared_equals_alone(&sc, 2);
        assert!(by.iter().any(Option::is_some), "{}: {by:?}", shipped.name);
    }
    // Four kinds of service (caseload, monthly with a move, shared with dilution, monthly
    // with an attribute change), offered to half of the starters.
    let half = common::staffed(2.0, 1.0, 1.0, 1.0).replace(
        "[arms.treatment]\n",
        "[arms.treatment]\noffer_share = 0.5\n",
    );
    let sc = scenario::load_str("staffed.toml", &half).unwrap();
    assert_eq!(shared_equals_alone(&sc, 3), vec![None, Some(0)]);
    // A hazard ratio for participants alone, without services; more participants than a block
    // of the engine, so that they run in blocks counted onto the non-participants' counts.
    let text = FOUR_STATE
        .replace("size = 100000", "size = 12000")
        .replace("offer_share = 1.0", "offer_share = 0.5")
        + "[arms.treatment.effects.sick]\nsicker = 0.8\n";
    let sc = scenario::load_str("four-state.toml", &text).unwrap();
    assert!(sc.cohort.size() / 2 > engine::BLOCK + 1_000);
    assert_eq!(shared_equals_alone(&sc, 2), vec![None, Some(0)]);
}

#[test]
fn a_service_open_to_everybody_keeps_the_arms_apart() {
    let text = common::staffed(2.0, 1.0, 1.0, 1.0).replace(
        "[arms.treatment]\n",
        "[arms.treatment]\noffer_share = 0.5\n",
    ) + "participants_only = false\n";
    let sc = scenario::load_str("staffed.toml", &text).unwrap();
    assert_eq!(shared_equals_alone(&sc, 2), vec![None, None]);
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

#[test]
fn only_tables_that_agree_for_non_participants_let_them_be_simulated_once() {
    let text = common::staffed(2.0, 1.0, 1.0, 1.0).replace(
        "[arms.treatment]\n",
        "[arms.treatment]\noffer_share = 0.5\n",
    );
    let sc = scenario::load_str("staffed.toml", &text).unwrap();
    let values = draw_params(&sc, 7, 0, true);
    let control = compile_arm(&sc, &values, 0, 1.0).unwrap();
    let treatment = compile_arm(&sc, &values, 1, 1.0).unwrap();
    assert!(treatment.same_for_non_participants(&control));
    // The other arm must have no services.
    assert!(!control.same_for_non_participants(&treatment));
    // A rate that differs for everybody.
    let mut faster = treatment.clone();
    faster.chains[0][0].edges[0].rate *= 1.1;
    assert!(!faster.same_for_non_participants(&control));
    // A service that serves non-participants too.
    let mut open = treatment.clone();
    open.services[0].participants_only = false;
    assert!(!open.same_for_non_participants(&control));
}

/// Four kinds of service offered to half of the starters, the last also to non-participants
/// (so the arms share no simulation), and an account on the course.
fn open_to_everybody() -> Scenario {
    let text = common::staffed(2.0, 1.0, 1.0, 1.0).replace(
        "[arms.treatment]\n",
        "[arms.treatment]\noffer_share = 0.5\n",
    ) + "participants_only = false\n"
        + "[accounts.benefit]\npayer = \"bif\"\namount = 10968\nstates = [\"course\"]\n";
    scenario::load_str("open.toml", &text).unwrap()
}

/// The focus arm's NPVs at several effect scales from one pass over the replications
/// (`focus_npv_by_scale`, which simulates control and the non-participants once) against a
/// whole run at each scale: the same bits in every replication and perspective.
fn by_scale_equals_whole_runs(sc: &Scenario, replications: u32) {
    let scales = [0.0, 0.5, 1.0, 2.5];
    let o = RunOptions {
        replications,
        ..opts(1.0)
    };
    let by = montecarlo::focus_npv_by_scale(sc, &o, &scales).unwrap();
    assert_eq!(by.len(), scales.len());
    let focus = Results::focus_arm(sc);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    for (&x, got) in scales.iter().zip(&by) {
        assert_eq!(got.len(), replications as usize);
        let res = montecarlo::run(
            sc,
            &RunOptions {
                effect_scale: x,
                ..o.clone()
            },
        )
        .unwrap();
        for k in 0..8 {
            let got: Vec<f64> = got.iter().map(|r| r[k]).collect();
            assert_eq!(
                bits(&got),
                bits(&res.npv_draws(focus, k)),
                "{} scale {x} perspective {k}",
                sc.name
            );
        }
    }
    // Not vacuous: the scale moves the NPV.
    assert_ne!(by[0], by[3], "{}", sc.name);
}

#[test]
fn npvs_by_effect_scale_in_one_pass_are_those_of_a_run_at_each_scale() {
    // The shipped scenario: control has no effects or services, so it is simulated and
    // booked once per replication, and the house serves participants only, so the
    // non-participants are simulated once too.
    let sc = scenario::load_default().unwrap();
    assert!(montecarlo::scale_free(&sc.arms[0]));
    assert!(!montecarlo::scale_free(&sc.arms[1]));
    by_scale_equals_whole_runs(&sc, 2);
    // A service open to everybody: the focus arm is simulated whole at each scale.
    by_scale_equals_whole_runs(&open_to_everybody(), 3);
    // Control with an effect of its own depends on the scale: simulated again at each.
    let text = common::small("[arms.control.effects.course]\npension = 0.8\n")
        .replace("[arms.control]\n", "[arms.control]\noffer_share = 1.0\n");
    let sc = scenario::load_str("small.toml", &text).unwrap();
    assert!(!montecarlo::scale_free(&sc.arms[0]));
    by_scale_equals_whole_runs(&sc, 4);
    // Three arms (the focus arm is `treatment`), an effect on a transition for everybody.
    by_scale_equals_whole_runs(
        &four_state(&format!(
            "{HALF_ARM}[arms.treatment.effects.sick]\nsicker = 0.8\n"
        )),
        2,
    );
}

#[test]
fn the_break_even_search_finds_what_whole_runs_at_each_scale_find() {
    let sc = scenario::load_str("small.toml", &common::small("")).unwrap();
    let o = RunOptions {
        replications: 12,
        ..opts(1.0)
    };
    let done = montecarlo::run(&sc, &o).unwrap();
    let focus = Results::focus_arm(&sc);
    let curves: Vec<[f64; 8]> = break_even::GRID
        .iter()
        .map(|&x| {
            let res = montecarlo::run(
                &sc,
                &RunOptions {
                    effect_scale: x,
                    ..o.clone()
                },
            )
            .unwrap();
            break_even::mean_npv(&res, focus)
        })
        .collect();
    let want: Vec<Option<f64>> = (0..8)
        .map(|k| {
            let npv: Vec<f64> = curves.iter().map(|c| c[k]).collect();
            break_even::crossing(&break_even::GRID, &npv)
        })
        .collect();
    let got = break_even::search(&sc, &o, &done).unwrap();
    assert_eq!(got.to_vec(), want);
    // Not vacuous: at least one perspective breaks even on the grid.
    assert!(want.iter().any(Option::is_some), "{want:?}");
}

/// The run and its break-even search in one pass (`run_and_search`) give what the run and
/// the search give apart: every result to the bit (`Debug` prints each number exactly) and
/// the same break-even scales. On the shipped scenario and the small one the pass shares
/// each replication's control and non-participants between the run and the scales; with a
/// third arm, or a compared arm that changes only amounts (it shares control's trajectories
/// in a run), the two are made apart within the pass.
#[test]
fn the_run_and_its_break_even_search_in_one_pass_are_the_two_apart() {
    let cases = [
        (scenario::load_default().unwrap(), 3),
        (
            scenario::load_str("small.toml", &common::small("")).unwrap(),
            12,
        ),
        (four_state(HALF_ARM), 2),
        (four_state(""), 2),
    ];
    for (k, (sc, replications)) in cases.iter().enumerate() {
        let o = RunOptions {
            replications: *replications,
            ..opts(1.0)
        };
        let done = montecarlo::run(sc, &o).unwrap();
        let apart = break_even::search(sc, &o, &done).unwrap();
        let (together, found) = break_even::run_and_search(sc, &o).unwrap();
        assert_eq!(format!("{together:?}"), format!("{done:?}"), "case {k}");
        assert_eq!(found, apart, "case {k}");
    }
}

/// Every point run in one pass (`run_points`: control simulated once per replication) against
/// a whole run of the point: every result the same, to the bit (`Debug` prints each number
/// exactly).
fn points_equal_whole_runs(points: &[Scenario], replications: u32) {
    let o = RunOptions {
        replications,
        ..opts(1.0)
    };
    let done = std::sync::atomic::AtomicU32::new(0);
    let together = montecarlo::run_points(points, &o, &|d, _| {
        done.fetch_max(d, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(together.len(), points.len());
    let passes = points.len().div_ceil(8) as u32;
    assert_eq!(done.into_inner(), replications * passes);
    for (k, (p, res)) in points.iter().zip(&together).enumerate() {
        let alone = montecarlo::run(p, &o).unwrap();
        assert_eq!(format!("{res:?}"), format!("{alone:?}"), "point {k}");
    }
    // Not vacuous: the staffing moves the results.
    let (first, last) = (&together[0], &together[points.len() - 1]);
    assert_ne!(format!("{:?}", first.reps), format!("{:?}", last.reps));
}

#[test]
fn sweep_points_in_one_pass_are_whole_runs_of_each_point() {
    // The shipped scenario, two services varied; the house serves participants only, so its
    // non-participants are simulated once too.
    let sc = scenario::load_default().unwrap();
    let points: Vec<Scenario> = [(0.0, 8.0), (10.0, 4.0), (25.0, 8.0)]
        .iter()
        .map(|&(mentors, caseworkers)| {
            let mut s = sc.clone();
            s.set_staff_level("mentors", mentors).unwrap();
            s.set_staff_level("caseworkers", caseworkers).unwrap();
            s
        })
        .collect();
    points_equal_whole_runs(&points, 2);
    // Services open to everybody, ten points: two passes.
    let sc = open_to_everybody();
    let points: Vec<Scenario> = (0..10)
        .map(|m| {
            let mut s = sc.clone();
            s.set_staff_level("mentors", m as f64).unwrap();
            s
        })
        .collect();
    points_equal_whole_runs(&points, 3);
}

#[test]
fn npvs_of_parameter_variants_in_one_pass_are_those_of_whole_runs() {
    use ressim::scenario::param::Param;
    let sc = scenario::load_default().unwrap();
    let at = |prefix: &str| {
        sc.params
            .iter()
            .position(|p| p.path.starts_with(prefix) && p.param.is_uncertain())
            .unwrap_or_else(|| panic!("no uncertain parameter under {prefix}"))
    };
    // An amount (booking only), an effect of the house (the compared arm again), a transition
    // (both arms again), and the scenario itself.
    let mut variants = vec![sc.clone()];
    for i in [at("accounts."), at("arms.treatment."), at("transitions.")] {
        let mut s = sc.clone();
        let v = s.params[i].param.central() * 1.3;
        s.params[i].param = Param {
            source: s.params[i].param.source.clone(),
            ..Param::fixed(v)
        };
        variants.push(s);
    }
    let o = RunOptions {
        replications: 3,
        psa: false,
        ..opts(1.0)
    };
    let by = montecarlo::focus_npv_by_variant(&sc, &variants, &o, &|_, _| {}).unwrap();
    let focus = Results::focus_arm(&sc);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
    for (v, (s, got)) in variants.iter().zip(&by).enumerate() {
        let res = montecarlo::run(s, &o).unwrap();
        for k in 0..8 {
            let got: Vec<f64> = got.iter().map(|r| r[k]).collect();
            assert_eq!(
                bits(&got),
                bits(&res.npv_draws(focus, k)),
                "variant {v}, {k}"
            );
        }
        // Not vacuous: every variant moves the NPV.
        if v > 0 {
            assert_ne!(by[v], by[0], "variant {v}");
        }
    }
}
