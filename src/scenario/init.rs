//! `ressim init`: a short, commented starting point for a new programme that extends the
//! shipped national base, with every value the planner must decide marked open (`check`
//! refuses the file until each is filled in), or filled in with a worked single-service mentor
//! programme (`--example`).

use super::load::OPEN_MARK;

/// One value of the starter: the key as written, the open marker's hint, and the worked
/// example's value (TOML).
struct Slot {
    key: &'static str,
    hint: &'static str,
    example: &'static str,
}

const fn slot(key: &'static str, hint: &'static str, example: &'static str) -> Slot {
    Slot { key, hint, example }
}

/// The starter: text with `{key}` where a value to decide goes.
const TEMPLATE: &str = r#"# A new programme for citizens in a ressourceforløb — written by `ressim init`.
#
# This file holds only what you decide: who is offered the programme and when, its services with
# staff, capacity and cost, its effects, its other costs, the price year and the horizon.
# Everything else — the course states and the moves between them under the ordinary effort,
# benefits with refusion, case handling, housing support, health use, deaths and folkepension —
# comes from the national base that this file extends (`ressim check` lists it; the base is
# scenarios/base/dk-ressourceforloeb.toml in the ressim repository, every number with its source).
#
# Every value marked "FILL IN" must be replaced before `ressim check` accepts the file; check
# names each one still open. Give every number a source: `{ value = 6, source = "…" }`, or a
# `source` for the whole table. Amounts are DKK. Months count from 0 = the `start` month.
# Reference: docs/scenario.md in the ressim repository. Try it: `ressim check THIS_FILE`, then
# `ressim run THIS_FILE`.

extends = "dk-ressourceforloeb"

[scenario]
name = "{name}"
title_da = {title_da}
title_en = {title_en}
description = {description}
# Which reading of the evidence on effects you take: "conservative", "central" or "optimistic".
evidence = "central"

[simulation]
# First month (YYYY-MM) and the number of months to follow the citizens. A long horizon counts
# the savings of a citizen kept out of førtidspension; 120 months = 10 years.
start = {start}
horizon = {horizon}
# The price year of the amounts you write below.
price_year = {price_year}

[cohort]
# Starters in a ressourceforløb per month (a list, one number a month), and where it comes from.
inflow = {inflow}
source = {inflow_source}

# The programme: who is offered it.
[arms.treatment]
label_da = {arm_da}
label_en = {arm_en}
# Share of the starters offered the programme (0–1), and the months (0-based) whose starters
# can be offered it.
offer_share = {offer_share}
offer_from = 0
offer_to = {offer_to}
source = {arm_source}

# A service with staff: mentors. Copy this table for another service (with its own id).
[arms.treatment.services.mentors]
label_da = "Mentorer"
label_en = "Mentors"
# Full-time staff, and what one costs a year (wage, pension and administration; premises go
# under [arms.treatment.costs]).
fte = {fte}
cost_per_fte_year = {cost_per_fte_year}
# Who employs them: "bif" (employment), "sof" (social), "suf" (health), "region" or "state".
payer = {payer}
# The months the service runs (0-based, the last included).
from_month = 0
to_month = {to_month}
# A caseload: each mentor follows this many citizens at a time.
kind = "caseload"
capacity_per_fte = {capacity_per_fte}
source = {service_source}

# Effects while a citizen has a mentor: hazard ratios on the monthly moves out of the course
# (1 = no effect, 1.2 = 20 % more likely each month, 0.9 = 10 % less likely).
[arms.treatment.services.mentors.effects.course]
flexjob = {hr_flexjob}
job_education = {hr_job}

# The programme's other costs: amount, how it is spread ("once", "month", "year", "total") and
# who pays. Add more tables for premises, training, evaluation.
[arms.treatment.costs.startup]
label_da = "Opstart"
label_en = "Start-up"
amount = {startup}
per = "once"
payer = {payer}
from_month = 0
to_month = 0

# What the programme replaces: citizens who have the programme's mentor no longer get the
# ordinary mentor support of the base (factor 0 = replaced entirely, 1 = not at all).
[accounts.ordinary_mentor]
while_served = { service = "mentors", factor = {replaces} }
"#;

const SLOTS: &[Slot] = &[
    slot(
        "title_da",
        "titlen på dansk",
        "\"Mentorprogram for borgere i ressourceforløb, Aarhus 2024\"",
    ),
    slot(
        "title_en",
        "the title in English",
        "\"Mentor programme for citizens in resource courses, Aarhus 2024\"",
    ),
    slot(
        "description",
        "one or two sentences on the programme",
        "\"40 % of the starters in a ressourceforløb in 2024 are offered a mentor from a team of six; the rest get the ordinary effort.\"",
    ),
    slot("start", "the first month, e.g. 2024-01", "\"2024-01\""),
    slot("horizon", "months to follow the citizens, e.g. 120", "120"),
    slot(
        "price_year",
        "the price year of your amounts, e.g. 2024",
        "2024",
    ),
    slot(
        "inflow",
        "starters per month, e.g. [25, 25, 25]",
        "[25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25]",
    ),
    slot(
        "inflow_source",
        "where the number of starters comes from",
        "\"Example: ≈300 starters a year assumed for a municipality of Aarhus's size (not a sourced figure).\"",
    ),
    slot(
        "arm_da",
        "programmets navn på dansk",
        "\"Mentorprogram (40 % af de nye)\"",
    ),
    slot(
        "arm_en",
        "the programme's name in English",
        "\"Mentor programme (40 % of the starters)\"",
    ),
    slot("offer_share", "share offered, 0–1, e.g. 0.4", "0.4"),
    slot(
        "offer_to",
        "last month (0-based) whose starters are offered it, e.g. 11",
        "11",
    ),
    slot(
        "arm_source",
        "where the design of the programme comes from",
        "\"Example: the municipality's own plan (worked example of ressim init).\"",
    ),
    slot("fte", "number of full-time mentors, e.g. 6", "6"),
    slot(
        "cost_per_fte_year",
        "DKK per mentor a year, e.g. 520000",
        "{ value = 520000, source = \"Example: a mentor's wage, pension and administration in 2024 prices (assumption).\" }",
    ),
    slot("payer", "who pays: bif, sof or suf", "\"bif\""),
    slot(
        "to_month",
        "last month (0-based) the service runs, e.g. 35",
        "35",
    ),
    slot("capacity_per_fte", "citizens per mentor, e.g. 15", "15"),
    slot(
        "service_source",
        "where the staffing and costs come from",
        "\"Example: the municipality's plan; 15 citizens per mentor is an assumption.\"",
    ),
    slot(
        "hr_flexjob",
        "hazard ratio to fleksjob while mentored, e.g. 1.2",
        "{ value = 1.2, source = \"Assumption of the worked example: 20 % higher monthly rate to fleksjob while mentored.\" }",
    ),
    slot(
        "hr_job",
        "hazard ratio to job or education while mentored, e.g. 1.2",
        "{ value = 1.2, source = \"Assumption of the worked example, in the range of the mentor RCT ([star-mentorforsoeg-2014] job 5 % → 7 %).\" }",
    ),
    slot(
        "startup",
        "one-off start-up cost in DKK, e.g. 250000",
        "{ value = 250000, source = \"Example: recruitment and training of six mentors (assumption).\" }",
    ),
    slot(
        "replaces",
        "0 if the mentor replaces the ordinary mentor support, 1 if not",
        "{ value = 0, source = \"Example: the programme's mentor replaces the ordinary mentor support (assumption).\" }",
    ),
];

/// The starter's text for a scenario named `name`: with every value open, or (`example`) the
/// worked mentor programme.
pub fn starter(name: &str, example: bool) -> String {
    let mut text = TEMPLATE.replace("{name}", name);
    for s in SLOTS {
        let value = if example {
            s.example.to_string()
        } else {
            format!("\"{OPEN_MARK}: {}\"", s.hint)
        };
        text = text.replace(&format!("{{{}}}", s.key), &value);
    }
    text
}

/// A scenario name from a file name: its stem, lower case, with characters other than letters,
/// digits, `-` and `_` replaced by `-`.
pub fn name_from_file(stem: &str) -> String {
    let n: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if n.is_empty() {
        "my-programme".into()
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_is_used_and_filled() {
        for s in SLOTS {
            assert!(TEMPLATE.contains(&format!("{{{}}}", s.key)), "{}", s.key);
        }
        let open = starter("x", false);
        let example = starter("x", true);
        let marker = format!("\"{OPEN_MARK}:");
        assert!(!example.contains(&marker));
        // Every slot is open (a slot may stand in more than one place, e.g. the payer).
        for s in SLOTS {
            assert!(
                open.contains(&format!("{marker} {}\"", s.hint)),
                "{}",
                s.key
            );
        }
        for t in [&open, &example] {
            assert!(!t.contains("{title_da}") && !t.contains("{fte}"));
        }
    }

    #[test]
    fn the_example_passes_check_and_the_starter_names_every_open_value() {
        let ex = crate::scenario::load_str("example.toml", &starter("example", true));
        assert!(ex.is_ok(), "{:?}", ex.err().map(|e| e.to_string()));
        let e = crate::scenario::load_str("new.toml", &starter("new", false))
            .expect_err("open values are refused")
            .to_string();
        let open = starter("new", false)
            .matches(&format!("\"{OPEN_MARK}:"))
            .count();
        assert!(e.contains(&format!("{open} values are still")), "{e}");
        for key in [
            "arms.treatment.services.mentors.fte",
            "simulation.horizon",
            "cohort.inflow",
        ] {
            assert!(e.contains(&format!("`{key}`")), "{key}: {e}");
        }
    }
}
