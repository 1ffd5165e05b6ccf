//! The `[simulation]` section: horizon, cycle, start, replications, seed, price year,
//! discounting and counting.

use super::*;

pub(super) fn check_simulation(c: &mut Checker, raw: Option<&RawSimulation>) -> Simulation {
    let base = p(&["simulation"]);
    let r = match raw {
        Some(r) => r.clone(),
        None => {
            c.err(
                &base,
                "missing [simulation]: give at least `start = \"2016-07\"` and `horizon = 60`",
            );
            RawSimulation {
                start: Some("2016-01".into()),
                horizon: Some(super::MAX_HORIZON),
                ..Default::default()
            }
        }
    };
    let (start_year, start_month) = match r.start.as_deref() {
        None => {
            c.err(
                &with(&base, "start"),
                "missing `start`: the first month as \"YYYY-MM\", e.g. \"2016-07\"",
            );
            (2016, 1)
        }
        Some(s) => {
            match parse_month(s) {
                Some(ym) => ym,
                None => {
                    c.err(&with(&base, "start"), format!("`start` is \"{s}\"; write the first month as \"YYYY-MM\", e.g. \"2016-07\""));
                    (2016, 1)
                }
            }
        }
    };
    let horizon = c.int(
        &with(&base, "horizon"),
        r.horizon,
        None,
        1,
        MAX_HORIZON,
        "the number of cycles to simulate",
    ) as u32;
    // A missing or out-of-range horizon is one error: what depends on it (inflow, offer
    // windows, service and cost months) is then checked against the longest horizon allowed,
    // so no follow-on errors repeat the same cause.
    let horizon_ok = matches!(r.horizon, Some(x) if (1..=MAX_HORIZON).contains(&x));
    let horizon = if horizon_ok {
        horizon
    } else {
        MAX_HORIZON as u32
    };
    let cycle = c.choice(
        &with(&base, "cycle"),
        r.cycle.as_ref(),
        &["month", "year"],
        "month",
    );
    let cycle_months = if cycle == "year" { 12 } else { 1 };
    let seed = match r.seed {
        Some(s) if s < 0 => {
            c.err(
                &with(&base, "seed"),
                format!("`seed` must be 0 or above, got {s}"),
            );
            0
        }
        Some(s) => s as u64,
        None => 1,
    };
    let replications = c.int(
        &with(&base, "replications"),
        r.replications,
        Some(100),
        1,
        MAX_REPLICATIONS,
        "replications per run",
    ) as u32;
    let counting = match c.choice(
        &with(&base, "counting"),
        r.counting.as_ref(),
        &["start", "end", "half-cycle"],
        "half-cycle",
    ) {
        "start" => Counting::Start,
        "end" => Counting::End,
        _ => Counting::HalfCycle,
    };
    let discounting = match c.choice(
        &with(&base, "discounting"),
        r.discounting.as_ref(),
        &["budget-year", "simulation-year", "monthly"],
        "budget-year",
    ) {
        "simulation-year" => Discounting::SimulationYear,
        "monthly" => Discounting::Monthly,
        _ => Discounting::BudgetYear,
    };
    let rate_spec = r
        .discount_rate
        .clone()
        .unwrap_or_else(|| ParamSpec(param::RawParam::fixed(0.0)));
    let discount_rate = c.param(
        &with(&base, "discount_rate"),
        &rate_spec,
        ParamKind::DiscountRate,
        None,
    );
    let discount_start = c.int(
        &with(&base, "discount_start"),
        r.discount_start,
        Some(0),
        0,
        1,
        "0: the first period is not discounted, 1: it is",
    ) as u32;
    let price_year = c.int(
        &with(&base, "price_year"),
        r.price_year,
        Some(start_year as i64),
        1900,
        2200,
        "the price year of all amounts",
    ) as i32;
    let effect_scale = r.effect_scale.unwrap_or(1.0);
    if !(effect_scale.is_finite() && (0.0..=100.0).contains(&effect_scale)) {
        c.err(
            &with(&base, "effect_scale"),
            format!(
                "`effect_scale = {effect_scale}` is outside 0–100 (1 = the effects as written, 0 = no effect)"
            ),
        );
    }
    Simulation {
        effect_scale,
        start_year,
        start_month,
        horizon,
        cycle_months,
        seed,
        replications,
        counting,
        count_time_zero: r.count_time_zero.unwrap_or(true),
        discounting,
        discount_rate,
        discount_start,
        price_year,
    }
}
