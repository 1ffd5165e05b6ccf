//! The business case against hand-computed numbers: the refusion staircase across its week
//! boundaries, programme costs, the placebo world (--effect-scale 0) and perspectives that add
//! up.

mod common;
use common::*;
use ressim::economics::business_case::{Headline, PERSPECTIVES, SOCIETY};
use ressim::montecarlo::{self, RunOptions};
use ressim::scenario;
use std::fs;

const REFUSION: &str = r#"[simulation]
start = "2016-01"
horizon = 15
counting = "start"
[cohort]
size = 1
[cohort.attributes.prior_weeks]
value = 0
[states.course]
[states.gone]
absorbing = true
[accounts.benefit]
payer = "bif"
amount = 1000
states = ["course"]
refusion = true
transfer = true
[refusion]
prior_weeks_attribute = "prior_weeks"
[arms.control]
[arms.treatment]
"#;

#[test]
fn refusion_staircase_is_exact_across_week_boundaries() {
    // One citizen on benefit from week 1. The step of each month is the one of the week the
    // month starts in: month 1 (weeks 1–4.3) 80 %; months 2–6 (from week 5.3 … 22.7) 40 %;
    // months 7–12 (from week 27) 30 %; months 13–15 (from week 53) 20 %.
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "refusion.toml", REFUSION);
    let out = t.path().join("o");
    quick("run", &[p.to_str().unwrap()], 1, &out);
    let cash = csv_rows(&out.join("cashflows.csv"));
    // 2016: 12 months of 1,000; reimbursed 1,000 × (0.8 + 5 × 0.4 + 6 × 0.3) = 4,600.
    assert_eq!(
        csv_row(&cash, &["control", "2016", "benefit", "bif"])[4],
        "7400.00"
    );
    assert_eq!(
        csv_row(&cash, &["control", "2016", "benefit", "state"])[4],
        "4600.00"
    );
    // 2017: 3 months at 20 %.
    assert_eq!(
        csv_row(&cash, &["control", "2017", "benefit", "bif"])[4],
        "2400.00"
    );
    assert_eq!(
        csv_row(&cash, &["control", "2017", "benefit", "state"])[4],
        "600.00"
    );

    // With 52 prior weeks the first month is already in week 53: 20 % throughout.
    let p = write(
        t.path(),
        "late.toml",
        &REFUSION.replace("value = 0", "value = 52"),
    );
    quick("run", &[p.to_str().unwrap()], 1, &out);
    let cash = csv_rows(&out.join("cashflows.csv"));
    assert_eq!(
        csv_row(&cash, &["control", "2016", "benefit", "state"])[4],
        "2400.00"
    );
    // A custom staircase.
    let custom = REFUSION.replace(
        "prior_weeks_attribute",
        "steps = [{ from_week = 1, rate = 0.5 }, { from_week = 14, rate = 0.1 }]\nprior_weeks_attribute",
    );
    let p = write(t.path(), "custom.toml", &custom);
    quick("run", &[p.to_str().unwrap()], 1, &out);
    let cash = csv_rows(&out.join("cashflows.csv"));
    // Months 1–3 start in weeks 1, 5.3, 9.7 → 50 %; month 4 starts in week 14 → 10 % on.
    assert_eq!(
        csv_row(&cash, &["control", "2016", "benefit", "state"])[4],
        "2400.00"
    );
}

const PROGRAMME: &str = r#"[simulation]
start = "2016-07"
horizon = 18
discount_rate = 0.04
[cohort]
size = 10
[states.course]
[accounts.benefit]
payer = "bif"
amount = 100
states = ["course"]
[arms.control]
[arms.treatment]
[arms.treatment.services.mentors]
fte = 2
cost_per_fte_year = 120000
payer = "sof"
from_month = 0
to_month = 5
[arms.treatment.costs.research]
amount = 60000
per = "total"
payer = "bif"
from_month = 0
to_month = 11
[arms.treatment.costs.startup]
amount = 7000
per = "once"
payer = "suf"
from_month = 3
"#;

#[test]
fn programme_costs_are_booked_as_investment_by_payer_and_year() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "prog.toml", PROGRAMME);
    let out = t.path().join("o");
    quick("run", &[p.to_str().unwrap()], 2, &out);
    let payers = csv_rows(&out.join("payers.csv"));
    // Mentors: 2 × 120,000 / 12 = 20,000 a month in July–December 2016.
    assert_eq!(csv_row(&payers, &["sof", "2016"])[2], "120000.00");
    assert_eq!(csv_row(&payers, &["sof", "2017"])[2], "0.00");
    // Research: 60,000 over 12 months = 5,000 a month: 6 months in 2016 and 6 in 2017.
    assert_eq!(csv_row(&payers, &["bif", "2016"])[2], "30000.00");
    assert_eq!(csv_row(&payers, &["bif", "2017"])[2], "30000.00");
    // Start-up once in month 3 (October 2016).
    assert_eq!(csv_row(&payers, &["suf", "2016"])[2], "7000.00");
    // No effect, so no savings: net = −investment.
    assert_eq!(csv_row(&payers, &["bif", "2016"])[3], "0.00");
    assert_eq!(csv_row(&payers, &["bif", "2016"])[4], "-30000.00");
    let s: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap();
    let public = &s["business_case"]["perspectives"]["public"];
    assert_eq!(
        public["investment_dkk"]["mean"].as_f64().unwrap(),
        120000.0 + 60000.0 + 7000.0
    );
    // Discounted at 4 % per budget year: 2017's 30,000 research is worth 30,000 / 1.04.
    let npv = public["npv_dkk"]["mean"].as_f64().unwrap();
    let expected = -(120000.0 + 30000.0 + 7000.0 + 30000.0 / 1.04);
    assert!((npv - expected).abs() < 0.005, "{npv} vs {expected}");
    assert_eq!(public["payback_month"], serde_json::Value::Null);
    assert_eq!(public["roi"]["mean"].as_f64().unwrap(), 0.0);
    let bc = csv_rows(&out.join("business_case.csv"));
    let last = csv_row(&bc, &["public", "2017"]);
    assert_eq!(last[6], format!("{expected:.2}"));
}

fn opts(effect_scale: f64) -> RunOptions {
    RunOptions {
        replications: 12,
        seed: 42,
        threads: 0,
        psa: true,
        effect_scale,
        progress: false,
    }
}

#[test]
fn placebo_world_saves_exactly_nothing() {
    let sc = scenario::load(&shipped()).unwrap();
    let arm = montecarlo::Results::focus_arm(&sc);
    let res = montecarlo::run(&sc, &opts(0.0)).unwrap();
    for (r, rep) in res.reps.iter().enumerate() {
        for (k, h) in rep.headlines[arm].iter().enumerate() {
            assert_eq!(
                h.savings, 0.0,
                "replication {r}, {}: savings {}",
                PERSPECTIVES[k], h.savings
            );
            assert_eq!(h.net, -h.investment, "replication {r}, {}", PERSPECTIVES[k]);
            assert_eq!(
                h.npv, -h.investment_d,
                "replication {r}, {}",
                PERSPECTIVES[k]
            );
        }
        assert_eq!(
            rep.end_share[0], rep.end_share[arm],
            "replication {r}: outcomes differ without effect"
        );
    }
    // With the effect, something is saved somewhere.
    let res = montecarlo::run(&sc, &opts(1.0)).unwrap();
    assert!(res.reps.iter().any(|r| r.headlines[arm][6].savings != 0.0));
}

#[test]
fn perspectives_add_up() {
    let sc = scenario::load(&shipped()).unwrap();
    let arm = montecarlo::Results::focus_arm(&sc);
    let res = montecarlo::run(&sc, &opts(1.0)).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
    for rep in &res.reps {
        let h = &rep.headlines[arm];
        type Pick = fn(&Headline) -> f64;
        let picks: [Pick; 4] = [|x| x.net, |x| x.npv, |x| x.investment, |x| x.savings];
        for f in picks {
            assert!(
                close(f(&h[3]), f(&h[0]) + f(&h[1]) + f(&h[2])),
                "municipality ≠ bif + sof + suf"
            );
            assert!(
                close(f(&h[6]), f(&h[3]) + f(&h[4]) + f(&h[5])),
                "public ≠ municipality + region + state"
            );
        }
        assert!(h[SOCIETY].npv.is_finite());
    }
}

/// Every perspective's lines add up, replication by replication, to its investment, gross
/// savings and NPV; summary.json's lines add up to its NPV; lines.csv adds up to
/// business_case.csv per year. Runs the shipped scenario (services, programme costs with a
/// negative released caseload, refusion, transfers left out of society).
#[test]
fn lines_add_up_to_investment_savings_and_npv_in_every_perspective() {
    use ressim::economics::lines::{LineKind, sum_kind};
    let sc = scenario::load(&shipped()).unwrap();
    let mut opts = RunOptions::from_scenario(&sc);
    opts.replications = 3;
    let res = montecarlo::run(&sc, &opts).unwrap();
    let arm = montecarlo::Results::focus_arm(&sc);
    let ix = &res.line_index;
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
            "{what}: lines give {a}, the business case {b}"
        )
    };
    let lines = res.line_sums[arm].as_ref().unwrap();
    let sums = res.comparison_sums[arm].as_ref().unwrap();
    for (k, p) in PERSPECTIVES.iter().enumerate() {
        let tot = lines.totals(k);
        let disc = lines.discounted_totals(k);
        let inv: f64 = sums.inv[k].iter().sum();
        let sav: f64 = sums.sav[k].iter().sum();
        let inv_d: f64 = sums.inv_d[k].iter().sum();
        let sav_d: f64 = sums.sav_d[k].iter().sum();
        close(
            sum_kind(ix, &tot, LineKind::Investment),
            inv,
            &format!("{p} investment"),
        );
        close(
            sum_kind(ix, &tot, LineKind::Saving),
            sav,
            &format!("{p} gross savings"),
        );
        close(
            sum_kind(ix, &disc, LineKind::Investment),
            inv_d,
            &format!("{p} disc. investment"),
        );
        close(
            sum_kind(ix, &disc, LineKind::Saving) - sum_kind(ix, &disc, LineKind::Investment),
            sav_d - inv_d,
            &format!("{p} NPV"),
        );
        // Replication by replication.
        for r in &res.reps {
            let n = res.lines.len();
            let v = &r.line_npv[arm][k * n..(k + 1) * n];
            close(
                sum_kind(ix, v, LineKind::Saving) - sum_kind(ix, v, LineKind::Investment),
                r.headlines[arm][k].npv,
                &format!("{p} NPV of one replication"),
            );
        }
    }
    // The mentors are an investment line of the municipality, and its largest one.
    let mun = lines.discounted_totals(3);
    let mentors = res.lines.iter().position(|l| l.id == "mentors").unwrap();
    assert_eq!(res.lines[mentors].kind, LineKind::Investment);
    assert!(mun[mentors] > 0.0);
    // summary.json and lines.csv from the command line.
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    common::quick("run", &[shipped().to_str().unwrap()], 2, &out);
    let s: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for p in PERSPECTIVES {
        let b = &s["business_case"]["perspectives"][p];
        let mut net = 0.0;
        for l in b["lines"].as_array().unwrap() {
            let v = l["discounted_dkk"]["mean"].as_f64().unwrap();
            match l["kind"].as_str().unwrap() {
                "investment" => net -= v,
                "saving" => net += v,
                other => panic!("kind {other}"),
            }
            assert!(!l["label"].as_str().unwrap().is_empty());
        }
        close(
            net,
            b["npv_dkk"]["mean"].as_f64().unwrap(),
            &format!("summary.json {p}"),
        );
    }
    let rows = csv_rows(&out.join("lines.csv"));
    let bc = csv_rows(&out.join("business_case.csv"));
    assert!(!rows.is_empty() && !bc.is_empty());
    for row in &bc {
        let (p, year) = (&row[0], &row[1]);
        let mut inv = 0.0;
        let mut sav = 0.0;
        // Labels may be quoted and hold commas: read kind, year and mean from the end.
        for l in rows
            .iter()
            .filter(|l| &l[0] == p && &l[l.len() - 3] == year)
        {
            let v: f64 = l[l.len() - 2].parse().unwrap();
            if l[l.len() - 4] == "investment" {
                inv += v
            } else {
                sav += v
            }
        }
        let want_inv: f64 = row[2].parse().unwrap();
        let want_sav: f64 = row[3].parse().unwrap();
        // Rounded to øre per row.
        assert!(
            (inv - want_inv).abs() < 1.0,
            "{p} {year}: {inv} vs {want_inv}"
        );
        assert!(
            (sav - want_sav).abs() < 1.0,
            "{p} {year}: {sav} vs {want_sav}"
        );
    }
}
