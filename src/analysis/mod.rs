//! Analyses built on repeated runs: the break-even effect.

pub mod break_even;
