//! ressim: a monthly microsimulation and business-case model of Danish *ressourceforløb*.
//!
//! Data flows one way: [`scenario`] (parse and check) → [`cohort`] (synthetic citizens) →
//! [`engine`] (month loop per arm) → [`economics`] (accounts, discounting) →
//! [`montecarlo`] (replications, ordered aggregation) → [`report`] (files).

pub mod analysis;
pub mod args;
pub mod cli;
pub mod cohort;
pub mod commands;
pub mod console;
pub mod economics;
pub mod engine;
pub mod error;
pub mod montecarlo;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod serve;
pub mod stats;

pub use error::{Error, Result};
