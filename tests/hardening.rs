//! Issue 12: closed pipes end quietly, one replication gives no pretend MCSE or interval,
//! amounts per year or cycle, first-class quantities, and Danish charts and terminal output.

mod common;

use common::{ressim, shipped, small};
use ressim::montecarlo::{self, RunOptions};
use ressim::report::format::Lang;
use ressim::report::{quantities, run_charts, summary, terminal};
use ressim::scenario::{self, Scenario};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn run_reps(sc: &Scenario, reps: u32) -> montecarlo::Results {
    let mut o = RunOptions::from_scenario(sc);
    o.replications = reps;
    o.threads = 1;
    montecarlo::run(sc, &o).expect("run")
}

/// Start ressim with its standard output a pipe whose reading end is closed at once; returns
/// the exit code and standard error.
fn with_closed_stdout(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = ressim()
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ressim starts");
    drop(child.stdout.take());
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().expect("ressim ends");
    (status.code(), err)
}

#[test]
fn a_closed_pipe_ends_every_command_quietly_and_leaves_complete_folders() {
    let t = tempfile::tempdir().expect("temp dir");
    let scen = shipped();
    let s = scen.to_str().expect("utf-8");
    for args in [
        vec!["check", s],
        vec![
            "run",
            s,
            "--replications",
            "2",
            "--no-break-even",
            "--out",
            "r",
        ],
        vec![
            "sweep",
            s,
            "--vary",
            "mentors=10:20:10",
            "--replications",
            "2",
            "--out",
            "w",
        ],
    ] {
        let (code, err) = with_closed_stdout(t.path(), &args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
    // The outputs were written completely before the summary was printed, and nothing is left
    // half-written.
    for d in ["r", "w"] {
        assert!(t.path().join(d).join("manifest.json").exists(), "{d}");
    }
    let leftovers: Vec<String> = std::fs::read_dir(t.path())
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_real_shell_pipe_into_head_is_quiet() {
    let scen = shipped();
    let out = Command::new("bash")
        .arg("-c")
        .arg("set -o pipefail; \"$0\" check \"$1\" | head -1 >/dev/null")
        .arg(env!("CARGO_BIN_EXE_ressim"))
        .arg(&scen)
        .output()
        .expect("bash runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {err}", out.status);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn usage_errors_with_huge_arguments_stay_short() {
    let huge = "x".repeat(100_000);
    for args in [
        vec!["run".to_string(), format!("--{huge}")],
        vec!["run".to_string(), "--staff".into(), format!("{huge}=3")],
        vec!["check".to_string(), huge.clone()],
    ] {
        let o = ressim().args(&args).output().expect("ressim runs");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(matches!(o.status.code(), Some(2 | 65)), "{:?}", o.status);
        assert!(err.len() <= 8192, "{} bytes", err.len());
        assert!(err.contains('…'), "{}", &err[..err.len().min(300)]);
    }
}

#[test]
fn one_replication_gives_null_mcse_and_no_interval_never_zero() {
    let sc = scenario::load(&shipped()).expect("shipped scenario");
    let res = run_reps(&sc, 1);
    let s = summary::summary(&sc, &res, None);
    assert_eq!(s["mcse_basis"], "none");
    let npv = &s["business_case"]["perspectives"]["municipality"]["npv_dkk"];
    assert!(npv["mcse"].is_null(), "{npv}");
    assert!(npv["p025"].is_null() && npv["p975"].is_null(), "{npv}");
    assert!(
        npv["mean"].as_f64().is_some() && npv["p50"] == npv["mean"],
        "{npv}"
    );
    // Nowhere in the summary is an MCSE 0.
    let text = serde_json::to_string(&s).expect("json");
    assert!(!text.contains("\"mcse\":0.0"), "an MCSE of 0");
    let w = summary::warnings(&sc, &res);
    assert!(w.iter().any(|x| x.contains("one replication")), "{w:?}");
    // occupancy.csv shows no interval either.
    let occ = ressim::report::csv::occupancy(&sc, &res);
    let row: Vec<&str> = occ.lines().nth(1).expect("a row").split(',').collect();
    assert_eq!((row[4], row[5]), ("", ""), "{row:?}");

    let res = run_reps(&sc, 3);
    let s = summary::summary(&sc, &res, None);
    assert_eq!(s["mcse_basis"], "replications");
    let npv = &s["business_case"]["perspectives"]["municipality"]["npv_dkk"];
    assert!(npv["mcse"].as_f64().expect("an mcse") > 0.0, "{npv}");
    assert!(npv["p025"].as_f64() < npv["p975"].as_f64(), "{npv}");
}

#[test]
fn amounts_per_year_and_per_cycle_book_the_same_as_per_month() {
    let per = |extra: &str| {
        let sc = scenario::load_str(
            "per.toml",
            &small(&format!(
                "\n[accounts.yearly]\npayer = \"sof\"\nstates = [\"course\"]\n{extra}\n"
            )),
        )
        .expect("valid");
        let res = run_reps(&sc, 2);
        let j = sc
            .accounts
            .iter()
            .position(|a| a.id == "yearly")
            .expect("account");
        res.amount_sums[0][j].iter().sum::<f64>()
    };
    let monthly = per("amount = 1000");
    assert!(monthly > 0.0);
    let yearly = per("amount = 12000\nper = \"year\"");
    assert!(
        (yearly - monthly).abs() < 1e-6 * monthly,
        "{yearly} vs {monthly}"
    );
    let cycle = per("amount = 1000\nper = \"cycle\"");
    assert!((cycle - monthly).abs() < 1e-6 * monthly);
    let explicit = per("amount = 1000\nper = \"month\"");
    assert_eq!(explicit, monthly);
}

#[test]
fn obviously_wrong_per_is_refused_with_its_line() {
    for (extra, words) in [
        ("amount = 1\nper = \"week\"", "allowed are"),
        ("amount = 800\nunit = \"hours\"", "744"),
        ("amount = 12\nunit = \"months\"", "per = \"year\""),
        ("amount = 20000\nper = \"year\"\nunit = \"hours\"", "744"),
        ("amount = 174900\nlabel_da = \"Ydelse pr. år\"", "pr. år"),
    ] {
        let text = small(&format!(
            "\n[accounts.wrong]\npayer = \"sof\"\nstates = [\"course\"]\n{extra}\n"
        ));
        let m = scenario::load_str("per.toml", &text)
            .expect_err(extra)
            .to_string();
        assert!(m.contains(words), "{extra}: {m}");
        assert!(m.contains("per.toml: line"), "{extra}: {m}");
    }
    // `per` on an amount booked once per move.
    let text = small(
        "\n[accounts.once]\npayer = \"bif\"\namount = 100\nper = \"year\"\ntransitions = [\"course->job\"]\n",
    );
    let m = scenario::load_str("per.toml", &text)
        .expect_err("per on transitions")
        .to_string();
    assert!(m.contains("once per move"), "{m}");
}

#[test]
fn quantities_have_totals_intervals_differences_and_a_cost_per_unit() {
    let sc = scenario::load(&shipped()).expect("shipped scenario");
    let res = run_reps(&sc, 8);
    let s = summary::summary(&sc, &res, None);
    let treat = s["business_case"]["arm"].as_str().expect("arm").to_string();
    // Caseworker hours are a quantity, even though they also carry a price.
    let q = &s["arms"][&treat]["quantities"]["case_handling_course"];
    assert_eq!(q["unit"], "hours");
    let total = &q["total"];
    let (m, lo, hi) = (
        total["mean"].as_f64().expect("mean"),
        total["p025"].as_f64().expect("p025"),
        total["p975"].as_f64().expect("p975"),
    );
    assert!(m > 0.0 && lo <= m && m <= hi, "{total}");
    assert!(total["mcse"].as_f64().expect("mcse") > 0.0);
    // Not discounted unless the account asks.
    assert!(q["discounted_total"].is_null());
    let d = &s["difference_vs_control_quantities"][&treat]["case_handling_course"]["total"];
    let control = s["arms"]["control"]["quantities"]["case_handling_course"]["total"]["mean"]
        .as_f64()
        .expect("control mean");
    assert!((d["mean"].as_f64().expect("diff") - (m - control)).abs() < 1e-6 * m.abs().max(1.0));
    assert!(d["p025"].as_f64() <= d["p975"].as_f64());
    // The ratio is minus the NPV over the difference.
    let qi = res
        .quantity_accounts
        .iter()
        .position(|&j| sc.accounts[j].id == "case_handling_course")
        .expect("a quantity");
    let a = sc.arms.iter().position(|x| x.id == treat).expect("arm");
    let npv = s["business_case"]["perspectives"]["municipality"]["npv_dkk"]["mean"]
        .as_f64()
        .expect("npv");
    let r = quantities::net_cost_per_unit(&sc, &res, a, qi, 3).expect("a ratio");
    assert!((r - (-npv / (m - control))).abs() < 1e-6 * r.abs(), "{r}");
    assert_eq!(
        s["business_case"]["net_cost_per_quantity"]["case_handling_course"]["dkk_per_unit"]
            ["municipality"]
            .as_f64(),
        Some(r)
    );
    // quantities.csv: per year and a total row with the interval.
    let csv = quantities::csv(&sc, &res);
    assert!(csv.starts_with("arm,year,account,unit,mean,"));
    let row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with(&format!("{treat},total,case_handling_course,hours,")))
        .expect("a total row")
        .split(',')
        .collect();
    assert!((row[4].parse::<f64>().expect("mean") - m).abs() < 1e-3);
    assert!(!row[8].is_empty() && !row[10].is_empty(), "{row:?}");
    // The report shows them.
    let html = quantities::html(&sc, &s, Lang::Da);
    assert!(html.contains("Mængder") && html.contains("Sagsbehandling i ressourceforløbet"));
}

#[test]
fn a_discounted_quantity_is_discounted_at_its_own_rate() {
    let text = small(
        "\n[accounts.qaly]\npayer = \"citizen\"\nunit = \"qaly\"\namount = 0.05\nstates = [\"job\"]\ndiscount_rate = 0.5\n",
    );
    let sc = scenario::load_str("q.toml", &text).expect("valid");
    let res = run_reps(&sc, 3);
    let s = summary::summary(&sc, &res, None);
    let q = &s["arms"]["treatment"]["quantities"]["qaly"];
    assert_eq!(q["discounted"], true);
    let (t, d) = (
        q["total"]["mean"].as_f64().expect("total"),
        q["discounted_total"]["mean"].as_f64().expect("discounted"),
    );
    assert!(t > 0.0 && d < t && d > 0.0, "{t} {d}");
}

#[test]
fn danish_charts_show_names_and_decimal_commas_never_ids_or_points() {
    let sc = scenario::load(&shipped()).expect("shipped scenario");
    let res = run_reps(&sc, 4);
    let t = tempfile::tempdir().expect("temp dir");
    let charts = run_charts::write_all(&sc, &res, t.path(), Lang::Da).expect("charts");
    assert!(!charts.is_empty());
    let mut texts = Vec::new();
    for (_, svg) in &charts {
        let mut rest = svg.as_str();
        while let Some(i) = rest.find("</text>") {
            let before = &rest[..i];
            let start = before.rfind('>').map(|k| k + 1).unwrap_or(0);
            texts.push(before[start..].trim().to_string());
            rest = &rest[i + 7..];
        }
    }
    let ids = [
        "control",
        "treatment",
        "municipality",
        "society",
        "public",
        "course",
        "pension",
        "bif",
        "mentors",
    ];
    for w in &texts {
        assert!(!ids.contains(&w.as_str()), "an id in a Danish chart: {w}");
        let b = w.as_bytes();
        let decimal_point = (1..b.len().saturating_sub(1))
            .any(|i| b[i] == b'.' && b[i - 1].is_ascii_digit() && b[i + 1].is_ascii_digit());
        // A thousands separator is a point followed by three digits and no more.
        let thousands = w
            .split(|c: char| !c.is_ascii_digit() && c != '.')
            .all(|n| n.split('.').skip(1).all(|g| g.len() == 3));
        assert!(
            !decimal_point || thousands,
            "a decimal point in a Danish chart: {w}"
        );
    }
    assert!(texts.iter().any(|w| w == "Kommunen i alt"), "{texts:?}");
    assert!(
        texts.iter().any(|w| w.contains("mio.") && w.contains('−')),
        "{texts:?}"
    );
}

#[test]
fn the_danish_terminal_summary_names_perspectives_in_danish_and_aligns() {
    let sc = scenario::load(&shipped()).expect("shipped scenario");
    let res = run_reps(&sc, 2);
    let lines = terminal::summary_lines(&sc, &res, Path::new("x"), Lang::Da);
    let text = lines.join("\n");
    assert!(
        text.contains("Kommunen i alt") && text.contains("Samfundet"),
        "{text}"
    );
    assert!(!text.contains("municipality"), "{text}");
    // The state table: every row as wide as its header.
    let start = lines
        .iter()
        .position(|l| l.starts_with("Status ved horisonten"))
        .expect("state table");
    let width = |l: &String| ressim::report::format::display_width(l.trim_end());
    let rows: Vec<&String> = lines[start..]
        .iter()
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(rows.len() > 3);
    let w0 = width(rows[1]);
    assert!(rows[1..].iter().all(|l| width(l) == w0), "{rows:#?}");
}

#[test]
fn the_workbook_has_a_quantities_sheet_matching_summary_json() {
    use calamine::{Data, Reader, Xlsx};
    let sc = scenario::load(&shipped()).expect("shipped scenario");
    let res = run_reps(&sc, 3);
    let s = summary::summary(&sc, &res, None);
    let bytes = ressim::report::workbook::workbook(&sc, &res, &s, ressim::report::format::Lang::En)
        .expect("workbook");
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx");
    let rows: Vec<Vec<Data>> = wb
        .worksheet_range("Quantities")
        .expect("a Quantities sheet")
        .rows()
        .map(|r| r.to_vec())
        .collect();
    assert_eq!(rows[0][0], Data::String("Arm".into()));
    let row = rows
        .iter()
        .find(|r| {
            r[0] == Data::String("treatment".into())
                && r[1] == Data::String("employment_months".into())
        })
        .expect("treatment's employment months");
    let want = s["arms"]["treatment"]["quantities"]["employment_months"]["total"]["mean"]
        .as_f64()
        .expect("a mean");
    assert_eq!(row[4], Data::Float(want));
    let diff =
        s["difference_vs_control_quantities"]["treatment"]["employment_months"]["total"]["mean"]
            .as_f64()
            .expect("a difference");
    assert_eq!(row[9], Data::Float(diff));
}
