//! The `[cohort]` section: attributes and the cohort itself.

use super::*;

pub(super) fn check_attributes(c: &mut Checker, cohort: &RawCohort) -> Vec<Attribute> {
    let mut out = Vec::new();
    if let Some(map) = &cohort.attributes {
        for (id, spec) in map {
            let path = p(&["cohort", "attributes", id]);
            check_id(c, &path, id);
            match param::check_located(&spec.0) {
                Ok(dist) => out.push(Attribute {
                    id: id.clone(),
                    dist,
                    ageing: spec.0.ageing.unwrap_or(false),
                }),
                Err(e) => c.err(&at_key(&path, e.key), e.message),
            }
        }
    }
    out
}

pub(super) fn check_cohort(
    c: &mut Checker,
    r: &RawCohort,
    chains: &[Chain],
    horizon: u32,
) -> Cohort {
    let base = p(&["cohort"]);
    let inflow: Vec<u32> = match (&r.size, &r.inflow) {
        (Some(n), None) => {
            let n = c.int(
                &with(&base, "size"),
                Some(*n),
                None,
                1,
                MAX_CITIZENS as i64,
                "the number of citizens in the closed cohort",
            );
            vec![n as u32]
        }
        (None, Some(v)) => {
            let mut out = Vec::new();
            for (i, &n) in v.iter().enumerate() {
                if n < 0 || n as usize > MAX_CITIZENS {
                    c.err(
                        &with(&with(&base, "inflow"), i),
                        format!("starters per cycle must be between 0 and {MAX_CITIZENS}, got {n}"),
                    );
                }
                out.push(n.clamp(0, MAX_CITIZENS as i64) as u32);
            }
            if v.len() > horizon as usize {
                c.err(
                    &with(&base, "inflow"),
                    format!(
                        "the inflow schedule has {} cycles but the horizon is {horizon}; starters after the horizon would never be simulated",
                        v.len()
                    ),
                );
            }
            let total: usize = out.iter().map(|&n| n as usize).sum();
            if total == 0 {
                c.err(
                    &with(&base, "inflow"),
                    "the inflow schedule brings no citizens; give at least one starter",
                );
            } else if total > MAX_CITIZENS {
                c.err(
                    &with(&base, "inflow"),
                    format!(
                        "the inflow adds up to {total} citizens; at most {MAX_CITIZENS} are allowed"
                    ),
                );
            }
            out
        }
        (Some(_), Some(_)) => {
            c.err(
                &base,
                "give either `size` (a closed cohort) or `inflow` (starters per cycle), not both",
            );
            vec![1]
        }
        (None, None) => {
            c.err(&base, "missing cohort size: give `size = 500` (a closed cohort) or `inflow = [90, 90, …]` (starters per cycle)");
            vec![1]
        }
    };
    let mix =
        |c: &mut Checker, key: &str, raw: Option<&RawMix>, chain: &Chain| -> Vec<(usize, f64)> {
            let path = with(&base, key);
            let ids: Vec<String> = chain.states.iter().map(|s| s.id.clone()).collect();
            match raw {
                None if chain.states.is_empty() => vec![],
                None => vec![(0, 1.0)],
                Some(RawMix::One(id)) => match chain.index(id) {
                    Some(i) => vec![(i, 1.0)],
                    None => {
                        c.err(
                            &path,
                            format!(
                                "unknown {} state `{id}`; known: {}",
                                chain.name,
                                known(ids.into_iter())
                            ),
                        );
                        vec![(0, 1.0)]
                    }
                },
                Some(RawMix::Shares(m)) => check_shares(c, &path, m, &ids, ""),
            }
        };
    let start_state = mix(c, "start_state", r.start_state.as_ref(), &chains[COURSE]);
    let start_housing = mix(
        c,
        "start_housing",
        r.start_housing.as_ref(),
        &chains[HOUSING],
    );
    Cohort {
        inflow,
        start_state,
        start_housing,
        source: r.source.clone(),
        note: r.note.clone(),
    }
}
