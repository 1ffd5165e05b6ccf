//! The shipped scenario library (issue 11): every scenario checks and runs, the operating case
//! reaches a steady state, the health coordinator without effect saves exactly nothing and
//! costs cases × price, and `ressim compare` reports each scenario's own figures.

mod common;

use common::{csv_records, quick, ressim_ok, summary_json};
use ressim::scenario::{self, library};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_file_in_scenarios_is_shipped_and_passes_check() {
    let mut on_disk: Vec<String> = Vec::new();
    for dir in ["scenarios", "scenarios/base"] {
        for e in std::fs::read_dir(root().join(dir)).expect("scenarios folder") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "toml") {
                on_disk.push(format!(
                    "{dir}/{}",
                    p.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    on_disk.sort();
    let mut shipped: Vec<String> = library::LIBRARY
        .iter()
        .map(|s| s.path.to_string())
        .collect();
    shipped.sort();
    assert_eq!(
        on_disk, shipped,
        "scenarios/ and the built-in library differ"
    );
    assert!(
        library::runnable().count() >= 5,
        "fewer than five scenarios"
    );
    for s in library::runnable() {
        // The file on disk (as a user runs it) and the built-in copy agree and pass check.
        let out = ressim_ok(&["check", s.path]);
        assert!(!out.stdout.is_empty(), "{}: check printed nothing", s.path);
        let text = std::fs::read_to_string(root().join(s.path)).expect("shipped file");
        assert_eq!(text, s.text, "{}: the built-in copy is stale", s.path);
    }
}

#[test]
fn every_shipped_scenario_runs() {
    for s in library::runnable() {
        let sc = scenario::load_shipped(s.name).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let opts = ressim::montecarlo::RunOptions {
            replications: 2,
            ..ressim::montecarlo::RunOptions::from_scenario(&sc)
        };
        let res = ressim::montecarlo::run(&sc, &opts).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        assert_eq!(res.replications(), 2, "{}", s.name);
    }
}

#[test]
fn the_operating_case_reaches_a_steady_state() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("drift");
    quick(
        "run",
        &["scenarios/kbh-rehabiliteringshus-drift.toml"],
        4,
        &out,
    );
    let sc = scenario::load_shipped("kbh-rehabiliteringshus-drift").expect("drift loads");
    let (from, to) = sc
        .full_phase_in
        .expect("the operating case names its full phase-in years");
    // Months (1-based in staffing.csv) inside the full-phase-in budget years.
    let start_year = i64::from(sc.sim.start_year);
    let start_month = i64::from(sc.sim.start_month);
    let in_years = |month: i64| {
        let m0 = start_month - 1 + month - 1;
        let year = start_year + m0.div_euclid(12);
        year >= i64::from(from) && year <= i64::from(to)
    };
    let rows = csv_records(&out.join("staffing.csv"));
    let mut participants: std::collections::BTreeMap<i64, f64> = Default::default();
    let mut fte: std::collections::BTreeMap<i64, f64> = Default::default();
    for r in rows.iter().filter(|r| r["arm"] == "treatment") {
        let m: i64 = r["month"].parse().expect("month");
        if !in_years(m) {
            continue;
        }
        *fte.entry(m).or_default() += r["fte"].parse::<f64>().expect("fte");
        if r["service"] == "caseworkers" {
            // Every participant in the course or a placement has a coordinating caseworker.
            participants.insert(m, r["used"].parse().expect("used"));
        }
    }
    assert!(
        participants.len() >= 36,
        "fewer than three years at full phase-in"
    );
    for (what, series) in [("participants", &participants), ("FTE", &fte)] {
        let v: Vec<f64> = series.values().copied().collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(
            lo >= 0.95 * mean && hi <= 1.05 * mean,
            "{what} per month in {from}–{to} are not flat within 5 %: {lo:.0}–{hi:.0} around {mean:.0}"
        );
    }
}

#[test]
fn the_health_coordinator_without_effect_saves_nothing_and_costs_cases_times_price() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("hc");
    quick("run", &["scenarios/sundhedskoordinator.toml"], 5, &out);
    let s = summary_json(&out);
    assert_eq!(
        s["effect_scale"].as_f64(),
        Some(0.0),
        "the default effect is none"
    );
    for (p, v) in s["business_case"]["perspectives"]
        .as_object()
        .expect("perspectives")
    {
        assert_eq!(
            v["gross_savings_dkk"]["mean"].as_f64(),
            Some(0.0),
            "{p} saves something"
        );
    }
    let sc = scenario::load_shipped("sundhedskoordinator").expect("loads");
    let price = sc.arms[1]
        .costs
        .iter()
        .find(|c| c.id == "payment_bif")
        .map(|c| sc.params[c.amount].param.central())
        .expect("a payment per case");
    let cases = s["staffing"]["coordinator"]["served_per_replication"]
        .as_f64()
        .expect("cases");
    assert_eq!(cases, 78.0, "every referred citizen is a case");
    let inv = s["business_case"]["perspectives"]["municipality"]["investment_dkk"]["mean"]
        .as_f64()
        .expect("investment");
    assert_eq!(
        inv,
        cases * price,
        "the municipality pays cases × price and nothing else"
    );
    // The region is paid the same amount: its investment is its staff less the payments.
    let lines = csv_records(&out.join("lines.csv"));
    let paid: f64 = lines
        .iter()
        .filter(|r| r["perspective"] == "region" && r["line"] == "payment_region")
        .map(|r| r["mean_dkk"].parse::<f64>().expect("amount"))
        .sum();
    assert_eq!(paid, -cases * price);
}

#[test]
fn compare_reports_each_scenarios_own_figures() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("cmp");
    quick(
        "compare",
        &[
            "scenarios/sundhedskoordinator.toml",
            "scenarios/kbh-rehabiliteringshus-konservativ.toml",
        ],
        3,
        &out,
    );
    // compare.csv quotes titles that hold commas: read it with a CSV reader.
    let mut reader = csv::Reader::from_path(out.join("compare.csv")).expect("compare.csv");
    let head = reader.headers().expect("header").clone();
    let rows: Vec<std::collections::HashMap<String, String>> = reader
        .records()
        .map(|r| {
            let r = r.expect("a record");
            head.iter()
                .zip(r.iter())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 2);
    let html = std::fs::read_to_string(out.join("compare.html")).expect("compare.html");
    for r in &rows {
        let name = &r["scenario"];
        let s = summary_json(&out.join(name));
        assert!(
            html.contains(name.as_str()),
            "{name} missing from compare.html"
        );
        for p in ["municipality", "bif", "public", "society"] {
            let v = &s["business_case"]["perspectives"][p];
            for (col, key) in [
                ("npv_dkk_mean", "mean"),
                ("npv_dkk_p025", "p025"),
                ("npv_dkk_p975", "p975"),
            ] {
                let want = v["npv_dkk"][key].as_f64().expect("npv");
                let got: f64 = r[&format!("{p}_{col}")].parse().expect("a number");
                assert!(
                    (got - want).abs() <= 0.005,
                    "{name} {p} {col}: {got} vs {want}"
                );
            }
            let want = v["investment_dkk"]["mean"].as_f64().expect("inv");
            let got: f64 = r[&format!("{p}_investment_dkk")].parse().expect("a number");
            assert!(
                (got - want).abs() <= 0.005,
                "{name} {p} investment: {got} vs {want}"
            );
        }
    }
}

#[test]
fn init_writes_a_starter_that_check_refuses_and_an_example_that_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let new = tmp.path().join("new.toml");
    let ex = tmp.path().join("ex.toml");
    ressim_ok(&["init", new.to_str().unwrap()]);
    let o = common::run_in(root(), &["check", new.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(65),
        "the starter with open values passes check"
    );
    let err = common::stderr(&o);
    for key in [
        "arms.treatment.services.mentors.fte",
        "simulation.horizon",
        "cohort.inflow",
    ] {
        assert!(err.contains(key), "{key} is not named: {err}");
    }
    // init never overwrites.
    let again = common::run_in(root(), &["init", new.to_str().unwrap()]);
    assert!(!again.status.success());
    ressim_ok(&["init", ex.to_str().unwrap(), "--example"]);
    ressim_ok(&["check", ex.to_str().unwrap()]);
    let out = tmp.path().join("ex-run");
    quick("run", &[ex.to_str().unwrap()], 3, &out);
    assert!(out.join("report.html").exists());
}

/// The keys and addresses of the tables in docs/sources.md (`| key | institution | title | year
/// | place | address |`).
fn documented_sources() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("docs/sources.md")).expect("docs/sources.md");
    text.lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            (cells.len() == 6 && cells[0] != "key" && !cells[0].starts_with("---"))
                .then(|| (cells[0].to_string(), cells[5].to_string()))
        })
        .collect()
}

#[test]
fn docs_sources_md_and_the_shipped_registers_name_the_same_sources() {
    let mut register = std::collections::BTreeMap::new();
    // The base is not runnable on its own; every runnable scenario extends it.
    for s in library::runnable() {
        let sc = scenario::load_shipped(s.name).expect("shipped scenario checks");
        for r in sc.bibliography {
            register.insert(r.key.clone(), r.url.clone().unwrap_or_else(|| "–".into()));
        }
    }
    let documented: std::collections::BTreeMap<String, String> =
        documented_sources().into_iter().collect();
    assert!(
        documented.len() > 30,
        "only {} documented sources",
        documented.len()
    );
    let keys =
        |m: &std::collections::BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&documented),
        keys(&register),
        "docs/sources.md and the registers differ"
    );
    for (k, url) in &register {
        assert_eq!(
            &documented[k], url,
            "[{k}]: docs/sources.md and the register give other addresses"
        );
    }
}
