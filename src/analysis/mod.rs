//! Analyses built on repeated runs: the break-even effect, staffing sweeps and sensitivity.

pub mod break_even;
pub mod sensitivity;
pub mod sweep;
