//! The scenario library shipped inside the binary: the national base and the scenarios built on
//! it. A scenario file (on disk or shipped) can name a shipped scenario in `extends` by its name
//! alone (`extends = "dk-ressourceforloeb"`); shipped files extend each other by relative path,
//! which resolves inside the library when they are read from the binary and on disk otherwise.

/// One shipped scenario file.
#[derive(Debug, Clone, Copy)]
pub struct Shipped {
    /// Its name: the file name without `.toml`, e.g. `kbh-rehabiliteringshus`.
    pub name: &'static str,
    /// Its path in the repository, e.g. `scenarios/kbh-rehabiliteringshus.toml`.
    pub path: &'static str,
    /// Its text.
    pub text: &'static str,
    /// A base holds the ordinary effort only; it is extended, not run on its own.
    pub base: bool,
}

macro_rules! shipped {
    ($name:literal, $path:literal, $base:expr) => {
        Shipped {
            name: $name,
            path: $path,
            text: include_str!(concat!("../../", $path)),
            base: $base,
        }
    };
}

/// Every shipped scenario, the default first.
pub const LIBRARY: &[Shipped] = &[
    shipped!(
        "kbh-rehabiliteringshus",
        "scenarios/kbh-rehabiliteringshus.toml",
        false
    ),
    shipped!(
        "kbh-rehabiliteringshus-konservativ",
        "scenarios/kbh-rehabiliteringshus-konservativ.toml",
        false
    ),
    shipped!(
        "kbh-rehabiliteringshus-optimistisk",
        "scenarios/kbh-rehabiliteringshus-optimistisk.toml",
        false
    ),
    shipped!(
        "kbh-rehabiliteringshus-drift",
        "scenarios/kbh-rehabiliteringshus-drift.toml",
        false
    ),
    shipped!(
        "sundhedskoordinator",
        "scenarios/sundhedskoordinator.toml",
        false
    ),
    shipped!(
        "sundhedskoordinator-permanent",
        "scenarios/sundhedskoordinator-permanent.toml",
        false
    ),
    shipped!(
        "dk-ressourceforloeb",
        "scenarios/base/dk-ressourceforloeb.toml",
        true
    ),
];

/// The shipped scenario of this name, if any.
pub fn by_name(name: &str) -> Option<&'static Shipped> {
    LIBRARY.iter().find(|s| s.name == name)
}

/// The shipped scenario at this repository path (after `.`/`..` are resolved), if any.
pub fn by_path(path: &str) -> Option<&'static Shipped> {
    LIBRARY.iter().find(|s| s.path == path)
}

/// The scenarios one can run (every shipped file except the bases), in library order.
pub fn runnable() -> impl Iterator<Item = &'static Shipped> {
    LIBRARY.iter().filter(|s| !s.base)
}

/// The names of the shipped scenarios, for messages.
pub fn names() -> String {
    LIBRARY
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// True when an `extends` value names a shipped scenario rather than a file: no folder and no
/// `.toml` ending.
pub fn is_name(reference: &str) -> bool {
    !reference.contains('/') && !reference.contains('\\') && !reference.ends_with(".toml")
}

/// Resolve `reference` relative to the repository path `from` (a shipped file's path), e.g.
/// `base/dk-ressourceforloeb.toml` from `scenarios/kbh-rehabiliteringshus.toml`.
pub fn join(from: &str, reference: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for seg in reference.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_resolve() {
        assert!(is_name("dk-ressourceforloeb"));
        assert!(!is_name("base/dk-ressourceforloeb.toml"));
        assert!(!is_name("x.toml"));
        assert_eq!(
            join(
                "scenarios/kbh-rehabiliteringshus.toml",
                "base/dk-ressourceforloeb.toml"
            ),
            "scenarios/base/dk-ressourceforloeb.toml"
        );
        assert_eq!(
            join("scenarios/base/x.toml", "../kbh-rehabiliteringshus.toml"),
            "scenarios/kbh-rehabiliteringshus.toml"
        );
        for s in LIBRARY {
            assert_eq!(by_name(s.name).map(|x| x.path), Some(s.path));
            assert!(s.path.ends_with(&format!("{}.toml", s.name)));
        }
    }
}
