//! Plausibility, not only validity: every parameter has a kind with a unit (kr. per month,
//! hazard ratio, FTE, …), inferred from where it sits in the file, and most kinds have a
//! documented plausible range (docs/scenario.md, section 11). A value outside it is valid but
//! suspicious: `check` and `run` warn, naming the value, the range and the likely cause (e.g. a
//! Danish thousands dot, `520.000`, read as 520). A scenario widens a range with
//! `[plausible_ranges.KIND]` and a reason, which the report shows.

use super::model::{Basis, CostPer, Scenario, ServiceKind};
use super::param::fmt_num;
use serde::Serialize;

/// What a parameter measures, with its unit and plausible range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A service's cost per full-time staff per year.
    WageCost,
    /// A benefit or other transfer per citizen-month.
    BenefitMonth,
    /// A benefit or other transfer per citizen-year.
    BenefitYear,
    /// Another amount per citizen-month.
    AmountMonth,
    /// Another amount per citizen-year.
    AmountYear,
    /// An amount booked once per move.
    AmountOnce,
    /// A programme cost per month.
    ProgrammeCostMonth,
    /// A programme cost per year.
    ProgrammeCostYear,
    /// A programme cost once or in total.
    ProgrammeCostOnce,
    /// A programme cost per case (`per = "case"`).
    ProgrammeCostCase,
    /// A price per hour.
    PricePerHour,
    /// A price per other unit (a QALY, a month).
    PricePerUnit,
    /// Hours per citizen-month.
    HoursMonth,
    /// Another quantity.
    Quantity,
    /// A hazard ratio that applies while a state lasts or a service is held.
    HazardRatio,
    /// A hazard ratio in the month a `monthly` service is given (an arranged event).
    HazardRatioMonthServed,
    /// A probability per cycle.
    Probability,
    /// A rate.
    Rate,
    /// A share.
    Share,
    /// An annual discount rate.
    DiscountRate,
    /// Full-time equivalents.
    Fte,
    /// Citizens per FTE (a caseload).
    CitizensPerFte,
    /// Citizens served per FTE per month.
    ServedPerFteMonth,
    /// A multiplier of an amount.
    Factor,
    /// A citizen attribute (any scale).
    Attribute,
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Kind; 25] = [
        Kind::WageCost,
        Kind::BenefitMonth,
        Kind::BenefitYear,
        Kind::AmountMonth,
        Kind::AmountYear,
        Kind::AmountOnce,
        Kind::ProgrammeCostMonth,
        Kind::ProgrammeCostYear,
        Kind::ProgrammeCostOnce,
        Kind::ProgrammeCostCase,
        Kind::PricePerHour,
        Kind::PricePerUnit,
        Kind::HoursMonth,
        Kind::Quantity,
        Kind::HazardRatio,
        Kind::HazardRatioMonthServed,
        Kind::Probability,
        Kind::Rate,
        Kind::Share,
        Kind::DiscountRate,
        Kind::Fte,
        Kind::CitizensPerFte,
        Kind::ServedPerFteMonth,
        Kind::Factor,
        Kind::Attribute,
    ];

    /// The id used in `[plausible_ranges.ID]`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::WageCost => "wage_cost",
            Kind::BenefitMonth => "benefit_per_month",
            Kind::BenefitYear => "benefit_per_year",
            Kind::AmountMonth => "amount_per_month",
            Kind::AmountYear => "amount_per_year",
            Kind::AmountOnce => "amount_once",
            Kind::ProgrammeCostMonth => "programme_cost_per_month",
            Kind::ProgrammeCostYear => "programme_cost_per_year",
            Kind::ProgrammeCostOnce => "programme_cost_once",
            Kind::ProgrammeCostCase => "programme_cost_per_case",
            Kind::PricePerHour => "price_per_hour",
            Kind::PricePerUnit => "price_per_unit",
            Kind::HoursMonth => "hours_per_month",
            Kind::Quantity => "quantity",
            Kind::HazardRatio => "hazard_ratio",
            Kind::HazardRatioMonthServed => "hazard_ratio_month_served",
            Kind::Probability => "probability",
            Kind::Rate => "rate",
            Kind::Share => "share",
            Kind::DiscountRate => "discount_rate",
            Kind::Fte => "fte",
            Kind::CitizensPerFte => "citizens_per_fte",
            Kind::ServedPerFteMonth => "served_per_fte_month",
            Kind::Factor => "factor",
            Kind::Attribute => "attribute",
        }
    }

    /// The unit, in English or Danish.
    pub fn unit(self, da: bool) -> &'static str {
        match (self, da) {
            (Kind::WageCost, false) => "kr. per FTE-year",
            (Kind::WageCost, true) => "kr. pr. årsværk",
            (Kind::BenefitMonth | Kind::AmountMonth | Kind::ProgrammeCostMonth, false) => {
                "kr. per month"
            }
            (Kind::BenefitMonth | Kind::AmountMonth | Kind::ProgrammeCostMonth, true) => {
                "kr. pr. måned"
            }
            (Kind::BenefitYear | Kind::AmountYear | Kind::ProgrammeCostYear, false) => {
                "kr. per year"
            }
            (Kind::BenefitYear | Kind::AmountYear | Kind::ProgrammeCostYear, true) => "kr. pr. år",
            (Kind::AmountOnce | Kind::ProgrammeCostOnce, false) => "kr. once",
            (Kind::AmountOnce | Kind::ProgrammeCostOnce, true) => "kr. én gang",
            (Kind::ProgrammeCostCase, false) => "kr. per case",
            (Kind::ProgrammeCostCase, true) => "kr. pr. sag",
            (Kind::PricePerHour, false) => "kr. per hour",
            (Kind::PricePerHour, true) => "kr. pr. time",
            (Kind::PricePerUnit, false) => "kr. per unit",
            (Kind::PricePerUnit, true) => "kr. pr. enhed",
            (Kind::HoursMonth, false) => "hours per month",
            (Kind::HoursMonth, true) => "timer pr. måned",
            (Kind::Quantity, false) => "units",
            (Kind::Quantity, true) => "enheder",
            (Kind::HazardRatio | Kind::HazardRatioMonthServed, false) => "hazard ratio",
            (Kind::HazardRatio | Kind::HazardRatioMonthServed, true) => "hazard ratio",
            (Kind::Probability, false) => "probability per cycle",
            (Kind::Probability, true) => "sandsynlighed pr. periode",
            (Kind::Rate, false) => "rate",
            (Kind::Rate, true) => "rate",
            (Kind::Share, false) => "share",
            (Kind::Share, true) => "andel",
            (Kind::DiscountRate, false) => "share per year",
            (Kind::DiscountRate, true) => "andel pr. år",
            (Kind::Fte, _) => "FTE",
            (Kind::CitizensPerFte, false) => "citizens per FTE",
            (Kind::CitizensPerFte, true) => "borgere pr. årsværk",
            (Kind::ServedPerFteMonth, false) => "citizens per FTE per month",
            (Kind::ServedPerFteMonth, true) => "borgere pr. årsværk pr. måned",
            (Kind::Factor, false) => "factor",
            (Kind::Factor, true) => "faktor",
            (Kind::Attribute, false) => "attribute value",
            (Kind::Attribute, true) => "egenskabsværdi",
        }
    }

    /// What it is, in English (for messages).
    pub fn what(self) -> &'static str {
        match self {
            Kind::WageCost => "a wage cost",
            Kind::BenefitMonth | Kind::BenefitYear => "a benefit or transfer",
            Kind::AmountMonth | Kind::AmountYear | Kind::AmountOnce => "an amount",
            Kind::ProgrammeCostMonth
            | Kind::ProgrammeCostYear
            | Kind::ProgrammeCostOnce
            | Kind::ProgrammeCostCase => "a programme cost",
            Kind::PricePerHour | Kind::PricePerUnit => "a price",
            Kind::HoursMonth => "hours",
            Kind::Quantity => "a quantity",
            Kind::HazardRatio => "a hazard ratio",
            Kind::HazardRatioMonthServed => "a hazard ratio in the month served",
            Kind::Probability => "a probability",
            Kind::Rate => "a rate",
            Kind::Share => "a share",
            Kind::DiscountRate => "a discount rate",
            Kind::Fte => "staff",
            Kind::CitizensPerFte => "a caseload",
            Kind::ServedPerFteMonth => "citizens served a month",
            Kind::Factor => "a factor",
            Kind::Attribute => "an attribute",
        }
    }

    /// The documented plausible range (of the absolute value for amounts, which may be
    /// negative incomes); None: any valid value is plausible.
    pub fn range(self) -> Option<(f64, f64)> {
        Some(match self {
            Kind::WageCost => (200_000.0, 1_500_000.0),
            Kind::BenefitMonth => (1_000.0, 60_000.0),
            Kind::BenefitYear => (12_000.0, 720_000.0),
            Kind::AmountMonth => (10.0, 200_000.0),
            Kind::AmountYear => (100.0, 2_400_000.0),
            Kind::AmountOnce => (100.0, 2_000_000.0),
            Kind::ProgrammeCostMonth => (1_000.0, 20_000_000.0),
            Kind::ProgrammeCostYear => (10_000.0, 200_000_000.0),
            Kind::ProgrammeCostOnce => (10_000.0, 1_000_000_000.0),
            Kind::ProgrammeCostCase => (100.0, 1_000_000.0),
            Kind::PricePerHour => (100.0, 2_000.0),
            Kind::HoursMonth => (0.1, 200.0),
            Kind::HazardRatio => (0.2, 5.0),
            Kind::HazardRatioMonthServed => (0.2, 200.0),
            Kind::Probability => (0.0, 0.5),
            Kind::DiscountRate => (0.0, 0.1),
            Kind::Fte => (0.0, 500.0),
            Kind::CitizensPerFte => (1.0, 150.0),
            Kind::ServedPerFteMonth => (0.1, 100.0),
            Kind::Factor => (0.0, 2.0),
            Kind::PricePerUnit | Kind::Quantity | Kind::Rate | Kind::Share | Kind::Attribute => {
                return None;
            }
        })
    }

    /// Whether values of this kind are kroner (converted between price years).
    pub fn is_money(self) -> bool {
        matches!(
            self,
            Kind::WageCost
                | Kind::BenefitMonth
                | Kind::BenefitYear
                | Kind::AmountMonth
                | Kind::AmountYear
                | Kind::AmountOnce
                | Kind::ProgrammeCostMonth
                | Kind::ProgrammeCostYear
                | Kind::ProgrammeCostOnce
                | Kind::ProgrammeCostCase
                | Kind::PricePerHour
                | Kind::PricePerUnit
        )
    }

    /// Whether the range is of the absolute value (amounts that may be incomes).
    fn absolute(self) -> bool {
        self.is_money() || self == Kind::HoursMonth
    }

    /// The kind with the id `id`.
    pub fn parse(id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// A range a scenario widened, with its reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Widened {
    /// The kind.
    pub kind: Kind,
    /// The documented range.
    pub documented: (f64, f64),
    /// The range the scenario uses.
    pub min: f64,
    /// Upper end.
    pub max: f64,
    /// Why.
    pub reason: String,
}

/// A value outside its plausible range.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Index into [`Scenario::params`].
    pub param: usize,
    /// The central value.
    pub value: f64,
    /// Its kind.
    pub kind: Kind,
    /// The range it lies outside.
    pub range: (f64, f64),
    /// The likely cause and how to write it, when one is likely.
    pub cause: Option<String>,
}

impl Finding {
    /// The warning text (without location), in English.
    pub fn message(&self, path: &str) -> String {
        let (lo, hi) = self.range;
        let unit = self.kind.unit(false);
        let mut m = format!(
            "`{path}` = {} {unit} lies outside the plausible range {}–{} {unit} for {}",
            fmt_num(self.value),
            group(lo),
            group(hi),
            self.kind.what()
        );
        if let Some(c) = &self.cause {
            m.push_str("; ");
            m.push_str(c);
        }
        m.push_str(&format!(
            " (if the value is right, widen the range: [plausible_ranges.{}] with min/max and a reason)",
            self.kind.id()
        ));
        m
    }
}

/// `1500000` → `1,500,000`; small numbers as they are.
pub fn group(v: f64) -> String {
    if v.abs() < 10_000.0 || v != v.trunc() {
        return fmt_num(v);
    }
    let s = format!("{}", v.abs() as i64);
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// The kind of the parameter written at `path` (as in [`super::ParamDef::path`]).
pub fn kind_of(sc: &Scenario, path: &str) -> Kind {
    let segs: Vec<&str> = path.split('.').collect();
    let last = segs.last().copied().unwrap_or("");
    let first = segs.first().copied().unwrap_or("");
    let account_kind = |id: &str, what: &str| -> Kind {
        let Some(a) = sc.accounts.iter().find(|a| a.id == id) else {
            return Kind::Quantity;
        };
        if what == "price" {
            return if a.unit == "hours" {
                Kind::PricePerHour
            } else {
                Kind::PricePerUnit
            };
        }
        if what.starts_with("discount_rate") {
            return Kind::DiscountRate;
        }
        if what.starts_with("while_served") {
            return Kind::Factor;
        }
        let once = matches!(a.basis, Basis::Transitions(_));
        let yearly = a.per_months >= 12.0;
        if a.unit == "hours" {
            return if once {
                Kind::Quantity
            } else {
                Kind::HoursMonth
            };
        }
        if a.unit != "dkk" {
            return Kind::Quantity;
        }
        let benefit = a.transfer || a.refusion;
        match (once, yearly, benefit) {
            (true, _, _) => Kind::AmountOnce,
            (false, true, true) => Kind::BenefitYear,
            (false, true, false) => Kind::AmountYear,
            (false, false, true) => Kind::BenefitMonth,
            (false, false, false) => Kind::AmountMonth,
        }
    };
    match first {
        "accounts" if segs.len() >= 3 => return account_kind(segs[1], &segs[2..].join(".")),
        "cohort" => return Kind::Attribute,
        "refusion" => return Kind::Share,
        "simulation" => return Kind::DiscountRate,
        _ => {}
    }
    if first == "arms" && segs.len() >= 3 {
        let arm = sc.arms.iter().find(|a| a.id == segs[1]);
        match segs[2] {
            "offer_share" => return Kind::Share,
            "effects" | "housing_effects" => return Kind::HazardRatio,
            "accounts" if segs.len() >= 5 => return account_kind(segs[3], segs[4]),
            "costs" if segs.len() >= 4 => {
                let per = arm
                    .and_then(|a| a.costs.iter().find(|c| c.id == segs[3]))
                    .map(|c| c.per);
                return match per {
                    Some(CostPer::Month) => Kind::ProgrammeCostMonth,
                    Some(CostPer::Year) => Kind::ProgrammeCostYear,
                    Some(CostPer::Case(_)) => Kind::ProgrammeCostCase,
                    _ => Kind::ProgrammeCostOnce,
                };
            }
            "services" if segs.len() >= 5 => {
                let monthly = arm
                    .and_then(|a| a.services.iter().find(|s| s.id == segs[3]))
                    .and_then(|s| s.capacity.as_ref())
                    .is_some_and(|c| c.kind == ServiceKind::Monthly);
                return match segs[4] {
                    "cost_per_fte_year" => Kind::WageCost,
                    "fte" => Kind::Fte,
                    "effects" | "housing_effects" if monthly => Kind::HazardRatioMonthServed,
                    "effects" | "housing_effects" => Kind::HazardRatio,
                    _ if monthly => Kind::ServedPerFteMonth,
                    _ => Kind::CitizensPerFte,
                };
            }
            _ => {}
        }
    }
    if last == "prob" {
        Kind::Probability
    } else if last == "rate" {
        Kind::Rate
    } else if last.ends_with("hr") || last == "hr_per_unit" || path.contains("hr") {
        Kind::HazardRatio
    } else {
        Kind::Quantity
    }
}

/// Every parameter whose central value lies outside the plausible range of its kind (as
/// widened by the scenario).
pub fn findings(sc: &Scenario, widened: &[Widened]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, p) in sc.params.iter().enumerate() {
        let kind = kind_of(sc, &p.path);
        let Some(documented) = kind.range() else {
            continue;
        };
        // A probability per year may well be above one half.
        if kind == Kind::Probability && sc.sim.cycle_months > 1 {
            continue;
        }
        let range = widened
            .iter()
            .find(|w| w.kind == kind)
            .map_or(documented, |w| (w.min, w.max));
        let value = p.param.central();
        let x = if kind.absolute() { value.abs() } else { value };
        // A zero amount is "nothing booked" (e.g. a base the participants override).
        if kind.absolute() && x == 0.0 && kind != Kind::WageCost {
            continue;
        }
        if x >= range.0 && x <= range.1 {
            continue;
        }
        out.push(Finding {
            param: i,
            value,
            kind,
            range,
            cause: cause(kind, x, range),
        });
    }
    out
}

/// The likely cause of a value outside its range, and how to write what was probably meant.
fn cause(kind: Kind, x: f64, (lo, hi): (f64, f64)) -> Option<String> {
    let inside = |v: f64| v >= lo && v <= hi;
    if kind.is_money() && x > 0.0 && x < lo && inside(x * 1000.0) {
        let meant = x * 1000.0;
        let plain = fmt_num(meant);
        let dotted = group(meant).replace(',', ".");
        return Some(format!(
            "probably a Danish thousands separator: {dotted} is read as {} (a dot is a decimal \
             point in TOML); write {plain} or {}",
            fmt_num(x),
            group(meant).replace(',', "_")
        ));
    }
    match kind {
        Kind::WageCost if inside(x * 12.0) => Some(format!(
            "is it a monthly wage? `cost_per_fte_year` is per year: {} × 12 = {}",
            fmt_num(x),
            group(x * 12.0)
        )),
        Kind::BenefitMonth | Kind::AmountMonth if x > hi && inside(x / 12.0) => Some(
            "is it a yearly amount? add `per = \"year\"` (ressim divides it by 12)".to_string(),
        ),
        Kind::HazardRatio | Kind::HazardRatioMonthServed if x > hi => Some(format!(
            "a hazard ratio multiplies the rate, it is not a percentage: {} means {} times the \
             rate; for a rate {} % higher write {}, for {} % of the rate write {}",
            fmt_num(x),
            fmt_num(x),
            fmt_num(x),
            fmt_num(1.0 + x / 100.0),
            fmt_num(x),
            fmt_num(x / 100.0)
        )),
        Kind::HazardRatio if x < lo => Some(format!(
            "{} cuts the rate to {} % of what it would be; for a rate {} % lower write {}",
            fmt_num(x),
            fmt_num(x * 100.0),
            fmt_num(x * 100.0),
            fmt_num(1.0 - x)
        )),
        Kind::DiscountRate if x > hi => Some(format!(
            "a rate is written as a share: 4 % is 0.04; {} is {} %",
            fmt_num(x),
            fmt_num(x * 100.0)
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_name_the_danish_dot_the_percentage_and_the_monthly_wage() {
        let c = cause(Kind::WageCost, 520.0, (200_000.0, 1_500_000.0)).unwrap();
        assert!(c.contains("520.000 is read as 520"), "{c}");
        assert!(c.contains("520000 or 520_000"), "{c}");
        let c = cause(Kind::WageCost, 40_000.0, (200_000.0, 1_500_000.0)).unwrap();
        assert!(c.contains("480,000"), "{c}");
        let c = cause(Kind::HazardRatio, 20.0, (0.2, 5.0)).unwrap();
        assert!(c.contains("write 1.2"), "{c}");
        assert_eq!(cause(Kind::HazardRatio, 3.0, (0.2, 5.0)), None);
    }

    #[test]
    fn every_kind_has_an_id_that_parses_back() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.id()), Some(k));
        }
        assert_eq!(group(1_500_000.0), "1,500,000");
        assert_eq!(group(0.2), "0.2");
    }
}
