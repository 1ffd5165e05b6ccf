//! Output folders that are never half-written and never clobber what ressim did not write.
//!
//! Files are written into a hidden staging folder beside the target and moved into place in
//! one rename when all of them are complete. A folder is replaced only if it is empty or
//! carries ressim's marker file.

use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Name of the marker file in every output folder ressim writes.
pub const MARKER: &str = ".ressim-output";

/// A staging folder on its way to becoming the output folder.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    /// Check that `target` may be (re)written and create the staging folder beside it.
    pub fn new(target: &Path) -> Result<Staging> {
        if target.exists() {
            if !target.is_dir() {
                return Err(Error::Runtime(format!(
                    "output path {} exists and is not a folder; choose another --out",
                    target.display()
                )));
            }
            let mut entries = fs::read_dir(target)
                .map_err(|e| Error::io(target, "cannot read output folder", e))?;
            let non_empty = entries.next().is_some();
            if non_empty && !target.join(MARKER).exists() {
                return Err(Error::Runtime(format!(
                    "output folder {} is not empty and was not written by ressim; it is left \
                     untouched — choose another --out or empty it",
                    target.display()
                )));
            }
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, "cannot create folder", e))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "out".into());
        let dir = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir)
                .map_err(|e| Error::io(&dir, "cannot clear staging folder", e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "cannot create staging folder", e))?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Path of a file inside the staging folder.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Write one file into the staging folder.
    pub fn write(&self, file: &str, bytes: &[u8]) -> Result<()> {
        let p = self.path(file);
        fs::write(&p, bytes).map_err(|e| Error::io(&p, "cannot write", e))
    }

    /// Move the complete staging folder into place.
    pub fn commit(mut self) -> Result<PathBuf> {
        self.write(
            MARKER,
            b"This folder was written by ressim; ressim may replace it.\n",
        )?;
        let old = self.dir.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            std::process::id()
        ));
        if self.target.exists() {
            fs::rename(&self.target, &old)
                .map_err(|e| Error::io(&self.target, "cannot move aside old output", e))?;
        }
        fs::rename(&self.dir, &self.target)
            .map_err(|e| Error::io(&self.target, "cannot move results into place at", e))?;
        if old.exists() {
            // The new results are in place; failing to delete the old copy loses nothing.
            let _ = fs::remove_dir_all(&old);
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_folder_is_not_overwritten_and_own_folder_is() {
        let t = tempfile::tempdir().unwrap();
        let foreign = t.path().join("f");
        fs::create_dir(&foreign).unwrap();
        fs::write(foreign.join("thesis.docx"), b"x").unwrap();
        let e = Staging::new(&foreign).unwrap_err();
        assert!(e.to_string().contains("not written by ressim"), "{e}");
        assert!(foreign.join("thesis.docx").exists());

        let own = t.path().join("o");
        let s = Staging::new(&own).unwrap();
        s.write("a.txt", b"1").unwrap();
        s.commit().unwrap();
        let s = Staging::new(&own).unwrap();
        s.write("b.txt", b"2").unwrap();
        s.commit().unwrap();
        assert!(own.join("b.txt").exists() && !own.join("a.txt").exists());
    }

    #[test]
    fn uncommitted_staging_leaves_nothing() {
        let t = tempfile::tempdir().unwrap();
        let target = t.path().join("r");
        {
            let s = Staging::new(&target).unwrap();
            s.write("summary.json", b"{}").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 0);
    }
}
