//! Variants that remove: `remove = ["arms.treatment.services.consultants", "accounts.x"]` at
//! the top of a variant deletes those tables (or keys) of the scenario it extends, after its
//! bases are merged and before its own tables are. What is removed is gone from the scenario:
//! from `check`, the outputs and the report. A reference to it elsewhere is an error that says
//! it was removed.

use super::load::{Seg, Sources};
use crate::error::ScenarioError;

/// Remove each path of `file`'s `remove` list (file index `fi` in `sources`) from `merged`,
/// the scenario its bases make. Returns the removed paths.
pub fn apply(
    merged: &mut toml::Table,
    list: &[String],
    sources: &Sources,
    fi: usize,
) -> Result<Vec<String>, ScenarioError> {
    let mut done = Vec::new();
    for (k, text) in list.iter().enumerate() {
        let at = [Seg::Key("remove".into()), Seg::Index(k)];
        let located = |msg: String| {
            let mut e = sources.error(&at, msg);
            e.file = sources.files[fi].path.clone();
            e
        };
        let segs: Vec<&str> = text.split('.').collect();
        if text.trim().is_empty() || segs.iter().any(|s| s.is_empty()) {
            return Err(located(format!(
                "`remove` entry `{text}` is not a path; write e.g. \
                 \"arms.treatment.services.consultants\" or \"accounts.ordinary_mentor\""
            )));
        }
        let (last, parents) = segs.split_last().map_or(("", &[][..]), |(l, p)| (*l, p));
        let mut node = &mut *merged;
        let mut walked = Vec::new();
        for s in parents {
            walked.push(*s);
            node = match node.get_mut(*s).and_then(|v| v.as_table_mut()) {
                Some(t) => t,
                None => {
                    return Err(located(format!(
                        "`remove` names `{text}`, but the scenario it extends has no `{}`",
                        walked.join(".")
                    )));
                }
            };
        }
        if node.remove(last).is_none() {
            let known: Vec<String> = node.keys().map(|k| format!("`{k}`")).collect();
            return Err(located(format!(
                "`remove` names `{text}`, but the scenario it extends has no `{last}` there; \
                 known: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        done.push(text.clone());
    }
    Ok(done)
}

/// Add to each error that names a removed id in backticks that it was removed.
pub fn explain(errors: &mut [ScenarioError], removed: &[String]) {
    for e in errors.iter_mut() {
        for r in removed {
            let id = r.rsplit('.').next().unwrap_or(r);
            if e.message.contains(&format!("`{id}`")) && !e.message.contains("removed by") {
                e.message.push_str(&format!(
                    " (`{r}` was removed by the variant's `remove` list; remove this reference \
                     too, or keep `{id}`)"
                ));
            }
        }
    }
}
