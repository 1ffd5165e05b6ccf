//! A planner's own programme: plausibility warnings, Danish number formats, price indexation,
//! variants that remove, report text from the scenario, offered and served, the sweep's edge.

mod common;

use common::*;
use ressim::scenario::{self, plausible::Kind, prices::PriceIndex};
use std::path::{Path, PathBuf};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// The shipped scenario with every service but the mentors removed (mentor.toml in `dir`).
fn mentors_only(dir: &Path) -> PathBuf {
    variant(
        dir,
        "mentor.toml",
        "remove = [\"arms.treatment.services.consultants\", \"arms.treatment.services.caseworkers\", \
         \"arms.treatment.services.health\"]",
    )
}

#[test]
fn a_danish_thousands_dot_and_a_percentage_hazard_ratio_are_warned_about() {
    let d = tmp();
    let dot = variant(
        d.path(),
        "dot.toml",
        "[arms.treatment.services.mentors]\ncost_per_fte_year = { value = 520.000, source = \"t\" }",
    );
    let o = check_in(d.path(), &dot, &["--lang", "en"]);
    assert!(
        o.status.success(),
        "a warning is not an error: {}",
        stderr(&o)
    );
    let e = stderr(&o);
    assert!(
        e.contains("warning: ") && e.contains("= 520 kr. per FTE-year"),
        "{e}"
    );
    assert!(
        e.contains("520.000 is read as 520") && e.contains("520000 or 520_000"),
        "{e}"
    );
    assert!(
        e.contains("dot.toml: line 4"),
        "the warning names file and line: {e}"
    );

    let hr = variant(
        d.path(),
        "hr.toml",
        "[arms.treatment.services.mentors.effects.course]\npension = { value = 20, source = \"t\" }",
    );
    let e = stderr(&check_in(d.path(), &hr, &[]));
    assert!(
        e.contains("advarsel: ") && e.contains("= 20 hazard ratio"),
        "{e}"
    );
    assert!(e.contains("0.2–5") && e.contains("write 1.2"), "{e}");
}

#[test]
fn the_shipped_scenario_is_plausible_and_a_widened_range_is_shown_with_its_reason() {
    let sc = scenario::load(&shipped()).unwrap();
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
    let d = tmp();
    let wide = variant(
        d.path(),
        "wide.toml",
        "[arms.treatment.services.mentors.effects.course]\npension = { value = 6, source = \"t\" }\n\n\
         [plausible_ranges.hazard_ratio]\nmax = 8\nreason = \"a trial found a sixfold rate\"",
    );
    let sc = scenario::load(&wide).unwrap();
    assert!(sc.warnings.is_empty(), "{:?}", sc.warnings);
    assert_eq!(sc.widened.len(), 1);
    assert_eq!(sc.widened[0].kind, Kind::HazardRatio);
    let o = check_in(d.path(), &wide, &["--lang", "en"]);
    assert!(
        stdout(&o).contains("a trial found a sixfold rate"),
        "{}",
        stdout(&o)
    );
    let e = refusal(&variant(
        d.path(),
        "bad.toml",
        "[plausible_ranges.hazard_ratio]\nmax = 8",
    ));
    assert!(e.contains("needs a `reason`"), "{e}");
}

#[test]
fn a_scenario_that_can_neither_invest_nor_save_is_warned_about() {
    let d = tmp();
    let text = small("").replace(
        "[accounts.benefit]\npayer = \"bif\"\namount = 10968\nstates = [\"course\"]\n",
        "",
    );
    let p = write(d.path(), "s.toml", &text);
    let sc = scenario::load(&p).unwrap();
    let all = sc.warnings.join("\n");
    assert!(all.contains("can save nothing"), "{all}");
    assert!(all.contains("no arm has a programme cost"), "{all}");
}

#[test]
fn danish_number_formats_get_a_message_that_shows_how_to_write_them() {
    let d = tmp();
    for (body, want) in [
        (
            "[arms.treatment.services.mentors]\ncost_per_fte_year = 520 000",
            "520000 or 520_000",
        ),
        (
            "[arms.treatment.services.mentors]\ncost_per_fte_year = 520.000,50",
            "520000.50",
        ),
        ("[arms.treatment]\noffer_share = 0,4", ": 0.4"),
    ] {
        let p = variant(d.path(), "n.toml", body);
        let o = check_in(d.path(), &p, &[]);
        assert_eq!(o.status.code(), Some(65));
        let e = stderr(&o);
        assert!(e.contains("Danish way") && e.contains(want), "{body}: {e}");
    }
}

/// Every amount of the scenario, central values, by parameter path.
fn amounts(sc: &scenario::Scenario) -> Vec<(String, f64)> {
    sc.params
        .iter()
        .filter(|p| scenario::plausible::kind_of(sc, &p.path).is_money())
        .map(|p| (p.path.clone(), p.param.central()))
        .collect()
}

#[test]
fn the_same_scenario_in_two_price_years_differs_by_the_index_ratio() {
    let d = tmp();
    let base = scenario::load(&shipped()).unwrap();
    let p = variant(d.path(), "py.toml", "[simulation]\nprice_year = 2024");
    let later = scenario::load(&p).unwrap();
    let ix = PriceIndex::shipped();
    let ratio = ix.get(2024).unwrap() / ix.get(2016).unwrap();
    let (a, b) = (amounts(&base), amounts(&later));
    assert!(a.len() > 20, "every amount counts: {}", a.len());
    for ((pa, va), (pb, vb)) in a.iter().zip(&b) {
        assert_eq!(pa, pb);
        if *va != 0.0 {
            assert!(
                (vb / va - ratio).abs() < 1e-9,
                "{pa}: {va} → {vb}, ratio {ratio}"
            );
        }
    }
    // Non-amounts are untouched.
    for (x, y) in base.params.iter().zip(&later.params) {
        if !scenario::plausible::kind_of(&base, &x.path).is_money() {
            assert_eq!(x.param.central(), y.param.central(), "{}", x.path);
        }
    }
    assert!(
        later.prices.sentences(true)[0].contains("fremskrevet til 2024-priser med faktor 1,19")
    );
}

#[test]
fn an_amount_in_its_own_price_year_is_converted_and_an_uncovered_year_is_refused() {
    let d = tmp();
    let p = variant(
        d.path(),
        "own.toml",
        "[arms.treatment.costs.research]\namount = { value = 3000000, price_year = 2024, source = \"t\" }",
    );
    let sc = scenario::load(&p).unwrap();
    let ix = PriceIndex::shipped();
    let research = sc
        .params
        .iter()
        .find(|p| p.path == "arms.treatment.costs.research.amount")
        .unwrap();
    let want = 3_000_000.0 * ix.get(2016).unwrap() / ix.get(2024).unwrap();
    assert!((research.param.central() - want).abs() < 1e-6);
    let e = refusal(&variant(
        d.path(),
        "old.toml",
        "[arms.treatment.costs.research]\namount = { value = 3000000, price_year = 1990, source = \"t\" }",
    ));
    assert!(e.contains("1990") && e.contains("[price_index]"), "{e}");
    let p = variant(
        d.path(),
        "own-index.toml",
        "[arms.treatment.costs.research]\namount = { value = 3000000, price_year = 1990, source = \"t\" }\n\n\
         [price_index]\nname = \"test\"\nvalues = { 1990 = 50.0, 2016 = 100.0 }",
    );
    let sc = scenario::load(&p).unwrap();
    let research = sc
        .params
        .iter()
        .find(|p| p.path == "arms.treatment.costs.research.amount")
        .unwrap();
    assert!((research.param.central() - 6_000_000.0).abs() < 1e-6);
}

#[test]
fn a_variant_removes_services_and_a_dangling_reference_says_it_was_removed() {
    let d = tmp();
    let p = mentors_only(d.path());
    let sc = scenario::load(&p).unwrap();
    let ids: Vec<&str> = sc.arms[1].services.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["mentors"]);
    assert_eq!(sc.removed.len(), 3);
    let o = check_in(d.path(), &p, &["--lang", "en"]);
    assert!(!stdout(&o).contains("    consultants"), "{}", stdout(&o));

    let e = refusal(&variant(
        d.path(),
        "dangling.toml",
        "remove = [\"arms.treatment.services.mentors\"]",
    ));
    assert!(
        e.contains("was removed by the variant's `remove` list"),
        "{e}"
    );
    let e = refusal(&variant(
        d.path(),
        "typo.toml",
        "remove = [\"arms.treatment.services.mentor\"]",
    ));
    assert!(e.contains("typo.toml") && e.contains("`mentors`"), "{e}");
}

#[test]
fn the_report_names_only_the_scenarios_own_states_and_services_and_shows_offered_and_served() {
    let d = tmp();
    let p = mentors_only(d.path());
    let o = run_in(
        d.path(),
        &[
            "run",
            p.to_str().unwrap(),
            "--replications",
            "2",
            "--no-break-even",
            "--out",
            "out",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(d.path().join("out/report.html")).unwrap();
    let method = html
        .split("<h2>Metode</h2>")
        .nth(1)
        .unwrap()
        .split("<h2>")
        .next()
        .unwrap();
    assert!(method.contains("Mentorer"), "{method}");
    for w in [
        "Virksomhedskonsulenter",
        "Koordinerende sagsbehandlere",
        "Sundhedsmedarbejdere",
    ] {
        assert!(!method.contains(w), "{w} in {method}");
    }
    assert!(html.contains("Borgere betjent"));
    let s = summary_json(&d.path().join("out"));
    let offered = s["arms"]["treatment"]["citizens_offered"].as_f64().unwrap();
    let served = s["staffing"]["mentors"]["citizens_served"]
        .as_f64()
        .unwrap();
    assert!(
        offered > 100.0 && served > 0.0 && served <= offered,
        "{offered} {served}"
    );
    let never = s["staffing"]["mentors"]["share_offered_never_served"]
        .as_f64()
        .unwrap();
    assert!((never - (1.0 - served / offered)).abs() < 1e-9);
    assert!(
        stdout(&o).contains("af") && stdout(&o).contains("tilbudt"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn sweep_says_when_the_best_point_lies_on_the_edge_of_the_grid() {
    let d = tmp();
    let o = run_in(
        d.path(),
        &[
            "sweep",
            shipped().to_str().unwrap(),
            "--vary",
            "mentors=10:20:10",
            "--replications",
            "2",
            "--out",
            "sw",
            "--lang",
            "en",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("on the edge of the grid") && out.contains("--vary mentors="),
        "{out}"
    );
}
