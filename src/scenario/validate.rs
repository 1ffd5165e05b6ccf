//! From the raw file to a checked [`Scenario`]: required keys, ranges, references between
//! states, accounts and arms, and competing probabilities. All problems are collected and each
//! is reported at the place in the file where it is written.

use super::load::{KeyPath, Seg, Sources, path_text};
use super::model::*;
use super::param::{self, Param, ParamSpec, fmt_num};
use super::raw::*;
use crate::error::ScenarioError;
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

/// Largest cohort the engine accepts (citizen ids are packed into 32 bits of a stream id).
pub const MAX_CITIZENS: usize = 50_000_000;
/// Largest horizon in cycles.
pub const MAX_HORIZON: i64 = 1200;
/// Largest number of replications (packed into 24 bits of a stream id).
pub const MAX_REPLICATIONS: i64 = 1 << 24;

struct Checker<'a> {
    sources: &'a Sources,
    errors: Vec<ScenarioError>,
    params: Vec<ParamDef>,
}

fn p(segs: &[&str]) -> KeyPath {
    segs.iter().map(|s| Seg::Key(s.to_string())).collect()
}

fn with(base: &[Seg], more: impl Into<Seg>) -> KeyPath {
    let mut v = base.to_vec();
    v.push(more.into());
    v
}

impl<'a> Checker<'a> {
    fn err(&mut self, path: &[Seg], msg: impl Into<String>) {
        let e = self.sources.error(path, msg);
        self.errors.push(e);
    }

    /// Register a parameter after checking its distribution and its range for `kind`.
    fn param(
        &mut self,
        path: &[Seg],
        spec: &ParamSpec,
        kind: ParamKind,
        inherited_source: Option<&String>,
    ) -> ParamId {
        let id = self.params.len();
        let mut checked = match param::check_located(&spec.0) {
            Ok(p) => p,
            Err(e) => {
                self.err(&at_key(path, e.key), e.message);
                Param::fixed(0.0)
            }
        };
        if checked.source.is_none() {
            checked.source = self.inherited(path, inherited_source);
        }
        let (lo, hi) = checked.support();
        let range: Option<(f64, f64, &str)> = match kind {
            ParamKind::Probability => Some((0.0, 1.0, "a probability must lie between 0 and 1")),
            ParamKind::Share => Some((0.0, 1.0, "a share must lie between 0 and 1")),
            ParamKind::Rate => Some((0.0, f64::INFINITY, "a rate must be 0 or above")),
            ParamKind::HazardRatio => {
                Some((0.0, f64::INFINITY, "a hazard ratio must be 0 or above"))
            }
            ParamKind::Price => Some((0.0, f64::INFINITY, "a price must be 0 or above")),
            ParamKind::DiscountRate => Some((
                0.0,
                0.5,
                "an annual discount rate must lie between 0 and 0.5 (e.g. 0.04 for 4 %)",
            )),
            ParamKind::Amount => None,
        };
        if let Some((min, max, why)) = range
            && (lo < min || hi > max)
        {
            let got = if lo == hi {
                format!("got {}", fmt_num(lo))
            } else {
                format!(
                    "but {} can take values from {} to {}; add `min`/`max` or choose a \
                     bounded distribution",
                    checked.describe(),
                    fmt_num(lo),
                    fmt_num(hi)
                )
            };
            self.err(path, format!("{why}, {got}"));
        }
        self.params.push(ParamDef {
            path: path_text(path),
            param: checked,
            kind,
        });
        id
    }

    /// The enclosing table's `source` for a parameter at `path` without its own, but only when
    /// that `source` is written in the same file as the parameter's value: a variant that
    /// changes a number without giving a source must not borrow the base file's source, which
    /// describes the old number. A default value, or a built-in source (neither written in any
    /// file), inherits as before.
    ///
    /// With several files, the source is the one the value's own file writes in the nearest
    /// enclosing table: a base file's number keeps the base's source even when a variant gives
    /// the same table a new `source`.
    fn inherited(&self, path: &[Seg], source: Option<&String>) -> Option<String> {
        let text = source.filter(|s| !s.trim().is_empty())?;
        if self.sources.files.len() < 2 {
            return Some(text.clone());
        }
        match (self.sources.file_of(path), self.nearest_source_file(path)) {
            (Some(value_file), Some(_)) => self
                .sources
                .source_in_file(value_file, path)
                .filter(|s| !s.trim().is_empty()),
            _ => Some(text.clone()),
        }
    }

    /// The file that writes the `source` of the nearest table enclosing `path` that has one.
    /// The tables between a parameter and the table it inherits from (`effects`,
    /// `by_duration`, `steps`, an arm's `accounts`) cannot hold a `source`, so the nearest
    /// written one is the inherited one.
    fn nearest_source_file(&self, path: &[Seg]) -> Option<usize> {
        (0..path.len())
            .rev()
            .find_map(|n| self.sources.file_of(&with(&path[..n], "source")))
    }

    fn int(
        &mut self,
        path: &[Seg],
        v: Option<i64>,
        default: Option<i64>,
        min: i64,
        max: i64,
        what: &str,
    ) -> i64 {
        match v.or(default) {
            None => {
                self.err(path, format!("missing `{}`: {what}", last_key(path)));
                min
            }
            Some(x) if x < min || x > max => {
                self.err(
                    path,
                    format!(
                        "`{}` must be between {min} and {max} ({what}), got {x}",
                        last_key(path)
                    ),
                );
                x.clamp(min, max)
            }
            Some(x) => x,
        }
    }

    fn choice<'v>(
        &mut self,
        path: &[Seg],
        v: Option<&'v String>,
        allowed: &[&'v str],
        default: &'v str,
    ) -> &'v str {
        match v {
            None => default,
            Some(s) => match allowed.iter().find(|a| **a == s.as_str()) {
                Some(a) => a,
                None => {
                    self.err(
                        path,
                        format!(
                            "`{}` is `{s}`, allowed: {}",
                            last_key(path),
                            allowed
                                .iter()
                                .map(|a| format!("`{a}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                    default
                }
            },
        }
    }
}

/// `path`, or the key `key` inside it when a problem sits at one key of a parameter table.
fn at_key(path: &[Seg], key: Option<&str>) -> KeyPath {
    match key {
        Some(k) => with(path, k),
        None => path.to_vec(),
    }
}

fn last_key(path: &[Seg]) -> String {
    match path.last() {
        Some(Seg::Key(k)) => k.clone(),
        Some(Seg::Index(i)) => format!("[{i}]"),
        None => String::new(),
    }
}

fn known(ids: impl Iterator<Item = String>) -> String {
    let v: Vec<String> = ids.map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "none defined".into()
    } else {
        v.join(", ")
    }
}

/// Check a merged raw scenario.
pub fn validate(raw: &RawScenario, sources: &Sources) -> Result<Scenario, Vec<ScenarioError>> {
    let mut c = Checker {
        sources,
        errors: Vec::new(),
        params: Vec::new(),
    };
    let meta = raw.scenario.clone().unwrap_or_default();
    let default_name = sources
        .top()
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "scenario".into());
    let name = meta.name.clone().unwrap_or(default_name);
    if name.is_empty()
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.')
    {
        c.err(
            &p(&["scenario", "name"]),
            format!("scenario name `{name}` may only hold letters a–z, digits, `-`, `_` and `.` (it names the output folder)"),
        );
    }

    let sim = check_simulation(&mut c, raw.simulation.as_ref());

    // States of both chains first: everything else refers to them.
    let course_states = check_states(&mut c, &p(&["states"]), raw.states.as_ref(), true);
    let housing = raw.housing.clone().unwrap_or_default();
    let housing_states = check_states(
        &mut c,
        &p(&["housing", "levels"]),
        housing.levels.as_ref(),
        false,
    );
    let mut chains = vec![
        Chain {
            name: "course",
            states: course_states,
            edges: vec![],
        },
        Chain {
            name: "housing",
            states: housing_states,
            edges: vec![],
        },
    ];
    if let Some(map) = raw.states.as_ref() {
        for (i, (id, s)) in map.iter().enumerate() {
            if let Some(h) = &s.housing {
                match chains[HOUSING].index(h) {
                    Some(hi) if i < chains[COURSE].states.len() => {
                        chains[COURSE].states[i].housing = Some(hi)
                    }
                    Some(_) => {}
                    None => c.err(
                        &p(&["states", id, "housing"]),
                        format!(
                            "unknown housing level `{h}`; known: {}",
                            known(chains[HOUSING].states.iter().map(|s| s.id.clone()))
                        ),
                    ),
                }
            }
        }
    }
    // A state id must be unique across both chains (accounts name states without a chain).
    for s in &chains[HOUSING].states {
        if chains[COURSE].index(&s.id).is_some() {
            c.err(
                &p(&["housing", "levels", &s.id]),
                format!(
                    "housing level `{}` has the same id as a course state; ids must differ",
                    s.id
                ),
            );
        }
    }

    let cohort_raw = raw.cohort.clone().unwrap_or_default();
    let attributes = check_attributes(&mut c, &cohort_raw);

    chains[COURSE].edges = check_edges(
        &mut c,
        &p(&["transitions"]),
        raw.transitions.as_ref(),
        &chains[COURSE],
        &attributes,
        sim.cycle_months,
    );
    chains[HOUSING].edges = check_edges(
        &mut c,
        &p(&["housing", "transitions"]),
        housing.transitions.as_ref(),
        &chains[HOUSING],
        &attributes,
        sim.cycle_months,
    );
    for (ci, base) in [
        (COURSE, p(&["states"])),
        (HOUSING, p(&["housing", "levels"])),
    ] {
        check_state_exits(&mut c, &base, &chains[ci]);
    }
    check_competing(&mut c, &chains, sim.cycle_months);

    let cohort = check_cohort(&mut c, &cohort_raw, &chains, sim.horizon);
    let accounts = check_accounts(&mut c, raw.accounts.as_ref(), &chains, &attributes);
    let arms = check_arms(
        &mut c,
        raw.arms.as_ref(),
        &chains,
        &accounts,
        &attributes,
        sim.horizon,
        sim.horizon_months(),
    );
    let refusion = check_refusion(
        &mut c,
        raw.refusion.as_ref(),
        &accounts,
        &chains,
        &attributes,
    );

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let mut hasher = Sha256::new();
    for f in &sources.files {
        hasher.update(f.text.as_bytes());
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    Ok(Scenario {
        title_da: meta.title_da.clone().unwrap_or_else(|| name.clone()),
        title_en: meta.title_en.clone().unwrap_or_else(|| name.clone()),
        name,
        description: meta.description.clone().unwrap_or_default(),
        description_da: meta
            .description_da
            .clone()
            .or_else(|| meta.description.clone())
            .unwrap_or_default(),
        sha256,
        files: sources
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect(),
        sim,
        cohort,
        attributes,
        chains,
        accounts,
        arms,
        params: c.params,
        refusion,
    })
}

fn check_simulation(c: &mut Checker, raw: Option<&RawSimulation>) -> Simulation {
    let base = p(&["simulation"]);
    let r = match raw {
        Some(r) => r.clone(),
        None => {
            c.err(
                &base,
                "missing [simulation]: give at least `start = \"2016-07\"` and `horizon = 60`",
            );
            RawSimulation {
                start: Some("2016-01".into()),
                horizon: Some(1),
                ..Default::default()
            }
        }
    };
    let (start_year, start_month) = match r.start.as_deref() {
        None => {
            c.err(
                &with(&base, "start"),
                "missing `start`: the first month as \"YYYY-MM\", e.g. \"2016-07\"",
            );
            (2016, 1)
        }
        Some(s) => {
            match parse_month(s) {
                Some(ym) => ym,
                None => {
                    c.err(&with(&base, "start"), format!("`start` is \"{s}\"; write the first month as \"YYYY-MM\", e.g. \"2016-07\""));
                    (2016, 1)
                }
            }
        }
    };
    let horizon = c.int(
        &with(&base, "horizon"),
        r.horizon,
        None,
        1,
        MAX_HORIZON,
        "the number of cycles to simulate",
    ) as u32;
    let cycle = c.choice(
        &with(&base, "cycle"),
        r.cycle.as_ref(),
        &["month", "year"],
        "month",
    );
    let cycle_months = if cycle == "year" { 12 } else { 1 };
    let seed = match r.seed {
        Some(s) if s < 0 => {
            c.err(
                &with(&base, "seed"),
                format!("`seed` must be 0 or above, got {s}"),
            );
            0
        }
        Some(s) => s as u64,
        None => 1,
    };
    let replications = c.int(
        &with(&base, "replications"),
        r.replications,
        Some(100),
        1,
        MAX_REPLICATIONS,
        "replications per run",
    ) as u32;
    let counting = match c.choice(
        &with(&base, "counting"),
        r.counting.as_ref(),
        &["start", "end", "half-cycle"],
        "half-cycle",
    ) {
        "start" => Counting::Start,
        "end" => Counting::End,
        _ => Counting::HalfCycle,
    };
    let discounting = match c.choice(
        &with(&base, "discounting"),
        r.discounting.as_ref(),
        &["budget-year", "simulation-year", "monthly"],
        "budget-year",
    ) {
        "simulation-year" => Discounting::SimulationYear,
        "monthly" => Discounting::Monthly,
        _ => Discounting::BudgetYear,
    };
    let rate_spec = r
        .discount_rate
        .clone()
        .unwrap_or_else(|| ParamSpec(param::RawParam::fixed(0.0)));
    let discount_rate = c.param(
        &with(&base, "discount_rate"),
        &rate_spec,
        ParamKind::DiscountRate,
        None,
    );
    let discount_start = c.int(
        &with(&base, "discount_start"),
        r.discount_start,
        Some(0),
        0,
        1,
        "0: the first period is not discounted, 1: it is",
    ) as u32;
    let price_year = c.int(
        &with(&base, "price_year"),
        r.price_year,
        Some(start_year as i64),
        1900,
        2200,
        "the price year of all amounts",
    ) as i32;
    Simulation {
        start_year,
        start_month,
        horizon,
        cycle_months,
        seed,
        replications,
        counting,
        count_time_zero: r.count_time_zero.unwrap_or(true),
        discounting,
        discount_rate,
        discount_start,
        price_year,
    }
}

/// Parse `YYYY-MM`.
pub fn parse_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    ((1..=12).contains(&m) && (1900..=2200).contains(&y)).then_some((y, m))
}

fn check_states(
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

fn check_id(c: &mut Checker, path: &[Seg], id: &str) {
    if id.is_empty()
        || !id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        c.err(
            path,
            format!("id `{id}` may only hold letters a–z, digits, `_` and `-`"),
        );
    }
}

/// Check shares by id (each in [0,1], summing to 1) and return them cumulative.
fn check_shares(
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

fn check_attributes(c: &mut Checker, cohort: &RawCohort) -> Vec<Attribute> {
    let mut out = Vec::new();
    if let Some(map) = &cohort.attributes {
        for (id, spec) in map {
            let path = p(&["cohort", "attributes", id]);
            check_id(c, &path, id);
            match param::check_located(&spec.0) {
                Ok(dist) => out.push(Attribute {
                    id: id.clone(),
                    dist,
                }),
                Err(e) => c.err(&at_key(&path, e.key), e.message),
            }
        }
    }
    out
}

fn check_edges(
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
const MAX_MODIFIER_HR: f64 = 1000.0;

/// A modifier's HR = hr_per_unit^(x − reference) must stay finite over every value x the
/// attribute can take: `hr_per_unit` above 0 (at 0 the hazard is infinite below the
/// reference), an attribute with a bounded range, and an HR between 1/1000 and 1000 (a larger
/// one is almost always an attribute in another unit than meant, or a missing `reference`).
fn check_modifier(c: &mut Checker, path: &[Seg], attr: &Attribute, hr: ParamId, reference: f64) {
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

/// A hazard ratio given by its natural logarithm, for messages: very large or small ones as a
/// power of ten.
fn fmt_hr(ln: f64) -> String {
    let log10 = ln / std::f64::consts::LN_10;
    if log10.abs() > 4.0 {
        format!("about 10^{}", log10.round())
    } else {
        let v = ln.exp();
        let digits = (2.0 - v.log10().floor()).clamp(0.0, 6.0) as usize;
        format!("{v:.digits$}")
    }
}

fn check_state_exits(c: &mut Checker, base: &[Seg], chain: &Chain) {
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
fn check_competing(c: &mut Checker, chains: &[Chain], _cycle_months: u32) {
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
            if total >= 1.0 && each_valid {
                let parts = probs
                    .iter()
                    .map(|(id, v)| format!("{id} {}", fmt_num(*v)))
                    .collect::<Vec<_>>()
                    .join(" + ");
                c.err(
                    &with(&base, &s.id),
                    format!(
                        "probabilities per cycle out of `{}` add up to {} ({parts}); competing probabilities \
                         must add up to less than 1 — to end a stay after a fixed time use `max_months`",
                        s.id,
                        fmt_num(total)
                    ),
                );
            }
        }
    }
}

fn check_cohort(c: &mut Checker, r: &RawCohort, chains: &[Chain], horizon: u32) -> Cohort {
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

/// Why a move of an account's `transitions` cannot be booked as written: a state to itself
/// (staying is not a move), or a move already covered by the list (it would be booked twice).
fn move_problem(
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
fn find_state(chains: &[Chain], id: &str) -> Option<(usize, usize)> {
    chains
        .iter()
        .enumerate()
        .find_map(|(ci, ch)| ch.index(id).map(|s| (ci, s)))
}

fn all_ids(chains: &[Chain]) -> String {
    known(
        chains
            .iter()
            .flat_map(|ch| ch.states.iter().map(|s| s.id.clone())),
    )
}

/// The range of a `when`: `min` and/or `max`, finite and in order.
fn check_when_range(c: &mut Checker, wp: &[Seg], w: &RawCondition, attr: &Attribute) -> (f64, f64) {
    let (min, max) = (
        w.min.unwrap_or(f64::NEG_INFINITY),
        w.max.unwrap_or(f64::INFINITY),
    );
    if w.min.is_none() && w.max.is_none() {
        c.err(
            wp,
            format!(
                "`when` needs `min` and/or `max`, e.g. {{ attribute = \"{}\", min = 1 }}; \
                 without them it holds for every citizen",
                attr.id
            ),
        );
        return (min, max);
    }
    for (key, v) in [("min", w.min), ("max", w.max)] {
        if let Some(x) = v
            && !x.is_finite()
        {
            c.err(
                &with(wp, key),
                format!("`{key}` of `when` must be a finite number, got {x}"),
            );
            return (min, max);
        }
    }
    if min > max {
        c.err(
            wp,
            format!(
                "`when` needs min ≤ max, got {} and {}",
                fmt_num(min),
                fmt_num(max)
            ),
        );
    }
    (min, max)
}

fn check_accounts(
    c: &mut Checker,
    raw: Option<&IndexMap<String, RawAccount>>,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Vec<Account> {
    let mut out = Vec::new();
    let Some(map) = raw else { return out };
    for (index, (id, a)) in map.iter().enumerate() {
        let path = p(&["accounts", id]);
        if a.when.is_some() && index >= crate::economics::MAX_CONDITIONAL_ACCOUNTS {
            c.err(
                &with(&path, "when"),
                format!(
                    "accounts with `when` must be among the first {} accounts; move this one up",
                    crate::economics::MAX_CONDITIONAL_ACCOUNTS
                ),
            );
        }
        check_id(c, &path, id);
        let unit = a
            .unit
            .clone()
            .unwrap_or_else(|| "dkk".into())
            .to_lowercase();
        // Other spellings of kroner would silently make the account a non-money quantity.
        if ["kr", "kr.", "kroner", "dkr", "dkk.", "mio. kr.", "mio"].contains(&unit.as_str()) {
            c.err(
                &with(&path, "unit"),
                format!("unit `{unit}`: write `dkk` for amounts in kroner (amounts are always whole kroner, not millions)"),
            );
        }
        let payer = match a.payer.as_deref() {
            None => {
                c.err(&path, format!("account `{id}` needs `payer`; allowed: bif, sof, suf, region, state, citizen"));
                Payer::Bif
            }
            Some(s) => Payer::parse(s).unwrap_or_else(|| {
                c.err(
                    &with(&path, "payer"),
                    format!("unknown payer `{s}`; allowed: bif, sof, suf, region, state, citizen"),
                );
                Payer::Bif
            }),
        };
        let amount = match &a.amount {
            Some(spec) => c.param(
                &with(&path, "amount"),
                spec,
                ParamKind::Amount,
                a.source.as_ref(),
            ),
            None => {
                c.err(&path, format!("account `{id}` needs `amount` (per citizen-month in `states`, or per transition in `transitions`)"));
                continue;
            }
        };
        let price = a.price.as_ref().map(|spec| {
            c.param(
                &with(&path, "price"),
                spec,
                ParamKind::Price,
                a.source.as_ref(),
            )
        });
        if price.is_some() && unit == "dkk" {
            c.err(
                &with(&path, "price"),
                "`price` converts a unit such as hours into DKK; this account is already in `dkk`",
            );
        }
        let basis = match (&a.states, &a.transitions) {
            (Some(states), None) => {
                let mut v = Vec::new();
                for (i, s) in states.iter().enumerate() {
                    match find_state(chains, s) {
                        Some(cs) if v.contains(&cs) => c.err(
                            &with(&with(&path, "states"), i),
                            format!("state `{s}` is listed twice; it would be booked twice"),
                        ),
                        Some(cs) => v.push(cs),
                        None => c.err(
                            &with(&with(&path, "states"), i),
                            format!("unknown state `{s}`; known: {}", all_ids(chains)),
                        ),
                    }
                }
                if states.is_empty() {
                    c.err(
                        &with(&path, "states"),
                        format!(
                            "`states` is empty: give the states the amount is booked in, e.g. \
                             states = [\"course\"]; known: {}",
                            all_ids(chains)
                        ),
                    );
                }
                Basis::States(v)
            }
            (None, Some(trs)) => {
                let mut v = Vec::new();
                for (i, t) in trs.iter().enumerate() {
                    let tp = with(&with(&path, "transitions"), i);
                    let Some((f, to)) = t.split_once("->") else {
                        c.err(
                            &tp,
                            format!(
                                "write a transition as \"FROM->TO\" (or \"*->TO\"), got \"{t}\""
                            ),
                        );
                        continue;
                    };
                    let (f, to) = (f.trim(), to.trim());
                    let Some((ci, ti)) = find_state(chains, to) else {
                        c.err(
                            &tp,
                            format!("unknown state `{to}`; known: {}", all_ids(chains)),
                        );
                        continue;
                    };
                    let fi = if f == "*" {
                        None
                    } else {
                        match chains[ci].index(f) {
                            Some(x) => Some(x),
                            None => {
                                c.err(
                                    &tp,
                                    format!(
                                        "unknown {} state `{f}`; known: {}",
                                        chains[ci].name,
                                        known(chains[ci].states.iter().map(|s| s.id.clone()))
                                    ),
                                );
                                continue;
                            }
                        }
                    };
                    if let Some(problem) = move_problem(&v, (ci, fi, ti), t) {
                        c.err(&tp, problem);
                        continue;
                    }
                    v.push((ci, fi, ti));
                }
                if trs.is_empty() {
                    c.err(
                        &with(&path, "transitions"),
                        "`transitions` is empty: give the moves the amount is booked on, e.g. \
                         transitions = [\"course->job\"]",
                    );
                }
                Basis::Transitions(v)
            }
            (Some(_), Some(_)) => {
                c.err(&path, "give either `states` (booked each month) or `transitions` (booked once), not both");
                continue;
            }
            (None, None) => {
                c.err(&path, format!("account `{id}` needs `states` (booked per citizen-month) or `transitions` (booked once per move)"));
                continue;
            }
        };
        let when = a
            .when
            .as_ref()
            .and_then(|w| check_when(c, &with(&path, "when"), w, attributes));
        let discount_rate = a.discount_rate.as_ref().map(|spec| {
            c.param(
                &with(&path, "discount_rate"),
                spec,
                ParamKind::DiscountRate,
                a.source.as_ref(),
            )
        });
        out.push(Account {
            id: id.clone(),
            label_da: a.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: a.label_en.clone().unwrap_or_else(|| id.clone()),
            unit,
            payer,
            amount,
            price,
            basis,
            when,
            discount_rate,
            refusion: a.refusion.unwrap_or(false),
            transfer: a.transfer.unwrap_or(false),
            investment: a.investment.unwrap_or(false),
        });
    }
    out
}

/// The 2016 staircase: weeks 1–4 80 %, 5–26 40 %, 27–52 30 %, from week 53 20 %.
const DEFAULT_REFUSION: [(i64, f64); 4] = [(1, 0.8), (5, 0.4), (27, 0.3), (53, 0.2)];
const REFUSION_SOURCE: &str = "Lov om kommunernes finansiering af visse offentlige ydelser udbetalt af kommunerne, \
     Udbetaling Danmark og arbejdsløshedskasserne §5 stk. 2 (refusionsreformen, in force 2016)";

fn check_refusion(
    c: &mut Checker,
    raw: Option<&RawRefusion>,
    accounts: &[Account],
    chains: &[Chain],
    attributes: &[Attribute],
) -> Option<Refusion> {
    let used = accounts.iter().any(|a| a.refusion);
    let base = p(&["refusion"]);
    if raw.is_none() && !used {
        return None;
    }
    if !used {
        c.err(&base, "[refusion] is given but no account has `refusion = true`; mark the benefit accounts the state reimburses");
        return None;
    }
    let r = raw.cloned().unwrap_or_default();
    let source = r
        .source
        .clone()
        .or_else(|| Some(REFUSION_SOURCE.to_string()));
    let mut steps = Vec::new();
    match &r.steps {
        None => {
            for (i, (week, rate)) in DEFAULT_REFUSION.iter().enumerate() {
                let spec = ParamSpec(param::RawParam::fixed(*rate));
                let pid = c.param(
                    &with(&with(&with(&base, "steps"), i), "rate"),
                    &spec,
                    ParamKind::Share,
                    source.as_ref(),
                );
                steps.push((*week as u32, pid));
            }
        }
        Some(list) => {
            for (i, st) in list.iter().enumerate() {
                let sp = with(&with(&base, "steps"), i);
                let week = c.int(
                    &with(&sp, "from_week"),
                    st.from_week,
                    None,
                    1,
                    100_000,
                    "the first week on benefits the rate applies to",
                );
                if i == 0 && week != 1 {
                    c.err(
                        &with(&sp, "from_week"),
                        format!("the first step must start at week 1, got {week}"),
                    );
                }
                if let Some(&(prev, _)) = steps.last()
                    && week as u32 <= prev
                {
                    c.err(
                        &with(&sp, "from_week"),
                        format!("steps must have increasing `from_week`; {week} follows {prev}"),
                    );
                }
                let Some(rate) = &st.rate else {
                    c.err(
                        &sp,
                        "a refusion step needs `rate` (the share the state reimburses)",
                    );
                    continue;
                };
                let pid = c.param(&with(&sp, "rate"), rate, ParamKind::Share, source.as_ref());
                steps.push((week as u32, pid));
            }
            if list.is_empty() {
                c.err(
                    &with(&base, "steps"),
                    "give at least one step, e.g. { from_week = 1, rate = 0.8 }",
                );
            }
        }
    }
    let prior_weeks_attribute = r.prior_weeks_attribute.as_ref().and_then(|id| {
        let i = attributes.iter().position(|a| &a.id == id);
        match i {
            None => c.err(
                &with(&base, "prior_weeks_attribute"),
                format!(
                    "unknown attribute `{id}`; known: {}",
                    known(attributes.iter().map(|a| a.id.clone()))
                ),
            ),
            Some(ai) if attributes[ai].dist.support().0 < 0.0 => c.err(
                &with(&base, "prior_weeks_attribute"),
                format!(
                    "attribute `{id}` holds weeks on benefits before the start, which cannot be \
                     below 0, but it is {}; give it `min = 0`",
                    attributes[ai].dist.describe()
                ),
            ),
            Some(_) => {}
        }
        i
    });
    let mut clock_states: Vec<Vec<bool>> = chains
        .iter()
        .map(|ch| vec![false; ch.states.len()])
        .collect();
    for a in accounts.iter().filter(|a| a.refusion) {
        match &a.basis {
            Basis::States(v) => {
                for &(ci, si) in v {
                    clock_states[ci][si] = true;
                }
            }
            Basis::Transitions(_) => c.err(
                &p(&["accounts", &a.id, "refusion"]),
                "refusion applies to benefits paid per month in states, not to one-off amounts on transitions",
            ),
        }
    }
    Some(Refusion {
        steps,
        prior_weeks_attribute,
        clock_states,
    })
}

fn payer_of(c: &mut Checker, path: &[Seg], v: Option<&String>, what: &str) -> Payer {
    match v {
        None => {
            c.err(
                path,
                format!("{what} needs `payer`; allowed: bif, sof, suf, region, state, citizen"),
            );
            Payer::Bif
        }
        Some(s) => Payer::parse(s).unwrap_or_else(|| {
            c.err(
                &with(path, "payer"),
                format!("unknown payer `{s}`; allowed: bif, sof, suf, region, state, citizen"),
            );
            Payer::Bif
        }),
    }
}

fn check_window(
    c: &mut Checker,
    path: &[Seg],
    from: Option<i64>,
    to: Option<i64>,
    horizon_months: u32,
) -> (u32, u32) {
    let last = horizon_months as i64 - 1;
    let f = c.int(
        &with(path, "from_month"),
        from,
        Some(0),
        0,
        last,
        "first month (0 = the start month)",
    ) as u32;
    let t = c.int(
        &with(path, "to_month"),
        to,
        Some(last),
        0,
        last.max(0),
        "last month, inclusive",
    ) as u32;
    if t < f {
        c.err(
            &with(path, "to_month"),
            format!("`to_month` ({t}) is before `from_month` ({f})"),
        );
    }
    (f, t)
}

fn check_services(
    c: &mut Checker,
    arm_path: &[Seg],
    raw: Option<&IndexMap<String, RawService>>,
    horizon_months: u32,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Vec<Service> {
    let mut out = Vec::new();
    for (id, sv) in raw.into_iter().flatten() {
        let path = with(&with(arm_path, "services"), id);
        check_id(c, &path, id);
        let fte = match &sv.fte {
            Some(spec) => c.param(
                &with(&path, "fte"),
                spec,
                ParamKind::Rate,
                sv.source.as_ref(),
            ),
            None => {
                c.err(
                    &path,
                    format!("service `{id}` needs `fte` (full-time staff)"),
                );
                continue;
            }
        };
        let cost_per_fte_year = match &sv.cost_per_fte_year {
            Some(spec) => c.param(
                &with(&path, "cost_per_fte_year"),
                spec,
                ParamKind::Price,
                sv.source.as_ref(),
            ),
            None => {
                c.err(&path, format!("service `{id}` needs `cost_per_fte_year` (DKK per full-time staff per year)"));
                continue;
            }
        };
        let payer = payer_of(c, &path, sv.payer.as_ref(), &format!("service `{id}`"));
        let (from_month, to_month) =
            check_window(c, &path, sv.from_month, sv.to_month, horizon_months);
        out.push(Service {
            id: id.clone(),
            label_da: sv.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: sv.label_en.clone().unwrap_or_else(|| id.clone()),
            fte,
            cost_per_fte_year,
            payer,
            from_month,
            to_month,
            capacity: check_capacity(c, &path, sv, chains, attributes),
        });
    }
    out
}

fn check_costs(
    c: &mut Checker,
    arm_path: &[Seg],
    raw: Option<&IndexMap<String, RawCost>>,
    horizon_months: u32,
) -> Vec<ProgramCost> {
    let mut out = Vec::new();
    for (id, co) in raw.into_iter().flatten() {
        let path = with(&with(arm_path, "costs"), id);
        check_id(c, &path, id);
        let amount = match &co.amount {
            Some(spec) => c.param(
                &with(&path, "amount"),
                spec,
                ParamKind::Amount,
                co.source.as_ref(),
            ),
            None => {
                c.err(&path, format!("cost `{id}` needs `amount` (DKK)"));
                continue;
            }
        };
        let per = match c.choice(
            &with(&path, "per"),
            co.per.as_ref(),
            &["month", "year", "total", "once"],
            "total",
        ) {
            "month" => CostPer::Month,
            "year" => CostPer::Year,
            "once" => CostPer::Once,
            _ => CostPer::Total,
        };
        let payer = payer_of(c, &path, co.payer.as_ref(), &format!("cost `{id}`"));
        let (from_month, to_month) =
            check_window(c, &path, co.from_month, co.to_month, horizon_months);
        out.push(ProgramCost {
            id: id.clone(),
            label_da: co.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: co.label_en.clone().unwrap_or_else(|| id.clone()),
            amount,
            per,
            payer,
            from_month,
            to_month,
        });
    }
    out
}

fn check_arms(
    c: &mut Checker,
    raw: Option<&IndexMap<String, RawArm>>,
    chains: &[Chain],
    accounts: &[Account],
    attributes: &[Attribute],
    horizon: u32,
    horizon_months: u32,
) -> Vec<Arm> {
    let mut out = Vec::new();
    let Some(map) = raw.filter(|m| !m.is_empty()) else {
        c.err(&p(&["arms"]), "missing [arms]: define at least [arms.control] and one more arm, e.g. [arms.treatment]");
        return out;
    };
    if !map.contains_key("control") {
        c.err(
            &p(&["arms"]),
            format!(
                "there must be an arm called `control` (the reference); found {}",
                known(map.keys().cloned())
            ),
        );
    }
    if map.len() < 2 {
        c.err(
            &p(&["arms"]),
            "define at least two arms: `control` and one to compare with it",
        );
    }
    // control first, then the others in file order.
    let mut order: Vec<&String> = map.keys().filter(|k| *k == "control").collect();
    order.extend(map.keys().filter(|k| *k != "control"));
    for id in order {
        let a = &map[id];
        let path = p(&["arms", id]);
        check_id(c, &path, id);
        let share_spec = a.offer_share.clone().unwrap_or_else(|| {
            ParamSpec(param::RawParam::fixed(if id == "control" {
                0.0
            } else {
                1.0
            }))
        });
        let offer_share = c.param(
            &with(&path, "offer_share"),
            &share_spec,
            ParamKind::Share,
            a.source.as_ref(),
        );
        // Entry cycles count from 0, so the last one of the horizon is horizon − 1.
        let last_cycle = horizon.max(1) as i64 - 1;
        let offer_from = c.int(
            &with(&path, "offer_from"),
            a.offer_from,
            Some(0),
            0,
            last_cycle,
            "first entry cycle, counted from 0, whose starters may be offered the programme",
        ) as u32;
        let offer_to = c.int(
            &with(&path, "offer_to"),
            a.offer_to,
            Some(last_cycle),
            0,
            last_cycle,
            "last entry cycle, counted from 0, whose starters may be offered the programme",
        ) as u32;
        if offer_to < offer_from {
            c.err(
                &with(&path, "offer_to"),
                format!("`offer_to` ({offer_to}) is before `offer_from` ({offer_from})"),
            );
        }
        let effects = check_effects(
            c,
            &path,
            [&a.effects, &a.housing_effects],
            chains,
            a.source.as_ref(),
        );
        let mut account_overrides = Vec::new();
        if let Some(ov) = &a.accounts {
            for (acc_id, o) in ov {
                let apath = with(&with(&path, "accounts"), acc_id);
                let Some(ai) = accounts.iter().position(|x| &x.id == acc_id) else {
                    c.err(
                        &apath,
                        format!(
                            "unknown account `{acc_id}`; known: {}",
                            known(accounts.iter().map(|x| x.id.clone()))
                        ),
                    );
                    continue;
                };
                match &o.amount {
                    Some(spec) => {
                        let pid = c.param(
                            &with(&apath, "amount"),
                            spec,
                            ParamKind::Amount,
                            a.source.as_ref(),
                        );
                        account_overrides.push((ai, pid));
                    }
                    None => c.err(&apath, "an account override needs `amount`"),
                }
            }
        }
        let services = check_services(
            c,
            &path,
            a.services.as_ref(),
            horizon_months,
            chains,
            attributes,
        );
        // Each service is one bit of a citizen's service mask in the engine.
        if services.len() > 32 {
            c.err(&with(&path, "services"), "at most 32 services per arm");
        }
        let costs = check_costs(c, &path, a.costs.as_ref(), horizon_months);
        out.push(Arm {
            id: id.clone(),
            label_da: a.label_da.clone().unwrap_or_else(|| id.clone()),
            label_en: a.label_en.clone().unwrap_or_else(|| id.clone()),
            offer_share,
            offer_from,
            offer_to,
            effects,
            account_overrides,
            services,
            costs,
        });
    }
    out
}

/// The capacity side of a service: kind, capacity per FTE, eligibility and effects.
fn check_capacity(
    c: &mut Checker,
    path: &[Seg],
    sv: &RawService,
    chains: &[Chain],
    attributes: &[Attribute],
) -> Option<Capacity> {
    let capacity_keys = sv.capacity_per_fte.is_some()
        || sv.eligible_states.is_some()
        || sv.effects.is_some()
        || sv.housing_effects.is_some()
        || sv.move_to.is_some()
        || sv.change.is_some();
    let Some(kind_text) = sv.kind.as_ref() else {
        if capacity_keys {
            c.err(path, "this service has capacity settings but no `kind`; allowed: `caseload`, `monthly`, `shared`");
        }
        return None;
    };
    let kind = match c.choice(
        &with(path, "kind"),
        Some(kind_text),
        &["caseload", "monthly", "shared"],
        "caseload",
    ) {
        "monthly" => ServiceKind::Monthly,
        "shared" => ServiceKind::Shared,
        _ => ServiceKind::Caseload,
    };
    let per_fte = match &sv.capacity_per_fte {
        Some(spec) => c.param(
            &with(path, "capacity_per_fte"),
            spec,
            ParamKind::Rate,
            sv.source.as_ref(),
        ),
        None => {
            c.err(path, "a service with a `kind` needs `capacity_per_fte` (caseload per FTE, or services per FTE per month)");
            return None;
        }
    };
    let course = &chains[COURSE];
    let mut eligible_states = vec![false; course.states.len()];
    match &sv.eligible_states {
        None => {
            for (i, st) in course.states.iter().enumerate() {
                eligible_states[i] = st.in_course;
            }
        }
        Some(list) => {
            for (k, id) in list.iter().enumerate() {
                match course.index(id) {
                    Some(i) => eligible_states[i] = true,
                    None => c.err(
                        &with(&with(path, "eligible_states"), k),
                        format!(
                            "unknown course state `{id}`; known: {}",
                            known(course.states.iter().map(|s| s.id.clone()))
                        ),
                    ),
                }
            }
        }
    }
    let when = sv
        .when
        .as_ref()
        .and_then(|w| check_when(c, &with(path, "when"), w, attributes));
    let min_course_months = c.int(
        &with(path, "min_course_months"),
        sv.min_course_months,
        Some(0),
        0,
        1200,
        "months in the course before a citizen is eligible",
    ) as u32;
    let effects = check_effects(
        c,
        path,
        [&sv.effects, &sv.housing_effects],
        chains,
        sv.source.as_ref(),
    );
    let monthly_only = |c: &mut Checker, key: &str, given: bool| {
        if given && kind != ServiceKind::Monthly {
            c.err(&with(path, key), format!("`{key}` applies to `kind = \"monthly\"` services (something done once when served)"));
        }
    };
    monthly_only(c, "move_to", sv.move_to.is_some());
    monthly_only(c, "change", sv.change.is_some());
    monthly_only(c, "once", sv.once.is_some());
    let move_to = sv.move_to.as_ref().and_then(|id| {
        let i = course.index(id);
        if i.is_none() {
            c.err(
                &with(path, "move_to"),
                format!(
                    "unknown course state `{id}`; known: {}",
                    known(course.states.iter().map(|s| s.id.clone()))
                ),
            );
        }
        i
    });
    let attribute_change = sv.change.as_ref().and_then(|ch| {
        let cp = with(path, "change");
        let (Some(attr), Some(add)) = (&ch.attribute, ch.add) else {
            c.err(&cp, "`change` needs `attribute` and `add`, e.g. { attribute = \"health_burden\", add = -1 }");
            return None;
        };
        if !add.is_finite() {
            c.err(&with(&cp, "add"), "`add` must be a finite number");
        }
        let Some(ai) = attributes.iter().position(|x| &x.id == attr) else {
            c.err(&with(&cp, "attribute"), format!("unknown attribute `{attr}`; known: {}", known(attributes.iter().map(|a| a.id.clone()))));
            return None;
        };
        Some((ai, add))
    });
    Some(Capacity {
        kind,
        per_fte,
        eligible_states,
        participants_only: sv.participants_only.unwrap_or(true),
        when,
        min_course_months,
        effects,
        move_to,
        attribute_change,
        once: sv.once.unwrap_or(true),
    })
}

/// A `when = { attribute, min, max }` condition (of an account or a service's eligibility).
fn check_when(
    c: &mut Checker,
    wp: &[Seg],
    w: &RawCondition,
    attributes: &[Attribute],
) -> Option<Condition> {
    let Some(attr) = &w.attribute else {
        c.err(wp, "`when` needs `attribute` (and `min` and/or `max`)");
        return None;
    };
    let Some(ai) = attributes.iter().position(|x| &x.id == attr) else {
        c.err(
            &with(wp, "attribute"),
            format!(
                "unknown attribute `{attr}`; known: {}",
                known(attributes.iter().map(|a| a.id.clone()))
            ),
        );
        return None;
    };
    let (min, max) = check_when_range(c, wp, w, &attributes[ai]);
    Some(Condition {
        attribute: ai,
        min,
        max,
    })
}

/// Raw effect tables: `[FROM] TO = hr`, by course and housing chain.
type RawEffects = Option<IndexMap<String, IndexMap<String, ParamSpec>>>;

/// Hazard-ratio effects under `path.effects` (course) and `path.housing_effects` (housing):
/// (chain, edge, hr) for transitions that exist.
fn check_effects(
    c: &mut Checker,
    path: &[Seg],
    raw: [&RawEffects; 2],
    chains: &[Chain],
    source: Option<&String>,
) -> Vec<(usize, usize, ParamId)> {
    let mut effects = Vec::new();
    for ((ci, key), map) in [(COURSE, "effects"), (HOUSING, "housing_effects")]
        .into_iter()
        .zip(raw)
    {
        let chain = &chains[ci];
        let ids = || known(chain.states.iter().map(|s| s.id.clone()));
        for (from_id, tos) in map.iter().flatten() {
            let fpath = with(&with(path, key), from_id);
            let Some(from) = chain.index(from_id) else {
                c.err(
                    &fpath,
                    format!("unknown {} state `{from_id}`; known: {}", chain.name, ids()),
                );
                continue;
            };
            for (to_id, spec) in tos {
                let tpath = with(&fpath, to_id);
                let Some(to) = chain.index(to_id) else {
                    c.err(
                        &tpath,
                        format!("unknown {} state `{to_id}`; known: {}", chain.name, ids()),
                    );
                    continue;
                };
                let Some(edge) = chain.edge(from, to) else {
                    c.err(&tpath, format!("an effect on `{from_id}` → `{to_id}`, but the scenario has no such transition; add it under [transitions] first"));
                    continue;
                };
                let hr = c.param(&tpath, spec, ParamKind::HazardRatio, source);
                effects.push((ci, edge, hr));
            }
        }
    }
    effects
}
