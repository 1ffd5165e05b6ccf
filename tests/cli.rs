//! End-to-end runs of the binary: the output contract, determinism across threads, safe
//! output folders, and every kind of bad input with its message and exit code.

mod common;
use common::*;
use std::fs;

const BAD_SCENARIO: i32 = 65;

#[test]
fn run_writes_the_contract_files() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    quick("run", &[shipped().to_str().unwrap()], 4, &out);
    for f in [
        "summary.json",
        "occupancy.csv",
        "cashflows.csv",
        "manifest.json",
        "housing.csv",
        "flows.csv",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let s: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    for k in [
        "scenario",
        "seed",
        "replications",
        "horizon_months",
        "arms",
        "business_case",
        "staffing",
    ] {
        assert!(s.get(k).is_some(), "summary.json lacks {k}");
    }
    assert_eq!(s["replications"], 4);
    let arms = s["arms"].as_object().unwrap();
    assert!(arms.contains_key("control") && arms.contains_key("treatment"));
    for (id, a) in arms {
        let total: f64 = a["outcomes_at_end"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "{id}: outcomes sum to {total}");
    }
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["scenario_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(m["replications"], 4);
    let occ = fs::read_to_string(out.join("occupancy.csv")).unwrap();
    assert!(occ.starts_with("arm,month,state,mean,p025,p975\n"));
    let cash = fs::read_to_string(out.join("cashflows.csv")).unwrap();
    assert!(cash.starts_with("arm,year,account,payer,dkk_mean,dkk_discounted_mean\n"));
    // No staging folder is left behind.
    let left: Vec<_> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn default_scenario_is_built_in() {
    let t = tempfile::tempdir().unwrap();
    let o = run_in(t.path(), &["run", "--replications", "2", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        t.path()
            .join("outputs/kbh-rehabiliteringshus/summary.json")
            .is_file()
    );
    let c = run_in(t.path(), &["check", "--lang", "en"]);
    assert!(c.status.success());
    assert!(stdout(&c).contains("built in"), "{}", stdout(&c));
}

#[test]
fn results_are_byte_identical_across_thread_counts() {
    let t = tempfile::tempdir().unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = t.path().join(format!("t{threads}"));
        let scen = shipped();
        let args = [scen.to_str().unwrap(), "--seed", "11", "--threads", threads];
        quick("run", &args, 12, &out);
        outs.push(out);
    }
    for f in [
        "summary.json",
        "occupancy.csv",
        "cashflows.csv",
        "housing.csv",
        "flows.csv",
    ] {
        let a = fs::read(outs[0].join(f)).unwrap();
        for other in &outs[1..] {
            assert!(
                a == fs::read(other.join(f)).unwrap(),
                "{f} differs between thread counts"
            );
        }
    }
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(outs[1].join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["threads"], 2);
}

#[test]
fn a_folder_ressim_did_not_write_is_never_overwritten() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("mine");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.txt"), "keep me").unwrap();
    let o = run_in(
        t.path(),
        &[
            "run",
            "--out",
            out.to_str().unwrap(),
            "--replications",
            "2",
            "--quiet",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not written by ressim"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        fs::read_to_string(out.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert!(!out.join("summary.json").exists());
    // A folder ressim wrote is replaced.
    let own = t.path().join("own");
    for _ in 0..2 {
        quick("run", &[], 2, &own);
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let t = tempfile::tempdir().unwrap();
    let o = run_in(t.path(), &["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("run"));
    for args in [
        vec!["run", "--replications", "0"],
        vec!["run", "--replications", "many"],
        vec!["run", "--threads", "0"],
        vec!["run", "--effect-scale", "-1"],
        vec!["run", "--lang", "fr"],
        vec!["frobnicate"],
        vec!["run", "--no-such-flag"],
    ] {
        let o = run_in(t.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
}

/// Check a scenario text that must be refused: exit 65, no panic, the message names the file,
/// mentions `needle`, and (when `line` is given) the line.
fn refused(name: &str, text: &[u8], needle: &str, line: Option<usize>) {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join(name);
    fs::write(&p, text).unwrap();
    for cmd in ["check", "run"] {
        let out = t.path().join("out");
        let o = run_in(
            t.path(),
            &[cmd, p.to_str().unwrap(), "--out", out.to_str().unwrap()]
                [..if cmd == "check" { 2 } else { 4 }],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(BAD_SCENARIO), "{name} ({cmd}): {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(
            err.contains(name),
            "{name}: message does not name the file: {err}"
        );
        assert!(
            err.contains(needle),
            "{name}: expected `{needle}` in: {err}"
        );
        if let Some(l) = line {
            assert!(
                err.contains(&format!("line {l},")),
                "{name}: expected line {l} in: {err}"
            );
        }
        assert!(
            !out.exists(),
            "{name}: a bad scenario must not produce output"
        );
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle in text")
        + 1
}

#[test]
fn toml_syntax_error_is_located() {
    let text = small("").replace("horizon = 24", "horizon = = 24");
    refused(
        "syntax.toml",
        text.as_bytes(),
        "",
        Some(line_of(&text, "horizon")),
    );
}

#[test]
fn unknown_key_lists_the_expected_names() {
    let text = small("").replace("seed = 7", "sed = 7");
    refused(
        "typo.toml",
        text.as_bytes(),
        "unknown key `sed`",
        Some(line_of(&text, "sed = 7")),
    );
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "typo.toml", &text);
    let o = run_in(t.path(), &["check", "--lang", "en", p.to_str().unwrap()]);
    assert!(stderr(&o).contains("`seed`"), "{}", stderr(&o));
}

#[test]
fn wrong_type_is_located() {
    let text = small("").replace("horizon = 24", "horizon = \"two years\"");
    refused(
        "type.toml",
        text.as_bytes(),
        "expected a whole number",
        Some(line_of(&text, "two years")),
    );
}

#[test]
fn probability_outside_0_1_is_refused() {
    let text = small("").replace("prob = 0.03", "prob = 1.5");
    refused(
        "prob.toml",
        text.as_bytes(),
        "a probability must lie between 0 and 1, got 1.5",
        Some(line_of(&text, "1.5")),
    );
    let text = small("").replace(
        "prob = 0.03",
        "prob = { dist = \"normal\", mean = 0.03, sd = 0.01 }",
    );
    refused(
        "probdist.toml",
        text.as_bytes(),
        "add `min`/`max`",
        Some(line_of(&text, "normal")),
    );
}

#[test]
fn negative_size_and_zero_horizon_are_refused() {
    let text = small("").replace("size = 200", "size = -5");
    refused(
        "size.toml",
        text.as_bytes(),
        "`size` must be between 1",
        Some(line_of(&text, "size = -5")),
    );
    let text = small("").replace("horizon = 24", "horizon = 0");
    refused(
        "horizon.toml",
        text.as_bytes(),
        "`horizon` must be between 1",
        Some(line_of(&text, "horizon = 0")),
    );
}

#[test]
fn unknown_state_and_account_references_are_refused() {
    let text = small("").replace("[transitions.job.course]", "[transitions.job.coarse]");
    refused(
        "state.toml",
        text.as_bytes(),
        "unknown state `coarse`",
        Some(line_of(&text, "coarse")),
    );
    let text = small("").replace("states = [\"course\"]", "states = [\"curse\"]");
    refused(
        "accstate.toml",
        text.as_bytes(),
        "unknown state `curse`",
        Some(line_of(&text, "curse")),
    );
    let text = small("[arms.treatment.accounts.benefits]\namount = 1\n");
    refused(
        "account.toml",
        text.as_bytes(),
        "unknown account `benefits`",
        Some(line_of(&text, "accounts.benefits")),
    );
    let text = small("[arms.treatment.effects.job]\npension = 0.5\n");
    refused(
        "effect.toml",
        text.as_bytes(),
        "no such transition",
        Some(line_of(&text, "pension = 0.5")),
    );
}

#[test]
fn impossible_competing_probabilities_are_refused() {
    let text = small("").replace("prob = 0.05", "prob = 0.98");
    refused("compete.toml", text.as_bytes(), "add up to 1.01", None);
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "compete.toml", &text);
    let err = stderr(&run_in(
        t.path(),
        &["check", "--lang", "en", p.to_str().unwrap()],
    ));
    assert!(err.contains("job 0.03 + pension 0.98"), "{err}");
    assert!(err.contains("line "), "{err}");
}

#[test]
fn empty_binary_and_missing_files_are_refused() {
    refused("empty.toml", b"", "is empty", None);
    refused("comments.toml", b"# nothing here\n\n", "is empty", None);
    refused(
        "binary.toml",
        &(0u8..=255).cycle().take(1024).collect::<Vec<_>>(),
        "binary",
        None,
    );
    refused("latin1.toml", b"name = \"K\xf8benhavn\"\n", "UTF-8", None);
    let t = tempfile::tempdir().unwrap();
    let o = run_in(t.path(), &["check", "--lang", "en", "nowhere.toml"]);
    assert_eq!(o.status.code(), Some(BAD_SCENARIO));
    assert!(
        stderr(&o).contains("nowhere.toml") && stderr(&o).contains("no such file"),
        "{}",
        stderr(&o)
    );
    let o = run_in(
        t.path(),
        &["check", "--lang", "en", t.path().to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(BAD_SCENARIO), "{}", stderr(&o));
}

#[test]
fn several_problems_are_reported_together() {
    let text = small("")
        .replace("prob = 0.03", "prob = 1.5")
        .replace("payer = \"bif\"", "payer = \"kommune\"");
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "two.toml", &text);
    let err = stderr(&run_in(
        t.path(),
        &["check", "--lang", "en", p.to_str().unwrap()],
    ));
    assert!(
        err.contains("unknown payer `kommune`") && err.contains("1.5"),
        "{err}"
    );
    assert!(err.contains("2 problems"), "{err}");
}

#[test]
fn extends_overrides_only_what_changes_and_locates_errors_in_the_variant() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "base.toml", &small(""));
    let v = write(
        t.path(),
        "variant.toml",
        "extends = \"base.toml\"\n\n[scenario]\nname = \"variant\"\n\n[arms.treatment]\noffer_share = 1.0\n",
    );
    let o = run_in(t.path(), &["check", "--lang", "en", v.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("variant.toml → "), "{}", stdout(&o));
    assert!(stdout(&o).contains("100.0 %"), "{}", stdout(&o));
    let bad = write(
        t.path(),
        "bad.toml",
        "extends = \"base.toml\"\n\n[transitions.course.job]\nprob = 2\n",
    );
    let err = stderr(&run_in(
        t.path(),
        &["check", "--lang", "en", bad.to_str().unwrap()],
    ));
    assert!(err.contains("bad.toml: line 4,"), "{err}");
    let missing = write(t.path(), "orphan.toml", "extends = \"nope.toml\"\n");
    let err = stderr(&run_in(
        t.path(),
        &["check", "--lang", "en", missing.to_str().unwrap()],
    ));
    assert!(
        err.contains("orphan.toml") && err.contains("nope.toml") && err.contains("does not exist"),
        "{err}"
    );
    let lp = write(t.path(), "loop.toml", "extends = \"loop.toml\"\n");
    let err = stderr(&run_in(
        t.path(),
        &["check", "--lang", "en", lp.to_str().unwrap()],
    ));
    assert!(err.contains("loops"), "{err}");
}

#[test]
fn check_lists_parameters_without_a_source() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "s.toml", &small(""));
    let o = run_in(t.path(), &["check", "--lang", "en", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("without a source"), "{out}");
    assert!(out.contains("transitions.course.job.prob = 0.03"), "{out}");
    assert!(out.contains("course, job, pension (absorbing)"), "{out}");
}

/// A base scenario in which every parameter has a source: its own, or its table's.
const SOURCED_BASE: &str = r#"[scenario]
name = "base"

[simulation]
start = "2016-07"
horizon = 24
seed = 7
replications = 20
discount_rate = { value = 0.04, source = "Finansministeriet 2016" }

[cohort]
size = 200
start_state = "course"

[states.course]
in_course = true
[states.job]
[states.pension]
absorbing = true

[transitions.course.job]
prob = 0.03
source = "Table A"
[transitions.course.pension]
prob = 0.05
source = "Table B"

[accounts.benefit]
payer = "bif"
amount = 10968
states = ["course"]
source = "Rates 2016"

[arms.control]
source = "Design"

[arms.treatment]
offer_share = 0.5
source = "Design"

[arms.treatment.effects.course]
job = 1.5
"#;

/// The lines `ressim check` lists under "without a source" (empty when every parameter has
/// one).
fn unsourced(dir: &std::path::Path, file: &std::path::Path) -> Vec<String> {
    let o = run_in(dir, &["check", "--lang", "en", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let Some((_, list)) = out.split_once("without a source") else {
        assert!(out.contains("every parameter has a source"), "{out}");
        return vec![];
    };
    list.lines()
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn a_variant_number_does_not_borrow_the_base_files_source() {
    let t = tempfile::tempdir().unwrap();
    let base = write(t.path(), "base.toml", SOURCED_BASE);
    assert_eq!(unsourced(t.path(), &base), Vec::<String>::new());
    // The variant changes one number of a table whose `source` is in the base file: that
    // source describes the old number, so the new one has none.
    let v = write(
        t.path(),
        "variant.toml",
        "extends = \"base.toml\"\n\n[arms.treatment]\noffer_share = 1.0\n",
    );
    assert_eq!(
        unsourced(t.path(), &v),
        vec!["arms.treatment.offer_share = 1"]
    );
    // A replaced parameter table without its own source is the same case.
    let v = write(
        t.path(),
        "prob.toml",
        "extends = \"base.toml\"\n\n[transitions.course.job]\nprob = { dist = \"beta\", mean = 0.04, sd = 0.01 }\n",
    );
    let list = unsourced(t.path(), &v);
    assert_eq!(list.len(), 1, "{list:?}");
    assert!(
        list[0].starts_with("transitions.course.job.prob = beta"),
        "{list:?}"
    );
    // A variant that gives the table's `source` next to the new number: it is sourced, and
    // the base's effect keeps the source its own file gives it.
    let v = write(
        t.path(),
        "sourced.toml",
        "extends = \"base.toml\"\n\n[arms.treatment]\noffer_share = 1.0\nsource = \"Everyone offered (council decision 2017)\"\n",
    );
    assert_eq!(unsourced(t.path(), &v), Vec::<String>::new());
    let o = run_in(t.path(), &["check", "--lang", "en", v.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("every parameter has a source"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn entry_cycles_count_from_0_to_horizon_minus_1() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "s.toml", &small(""));
    let o = run_in(t.path(), &["check", "--lang", "en", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("in cycles 0–23;"), "{out}");
    assert!(!out.contains("0–24"), "{out}");
    for key in ["offer_to", "offer_from"] {
        let text = small("").replace(
            "offer_share = 0.5",
            &format!("offer_share = 0.5\n{key} = 24"),
        );
        refused(
            &format!("{key}.toml"),
            text.as_bytes(),
            &format!("`{key}` must be between 0 and 23"),
            Some(line_of(&text, &format!("{key} = 24"))),
        );
    }
    let text = small("").replace("offer_share = 0.5", "offer_share = 0.5\noffer_to = 23");
    let p = write(t.path(), "last.toml", &text);
    let o = run_in(t.path(), &["check", "--lang", "en", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn keys_that_do_not_belong_to_the_distribution_are_refused() {
    let text = small("").replace(
        "prob = 0.03",
        "prob = { dist = \"beta\", mean = 0.03, sd = 0.005,\n  value = 0.5 }",
    );
    refused(
        "beta-value.toml",
        text.as_bytes(),
        "`value` is not a key of distribution `beta`, which takes `mean` and `sd`, or `alpha` and `beta`",
        Some(line_of(&text, "value = 0.5")),
    );
    let text = small("").replace(
        "job = 1.5",
        "job = { dist = \"normal\", mean = 1.5, sd = 0.2, alpha = 2 }",
    );
    refused(
        "normal-alpha.toml",
        text.as_bytes(),
        "`alpha` is not a key of distribution `normal`",
        Some(line_of(&text, "alpha = 2")),
    );
    let text = small("").replace(
        "prob = 0.03",
        "prob = { dist = \"beta\", mean = 0.03, sd = 0.005, alpha = 3, beta = 97 }",
    );
    refused("mixed.toml", text.as_bytes(), "not both", None);
}

/// The README's examples with command-line changes (`--lang en --staff mentors=15`,
/// `--effect-scale 0`) never write into the unchanged scenario's default folder: the baseline
/// result stays byte for byte, each changed run gets its own folder named by its changes, and
/// its manifest and report list the changes and describe the staffing as run.
#[test]
fn readme_examples_with_changes_leave_the_baseline_untouched() {
    let t = tempfile::tempdir().unwrap();
    let base = ["run", "--replications", "2", "--no-break-even", "--quiet"];
    let o = run_in(t.path(), &base);
    assert!(o.status.success(), "{}", stderr(&o));
    let outputs = t.path().join("outputs");
    let folders = |d: &std::path::Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        v
    };
    let baseline = folders(&outputs);
    assert_eq!(baseline.len(), 1, "{baseline:?}");
    let summary = outputs.join(&baseline[0]).join("summary.json");
    let before = std::fs::read(&summary).unwrap();
    for extra in [
        &["--lang", "en", "--staff", "mentors=15"][..],
        &["--effect-scale", "0"][..],
    ] {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let o = run_in(t.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(
        std::fs::read(&summary).unwrap(),
        before,
        "the baseline was overwritten"
    );
    let all = folders(&outputs);
    assert_eq!(all.len(), 3, "{all:?}");
    let staffed = all
        .iter()
        .find(|n| n.contains("mentors-15"))
        .expect("a folder named by the change");
    let dir = outputs.join(staffed);
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"staff.mentors\"") && manifest.contains("\"scenario_value\": \"20\""),
        "{manifest}"
    );
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        report.contains("15 FTE (scenario: 20)"),
        "the report does not list the change"
    );
    assert!(
        report.contains("Mentors / personal guides (SOF's mentor corps) 15,0 FTE")
            || report.contains("Mentors / personal guides (SOF's mentor corps) 15.0 FTE")
    );
    let summary15: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    // The shipped mentors are staffed to the demand: --staff sets the most that may be staffed.
    let m = &summary15["staffing"]["mentors"];
    let fte_max = m["fte_max"].as_f64().unwrap();
    assert!(fte_max <= 15.0 + 1e-9 && fte_max > 10.0, "{m}");
    assert!(all.iter().any(|n| n.contains("effect-0")), "{all:?}");
}
