//! Percentiles of a parameter's distribution (for one-way sensitivity: the 2.5th and 97.5th
//! percentiles are a parameter's low and high values).

use super::param::{Dist, Param};
use statrs::distribution::{Beta, ContinuousCDF, Gamma, LogNormal, Normal};

/// The `q`-quantile (0 < q < 1) of a parameter, clamped to its bounds.
pub fn quantile(p: &Param, q: f64) -> f64 {
    let q = q.clamp(1e-12, 1.0 - 1e-12);
    let v = match &p.dist {
        Dist::Fixed(v) => *v,
        Dist::Beta { alpha, beta } => Beta::new(*alpha, *beta)
            .map(|d| d.inverse_cdf(q))
            .unwrap_or(f64::NAN),
        Dist::Gamma { shape, scale } => Gamma::new(*shape, 1.0 / scale)
            .map(|d| d.inverse_cdf(q))
            .unwrap_or(f64::NAN),
        Dist::LogNormal { mu, sigma } => LogNormal::new(*mu, *sigma)
            .map(|d| d.inverse_cdf(q))
            .unwrap_or(f64::NAN),
        Dist::Normal { mean, sd } => Normal::new(*mean, *sd)
            .map(|d| d.inverse_cdf(q))
            .unwrap_or(f64::NAN),
        Dist::Uniform { min, max } => min + q * (max - min),
        Dist::Triangular { min, mode, max } => {
            let c = (mode - min) / (max - min);
            if q < c {
                min + ((max - min) * (mode - min) * q).sqrt()
            } else {
                max - ((max - min) * (max - mode) * (1.0 - q)).sqrt()
            }
        }
        Dist::Bernoulli { p } => {
            if q < 1.0 - p {
                0.0
            } else {
                1.0
            }
        }
        Dist::Categorical { values, cumulative } => {
            let i = cumulative
                .iter()
                .position(|c| q < *c)
                .unwrap_or(values.len() - 1);
            values[i]
        }
    };
    let v = p.lower.map_or(v, |l| v.max(l));
    p.upper.map_or(v, |u| v.min(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(dist: Dist) -> Param {
        Param {
            dist,
            lower: None,
            upper: None,
            source: None,
            note: None,
            group: None,
        }
    }

    #[test]
    fn known_quantiles() {
        let n = param(Dist::Normal {
            mean: 10.0,
            sd: 2.0,
        });
        assert!((quantile(&n, 0.975) - (10.0 + 1.959964 * 2.0)).abs() < 1e-4);
        assert!((quantile(&n, 0.5) - 10.0).abs() < 1e-9);
        let u = param(Dist::Uniform { min: 2.0, max: 4.0 });
        assert!((quantile(&u, 0.025) - 2.05).abs() < 1e-12);
        let l = param(Dist::LogNormal {
            mu: 0.0,
            sigma: 0.5,
        });
        assert!((quantile(&l, 0.975) - (0.5f64 * 1.959964).exp()).abs() < 1e-4);
        // Gamma(shape 1, scale 2) is exponential with mean 2: q = −2·ln(1 − p).
        let g = param(Dist::Gamma {
            shape: 1.0,
            scale: 2.0,
        });
        assert!((quantile(&g, 0.9) - (-2.0 * (0.1f64).ln())).abs() < 1e-6);
        // Beta(1, 1) is uniform.
        let b = param(Dist::Beta {
            alpha: 1.0,
            beta: 1.0,
        });
        assert!((quantile(&b, 0.3) - 0.3).abs() < 1e-6);
        let t = param(Dist::Triangular {
            min: 0.0,
            mode: 0.0,
            max: 1.0,
        });
        assert!((quantile(&t, 0.75) - 0.5).abs() < 1e-12);
        assert_eq!(quantile(&param(Dist::Fixed(3.0)), 0.025), 3.0);
    }
}
