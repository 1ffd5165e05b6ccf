//! Probabilistic analysis and one-way sensitivity: intervals contain their means, fixing the
//! parameters narrows the NPV interval, and the tornado uses the 2.5th/97.5th percentiles and
//! ranks by swing.

mod common;
use common::*;
use ressim::analysis::sensitivity;
use ressim::economics::business_case::PERSPECTIVES;
use ressim::montecarlo::{self, Results, RunOptions};
use ressim::scenario;
use ressim::stats::Stat;

fn opts(replications: u32, psa: bool) -> RunOptions {
    RunOptions {
        replications,
        seed: 9,
        threads: 0,
        psa,
        effect_scale: 1.0,
        progress: false,
    }
}

fn npv_stat(res: &Results, arm: usize, k: usize) -> Stat {
    Stat::of(
        &res.reps
            .iter()
            .map(|r| r.headlines[arm][k].npv)
            .collect::<Vec<_>>(),
    )
}

#[test]
fn intervals_contain_the_mean_and_psa_widens_them() {
    let sc = scenario::load(&shipped()).unwrap();
    let arm = Results::focus_arm(&sc);
    let psa = montecarlo::run(&sc, &opts(60, true)).unwrap();
    let fixed = montecarlo::run(&sc, &opts(60, false)).unwrap();
    for (k, id) in PERSPECTIVES.iter().enumerate() {
        let s = npv_stat(&psa, arm, k);
        assert!(s.p025 <= s.mean && s.mean <= s.p975, "{id}: {s:?}");
        assert!(s.p025 <= s.p50 && s.p50 <= s.p975);
        assert!(s.mcse > 0.0);
    }
    // Municipality: parameter uncertainty on top of individual randomness is wider.
    let (p, f) = (npv_stat(&psa, arm, 3), npv_stat(&fixed, arm, 3));
    assert!(
        f.p975 - f.p025 < p.p975 - p.p025,
        "no-PSA {f:?} not narrower than PSA {p:?}"
    );
}

const TWO_PARAMS: &str = r#"[simulation]
start = "2016-01"
horizon = 12
[cohort]
size = 50
[states.course]
[accounts.cost]
payer = "bif"
amount = 1000
states = ["course"]
[arms.control]
[arms.treatment]
[arms.treatment.accounts.cost]
amount = { dist = "uniform", min = 600, max = 1000, source = "test" }
[arms.treatment.costs.small]
amount = { dist = "uniform", min = 0, max = 4000, source = "test" }
per = "once"
payer = "bif"
"#;

#[test]
fn tornado_uses_percentiles_and_ranks_by_swing() {
    let sc = scenario::load_str("two.toml", TWO_PARAMS).unwrap();
    let (base, rows) = sensitivity::tornado(&sc, &opts(3, true), 0, &|_, _| {}).unwrap();
    assert_eq!(rows.len(), 2);
    // The participants' cost override: uniform 600–1,000 → 610 and 990. Savings per citizen
    // month are 1,000 − amount, over 50 citizens × 12 months.
    let cost = &rows[0];
    assert_eq!(cost.parameter, "arms.treatment.accounts.cost.amount");
    assert!((cost.low - 610.0).abs() < 1e-9 && (cost.high - 990.0).abs() < 1e-9);
    // NPV (no discounting) = savings − the central once-only cost of 2,000.
    assert!(
        (cost.npv_low - (600.0 * (1000.0 - 610.0) - 2000.0)).abs() < 1e-6,
        "{cost:?}"
    );
    assert!(
        (cost.npv_high - (600.0 * (1000.0 - 990.0) - 2000.0)).abs() < 1e-6,
        "{cost:?}"
    );
    assert!((cost.swing - 600.0 * 380.0).abs() < 1e-6, "{cost:?}");
    // The once-only cost: uniform 0–4,000 → 100 and 3,900; swing 3,800.
    let small = &rows[1];
    assert_eq!(small.parameter, "arms.treatment.costs.small.amount");
    assert!((small.low - 100.0).abs() < 1e-9 && (small.high - 3900.0).abs() < 1e-9);
    assert!((small.swing - 3800.0).abs() < 1e-6, "{small:?}");
    assert!(rows[0].swing >= rows[1].swing);
    // Base: all central (amount 800, cost 2,000): savings 50 × 12 × 200 − 2,000.
    assert!(
        (base - (50.0 * 12.0 * 200.0 - 2000.0)).abs() < 1e-6,
        "{base}"
    );
}

#[test]
fn sensitivity_command_writes_tornado_and_charts() {
    let t = tempfile::tempdir().unwrap();
    let p = write(t.path(), "two.toml", TWO_PARAMS);
    let out = t.path().join("s");
    let o = run_in(
        t.path(),
        &[
            "sensitivity",
            p.to_str().unwrap(),
            "--perspective",
            "bif",
            "--replications",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("tornado.csv")).unwrap();
    assert!(
        csv.starts_with(
            "parameter,low,high,npv_low,npv_high,swing,swing_mcse,range,within_mc_error\n"
        ),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);
    for f in [
        "tornado.svg",
        "tornado.png",
        "effect_curve.svg",
        "effect_curve.png",
        "effect_curve.csv",
    ] {
        let bytes = std::fs::read(out.join(f)).unwrap();
        assert!(bytes.len() > 1000, "{f} is only {} bytes", bytes.len());
    }
    let png = std::fs::read(out.join("tornado.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = std::fs::read_to_string(out.join("tornado.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("arms.treatment.accounts.cost.amount"));
}

#[test]
fn intervals_convert_and_groups_draw_together() {
    let text = TWO_PARAMS.replace(
        "amount = { dist = \"uniform\", min = 600, max = 1000, source = \"test\" }",
        "amount = { dist = \"normal\", ci = [600, 1000], min = 0, group = \"effect\", source = \"test\" }",
    )
    .replace(
        "amount = { dist = \"uniform\", min = 0, max = 4000, source = \"test\" }",
        "amount = { dist = \"lognormal\", ci = [1000, 4000], group = \"effect\", source = \"test\" }",
    );
    let sc = scenario::load_str("ci.toml", &text).unwrap();
    let p = |path: &str| sc.params.iter().position(|d| d.path == path).unwrap();
    let (a, b) = (
        p("arms.treatment.accounts.cost.amount"),
        p("arms.treatment.costs.small.amount"),
    );
    // Normal from a 95 % interval: mean at the midpoint, sd = width / 3.92.
    assert!((sc.params[a].param.central() - 800.0).abs() < 1e-9);
    assert!(
        (ressim::scenario::quantile::quantile(&sc.params[a].param, 0.975) - 1000.0).abs() < 1e-6
    );
    // Lognormal from a 95 % interval: the interval's ends are its percentiles.
    assert!(
        (ressim::scenario::quantile::quantile(&sc.params[b].param, 0.025) - 1000.0).abs() < 1e-6
    );
    // Same group: one shared uniform, so both are at the same percentile in every replication.
    let mut pairs = Vec::new();
    for rep in 0..200 {
        let v = montecarlo::draw_params(&sc, 3, rep, true);
        pairs.push((v[a], v[b]));
    }
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
    assert!(
        pairs.windows(2).all(|w| w[0].1 <= w[1].1),
        "draws of one group are not rank-correlated"
    );
    assert!(pairs.first().unwrap().0 < 700.0 && pairs.last().unwrap().0 > 900.0);
}

#[test]
fn a_correlation_group_is_one_tornado_row() {
    let text = TWO_PARAMS.replace("source = \"test\" }", "group = \"g\", source = \"test\" }");
    let sc = scenario::load_str("grouped.toml", &text).unwrap();
    let (_, rows) = sensitivity::tornado(&sc, &opts(2, true), 0, &|_, _| {}).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(r.parameter, "group:g");
    // Both at their 2.5th percentile (610 and 100), then both at their 97.5th (990, 3,900).
    assert!(
        (r.npv_low - (600.0 * (1000.0 - 610.0) - 100.0)).abs() < 1e-6,
        "{r:?}"
    );
    assert!(
        (r.npv_high - (600.0 * (1000.0 - 990.0) - 3900.0)).abs() < 1e-6,
        "{r:?}"
    );
}

/// Memory grows with replications only by what each keeps for exact percentiles, and that is
/// held without slack: every vector of a replication's scalars is exactly as long as it is
/// allocated (a vector grown by push reserves at least four elements, and the per-line values
/// grew by doubling), and the per-line values hold every line in every perspective.
#[test]
fn each_replication_keeps_its_scalars_without_slack() {
    let sc = scenario::load(&shipped()).unwrap();
    let res = montecarlo::run(&sc, &opts(3, true)).unwrap();
    let arm = Results::focus_arm(&sc);
    for rep in &res.reps {
        let na = sc.arms.len();
        assert_eq!(rep.headlines.len(), na);
        assert_eq!(rep.headlines.capacity(), na);
        assert_eq!(rep.participants.capacity(), na);
        assert_eq!(rep.participant_years.capacity(), na);
        assert_eq!(rep.total_by_payer.capacity(), na);
        assert_eq!(rep.discounted_by_payer.capacity(), na);
        assert_eq!(rep.end_share.capacity(), na);
        assert_eq!(rep.cum_net_by_year.capacity(), na);
        assert_eq!(rep.quantities.capacity(), na);
        assert_eq!(rep.line_npv.capacity(), na);
        let npv = &rep.line_npv[arm];
        assert_eq!(npv.len(), PERSPECTIVES.len() * res.lines.len());
        assert_eq!(npv.capacity(), npv.len());
        assert_eq!(rep.cum_net_by_year[arm].capacity(), res.year_ends.len());
    }
}
