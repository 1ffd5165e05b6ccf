//! Helpers shared by the integration tests.
#![allow(dead_code)]

use ressim::engine::{ArmCounts, Layout};
use ressim::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The ressim binary built for this test run.
pub fn ressim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ressim"))
}

/// Run ressim with arguments in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    ressim()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("ressim binary runs")
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Write a file and return its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// The shipped scenario's path from the crate root.
pub fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/kbh-rehabiliteringshus.toml")
}

/// A small valid scenario: a course that people leave to a job or a pension, control and a
/// treatment arm with an effect. `extra` is appended.
pub fn small(extra: &str) -> String {
    format!(
        r#"[scenario]
name = "small"

[simulation]
start = "2016-07"
horizon = 24
seed = 7
replications = 20

[cohort]
size = 200
start_state = "course"

[cohort.attributes.provider]
dist = "bernoulli"
p = 0.4

[states.course]
in_course = true
[states.job]
[states.pension]
absorbing = true

[transitions.course.job]
prob = 0.03
[transitions.course.pension]
prob = 0.05
[transitions.job.course]
prob = 0.01

[accounts.benefit]
payer = "bif"
amount = 10968
states = ["course"]

[arms.control]

[arms.treatment]
offer_share = 0.5

[arms.treatment.effects.course]
job = 1.5
{extra}"#
    )
}

/// A scenario with four services (mentors, consultants, caseworkers, health staff) at the
/// given FTE: caseload, monthly with a move, shared with dilution, monthly with an attribute
/// change.
pub fn staffed(mentors: f64, consultants: f64, caseworkers: f64, health: f64) -> String {
    format!(
        r#"[simulation]
start = "2016-01"
horizon = 24
[cohort]
inflow = [30, 30, 30, 30]
start_state = "course"
[cohort.attributes.health]
dist = "categorical"
values = [0, 1, 2]
weights = [1, 1, 1]
[states.course]
in_course = true
[states.placement]
in_course = true
[states.job]
[states.pension]
absorbing = true
[transitions.course.job]
prob = 0.02
[transitions.course.pension]
prob = 0.03
modifiers = [{{ attribute = "health", hr_per_unit = 1.4 }}]
[transitions.placement.job]
prob = 0.1
[transitions.placement.course]
prob = 0.2
[transitions.job.course]
prob = 0.01
[arms.control]
[arms.treatment]
[arms.treatment.services.mentors]
kind = "caseload"
fte = {mentors}
capacity_per_fte = 5
cost_per_fte_year = 480000
payer = "sof"
[arms.treatment.services.mentors.effects.course]
job = 1.6
[arms.treatment.services.consultants]
kind = "monthly"
fte = {consultants}
capacity_per_fte = 1.5
cost_per_fte_year = 500000
payer = "bif"
move_to = "placement"
min_course_months = 2
eligible_states = ["course"]
[arms.treatment.services.caseworkers]
kind = "shared"
fte = {caseworkers}
capacity_per_fte = 25
cost_per_fte_year = 520000
payer = "bif"
[arms.treatment.services.caseworkers.effects.course]
pension = 0.8
[arms.treatment.services.health]
kind = "monthly"
fte = {health}
capacity_per_fte = 3
cost_per_fte_year = 500000
payer = "suf"
change = {{ attribute = "health", add = -1 }}
when = {{ attribute = "health", min = 1 }}
"#
    )
}

/// Every cycle: citizens at the end = citizens at the start − moves out + moves in, per state;
/// and the total equals everybody who has entered.
pub fn assert_conserved(sc: &Scenario, lay: &Layout, counts: &ArmCounts, entered: &[usize]) {
    for (m, &present) in entered.iter().enumerate().take(lay.horizon) {
        for (c, chain) in sc.chains.iter().enumerate() {
            let mut total = 0u64;
            for s in 0..chain.states.len() {
                let start = counts.at_start(lay, m, c, s) as i64;
                let mut out = 0i64;
                let mut inn = 0i64;
                for o in 0..chain.states.len() {
                    for cl in 0..lay.n_classes {
                        out += counts.flows[lay.flow_ix(m, c, s, o, cl)] as i64;
                        inn += counts.flows[lay.flow_ix(m, c, o, s, cl)] as i64;
                    }
                }
                let end = counts.at_end(lay, m, c, s) as i64;
                assert_eq!(end, start - out + inn, "cycle {m}, chain {c}, state {s}");
                assert!(start - out >= 0);
                total += end as u64;
            }
            assert_eq!(
                total as usize, present,
                "population at cycle {m}, chain {c}"
            );
        }
    }
}

/// A CSV output's data rows as fields (header skipped; ids never need quoting).
pub fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .expect("CSV output exists")
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// The first row whose leading fields are `key`.
pub fn csv_row<'a>(rows: &'a [Vec<String>], key: &[&str]) -> &'a Vec<String> {
    rows.iter()
        .find(|r| key.iter().enumerate().all(|(i, k)| r[i] == *k))
        .unwrap_or_else(|| panic!("no row starting {key:?}"))
}

/// A CSV output's rows as maps from column name to field.
pub fn csv_records(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("CSV output exists");
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

/// `ressim check FILE ARGS…` in `dir`, whether it succeeds or not (read its [`stderr`] and
/// [`stdout`]).
pub fn check_in(dir: &Path, file: &Path, args: &[&str]) -> Output {
    let mut all = vec!["check", file.to_str().expect("a UTF-8 path")];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// The message a scenario file is refused with; panics when it loads.
pub fn refusal(file: &Path) -> String {
    match ressim::scenario::load(file) {
        Ok(_) => panic!("{} loads, but should be refused", file.display()),
        Err(e) => e.to_string(),
    }
}

/// A one-file variant of the shipped scenario: `extends` it and adds `body`.
pub fn variant(dir: &Path, name: &str, body: &str) -> PathBuf {
    let text = format!(
        "extends = {:?}\n\n{body}\n",
        shipped().display().to_string()
    );
    write(dir, name, &text)
}

/// Run `ressim` with `args` in the crate root and return its output; panics with stderr when it
/// fails. The one run helper of the end-to-end tests.
pub fn ressim_ok(args: &[&str]) -> Output {
    let o = run_in(Path::new(env!("CARGO_MANIFEST_DIR")), args);
    assert!(
        o.status.success(),
        "ressim {} failed: {}",
        args.join(" "),
        stderr(&o)
    );
    o
}

/// A run's summary.json.
pub fn summary_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).expect("summary.json parses")
}

/// `ressim COMMAND ARGS… --replications N --no-break-even --quiet --out OUT` in the crate
/// root, which must succeed: the quick run of the end-to-end tests. `args` are the scenarios
/// and any further options (`--seed 11`, `--staff mentors=15`).
pub fn quick(command: &str, args: &[&str], replications: u32, out: &Path) -> Output {
    let reps = replications.to_string();
    let mut all = args.to_vec();
    all.extend(["--replications", &reps]);
    quick_with_own_replications(command, &all, out)
}

/// [`quick`] with the scenario's own number of replications (no `--replications`).
pub fn quick_with_own_replications(command: &str, args: &[&str], out: &Path) -> Output {
    let mut all = vec![command];
    all.extend_from_slice(args);
    all.extend(["--no-break-even", "--quiet", "--out"]);
    all.push(out.to_str().expect("a UTF-8 path"));
    ressim_ok(&all)
}

/// The distribution's Chromium, if installed (.ci/run installs it for the browser tests).
pub fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Every arm of `sc` in replications `0..reps` (seed 3), run as compiled and as `variant`
/// changes it, must give the same counts and the same trajectory for every citizen (`check`
/// sees each compiled arm first, to make sure the variant differs from it).
pub fn variant_changes_no_trajectory(
    sc: &Scenario,
    reps: u32,
    check: impl Fn(&ressim::engine::compile::CArm),
    variant: impl Fn(&mut ressim::engine::compile::CArm),
) {
    use ressim::engine::{self, NoObserver, Trajectories, compile::compile_arm};
    use ressim::{cohort, economics, montecarlo};
    for rep in 0..reps {
        let values = montecarlo::draw_params(sc, 3, rep, true);
        let cit = cohort::synthesize(sc, 3, rep);
        let (sclass, classes) = economics::static_classes(sc, &cit).unwrap();
        let lay = montecarlo::layout(sc, classes.n_classes());
        for a in 0..sc.arms.len() {
            let compiled = compile_arm(sc, &values, a, 1.0).unwrap();
            check(&compiled);
            let mut changed = compiled.clone();
            variant(&mut changed);
            let class = engine::classes(&compiled, &cit, &sclass);
            let run = |carm| {
                let mut t = Trajectories::default();
                let counts = engine::run_arm(&lay, carm, &cit, &class, 3, rep, &mut t);
                (counts.unwrap(), t)
            };
            let observed = run(&changed);
            assert!(
                run(&compiled) == observed,
                "{}, arm {a}, rep {rep}",
                sc.name
            );
            // Unobserved: an observer that looks at every citizen is shown the general path,
            // so the paths that pass citizens by without a look (the fast path, quiet citizens
            // settled ahead) are compared by their counts.
            let unseen = |carm| {
                let counts = engine::run_arm(&lay, carm, &cit, &class, 3, rep, &mut NoObserver);
                counts.unwrap()
            };
            let unobserved = unseen(&compiled);
            assert!(
                unobserved == unseen(&changed),
                "{}, arm {a}, rep {rep}, unobserved",
                sc.name
            );
            assert!(
                unobserved == observed.0,
                "{}, arm {a}, rep {rep}, observed and not",
                sc.name
            );
        }
    }
}
