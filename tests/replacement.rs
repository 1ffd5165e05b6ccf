//! What the house replaces: an account whose amount is suspended (or lowered) while a citizen
//! holds a service, checked to the krone on a one-citizen scenario.

use ressim::montecarlo::{self, RunOptions};
use ressim::scenario;

/// One citizen in the course for six months; a mentor slot (one FTE, one citizen) in months
/// 0–2; ordinary mentor support of 1,000 kr. a month while in the course, multiplied by
/// `factor` while the house's mentor is held.
fn one_citizen(factor: f64) -> String {
    format!(
        r#"[scenario]
name = "one"
[simulation]
start = "2016-01"
horizon = 6
counting = "end"
[cohort]
size = 1
start_state = "course"
[states.course]
in_course = true
[states.job]
absorbing = true
[transitions.course.job]
prob = 0.0
[accounts.ordinary_mentor]
payer = "sof"
amount = 1000
states = ["course"]
while_served = {{ service = "mentors", factor = {factor} }}
[arms.control]
[arms.treatment]
offer_share = 1.0
[arms.treatment.services.mentors]
kind = "caseload"
fte = 1
capacity_per_fte = 1
cost_per_fte_year = 0
payer = "sof"
from_month = 0
to_month = 2
"#
    )
}

/// (control, treatment) booked on the account over the horizon, and the treatment's credit.
fn booked(factor: f64, effect_scale: f64) -> (f64, f64, f64) {
    let sc = scenario::load_str("one.toml", &one_citizen(factor)).unwrap();
    let opts = RunOptions {
        effect_scale,
        ..RunOptions::from_scenario(&sc)
    };
    let r = montecarlo::run_rep(&sc, &opts, 0).unwrap();
    let total = |a: usize| r.arms[a].amounts[0].iter().sum::<f64>();
    (total(0), total(1), r.arms[1].while_served_d[0])
}

#[test]
fn a_suspended_account_books_nothing_while_the_service_is_held() {
    // Six months at 1,000 kr. in control; the house's mentor is held in months 0–2, so the
    // treatment arm books only months 3–5. Discount rate 4 % by budget year: all in 2016.
    let (control, treatment, credit) = booked(0.0, 1.0);
    assert_eq!(control, 6_000.0);
    assert_eq!(treatment, 3_000.0);
    assert_eq!(credit, 3_000.0);
}

#[test]
fn a_lowered_support_level_books_the_factor_while_held() {
    // 40 % of the amount while held: 3 × 400 + 3 × 1,000 = 4,200; credit 3 × 600 = 1,800.
    let (control, treatment, credit) = booked(0.4, 1.0);
    assert_eq!(control, 6_000.0);
    assert!((treatment - 4_200.0).abs() < 1e-9, "{treatment}");
    assert!((credit - 1_800.0).abs() < 1e-9, "{credit}");
    // Half the effect: the factor moves halfway to 1 (0.7): credit 3 × 300 = 900.
    let (_, treatment, credit) = booked(0.4, 0.5);
    assert!((treatment - 5_100.0).abs() < 1e-9 && (credit - 900.0).abs() < 1e-9);
}

#[test]
fn the_placebo_world_has_no_credit() {
    let (control, treatment, credit) = booked(0.0, 0.0);
    assert_eq!(control.to_bits(), treatment.to_bits());
    assert_eq!(credit, 0.0);
}

#[test]
fn while_served_names_a_service_with_capacity() {
    let text = one_citizen(0.0).replace("service = \"mentors\"", "service = \"mentor\"");
    let e = scenario::load_str("one.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no service `mentor`") && e.contains("mentors"),
        "{e}"
    );
    let text = one_citizen(-1.0);
    let e = scenario::load_str("one.toml", &text)
        .unwrap_err()
        .to_string();
    assert!(e.contains("factor"), "{e}");
}
