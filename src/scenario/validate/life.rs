//! The life course: ageing attributes, `[mortality]` with its life table, the states'
//! `mortality_hr` and `at_age` moves.

use super::*;
use crate::scenario::lifetable::{self, LifeTable};

/// Check the life-course keys of a scenario (all optional).
pub(super) fn check_life(
    c: &mut Checker,
    raw: &RawScenario,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Life {
    let ageing: Vec<usize> = (0..attributes.len())
        .filter(|&a| attributes[a].ageing)
        .collect();
    let course = &chains[COURSE];
    let mut mortality = raw
        .mortality
        .as_ref()
        .and_then(|m| check_mortality(c, m, chains, attributes));
    let mut at_age = vec![None; course.states.len()];
    if let Some(levels) = raw.housing.as_ref().and_then(|h| h.levels.as_ref()) {
        for (id, s) in levels {
            for (key, set) in [
                ("mortality_hr", s.mortality_hr.is_some()),
                ("at_age", s.at_age.is_some()),
            ] {
                if set {
                    c.err(
                        &p(&["housing", "levels", id, key]),
                        format!("`{key}` is a key of course states, not of housing levels"),
                    );
                }
            }
        }
    }
    let Some(states) = raw.states.as_ref() else {
        return Life {
            ageing,
            mortality,
            at_age,
        };
    };
    let default_age = mortality
        .as_ref()
        .map(|m| m.age_attribute)
        .or_else(|| (ageing.len() == 1).then(|| ageing[0]));
    for (i, (id, s)) in states.iter().enumerate() {
        let path = p(&["states", id]);
        if i >= course.states.len() {
            break;
        }
        if let Some(spec) = &s.mortality_hr {
            let hp = with(&path, "mortality_hr");
            let hr = c.param(&hp, spec, ParamKind::HazardRatio, s.source.as_ref());
            match mortality.as_mut() {
                None => c.err(
                    &hp,
                    "`mortality_hr` multiplies the death rate of the life table: it needs a \
                     [mortality] section",
                ),
                Some(m) if m.death_state == i => {
                    c.err(&hp, format!("`{id}` is the death state; nobody dies there"))
                }
                Some(m) => m.state_hr[i] = Some(hr),
            }
        }
        if let Some(a) = &s.at_age {
            at_age[i] = check_at_age(
                c,
                &with(&path, "at_age"),
                a,
                i,
                course,
                attributes,
                default_age,
            );
            if mortality.as_ref().is_some_and(|m| m.death_state == i) {
                c.err(
                    &with(&path, "at_age"),
                    format!("`{id}` is the death state; nobody leaves it"),
                );
            }
        }
    }
    Life {
        ageing,
        mortality,
        at_age,
    }
}

fn check_at_age(
    c: &mut Checker,
    ap: &[Seg],
    a: &RawAtAge,
    from: usize,
    course: &Chain,
    attributes: &[Attribute],
    default_age: Option<usize>,
) -> Option<AtAge> {
    let attribute = match &a.attribute {
        Some(id) => match attributes.iter().position(|x| &x.id == id) {
            Some(k) if attributes[k].ageing => Some(k),
            Some(_) => {
                c.err(
                    &with(ap, "attribute"),
                    format!(
                        "attribute `{id}` does not age; give it `ageing = true` under \
                         [cohort.attributes.{id}]"
                    ),
                );
                None
            }
            None => {
                c.err(
                    &with(ap, "attribute"),
                    format!(
                        "unknown attribute `{id}`; known: {}",
                        known(attributes.iter().map(|a| a.id.clone()))
                    ),
                );
                None
            }
        },
        None if default_age.is_none() => {
            c.err(
                ap,
                "`at_age` reads an ageing attribute: give `attribute = \"age\"`, or declare \
                 exactly one attribute with `ageing = true` (or name it in [mortality] \
                 age_attribute)",
            );
            None
        }
        None => default_age,
    };
    let age = match a.age {
        Some(x) if x.is_finite() && (0.0..=150.0).contains(&x) => Some(x),
        Some(x) => {
            c.err(
                &with(ap, "age"),
                format!("`age` must be an age in years between 0 and 150, got {x}"),
            );
            None
        }
        None => {
            c.err(
                ap,
                "`at_age` needs `age`, e.g. { age = 67, to = \"old_age_pension\" }",
            );
            None
        }
    };
    let to = match &a.to {
        Some(id) => match course.index(id) {
            Some(t) if t == from => {
                c.err(
                    &with(ap, "to"),
                    format!("`at_age` cannot lead `{id}` to itself"),
                );
                None
            }
            Some(t) => Some(t),
            None => {
                c.err(
                    &with(ap, "to"),
                    format!(
                        "unknown course state `{id}`; known: {}",
                        known(course.states.iter().map(|s| s.id.clone()))
                    ),
                );
                None
            }
        },
        None => {
            c.err(
                ap,
                "`at_age` needs `to`: the course state citizens move to at that age",
            );
            None
        }
    };
    Some(AtAge {
        attribute: attribute?,
        age: age?,
        to: to?,
    })
}

fn check_mortality(
    c: &mut Checker,
    m: &RawMortality,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Option<Mortality> {
    let base = p(&["mortality"]);
    let course = &chains[COURSE];
    let table = read_table(c, m)?;
    let attr = |c: &mut Checker, key: &str, v: Option<&String>| -> Option<usize> {
        let id = v?;
        let k = attributes.iter().position(|a| &a.id == id);
        if k.is_none() {
            c.err(
                &with(&base, key),
                format!(
                    "unknown attribute `{id}`; known: {}",
                    known(attributes.iter().map(|a| a.id.clone()))
                ),
            );
        }
        k
    };
    if m.age_attribute.is_none() {
        c.err(
            &base,
            "[mortality] needs `age_attribute`: the attribute that is the citizen's age in years",
        );
    }
    let age = attr(c, "age_attribute", m.age_attribute.as_ref());
    let last = table.last_age() as f64;
    if let Some(a) = age {
        let at = attributes[a].clone();
        let (lo, hi) = at.dist.support();
        if !at.ageing {
            c.err(
                &with(&base, "age_attribute"),
                format!(
                    "attribute `{}` must age to be read as an age: add `ageing = true` under \
                     [cohort.attributes.{}]",
                    at.id, at.id
                ),
            );
        } else if !(lo >= table.first_age as f64 && hi <= last) {
            c.err(
                &p(&["cohort", "attributes", &at.id]),
                format!(
                    "ages at entry must lie within the life table's ages {}–{}, but `{}` is {} \
                     (from {} to {}); give it `min` and `max`",
                    table.first_age,
                    table.last_age(),
                    at.id,
                    at.dist.describe(),
                    fmt_num(lo),
                    fmt_num(hi)
                ),
            );
        }
    }
    let sex = attr(c, "sex_attribute", m.sex_attribute.as_ref());
    match (table.female.is_some(), sex) {
        (true, None) if m.sex_attribute.is_none() => c.err(
            &base,
            "the life table is by sex: give `sex_attribute`, an attribute that is 1 for women \
             and 0 for men (e.g. { dist = \"bernoulli\", p = 0.5 })",
        ),
        (false, Some(_)) => c.err(
            &with(&base, "sex_attribute"),
            "the life table has one `qx` column for both sexes; remove `sex_attribute` or use a \
             table with `qx_male,qx_female`",
        ),
        (true, Some(s)) => {
            let (lo, hi) = attributes[s].dist.support();
            if !(lo >= 0.0 && hi <= 1.0) {
                c.err(
                    &with(&base, "sex_attribute"),
                    format!(
                        "`{}` must be 1 for women and 0 for men (e.g. bernoulli), but it can be \
                         {} to {}",
                        attributes[s].id,
                        fmt_num(lo),
                        fmt_num(hi)
                    ),
                );
            }
        }
        _ => {}
    }
    let death = match &m.death_state {
        None => {
            c.err(
                &base,
                "[mortality] needs `death_state`: the absorbing course state citizens who die \
                 move to, e.g. death_state = \"dead\"",
            );
            None
        }
        Some(id) => match course.index(id) {
            Some(d) if course.states[d].absorbing => Some(d),
            Some(_) => {
                c.err(
                    &with(&base, "death_state"),
                    format!("the death state `{id}` must be absorbing: add `absorbing = true`"),
                );
                None
            }
            None => {
                c.err(
                    &with(&base, "death_state"),
                    format!(
                        "unknown course state `{id}`; known: {}",
                        known(course.states.iter().map(|s| s.id.clone()))
                    ),
                );
                None
            }
        },
    };
    let source = m.source.clone().or_else(|| {
        (m.table.is_none() || m.table.as_deref() == Some("builtin"))
            .then(|| lifetable::BUILTIN_SOURCE.to_string())
    });
    Some(Mortality {
        table,
        age_attribute: age?,
        sex_attribute: sex,
        death_state: death?,
        state_hr: vec![None; course.states.len()],
        source,
    })
}

/// The life table named by `table` (a CSV path relative to the file that writes the key), or
/// the built-in table.
fn read_table(c: &mut Checker, m: &RawMortality) -> Option<LifeTable> {
    let key = p(&["mortality", "table"]);
    let result = match m.table.as_deref() {
        None | Some("builtin") => lifetable::builtin(),
        Some(rel) => {
            let dir = c
                .sources
                .file_of(&key)
                .and_then(|fi| c.sources.files[fi].path.parent().map(|d| d.to_path_buf()))
                .unwrap_or_default();
            let path = dir.join(rel);
            match std::fs::read_to_string(&path) {
                Ok(text) => lifetable::parse(&path, &path.display().to_string(), &text),
                Err(e) => {
                    c.err(
                        &key,
                        format!(
                            "cannot read the life table {}: {} (the path is relative to the \
                             scenario file; use \"builtin\" for the shipped table)",
                            path.display(),
                            if e.kind() == std::io::ErrorKind::NotFound {
                                "no such file".to_string()
                            } else {
                                e.to_string()
                            }
                        ),
                    );
                    return None;
                }
            }
        }
    };
    match result {
        Ok(t) => Some(t),
        Err(e) => {
            c.errors.push(e);
            None
        }
    }
}
