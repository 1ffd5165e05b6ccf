//! Engine throughput in citizen-months per second.
//!
//! `cargo bench --bench engine` — criterion reports "elements/s", where one element is one
//! citizen-month of one arm.
//!
//! * `default_scenario/replication`: one whole replication of the shipped scenario (parameter
//!   draws, cohort synthesis, every arm, booking).
//! * `engine_100k_120m/one_arm`: the month loop alone for 100,000 citizens over 120 months with
//!   table-driven transitions (no attribute modifiers), one arm, one thread.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ressim::cohort;
use ressim::economics;
use ressim::engine::{self, NoObserver, compile::compile_arm};
use ressim::montecarlo::{self, RunOptions, draw_params};
use ressim::scenario;
use std::hint::black_box;

fn big_scenario() -> String {
    r#"[scenario]
name = "bench-100k"
[simulation]
start = "2016-01"
horizon = 120
[cohort]
size = 100000
start_state = "course"
start_housing = { none = 0.8, support = 0.15, facility = 0.05 }
[states.course]
in_course = true
max_months = 60
[states.placement]
in_course = true
[states.flexjob]
[states.job]
[states.pension]
absorbing = true
[states.social]
[states.exit]
absorbing = true
[transitions.course.placement]
prob = 0.02
by_duration = [{ from_month = 0, hr = 0.5 }, { from_month = 6, hr = 1.0 }, { from_month = 24, hr = 0.7 }]
[transitions.course.pension]
prob = 0.012
[transitions.course.flexjob]
prob = 0.005
[transitions.course.social]
prob = 0.004
[transitions.course.exit]
prob = 0.001
[transitions.placement.job]
prob = 0.05
[transitions.placement.flexjob]
prob = 0.06
[transitions.placement.course]
prob = 0.15
[transitions.flexjob.social]
prob = 0.005
[transitions.job.social]
prob = 0.01
[transitions.social.course]
prob = 0.02
[housing.levels.none]
[housing.levels.support]
[housing.levels.facility]
[housing.transitions.none.support]
prob = 0.002
[housing.transitions.support.none]
prob = 0.02
[housing.transitions.facility.support]
prob = 0.01
[arms.control]
[arms.treatment]
[arms.treatment.effects.course]
placement = 1.4
"#
    .to_string()
}

fn bench(c: &mut Criterion) {
    let sc = scenario::load_default().expect("shipped scenario loads");
    let opts = RunOptions {
        replications: 1,
        seed: 1,
        threads: 1,
        psa: true,
        effect_scale: 1.0,
        progress: false,
    };
    let months = sc.cohort.size() as u64 * sc.sim.horizon as u64 * sc.arms.len() as u64;
    let mut g = c.benchmark_group("default_scenario");
    g.throughput(Throughput::Elements(months));
    g.bench_function("replication", |b| {
        let mut rep = 0;
        b.iter(|| {
            rep += 1;
            black_box(montecarlo::run_rep(&sc, &opts, rep).expect("replication runs"))
        })
    });
    g.finish();

    let big = scenario::load_str("bench-100k.toml", &big_scenario()).expect("bench scenario loads");
    let values = draw_params(&big, 1, 0, true);
    let cit = cohort::synthesize(&big, 1, 0);
    let (sclass, classes) = economics::static_classes(&big, &cit).unwrap();
    let lay = montecarlo::layout(&big, classes.n_classes());
    let carm = compile_arm(&big, &values, 1, 1.0).expect("compiles");
    let class = engine::classes(&carm, &cit, &sclass);
    let mut g = c.benchmark_group("engine_100k_120m");
    g.sample_size(10);
    g.throughput(Throughput::Elements(cit.n as u64 * big.sim.horizon as u64));
    g.bench_function("one_arm", |b| {
        b.iter(|| {
            black_box(engine::run_arm(
                &lay,
                &carm,
                &cit,
                &class,
                1,
                0,
                &mut NoObserver,
            ))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Criterion's HTML plots would need a font registered with plotters; the numbers are what
    // matter here.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
