//! Analyses built on repeated runs: the break-even effect and staffing sweeps.

pub mod break_even;
pub mod sweep;
