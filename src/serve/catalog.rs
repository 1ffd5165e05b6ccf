//! The scenarios `ressim serve` offers: the shipped one and the `.toml` files directly in the
//! folder it was given. Nothing outside that folder is read: a scenario is named by its file
//! name, and a name with a path separator or `..`, a symlink that leads out of the folder, or a
//! file whose `extends` chain leaves the folder is refused.

use crate::scenario::library;
use crate::scenario::load::{self, SourceFile};
use crate::scenario::{self, Scenario};
use std::path::{Path, PathBuf};

/// The id of the shipped scenario.
pub const SHIPPED_ID: &str = "kbh-rehabiliteringshus";

/// A base scenario: its files, their merged TOML table and the checked scenario.
#[derive(Debug, Clone)]
pub struct Base {
    /// The id the API names it by: [`SHIPPED_ID`] or the file name in the folder.
    pub id: String,
    /// Whether it is the shipped (built-in) scenario.
    pub shipped: bool,
    /// Its files, the named one first (as `ressim run` reads them).
    pub sources: Vec<SourceFile>,
    /// The files merged into one table (`extends` applied and removed).
    pub merged: toml::Table,
    /// The checked scenario.
    pub scenario: Scenario,
}

impl Base {
    /// The default shipped scenario, built into the binary.
    pub fn shipped() -> crate::Result<Base> {
        Base::shipped_named(SHIPPED_ID)
    }

    /// A shipped scenario by name (one that runs, not a base).
    pub fn shipped_named(name: &str) -> crate::Result<Base> {
        let s = library::by_name(name)
            .filter(|s| !s.base)
            .ok_or_else(|| crate::Error::Usage(format!("no shipped scenario `{name}`")))?;
        let (_, sources) = load::load_shipped(s)?;
        let scenario = scenario::load_shipped(name)?;
        Base::with(name, true, sources.files.clone(), scenario)
    }

    fn with(
        id: &str,
        shipped: bool,
        sources: Vec<SourceFile>,
        scenario: Scenario,
    ) -> crate::Result<Base> {
        let mut merged = toml::Table::new();
        for f in sources.iter().rev() {
            let t: toml::Table = toml::from_str(&f.text).map_err(|e| {
                crate::Error::Runtime(format!("{}: {}", f.path.display(), e.message()))
            })?;
            load::merge(&mut merged, t);
        }
        merged.remove("extends");
        Ok(Base {
            id: id.into(),
            shipped,
            sources,
            merged,
            scenario,
        })
    }

    /// A scenario file (already known to be inside `folder`), with the files it extends, all
    /// of which must be inside `folder` too (or shipped inside the binary).
    pub fn file(folder: &Path, id: &str, path: &Path) -> crate::Result<Base> {
        let (_, sources) = load::load_chain(path)?;
        for f in &sources.files {
            let built_in = library::LIBRARY
                .iter()
                .any(|s| f.path == Path::new(&load::shipped_label(s)));
            if !built_in && !inside(folder, &f.path) {
                return Err(crate::Error::Usage(format!(
                    "{id} extends {}, which is outside the served folder",
                    f.path.display()
                )));
            }
        }
        let scenario = scenario::load(path)?;
        Base::with(id, false, sources.files.clone(), scenario)
    }
}

/// Whether `path` (after following symlinks) lies inside `folder`.
pub fn inside(folder: &Path, path: &Path) -> bool {
    match (std::fs::canonicalize(folder), std::fs::canonicalize(path)) {
        (Ok(f), Ok(p)) => p.starts_with(&f) && p != f,
        _ => false,
    }
}

/// Why a scenario id cannot be served.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// It names a path outside the folder (a separator, `..`, a symlink out): 400.
    Outside(String),
    /// No such scenario in the folder: 404.
    NotFound(String),
}

/// The served folder, if any.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The folder given to `ressim serve` (None: only the shipped scenario).
    pub folder: Option<PathBuf>,
}

/// One entry of the list of scenarios.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    /// Id for the API.
    pub id: String,
    /// The scenario's name.
    pub name: String,
    /// Danish title.
    pub title_da: String,
    /// English title.
    pub title_en: String,
    /// The shipped scenario.
    pub shipped: bool,
    /// Why the file cannot be used, when it is not a valid scenario.
    pub error: Option<String>,
}

impl Catalog {
    /// The `.toml` files directly in the folder (regular files, or symlinks to files inside
    /// it), sorted by name.
    pub fn files(&self) -> Vec<(String, PathBuf)> {
        let Some(folder) = &self.folder else {
            return Vec::new();
        };
        let Ok(rd) = std::fs::read_dir(folder) else {
            return Vec::new();
        };
        let mut out: Vec<(String, PathBuf)> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_str()?.to_string();
                let path = e.path();
                (name.ends_with(".toml") && path.is_file() && inside(folder, &path))
                    .then_some((name, path))
            })
            .collect();
        out.sort();
        out
    }

    /// The scenarios offered, the shipped one first.
    pub fn list(&self, shipped: &Base) -> Vec<Entry> {
        let mut out = vec![Entry {
            id: shipped.id.clone(),
            name: shipped.scenario.name.clone(),
            title_da: shipped.scenario.title_da.clone(),
            title_en: shipped.scenario.title_en.clone(),
            shipped: true,
            error: None,
        }];
        for s in library::runnable().filter(|s| s.name != shipped.id) {
            let (title_da, title_en, error) = match scenario::load_shipped(s.name) {
                Ok(sc) => (sc.title_da, sc.title_en, None),
                Err(e) => (String::new(), String::new(), Some(e.to_string())),
            };
            out.push(Entry {
                id: s.name.into(),
                name: s.name.into(),
                title_da,
                title_en,
                shipped: true,
                error,
            });
        }
        for (id, path) in self.files() {
            let folder = self.folder.as_deref().unwrap_or(Path::new("."));
            match Base::file(folder, &id, &path) {
                Ok(b) => out.push(Entry {
                    id,
                    name: b.scenario.name.clone(),
                    title_da: b.scenario.title_da.clone(),
                    title_en: b.scenario.title_en.clone(),
                    shipped: false,
                    error: None,
                }),
                Err(e) => out.push(Entry {
                    name: id.trim_end_matches(".toml").to_string(),
                    id,
                    title_da: String::new(),
                    title_en: String::new(),
                    shipped: false,
                    error: Some(e.to_string()),
                }),
            }
        }
        out
    }

    /// Resolve an id to a file inside the folder.
    pub fn resolve(&self, id: &str) -> Result<PathBuf, Refused> {
        if id.contains('/') || id.contains('\\') || id.contains("..") || id.contains('\0') {
            return Err(Refused::Outside(format!(
                "`{id}` is a path outside the served folder; scenarios are named by their file name in it"
            )));
        }
        let Some(folder) = &self.folder else {
            return Err(Refused::NotFound(format!(
                "no scenario `{id}`: only the shipped scenario `{SHIPPED_ID}` is served (start `ressim serve DIR` to offer the files in DIR)"
            )));
        };
        let path = folder.join(id);
        if path.exists() && !inside(folder, &path) {
            return Err(Refused::Outside(format!(
                "`{id}` leads outside the served folder (a symlink); it is not served"
            )));
        }
        self.files()
            .into_iter()
            .find(|(name, _)| name == id)
            .map(|(_, p)| p)
            .ok_or_else(|| {
                Refused::NotFound(format!(
                    "no scenario `{id}` in the served folder {}",
                    folder.display()
                ))
            })
    }
}
