//! `[sources.KEY]`: the register of sources, and the citations of it in every `source` text.

use super::*;
use crate::scenario::bibliography::{self, Reference};

/// The register as written, each entry complete; and every `[key]` a `source` text cites must
/// be in it.
pub(super) fn check_sources(c: &mut Checker, raw: &RawScenario) -> Vec<Reference> {
    let mut register = Vec::new();
    for (key, r) in raw.sources.iter().flatten() {
        let path = p(&["sources", key]);
        if !bibliography::is_key(key) || !key.chars().any(|ch| ch.is_ascii_lowercase()) {
            c.err(
                &path,
                format!(
                    "source key `{key}` may only hold lowercase letters a–z, digits and `-` \
                     (with at least one letter), so that a `source` text can cite it as [{key}]"
                ),
            );
            continue;
        }
        let missing: Vec<&str> = [
            (
                "author",
                r.author.as_deref().is_none_or(|s| s.trim().is_empty()),
            ),
            (
                "title",
                r.title.as_deref().is_none_or(|s| s.trim().is_empty()),
            ),
            ("year", r.year.is_none()),
        ]
        .into_iter()
        .filter_map(|(k, gone)| gone.then_some(k))
        .collect();
        if !missing.is_empty() {
            c.err(
                &path,
                format!(
                    "[sources.{key}] needs {} (an entry gives author or institution, title and \
                     year, and may give place and url)",
                    missing
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            continue;
        }
        let year = r.year.unwrap_or_default();
        if !(1800..=2100).contains(&year) {
            c.err(
                &with(&path, "year"),
                format!("year {year} is not a year of publication (1800–2100)"),
            );
        }
        if let Some(u) = r
            .url
            .as_ref()
            .filter(|u| !(u.starts_with("https://") || u.starts_with("http://")))
        {
            c.err(
                &with(&path, "url"),
                format!("url `{u}` must be a public address starting with https:// or http://"),
            );
        }
        register.push(Reference {
            key: key.clone(),
            author: r.author.clone().unwrap_or_default(),
            title: r.title.clone().unwrap_or_default(),
            year,
            place: r.place.clone().filter(|s| !s.trim().is_empty()),
            url: r.url.clone(),
        });
    }
    for (path, text) in c.sources.texts_at_key("source") {
        for key in bibliography::cited_keys(&text) {
            if raw.sources.as_ref().is_some_and(|s| s.contains_key(key)) {
                continue;
            }
            let declared: Vec<String> = raw
                .sources
                .iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .collect();
            let listed = if declared.len() > 12 {
                format!(
                    "{} and {} more",
                    known(declared[..12].iter().cloned()),
                    declared.len() - 12
                )
            } else {
                known(declared.into_iter())
            };
            c.err(
                &path,
                format!(
                    "the source cites [{key}], which is not in the register of sources \
                     (declared: {listed}); add [sources.{key}] with author, title, year, place \
                     and url, or write the reference out without square brackets"
                ),
            );
        }
    }
    register
}
