//! One-way sensitivity (tornado) and the effect-scale curve.
//!
//! One-way: every parameter with an uncertainty distribution is set in turn to its 2.5th and
//! 97.5th percentile while all others stay at their central values (no probabilistic draws),
//! on the same citizens and random numbers; the mean NPV of the chosen perspective at low and
//! high is recorded, and parameters are ranked by the swing |NPV(high) − NPV(low)|.
//!
//! What the programme controls enters even when it is fixed: each service's cost per FTE-year
//! and effects, each programme cost and the participants' own amounts, with a default range of
//! ±[`DEFAULT_RANGE`] (an amount × 0.75 and × 1.25; a hazard ratio's effect scaled like
//! `--effect-scale`, 1 + 0.75·(hr − 1) and 1 + 1.25·(hr − 1)); such rows are marked as default.
//! A row whose swing is within 2 Monte Carlo standard errors is marked as within MC error.
//!
//! Effect-scale curve: the full probabilistic run at effect scales 0, 0.25, …, 1.5, giving the
//! NPV's mean and 95 % interval and the probability that it is positive.

use crate::economics::business_case::{PERSPECTIVES, above_zero};
use crate::error::Result;
use crate::montecarlo::{self, RunOptions};
use crate::scenario::Scenario;
use crate::scenario::param::Param;
use crate::scenario::quantile::quantile;
use crate::stats::Stat;
use std::fmt::Write;

/// One row of the tornado.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoRow {
    /// Parameter path, e.g. `arms.treatment.effects.course.placement`.
    pub parameter: String,
    /// Low value (2.5th percentile).
    pub low: f64,
    /// High value (97.5th percentile).
    pub high: f64,
    /// Mean NPV with the parameter low.
    pub npv_low: f64,
    /// Mean NPV with the parameter high.
    pub npv_high: f64,
    /// |npv_high − npv_low|.
    pub swing: f64,
    /// Monte Carlo standard error of the swing: the standard deviation over replications of
    /// the paired difference NPV(high) − NPV(low) ÷ √replications (the replications share
    /// citizens and random numbers). None with one replication.
    pub swing_mcse: Option<f64>,
    /// The range is the default ±25 % of a fixed programme parameter, not a distribution's.
    pub default_range: bool,
}

impl TornadoRow {
    /// The swing lies within 2 Monte Carlo standard errors of 0: the row cannot be told apart
    /// from noise.
    pub fn within_mc_error(&self) -> bool {
        self.swing_mcse.is_some_and(|m| self.swing <= 2.0 * m)
    }
}

/// The default relative range of a fixed parameter the programme controls.
pub const DEFAULT_RANGE: f64 = 0.25;

/// Whether the parameter at `path` is one the programme controls: under an arm other than
/// control, a service's cost per FTE-year or effect, an arm's effect, a programme cost or a
/// participants' amount.
pub fn programme_controls(sc: &Scenario, path: &str) -> bool {
    let segs: Vec<&str> = path.split('.').collect();
    if segs.len() < 4 || segs[0] != "arms" || sc.arms.first().is_some_and(|c| c.id == segs[1]) {
        return false;
    }
    match segs[2] {
        "effects" | "housing_effects" | "costs" | "accounts" => true,
        "services" => {
            segs.len() >= 5
                && matches!(segs[4], "cost_per_fte_year" | "effects" | "housing_effects")
        }
        _ => false,
    }
}

/// The default low and high of a fixed programme parameter with central value `v`.
fn default_ends(sc: &Scenario, path: &str, v: f64) -> (f64, f64) {
    let hr = matches!(
        crate::scenario::plausible::kind_of(sc, path),
        crate::scenario::plausible::Kind::HazardRatio
            | crate::scenario::plausible::Kind::HazardRatioMonthServed
    );
    if hr {
        (
            1.0 + (1.0 - DEFAULT_RANGE) * (v - 1.0),
            1.0 + (1.0 + DEFAULT_RANGE) * (v - 1.0),
        )
    } else {
        (v * (1.0 - DEFAULT_RANGE), v * (1.0 + DEFAULT_RANGE))
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The paired standard error of mean(high) − mean(low); None with fewer than 2 pairs.
pub fn paired_mcse(low: &[f64], high: &[f64]) -> Option<f64> {
    let d: Vec<f64> = high.iter().zip(low).map(|(h, l)| h - l).collect();
    let n = d.len();
    if n < 2 {
        return None;
    }
    let m = mean(&d);
    let var = d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
    Some((var / n as f64).sqrt())
}

/// A copy of the scenario with parameter `i` fixed at `v`.
fn with_value(sc: &Scenario, i: usize, v: f64) -> Scenario {
    let mut s = sc.clone();
    let src = s.params[i].param.source.clone();
    s.params[i].param = Param {
        source: src,
        ..Param::fixed(v)
    };
    s
}

/// The tornado for perspective `k`: the base NPV and rows sorted by swing, largest first
/// (ties in scenario order). Every end of every row is what a whole run of the scenario with
/// that value gives; `progress(done, total)` is called as replications are done.
pub fn tornado(
    sc: &Scenario,
    opts: &RunOptions,
    k: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(f64, Vec<TornadoRow>)> {
    let o = RunOptions {
        psa: false,
        progress: false,
        ..opts.clone()
    };

    // Each uncertain parameter is one row, except that the members of a correlation group
    // move together (all at their 2.5th, then all at their 97.5th percentile) as one row
    // named `group:<name>`; its low/high columns show the 2.5/97.5 percentile (0.025/0.975).
    let mut units: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, d) in sc
        .params
        .iter()
        .enumerate()
        .filter(|(_, d)| d.param.is_uncertain())
    {
        match &d.param.group {
            Some(g) => {
                let name = format!("group:{g}");
                match units.iter_mut().find(|u| u.0 == name) {
                    Some(u) => u.1.push(i),
                    None => units.push((name, vec![i])),
                }
            }
            None => units.push((d.path.clone(), vec![i])),
        }
    }
    // Fixed parameters the programme controls, each with the default range.
    for (i, d) in sc.params.iter().enumerate() {
        let v = d.param.central();
        if !d.param.is_uncertain() && programme_controls(sc, &d.path) {
            let (lo, hi) = default_ends(sc, &d.path, v);
            if lo != hi {
                units.push((d.path.clone(), vec![i]));
            }
        }
    }
    // Each row's low and high ends as variants of the scenario, all run in one pass over the
    // replications with the scenario itself (`focus_npv_by_variant`: an arm is simulated
    // again only where a variant changes its tables).
    let mut ends = Vec::with_capacity(units.len());
    let mut variants = vec![sc.clone()];
    for (name, members) in &units {
        let default_range = match members.as_slice() {
            [one] => !sc.params[*one].param.is_uncertain(),
            _ => false,
        };
        let value_at = |i: usize, q: f64| -> f64 {
            let p = &sc.params[i].param;
            if default_range {
                let (lo, hi) = default_ends(sc, &sc.params[i].path, p.central());
                if q < 0.5 { lo } else { hi }
            } else {
                quantile(p, q)
            }
        };
        for q in [0.025, 0.975] {
            let mut s = sc.clone();
            for &i in members {
                s = with_value(&s, i, value_at(i, q));
            }
            variants.push(s);
        }
        let (low, high) = match members.as_slice() {
            [one] => (value_at(*one, 0.025), value_at(*one, 0.975)),
            _ => (0.025, 0.975),
        };
        ends.push((name.clone(), low, high, default_range));
    }
    let npv = montecarlo::focus_npv_by_variant(sc, &variants, &o, &|done, total| {
        progress(done as usize, total as usize)
    })?;
    let per_rep = |v: usize| -> Vec<f64> { npv[v].iter().map(|r| r[k]).collect() };
    let base = mean(&per_rep(0));
    let mut rows = Vec::with_capacity(units.len());
    for (u, (parameter, low, high, default_range)) in ends.into_iter().enumerate() {
        let (reps_low, reps_high) = (per_rep(1 + 2 * u), per_rep(2 + 2 * u));
        let (npv_low, npv_high) = (mean(&reps_low), mean(&reps_high));
        rows.push(TornadoRow {
            parameter,
            low,
            high,
            npv_low,
            npv_high,
            swing: (npv_high - npv_low).abs(),
            swing_mcse: paired_mcse(&reps_low, &reps_high),
            default_range,
        });
    }
    // Stable sort keeps scenario order among equal swings.
    rows.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    Ok((base, rows))
}

/// `tornado.csv`: `parameter,low,high,npv_low,npv_high,swing,swing_mcse,range,within_mc_error`
/// (the MCSE is empty with one replication; `range` is `distribution` or `default ±25 %`).
pub fn tornado_csv(rows: &[TornadoRow]) -> String {
    let mut s = String::from(
        "parameter,low,high,npv_low,npv_high,swing,swing_mcse,range,within_mc_error\n",
    );
    for r in rows {
        let mcse = r.swing_mcse.map(|m| format!("{m:.2}")).unwrap_or_default();
        let _ = writeln!(
            s,
            "{},{},{},{:.2},{:.2},{:.2},{mcse},{},{}",
            r.parameter,
            r.low,
            r.high,
            r.npv_low,
            r.npv_high,
            r.swing,
            if r.default_range {
                format!("default ±{:.0} %", DEFAULT_RANGE * 100.0)
            } else {
                "distribution".into()
            },
            r.within_mc_error()
        );
    }
    s
}

/// Effect scales of the curve.
pub const CURVE: [f64; 7] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5];

/// One point of the effect-scale curve: per perspective the NPV stat and P(NPV > 0).
#[derive(Debug, Clone)]
pub struct CurvePoint {
    /// Effect scale.
    pub scale: f64,
    /// NPV per perspective.
    pub npv: Vec<Stat>,
    /// P(NPV > 0) per perspective.
    pub p_positive: Vec<f64>,
}

/// The effect-scale curve (probabilistic runs as `opts` says): the scales are run in one pass
/// over the same replications ([`montecarlo::focus_npv_by_scale`]), each point what a whole
/// run at its scale gives.
pub fn effect_curve(sc: &Scenario, opts: &RunOptions) -> Result<Vec<CurvePoint>> {
    let o = RunOptions {
        progress: false,
        ..opts.clone()
    };
    let runs = montecarlo::focus_npv_by_scale(sc, &o, &CURVE)?;
    let mut out = Vec::with_capacity(CURVE.len());
    for (&x, reps) in CURVE.iter().zip(&runs) {
        let n = reps.len().max(1) as f64;
        let mut npv = Vec::new();
        let mut p_positive = Vec::new();
        for k in 0..PERSPECTIVES.len() {
            let v: Vec<f64> = reps.iter().map(|r| r[k]).collect();
            p_positive.push(v.iter().filter(|x| above_zero(**x)).count() as f64 / n);
            npv.push(Stat::of(&v));
        }
        out.push(CurvePoint {
            scale: x,
            npv,
            p_positive,
        });
    }
    Ok(out)
}

/// `effect_curve.csv`: `effect_scale,perspective,npv_mean,npv_p025,npv_p975,p_positive_npv`.
pub fn curve_csv(points: &[CurvePoint]) -> String {
    let mut s =
        String::from("effect_scale,perspective,npv_mean,npv_p025,npv_p975,p_positive_npv\n");
    for p in points {
        for (k, id) in PERSPECTIVES.iter().enumerate() {
            let st = p.npv[k];
            let _ = writeln!(
                s,
                "{},{id},{:.2},{:.2},{:.2},{:.4}",
                p.scale, st.mean, st.p025, st.p975, p.p_positive[k]
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_the_contract_columns() {
        let rows = vec![TornadoRow {
            parameter: "a.b".into(),
            low: 0.5,
            high: 2.0,
            npv_low: -1.0,
            npv_high: 3.0,
            swing: 4.0,
            swing_mcse: Some(0.5),
            default_range: false,
        }];
        assert_eq!(
            tornado_csv(&rows),
            "parameter,low,high,npv_low,npv_high,swing,swing_mcse,range,within_mc_error\n\
             a.b,0.5,2,-1.00,3.00,4.00,0.50,distribution,false\n"
        );
    }

    #[test]
    fn paired_mcse_is_the_standard_error_of_the_differences() {
        // Differences 1, 3, 5, 7: mean 4, sample variance 20/3, SE = sqrt(20/3/4).
        let low = [0.0, 1.0, 2.0, 3.0];
        let high = [1.0, 4.0, 7.0, 10.0];
        let se = paired_mcse(&low, &high).unwrap();
        assert!((se - (20.0f64 / 3.0 / 4.0).sqrt()).abs() < 1e-12, "{se}");
        // A constant shift has no Monte Carlo error at all.
        assert_eq!(paired_mcse(&low, &[5.0, 6.0, 7.0, 8.0]), Some(0.0));
        assert_eq!(paired_mcse(&[1.0], &[2.0]), None);
    }
}
