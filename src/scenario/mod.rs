//! Scenario files: the TOML schema, parameters with distributions, `extends`, and validation
//! with errors that name the file, line and column.

pub mod lifetable;
pub mod load;
pub mod model;
pub mod numbers;
pub mod overrides;
pub mod param;
pub mod plausible;
pub mod prices;
pub mod quantile;
pub mod raw;
pub mod remove;
pub mod validate;

pub use model::*;

use crate::error::Error;
use std::path::Path;

/// The shipped Copenhagen scenario, built into the binary as the default.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/kbh-rehabiliteringshus.toml");

/// The label the built-in scenario carries in messages and the manifest.
pub const DEFAULT_LABEL: &str = "kbh-rehabiliteringshus.toml (built in)";

/// Read, merge (`extends`) and check a scenario file.
pub fn load(path: &Path) -> Result<Scenario, Error> {
    let (raw, sources) = load::load_chain(path)?;
    validate::validate(&raw, &sources).map_err(Error::Scenario)
}

/// Check a scenario held in memory; `label` names it in messages.
pub fn load_str(label: &str, text: &str) -> Result<Scenario, Error> {
    let (raw, sources) = load::load_text(Path::new(label), text)?;
    validate::validate(&raw, &sources).map_err(Error::Scenario)
}

/// The built-in default scenario.
pub fn load_default() -> Result<Scenario, Error> {
    load_str(DEFAULT_LABEL, DEFAULT_SCENARIO)
}
