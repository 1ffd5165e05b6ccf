//! From the raw file to a checked [`Scenario`]: required keys, ranges, references between
//! states, accounts and arms, and competing probabilities. All problems are collected and each
//! is reported at the place in the file where it is written.

use super::load::{KeyPath, Seg, Sources, path_text};
use super::model::*;
use super::param::{self, Param, ParamSpec, fmt_num};
use super::raw::*;
use crate::error::ScenarioError;
use crate::scenario::plausible::{Kind, Widened};
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

mod accounts;
mod arms;
mod cohort;
mod life;
mod simulation;
mod sources;
mod states;

use accounts::*;
use arms::*;
use cohort::*;
use life::*;
use simulation::*;
use sources::*;
use states::*;

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
    /// The horizon in years (an ageing attribute grows by this much at most).
    horizon_years: f64,
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
        if spec.0.ageing.is_some() {
            self.err(
                &with(path, "ageing"),
                "`ageing` is a key of cohort attributes only ([cohort.attributes.ID]), not of \
                 a model parameter",
            );
        }
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
        horizon_years: 0.0,
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
    c.horizon_years = sim.horizon_months() as f64 / 12.0;

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
    let accounts = check_accounts(
        &mut c,
        raw.accounts.as_ref(),
        &chains,
        &attributes,
        sim.cycle_months,
        sim.horizon_months(),
    );
    let life = check_life(&mut c, raw, &chains, &attributes);
    let arms = check_arms(
        &mut c,
        raw.arms.as_ref(),
        &chains,
        &accounts,
        &attributes,
        sim.horizon,
        sim.horizon_months(),
    );
    for acc in &accounts {
        if let Some(w) = &acc.while_served {
            let found = arms.iter().skip(1).any(|a| {
                a.services
                    .iter()
                    .any(|s| s.id == w.service && s.capacity.is_some())
            });
            if !found {
                let ids: Vec<String> = arms
                    .iter()
                    .skip(1)
                    .flat_map(|a| a.services.iter().filter(|s| s.capacity.is_some()))
                    .map(|s| s.id.clone())
                    .collect();
                c.err(
                    &p(&["accounts", &acc.id, "while_served", "service"]),
                    format!(
                        "no service `{}` with capacity in the arms compared with control; services: {}",
                        w.service,
                        known(ids.into_iter())
                    ),
                );
            }
        }
    }
    let refusion = check_refusion(
        &mut c,
        raw.refusion.as_ref(),
        &accounts,
        &chains,
        &attributes,
    );

    let widened = check_widened(&mut c, raw);
    let removed = raw.remove.clone().unwrap_or_default();
    let evidence = evidence(&mut c, &meta);
    let full_phase_in = full_phase_in(&mut c, &meta, &sim);
    let bibliography = check_sources(&mut c, raw);
    if !c.errors.is_empty() {
        let mut errors = c.errors;
        crate::scenario::remove::explain(&mut errors, &removed);
        return Err(errors);
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
    let mut sc = Scenario {
        evidence,
        full_phase_in,
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
        life,
        warnings: Vec::new(),
        widened,
        prices: Default::default(),
        removed,
        bibliography,
    };
    sc.warnings = plausibility_warnings(&sc, sources);
    sc.prices = crate::scenario::prices::convert(&mut sc, raw, sources)?;
    Ok(sc)
}

/// `[plausible_ranges.KIND]`: each a known kind with a range and a reason.
fn check_widened(c: &mut Checker, raw: &RawScenario) -> Vec<Widened> {
    let mut out = Vec::new();
    for (id, r) in raw.plausible_ranges.iter().flatten() {
        let path = p(&["plausible_ranges", id]);
        let Some(kind) = Kind::parse(id) else {
            c.err(
                &path,
                format!(
                    "unknown kind `{id}`; kinds with a plausible range: {}",
                    Kind::ALL
                        .iter()
                        .filter(|k| k.range().is_some())
                        .map(|k| format!("`{}`", k.id()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            continue;
        };
        let Some(documented) = kind.range() else {
            c.err(&path, format!("`{id}` has no plausible range to widen"));
            continue;
        };
        let reason = r.reason.clone().unwrap_or_default();
        if reason.trim().is_empty() {
            c.err(
                &path,
                format!(
                    "a widened range needs a `reason` (shown in the report): why do the                      scenario's values lie outside {}–{}?",
                    fmt_num(documented.0),
                    fmt_num(documented.1)
                ),
            );
            continue;
        }
        let (min, max) = (r.min.unwrap_or(documented.0), r.max.unwrap_or(documented.1));
        if !(min.is_finite() && max.is_finite() && min <= max) {
            c.err(&path, "a widened range needs finite `min` ≤ `max`");
            continue;
        }
        out.push(Widened {
            kind,
            documented,
            min,
            max,
            reason,
        });
    }
    out
}

/// Values outside their plausible range, a scenario that cannot save and one that costs
/// nothing: each a located warning.
fn plausibility_warnings(sc: &Scenario, sources: &Sources) -> Vec<String> {
    let mut out = Vec::new();
    for f in crate::scenario::plausible::findings(sc, &sc.widened) {
        let path = &sc.params[f.param].path;
        let (file, loc) = sources.locate(&crate::scenario::prices::key_path(path));
        let place = match loc {
            Some(l) => format!("{}: line {}, column {}", file.display(), l.line, l.column),
            None => file.display().to_string(),
        };
        out.push(format!("{place}: {}", f.message(path)));
    }
    let top = sources.top().display().to_string();
    let saving = sc.accounts.iter().any(|a| a.in_dkk() && !a.investment);
    if !saving {
        out.push(format!(
            "{top}: the scenario has no account in kroner that the programme could change              ([accounts.ID] with an amount in DKK), so it can save nothing: every saving will be 0"
        ));
    }
    let invests = sc
        .arms
        .iter()
        .skip(1)
        .any(|a| !a.services.is_empty() || !a.costs.is_empty())
        || sc.accounts.iter().any(|a| a.investment);
    if !invests {
        out.push(format!(
            "{top}: no arm has a programme cost (services with staff, [arms.ID.costs.ID] or              an investment account), so the investment is 0 and every return looks free"
        ));
    }
    out
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

/// `[scenario] evidence`: one of the known levels, with its notes.
fn evidence(c: &mut Checker, meta: &RawMeta) -> Option<Evidence> {
    let level = meta.evidence.as_deref()?;
    let Some(level) = EvidenceLevel::parse(level) else {
        c.err(
            &["scenario".into(), "evidence".into()],
            format!(
                "`evidence = \"{level}\"` is not known; write one of {}",
                EvidenceLevel::NAMES
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return None;
    };
    let note_en = meta.evidence_note.clone().unwrap_or_default();
    Some(Evidence {
        level,
        note_da: meta
            .evidence_note_da
            .clone()
            .unwrap_or_else(|| note_en.clone()),
        note_en,
    })
}

/// `[scenario] full_phase_in`: budget years inside the simulated period, first ≤ last.
fn full_phase_in(c: &mut Checker, meta: &RawMeta, sim: &Simulation) -> Option<(i32, i32)> {
    let y = meta.full_phase_in.as_ref()?;
    let path: KeyPath = vec!["scenario".into(), "full_phase_in".into()];
    let first = i64::from(sim.start_year);
    let last_month = i64::from(sim.start_month) - 1 + i64::from(sim.horizon_months()) - 1;
    let last = first + last_month.div_euclid(12);
    match (y.from, y.to) {
        (Some(a), Some(b)) if a <= b && a >= first && b <= last => Some((a as i32, b as i32)),
        (Some(_), Some(_)) => {
            c.err(
                &path,
                format!(
                    "`full_phase_in` must be budget years with from ≤ to inside the simulated years {first}–{last}"
                ),
            );
            None
        }
        _ => {
            c.err(&path, "`full_phase_in` needs `from` and `to` (budget years), e.g. { from = 2031, to = 2035 }");
            None
        }
    }
}
