//! Analyses built on repeated runs: the break-even effect, staffing sweeps, sensitivity and
//! trial power.

pub mod break_even;
pub mod power;
pub mod sensitivity;
pub mod sweep;
