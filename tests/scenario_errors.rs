//! Inputs that a scenario check must refuse rather than pass on to the engine, where they would
//! panic, overflow or be silently ignored: each is refused with a message that says what is
//! wrong and what is allowed, at the line where it is written.

mod common;
use common::small;
use ressim::error::{Error, ScenarioError};
use ressim::scenario;

/// The problems found in a scenario that must be refused.
fn problems(text: &str) -> Vec<ScenarioError> {
    match scenario::load_str("t.toml", text) {
        Ok(_) => panic!("accepted, but should be refused:\n{text}"),
        Err(Error::Scenario(errs)) => errs,
        Err(e) => panic!("not a scenario error: {e}"),
    }
}

/// The 1-based line of the first line holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the text"))
        + 1
}

/// Assert that `text` is refused with a message holding `message`, located on the line that
/// holds `at`.
fn refused(text: &str, message: &str, at: &str) {
    let errs = problems(text);
    let e = errs
        .iter()
        .find(|e| e.message.contains(message))
        .unwrap_or_else(|| panic!("no problem mentions `{message}`: {errs:#?}"));
    let line = e.location.as_ref().map(|l| l.line);
    assert_eq!(line, Some(line_of(text, at)), "{e}");
}

/// Assert that `text` is a valid scenario.
fn accepted(text: &str) {
    if let Err(e) = scenario::load_str("t.toml", text) {
        panic!("refused: {e}\n{text}");
    }
}

/// The small scenario with a modifier on `course → job`.
fn with_modifier(modifier: &str, extra: &str) -> String {
    small(extra).replace(
        "[transitions.course.job]\nprob = 0.03",
        &format!("[transitions.course.job]\nprob = 0.03\nmodifiers = [{modifier}]"),
    )
}

/// The small scenario with a `when` on its account.
fn with_when(when: &str) -> String {
    small("").replace(
        "states = [\"course\"]",
        &format!("states = [\"course\"]\nwhen = {when}"),
    )
}

#[test]
fn when_needs_finite_bounds() {
    let text = with_when("{ attribute = \"provider\", min = inf }");
    refused(
        &text,
        "`min` of `when` must be a finite number, got inf",
        "min = inf",
    );
    let text = with_when("{ attribute = \"provider\", max = -inf }");
    refused(
        &text,
        "`max` of `when` must be a finite number",
        "max = -inf",
    );
    let text = with_when("{ attribute = \"provider\", min = 0, max = nan }");
    refused(
        &text,
        "`max` of `when` must be a finite number",
        "max = nan",
    );
    accepted(&with_when("{ attribute = \"provider\", min = 1 }"));
}

#[test]
fn when_without_a_range_is_refused() {
    let text = with_when("{ attribute = \"provider\" }");
    refused(&text, "`when` needs `min` and/or `max`", "when = ");
}

#[test]
fn non_finite_reference_and_shares_are_refused() {
    // Already refused before this file existed; kept here so that it stays so.
    let text = with_modifier(
        "{ attribute = \"provider\", hr_per_unit = 1.2, reference = nan }",
        "",
    );
    refused(
        &text,
        "`reference` must be a finite number",
        "reference = nan",
    );
    let text = small("").replace(
        "start_state = \"course\"",
        "start_state = { course = inf, job = 0 }",
    );
    refused(&text, "a share must lie between 0 and 1", "course = inf");
    let text = small("").replace(
        "[states.course]\nin_course = true",
        "[states.course]\nin_course = true\nmax_months = 6\non_max = { job = nan, pension = 1 }",
    );
    refused(&text, "a share must lie between 0 and 1", "on_max");
}

#[test]
fn a_modifier_hazard_ratio_of_0_is_refused() {
    let text = with_modifier("{ attribute = \"provider\", hr_per_unit = 0 }", "");
    refused(&text, "`hr_per_unit` must be above 0", "modifiers");
    let text = with_modifier(
        "{ attribute = \"provider\", hr_per_unit = { dist = \"uniform\", min = 0, max = 2 } }",
        "",
    );
    refused(&text, "`hr_per_unit` must be above 0", "modifiers");
    accepted(&with_modifier(
        "{ attribute = \"provider\", hr_per_unit = 0.5 }",
        "",
    ));
}

#[test]
fn a_modifier_needs_an_attribute_with_a_bounded_range() {
    let age = "[cohort.attributes.age]\ndist = \"normal\"\nmean = 42\nsd = 10\n";
    let text = with_modifier(
        "{ attribute = \"age\", hr_per_unit = 1.02, reference = 42 }",
        age,
    );
    refused(&text, "which has no lower bound", "modifiers");
    let years = "[cohort.attributes.years]\ndist = \"gamma\"\nmean = 9.5\nsd = 5\n";
    let text = with_modifier(
        "{ attribute = \"years\", hr_per_unit = 0.96, reference = 9.5 }",
        years,
    );
    refused(&text, "which has no upper bound", "modifiers");
    // Bounded, or a modifier of 1 (no effect): fine.
    accepted(&with_modifier(
        "{ attribute = \"age\", hr_per_unit = 1.02, reference = 42 }",
        &format!("{age}min = 18\nmax = 64\n"),
    ));
    accepted(&with_modifier(
        "{ attribute = \"age\", hr_per_unit = 1 }",
        age,
    ));
}

#[test]
fn a_modifier_with_an_absurd_hazard_ratio_is_refused() {
    // An income in DKK with a hazard ratio meant per 1,000 DKK: 1.01^400,000 overflows.
    let income = "[cohort.attributes.income]\ndist = \"uniform\"\nmin = 100000\nmax = 400000\n";
    let text = with_modifier("{ attribute = \"income\", hr_per_unit = 1.01 }", income);
    refused(&text, "it must stay between 0.001 and 1000", "modifiers");
    let text = with_modifier(
        "{ attribute = \"income\", hr_per_unit = 1.000001, reference = 250000 }",
        income,
    );
    accepted(&text);
}

#[test]
fn prior_weeks_on_benefits_cannot_be_negative() {
    let weeks = |dist: &str| {
        small(&format!(
            "[cohort.attributes.weeks]\n{dist}\n[refusion]\nprior_weeks_attribute = \"weeks\"\n"
        ))
        .replace(
            "states = [\"course\"]",
            "states = [\"course\"]\nrefusion = true",
        )
    };
    let text = weeks("dist = \"normal\"\nmean = 20\nsd = 10");
    refused(
        &text,
        "cannot be below 0, but it is normal(mean 20, sd 10); give it `min = 0`",
        "prior_weeks_attribute",
    );
    accepted(&weeks("dist = \"normal\"\nmean = 20\nsd = 10\nmin = 0"));
}

#[test]
fn an_account_books_each_state_and_move_once() {
    let base = small("");
    let states = |list: &str| base.replace("states = [\"course\"]", list);
    refused(&states("states = []"), "`states` is empty", "states = []");
    let text = states("states = [\"course\", \"job\", \"course\"]");
    refused(&text, "state `course` is listed twice", "states = ");
    let moves = |list: &str| states(list);
    refused(
        &moves("transitions = []"),
        "`transitions` is empty",
        "transitions = []",
    );
    let text = moves("transitions = [\"course->course\"]");
    refused(&text, "is not a move", "transitions = ");
    let text = moves("transitions = [\"*->job\", \"course->job\"]");
    refused(
        &text,
        "\"course->job\" is already covered",
        "transitions = ",
    );
    let text = moves("transitions = [\"course->job\", \"*->job\"]");
    refused(&text, "\"*->job\" is already covered", "transitions = ");
    let text = moves("transitions = [\"course->job\", \"course->job\"]");
    refused(&text, "already covered", "transitions = ");
    accepted(&moves(
        "transitions = [\"course->job\", \"job->course\", \"*->pension\"]",
    ));
}

#[test]
fn parameter_problems_point_at_the_key() {
    let text = small("").replace("p = 0.4", "p = 0.4\nmean = 0.4");
    refused(
        &text,
        "`mean` is not a key of distribution `bernoulli`, which takes only `p`",
        "mean = 0.4",
    );
    let text = small("").replace("p = 0.4", "p = 0.4\nmax = 1");
    refused(
        &text,
        "`max` is not a key of distribution `bernoulli`",
        "max = 1",
    );
    let text = small("").replace(
        "[accounts.benefit]\npayer = \"bif\"\namount = 10968",
        "[accounts.benefit]\npayer = \"bif\"\namount = { dist = \"gamma\",\n  shape = 4, scale = 2500,\n  sd = 10 }",
    );
    refused(&text, "not both", "shape = 4");
}

#[test]
fn a_service_when_needs_an_attribute_and_finite_bounds() {
    let service = |when: &str| {
        small(&format!(
            "[arms.treatment.services.mentors]\nkind = \"caseload\"\nfte = 2\n\
             capacity_per_fte = 5\ncost_per_fte_year = 480000\npayer = \"sof\"\nwhen = {when}\n"
        ))
    };
    let text = service("{ max = 1 }");
    refused(&text, "`when` needs `attribute`", "when = ");
    let text = service("{ attribute = \"provider\", max = inf }");
    refused(
        &text,
        "`max` of `when` must be a finite number",
        "max = inf",
    );
    let text = service("{ attribute = \"provider\" }");
    refused(&text, "`when` needs `min` and/or `max`", "when = ");
    accepted(&service("{ attribute = \"provider\", max = 0 }"));
}

#[test]
fn kroner_spelled_otherwise_is_refused() {
    let text = common::small("").replace(
        "payer = \"bif\"\namount = 10968",
        "payer = \"bif\"\nunit = \"kr\"\namount = 10968",
    );
    let t = tempfile::tempdir().unwrap();
    let p = common::write(t.path(), "kr.toml", &text);
    let o = common::run_in(t.path(), &["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65));
    assert!(
        common::stderr(&o).contains("write `dkk`"),
        "{}",
        common::stderr(&o)
    );
}

#[test]
fn more_than_32_services_in_an_arm_are_refused() {
    let mut extra = String::new();
    for k in 0..33 {
        extra.push_str(&format!(
            "[arms.treatment.services.s{k}]\nfte = 1\ncost_per_fte_year = 1\npayer = \"bif\"\n"
        ));
    }
    let t = tempfile::tempdir().unwrap();
    let p = common::write(t.path(), "many.toml", &common::small(&extra));
    let o = common::run_in(t.path(), &["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(65), "{}", common::stderr(&o));
    assert!(
        common::stderr(&o).contains("at most 32 services per arm"),
        "{}",
        common::stderr(&o)
    );
}

/// An out-of-range horizon is one error, not also errors about the inflow, offer window and
/// service months that depend on it.
#[test]
fn an_out_of_range_horizon_gives_one_error_without_follow_ons() {
    let t = tempfile::tempdir().unwrap();
    for h in ["-72", "0", "5000"] {
        let text = format!(
            "extends = \"{}\"\n\n[simulation]\nhorizon = {h}\n",
            common::shipped().display()
        );
        let p = common::write(t.path(), "h.toml", &text);
        let o = common::run_in(t.path(), &["check", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(65));
        let err = common::stderr(&o);
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "horizon = {h}: {err}");
        assert!(errors[0].contains("`horizon`"), "{err}");
    }
}

#[test]
fn the_register_of_sources_is_checked_and_citations_must_be_in_it() {
    let reg = "\n[sources.dst-2016]\nauthor = \"Danmarks Statistik\"\ntitle = \"Statistikbanken\"\nyear = 2016\nurl = \"https://www.statbank.dk\"\n";
    // A citation of a declared key is fine; text in brackets that is no key is not a citation.
    accepted(&small(reg).replace(
        "[transitions.course.job]\nprob = 0.03",
        "[transitions.course.job]\nprob = { value = 0.03, source = \"[dst-2016] table X [EST] [0, 1]\" }",
    ));
    let cited = |key: &str| {
        small(reg).replace(
            "[transitions.course.job]\nprob = 0.03",
            &format!(
                "[transitions.course.job]\nprob = {{ value = 0.03, source = \"[{key}] p. 2\" }}"
            ),
        )
    };
    refused(
        &cited("dst-2061"),
        "cites [dst-2061], which is not in the register of sources (declared: `dst-2016`)",
        "[dst-2061]",
    );
    refused(
        &small("\n[sources.Bad_Key]\nauthor = \"a\"\ntitle = \"t\"\nyear = 2020\n"),
        "may only hold lowercase letters",
        "[sources.Bad_Key]",
    );
    refused(
        &small("\n[sources.no-title]\nauthor = \"a\"\n"),
        "needs `title`, `year`",
        "[sources.no-title]",
    );
    refused(
        &small("\n[sources.old]\nauthor = \"a\"\ntitle = \"t\"\nyear = 20\n"),
        "is not a year of publication",
        "year = 20",
    );
    refused(
        &small("\n[sources.web]\nauthor = \"a\"\ntitle = \"t\"\nyear = 2020\nurl = \"www.x.dk\"\n"),
        "must be a public address",
        "url = ",
    );
    refused(
        &small("\n[sources.x]\nauthor = \"a\"\ntitle = \"t\"\nyear = 2020\npages = 3\n"),
        "pages",
        "pages = 3",
    );
}
