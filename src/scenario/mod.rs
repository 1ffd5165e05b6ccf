//! Scenario files: the TOML schema, parameters with distributions, `extends`, and validation
//! with errors that name the file, line and column.

pub mod bibliography;
pub mod init;
pub mod library;
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

/// The shipped Copenhagen scenario's own text (it extends the national base), built into the
/// binary as the default.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/kbh-rehabiliteringshus.toml");

/// The name of the default scenario in [`library::LIBRARY`].
pub const DEFAULT_NAME: &str = "kbh-rehabiliteringshus";

/// The label the built-in scenario carries in messages and the manifest.
pub const DEFAULT_LABEL: &str = "scenarios/kbh-rehabiliteringshus.toml (built in)";

/// Read, merge (`extends`) and check a scenario file.
pub fn load(path: &Path) -> Result<Scenario, Error> {
    let (raw, sources) = load::load_chain(path)?;
    validate::validate(&raw, &sources).map_err(Error::Scenario)
}

/// Check a scenario held in memory; `label` names it in messages. It may extend a shipped
/// scenario by name.
pub fn load_str(label: &str, text: &str) -> Result<Scenario, Error> {
    let (raw, sources) = load::load_text(Path::new(label), text)?;
    validate::validate(&raw, &sources).map_err(Error::Scenario)
}

/// A shipped scenario by name (see [`library::LIBRARY`]).
pub fn load_shipped(name: &str) -> Result<Scenario, Error> {
    let shipped = library::by_name(name).ok_or_else(|| {
        Error::from(crate::error::ScenarioError::in_file(
            Path::new(name),
            format!(
                "no scenario `{name}` is shipped with ressim (shipped: {})",
                library::names()
            ),
        ))
    })?;
    let (raw, sources) = load::load_shipped(shipped)?;
    validate::validate(&raw, &sources).map_err(Error::Scenario)
}

/// The built-in default scenario.
pub fn load_default() -> Result<Scenario, Error> {
    load_shipped(DEFAULT_NAME)
}
