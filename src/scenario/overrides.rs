//! Command-line changes to a scenario (`--staff`, `--effect-scale`, `--no-psa`, `--seed`,
//! `--replications`): applied before anything is computed or written, recorded in
//! manifest.json and the report, and named in the default output folder so that a changed
//! run never writes into the unchanged scenario's folder.

use super::Scenario;
use super::param::{Param, fmt_num};

/// One change made on the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What changed, as a key: `staff.<service>`, `effect_scale`, `psa`, `seed`,
    /// `replications`.
    pub key: String,
    /// What changed, in Danish ("Mentorer …").
    pub label_da: String,
    /// What changed, in English.
    pub label_en: String,
    /// The value used in the run.
    pub value: String,
    /// The scenario's own value.
    pub scenario_value: String,
    /// The unit after the value, if any ("FTE").
    pub unit: String,
    /// Folder-name part, e.g. `mentors-15`.
    pub slug: String,
    /// Whether it changes what is modelled (staff, effects, fixed parameters) and so names
    /// the default folder; a different seed or number of replications estimates the same
    /// scenario and is only recorded.
    pub changes_model: bool,
}

impl Change {
    /// "Mentorer 15 FTE (scenariet: 20)" / "Mentors 15 FTE (scenario: 20)".
    pub fn text(&self, danish: bool) -> String {
        if self.key == "psa" {
            return if danish {
                "Usikre parametre faste på deres centrale værdier (scenariet: trukket pr. replikation)".into()
            } else {
                "Uncertain parameters fixed at their central values (scenario: drawn per replication)".into()
            };
        }
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", self.unit)
        };
        if danish {
            format!(
                "{} {}{unit} (scenariet: {})",
                self.label_da, self.value, self.scenario_value
            )
        } else {
            format!(
                "{} {}{unit} (scenario: {})",
                self.label_en, self.value, self.scenario_value
            )
        }
    }
}

/// Set the FTE of service `id` in every compared arm and return the change (None when the
/// value equals the scenario's fixed value).
pub fn staff(sc: &mut Scenario, id: &str, fte: f64) -> Result<Option<Change>, String> {
    let before = sc.arms[1..]
        .iter()
        .flat_map(|a| a.services.iter())
        .find(|s| s.id == id)
        .map(|s| {
            (
                sc.params[s.fte].param.clone(),
                s.label_da.clone(),
                s.label_en.clone(),
            )
        });
    sc.set_staff(id, fte)?;
    let Some((old, label_da, label_en)) = before else {
        return Ok(None);
    };
    if !old.is_uncertain() && old.central() == fte {
        return Ok(None);
    }
    Ok(Some(Change {
        key: format!("staff.{id}"),
        label_da,
        label_en,
        value: fmt_num(fte),
        scenario_value: describe(&old),
        unit: "FTE".into(),
        slug: format!("{}-{}", slug(id), slug(&fmt_num(fte))),
        changes_model: true,
    }))
}

fn describe(p: &Param) -> String {
    if p.is_uncertain() {
        p.describe()
    } else {
        fmt_num(p.central())
    }
}

/// A change of a run option (effect scale, PSA, seed, replications); None when equal.
pub fn option(key: &str, value: String, scenario_value: String) -> Option<Change> {
    if value == scenario_value {
        return None;
    }
    let (label_da, label_en, slug_text) = match key {
        "effect_scale" => (
            "Virkningernes skala",
            "Effect scale",
            format!("effect-{}", slug(&value)),
        ),
        "psa" => (
            "Usikre parametre trukket pr. replikation",
            "Uncertain parameters drawn per replication",
            "no-psa".to_string(),
        ),
        "seed" => ("Frø", "Seed", format!("seed-{}", slug(&value))),
        "replications" => (
            "Replikationer",
            "Replications",
            format!("replications-{}", slug(&value)),
        ),
        other => (other, other, format!("{}-{}", slug(other), slug(&value))),
    };
    Some(Change {
        key: key.into(),
        label_da: label_da.into(),
        label_en: label_en.into(),
        value,
        scenario_value,
        unit: String::new(),
        slug: slug_text,
        changes_model: !matches!(key, "seed" | "replications"),
    })
}

/// The default output folder name: the scenario's name, then the slug of each change to what
/// is modelled.
pub fn folder_name(name: &str, changes: &[Change]) -> String {
    let mut s = name.to_string();
    for c in changes.iter().filter(|c| c.changes_model) {
        s.push('.');
        s.push_str(&c.slug);
    }
    s
}

/// A file-name-safe form: letters, digits, `-`, `_` and `.` kept, others as `-`.
fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staff_change_is_named_and_described() {
        let mut sc = crate::scenario::load_default().unwrap();
        let c = staff(&mut sc, "mentors", 15.0).unwrap().unwrap();
        assert_eq!(c.scenario_value, "20");
        assert!(
            c.text(true).ends_with("15 FTE (scenariet: 20)"),
            "{}",
            c.text(true)
        );
        assert_eq!(folder_name("x", &[c]), "x.mentors-15");
        // The scenario's own value is no change.
        let mut sc = crate::scenario::load_default().unwrap();
        assert_eq!(staff(&mut sc, "mentors", 20.0).unwrap(), None);
        assert!(option("seed", "1".into(), "1".into()).is_none());
        assert_eq!(
            option("effect_scale", "0.5".into(), "1".into())
                .unwrap()
                .slug,
            "effect-0.5"
        );
    }
}
