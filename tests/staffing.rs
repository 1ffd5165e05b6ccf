//! Services with capacity: capacity is never exceeded and the queue order is kept (on random
//! staffing), zero staff is the control world, more staff never lengthens a queue, and bad
//! --staff / --vary arguments are refused with a clear message.

mod common;
use common::*;
use proptest::prelude::*;
use ressim::cohort;
use ressim::economics;
use ressim::engine::{self, Observer, Trajectories, compile::compile_arm};
use ressim::montecarlo::{self, RunOptions, draw_params};
use ressim::scenario::{self, Scenario};

/// (cycle, service, queue sorted by (waiting since, id), number served).
type QueueSeen = (u32, usize, Vec<(u32, usize)>, usize);

/// Records every queue the engine allocates from.
#[derive(Default)]
struct Queues {
    seen: Vec<QueueSeen>,
}
impl Observer for Queues {
    fn queue(&mut self, cycle: u32, service: usize, queue: &[(u32, usize)], served: usize) {
        self.seen.push((cycle, service, queue.to_vec(), served));
    }
}

fn run_treatment<O: Observer>(sc: &Scenario, rep: u32, obs: &mut O) -> engine::ArmCounts {
    let values = draw_params(sc, 5, rep, true);
    let cit = cohort::synthesize(sc, 5, rep);
    let (sclass, classes) = economics::static_classes(sc, &cit).unwrap();
    let lay = montecarlo::layout(sc, classes.n_classes());
    let carm = compile_arm(sc, &values, 1, 1.0).unwrap();
    let class = engine::classes(&carm, &cit, &sclass);
    let counts = engine::run_arm(&lay, &carm, &cit, &class, 5, rep, obs).unwrap();
    assert_conserved(sc, &lay, &counts, &cit.entered);
    counts
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn capacity_is_never_exceeded_and_queues_are_served_in_order(
        mentors in 0.0f64..30.0, consultants in 0.0f64..4.0, caseworkers in 0.0f64..6.0, health in 0.0f64..3.0, rep in 0u32..4,
    ) {
        let sc = scenario::load_str("staffed.toml", &staffed(mentors, consultants, caseworkers, health)).unwrap();
        let mut q = Queues::default();
        let counts = run_treatment(&sc, rep, &mut q);
        for row in &counts.staffing {
            let [capacity, used, queue, allocated, ..] = *row;
            prop_assert!(used <= capacity, "used {used} > capacity {capacity}");
            prop_assert!(allocated <= used && queue >= 0.0);
        }
        for (cycle, service, queue, served) in &q.seen {
            // The queue is sorted by (waiting since, id) and the served are its head.
            prop_assert!(queue.windows(2).all(|w| w[0] < w[1]), "cycle {cycle}, service {service}: queue out of order");
            prop_assert!(*served <= queue.len());
            prop_assert!(queue.iter().all(|(since, _)| *since <= *cycle));
        }
        if let Err(e) = waits_are_unbroken(&q) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// A citizen waits since the cycle it last joined the queue: it was in the queue (and not
/// served) in every cycle since then. Counts the citizens who left a queue unserved and joined
/// it again later.
fn waits_are_unbroken(q: &Queues) -> Result<usize, String> {
    use std::collections::HashSet;
    let waiting: HashSet<(u32, usize, u32, usize)> = q
        .seen
        .iter()
        .flat_map(|(c, sv, queue, served)| {
            queue[*served..]
                .iter()
                .map(move |&(since, id)| (*c, *sv, since, id))
        })
        .collect();
    for (cycle, service, queue, _) in &q.seen {
        for &(since, id) in queue {
            for k in since..*cycle {
                if !waiting.contains(&(k, *service, since, id)) {
                    return Err(format!(
                        "cycle {cycle}, service {service}: citizen {id} waits since {since} \
                         but was not in the queue in cycle {k}"
                    ));
                }
            }
        }
    }
    // Returns: unserved at the end of cycle k, absent from the queue in cycle k + 1, queued
    // again later.
    let in_queue: HashSet<(u32, usize, usize)> = q
        .seen
        .iter()
        .flat_map(|(c, sv, queue, _)| queue.iter().map(move |&(_, id)| (*c, *sv, id)))
        .collect();
    let returns = waiting
        .iter()
        .filter(|&&(k, sv, _, id)| {
            !in_queue.contains(&(k + 1, sv, id))
                && q.seen.iter().any(|(c, s, queue, _)| {
                    *c > k + 1 && *s == sv && queue.iter().any(|&(_, j)| j == id)
                })
        })
        .count();
    Ok(returns)
}

/// Citizens who leave the course while they wait (for a job) and come back queue again from
/// their return: the allocation looks only at citizens who hold, wait or are in a state some
/// service is for, and must still end the wait of one who left.
#[test]
fn a_citizen_who_leaves_the_queue_waits_again_from_its_return() {
    let text = staffed(2.0, 0.5, 1.0, 0.5)
        .replace("horizon = 24", "horizon = 60")
        .replace(
            "[transitions.course.job]\nprob = 0.02",
            "[transitions.course.job]\nprob = 0.15",
        )
        .replace(
            "[transitions.job.course]\nprob = 0.01",
            "[transitions.job.course]\nprob = 0.3",
        );
    // Without the shared caseworkers, whom every citizen in the course holds, a citizen who
    // goes to a job holds nothing and only waits.
    let (shared, health) = (
        text.find("[arms.treatment.services.caseworkers]").unwrap(),
        text.find("[arms.treatment.services.health]").unwrap(),
    );
    let text = format!("{}{}", &text[..shared], &text[health..]);
    assert!(text.contains("prob = 0.15") && text.contains("prob = 0.3"));
    let sc = scenario::load_str("returns.toml", &text).unwrap();
    let mut returns = 0;
    for rep in 0..3 {
        let mut q = Queues::default();
        run_treatment(&sc, rep, &mut q);
        returns += waits_are_unbroken(&q).unwrap();
    }
    assert!(
        returns > 0,
        "no citizen left a queue and came back: the test shows nothing"
    );
}

#[test]
fn zero_staff_is_the_control_world() {
    let sc = scenario::load_str("zero.toml", &staffed(0.0, 0.0, 0.0, 0.0)).unwrap();
    for rep in 0..3 {
        let values = draw_params(&sc, 5, rep, true);
        let cit = cohort::synthesize(&sc, 5, rep);
        let (sclass, classes) = economics::static_classes(&sc, &cit).unwrap();
        let lay = montecarlo::layout(&sc, classes.n_classes());
        let mut t = Vec::new();
        for a in 0..2 {
            let carm = compile_arm(&sc, &values, a, 1.0).unwrap();
            let class = engine::classes(&carm, &cit, &sclass);
            let mut tr = Trajectories::default();
            engine::run_arm(&lay, &carm, &cit, &class, 5, rep, &mut tr).unwrap();
            t.push(tr);
        }
        assert_eq!(
            t[0], t[1],
            "replication {rep}: zero staff changed trajectories"
        );
    }
    let opts = RunOptions {
        replications: 6,
        seed: 5,
        threads: 1,
        psa: true,
        effect_scale: 1.0,
        progress: false,
    };
    let res = montecarlo::run(&sc, &opts).unwrap();
    for r in &res.reps {
        assert_eq!(r.end_share[0], r.end_share[1]);
        for h in &r.headlines[1] {
            assert_eq!(h.savings, 0.0);
            assert_eq!(h.investment, 0.0);
        }
    }
}

#[test]
fn more_staff_never_lengthens_a_queue() {
    for rep in 0..3 {
        let mut previous: Option<Vec<ressim::engine::StaffRow>> = None;
        for mentors in [0.0, 2.0, 4.0, 8.0, 16.0, 40.0] {
            let sc = scenario::load_str("more.toml", &staffed(mentors, 1.0, 2.0, 1.0)).unwrap();
            let counts = run_treatment(&sc, rep, &mut engine::NoObserver);
            let n_sv = 4;
            if let Some(prev) = &previous {
                for (m, (now, before)) in counts
                    .staffing
                    .iter()
                    .zip(prev)
                    .enumerate()
                    .filter(|(k, _)| k % n_sv == 0)
                {
                    assert!(
                        now[2] <= before[2],
                        "replication {rep}, cycle {}: {mentors} mentors queue {} > {}",
                        m / n_sv,
                        now[2],
                        before[2]
                    );
                }
            }
            previous = Some(counts.staffing);
        }
    }
}

#[test]
fn staffing_outputs_and_staff_override() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "s.toml", &staffed(4.0, 1.0, 2.0, 1.0));
    let out = t.path().join("o");
    quick(
        "run",
        &[p.to_str().unwrap(), "--staff", "mentors=1"],
        4,
        &out,
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let m = &s["staffing"]["mentors"];
    assert_eq!(m["fte"].as_f64().unwrap(), 1.0);
    assert!(m["utilisation_mean"].as_f64().unwrap() > 0.9, "{m}");
    assert!(m["max_queue"].as_f64().unwrap() > 0.0, "{m}");
    let csv = std::fs::read_to_string(out.join("staffing.csv")).unwrap();
    assert!(csv.starts_with("arm,month,service,fte,capacity,used,queue,mean_wait_months,demand\n"));
    assert!(
        csv.lines()
            .any(|l| l.starts_with("treatment,1,mentors,1.0000,5.0000,")),
        "{csv}"
    );
}

#[test]
fn sweep_runs_the_grid_and_writes_its_table() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "s.toml", &staffed(4.0, 1.0, 2.0, 1.0));
    let out = t.path().join("sw");
    let o = run_in(
        t.path(),
        &[
            "sweep",
            p.to_str().unwrap(),
            "--vary",
            "mentors=0:8:4",
            "--vary",
            "consultants=0:1:1",
            "--out",
            out.to_str().unwrap(),
            "--replications",
            "3",
            "--lang",
            "en",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Best NPV for the municipality: mentors")
            && stdout(&o).contains("NPV DKK")
            && stdout(&o).contains("95 % interval"),
        "{}",
        stdout(&o)
    );
    // sweep.html: the answer, the chart with the best point ringed, every point.
    let html = std::fs::read_to_string(out.join("sweep.html")).unwrap();
    assert!(html.contains("Best NPV for the municipality") && html.contains(">best</text>"));
    assert_eq!(html.matches("<tr class=\"best\">").count(), 1);
    assert!(
        html.matches("<tr").count() > 6, // a header and six grid points
        "one row per grid point"
    );
    assert!(
        stdout(&o).contains("Smallest staffing within 5 %"),
        "{}",
        stdout(&o)
    );
    for chart in ["sweep.svg", "sweep.png"] {
        assert!(
            std::fs::metadata(out.join(chart)).unwrap().len() > 2000,
            "{chart} missing or empty"
        );
    }
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 6, "{csv}");
    assert!(
        lines[0].starts_with("mentors_fte,consultants_fte,share_course,"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("npv_municipality_mean") && lines[0].contains("mentors_utilisation"));
    assert!(
        lines[1].starts_with("0,0,") && lines[6].starts_with("8,1,"),
        "{csv}"
    );
}

#[test]
fn bad_staff_and_vary_arguments_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "s.toml", &staffed(4.0, 1.0, 2.0, 1.0));
    let path = p.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["run", path, "--staff", "mentors"],
            "SERVICE=FROM:TO:STEP",
        ),
        (vec!["run", path, "--staff", "mentors=-2"], "0 or more FTE"),
        (vec!["run", path, "--staff", "mentors=lots"], "not a number"),
        (
            vec!["run", path, "--staff", "nobody=3"],
            "no service `nobody`",
        ),
        (
            vec!["sweep", path, "--vary", "mentors=5:1:1"],
            "FROM must not be above TO",
        ),
        (
            vec!["sweep", path, "--vary", "mentors=0:4:0"],
            "step must be above 0",
        ),
        (
            vec!["sweep", path, "--vary", "nobody=0:4:2"],
            "no service `nobody`",
        ),
        (vec!["sweep", path], "--vary"),
        (
            vec![
                "sweep",
                path,
                "--vary",
                "mentors=0:4:2",
                "--perspective",
                "kommune",
            ],
            "not a perspective",
        ),
    ] {
        let o = run_in(t.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn without_effect_services_move_and_change_nobody() {
    // Consultants move citizens into placements and health staff lower the health burden;
    // with --effect-scale 0 neither may happen, so the arm equals control exactly.
    let sc = scenario::load_str("placebo.toml", &staffed(4.0, 2.0, 2.0, 2.0)).unwrap();
    let opts = RunOptions {
        replications: 6,
        seed: 5,
        threads: 1,
        psa: true,
        effect_scale: 0.0,
        progress: false,
    };
    let res = montecarlo::run(&sc, &opts).unwrap();
    for r in &res.reps {
        assert_eq!(r.end_share[0], r.end_share[1]);
        for h in &r.headlines[1] {
            assert_eq!(h.savings, 0.0);
        }
    }
    // With the effect, the consultants do place people.
    let opts = RunOptions {
        effect_scale: 1.0,
        ..opts
    };
    let res = montecarlo::run(&sc, &opts).unwrap();
    assert!(res.reps.iter().any(|r| r.end_share[0] != r.end_share[1]));
}

#[test]
fn a_closed_service_has_no_queue() {
    // The mentors work months 0–5 only; afterwards nobody holds or waits for a mentor.
    let text = staffed(1.0, 1.0, 2.0, 1.0).replace(
        "capacity_per_fte = 5\ncost_per_fte_year = 480000",
        "capacity_per_fte = 5\nfrom_month = 0\nto_month = 5\ncost_per_fte_year = 480000",
    );
    let sc = scenario::load_str("closed.toml", &text).unwrap();
    let counts = run_treatment(&sc, 0, &mut engine::NoObserver);
    let n_sv = 4;
    for (m, row) in counts
        .staffing
        .iter()
        .enumerate()
        .filter(|(k, _)| k % n_sv == 0)
    {
        let cycle = m / n_sv;
        if cycle <= 5 {
            assert!(row[0] > 0.0);
        } else {
            assert_eq!(*row, [0.0; 8], "cycle {cycle}");
        }
    }
}

#[test]
fn fewer_caseworkers_mean_fewer_hours_per_citizen() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "s.toml", &staffed(4.0, 1.0, 2.0, 1.0));
    let hours = |fte: &str| -> f64 {
        let out = t.path().join(format!("cw{fte}"));
        let staff = format!("caseworkers={fte}");
        quick("run", &[p.to_str().unwrap(), "--staff", &staff], 3, &out);
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        assert!(s["staffing"]["mentors"]["hours_per_citizen_month"].is_null());
        s["staffing"]["caseworkers"]["hours_per_citizen_month"]
            .as_f64()
            .unwrap()
    };
    let (one, four) = (hours("1"), hours("4"));
    // FTE × 1,600 h / 12 over the citizens served; the caseload hardly changes with staff.
    assert!(
        four > 3.0 * one && four < 5.0 * one,
        "1 FTE: {one} h, 4 FTE: {four} h"
    );
}

#[test]
fn services_are_allocated_in_every_open_cycle_and_nothing_is_held_after_all_close() {
    // The shipped scenario's services all work months 0–41 of 300. In every cycle a service
    // is open its row shows its staff and capacity; once all have closed, the month loop
    // stops allocating (`ServiceState::finished`), and every row and every count of holders
    // is 0 — as allocating in every cycle would leave them.
    let sc = scenario::load_default().unwrap();
    let values = draw_params(&sc, 5, 0, true);
    let carm = compile_arm(&sc, &values, 1, 1.0).unwrap();
    let counts = run_treatment(&sc, 0, &mut engine::NoObserver);
    let (n_sv, cm) = (carm.services.len(), sc.sim.cycle_months);
    let horizon = counts.staffing.len() / n_sv;
    let mut last_open = 0;
    for (k, row) in counts.staffing.iter().enumerate() {
        let (m, sv) = (k / n_sv, &carm.services[k % n_sv]);
        if sv.is_open(m as u32, cm) {
            assert!(
                row[0] > 0.0 && row[engine::ROW_FTE] > 0.0,
                "cycle {m}: {row:?}"
            );
            last_open = last_open.max(m);
        } else {
            assert_eq!(*row, [0.0; 8], "cycle {m}");
        }
    }
    assert!(
        last_open > 0 && last_open + 1 < horizon,
        "{last_open} of {horizon}"
    );
    assert!(!counts.held_start.is_empty(), "the scenario counts holders");
    for held in [&counts.held_start, &counts.held_end] {
        let per_cycle = held.len() / horizon;
        assert!(held[..(last_open + 1) * per_cycle].iter().any(|&n| n > 0));
        assert!(held[(last_open + 1) * per_cycle..].iter().all(|&n| n == 0));
    }
}
