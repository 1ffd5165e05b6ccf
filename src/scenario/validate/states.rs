//! The `[states]` section: the two chains, their shares, edges, modifiers and competing exits.

use super::*;
use crate::scenario::quantile::quantile;

pub(super) fn check_states(
    c: &mut Checker,
    base: &[Seg],
    raw: Option<&IndexMap<String, RawState>>,
    required: bool,
) -> Vec<State> {
    let Some(map) = raw.filter(|m| !m.is_empty()) else {
        if required {
            c.err(
                base,
                "missing [states]: define at least one course state, e.g. [states.course]",
            );
            return vec![];
        }
        // No housing dimension: one level that nobody leaves.
        return vec![State {
            id: "no_housing_support".into(),
            label_da: "Ingen bostøtte".into(),
            label_en: "No housing support".into(),
            absorbing: true,
            max_months: None,
            on_max: None,
            in_course: false,
            course_clock: false,
            housing: None,
            flags: OutcomeFlags::default(),
        }];
    };
    let mut states = Vec::new();
    for (id, s) in map {
        let path = with(base, id);
        check_id(c, &path, id);
        let max_months = match s.max_months {
            None => None,
            Some(m) if !(1..=1200).contains(&m) => {
                c.err(
                    &with(&path, "max_months"),
                    format!("`max_months` must be between 1 and 1200, got {m}"),
                );
                None
            }
            Some(m) => Some(m as u32),
        };
        states.push(State {
            id: id.clone(),
            label_da: s.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: s.label_en.clone().unwrap_or_else(|| id.clone()),
            absorbing: s.absorbing.unwrap_or(false),
            max_months,
            on_max: None,
            in_course: s.in_course.unwrap_or(false),
            course_clock: false,
            housing: None,
            flags: OutcomeFlags {
                self_supporting: s.self_supporting.unwrap_or(false),
                disability_pension: s.disability_pension.unwrap_or(false),
                on_benefits: s.on_benefits.unwrap_or(false),
                employed: s.employed.unwrap_or(false),
            },
        });
    }
    for (i, (id, s)) in map.iter().enumerate() {
        let path = with(base, id);
        let clock = c.choice(
            &with(&path, "clock"),
            s.clock.as_ref(),
            &["state", "course"],
            "state",
        );
        if clock == "course" && !s.in_course.unwrap_or(false) {
            c.err(&with(&path, "clock"), "`clock = \"course\"` needs `in_course = true`: the course clock runs only while the citizen is in course states");
        }
        states[i].course_clock = clock == "course";
        if s.housing.is_some() && !required {
            c.err(
                &with(&path, "housing"),
                "`housing` is set on course states, not on housing levels",
            );
        }
        let outcome_keys = [
            ("self_supporting", s.self_supporting),
            ("disability_pension", s.disability_pension),
            ("on_benefits", s.on_benefits),
            ("employed", s.employed),
        ];
        for (key, v) in outcome_keys {
            if v.is_some() && !required {
                c.err(
                    &with(&path, key),
                    format!("`{key}` is a trial outcome of course states, not of housing levels"),
                );
            }
        }
        if s.self_supporting == Some(true) && s.disability_pension == Some(true) {
            c.err(
                &with(&path, "disability_pension"),
                "a state cannot be both `self_supporting` and `disability_pension`",
            );
        }
    }
    // on_max refers to states, so resolve it once all ids are known.
    for (i, (id, s)) in map.iter().enumerate() {
        if let Some(shares) = &s.on_max {
            let path = with(&with(base, id), "on_max");
            if s.max_months.is_none() {
                c.err(
                    &path,
                    "`on_max` needs `max_months` (when the planned length is reached)",
                );
            }
            let names: Vec<String> = states.iter().map(|s| s.id.clone()).collect();
            states[i].on_max = Some(check_shares(c, &path, shares, &names, id));
        }
    }
    states
}

/// Check shares by id (each in [0,1], summing to 1) and return them cumulative.
pub(super) fn check_shares(
    c: &mut Checker,
    path: &[Seg],
    shares: &IndexMap<String, f64>,
    ids: &[String],
    exclude: &str,
) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    let mut acc = 0.0;
    for (id, &v) in shares {
        let Some(i) = ids.iter().position(|s| s == id) else {
            c.err(
                &with(path, id),
                format!(
                    "unknown state `{id}`; known: {}",
                    known(ids.iter().cloned())
                ),
            );
            continue;
        };
        if id == exclude {
            c.err(
                &with(path, id),
                format!("`{id}` cannot lead to itself here"),
            );
        }
        if !(0.0..=1.0).contains(&v) || !v.is_finite() {
            c.err(
                &with(path, id),
                format!("a share must lie between 0 and 1, got {}", fmt_num(v)),
            );
            continue;
        }
        acc += v;
        out.push((i, acc));
    }
    if out.is_empty() {
        c.err(path, "give at least one share");
    } else if (acc - 1.0).abs() > 1e-6 {
        c.err(
            path,
            format!("shares must add up to 1, they add up to {}", fmt_num(acc)),
        );
    } else if let Some(last) = out.last_mut() {
        last.1 = 1.0;
    }
    out
}

pub(super) fn check_edges(
    c: &mut Checker,
    base: &[Seg],
    raw: Option<&IndexMap<String, IndexMap<String, RawTransition>>>,
    chain: &Chain,
    attributes: &[Attribute],
    cycle_months: u32,
) -> Vec<Edge> {
    let mut edges = Vec::new();
    let Some(map) = raw else { return edges };
    let ids = || chain.states.iter().map(|s| s.id.clone());
    for (from_id, tos) in map {
        let fpath = with(base, from_id);
        let Some(from) = chain.index(from_id) else {
            c.err(
                &fpath,
                format!(
                    "transitions from unknown state `{from_id}`; known {} states: {}",
                    chain.name,
                    known(ids())
                ),
            );
            continue;
        };
        if chain.states[from].absorbing && !tos.is_empty() {
            c.err(
                &fpath,
                format!("state `{from_id}` is absorbing, so no transitions may leave it"),
            );
        }
        for (to_id, t) in tos {
            let tpath = with(&fpath, to_id);
            let Some(to) = chain.index(to_id) else {
                c.err(
                    &tpath,
                    format!(
                        "transition to unknown state `{to_id}`; known {} states: {}",
                        chain.name,
                        known(ids())
                    ),
                );
                continue;
            };
            if to == from {
                c.err(&tpath, format!("a transition from `{from_id}` to itself is not needed: staying is what remains"));
                continue;
            }
            let edge_base = match (&t.prob, &t.rate) {
                (Some(pr), None) => {
                    if t.per.is_some() {
                        c.err(
                            &with(&tpath, "per"),
                            "`per` applies to `rate`, not to `prob` (a probability is per cycle)",
                        );
                    }
                    EdgeBase::Prob(c.param(
                        &with(&tpath, "prob"),
                        pr,
                        ParamKind::Probability,
                        t.source.as_ref(),
                    ))
                }
                (None, Some(r)) => {
                    let per = c.choice(
                        &with(&tpath, "per"),
                        t.per.as_ref(),
                        &["month", "year"],
                        "month",
                    );
                    EdgeBase::Rate {
                        param: c.param(
                            &with(&tpath, "rate"),
                            r,
                            ParamKind::Rate,
                            t.source.as_ref(),
                        ),
                        per_months: if per == "year" { 12 } else { 1 },
                    }
                }
                (Some(_), Some(_)) => {
                    c.err(&tpath, "give either `prob` (per cycle) or `rate`, not both");
                    continue;
                }
                (None, None) => {
                    c.err(&tpath, format!("transition `{from_id}` → `{to_id}` needs `prob` (per cycle) or `rate` (per month)"));
                    continue;
                }
            };
            let _ = cycle_months;
            let mut duration = Vec::new();
            if let Some(steps) = &t.by_duration {
                let mut last: Option<i64> = None;
                for (i, st) in steps.iter().enumerate() {
                    let spath = with(&with(&tpath, "by_duration"), i);
                    let from_month = c.int(
                        &with(&spath, "from_month"),
                        st.from_month,
                        None,
                        0,
                        1200,
                        "months in the state from which the hazard ratio applies",
                    );
                    if let Some(l) = last
                        && from_month <= l
                    {
                        c.err(&with(&spath, "from_month"), format!("`by_duration` steps must be in increasing `from_month` order; {from_month} follows {l}"));
                    }
                    last = Some(from_month);
                    let hr = match &st.hr {
                        Some(h) => c.param(
                            &with(&spath, "hr"),
                            h,
                            ParamKind::HazardRatio,
                            t.source.as_ref(),
                        ),
                        None => {
                            c.err(&spath, "a `by_duration` step needs `hr`");
                            continue;
                        }
                    };
                    duration.push((from_month as u32, hr));
                }
            }
            let mut modifiers = Vec::new();
            if let Some(mods) = &t.modifiers {
                for (i, m) in mods.iter().enumerate() {
                    let mpath = with(&with(&tpath, "modifiers"), i);
                    let Some(attr_id) = &m.attribute else {
                        c.err(&mpath, "a modifier needs `attribute`");
                        continue;
                    };
                    let Some(attribute) = attributes.iter().position(|a| &a.id == attr_id) else {
                        c.err(
                            &with(&mpath, "attribute"),
                            format!(
                                "unknown attribute `{attr_id}`; known: {}",
                                known(attributes.iter().map(|a| a.id.clone()))
                            ),
                        );
                        continue;
                    };
                    let Some(hr) = &m.hr_per_unit else {
                        c.err(&mpath, "a modifier needs `hr_per_unit`");
                        continue;
                    };
                    let errors_before = c.errors.len();
                    let hr_per_unit = c.param(
                        &with(&mpath, "hr_per_unit"),
                        hr,
                        ParamKind::HazardRatio,
                        t.source.as_ref(),
                    );
                    let reference = m.reference.unwrap_or(0.0);
                    if !reference.is_finite() {
                        c.err(
                            &with(&mpath, "reference"),
                            "`reference` must be a finite number",
                        );
                    } else if c.errors.len() == errors_before {
                        check_modifier(c, &mpath, &attributes[attribute], hr_per_unit, reference);
                    }
                    modifiers.push(Modifier {
                        attribute,
                        hr_per_unit,
                        reference,
                    });
                }
            }
            edges.push(Edge {
                from,
                to,
                base: edge_base,
                duration,
                modifiers,
            });
        }
    }
    edges
}

/// A modifier may multiply a rate by at most this, or divide it by at most this.
pub(super) const MAX_MODIFIER_HR: f64 = 1000.0;

/// A modifier's HR = hr_per_unit^(x − reference) must stay finite over every value x the
/// attribute can take: `hr_per_unit` above 0 (at 0 the hazard is infinite below the
/// reference), an attribute with a bounded range, and an HR between 1/1000 and 1000 (a larger
/// one is almost always an attribute in another unit than meant, or a missing `reference`).
pub(super) fn check_modifier(
    c: &mut Checker,
    path: &[Seg],
    attr: &Attribute,
    hr: ParamId,
    reference: f64,
) {
    let (hr_lo, hr_hi) = c.params[hr].param.support();
    if hr_lo <= 0.0 {
        c.err(
            &with(path, "hr_per_unit"),
            format!(
                "`hr_per_unit` must be above 0, but it can be {}: the rate is multiplied by \
                 hr_per_unit^(x − reference), which is infinite below the reference when \
                 hr_per_unit is 0",
                fmt_num(hr_lo)
            ),
        );
        return;
    }
    if hr_lo == 1.0 && hr_hi == 1.0 {
        return;
    }
    let (x_lo, x_hi) = attr.dist.support();
    if !(x_lo.is_finite() && x_hi.is_finite()) {
        c.err(
            &with(path, "attribute"),
            format!(
                "attribute `{}` is {}, which has no {} bound, so hr_per_unit^(x − reference) \
                 can grow without limit; give the attribute `min` and `max` (the lowest and \
                 highest plausible value)",
                attr.id,
                attr.dist.describe(),
                if x_lo.is_finite() { "upper" } else { "lower" }
            ),
        );
        return;
    }
    // In logarithms, so that an absurd ratio is reported rather than overflowing.
    let (ln_lo, ln_hi) = [hr_lo, hr_hi]
        .iter()
        .flat_map(|h| [x_lo, x_hi].map(|x| h.ln() * (x - reference)))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let limit = MAX_MODIFIER_HR.ln();
    if !(ln_lo >= -limit && ln_hi <= limit) {
        c.err(
            path,
            format!(
                "with `{}` from {} to {} and `reference = {}`, this modifier multiplies the rate \
                 by {} to {}; it must stay between 0.001 and 1000 — the hazard ratio applies per \
                 unit of the attribute, so check its unit and set `reference` to a typical value",
                attr.id,
                fmt_num(x_lo),
                fmt_num(x_hi),
                fmt_num(reference),
                fmt_hr(ln_lo),
                fmt_hr(ln_hi)
            ),
        );
    }
}

pub(super) fn check_state_exits(c: &mut Checker, base: &[Seg], chain: &Chain) {
    for (i, s) in chain.states.iter().enumerate() {
        let has_exit = chain.edges.iter().any(|e| e.from == i);
        if s.absorbing && s.max_months.is_some() {
            c.err(
                &with(&with(base, &s.id), "max_months"),
                format!(
                    "state `{}` is absorbing, so it cannot have `max_months`",
                    s.id
                ),
            );
        }
        if s.max_months.is_some() && s.on_max.is_none() && !has_exit {
            c.err(
                &with(base, &s.id),
                format!("state `{}` has `max_months` but neither `on_max` nor transitions to say where citizens go", s.id),
            );
        }
    }
}

/// Competing probabilities out of one state must be combinable: at central values they must
/// add up to less than 1 (they are turned into rates that share one exit probability).
pub(super) fn check_competing(c: &mut Checker, chains: &[Chain], _cycle_months: u32) {
    for (ci, chain) in chains.iter().enumerate() {
        let base = if ci == COURSE {
            p(&["transitions"])
        } else {
            p(&["housing", "transitions"])
        };
        for (si, s) in chain.states.iter().enumerate() {
            let probs: Vec<(String, f64)> = chain
                .edges
                .iter()
                .filter(|e| e.from == si)
                .filter_map(|e| match e.base {
                    EdgeBase::Prob(pid) => {
                        Some((chain.states[e.to].id.clone(), c.params[pid].param.central()))
                    }
                    _ => None,
                })
                .collect();
            let total: f64 = probs.iter().map(|(_, v)| v).sum();
            // A probability outside [0, 1] was reported on its own already.
            let each_valid = probs.iter().all(|(_, v)| (0.0..=1.0).contains(v));
            let parts = |vals: &[(String, f64)]| {
                vals.iter()
                    .map(|(id, v)| format!("{id} {}", fmt_num(*v)))
                    .collect::<Vec<_>>()
                    .join(" + ")
            };
            if total >= 1.0 && each_valid {
                c.err(
                    &with(&base, &s.id),
                    format!(
                        "probabilities per cycle out of `{}` add up to {} ({}); competing probabilities \
                         must add up to less than 1 — to end a stay after a fixed time use `max_months`",
                        s.id,
                        fmt_num(total),
                        parts(&probs)
                    ),
                );
                continue;
            }
            // Not only the central values: a draw must not reach 1 either. When the 99.9th
            // percentiles add up to less than 1, a draw reaches 1 in fewer than k in 1,000
            // replications (k exits); those rare draws are capped (see `engine::compile`).
            let high: Vec<(String, f64)> = chain
                .edges
                .iter()
                .filter(|e| e.from == si)
                .filter_map(|e| match e.base {
                    EdgeBase::Prob(pid) => Some((
                        chain.states[e.to].id.clone(),
                        quantile(&c.params[pid].param, HIGH_DRAW),
                    )),
                    _ => None,
                })
                .collect();
            let high_total: f64 = high.iter().map(|(_, v)| v).sum();
            if high_total >= 1.0 && each_valid {
                c.err(
                    &with(&base, &s.id),
                    format!(
                        "the uncertain probabilities per cycle out of `{}` can add up to 1 or more in \
                         a draw: their 99.9th percentiles add up to {} ({}); narrow their \
                         distributions until the 99.9th percentiles add up to less than 1",
                        s.id,
                        fmt_num(high_total),
                        parts(&high)
                    ),
                );
            }
        }
    }
}

/// The percentile at which competing probabilities are checked for draws that reach 1.
const HIGH_DRAW: f64 = 0.999;

/// Why a move of an account's `transitions` cannot be booked as written: a state to itself
/// (staying is not a move), or a move already covered by the list (it would be booked twice).
pub(super) fn move_problem(
    listed: &[(usize, Option<usize>, usize)],
    new: (usize, Option<usize>, usize),
    text: &str,
) -> Option<String> {
    let (ci, from, to) = new;
    if from == Some(to) {
        return Some(format!(
            "\"{text}\" is not a move: staying in a state is not a transition"
        ));
    }
    let overlaps = listed.iter().any(|&(c2, f2, t2)| {
        c2 == ci && t2 == to && (f2 == from || f2.is_none() || from.is_none())
    });
    overlaps.then(|| {
        format!(
            "\"{text}\" is already covered by another entry of `transitions` (\"*->…\" covers \
             every move into a state); it would be booked twice"
        )
    })
}

/// Find a state id in either chain.
pub(super) fn find_state(chains: &[Chain], id: &str) -> Option<(usize, usize)> {
    chains
        .iter()
        .enumerate()
        .find_map(|(ci, ch)| ch.index(id).map(|s| (ci, s)))
}

pub(super) fn all_ids(chains: &[Chain]) -> String {
    known(
        chains
            .iter()
            .flat_map(|ch| ch.states.iter().map(|s| s.id.clone())),
    )
}
