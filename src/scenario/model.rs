//! The checked scenario the engine runs: ids resolved to indices, parameters collected in one
//! register (so that each replication draws them all at once and the report can list them).

use super::param::Param;
use serde::Serialize;

mod services;
pub use services::{Capacity, CostPer, Demand, ProgramCost, Service, ServiceKind, Staffing};

/// Index of a parameter in [`Scenario::params`].
pub type ParamId = usize;

/// Largest number of accounts with a `when` condition (one bit each).
pub const MAX_CONDITIONAL_ACCOUNTS: usize = 64;

/// Index of the course-state chain in [`Scenario::chains`].
pub const COURSE: usize = 0;
/// Which reading of the evidence on effects a scenario takes (`[scenario] evidence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceLevel {
    /// Effects as measured by the Danish evaluations, none where none was measured.
    Conservative,
    /// The scenario's best estimate.
    Central,
    /// Effects as in the strongest trials of comparable programmes.
    Optimistic,
}

impl EvidenceLevel {
    /// The values a scenario file may write.
    pub const NAMES: [&'static str; 3] = ["conservative", "central", "optimistic"];

    /// The level a scenario file writes.
    pub fn parse(s: &str) -> Option<EvidenceLevel> {
        match s {
            "conservative" => Some(EvidenceLevel::Conservative),
            "central" => Some(EvidenceLevel::Central),
            "optimistic" => Some(EvidenceLevel::Optimistic),
            _ => None,
        }
    }

    /// The file's word for it.
    pub fn id(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The level in words.
    pub fn label(self, da: bool) -> &'static str {
        match (self, da) {
            (EvidenceLevel::Conservative, true) => "forsigtig",
            (EvidenceLevel::Central, true) => "central",
            (EvidenceLevel::Optimistic, true) => "optimistisk",
            (EvidenceLevel::Conservative, false) => "conservative",
            (EvidenceLevel::Central, false) => "central",
            (EvidenceLevel::Optimistic, false) => "optimistic",
        }
    }
}

/// The evidence variant of a scenario and what it rests on.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// Conservative, central or optimistic.
    pub level: EvidenceLevel,
    /// What it rests on, English.
    pub note_en: String,
    /// What it rests on, Danish (the English note when none is given).
    pub note_da: String,
}

impl Evidence {
    /// One sentence for the report: "Evidensvariant: forsigtig. …".
    pub fn sentence(&self, da: bool) -> String {
        let note = if da { &self.note_da } else { &self.note_en };
        let head = if da {
            "Evidensvariant"
        } else {
            "Evidence variant"
        };
        if note.is_empty() {
            format!("{head}: {}.", self.level.label(da))
        } else {
            format!("{head}: {}. {note}", self.level.label(da))
        }
    }
}

/// Index of the housing-support chain in [`Scenario::chains`].
pub const HOUSING: usize = 1;

/// A checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name (default output folder).
    pub name: String,
    /// Danish title.
    pub title_da: String,
    /// English title.
    pub title_en: String,
    /// Description.
    pub description: String,
    /// Danish description (the English one when none is given).
    pub description_da: String,
    /// The reading of the evidence on effects the scenario takes, when it says.
    pub evidence: Option<Evidence>,
    /// The budget years at full phase-in (first, last), when the scenario names them.
    pub full_phase_in: Option<(i32, i32)>,
    /// SHA-256 of the scenario text (all files of an `extends` chain, named file first).
    pub sha256: String,
    /// Paths of the files read, named file first.
    pub files: Vec<String>,
    /// Time axis and conventions.
    pub sim: Simulation,
    /// Entry of citizens.
    pub cohort: Cohort,
    /// Citizen attributes.
    pub attributes: Vec<Attribute>,
    /// `[COURSE]` course states, `[HOUSING]` housing-support levels.
    pub chains: Vec<Chain>,
    /// Accounts.
    pub accounts: Vec<Account>,
    /// Arms; index 0 is `control`.
    pub arms: Vec<Arm>,
    /// Every numeric model parameter, drawn once per replication.
    pub params: Vec<ParamDef>,
    /// State reimbursement of benefits, when any account uses it.
    pub refusion: Option<Refusion>,
    /// Ageing attributes, deaths from a life table and moves at an age.
    pub life: Life,
    /// Warnings about the scenario (values outside their plausible range, nothing to save or
    /// to invest), each with its file and line.
    pub warnings: Vec<String>,
    /// Plausible ranges the scenario widened, with their reasons.
    pub widened: Vec<super::plausible::Widened>,
    /// How amounts were converted to the price year.
    pub prices: super::prices::PriceConversion,
    /// The parts of its base a variant removed (`remove`).
    pub removed: Vec<String>,
    /// The register of sources (`[sources.KEY]`), in the order written.
    pub bibliography: Vec<super::bibliography::Reference>,
}

/// The life course: which attributes are ages, deaths, and moves at an age.
#[derive(Debug, Clone, Default)]
pub struct Life {
    /// Attributes that are ages in years: they grow by the cycle's length every cycle.
    pub ageing: Vec<usize>,
    /// Deaths from a life table, when the scenario has `[mortality]`.
    pub mortality: Option<Mortality>,
    /// Per course state: everyone who reaches an age there moves on in that cycle.
    pub at_age: Vec<Option<AtAge>>,
}

/// `[mortality]`, checked.
#[derive(Debug, Clone)]
pub struct Mortality {
    /// The life table.
    pub table: super::lifetable::LifeTable,
    /// The age attribute (an ageing attribute).
    pub age_attribute: usize,
    /// The attribute that is 1 for women, 0 for men (None: a table for both sexes).
    pub sex_attribute: Option<usize>,
    /// The absorbing course state of the dead.
    pub death_state: usize,
    /// Per course state: multiplier of the table's death rate (None: 1).
    pub state_hr: Vec<Option<ParamId>>,
    /// Source of the table.
    pub source: Option<String>,
}

/// A move at an age: `at_age = { age = 67, to = "old_age_pension" }`.
#[derive(Debug, Clone, Copy)]
pub struct AtAge {
    /// The ageing attribute read.
    pub attribute: usize,
    /// The age in years.
    pub age: f64,
    /// The course state moved to.
    pub to: usize,
}

/// The refusion staircase.
#[derive(Debug, Clone)]
pub struct Refusion {
    /// (first week, reimbursed share), by increasing week.
    pub steps: Vec<(u32, ParamId)>,
    /// Attribute with prior weeks on covered benefits.
    pub prior_weeks_attribute: Option<usize>,
    /// Course/housing states in which the benefit clock runs (those booked by a refusion
    /// account), per chain.
    pub clock_states: Vec<Vec<bool>>,
}

/// A registered parameter.
#[derive(Debug, Clone)]
pub struct ParamDef {
    /// Where it is written, e.g. `transitions.course.pension.prob`.
    pub path: String,
    /// Its distribution and provenance.
    pub param: Param,
    /// What it means (for range checks and the report).
    pub kind: ParamKind,
}

/// What a parameter measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// A probability per cycle.
    Probability,
    /// A rate per month (or year, converted).
    Rate,
    /// A hazard ratio (≥ 0).
    HazardRatio,
    /// An amount in the account's unit.
    Amount,
    /// A price in DKK per unit.
    Price,
    /// A share in [0, 1].
    Share,
    /// An annual discount rate.
    DiscountRate,
}

/// `[simulation]`, checked.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Calendar year of the first month.
    pub start_year: i32,
    /// Calendar month (1–12) of the first month.
    pub start_month: u32,
    /// Number of cycles.
    pub horizon: u32,
    /// Months per cycle (1 or 12).
    pub cycle_months: u32,
    /// Master seed.
    pub seed: u64,
    /// Default number of replications.
    pub replications: u32,
    /// When amounts of a cycle are counted.
    pub counting: Counting,
    /// Whether the entry cycle is counted under start counting.
    pub count_time_zero: bool,
    /// How time is turned into a discount exponent.
    pub discounting: Discounting,
    /// Annual discount rate.
    pub discount_rate: ParamId,
    /// Added to the discount exponent.
    pub discount_start: u32,
    /// Price year of amounts.
    pub price_year: i32,
    /// The effect scale of a run unless the command line sets one (1 = the effects as written).
    pub effect_scale: f64,
}

impl Simulation {
    /// Months from start to the end of the horizon.
    pub fn horizon_months(&self) -> u32 {
        self.horizon * self.cycle_months
    }

    /// Calendar year of the month `m` months after the start.
    pub fn calendar_year(&self, m: u32) -> i32 {
        self.start_year + ((self.start_month - 1 + m) / 12) as i32
    }

    /// `YYYY-MM` of month `m`, counted from 0 (month 0 is the start month).
    pub fn month_text(&self, m: u32) -> String {
        let idx = self.start_month - 1 + m;
        format!(
            "{:04}-{:02}",
            self.start_year + (idx / 12) as i32,
            idx % 12 + 1
        )
    }

    /// A month as users see it everywhere: counted from 0, like `from_month` and `to_month`
    /// in scenario files, with its calendar month: "måned 35 (2019-06)" / "month 35 (2019-06)".
    pub fn month_label(&self, m: u32, da: bool) -> String {
        format!(
            "{} {m} ({})",
            if da { "måned" } else { "month" },
            self.month_text(m)
        )
    }

    /// `YYYY-MM` of the start.
    pub fn start_text(&self) -> String {
        format!("{:04}-{:02}", self.start_year, self.start_month)
    }
}

/// When in a cycle occupancy amounts are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Counting {
    /// The state at the start of the cycle.
    Start,
    /// The state at the end of the cycle.
    End,
    /// Half the start state plus half the end state (half-cycle correction).
    HalfCycle,
}

/// How time becomes a discount exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discounting {
    /// Calendar (budget) year minus the start year.
    BudgetYear,
    /// Whole years since the start.
    SimulationYear,
    /// Months since the start / 12.
    Monthly,
}

/// Entry of citizens.
#[derive(Debug, Clone)]
pub struct Cohort {
    /// Starters per cycle; a closed cohort has one entry.
    pub inflow: Vec<u32>,
    /// Start-state shares (chain COURSE), cumulative.
    pub start_state: Vec<(usize, f64)>,
    /// Start housing shares (chain HOUSING), cumulative.
    pub start_housing: Vec<(usize, f64)>,
    /// Source of the size, if any.
    pub source: Option<String>,
    /// Note on the size.
    pub note: Option<String>,
}

impl Cohort {
    /// Number of citizens.
    pub fn size(&self) -> usize {
        self.inflow.iter().map(|&n| n as usize).sum()
    }
}

/// A citizen attribute drawn once per citizen.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Id.
    pub id: String,
    /// Distribution.
    pub dist: Param,
    /// An age in years that grows by the cycle's length every cycle.
    pub ageing: bool,
}

/// A chain of states with its transitions.
#[derive(Debug, Clone)]
pub struct Chain {
    /// `course` or `housing`.
    pub name: &'static str,
    /// States in file order.
    pub states: Vec<State>,
    /// Transitions.
    pub edges: Vec<Edge>,
}

impl Chain {
    /// Index of a state id.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.states.iter().position(|s| s.id == id)
    }

    /// Index of the edge from → to.
    pub fn edge(&self, from: usize, to: usize) -> Option<usize> {
        self.edges.iter().position(|e| e.from == from && e.to == to)
    }
}

/// A state.
#[derive(Debug, Clone)]
pub struct State {
    /// Id.
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// No exits.
    pub absorbing: bool,
    /// Planned length in months.
    pub max_months: Option<u32>,
    /// Destinations at `max_months` (cumulative shares), or None for "by the state's rates".
    pub on_max: Option<Vec<(usize, f64)>>,
    /// Part of the course (for the outcome mix of leavers).
    pub in_course: bool,
    /// `max_months` and duration steps count months since entering the course states.
    pub course_clock: bool,
    /// Housing level held while in this (course) state.
    pub housing: Option<usize>,
    /// Trial outcomes (`ressim power`): what being in this state counts as.
    pub flags: OutcomeFlags,
}

/// What being in a course state counts as for the trial outcomes of `ressim power`
/// (all false unless the scenario says otherwise).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeFlags {
    /// Supports themselves: ordinary job, education or flex job.
    pub self_supporting: bool,
    /// On disability pension (førtidspension).
    pub disability_pension: bool,
    /// Receives a public benefit.
    pub on_benefits: bool,
    /// In employment.
    pub employed: bool,
}

/// How an edge's base intensity is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EdgeBase {
    /// Probability per cycle.
    Prob(ParamId),
    /// Rate per `per_months` months.
    Rate {
        /// The rate.
        param: ParamId,
        /// 1 for per month, 12 for per year.
        per_months: u32,
    },
}

/// A transition.
#[derive(Debug, Clone)]
pub struct Edge {
    /// From state.
    pub from: usize,
    /// To state.
    pub to: usize,
    /// Base intensity.
    pub base: EdgeBase,
    /// Hazard-ratio steps by months in state: (from_month, hr), sorted.
    pub duration: Vec<(u32, ParamId)>,
    /// Attribute modifiers.
    pub modifiers: Vec<Modifier>,
    /// Banded attribute modifiers (e.g. age bands).
    pub bands: Vec<Bands>,
}

/// HR by bands of an attribute: the band with the largest `from` not above the value applies;
/// below the first band the ratio is 1.
#[derive(Debug, Clone)]
pub struct Bands {
    /// Attribute index.
    pub attribute: usize,
    /// (from, hr), by increasing `from`.
    pub steps: Vec<(f64, ParamId)>,
}

/// HR = hr_per_unit^(attribute − reference).
#[derive(Debug, Clone)]
pub struct Modifier {
    /// Attribute index.
    pub attribute: usize,
    /// HR per unit.
    pub hr_per_unit: ParamId,
    /// Value with HR 1.
    pub reference: f64,
}

/// Who pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Payer {
    /// Employment administration.
    Bif,
    /// Social administration.
    Sof,
    /// Health administration.
    Suf,
    /// The region.
    Region,
    /// The state.
    State,
    /// The citizen.
    Citizen,
}

impl Payer {
    /// All payers in report order.
    pub const ALL: [Payer; 6] = [
        Payer::Bif,
        Payer::Sof,
        Payer::Suf,
        Payer::Region,
        Payer::State,
        Payer::Citizen,
    ];

    /// The id used in files.
    pub fn id(self) -> &'static str {
        match self {
            Payer::Bif => "bif",
            Payer::Sof => "sof",
            Payer::Suf => "suf",
            Payer::Region => "region",
            Payer::State => "state",
            Payer::Citizen => "citizen",
        }
    }

    /// Parse an id.
    pub fn parse(s: &str) -> Option<Payer> {
        Payer::ALL.into_iter().find(|p| p.id() == s)
    }
}

/// What an account's amount is booked on.
#[derive(Debug, Clone)]
pub enum Basis {
    /// Each citizen-month in one of these (chain, state).
    States(Vec<(usize, usize)>),
    /// Each transition (chain, from or any, to).
    Transitions(Vec<(usize, Option<usize>, usize)>),
}

/// An account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Id.
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// Unit of the amount (`dkk`, `hours`, …).
    pub unit: String,
    /// Payer.
    pub payer: Payer,
    /// Amount per citizen-month or per transition.
    pub amount: ParamId,
    /// For an amount booked in states: how many months the amount is for (1 per month, 12 per
    /// year, the cycle's months per cycle); 1 for amounts booked on transitions.
    pub per_months: f64,
    /// DKK per unit when the unit is not DKK.
    pub price: Option<ParamId>,
    /// What it is booked on.
    pub basis: Basis,
    /// Booked only for citizens with attribute in [min, max].
    pub when: Option<Condition>,
    /// Own discount rate.
    pub discount_rate: Option<ParamId>,
    /// Reimbursed by the state by the refusion staircase.
    pub refusion: bool,
    /// A transfer (left out of the society perspective).
    pub transfer: bool,
    /// A cost of the intervention itself.
    pub investment: bool,
    /// Months (0-based, inclusive) in which the account books; None: the whole horizon.
    pub window: Option<(u32, u32)>,
    /// The amount is multiplied by a factor while the citizen holds a service.
    pub while_served: Option<WhileServed>,
}

/// An account whose amount changes while a citizen holds a service of its arm: the ordinary
/// effort the house replaces (factor 0: suspended) or a lower support level (factor below 1).
#[derive(Debug, Clone)]
pub struct WhileServed {
    /// Service id (looked up in each arm; an arm without it books the full amount).
    pub service: String,
    /// Multiplier of the amount while the service is held.
    pub factor: ParamId,
}

impl Account {
    /// Whether the account is valued in DKK (its amount, or through its price).
    pub fn in_dkk(&self) -> bool {
        self.unit == "dkk" || self.price.is_some()
    }

    /// Whether the account counts a quantity in a unit other than kroner (hours, employment
    /// months, QALYs), with or without a price.
    pub fn is_quantity(&self) -> bool {
        self.unit != "dkk"
    }

    /// Whether the quantity is discounted: the account gives its own `discount_rate`.
    pub fn discounts_quantity(&self) -> bool {
        self.discount_rate.is_some()
    }
}

/// An attribute range.
#[derive(Debug, Clone)]
pub struct Condition {
    /// Attribute index.
    pub attribute: usize,
    /// Lowest included.
    pub min: f64,
    /// Highest included.
    pub max: f64,
}

/// An arm.
#[derive(Debug, Clone)]
pub struct Arm {
    /// Id.
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// Share of eligible starters offered the programme.
    pub offer_share: ParamId,
    /// First entry cycle eligible.
    pub offer_from: u32,
    /// Last entry cycle eligible.
    pub offer_to: u32,
    /// Hazard ratios for participants: (chain, edge, hr).
    pub effects: Vec<(usize, usize, ParamId)>,
    /// Amount overrides for participants: (account, amount).
    pub account_overrides: Vec<(usize, ParamId)>,
    /// Staffed services.
    pub services: Vec<Service>,
    /// Programme costs.
    pub costs: Vec<ProgramCost>,
}

impl Scenario {
    /// All states of both chains as (chain, state) in report order.
    pub fn all_states(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.chains
            .iter()
            .enumerate()
            .flat_map(|(c, ch)| (0..ch.states.len()).map(move |s| (c, s)))
    }

    /// The central value of every parameter (the "no uncertainty" draw).
    pub fn central_values(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.param.central()).collect()
    }

    /// Parameters without a source.
    pub fn unsourced(&self) -> Vec<&ParamDef> {
        self.params
            .iter()
            .filter(|p| p.param.source.is_none())
            .collect()
    }
}

impl Scenario {
    /// Whether service `id` is staffed to demand in the arms compared with control.
    pub fn staffed_to_demand(&self, id: &str) -> bool {
        self.arms[1..].iter().any(|a| {
            a.services
                .iter()
                .any(|s| s.id == id && matches!(s.staffing, Staffing::Demand(_)))
        })
    }

    /// What a sweep varies: `ID` sets the FTE of service ID like `--staff` (a fixed staff, the
    /// peak of a schedule, the most that may be staffed to demand); `ID.target_caseload` sets
    /// the target caseload of a service staffed to demand.
    pub fn set_staff_level(&mut self, key: &str, x: f64) -> Result<usize, String> {
        let Some(id) = key.strip_suffix(TARGET_SUFFIX) else {
            return self.set_staff(key, x);
        };
        if !self.staffed_to_demand(id) {
            return Err(format!(
                "`{key}`: service `{id}` is not staffed to demand (`staff_to_demand`), so it has no target caseload; vary `{id}` (its FTE) instead"
            ));
        }
        if x.is_nan() || x <= 0.0 {
            return Err(format!(
                "`{id}` is staffed to demand: the value varied is its target caseload, which must be above 0, got {x}"
            ));
        }
        let mut changed = 0;
        for a in 1..self.arms.len() {
            if let Some(Staffing::Demand(d)) = self.arms[a]
                .services
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.staffing.clone())
            {
                self.params[d.target].param = super::param::Param {
                    source: Some("Command line (--vary)".into()),
                    ..super::param::Param::fixed(x)
                };
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Set the FTE of service `id` in every arm but control (e.g. from `--staff mentors=15`):
    /// a fixed staff, the peak of a schedule (which scales the whole schedule) or the most
    /// that may be staffed to demand; returns how many arms have it, or an error listing the
    /// services there are.
    pub fn set_staff(&mut self, id: &str, fte: f64) -> Result<usize, String> {
        let mut changed = 0;
        for a in 1..self.arms.len() {
            if let Some(sv) = self.arms[a].services.iter().find(|s| s.id == id) {
                let pid = sv.fte;
                self.params[pid].param = super::param::Param {
                    source: Some("Command line (--staff / --vary)".into()),
                    ..super::param::Param::fixed(fte)
                };
                changed += 1;
            }
        }
        if changed == 0 {
            let mut ids: Vec<&str> = self.arms[1..]
                .iter()
                .flat_map(|a| a.services.iter().map(|s| s.id.as_str()))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            return Err(format!(
                "no service `{id}` in the arms compared with control; services: {}",
                if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                }
            ));
        }
        Ok(changed)
    }
}

/// The suffix of a sweep key that varies a demand-staffed service's target caseload.
pub const TARGET_SUFFIX: &str = ".target_caseload";
