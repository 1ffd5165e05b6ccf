//! `ressim init`: write a starter scenario for a new programme.

use crate::error::Result;
use crate::scenario;

/// `ressim init FILE`: write the starter (never over an existing file unless `--force`).
pub(super) fn init(a: crate::cli::InitArgs) -> Result<()> {
    if a.file.exists() && !a.force {
        return Err(crate::Error::Usage(format!(
            "{} exists; choose another name or add --force to overwrite it",
            a.file.display()
        )));
    }
    let stem = a
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let text = scenario::init::starter(&scenario::init::name_from_file(&stem), a.example);
    let tmp = a.file.with_extension("toml.part");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &a.file))
        .map_err(|e| crate::Error::Runtime(format!("cannot write {}: {e}", a.file.display())))?;
    crate::outln!(
        "{} {}",
        if a.example {
            "wrote a worked mentor programme to"
        } else {
            "wrote a starter to"
        },
        a.file.display()
    )?;
    crate::outln!(
        "next: {}ressim check {}  then  ressim run {}",
        if a.example {
            ""
        } else {
            "fill in every value marked \"FILL IN\", then "
        },
        a.file.display(),
        a.file.display()
    )?;
    Ok(())
}
