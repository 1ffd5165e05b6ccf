//! Reading scenario files: text checks, TOML parsing with located errors, `extends` chains and
//! merging, and finding where in which file a key path was written (for located messages).

use super::library;
use super::raw::RawScenario;
use crate::error::{Location, ScenarioError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// One scenario file's text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as given (or a label for the built-in scenario).
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
}

/// The files a scenario was read from, the file that was named first; later files are the ones
/// it extends.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Files in priority order: the named file first, then the file it extends, and so on.
    pub files: Vec<SourceFile>,
    /// For each file, every key path written in it and the byte offset where it is written;
    /// built once, when the sources are made.
    written: Vec<HashMap<KeyPath, usize>>,
    /// Each file parsed on its own (None if it does not parse), for reading what one file says.
    tables: Vec<Option<toml::Table>>,
}

/// One step of a key path, e.g. `transitions` → `course` → `pension` → `prob`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_string())
    }
}
impl From<&String> for Seg {
    fn from(s: &String) -> Self {
        Seg::Key(s.clone())
    }
}
impl From<String> for Seg {
    fn from(s: String) -> Self {
        Seg::Key(s)
    }
}
impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// A key path such as `transitions.course.pension.prob`.
pub type KeyPath = Vec<Seg>;

/// Render a key path for messages: `transitions.course.pension.prob`, `x.by_duration[1].hr`.
pub fn path_text(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

impl Sources {
    /// Sources from files in priority order (the named file first). Each file is parsed once
    /// here to learn where its keys are written.
    pub fn new(files: Vec<SourceFile>) -> Sources {
        let written = files.iter().map(|f| written_paths(&f.text)).collect();
        let tables = files.iter().map(|f| toml::from_str(&f.text).ok()).collect();
        Sources {
            files,
            written,
            tables,
        }
    }

    /// The value file `fi` itself writes at `path` (the top-level table for an empty path is
    /// not a value: None).
    pub fn value_in_file(&self, fi: usize, path: &[Seg]) -> Option<&toml::Value> {
        let table = self.tables.get(fi)?.as_ref()?;
        let (first, rest) = path.split_first()?;
        let Seg::Key(k) = first else { return None };
        let mut node = table.get(k)?;
        for seg in rest {
            node = match seg {
                Seg::Key(k) => node.as_table()?.get(k)?,
                Seg::Index(i) => node.as_array()?.get(*i)?,
            };
        }
        Some(node)
    }

    /// The `source` text that file `fi` itself writes in the nearest table enclosing `path`.
    pub fn source_in_file(&self, fi: usize, path: &[Seg]) -> Option<String> {
        let table = self.tables.get(fi)?.as_ref()?;
        let walk = |upto: &[Seg]| -> Option<&toml::Value> {
            let mut node: Option<&toml::Value> = None;
            for seg in upto {
                node = match (node, seg) {
                    (None, Seg::Key(k)) => table.get(k),
                    (Some(v), Seg::Key(k)) => v.as_table()?.get(k),
                    (Some(v), Seg::Index(i)) => v.as_array()?.get(*i),
                    (None, Seg::Index(_)) => None,
                };
                node?;
            }
            node
        };
        (1..path.len()).rev().find_map(|n| {
            walk(&path[..n])?
                .as_table()?
                .get("source")?
                .as_str()
                .map(str::to_string)
        })
    }

    /// The file and place where `path` (or, failing that, its longest written prefix) is
    /// written, searching the named file first.
    pub fn locate(&self, path: &[Seg]) -> (PathBuf, Option<Location>) {
        let mut best: Option<(usize, usize, usize)> = None;
        for (fi, written) in self.written.iter().enumerate() {
            for depth in (1..=path.len()).rev() {
                if best.is_some_and(|b| depth <= b.0) {
                    break;
                }
                if let Some(&offset) = written.get(&path[..depth]) {
                    if depth == path.len() {
                        return self.place(fi, offset);
                    }
                    best = Some((depth, fi, offset));
                    break;
                }
            }
        }
        match best {
            Some((_, fi, offset)) => self.place(fi, offset),
            None => (self.top(), None),
        }
    }

    /// The file at index `fi` and the location of byte `offset` in it.
    fn place(&self, fi: usize, offset: usize) -> (PathBuf, Option<Location>) {
        let f = &self.files[fi];
        (f.path.clone(), Some(Location::from_offset(&f.text, offset)))
    }

    /// The index in [`Sources::files`] of the file whose value of `path` the merged scenario
    /// holds: the first file, in priority order, that writes `path`. None when no file writes
    /// it (a default, or a built-in value).
    pub fn file_of(&self, path: &[Seg]) -> Option<usize> {
        self.written.iter().position(|w| w.contains_key(path))
    }

    /// Every text value written under a key named `key` (e.g. every `source`), with its path,
    /// as the merged scenario holds it: a value a later file overrides is left out.
    pub fn texts_at_key(&self, key: &str) -> Vec<(KeyPath, String)> {
        fn walk(
            prefix: &mut KeyPath,
            v: &toml::Value,
            key: &str,
            out: &mut Vec<(KeyPath, String)>,
        ) {
            match v {
                toml::Value::Table(t) => {
                    for (k, v) in t {
                        prefix.push(Seg::Key(k.clone()));
                        match v {
                            toml::Value::String(s) if k == key => {
                                out.push((prefix.clone(), s.clone()))
                            }
                            _ => walk(prefix, v, key, out),
                        }
                        prefix.pop();
                    }
                }
                toml::Value::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        prefix.push(Seg::Index(i));
                        walk(prefix, v, key, out);
                        prefix.pop();
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (fi, table) in self.tables.iter().enumerate() {
            let Some(table) = table else { continue };
            let mut found = Vec::new();
            walk(
                &mut Vec::new(),
                &toml::Value::Table(table.clone()),
                key,
                &mut found,
            );
            out.extend(
                found
                    .into_iter()
                    .filter(|(path, _)| self.file_of(path) == Some(fi)),
            );
        }
        out
    }

    /// The file the user named.
    pub fn top(&self) -> PathBuf {
        self.files
            .first()
            .map(|f| f.path.clone())
            .unwrap_or_default()
    }

    /// An error located at `path`.
    pub fn error(&self, path: &[Seg], message: impl Into<String>) -> ScenarioError {
        let (file, location) = self.locate(path);
        ScenarioError {
            file,
            location,
            message: message.into(),
        }
    }
}

/// Every key path written in a TOML text with the byte offset to point at: a table's key, or
/// the value of anything else. A text that does not parse writes nothing.
fn written_paths(text: &str) -> HashMap<KeyPath, usize> {
    let mut out = HashMap::new();
    if let Ok(doc) = DeTable::parse(text) {
        walk_table(&mut Vec::new(), doc.get_ref(), &mut out);
    }
    out
}

fn walk_table(prefix: &mut KeyPath, table: &DeTable<'_>, out: &mut HashMap<KeyPath, usize>) {
    for (key, v) in table.iter() {
        prefix.push(Seg::Key(key.get_ref().to_string()));
        let offset = match v.get_ref() {
            DeValue::Table(_) => key.span().start,
            _ => v.span().start,
        };
        out.insert(prefix.clone(), offset);
        walk_value(prefix, v.get_ref(), out);
        prefix.pop();
    }
}

fn walk_value(prefix: &mut KeyPath, value: &DeValue<'_>, out: &mut HashMap<KeyPath, usize>) {
    match value {
        DeValue::Table(t) => walk_table(prefix, t, out),
        DeValue::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                prefix.push(Seg::Index(i));
                out.insert(prefix.clone(), v.span().start);
                walk_value(prefix, v.get_ref(), out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

/// Read a file as scenario text: it must exist, be UTF-8 text and not be empty.
pub fn read_text(path: &Path) -> Result<String, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ if path.is_dir() => "is a folder, not a scenario file".to_string(),
            _ => e.to_string(),
        };
        ScenarioError::in_file(path, format!("cannot read the scenario: {why}"))
    })?;
    text_from_bytes(path, bytes)
}

/// Check that bytes are usable scenario text.
pub fn text_from_bytes(path: &Path, bytes: Vec<u8>) -> Result<String, ScenarioError> {
    if bytes.contains(&0) {
        return Err(ScenarioError::in_file(
            path,
            "is not a text file (it contains binary data); a scenario is a UTF-8 TOML text file",
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        ScenarioError::in_file(
            path,
            format!(
                "is not UTF-8 text (invalid byte at offset {}); save the scenario as UTF-8",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let meaningful = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !meaningful {
        return Err(ScenarioError::in_file(
            path,
            "is empty: a scenario needs at least [simulation], [cohort], [states], [transitions] \
             and [arms] (see docs/scenario.md), or `extends = \"other.toml\"`",
        ));
    }
    Ok(text)
}

/// Parse one file's text into the raw schema, with located errors.
pub fn parse_raw(path: &Path, text: &str) -> Result<(RawScenario, toml::Table), ScenarioError> {
    let located = |e: toml::de::Error| ScenarioError {
        file: path.to_path_buf(),
        location: e.span().map(|s| Location::from_offset(text, s.start)),
        message: e
            .span()
            .and_then(|s| super::numbers::danish_number_hint(text, s.start))
            .unwrap_or_else(|| tidy_toml_message(e.message())),
    };
    let table: toml::Table = toml::from_str(text).map_err(located)?;
    open_values(path, text, &table)?;
    let raw: RawScenario = toml::from_str(text).map_err(located)?;
    Ok((raw, table))
}

/// How `ressim init` marks a value the planner must still decide: a text starting with this.
pub const OPEN_MARK: &str = "FILL IN";

/// Refuse a file that still holds values marked open by `ressim init`, naming every one.
fn open_values(path: &Path, text: &str, table: &toml::Table) -> Result<(), ScenarioError> {
    fn walk(prefix: &mut KeyPath, v: &toml::Value, out: &mut Vec<(KeyPath, String)>) {
        match v {
            toml::Value::String(s) if s.trim_start().starts_with(OPEN_MARK) => {
                out.push((prefix.clone(), s.clone()))
            }
            toml::Value::Table(t) => {
                for (k, v) in t {
                    prefix.push(Seg::Key(k.clone()));
                    walk(prefix, v, out);
                    prefix.pop();
                }
            }
            toml::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    prefix.push(Seg::Index(i));
                    walk(prefix, v, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }
    let mut open = Vec::new();
    walk(
        &mut Vec::new(),
        &toml::Value::Table(table.clone()),
        &mut open,
    );
    if open.is_empty() {
        return Ok(());
    }
    let written = written_paths(text);
    let at = |p: &KeyPath| written.get(p).map(|&o| Location::from_offset(text, o));
    let list = open
        .iter()
        .map(|(p, what)| {
            let line = at(p)
                .map(|l| format!("line {}: ", l.line))
                .unwrap_or_default();
            format!("  {line}`{}` = \"{what}\"", path_text(p))
        })
        .collect::<Vec<_>>()
        .join("\n");
    Err(ScenarioError {
        file: path.to_path_buf(),
        location: at(&open[0].0),
        message: format!(
            "{} value{} still to be filled in (marked \"{OPEN_MARK}\" by `ressim init`); write a number (or a list, or a text) in place of each:\n{list}",
            open.len(),
            if open.len() == 1 { " is" } else { "s are" }
        ),
    })
}

fn tidy_toml_message(m: &str) -> String {
    let m = m.trim();
    // serde's "expected one of" lists use backticks already; make the common case read well.
    if let Some(rest) = m.strip_prefix("unknown field ") {
        return format!("unknown key {rest}");
    }
    // Name Rust types the way a finance officer would.
    let mut m = m.to_string();
    for (rust, plain) in [
        ("expected i64", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list such as [1, 2, 3]"),
        ("expected a string", "expected text in quotes"),
        ("expected struct ", "expected a table "),
    ] {
        m = m.replace(rust, plain);
    }
    m
}

/// Where one file of an `extends` chain comes from.
#[derive(Debug, Clone)]
enum Link {
    /// A file on disk.
    Disk(PathBuf),
    /// A scenario shipped inside the binary.
    Shipped(&'static library::Shipped),
}

impl Link {
    /// The name the file carries in messages and the manifest.
    fn label(&self) -> PathBuf {
        match self {
            Link::Disk(p) => p.clone(),
            Link::Shipped(s) => PathBuf::from(shipped_label(s)),
        }
    }

    fn text(&self) -> Result<String, ScenarioError> {
        match self {
            Link::Disk(p) => read_text(p),
            Link::Shipped(s) => text_from_bytes(&self.label(), s.text.as_bytes().to_vec()),
        }
    }

    fn same(&self, other: &Link) -> bool {
        match (self, other) {
            (Link::Disk(a), Link::Disk(b)) => {
                let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
                canon(a) == canon(b)
            }
            (Link::Shipped(a), Link::Shipped(b)) => a.path == b.path,
            _ => false,
        }
    }
}

/// The label of a shipped scenario in messages, e.g. `scenarios/kbh-rehabiliteringshus.toml
/// (built in)`.
pub fn shipped_label(s: &library::Shipped) -> String {
    format!("{} (built in)", s.path)
}

/// The file that `extends = "reference"` in `from` names: a shipped scenario by its name alone
/// (no folder, no `.toml`), or a path relative to `from` (inside the library when `from` is
/// shipped).
fn resolve(from: &Link, reference: &str) -> Result<Link, String> {
    if library::is_name(reference) {
        return library::by_name(reference)
            .map(Link::Shipped)
            .ok_or_else(|| {
                format!(
                    "extends `{reference}`, but no scenario of that name is shipped with ressim \
                 (shipped: {}); a file is named by its path, ending in `.toml`",
                    library::names()
                )
            });
    }
    match from {
        Link::Disk(p) => {
            let next = p
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
                .join(reference);
            if next.exists() {
                Ok(Link::Disk(next))
            } else {
                Err(format!(
                    "extends `{reference}`, but {} does not exist (the path is relative to this \
                     file; a shipped scenario is named without folder and `.toml`, e.g. \
                     `extends = \"dk-ressourceforloeb\"`)",
                    next.display()
                ))
            }
        }
        Link::Shipped(s) => {
            let path = library::join(s.path, reference);
            library::by_path(&path).map(Link::Shipped).ok_or_else(|| {
                format!("extends `{reference}`, but {path} is not shipped with ressim")
            })
        }
    }
}

/// Load a scenario file and the files it extends; returns the merged raw scenario and the
/// sources (named file first).
pub fn load_chain(path: &Path) -> Result<(RawScenario, Sources), ScenarioError> {
    chain(Link::Disk(path.to_path_buf()), None)
}

/// Load a shipped scenario and the files it extends.
pub fn load_shipped(s: &'static library::Shipped) -> Result<(RawScenario, Sources), ScenarioError> {
    chain(Link::Shipped(s), None)
}

/// Load a scenario held in memory (e.g. from the browser); `label` names it in messages. It may
/// extend a shipped scenario by name (`extends = "kbh-rehabiliteringshus"`), not a file.
pub fn load_text(label: &Path, text: &str) -> Result<(RawScenario, Sources), ScenarioError> {
    let text = text_from_bytes(label, text.as_bytes().to_vec())?;
    chain(Link::Disk(label.to_path_buf()), Some(text))
}

/// Follow an `extends` chain from `first` (whose text is `first_text` when it is held in
/// memory) and merge it.
fn chain(first: Link, first_text: Option<String>) -> Result<(RawScenario, Sources), ScenarioError> {
    let in_memory = first_text.is_some();
    let top = first.label();
    let mut links: Vec<Link> = Vec::new();
    let mut files = Vec::new();
    let mut tables = Vec::new();
    let mut current = first;
    let mut pending_text = first_text;
    loop {
        let label = current.label();
        if files.len() >= 16 {
            return Err(ScenarioError::in_file(
                &top,
                "`extends` chain is longer than 16 files; is there a loop?",
            ));
        }
        if links.iter().any(|l| l.same(&current)) {
            return Err(ScenarioError::in_file(
                &label,
                "`extends` loops back to a file already in the chain",
            ));
        }
        let text = match pending_text.take() {
            Some(t) => t,
            None => current.text()?,
        };
        let (raw, table) = parse_raw(&label, &text)?;
        let next = raw.extends.clone();
        files.push(SourceFile {
            path: label.clone(),
            text,
        });
        tables.push(table);
        links.push(current.clone());
        let Some(reference) = next else { break };
        let resolved = if in_memory && links.len() == 1 && !library::is_name(&reference) {
            Err(format!(
                "a scenario given as text can only extend a shipped scenario by name (shipped: {})",
                library::names()
            ))
        } else {
            resolve(&current, &reference)
        };
        match resolved {
            Ok(next) => current = next,
            Err(message) => {
                let sources = Sources::new(files);
                let mut e = sources.error(&["extends".into()], message);
                e.file = label;
                return Err(e);
            }
        }
    }
    let sources = Sources::new(files);
    if tables.len() == 1 {
        let text = &sources.files[0].text;
        let (raw, _) = parse_raw(&sources.files[0].path, text)?;
        if raw.remove.is_some() {
            return Err(sources.error(
                &["remove".into()],
                "`remove` deletes parts of the scenario a variant extends, but this file has no `extends`",
            ));
        }
        return Ok((raw, sources));
    }
    // Merge from the last base towards the named file; each file's `remove` list applies to
    // what its bases make, before its own tables.
    let mut merged = toml::Table::new();
    let mut removed = Vec::new();
    for (fi, mut t) in tables.into_iter().enumerate().rev() {
        if let Some(list) = t.remove("remove") {
            let list: Vec<String> = list.try_into().map_err(|_| {
                sources.error(&["remove".into()], "`remove` is a list of paths in quotes")
            })?;
            removed.extend(super::remove::apply(&mut merged, &list, &sources, fi)?);
        }
        merge(&mut merged, t);
    }
    merged.remove("extends");
    if !removed.is_empty() {
        merged.insert("remove".into(), removed.into());
    }
    let raw: RawScenario = merged.try_into().map_err(|e: toml::de::Error| {
        ScenarioError::in_file(
            &top,
            format!("the merged scenario is not valid: {}", e.message()),
        )
    })?;
    Ok((raw, sources))
}

/// A table that is one parameter (it has `value` or `dist`) is replaced whole, not merged.
fn is_param_table(t: &toml::Table) -> bool {
    t.contains_key("value") || t.contains_key("dist")
}

/// Deep-merge `over` into `base`: tables merge key by key; parameters, arrays and plain values
/// replace what was there.
pub fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o))
                if !is_param_table(&o) && !is_param_table(b) =>
            {
                merge(b, o)
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_replaces_parameters_whole_and_merges_tables() {
        let mut base: toml::Table = toml::from_str(
            "[a]\nx = 1\ny = { dist = \"beta\", mean = 0.1, sd = 0.01 }\n[b]\nz = [1, 2]",
        )
        .unwrap();
        let over: toml::Table = toml::from_str("[a]\ny = { value = 0.2 }\n[b]\nz = [3]").unwrap();
        merge(&mut base, over);
        assert_eq!(base["a"]["x"].as_integer(), Some(1));
        let y = base["a"]["y"].as_table().unwrap();
        assert!(y.get("dist").is_none() && y["value"].as_float() == Some(0.2));
        assert_eq!(base["b"]["z"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn locate_finds_keys_values_and_prefixes() {
        let text = "[transitions.course.job]\nprob = 1.5\n[arms.control]\n";
        let s = Sources::new(vec![SourceFile {
            path: "s.toml".into(),
            text: text.into(),
        }]);
        let (_, loc) = s.locate(&[
            "transitions".into(),
            "course".into(),
            "job".into(),
            "prob".into(),
        ]);
        let loc = loc.unwrap();
        assert_eq!((loc.line, loc.column), (2, 8));
        let (_, loc) = s.locate(&["arms".into(), "control".into(), "missing".into()]);
        assert_eq!(loc.unwrap().line, 3);
    }

    #[test]
    fn file_of_names_the_first_file_that_writes_a_path() {
        let file = |path: &str, text: &str| SourceFile {
            path: path.into(),
            text: text.into(),
        };
        let s = Sources::new(vec![
            file("variant.toml", "[arms.t]\noffer_share = 1.0\n"),
            file(
                "base.toml",
                "[arms.t]\noffer_share = 0.5\nsource = \"s\"\n[x]\nsteps = [{ rate = 1 }]\n",
            ),
        ]);
        let path = |segs: &[Seg]| segs.to_vec();
        let arm = path(&["arms".into(), "t".into()]);
        assert_eq!(
            s.file_of(&[arm.clone(), vec!["offer_share".into()]].concat()),
            Some(0)
        );
        assert_eq!(
            s.file_of(&[arm.clone(), vec!["source".into()]].concat()),
            Some(1)
        );
        assert_eq!(s.file_of(&[arm, vec!["label_da".into()]].concat()), None);
        let rate = path(&["x".into(), "steps".into(), 0.into(), "rate".into()]);
        assert_eq!(s.file_of(&rate), Some(1));
        let (file, loc) = s.locate(&rate);
        assert_eq!(file, PathBuf::from("base.toml"));
        assert_eq!(loc.map(|l| (l.line, l.column)), Some((5, 19)));
    }

    #[test]
    fn empty_binary_and_non_utf8_are_refused() {
        let p = Path::new("x.toml");
        assert!(
            text_from_bytes(p, b"  \n# only a comment\n".to_vec())
                .unwrap_err()
                .message
                .contains("is empty")
        );
        assert!(
            text_from_bytes(p, vec![0, 1, 2])
                .unwrap_err()
                .message
                .contains("binary")
        );
        assert!(
            text_from_bytes(p, vec![b'a', 0xff])
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
    }
}
