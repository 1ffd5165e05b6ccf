//! Fuzzing: seeded mutants of the shipped scenario and of the complete example in
//! docs/scenario.md go through `check` and a 2-replication run, each with a time limit. Any
//! panic, any run over its time limit and any message longer than a few KB fails the test.
//!
//! `cargo test --release --test fuzz` runs a few thousand mutants in-process (catch_unwind and
//! a watchdog per mutant) and a handful through the real binary. A longer run of the same
//! fuzzer: `RESSIM_FUZZ_MUTANTS=100000 cargo test --release --test fuzz -- --ignored`
//! (`RESSIM_FUZZ_SEED` picks another sequence). Every distinct failure it has found is a named
//! regression case at the end of this file.

mod common;

use ressim::montecarlo::{self, RunOptions};
use ressim::report::{csv, summary};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// No message may be longer than this.
const MESSAGE_LIMIT: usize = 8192;
/// Time limit of check + run of one mutant, in-process (generous: the machine is shared).
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Mutants whose cohort × months is above this are only checked, not run (a run of the largest
/// cohort and horizon the limits allow is bounded but takes minutes).
const RUN_WORK_LIMIT: f64 = 2e7;

/// SplitMix64: a small seeded generator, so that every mutant can be rebuilt from its number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// The shipped scenario and the complete example of docs/scenario.md (section 15).
fn seeds() -> Vec<(&'static str, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = std::fs::read_to_string(common::shipped()).expect("shipped scenario");
    let doc = std::fs::read_to_string(root.join("docs/scenario.md")).expect("docs/scenario.md");
    let from = doc
        .find("## 15. A complete small example")
        .expect("section 15 in docs/scenario.md");
    let rest = &doc[from..];
    let start = rest.find("```toml\n").expect("a toml block in section 15") + 8;
    let end = rest[start..].find("\n```").expect("end of the toml block") + start;
    vec![
        ("shipped", shipped),
        ("docs-example", rest[start..end].to_string()),
    ]
}

/// Byte ranges of the numbers on a line (outside strings and comments).
fn numbers(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            in_str = !in_str;
            i += 1;
            continue;
        }
        if in_str {
            i += 1;
            continue;
        }
        if c == b'#' {
            break;
        }
        let starts =
            c.is_ascii_digit() || (c == b'-' && i + 1 < b.len() && b[i + 1].is_ascii_digit());
        let prev_ok = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if starts && prev_ok {
            let s = i;
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_digit()
                    || matches!(b[i], b'.' | b'_' | b'e' | b'E')
                    || (matches!(b[i], b'+' | b'-') && matches!(b[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the string contents on a line (between the quotes).
fn strings(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    for (i, c) in line.char_indices() {
        if c == '#' && open.is_none() {
            break;
        }
        if c == '"' {
            match open {
                None => open = Some(i + 1),
                Some(s) => {
                    out.push((s, i));
                    open = None;
                }
            }
        }
    }
    out
}

/// Replacements for a number: the issue's list, and valid but extreme values that reach `run`.
const NUMBERS: [&str; 18] = [
    "0",
    "-1",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "99999999999999999999",
    "9223372036854775807",
    "4294967296",
    "1e15",
    "-1e15",
    "1e-300",
    "0.5",
    "0.999999",
    "1",
    "1000000",
    "0.0",
];

/// One mutation of `lines` in place.
fn mutate_once(lines: &mut Vec<String>, rng: &mut Rng) {
    if lines.is_empty() {
        lines.push("x = 1".into());
        return;
    }
    let i = rng.below(lines.len());
    match rng.below(9) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        2..=4 => {
            // A number replaced (try a few lines to find one).
            for _ in 0..20 {
                let j = rng.below(lines.len());
                let ns = numbers(&lines[j]);
                if !ns.is_empty() {
                    let (s, e) = *rng.pick(&ns);
                    let by = *rng.pick(&NUMBERS);
                    lines[j].replace_range(s..e, by);
                    return;
                }
            }
        }
        5 => {
            for _ in 0..20 {
                let j = rng.below(lines.len());
                let ss = strings(&lines[j]);
                if !ss.is_empty() {
                    let (s, e) = *rng.pick(&ss);
                    let by = if rng.below(2) == 0 {
                        String::new()
                    } else {
                        "ø".repeat(1 + rng.below(200_000))
                    };
                    lines[j].replace_range(s..e, &by);
                    return;
                }
            }
        }
        6 => {
            // A table renamed.
            let tables: Vec<usize> = (0..lines.len())
                .filter(|&j| lines[j].trim_start().starts_with('['))
                .collect();
            if let Some(&j) = tables.get(rng.below(tables.len().max(1))) {
                let t = lines[j]
                    .trim()
                    .trim_matches(|c| c == '[' || c == ']')
                    .to_string();
                lines[j] = match rng.below(3) {
                    0 => format!("[{t}_zz]"),
                    1 => "[zz]".into(),
                    _ => format!("[{}]", t.split('.').next().unwrap_or("x")),
                };
            }
        }
        7 => {
            // Huge cohorts and horizons.
            let key = *rng.pick(&["size", "horizon", "replications", "inflow"]);
            let by = *rng.pick(&[
                "50000000",
                "50000001",
                "1200",
                "1201",
                "100000",
                "99999999999999999999",
                "[50000000, 50000000]",
                "[]",
            ]);
            let at = lines
                .iter()
                .position(|l| l.trim_start().starts_with(&format!("{key} =")));
            match at {
                Some(j) => lines[j] = format!("{key} = {by}"),
                None => lines.insert(i, format!("{key} = {by}")),
            }
        }
        _ => {
            // Garbage.
            let g = *rng.pick(&[
                "[[[[[[[[",
                "x = {",
                "= 1",
                "\u{0}",
                "a.b.c.d.e = 1",
                "dist = \"gamma\"",
                "mean = 1e200",
            ]);
            lines.insert(i, g.into());
        }
    }
}

/// A mutant: 1–3 mutations of a seed; returns the text and, for `extends` mutants, extra files.
fn mutant(seed: &str, n: u64, base_seed: u64) -> (String, Vec<(String, String)>) {
    let mut rng = Rng(base_seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
    let mut lines: Vec<String> = seed.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(3) {
        mutate_once(&mut lines, &mut rng);
    }
    let mut extra = Vec::new();
    if rng.below(25) == 0 {
        // `extends`: a cycle, a missing file, or the file itself.
        let line = match rng.below(3) {
            0 => {
                extra.push((
                    "b.toml".to_string(),
                    "extends = \"mutant.toml\"\n".to_string(),
                ));
                "extends = \"b.toml\""
            }
            1 => "extends = \"missing.toml\"",
            _ => "extends = \"mutant.toml\"",
        };
        lines.insert(0, line.into());
    }
    (lines.join("\n") + "\n", extra)
}

/// What happened to one mutant.
#[derive(Debug)]
enum Outcome {
    Refused,
    Ran,
    CheckedOnly,
}

/// Check and run one scenario file in-process: Err describes a failure (a message too long,
/// a failed run that should have been refused by `check` is fine as long as it is bounded).
fn check_and_run(path: &Path) -> Result<Outcome, String> {
    let sc = match ressim::scenario::load(path) {
        Ok(sc) => sc,
        Err(e) => {
            let m = e.to_string();
            if m.len() > MESSAGE_LIMIT {
                return Err(format!("check message of {} bytes", m.len()));
            }
            if e.exit_code() != 65 {
                return Err(format!(
                    "check failed with exit code {}: {m}",
                    e.exit_code()
                ));
            }
            return Ok(Outcome::Refused);
        }
    };
    let work = sc.cohort.size() as f64 * sc.sim.horizon_months() as f64;
    if work > RUN_WORK_LIMIT {
        return Ok(Outcome::CheckedOnly);
    }
    let mut opts = RunOptions::from_scenario(&sc);
    opts.replications = 2;
    opts.threads = 1;
    match montecarlo::run(&sc, &opts) {
        Ok(res) => {
            let s = summary::summary(&sc, &res, None);
            let text = serde_json::to_string(&s).map_err(|e| e.to_string())?;
            for c in [
                csv::occupancy(&sc, &res),
                csv::cashflows(&sc, &res),
                csv::quantities(&sc, &res),
                csv::business_case(&sc, &res),
                csv::payers(&sc, &res),
                csv::staffing(&sc, &res),
            ] {
                if c.is_empty() {
                    return Err("an empty CSV".into());
                }
            }
            if text.is_empty() {
                return Err("an empty summary".into());
            }
            Ok(Outcome::Ran)
        }
        Err(e) => {
            let m = e.to_string();
            if m.len() > MESSAGE_LIMIT {
                return Err(format!("run message of {} bytes", m.len()));
            }
            Ok(Outcome::Ran)
        }
    }
}

/// Run `f` on its own thread with a watchdog: a panic or a run over `limit` is an error.
fn guarded<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(f));
            let _ = tx.send(r);
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    match rx.recv_timeout(limit) {
        Ok(Ok(r)) => r,
        Ok(Err(p)) => Err(format!(
            "panic: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        )),
        Err(_) => Err(format!("no answer within {} s (a hang)", limit.as_secs())),
    }
}

/// Write a mutant (and its extra files) into its own folder and return the scenario's path.
fn materialise(dir: &Path, text: &str, extra: &[(String, String)]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mutant folder");
    for (name, t) in extra {
        std::fs::write(dir.join(name), t).expect("extra file");
    }
    let p = dir.join("mutant.toml");
    std::fs::write(&p, text).expect("mutant file");
    p
}

/// Fuzz `per_seed` mutants of each seed scenario on all cores; returns (refused, ran, checked
/// only) or the failures, each with what reproduces it.
fn fuzz(per_seed: u64, base_seed: u64) -> Result<[usize; 3], Vec<String>> {
    let seeds = seeds();
    let tmp = tempfile::tempdir().expect("temp dir");
    let jobs: Vec<(usize, u64)> = (0..seeds.len())
        .flat_map(|s| (0..per_seed).map(move |n| (s, n)))
        .collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(Vec<String>, [usize; 3])> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (jobs, seeds, next, tmp) = (&jobs, &seeds, &next, tmp.path());
                scope.spawn(move || {
                    let mut fails = Vec::new();
                    let mut counts = [0usize; 3];
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&(s, n)) = jobs.get(k) else { break };
                        let (name, seed) = &seeds[s];
                        let (text, extra) = mutant(seed, n, base_seed);
                        let dir = tmp.join(format!("w{w}"));
                        let _ = std::fs::remove_dir_all(&dir);
                        let path = materialise(&dir, &text, &extra);
                        match guarded(TIME_LIMIT, move || check_and_run(&path)) {
                            Ok(Outcome::Refused) => counts[0] += 1,
                            Ok(Outcome::Ran) => counts[1] += 1,
                            Ok(Outcome::CheckedOnly) => counts[2] += 1,
                            Err(e) => {
                                let kept = tmp.join(format!("fail-{name}-{n}.toml"));
                                let _ = std::fs::write(&kept, &text);
                                fails.push(format!(
                                    "{name} mutant {n} (seed {base_seed}): {}",
                                    &e[..e.len().min(400)]
                                ));
                                if e.contains("hang") {
                                    // The stuck thread keeps its core; stop this worker.
                                    break;
                                }
                            }
                        }
                    }
                    (fails, counts)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| (vec!["a worker panicked".into()], [0; 3]))
            })
            .collect()
    });
    let mut fails = Vec::new();
    let mut counts = [0usize; 3];
    for (f, c) in results {
        fails.extend(f);
        for i in 0..3 {
            counts[i] += c[i];
        }
    }
    if fails.is_empty() {
        Ok(counts)
    } else {
        fails.sort();
        Err(fails)
    }
}

#[test]
fn thousands_of_mutants_never_panic_hang_or_flood() {
    let started = Instant::now();
    match fuzz(1500, 12) {
        Ok(counts) => {
            // The mutants reach both sides: some are refused, some run.
            assert!(counts[0] > 100, "refused {counts:?}");
            assert!(counts[1] > 100, "ran {counts:?}");
            eprintln!(
                "fuzz: 3000 mutants in {:.1} s: {} refused, {} ran, {} only checked (too big to run here)",
                started.elapsed().as_secs_f64(),
                counts[0],
                counts[1],
                counts[2]
            );
        }
        Err(fails) => panic!("{} mutants failed:\n{}", fails.len(), fails.join("\n")),
    }
}

/// The longer run: `RESSIM_FUZZ_MUTANTS=100000 cargo test --release --test fuzz -- --ignored`.
#[test]
#[ignore]
fn many_more_mutants() {
    let n = std::env::var("RESSIM_FUZZ_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000u64);
    let seed = std::env::var("RESSIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2016u64);
    if let Err(fails) = fuzz(n / 2, seed) {
        panic!("{} mutants failed:\n{}", fails.len(), fails.join("\n"));
    }
}

/// Run the binary with a time limit; returns (exit code, stderr).
fn run_binary(dir: &Path, args: &[&str], limit: Duration) -> (Option<i32>, String) {
    let mut child = common::ressim()
        .current_dir(dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("ressim starts");
    let started = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ressim {args:?} took more than {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("ressim output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_handful_of_mutants_through_the_real_binary() {
    let seeds = seeds();
    let tmp = tempfile::tempdir().expect("temp dir");
    for n in 0..6u64 {
        let (name, seed) = &seeds[(n % 2) as usize];
        let (text, extra) = mutant(seed, 1000 + n, 7);
        let dir = tmp.path().join(format!("m{n}"));
        let path = materialise(&dir, &text, &extra);
        let p = path.to_str().expect("utf-8 path");
        for args in [
            vec!["check", p],
            vec![
                "run",
                p,
                "--replications",
                "2",
                "--no-break-even",
                "--quiet",
                "--out",
                "out",
            ],
        ] {
            let (code, err) = run_binary(&dir, &args, Duration::from_secs(120));
            assert!(
                matches!(code, Some(0 | 1 | 65)),
                "{name} mutant {n}: {args:?} exit {code:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{name} mutant {n}: {err}");
            assert!(
                err.len() <= MESSAGE_LIMIT,
                "{name} mutant {n}: {} bytes",
                err.len()
            );
        }
        // Never a half-written folder: either the complete output or nothing.
        let out = dir.join("out");
        if out.exists() {
            assert!(out.join("manifest.json").exists(), "{name} mutant {n}");
        }
        let partial = std::fs::read_dir(&dir)
            .expect("mutant folder")
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".partial-"));
        assert!(!partial, "{name} mutant {n} left a staging folder");
    }
}

// Regression cases: each failure the fuzzer or the issue found, by name.

/// Check and run one scenario text with the watchdog; panics on a failure.
fn regression(text: &str) -> Outcome {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = materialise(tmp.path(), text, &[]);
    guarded(TIME_LIMIT, move || check_and_run(&path)).unwrap_or_else(|e| panic!("{e}"))
}

/// The shipped scenario with one line replaced.
fn shipped_with(find: &str, replace: &str) -> String {
    let t = std::fs::read_to_string(common::shipped()).expect("shipped scenario");
    assert!(t.contains(find), "{find}");
    t.replacen(find, replace, 1)
}

#[test]
fn regression_gamma_with_an_absurd_mean_is_refused_not_spun_on() {
    let t = std::fs::read_to_string(common::shipped()).expect("shipped scenario");
    let line = t
        .lines()
        .find(|l| l.trim_start().starts_with("cost_per_fte_year") && l.contains("gamma"))
        .expect("a gamma cost_per_fte_year in the shipped scenario");
    let bad = "cost_per_fte_year = { dist = \"gamma\", mean = 1e200, sd = 50000 }";
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = materialise(tmp.path(), &t.replacen(line, bad, 1), &[]);
    let e = ressim::scenario::load(&path).expect_err("refused");
    let m = e.to_string();
    assert!(m.contains("`mean`") && m.contains("10^15"), "{m}");
    assert!(matches!(
        regression(&t.replacen(line, bad, 1)),
        Outcome::Refused
    ));
}

#[test]
fn regression_a_five_megabyte_line_gives_a_short_message() {
    let t = shipped_with(
        "[scenario]",
        &format!("[scenario]\nzz = \"{}\"", "x".repeat(5_000_000)),
    );
    assert!(matches!(regression(&t), Outcome::Refused));
}

#[test]
fn regression_a_hundred_thousand_nested_brackets_give_a_short_message() {
    let t = format!("a = {}\n", "[".repeat(100_000));
    assert!(matches!(regression(&t), Outcome::Refused));
}

#[test]
fn regression_nan_and_infinite_amounts_are_refused() {
    for v in ["nan", "inf", "-inf", "1e308"] {
        let t = std::fs::read_to_string(common::shipped()).expect("shipped scenario");
        let line = t
            .lines()
            .find(|l| l.trim_start().starts_with("amount = "))
            .expect("an amount line");
        let out = regression(&t.replacen(line, &format!("amount = {v}"), 1));
        assert!(matches!(out, Outcome::Refused), "{v}: {out:?}");
    }
}
