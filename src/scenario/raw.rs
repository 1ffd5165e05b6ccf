//! The scenario file as written: serde structs that mirror the TOML, every field optional so
//! that a variant file which `extends` another may hold only what changes. Unknown keys are
//! refused with the list of expected names. Meaning and completeness are checked later, in
//! [`super::validate`].

use super::param::ParamSpec;
use indexmap::IndexMap;
use serde::Deserialize;

/// A whole scenario file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Another scenario file this one starts from (path relative to this file).
    pub extends: Option<String>,
    /// Name and titles.
    pub scenario: Option<RawMeta>,
    /// Time axis, seed, replications, conventions.
    pub simulation: Option<RawSimulation>,
    /// Who enters, when, with which attributes.
    pub cohort: Option<RawCohort>,
    /// Course states, by id.
    pub states: Option<IndexMap<String, RawState>>,
    /// Transitions: `[transitions.FROM.TO]`.
    pub transitions: Option<IndexMap<String, IndexMap<String, RawTransition>>>,
    /// The housing-support dimension.
    pub housing: Option<RawHousing>,
    /// Accounts, by id.
    pub accounts: Option<IndexMap<String, RawAccount>>,
    /// Arms, by id; `control` is the reference.
    pub arms: Option<IndexMap<String, RawArm>>,
    /// State reimbursement of municipal benefit spending (the refusion staircase).
    pub refusion: Option<RawRefusion>,
    /// Deaths from a life table, in every course state.
    pub mortality: Option<RawMortality>,
    /// The price year of the amounts written in this file (default: this file's
    /// `[simulation] price_year`, else that of the file it extends).
    pub price_year: Option<i64>,
    /// The scenario's own price index, instead of the one shipped with ressim.
    pub price_index: Option<RawPriceIndex>,
    /// Plausible ranges the scenario widens, by kind (e.g. `hazard_ratio`), each with a reason.
    pub plausible_ranges: Option<IndexMap<String, RawRange>>,
    /// Parts of the base this variant removes, e.g. `["arms.treatment.services.consultants"]`.
    pub remove: Option<Vec<String>>,
    /// The register of sources that `source` texts cite by key, `[sources.KEY]`.
    pub sources: Option<IndexMap<String, RawReference>>,
}

/// `[sources.KEY]`: one primary source of the register, cited in a `source` text as `[KEY]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReference {
    /// Institution or author (required).
    pub author: Option<String>,
    /// Title (required).
    pub title: Option<String>,
    /// Year of publication (required).
    pub year: Option<i64>,
    /// The table, page or section used.
    pub place: Option<String>,
    /// A public address.
    pub url: Option<String>,
}

/// `[price_index]`: a scenario's own price index.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPriceIndex {
    /// Name of the index, e.g. "KL's PL-index".
    pub name: Option<String>,
    /// Index value by year: `values = { 2016 = 100.0, 2024 = 121.3 }`.
    pub values: Option<IndexMap<String, f64>>,
    /// Where the figures come from.
    pub source: Option<String>,
}

/// `[plausible_ranges.KIND]`: a widened plausible range.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRange {
    /// Lower end (default: the documented one).
    pub min: Option<f64>,
    /// Upper end (default: the documented one).
    pub max: Option<f64>,
    /// Why the scenario's values lie outside the documented range (required).
    pub reason: Option<String>,
}

/// `[mortality]`: deaths by age and sex from a life table, as one more competing exit of every
/// course state.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMortality {
    /// The life table, a CSV file (path relative to the scenario file that writes it), or
    /// `"builtin"` / absent for the shipped approximation.
    pub table: Option<String>,
    /// The attribute that is the citizen's age in years (it must have `ageing = true`).
    pub age_attribute: Option<String>,
    /// The attribute that is 1 for women and 0 for men (needed with a table by sex).
    pub sex_attribute: Option<String>,
    /// The absorbing course state a citizen who dies moves to.
    pub death_state: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// `[refusion]`: the share of a benefit the state reimburses, by the citizen's cumulative weeks
/// on covered benefits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefusion {
    /// Steps `{ from_week = 1, rate = 0.8 }`, … (default: the 2016 staircase 80/40/30/20 %).
    pub steps: Option<Vec<RawRefusionStep>>,
    /// Attribute holding each citizen's weeks on covered benefits before the start.
    pub prior_weeks_attribute: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// One step of the refusion staircase.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRefusionStep {
    /// First week (1-based, cumulative on covered benefits) the rate applies to.
    pub from_week: Option<i64>,
    /// Share reimbursed by the state.
    pub rate: Option<ParamSpec>,
}

/// `[scenario]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeta {
    /// Short machine name, used for the default output folder.
    pub name: Option<String>,
    /// Danish title.
    pub title_da: Option<String>,
    /// English title.
    pub title_en: Option<String>,
    /// Free description (English, and the fallback for Danish).
    pub description: Option<String>,
    /// Danish description, shown in the Danish report.
    pub description_da: Option<String>,
    /// Which reading of the evidence on effects the scenario takes: `conservative`, `central`
    /// or `optimistic`.
    pub evidence: Option<String>,
    /// What the evidence variant rests on (English).
    pub evidence_note: Option<String>,
    /// What the evidence variant rests on (Danish).
    pub evidence_note_da: Option<String>,
    /// The budget years at full phase-in of a standing programme, for the investment-case
    /// table: `{ from = 2031, to = 2035 }`.
    pub full_phase_in: Option<RawYears>,
}

/// A span of budget years.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawYears {
    /// First budget year.
    pub from: Option<i64>,
    /// Last budget year (included).
    pub to: Option<i64>,
}

/// `[simulation]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    /// First month, `YYYY-MM`.
    pub start: Option<String>,
    /// Number of cycles.
    pub horizon: Option<i64>,
    /// `month` (default) or `year`.
    pub cycle: Option<String>,
    /// Master seed.
    pub seed: Option<i64>,
    /// Default number of replications.
    pub replications: Option<i64>,
    /// When amounts of a cycle are counted: `start`, `end` or `half-cycle`.
    pub counting: Option<String>,
    /// Whether the cycle a citizen enters in is counted under `counting = "start"`.
    pub count_time_zero: Option<bool>,
    /// `budget-year`, `simulation-year` or `monthly`.
    pub discounting: Option<String>,
    /// Annual discount rate.
    pub discount_rate: Option<ParamSpec>,
    /// Added to the discounting exponent (0: the first period is not discounted; 1: it is).
    pub discount_start: Option<i64>,
    /// Price year of all amounts.
    pub price_year: Option<i64>,
    /// The effect scale a run uses unless `--effect-scale` says otherwise (default 1; 0 for a
    /// programme whose effect is unknown, with its effects written as a reference effect).
    pub effect_scale: Option<f64>,
}

/// `[cohort]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCohort {
    /// A closed cohort of this size, all entering in month 0.
    pub size: Option<i64>,
    /// Starters per cycle from the first cycle on (an inflow schedule).
    pub inflow: Option<Vec<i64>>,
    /// Where a note on the size comes from.
    pub source: Option<String>,
    /// A note on the size.
    pub note: Option<String>,
    /// Start state: an id, or a table of shares by state id.
    pub start_state: Option<RawMix>,
    /// Housing-support level at entry: an id, or a table of shares by level id.
    pub start_housing: Option<RawMix>,
    /// Citizen attributes, drawn once per citizen.
    pub attributes: Option<IndexMap<String, ParamSpec>>,
}

/// A state id or shares by state id.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawMix {
    /// Everyone starts here.
    One(String),
    /// Shares by id (must sum to 1).
    Shares(IndexMap<String, f64>),
}

/// `[states.ID]` or `[housing.levels.ID]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    /// Danish label.
    pub label_da: Option<String>,
    /// English label.
    pub label_en: Option<String>,
    /// No transitions leave this state.
    pub absorbing: Option<bool>,
    /// Planned length: after this many months in the state the citizen leaves at once.
    pub max_months: Option<i64>,
    /// Where citizens go when `max_months` is reached (shares by state id). Without it they
    /// leave by the state's own transitions, in proportion to their rates.
    pub on_max: Option<IndexMap<String, f64>>,
    /// Counted as a course state in the outcome mix of leavers (e.g. active course, placement).
    pub in_course: Option<bool>,
    /// Which time drives `max_months` and `by_duration`: `state` (months in this state, the
    /// default) or `course` (months since the citizen entered the course states, across moves
    /// between them).
    pub clock: Option<String>,
    /// Course states only: the housing-support level a citizen has while in this state
    /// (e.g. `none` for death or emigration); housing transitions pause meanwhile.
    pub housing: Option<String>,
    /// Course states only, for trial outcomes (`ressim power`): the citizen supports
    /// themselves here (ordinary job, education, flex job).
    pub self_supporting: Option<bool>,
    /// Course states only, for trial outcomes: disability pension (førtidspension).
    pub disability_pension: Option<bool>,
    /// Course states only, for trial outcomes: the citizen receives a public benefit here.
    pub on_benefits: Option<bool>,
    /// Course states only, for trial outcomes: the citizen is in employment here.
    pub employed: Option<bool>,
    /// Course states only: the death rate of the life table is multiplied by this here
    /// (excess mortality, e.g. on førtidspension). Default 1.
    pub mortality_hr: Option<ParamSpec>,
    /// Course states only: everyone here who reaches an age moves to another state in that
    /// cycle, e.g. `{ age = 67, to = "old_age_pension" }`.
    pub at_age: Option<RawAtAge>,
    /// Source of the state's definition or length.
    pub source: Option<String>,
    /// A note.
    pub note: Option<String>,
}

/// `at_age = { age = 67, to = "old_age_pension" }` on a course state.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAtAge {
    /// The age in years at which the move happens.
    pub age: Option<f64>,
    /// The course state moved to.
    pub to: Option<String>,
    /// The ageing attribute read (default: `[mortality] age_attribute`, or the only ageing
    /// attribute).
    pub attribute: Option<String>,
}

/// `[transitions.FROM.TO]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransition {
    /// Probability per cycle (competing probabilities out of a state are combined as rates).
    pub prob: Option<ParamSpec>,
    /// Rate per month (or per year with `per = "year"`).
    pub rate: Option<ParamSpec>,
    /// Unit of `rate`: `month` (default) or `year`.
    pub per: Option<String>,
    /// Hazard ratio by time in the state: steps that apply from a month on.
    pub by_duration: Option<Vec<RawDurationStep>>,
    /// Hazard ratios by citizen attribute.
    pub modifiers: Option<Vec<RawModifier>>,
    /// Source.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
}

/// One step of a duration curve.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDurationStep {
    /// From this many months in the state on (0 = from entry).
    pub from_month: Option<i64>,
    /// Hazard ratio from then on.
    pub hr: Option<ParamSpec>,
}

/// A hazard ratio per unit of a citizen attribute: HR = hr_per_unit^(x − reference).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModifier {
    /// Attribute id.
    pub attribute: Option<String>,
    /// Hazard ratio per unit above the reference.
    pub hr_per_unit: Option<ParamSpec>,
    /// Attribute value with HR 1 (default 0).
    pub reference: Option<f64>,
    /// Instead of `hr_per_unit`: hazard ratios by bands of the attribute,
    /// `[{ from = 50, hr = 1.3 }, { from = 60, hr = 1.8 }]` (1 below the first band).
    pub bands: Option<Vec<RawBand>>,
}

/// One band of a banded modifier.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBand {
    /// From this attribute value on (included).
    pub from: Option<f64>,
    /// Hazard ratio from then on.
    pub hr: Option<ParamSpec>,
}

/// `[housing]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHousing {
    /// Levels, by id.
    pub levels: Option<IndexMap<String, RawState>>,
    /// Transitions between levels.
    pub transitions: Option<IndexMap<String, IndexMap<String, RawTransition>>>,
}

/// `[accounts.ID]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccount {
    /// Danish label.
    pub label_da: Option<String>,
    /// English label.
    pub label_en: Option<String>,
    /// Unit of `amount`: `dkk`, `hours`, `months`, `qaly`, …
    pub unit: Option<String>,
    /// Who pays: bif, sof, suf, region, state, citizen.
    pub payer: Option<String>,
    /// Amount per citizen-month in one of `states`, or per transition in `transitions`.
    pub amount: Option<ParamSpec>,
    /// What a `states` amount is per: `month` (the default), `year` or `cycle`.
    pub per: Option<String>,
    /// DKK per unit for accounts not in DKK (e.g. DKK per case-handling hour).
    pub price: Option<ParamSpec>,
    /// States (course states or housing levels) in which `amount` is booked each month.
    pub states: Option<Vec<String>>,
    /// Transitions `"FROM->TO"` on which `amount` is booked once (`*` for any origin).
    pub transitions: Option<Vec<String>>,
    /// Book only for citizens whose attribute lies in a range.
    pub when: Option<RawCondition>,
    /// Own annual discount rate (else the simulation's).
    pub discount_rate: Option<ParamSpec>,
    /// A benefit the state reimburses by the refusion staircase: the reimbursed share is
    /// booked to `state`, the rest to `payer`.
    pub refusion: Option<bool>,
    /// A transfer between the public sector and the citizen (benefits, taxes): left out of
    /// the society perspective.
    pub transfer: Option<bool>,
    /// A cost of the intervention itself (counted as investment, not as a consequence; not
    /// scaled by `--effect-scale`).
    pub investment: Option<bool>,
    /// The amount changes while the citizen holds a service of the arm:
    /// `{ service = "mentors", factor = 0 }` suspends it (what the house replaces),
    /// `factor = 0.6` lowers it by 40 % (e.g. fewer § 85 support hours).
    pub while_served: Option<RawWhileServed>,
    /// First month (0-based) the account books (default 0): a window, e.g. for amounts that
    /// count only while the house runs.
    pub from_month: Option<i64>,
    /// Last month (0-based, inclusive) the account books (default: the horizon's last).
    pub to_month: Option<i64>,
    /// Source.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// The price year of the amounts written in this table (see [`RawScenario::price_year`]).
    pub price_year: Option<i64>,
}

/// `while_served = { service = "mentors", factor = 0 }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhileServed {
    /// The service (with capacity) whose holders book the changed amount.
    pub service: Option<String>,
    /// The amount is multiplied by this while the service is held (0 suspends it).
    pub factor: Option<ParamSpec>,
}

/// `when = { attribute = "children", min = 1 }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    /// Attribute id.
    pub attribute: Option<String>,
    /// Lowest value included.
    pub min: Option<f64>,
    /// Highest value included.
    pub max: Option<f64>,
}

/// `[arms.ID]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArm {
    /// Danish label.
    pub label_da: Option<String>,
    /// English label.
    pub label_en: Option<String>,
    /// Share of starters offered the arm's programme (default 1).
    pub offer_share: Option<ParamSpec>,
    /// First cycle (0-based, by entry) whose starters can be offered it.
    pub offer_from: Option<i64>,
    /// Last cycle (0-based, by entry) whose starters can be offered it.
    pub offer_to: Option<i64>,
    /// Hazard ratios on course transitions for participants: `[arms.X.effects.FROM.TO]`.
    pub effects: Option<IndexMap<String, IndexMap<String, ParamSpec>>>,
    /// Hazard ratios on housing transitions for participants.
    pub housing_effects: Option<IndexMap<String, IndexMap<String, ParamSpec>>>,
    /// Amount overrides for participants: `[arms.X.accounts.ID] amount = …`.
    pub accounts: Option<IndexMap<String, RawAccountOverride>>,
    /// Staffed services of the arm: `[arms.X.services.ID]` (staff cost is investment).
    pub services: Option<IndexMap<String, RawService>>,
    /// Other intervention costs: `[arms.X.costs.ID]` (premises, start-up, research, …).
    pub costs: Option<IndexMap<String, RawCost>>,
    /// Source of the arm's design.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// The price year of the amounts written in this table (see [`RawScenario::price_year`]).
    pub price_year: Option<i64>,
}

/// An arm's override of an account amount.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccountOverride {
    /// The participants' amount.
    pub amount: Option<ParamSpec>,
    /// The price year of the amounts written in this table (see [`RawScenario::price_year`]).
    pub price_year: Option<i64>,
}

/// `[arms.X.services.ID]`: a staffed service of an arm.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawService {
    /// Danish label.
    pub label_da: Option<String>,
    /// English label.
    pub label_en: Option<String>,
    /// Full-time equivalents (with `staff_to_demand`: the most that may be staffed).
    pub fte: Option<ParamSpec>,
    /// FTE by period instead of `fte`: `[{ from_month = 0, fte = 5 }, { from_month = 6, fte = 20 }]`.
    pub fte_schedule: Option<Vec<RawFtePeriod>>,
    /// Staff that follow the demand: FTE = eligible citizens ÷ target caseload, within bounds.
    pub staff_to_demand: Option<RawDemand>,
    /// Annual cost per FTE in DKK (salary, pension, overhead).
    pub cost_per_fte_year: Option<ParamSpec>,
    /// Who employs the staff: bif, sof, suf, region, state.
    pub payer: Option<String>,
    /// First month (0-based) the service is staffed.
    pub from_month: Option<i64>,
    /// Last month (0-based, inclusive) the service is staffed.
    pub to_month: Option<i64>,
    /// How capacity is used: `caseload` (slots kept while eligible), `monthly` (new services
    /// per month) or `shared` (everyone served, effect diluted above capacity). Without it the
    /// service is modelled by its cost only.
    pub kind: Option<String>,
    /// Caseload per FTE, or services per FTE per month for `monthly`.
    pub capacity_per_fte: Option<ParamSpec>,
    /// Course states in which a citizen can receive the service (default: states with
    /// `in_course = true`).
    pub eligible_states: Option<Vec<String>>,
    /// Only participants of the arm's programme are eligible (default true).
    pub participants_only: Option<bool>,
    /// Attribute condition for eligibility (readiness), e.g. `{ attribute = "health_burden", max = 1 }`.
    pub when: Option<RawCondition>,
    /// Months in the course before a citizen is eligible.
    pub min_course_months: Option<i64>,
    /// Hazard ratios on course transitions while receiving the service: `[…effects.FROM] TO = hr`.
    pub effects: Option<IndexMap<String, IndexMap<String, ParamSpec>>>,
    /// Hazard ratios on housing transitions while receiving the service.
    pub housing_effects: Option<IndexMap<String, IndexMap<String, ParamSpec>>>,
    /// `monthly` services: the course state a served citizen moves to (e.g. `placement`).
    pub move_to: Option<String>,
    /// `monthly` services: add to an attribute when served, e.g. `{ attribute = "health_burden", add = -1 }`.
    pub change: Option<RawChange>,
    /// `monthly` services: at most once per citizen (default true).
    pub once: Option<bool>,
    /// Source.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// The price year of the amounts written in this table (see [`RawScenario::price_year`]).
    pub price_year: Option<i64>,
}

/// One period of an FTE schedule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFtePeriod {
    /// First month (0-based) of the period; it lasts until the next period starts.
    pub from_month: Option<i64>,
    /// FTE staffed in the period.
    pub fte: Option<f64>,
}

/// Staffing to demand.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDemand {
    /// Citizens per FTE the staffing aims at (default: the service's `capacity_per_fte`).
    pub target_caseload: Option<ParamSpec>,
    /// The fewest FTE staffed while the service is open (default 0).
    pub min_fte: Option<f64>,
    /// Months that recruitment takes: the FTE of month m follows the demand of month m − lag
    /// (default 0).
    pub lag_months: Option<i64>,
    /// FTE are staffed in steps of this size, rounded up (default 0.5).
    pub step: Option<f64>,
}

/// An attribute change made by a service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChange {
    /// Attribute id.
    pub attribute: Option<String>,
    /// Amount added.
    pub add: Option<f64>,
}

/// `[arms.X.costs.ID]`: a programme-level cost of an arm.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    /// Danish label.
    pub label_da: Option<String>,
    /// English label.
    pub label_en: Option<String>,
    /// Amount in DKK, per `per`.
    pub amount: Option<ParamSpec>,
    /// `month`, `year` (spread over its months), `total` (spread evenly over from–to), `once`
    /// (booked in `from_month`) or `case` (per citizen newly served by `service`).
    pub per: Option<String>,
    /// With `per = "case"`: the service whose new cases are paid for.
    pub service: Option<String>,
    /// Payer: bif, sof, suf, region, state, citizen.
    pub payer: Option<String>,
    /// First month (0-based).
    pub from_month: Option<i64>,
    /// Last month (0-based, inclusive).
    pub to_month: Option<i64>,
    /// Source.
    pub source: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// The price year of the amounts written in this table (see [`RawScenario::price_year`]).
    pub price_year: Option<i64>,
}
