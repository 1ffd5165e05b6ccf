//! Engine throughput in citizen-months per second.
//!
//! `cargo bench --bench engine` — criterion reports "elements/s", where one element is one
//! citizen-month of one arm.
//!
//! * `default_scenario/replication`: one whole replication of the shipped scenario (parameter
//!   draws, cohort synthesis, every arm, booking).
//! * `default_scenario/engine`: the same without the booking: parameter draws, cohort, every
//!   arm's counts (the month loop's share of a replication).
//! * `default_scenario_25y/replication`: the same with a 300-month (25-year) horizon.
//! * `default_scenario_threads/run_50_threads_1`, `…_2`: 50 replications of the shipped
//!   scenario (aggregation included, no report) on one and on two threads; their ratio is the
//!   2-thread scaling on an otherwise idle machine.
//! * `engine_100k_120m/one_arm`: the month loop alone for 100,000 citizens over 120 months with
//!   table-driven transitions (no attribute modifiers), one arm, one thread.
//! * `four_state/engine_one_arm`: the textbook 4-state model (`benches/data/four-state.toml`:
//!   100,000 citizens, 31 annual cycles, no services) — the engine alone, one arm, one thread;
//!   one element is one citizen-cycle. It runs the table-driven fast path (`src/engine/fast/`):
//!   eight citizens at a time where the CPU has AVX-512, four where it has AVX2, the portable
//!   form elsewhere.
//! * `four_state/replication_1_thread`, `…_2_threads`: one whole replication of it (cohort,
//!   both arms — simulated once, as the treatment changes only amounts — and booking).
//! * `four_state_cpu/…`: the same two measured in CPU time of the process rather than wall
//!   time, so that the figure holds on a machine shared with other work (on an idle machine
//!   the two agree for one thread).
//! * `whole_process/four_state`: `ressim run benches/data/four-state.toml` as a user runs it,
//!   report included, on every core.
//! * `whole_process/default_1000`: `ressim run --replications 1000 --no-break-even` of the
//!   shipped scenario on every core (slow: run it alone with `-- whole_process/default`).
//! * `whole_process/filed_1000`: the same for the shipped scenario as it was when issue 13's
//!   goal 2 was set (`benches/data/filed-kbh-2016.toml`: 72 months, 360 citizens, no life
//!   course), so that the goal's "about 2.1 s" can be compared like for like.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
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

/// CPU time of the whole process (every thread), in place of wall time.
struct CpuTime(WallTime);

fn cpu_now() -> std::time::Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

impl Measurement for CpuTime {
    type Intermediate = std::time::Duration;
    type Value = std::time::Duration;
    fn start(&self) -> Self::Intermediate {
        cpu_now()
    }
    fn end(&self, i: Self::Intermediate) -> Self::Value {
        cpu_now().saturating_sub(i)
    }
    fn add(&self, a: &Self::Value, b: &Self::Value) -> Self::Value {
        *a + *b
    }
    fn zero(&self) -> Self::Value {
        std::time::Duration::ZERO
    }
    fn to_f64(&self, v: &Self::Value) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.0.formatter()
    }
}

/// A pool of `n` threads to run a benchmark in.
fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .expect("thread pool")
}

fn four_state(c: &mut Criterion) {
    four_state_in(c, "four_state");
}

fn four_state_cpu(c: &mut Criterion<CpuTime>) {
    four_state_in(c, "four_state_cpu");
}

fn four_state_in<M: Measurement>(c: &mut Criterion<M>, group: &str) {
    let sc = scenario::load_str("four-state.toml", include_str!("data/four-state.toml"))
        .expect("four-state scenario loads");
    let values = draw_params(&sc, 1, 0, true);
    let cit = cohort::synthesize(&sc, 1, 0);
    let (sclass, classes) = economics::static_classes(&sc, &cit).unwrap();
    let lay = montecarlo::layout(&sc, classes.n_classes());
    let carm = compile_arm(&sc, &values, 0, 1.0).expect("compiles");
    let class = engine::classes(&carm, &cit, &sclass);
    let cycles = cit.n as u64 * sc.sim.horizon as u64;
    let mut g = c.benchmark_group(group);
    g.sample_size(20);
    g.throughput(Throughput::Elements(cycles));
    let one = pool(1);
    g.bench_function("engine_one_arm", |b| {
        b.iter(|| {
            one.install(|| {
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
        })
    });
    let opts = RunOptions {
        replications: 1,
        seed: 1,
        threads: 1,
        psa: true,
        effect_scale: 1.0,
        progress: false,
    };
    // Both arms: two arms' citizen-cycles per replication.
    g.throughput(Throughput::Elements(2 * cycles));
    for (name, n) in [("replication_1_thread", 1), ("replication_2_threads", 2)] {
        let p = pool(n);
        g.bench_function(name, |b| {
            b.iter(|| p.install(|| black_box(montecarlo::run_rep(&sc, &opts, 0).expect("runs"))))
        });
    }
    g.finish();
}

/// The binary as a user runs it, output written to a temporary folder.
fn whole_process(c: &mut Criterion) {
    let bin = env!("CARGO_BIN_EXE_ressim");
    let dir = tempfile::tempdir().expect("temporary folder");
    let four = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/data/four-state.toml");
    let mut g = c.benchmark_group("whole_process");
    g.sample_size(10);
    let run = |args: &[&str], out: &str| {
        let st = std::process::Command::new(bin)
            .args(args)
            .arg("--quiet")
            .arg("--out")
            .arg(dir.path().join(out))
            .status()
            .expect("ressim runs");
        assert!(st.success());
    };
    g.bench_function("four_state", |b| {
        b.iter(|| run(&["run", four, "--no-break-even"], "four"))
    });
    // The main job as the README gives it: the shipped scenario at its own 200 replications,
    // with the break-even search (twelve more effect scales on the same replications).
    g.bench_function("main_job", |b| b.iter(|| run(&["run"], "main")));
    g.bench_function("default_1000", |b| {
        b.iter(|| {
            run(
                &["run", "--replications", "1000", "--no-break-even"],
                "default",
            )
        })
    });
    // Goal 2 like for like: the shipped scenario as it was when the goal was set (72 months,
    // 360 citizens, no life course; `benches/data/filed-kbh-2016.toml`), 1,000 replications.
    let filed = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/data/filed-kbh-2016.toml"
    );
    g.bench_function("filed_1000", |b| {
        b.iter(|| {
            run(
                &["run", filed, "--replications", "1000", "--no-break-even"],
                "filed",
            )
        })
    });
    // Trial power on the shipped scenario, shortened to 200 trials per size without the MDE
    // search: thousands of trial citizens under staff that the trial dilutes, so allocation
    // and the remaking of exit tables weigh more than in a run.
    g.bench_function("power_200_trials", |b| {
        b.iter(|| run(&["power", "--trials", "200", "--no-mde"], "power"))
    });
    g.finish();
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
    // The engine alone (cohort, compiled tables, both arms' counts; no booking): what the
    // month loop costs per replication.
    g.bench_function("engine", |b| {
        let mut rep = 0;
        b.iter(|| {
            rep += 1;
            black_box(montecarlo::run_counts(&sc, &opts, rep).expect("replication runs"))
        })
    });
    g.finish();

    // Many replications of the shipped scenario on one and on two threads: the scaling of
    // the replication loop (goal: at least 1.8× on two cores), in wall time.
    let mut g = c.benchmark_group("default_scenario_threads");
    g.sample_size(10);
    let reps = 50;
    g.throughput(Throughput::Elements(months * reps as u64));
    for threads in [1, 2] {
        let opts = RunOptions {
            replications: reps,
            threads,
            ..opts.clone()
        };
        g.bench_function(format!("run_{reps}_threads_{threads}"), |b| {
            b.iter(|| black_box(montecarlo::run(&sc, &opts).expect("runs")))
        });
    }
    g.finish();

    // The same scenario over a lifetime horizon (25 years = 300 months): the cost of ageing,
    // the long tail after the house closes and the bookings of every month.
    let mut long = sc.clone();
    long.sim.horizon = 300;
    let months = long.cohort.size() as u64 * long.sim.horizon as u64 * long.arms.len() as u64;
    let mut g = c.benchmark_group("default_scenario_25y");
    g.throughput(Throughput::Elements(months));
    g.bench_function("replication", |b| {
        let mut rep = 0;
        b.iter(|| {
            rep += 1;
            black_box(montecarlo::run_rep(&long, &opts, rep).expect("replication runs"))
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
    targets = four_state, bench, whole_process
}
criterion_group! {
    name = cpu;
    config = Criterion::default().without_plots().with_measurement(CpuTime(WallTime));
    targets = four_state_cpu
}
criterion_main!(benches, cpu);
