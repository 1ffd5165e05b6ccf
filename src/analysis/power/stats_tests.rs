//! The statistical tests of a trial (two-proportion z-test, Welch's t-test), the Wilson
//! interval of a power, the size for 80 % power, and the search for the minimum detectable
//! effect.

use super::*;
use crate::error::Result;
use crate::scenario::Scenario;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Two-proportion z-test with pooled variance: does it reject at critical value `z_crit`?
/// (No rejection when a group is empty or nobody / everybody has the outcome.)
pub fn z_test_rejects(x1: u64, n1: u64, x2: u64, n2: u64, z_crit: f64) -> bool {
    if n1 == 0 || n2 == 0 {
        return false;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let var = pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f);
    if var <= 0.0 {
        return false;
    }
    let z = (x1 as f64 / n1f - x2 as f64 / n2f) / var.sqrt();
    z.abs() > z_crit
}

/// Welch's t-test from group means, sample variances and sizes: the two-sided p-value (None
/// when a group has fewer than two citizens; 0 or 1 when both variances are 0).
pub fn welch_p(m1: f64, v1: f64, n1: u64, m2: f64, v2: f64, n2: u64) -> Option<f64> {
    if n1 < 2 || n2 < 2 {
        return None;
    }
    let (a, b) = (v1 / n1 as f64, v2 / n2 as f64);
    let se2 = a + b;
    if se2 <= 0.0 {
        return Some(if m1 == m2 { 1.0 } else { 0.0 });
    }
    let t = (m1 - m2) / se2.sqrt();
    let df = se2 * se2 / (a * a / (n1 - 1) as f64 + b * b / (n2 - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * dist.sf(t.abs())).min(1.0))
}

/// Wilson score interval for `k` successes in `n` trials at normal quantile `z`.
pub fn wilson(k: u32, n: u32, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The standard normal quantile.
pub(super) fn probit(p: f64) -> f64 {
    // Normal::new(0, 1) cannot fail; the fallback keeps the function total.
    Normal::new(0.0, 1.0)
        .map(|n| n.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// The size needed for 80 % power, from the searched sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SizeFor {
    /// Already the smallest searched size has the power.
    AtMost(usize),
    /// Interpolated between two searched sizes.
    About(usize),
    /// Even the largest searched size falls short.
    Above(usize),
}

impl SizeFor {
    /// As text for the terminal and the report in `lang`; power.json keeps the English.
    pub fn text(&self, lang: crate::report::format::Lang) -> String {
        match self {
            SizeFor::AtMost(n) => format!(
                "≤ {n} ({})",
                lang.pick("den mindste søgte størrelse", "the smallest size searched")
            ),
            SizeFor::About(n) => format!("≈ {n}"),
            SizeFor::Above(n) => format!(
                "{} ({n})",
                lang.pick(
                    "over den største søgte størrelse",
                    "above the largest size searched"
                )
            ),
        }
    }
}

/// Interpolate Φ⁻¹(power) linearly in `x` between two points, where it reaches `target`.
pub(super) fn probit_crossing(x0: f64, p0: f64, x1: f64, p1: f64, target: f64) -> f64 {
    let clamp = |p: f64| p.clamp(1e-4, 1.0 - 1e-4);
    let (z0, z1, zt) = (probit(clamp(p0)), probit(clamp(p1)), probit(target));
    if z1 <= z0 {
        return x1;
    }
    x0 + (zt - z0) / (z1 - z0) * (x1 - x0)
}

/// The size for `target` power from (size, power) points in increasing size: at the first
/// crossing, interpolating Φ⁻¹(power) linearly in √size.
pub fn size_for(points: &[(usize, f64)], target: f64) -> Option<SizeFor> {
    let first = points.iter().position(|&(_, p)| p >= target);
    match first {
        None => points.last().map(|&(n, _)| SizeFor::Above(n)),
        Some(0) => Some(SizeFor::AtMost(points[0].0)),
        Some(i) => {
            let (n0, p0) = points[i - 1];
            let (n1, p1) = points[i];
            let s = probit_crossing((n0 as f64).sqrt(), p0, (n1 as f64).sqrt(), p1, target);
            let n = (s * s).ceil().clamp(n0 as f64 + 1.0, n1 as f64) as usize;
            Some(SizeFor::About(n))
        }
    }
}

/// The minimum detectable effect of one outcome at the scenario's size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mde {
    /// Effect scale at which power reaches 80 %.
    pub scale: f64,
    /// The mean effect at that scale (a share or months).
    pub effect: f64,
}

/// The MDE search: per outcome the MDE (None: not reached at the largest scale), and every
/// evaluation made, by increasing scale.
#[derive(Debug, Clone)]
pub struct MdeSearch {
    /// Trial size searched at (the scenario's own).
    pub size: usize,
    /// Per outcome.
    pub mde: Vec<Option<Mde>>,
    /// Evaluations by increasing scale.
    pub evaluations: Vec<SizeResult>,
}

/// Per outcome: (scale, power, effect) points, with scale 0 (power alpha, no effect) first.
pub(super) fn curve(evals: &[SizeResult], k: usize, alpha: f64) -> Vec<(f64, f64, f64)> {
    std::iter::once((0.0, alpha, 0.0))
        .chain(
            evals
                .iter()
                .map(|e| (e.scale, e.outcomes[k].power, e.outcomes[k].effect_mean)),
        )
        .collect()
}

/// The bracket around the first crossing of the target on a curve.
pub(super) fn bracket(c: &[(f64, f64, f64)]) -> Option<(usize, usize)> {
    let i = c.iter().position(|&(_, p, _)| p >= TARGET_POWER)?;
    Some((i.saturating_sub(1), i))
}

pub(super) fn mde_search(
    sc: &Scenario,
    d: &Design,
    opts: &PowerOptions,
    pool: &rayon::ThreadPool,
    progress: &mut dyn FnMut(super::Stage, u32, u32),
) -> Result<MdeSearch> {
    let size = d.scenario_size;
    let mut evals: Vec<SizeResult> = Vec::new();
    let mut eval = |scale: f64, evals: &mut Vec<SizeResult>| -> Result<()> {
        if evals.iter().any(|e| (e.scale - scale).abs() < 1e-9) {
            return Ok(());
        }
        let stage = super::Stage::Mde { size, scale };
        let r = evaluate(sc, d, opts, size, scale, pool, &mut |a, b| {
            progress(stage, a, b)
        })?;
        evals.push(r);
        evals.sort_by(|a, b| a.scale.total_cmp(&b.scale));
        Ok(())
    };
    let n_out = opts.outcomes.len();
    let reached = |evals: &[SizeResult]| {
        (0..n_out).all(|k| evals.iter().any(|e| e.outcomes[k].power >= TARGET_POWER))
    };
    let mut scale = 1.0;
    loop {
        eval(scale, &mut evals)?;
        if reached(&evals) || scale >= MAX_SCALE {
            break;
        }
        scale = (scale * 2.0).min(MAX_SCALE);
    }
    // One refinement per outcome between its bracketing scales.
    for k in 0..n_out {
        let c = curve(&evals, k, opts.alpha);
        if let Some((lo, hi)) = bracket(&c)
            && lo != hi
            && c[hi].0 - c[lo].0 > 0.05
        {
            let s = probit_crossing(c[lo].0, c[lo].1, c[hi].0, c[hi].1, TARGET_POWER);
            let s = (s * 100.0).round() / 100.0;
            if s > c[lo].0 && s < c[hi].0 {
                eval(s, &mut evals)?;
            }
        }
    }
    let mde = (0..n_out)
        .map(|k| {
            let c = curve(&evals, k, opts.alpha);
            let (lo, hi) = bracket(&c)?;
            if lo == hi {
                return Some(Mde {
                    scale: c[hi].0,
                    effect: c[hi].2,
                });
            }
            let (a, b) = (c[lo], c[hi]);
            let s = probit_crossing(a.0, a.1, b.0, b.1, TARGET_POWER).clamp(a.0, b.0);
            let w = if b.0 > a.0 {
                (s - a.0) / (b.0 - a.0)
            } else {
                1.0
            };
            Some(Mde {
                scale: s,
                effect: a.2 + w * (b.2 - a.2),
            })
        })
        .collect();
    Ok(MdeSearch {
        size,
        mde,
        evaluations: evals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_the_formula() {
        let (lo, hi) = wilson(8, 10, probit(0.975));
        assert!(
            (lo - 0.4902).abs() < 1e-4 && (hi - 0.9433).abs() < 1e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 50, probit(0.975));
        assert_eq!(lo, 0.0);
        assert!((hi - 0.0714).abs() < 1e-3, "{hi}");
    }

    #[test]
    fn z_test_uses_the_pooled_variance() {
        // 60/200 vs 40/200: pooled 0.25, se = sqrt(0.25·0.75·0.01) = 0.0433, z = 2.309.
        let z = probit(0.975);
        assert!(z_test_rejects(60, 200, 40, 200, z));
        assert!(!z_test_rejects(60, 200, 40, 200, probit(0.995)));
        assert!(!z_test_rejects(0, 10, 0, 10, z));
        assert!(!z_test_rejects(3, 0, 1, 10, z));
    }

    #[test]
    fn welch_p_value_matches_r() {
        // R: t.test(1:5, c(2,4,6,8,10)) gives t = -1.8974, df = 5.8824, p-value = 0.1075.
        let p = welch_p(3.0, 2.5, 5, 6.0, 10.0, 5).unwrap();
        assert!((p - 0.1075).abs() < 5e-4, "{p}");
        assert_eq!(welch_p(1.0, 0.0, 5, 1.0, 0.0, 5), Some(1.0));
        assert_eq!(welch_p(1.0, 0.0, 1, 1.0, 0.0, 5), None);
    }

    #[test]
    fn size_for_interpolates_on_the_probit_scale() {
        assert_eq!(
            size_for(&[(100, 0.9), (200, 0.95)], 0.8),
            Some(SizeFor::AtMost(100))
        );
        assert_eq!(
            size_for(&[(100, 0.2), (200, 0.5)], 0.8),
            Some(SizeFor::Above(200))
        );
        // Power Φ(√n/10 − 1.96) reaches 80 % at n = (10·(1.96 + 0.8416))² ≈ 785.
        let pw = |n: f64| {
            Normal::new(0.0, 1.0)
                .unwrap()
                .cdf(n.sqrt() / 10.0 - 1.959964)
        };
        let pts = [(400, pw(400.0)), (1600, pw(1600.0))];
        match size_for(&pts, 0.8) {
            Some(SizeFor::About(n)) => assert!((784..=786).contains(&n), "{n}"),
            other => panic!("{other:?}"),
        }
    }
}
