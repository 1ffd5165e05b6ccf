//! One-way sensitivity (tornado) and the effect-scale curve.
//!
//! One-way: every parameter with an uncertainty distribution is set in turn to its 2.5th and
//! 97.5th percentile while all others stay at their central values (no probabilistic draws),
//! on the same citizens and random numbers; the mean NPV of the chosen perspective at low and
//! high is recorded, and parameters are ranked by the swing |NPV(high) − NPV(low)|.
//!
//! Effect-scale curve: the full probabilistic run at effect scales 0, 0.25, …, 1.5, giving the
//! NPV's mean and 95 % interval and the probability that it is positive.

use crate::economics::business_case::{PERSPECTIVES, above_zero};
use crate::error::Result;
use crate::montecarlo::{self, Results, RunOptions};
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
}

/// NPV of perspective `k` of the compared arm, per replication.
fn npv_per_rep(res: &Results, sc: &Scenario, k: usize) -> Vec<f64> {
    let arm = Results::focus_arm(sc);
    res.reps.iter().map(|r| r.headlines[arm][k].npv).collect()
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
/// (ties in scenario order). `progress(done, total)` is called after each parameter.
pub fn tornado(
    sc: &Scenario,
    opts: &RunOptions,
    k: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<(f64, Vec<TornadoRow>)> {
    let o = RunOptions {
        psa: false,
        progress: false,
        ..opts.clone()
    };
    let base = mean(&npv_per_rep(&montecarlo::run(sc, &o)?, sc, k));
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
    let mut rows = Vec::with_capacity(units.len());
    for (done, (name, members)) in units.iter().enumerate() {
        let at = |q: f64| -> Result<Vec<f64>> {
            let mut s = sc.clone();
            for &i in members {
                s = with_value(&s, i, quantile(&sc.params[i].param, q));
            }
            Ok(npv_per_rep(&montecarlo::run(&s, &o)?, sc, k))
        };
        let (low, high) = match members.as_slice() {
            [one] => {
                let p = &sc.params[*one].param;
                (quantile(p, 0.025), quantile(p, 0.975))
            }
            _ => (0.025, 0.975),
        };
        let (reps_low, reps_high) = (at(0.025)?, at(0.975)?);
        let (npv_low, npv_high) = (mean(&reps_low), mean(&reps_high));
        rows.push(TornadoRow {
            parameter: name.clone(),
            low,
            high,
            npv_low,
            npv_high,
            swing: (npv_high - npv_low).abs(),
            swing_mcse: paired_mcse(&reps_low, &reps_high),
        });
        progress(done + 1, units.len());
    }
    // Stable sort keeps scenario order among equal swings.
    rows.sort_by(|a, b| b.swing.total_cmp(&a.swing));
    Ok((base, rows))
}

/// `tornado.csv`: `parameter,low,high,npv_low,npv_high,swing,swing_mcse` (the MCSE is empty
/// with one replication).
pub fn tornado_csv(rows: &[TornadoRow]) -> String {
    let mut s = String::from("parameter,low,high,npv_low,npv_high,swing,swing_mcse\n");
    for r in rows {
        let mcse = r.swing_mcse.map(|m| format!("{m:.2}")).unwrap_or_default();
        let _ = writeln!(
            s,
            "{},{},{},{:.2},{:.2},{:.2},{mcse}",
            r.parameter, r.low, r.high, r.npv_low, r.npv_high, r.swing
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

/// The effect-scale curve (probabilistic runs as `opts` says).
pub fn effect_curve(sc: &Scenario, opts: &RunOptions) -> Result<Vec<CurvePoint>> {
    let arm = Results::focus_arm(sc);
    let mut out = Vec::with_capacity(CURVE.len());
    for &x in &CURVE {
        let res = montecarlo::run(
            sc,
            &RunOptions {
                effect_scale: x,
                progress: false,
                ..opts.clone()
            },
        )?;
        let n = res.replications().max(1) as f64;
        let mut npv = Vec::new();
        let mut p_positive = Vec::new();
        for k in 0..PERSPECTIVES.len() {
            let v: Vec<f64> = res.reps.iter().map(|r| r.headlines[arm][k].npv).collect();
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
        }];
        assert_eq!(
            tornado_csv(&rows),
            "parameter,low,high,npv_low,npv_high,swing,swing_mcse\na.b,0.5,2,-1.00,3.00,4.00,0.50\n"
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
