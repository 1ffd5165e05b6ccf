//! What drives the result: of the scenario's numbers, how many are assumptions, and which
//! uncertain parameters move the net present value most in the probabilistic analysis — the
//! rank correlation, over the replications, between a parameter's drawn value and the NPV of
//! a perspective (the parameters are redrawn from their named streams, exactly as the run drew
//! them). It needs no extra runs; `ressim sensitivity` gives the one-way tornado.

use crate::economics::business_case::PERSPECTIVES;
use crate::montecarlo::{Results, draw_params};
use crate::scenario::Scenario;

/// One parameter that moves the NPV.
#[derive(Debug, Clone)]
pub struct Driver {
    /// Where it is written, e.g. `arms.treatment.services.mentors.cost_per_fte_year`.
    pub path: String,
    /// Spearman rank correlation of its drawn value with the NPV (−1 … 1).
    pub correlation: f64,
    /// Its source says it is an assumption or the authors' estimate.
    pub assumption: bool,
}

/// The count of numbers and of assumptions, and the drivers of one perspective's NPV.
#[derive(Debug, Clone)]
pub struct Drivers {
    /// Parameters of the scenario.
    pub parameters: usize,
    /// Of them, marked as assumptions (source starting "Assumption", or an estimate "EST").
    pub assumptions: usize,
    /// Uncertain parameters, the strongest |correlation| first.
    pub ranked: Vec<Driver>,
}

/// True when a source marks its number as an assumption or an estimate of the authors.
pub fn is_assumption(source: Option<&str>) -> bool {
    source.is_none_or(|s| {
        let s = s.trim_start();
        s.starts_with("Assumption") || s.starts_with("EST") || s.contains("Assumption:")
    })
}

/// Ranks of `v` (average ranks for ties), 1-based.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation; 0 when either side does not vary.
fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The drivers of the municipality's NPV, the perspective the report explains first.
pub fn for_municipality(sc: &Scenario, res: &Results) -> Drivers {
    let k = PERSPECTIVES
        .iter()
        .position(|p| *p == "municipality")
        .unwrap_or(PERSPECTIVES.len());
    drivers(sc, res, k)
}

/// The drivers of perspective `k`'s NPV (focus arm against control) in a run.
pub fn drivers(sc: &Scenario, res: &Results, k: usize) -> Drivers {
    let parameters = sc.params.len();
    let assumptions = sc
        .params
        .iter()
        .filter(|p| is_assumption(p.param.source.as_deref()))
        .count();
    let arm = Results::focus_arm(sc);
    let o = &res.options;
    let mut ranked = Vec::new();
    if o.psa && res.replications() >= 10 && k < PERSPECTIVES.len() {
        let npv = res.npv_draws(arm, k);
        let draws: Vec<Vec<f64>> = (0..res.replications() as u32)
            .map(|rep| draw_params(sc, o.seed, rep, true))
            .collect();
        let npv_ranks = ranks(&npv);
        for (i, p) in sc.params.iter().enumerate() {
            if !p.param.is_uncertain() {
                continue;
            }
            let v: Vec<f64> = draws.iter().map(|d| d[i]).collect();
            ranked.push(Driver {
                path: p.path.clone(),
                correlation: correlation(&ranks(&v), &npv_ranks),
                assumption: is_assumption(p.param.source.as_deref()),
            });
        }
        ranked.sort_by(|a, b| b.correlation.abs().total_cmp(&a.correlation.abs()));
    }
    Drivers {
        parameters,
        assumptions,
        ranked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_correlation() {
        assert_eq!(ranks(&[3.0, 1.0, 2.0, 2.0]), vec![4.0, 1.0, 2.5, 2.5]);
        assert!((correlation(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((correlation(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        assert_eq!(correlation(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
        assert!(is_assumption(Some("Assumption: x")));
        assert!(is_assumption(Some("EST: y")));
        assert!(!is_assumption(Some("bm.dk Satser 2016")));
    }
}
