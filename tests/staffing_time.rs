//! Staffing over time: a schedule of FTE by period, and staff that follow the demand with a
//! recruitment lag, bounds and steps; the cost follows the FTE actually staffed.

mod common;
use common::*;
use ressim::engine::{ROW_DEMAND, ROW_FTE};
use ressim::montecarlo::{self, RunOptions};
use ressim::scenario::{self, Scenario};

const MENTOR_COST: f64 = 480_000.0;

/// The four-service fixture with the mentors staffed to demand.
fn to_demand(target: f64, min: f64, max: f64, lag: u32, step: f64) -> Scenario {
    let text = staffed(max, 1.0, 2.0, 1.0).replace(
        "capacity_per_fte = 5\ncost_per_fte_year = 480000",
        &format!(
            "capacity_per_fte = 5\ncost_per_fte_year = 480000\nstaff_to_demand = {{ target_caseload = {target}, min_fte = {min}, lag_months = {lag}, step = {step} }}"
        ),
    );
    scenario::load_str("demand.toml", &text).unwrap()
}

/// Per cycle of the treatment arm: the mentors' staffing row (they are the first service).
fn mentor_rows(sc: &Scenario, rep: u32) -> (Vec<ressim::engine::StaffRow>, Vec<[f64; 6]>) {
    let r = montecarlo::run_rep(sc, &RunOptions::from_scenario(sc), rep).unwrap();
    let arm = &r.arms[1];
    let n_sv = arm.fte.len();
    let rows = arm.staffing.iter().step_by(n_sv).copied().collect();
    (rows, arm.programme.clone())
}

#[test]
fn staff_to_demand_stays_in_bounds_lags_exactly_and_costs_what_is_staffed() {
    for (target, min, max, lag, step) in [
        (5.0, 1.0, 12.0, 2, 0.5),
        (4.0, 0.0, 30.0, 0, 1.0),
        (6.0, 2.0, 6.0, 3, 0.25),
    ] {
        let sc = to_demand(target, min, max, lag, step);
        for rep in 0..3 {
            let (rows, programme) = mentor_rows(&sc, rep);
            let mut varied = false;
            for (m, row) in rows.iter().enumerate() {
                let fte = row[ROW_FTE];
                assert!(
                    (min..=max).contains(&fte),
                    "cycle {m}: FTE {fte} outside [{min}, {max}]"
                );
                // FTE(m) = ⌈demand(m − lag) / target / step⌉ · step, within the bounds.
                let want = if m < lag as usize {
                    min
                } else {
                    let need = rows[m - lag as usize][ROW_DEMAND] / target;
                    ((need / step - 1e-9).ceil() * step).clamp(min, max)
                };
                assert!(
                    (fte - want).abs() < 1e-12,
                    "cycle {m}: FTE {fte}, demand {lag} months earlier gives {want}"
                );
                // Capacity is the FTE staffed times the caseload per FTE, never exceeded.
                assert_eq!(row[0], (fte * 5.0 + 1e-9).floor(), "cycle {m}");
                assert!(row[1] <= row[0], "cycle {m}: used {} > capacity", row[1]);
                // SOF pays only the mentors: FTE staffed × annual cost / 12 every month.
                let sof = programme[m][1];
                assert!(
                    (sof - fte * MENTOR_COST / 12.0).abs() < 1e-6,
                    "cycle {m}: SOF cost {sof} for {fte} FTE"
                );
                varied |= m > 0 && fte != rows[m - 1][ROW_FTE];
            }
            assert!(varied, "the staff never followed the demand");
        }
    }
}

#[test]
fn a_schedule_staffs_each_period_and_staff_scales_it() {
    let text = staffed(1.0, 1.0, 2.0, 1.0).replace(
        "fte = 1\ncapacity_per_fte = 5\ncost_per_fte_year = 480000",
        "fte_schedule = [{ from_month = 0, fte = 2 }, { from_month = 3, fte = 8 }, { from_month = 12, fte = 4 }]\ncapacity_per_fte = 5\ncost_per_fte_year = 480000\nto_month = 17",
    );
    let mut sc = scenario::load_str("schedule.toml", &text).unwrap();
    let want = |m: usize| match m {
        0..=2 => 2.0,
        3..=11 => 8.0,
        12..=17 => 4.0,
        _ => 0.0,
    };
    let (rows, programme) = mentor_rows(&sc, 0);
    for (m, row) in rows.iter().enumerate() {
        assert_eq!(row[ROW_FTE], want(m), "cycle {m}");
        assert!((programme[m][1] - want(m) * MENTOR_COST / 12.0).abs() < 1e-6);
    }
    // `--staff mentors=4` sets the peak: the whole schedule is halved.
    sc.set_staff("mentors", 4.0).unwrap();
    let (rows, _) = mentor_rows(&sc, 0);
    for (m, row) in rows.iter().enumerate() {
        assert_eq!(row[ROW_FTE], want(m) / 2.0, "cycle {m}");
    }
}

#[test]
fn staffing_csv_shows_fte_and_demand_per_month_and_sweep_varies_the_target() {
    let t = tempfile::tempdir().unwrap();
    let text = staffed(12.0, 1.0, 2.0, 1.0).replace(
        "capacity_per_fte = 5\ncost_per_fte_year = 480000",
        "capacity_per_fte = 5\ncost_per_fte_year = 480000\nstaff_to_demand = { min_fte = 1, lag_months = 1 }",
    );
    let p = write(t.path(), "d.toml", &text);
    let out = t.path().join("run");
    quick("run", &[p.to_str().unwrap()], 3, &out);
    let rows = csv_records(&out.join("staffing.csv"));
    let fte: Vec<f64> = rows
        .iter()
        .filter(|r| r["arm"] == "treatment" && r["service"] == "mentors")
        .map(|r| r["fte"].parse().unwrap())
        .collect();
    let lo = fte.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = fte.iter().cloned().fold(0.0, f64::max);
    assert!(
        lo >= 1.0 - 1e-9 && hi <= 12.0 + 1e-9 && hi > lo,
        "{lo}–{hi}"
    );
    assert!(rows.iter().all(|r| r.contains_key("demand")));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["staffing"]["mentors"]["staffing"], "demand");
    let bc = &s["business_case"]["perspectives"]["municipality"];
    assert!(bc["cost_per_participant_dkk"]["mean"].as_f64().unwrap() > 0.0);
    assert!(
        bc["cost_per_participant_year_dkk"]["mean"]
            .as_f64()
            .unwrap()
            > 0.0
    );

    let sw = t.path().join("sweep");
    let o = run_in(
        t.path(),
        &[
            "sweep",
            p.to_str().unwrap(),
            "--vary",
            "mentors.target_caseload=4:8:4",
            "--replications",
            "2",
            "--quiet",
            "--out",
            sw.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(sw.join("sweep.csv")).unwrap();
    assert!(csv.starts_with("mentors_target_caseload,"), "{csv}");
}

#[test]
fn bad_staffing_forms_are_refused_with_their_place() {
    for (from, to, needle) in [
        (
            "fte = 1\ncapacity_per_fte = 5",
            "fte = 1\nfte_schedule = [{ from_month = 0, fte = 2 }]\ncapacity_per_fte = 5",
            "not `fte_schedule` together",
        ),
        (
            "fte = 1\ncapacity_per_fte = 5",
            "fte_schedule = [{ from_month = 4, fte = 2 }, { from_month = 2, fte = 3 }]\ncapacity_per_fte = 5",
            "must increase",
        ),
        (
            "capacity_per_fte = 5\ncost_per_fte_year = 480000",
            "capacity_per_fte = 5\ncost_per_fte_year = 480000\nstaff_to_demand = { min_fte = 3 }",
            "above `fte`",
        ),
    ] {
        let text = staffed(1.0, 1.0, 2.0, 1.0).replacen(from, to, 1);
        let e = scenario::load_str("bad.toml", &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle), "{needle}: {e}");
        assert!(e.contains("bad.toml"), "{e}");
    }
}
