//! Accounts: turning the engine's counts into amounts per account and cycle, and discounting.
//!
//! Timing conventions (see docs/scenario.md):
//! * `counting = "start"`: a cycle's amount uses the states at the start of the cycle (starters
//!   included only with `count_time_zero = true`); `"end"`: the states at its end;
//!   `"half-cycle"`: half of each.
//! * A monthly amount is multiplied by the months per cycle (an amount `per = "year"` is first
//!   divided by 12, one `per = "cycle"` is booked as it is); a transition amount is booked
//!   once, in the cycle the move happens.
//! * The discount factor of a cycle is (1 + r)^−(t + discount_start), where t is counted at the
//!   cycle's first month: budget years since the start year (`budget-year`), whole years since
//!   the start (`simulation-year`) or months/12 (`monthly`).

mod book;
pub mod business_case;
mod classes;
pub mod lines;
mod programme;

pub use book::{Booked, book, window_share};
pub use classes::{ClassMap, MAX_CONDITION_GROUPS, static_classes};
pub use programme::{ProgrammeItem, ServiceUse, programme_costs, programme_items};

pub use crate::scenario::MAX_CONDITIONAL_ACCOUNTS;
use crate::scenario::{Discounting, Scenario};

/// Discount factor of cycle `cycle` at annual rate `rate`.
pub fn discount_factor(sc: &Scenario, rate: f64, cycle: usize) -> f64 {
    let month = (cycle as u32) * sc.sim.cycle_months;
    let t = match sc.sim.discounting {
        Discounting::BudgetYear => (sc.sim.calendar_year(month) - sc.sim.start_year) as f64,
        Discounting::SimulationYear => (month / 12) as f64,
        Discounting::Monthly => month as f64 / 12.0,
    } + sc.sim.discount_start as f64;
    (1.0 + rate).powf(-t)
}
