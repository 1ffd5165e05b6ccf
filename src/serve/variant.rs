//! Variants: a base scenario with some numbers changed, written as a TOML file that `extends`
//! the base and holds only the changed keys.
//!
//! A change is applied to the base's merged TOML table, never to the checked scenario, and the
//! variant is then read back the way `ressim run variant.toml` reads it: the same merge
//! ([`crate::scenario::load::merge`]) and the same validation
//! ([`crate::scenario::validate::validate`]), so the browser shows the same messages as the
//! command line and runs exactly what the downloaded file describes.

use super::catalog::Base;
use crate::scenario::Scenario;
use crate::scenario::load::{self, KeyPath, Seg, SourceFile, Sources};
use crate::scenario::raw::RawScenario;
use std::path::PathBuf;

/// The numeric fields a parameter table may hold (see `RawParam`).
pub const PARAM_FIELDS: [&str; 14] = [
    "value", "mean", "sd", "alpha", "beta", "shape", "scale", "meanlog", "sdlog", "min", "mode",
    "max", "p", "ci",
];

/// The name the variant file has in messages.
pub const VARIANT_LABEL: &str = "variant.toml";

/// A problem with one change (or with the variant as a whole when `key` is None).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldError {
    /// The changed key the problem is about, as the client sent it.
    pub key: Option<String>,
    /// What is wrong, in the words of the scenario validation.
    pub message: String,
}

/// A checked variant: its file text and the scenario it describes.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The TOML file: `extends` the base and only the changed keys.
    pub text: String,
    /// The checked scenario (base merged with the changes).
    pub scenario: Scenario,
    /// The keys that differ from the base, as the client sent them.
    pub changed: Vec<String>,
}

/// What a variant of `base` writes in `extends`. One small function, so that it can follow
/// how shipped scenarios are named: a file in the served folder is named by its file name
/// (the variant is meant to be saved next to it); a shipped scenario by its name, which
/// `extends` resolves inside the binary from any folder.
pub fn extends_value(base: &Base) -> String {
    base.id.clone()
}

/// Parse a key such as `arms.treatment.services.mentors.fte` or `x.by_duration[1].hr`.
pub fn parse_key(key: &str) -> Result<KeyPath, String> {
    let bad = || {
        format!(
            "`{key}` is not a parameter key; keys look like `arms.treatment.services.mentors.fte` \
             or `transitions.course.pension.prob.mean`"
        )
    };
    if key.is_empty() || key.len() > 300 {
        return Err(bad());
    }
    let mut out = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(bad());
        }
        out.push(Seg::Key(name.to_string()));
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            let n: usize = rest[1..close].parse().map_err(|_| bad())?;
            out.push(Seg::Index(n));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad());
            }
        }
    }
    Ok(out)
}

/// A table that is one parameter (it has `value` or `dist`).
fn is_param_table(t: &toml::Table) -> bool {
    t.contains_key("value") || t.contains_key("dist")
}

fn number(old: Option<&toml::Value>, v: f64) -> toml::Value {
    let whole = v.fract() == 0.0 && v.abs() < 9.0e15;
    match old {
        Some(toml::Value::Integer(_)) if whole => toml::Value::Integer(v as i64),
        _ => toml::Value::Float(v),
    }
}

/// Apply `key = value` to `table`; returns the key path the variant must write (the
/// parameter, or the array that holds it, since arrays and parameters replace whole).
fn apply(table: &mut toml::Table, key: &str, value: f64) -> Result<KeyPath, String> {
    let segs = parse_key(key)?;
    let unknown = |upto: usize| {
        format!(
            "unknown parameter `{key}`: the scenario has no `{}`",
            load::path_text(&segs[..upto])
        )
    };
    let not_number =
        || format!("`{key}` is not a number in the scenario, so it cannot be changed here");
    // The root: up to (not into) the first array, else the parameter itself.
    let mut root: Option<usize> = None;
    let mut node: &mut toml::Value = match segs.first() {
        Some(Seg::Key(k)) => table.get_mut(k).ok_or_else(|| unknown(1))?,
        _ => return Err(unknown(1)),
    };
    let mut i = 1;
    loop {
        let at_end = i == segs.len();
        match node {
            toml::Value::Integer(_) | toml::Value::Float(_) => {
                // A plain number: the key names it, or its `value`.
                let rest = &segs[i..];
                if !(rest.is_empty() || rest == [Seg::Key("value".into())]) {
                    return Err(unknown(i + 1));
                }
                let old = node.clone();
                *node = number(Some(&old), value);
                return Ok(segs[..root.unwrap_or(i)].to_vec());
            }
            toml::Value::Table(t) if is_param_table(t) => {
                let root_len = root.unwrap_or(i);
                if at_end {
                    return Err(format!(
                        "`{key}` is a parameter with a distribution; change one of its fields, e.g. `{key}.value` or `{key}.mean`"
                    ));
                }
                let Seg::Key(field) = &segs[i] else {
                    return Err(unknown(i + 1));
                };
                if i + 1 != segs.len() || !PARAM_FIELDS.contains(&field.as_str()) {
                    return Err(format!(
                        "`{key}`: a parameter has the numeric fields {}",
                        PARAM_FIELDS.join(", ")
                    ));
                }
                if field == "ci" {
                    return Err(format!(
                        "`{key}` is an interval [low, high]; change its own value in the file"
                    ));
                }
                let old = t.get(field).cloned();
                t.insert(field.clone(), number(old.as_ref(), value));
                return Ok(segs[..root_len].to_vec());
            }
            _ if at_end => return Err(not_number()),
            toml::Value::Table(t) => {
                let Seg::Key(k) = &segs[i] else {
                    return Err(unknown(i + 1));
                };
                node = t.get_mut(k).ok_or_else(|| unknown(i + 1))?;
            }
            toml::Value::Array(a) => {
                let Seg::Index(n) = &segs[i] else {
                    return Err(unknown(i + 1));
                };
                root.get_or_insert(i);
                node = a.get_mut(*n).ok_or_else(|| unknown(i + 1))?;
            }
            _ => return Err(not_number()),
        }
        i += 1;
    }
}

/// The value at `path` in `table` (None where the path leads nowhere): the one walk of a
/// parameter path through a scenario's TOML, for the variant and the page's parameter list.
pub(super) fn value_at<'a>(table: &'a toml::Table, path: &[Seg]) -> Option<&'a toml::Value> {
    let (Seg::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut node = table.get(first)?;
    for seg in rest {
        node = match (node, seg) {
            (toml::Value::Table(t), Seg::Key(k)) => t.get(k)?,
            (toml::Value::Array(a), Seg::Index(n)) => a.get(*n)?,
            _ => return None,
        };
    }
    Some(node)
}

fn insert(table: &mut toml::Table, path: &[Seg], value: toml::Value) {
    let Some((Seg::Key(last), parents)) = path.split_last() else {
        return;
    };
    let mut t = table;
    for seg in parents {
        let Seg::Key(k) = seg else { return };
        let entry = t
            .entry(k.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        let toml::Value::Table(next) = entry else {
            return;
        };
        t = next;
    }
    t.insert(last.clone(), value);
}

/// Build and check the variant of `base` with `changes` (key, value), in the order given.
pub fn build(base: &Base, changes: &[(String, f64)]) -> Result<Variant, Vec<FieldError>> {
    let mut modified = base.merged.clone();
    let mut roots: Vec<(KeyPath, Vec<String>)> = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in changes {
        if !value.is_finite() {
            errors.push(FieldError {
                key: Some(key.clone()),
                message: format!("`{key}` must be a finite number"),
            });
            continue;
        }
        match apply(&mut modified, key, *value) {
            Ok(root) => match roots.iter_mut().find(|(r, _)| *r == root) {
                Some((_, keys)) => keys.push(key.clone()),
                None => roots.push((root, vec![key.clone()])),
            },
            Err(message) => errors.push(FieldError {
                key: Some(key.clone()),
                message,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Only what differs from the base goes into the file.
    let mut overlay = toml::Table::new();
    let mut changed = Vec::new();
    roots.retain(|(root, keys)| {
        let now = value_at(&modified, root);
        if now == value_at(&base.merged, root) {
            return false;
        }
        if let Some(v) = now {
            insert(&mut overlay, root, v.clone());
        }
        changed.extend(keys.iter().cloned());
        true
    });
    let body = toml::to_string(&overlay).map_err(|e| {
        vec![FieldError {
            key: None,
            message: format!("cannot write the variant: {e}"),
        }]
    })?;
    let extends = extends_value(base);
    let mut text = format!(
        "# A variant of {} made in `ressim serve`: only the changed keys; the rest comes from\n\
         # the file it extends (the path is relative to this file).\n",
        base.scenario.name
    );
    if base.shipped {
        text.push_str("# Run it with `ressim run <this file>` from any folder.\n");
    } else {
        text.push_str(&format!(
            "# Save it next to {} and run `ressim run <this file>`.\n",
            base.id
        ));
    }
    text.push_str(&format!(
        "extends = {}\n",
        toml::Value::String(extends.clone())
    ));
    if !body.is_empty() {
        text.push('\n');
        text.push_str(&body);
    }
    let scenario = check(base, &text, &roots)?;
    Ok(Variant {
        text,
        scenario,
        changed,
    })
}

/// Read the variant back as `ressim run` would: parse, merge onto the base, validate; errors
/// located in the variant are given to the change written at that place.
fn check(
    base: &Base,
    text: &str,
    roots: &[(KeyPath, Vec<String>)],
) -> Result<Scenario, Vec<FieldError>> {
    let label = PathBuf::from(VARIANT_LABEL);
    let whole = |message: String| vec![FieldError { key: None, message }];
    let (_, own) = load::parse_raw(&label, text).map_err(|e| whole(e.to_string()))?;
    let mut merged = base.merged.clone();
    load::merge(&mut merged, own);
    merged.remove("extends");
    let raw: RawScenario = merged.try_into().map_err(|e: toml::de::Error| {
        whole(format!(
            "the merged scenario is not valid: {}",
            e.message().trim()
        ))
    })?;
    let mut files = vec![SourceFile {
        path: label.clone(),
        text: text.to_string(),
    }];
    files.extend(base.sources.iter().cloned());
    let sources = Sources::new(files);
    crate::scenario::validate::validate(&raw, &sources).map_err(|errs| {
        // Where each changed root is written in the variant.
        let own = Sources::new(vec![SourceFile {
            path: label.clone(),
            text: text.to_string(),
        }]);
        let lines: Vec<(usize, &Vec<String>)> = roots
            .iter()
            .filter_map(|(root, keys)| Some((own.locate(root).1?.line, keys)))
            .collect();
        let mut out = Vec::new();
        for e in errs {
            let keys = match (&e.location, e.file == label) {
                (Some(loc), true) => lines
                    .iter()
                    .filter(|(l, _)| *l <= loc.line)
                    .max_by_key(|(l, _)| *l)
                    .map(|(_, k)| (*k).clone()),
                _ => None,
            };
            match keys {
                Some(keys) => out.extend(keys.into_iter().map(|k| FieldError {
                    key: Some(k),
                    message: e.message.clone(),
                })),
                None => out.push(FieldError {
                    key: None,
                    message: e.to_string(),
                }),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_with_indices_and_refuse_junk() {
        assert_eq!(
            parse_key("a.b[2].c").unwrap(),
            vec![
                Seg::Key("a".into()),
                Seg::Key("b".into()),
                Seg::Index(2),
                Seg::Key("c".into())
            ]
        );
        for bad in ["", "a..b", "a.b[x]", "a.b[1", "../etc", "a/b"] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_staff_change_writes_only_that_key_and_validates() {
        let base = Base::shipped().unwrap();
        let v = build(
            &base,
            &[("arms.treatment.services.mentors.fte.value".into(), 15.0)],
        )
        .unwrap();
        assert!(v.text.contains("extends = \"kbh-rehabiliteringshus\""));
        assert!(
            v.text
                .contains("[arms.treatment.services.mentors.fte]\nvalue = 15\n"),
            "{}",
            v.text
        );
        assert_eq!(v.changed, vec!["arms.treatment.services.mentors.fte.value"]);
        // The same scenario as --staff mentors=15.
        let mut cli = crate::scenario::load_default().unwrap();
        cli.set_staff("mentors", 15.0).unwrap();
        let a: Vec<String> = v
            .scenario
            .params
            .iter()
            .map(|p| p.param.describe())
            .collect();
        let b: Vec<String> = cli.params.iter().map(|p| p.param.describe()).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn the_base_value_is_no_change_and_bad_values_get_the_validation_message() {
        let base = Base::shipped().unwrap();
        let v = build(&base, &[("simulation.horizon.value".into(), 300.0)]).unwrap();
        assert!(v.changed.is_empty());
        let e = build(
            &base,
            &[("transitions.course.pension.prob.mean".into(), 1.5)],
        )
        .unwrap_err();
        assert_eq!(
            e[0].key.as_deref(),
            Some("transitions.course.pension.prob.mean")
        );
        let e = build(&base, &[("nope.x".into(), 1.0)]).unwrap_err();
        assert!(e[0].message.contains("unknown parameter"), "{e:?}");
        let e = build(&base, &[("scenario.name".into(), 1.0)]).unwrap_err();
        assert!(e[0].message.contains("not a number"), "{e:?}");
    }
}
