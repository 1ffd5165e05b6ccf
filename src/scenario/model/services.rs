//! The staffed services of an arm and its programme costs: what a service offers, to whom, how
//! its staff vary over time, and how the arm's other costs are spread.

use super::{Condition, ParamId, Payer};
use serde::Serialize;

/// A staffed service of an arm.
#[derive(Debug, Clone)]
pub struct Service {
    /// Id (e.g. `mentors`).
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// FTE.
    pub fte: ParamId,
    /// Annual cost per FTE.
    pub cost_per_fte_year: ParamId,
    /// Employer.
    pub payer: Payer,
    /// First month staffed.
    pub from_month: u32,
    /// Last month staffed (inclusive).
    pub to_month: u32,
    /// Capacity, eligibility and effect; None for a service modelled by its cost only.
    pub capacity: Option<Capacity>,
    /// How the staff vary over time.
    pub staffing: Staffing,
}

/// How a service's staff vary over the months it is open.
#[derive(Debug, Clone, PartialEq)]
pub enum Staffing {
    /// `fte` in every month.
    Fixed,
    /// A schedule: (first month, share of `fte`) by increasing month, each share applying until
    /// the next period; `fte` is the schedule's peak, so `--staff` scales the whole schedule.
    Schedule(Vec<(u32, f64)>),
    /// Staffed to demand, with `fte` as the most that may be staffed.
    Demand(Demand),
}

impl Staffing {
    /// The share of `fte` staffed in `month` by a fixed staff or a schedule (demand: 1).
    pub fn share_at(&self, month: u32) -> f64 {
        match self {
            Staffing::Schedule(periods) => periods
                .iter()
                .rev()
                .find(|(from, _)| *from <= month)
                .map_or(0.0, |p| p.1),
            Staffing::Fixed | Staffing::Demand(_) => 1.0,
        }
    }
}

/// Staffing to demand: the FTE of month m is the eligible demand of month m − `lag_months`
/// divided by the target caseload, rounded up to whole `step`s, within [`min_fte`, `fte`].
#[derive(Debug, Clone, PartialEq)]
pub struct Demand {
    /// Citizens (or services a month) per FTE that the staffing aims at.
    pub target: ParamId,
    /// The fewest FTE while the service is open.
    pub min_fte: f64,
    /// Months recruitment takes.
    pub lag_months: u32,
    /// Size of a staffing step in FTE.
    pub step: f64,
}

/// How a service's capacity is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// Slots held month after month (a mentor's or caseworker's caseload): capacity =
    /// FTE × caseload; a citizen keeps the slot while eligible (continuity).
    Caseload,
    /// New services per month (company placements, health clarifications): capacity =
    /// FTE × services per FTE per month.
    Monthly,
    /// Everybody eligible is served, and the effect is diluted when demand exceeds capacity:
    /// a hazard ratio HR becomes HR^min(1, capacity / demand).
    Shared,
}

/// The capacity side of a service.
#[derive(Debug, Clone)]
pub struct Capacity {
    /// How capacity is used.
    pub kind: ServiceKind,
    /// Caseload per FTE (caseload, shared) or services per FTE per month (monthly).
    pub per_fte: ParamId,
    /// Course states in which a citizen can receive the service.
    pub eligible_states: Vec<bool>,
    /// Only participants of the arm's programme are eligible.
    pub participants_only: bool,
    /// Attribute condition for eligibility (readiness).
    pub when: Option<Condition>,
    /// Months in the course before a citizen is eligible.
    pub min_course_months: u32,
    /// Hazard ratios on transitions while receiving the service: (chain, edge, hr).
    pub effects: Vec<(usize, usize, ParamId)>,
    /// Monthly services: the citizen moves to this course state when served.
    pub move_to: Option<usize>,
    /// Monthly services: add this to an attribute when served (e.g. health burden −1).
    pub attribute_change: Option<(usize, f64)>,
    /// Monthly services: at most once per citizen.
    pub once: bool,
}

/// How a programme cost is spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostPer {
    /// Every month in the window.
    Month,
    /// Per year, i.e. a twelfth every month in the window.
    Year,
    /// The total spread evenly over the window.
    Total,
    /// Once, in the first month of the window.
    Once,
    /// Per case: for every citizen newly served by the arm's service of this index (a new slot
    /// of a caseload service, a service of a monthly service) in a month of the window.
    Case(usize),
}

/// A programme-level cost of an arm.
#[derive(Debug, Clone)]
pub struct ProgramCost {
    /// Id.
    pub id: String,
    /// Danish label.
    pub label_da: String,
    /// English label.
    pub label_en: String,
    /// Amount.
    pub amount: ParamId,
    /// Spread.
    pub per: CostPer,
    /// Payer.
    pub payer: Payer,
    /// First month.
    pub from_month: u32,
    /// Last month (inclusive).
    pub to_month: u32,
}
