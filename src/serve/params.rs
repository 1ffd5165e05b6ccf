//! A scenario's assumptions for the page: every registered parameter (and the time keys
//! horizon, replications and seed) with its label, value as written, distribution and source,
//! grouped as the scenario file groups them.

use super::catalog::Base;
use super::variant::{PARAM_FIELDS, value_at};
use crate::scenario::load::Seg;
use serde_json::{Value, json};

/// The groups, in the order the page shows them: (id, Danish, English).
pub const GROUPS: [(&str, &str, &str); 7] = [
    ("staffing", "Bemanding", "Staffing"),
    ("effects", "Virkninger", "Effects"),
    ("prices", "Priser og beløb", "Prices and amounts"),
    ("transitions", "Overgange", "Transitions"),
    ("cohort", "Kohorte", "Cohort"),
    ("time", "Tid", "Time"),
    ("other", "Andet", "Other"),
];

/// The group of a parameter path.
pub fn group_of(path: &str) -> &'static str {
    let last = path.rsplit('.').next().unwrap_or("");
    if path.starts_with("simulation.") {
        "time"
    } else if path.starts_with("cohort.") {
        "cohort"
    } else if path.contains(".services.")
        && matches!(last, "fte" | "target_caseload" | "capacity_per_fte")
    {
        "staffing"
    } else if path.contains(".effects.") || path.contains(".housing_effects.") {
        "effects"
    } else if path.starts_with("accounts.")
        || path.starts_with("refusion")
        || path.contains(".costs.")
        || path.contains(".accounts.")
        || last == "cost_per_fte_year"
    {
        "prices"
    } else if path.starts_with("transitions.")
        || path.starts_with("housing.")
        || path.starts_with("states.")
        || path.starts_with("mortality")
    {
        "transitions"
    } else {
        "other"
    }
}

fn label_of(t: &toml::Table, section: &str, id: &str, lang: &str) -> Option<String> {
    t.get(section)?
        .as_table()?
        .get(id)?
        .as_table()?
        .get(&format!("label_{lang}"))?
        .as_str()
        .map(str::to_string)
}

/// A label for a parameter path in `lang` ("da" or "en"): the nearest labelled table it is
/// written in and the rest of the path, with state ids given by their labels.
pub fn label(merged: &toml::Table, segs: &[Seg], lang: &str) -> String {
    let state = |id: &str| {
        label_of(merged, "states", id, lang)
            .or_else(|| {
                merged
                    .get("housing")
                    .and_then(|h| h.as_table())
                    .and_then(|h| label_of(h, "levels", id, lang))
            })
            .unwrap_or_else(|| id.to_string())
    };
    let keys: Vec<String> = segs
        .iter()
        .map(|s| match s {
            Seg::Key(k) => k.clone(),
            Seg::Index(i) => format!("[{i}]"),
        })
        .collect();
    // Transitions: "from → to".
    let tr = match keys.first().map(String::as_str) {
        Some("transitions") => Some(1),
        Some("housing") if keys.get(1).map(String::as_str) == Some("transitions") => Some(2),
        _ => None,
    };
    if let Some(i) = tr
        && keys.len() > i + 1
    {
        let mut s = format!("{} → {}", state(&keys[i]), state(&keys[i + 1]));
        let rest: Vec<&str> = keys[i + 2..]
            .iter()
            .map(String::as_str)
            .filter(|k| *k != "prob")
            .collect();
        if !rest.is_empty() {
            s.push_str(&format!(" ({})", rest.join(".")));
        }
        return s;
    }
    // The deepest labelled table along the path.
    let mut best: Option<(usize, String)> = None;
    for depth in 1..segs.len() {
        if let Some(toml::Value::Table(t)) = value_at(merged, &segs[..depth])
            && let Some(l) = t.get(&format!("label_{lang}")).and_then(|v| v.as_str())
        {
            best = Some((depth, l.to_string()));
        }
    }
    let (depth, head) = best.unwrap_or((0, String::new()));
    let rest: Vec<String> = keys[depth..]
        .iter()
        .map(|k| {
            if label_of(merged, "states", k, lang).is_some() {
                state(k)
            } else {
                k.clone()
            }
        })
        .collect();
    match (head.is_empty(), rest.is_empty()) {
        (true, _) => rest.join(" · "),
        (false, true) => head,
        (false, false) => format!("{head} · {}", rest.join(" · ")),
    }
}

/// The numeric fields written for a parameter node: a plain number is its `value`.
fn fields(n: Option<&toml::Value>) -> (String, Vec<(String, f64)>) {
    match n {
        Some(toml::Value::Integer(i)) => ("fixed".into(), vec![("value".into(), *i as f64)]),
        Some(toml::Value::Float(f)) => ("fixed".into(), vec![("value".into(), *f)]),
        Some(toml::Value::Table(t)) => {
            let dist = t
                .get("dist")
                .and_then(|d| d.as_str())
                .unwrap_or("fixed")
                .to_string();
            let f = PARAM_FIELDS
                .iter()
                .filter_map(|k| {
                    let v = t.get(*k)?;
                    let x = v.as_float().or_else(|| v.as_integer().map(|i| i as f64))?;
                    Some((k.to_string(), x))
                })
                .collect();
            (dist, f)
        }
        _ => ("fixed".into(), vec![]),
    }
}

/// The parameters of a base scenario, grouped, for `GET /api/scenario`.
pub fn describe(base: &Base) -> Value {
    let sc = &base.scenario;
    let mut items: Vec<(String, Value)> = Vec::new();
    let mut push = |path: &str, source: Option<&str>, describe: String, central: f64| {
        let Ok(segs) = super::variant::parse_key(path) else {
            return;
        };
        let n = value_at(&base.merged, &segs);
        let (dist, f) = fields(n);
        if f.is_empty() {
            return;
        }
        let group = group_of(path);
        items.push((
            group.to_string(),
            json!({
                "key": path,
                "group": group,
                "label": {"da": label(&base.merged, &segs, "da"), "en": label(&base.merged, &segs, "en")},
                "dist": dist,
                "fields": f.iter().map(|(k, v)| json!({"field": k, "value": v})).collect::<Vec<_>>(),
                "describe": describe,
                "central": central,
                "source": source,
                "whole": matches!(n, Some(toml::Value::Integer(_))),
            }),
        ));
    };
    for p in &sc.params {
        push(
            &p.path,
            p.param.source.as_deref(),
            p.param.describe(),
            p.param.central(),
        );
    }
    for (k, v) in [
        ("simulation.horizon", sc.sim.horizon as f64),
        ("simulation.replications", sc.sim.replications as f64),
        ("simulation.seed", sc.sim.seed as f64),
    ] {
        push(k, None, crate::scenario::param::fmt_num(v), v);
    }
    let groups: Vec<Value> = GROUPS
        .iter()
        .filter_map(|(id, da, en)| {
            let params: Vec<&Value> = items
                .iter()
                .filter(|(g, _)| g == id)
                .map(|(_, v)| v)
                .collect();
            (!params.is_empty())
                .then(|| json!({"id": id, "label": {"da": da, "en": en}, "params": params}))
        })
        .collect();
    json!({
        "id": base.id,
        "name": sc.name,
        "title": {"da": sc.title_da, "en": sc.title_en},
        "shipped": base.shipped,
        "replications": sc.sim.replications,
        "seed": sc.sim.seed,
        "horizon_months": sc.sim.horizon_months(),
        "groups": groups,
    })
}
