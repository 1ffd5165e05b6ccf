//! Numeric parameters: a fixed value or a distribution, each with its source.
//!
//! In a scenario file a parameter is written either as a plain number (`prob = 0.02`) or as a
//! table (`prob = { dist = "beta", mean = 0.02, sd = 0.005, source = "…" }`). Parameters of the
//! model are drawn once per replication; citizen attributes use the same distributions but are
//! drawn once per citizen.

use rand::Rng;
use rand_distr::Distribution;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

/// A parameter as written in the file, before its distribution is checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParam {
    /// A fixed value (only without `dist`, or with `dist = "fixed"`).
    pub value: Option<f64>,
    /// Distribution name: beta, gamma, lognormal, normal, uniform, triangular, bernoulli,
    /// categorical, fixed.
    pub dist: Option<String>,
    /// Mean (beta, gamma, lognormal, normal; method of moments with `sd`).
    pub mean: Option<f64>,
    /// Standard deviation.
    pub sd: Option<f64>,
    /// Beta shape α.
    pub alpha: Option<f64>,
    /// Beta shape β.
    pub beta: Option<f64>,
    /// Gamma shape k.
    pub shape: Option<f64>,
    /// Gamma scale θ.
    pub scale: Option<f64>,
    /// Lognormal μ of the logarithm.
    pub meanlog: Option<f64>,
    /// Lognormal σ of the logarithm.
    pub sdlog: Option<f64>,
    /// Lower bound (uniform, triangular) or lower truncation (beta, gamma, lognormal, normal).
    pub min: Option<f64>,
    /// Mode (triangular).
    pub mode: Option<f64>,
    /// Upper bound (uniform, triangular) or upper truncation (beta, gamma, lognormal, normal).
    pub max: Option<f64>,
    /// Probability of 1 (bernoulli).
    pub p: Option<f64>,
    /// Values (categorical).
    pub values: Option<Vec<f64>>,
    /// Weights of the values (categorical).
    pub weights: Option<Vec<f64>>,
    /// A 95 % interval `[low, high]` instead of `sd` (normal, lognormal; with `mean` for beta
    /// and gamma), converted by the normal approximation: sd = (high − low) / 3.92.
    pub ci: Option<Vec<f64>>,
    /// Parameters with the same group are drawn together: one shared uniform per replication,
    /// turned into each one's own percentile (perfect rank correlation, e.g. one shared effect
    /// multiplier).
    pub group: Option<String>,
    /// Where the number comes from (document, table, year).
    pub source: Option<String>,
    /// A free note (e.g. why it is an assumption).
    pub note: Option<String>,
    /// Cohort attributes only: the attribute is an age in years and grows by the cycle's
    /// length every cycle.
    pub ageing: Option<bool>,
    /// Amounts only: the price year this amount is written in (converted to the scenario's
    /// `[simulation] price_year` with the price index).
    pub price_year: Option<i64>,
}

impl RawParam {
    /// A fixed value without source.
    pub fn fixed(v: f64) -> Self {
        RawParam {
            value: Some(v),
            ..Default::default()
        }
    }
}

impl<'de> Deserialize<'de> for ParamSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ParamSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a number or a table such as { value = 0.1, source = \"…\" } or \
                     { dist = \"beta\", mean = 0.1, sd = 0.02 }",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamSpec, E> {
                Ok(ParamSpec(RawParam::fixed(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamSpec, E> {
                Ok(ParamSpec(RawParam::fixed(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamSpec, E> {
                Ok(ParamSpec(RawParam::fixed(v as f64)))
            }
            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<ParamSpec, M::Error> {
                RawParam::deserialize(de::value::MapAccessDeserializer::new(map)).map(ParamSpec)
            }
        }
        d.deserialize_any(V)
    }
}

/// A parameter as read from a scenario file: a number or a table (see [`RawParam`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamSpec(pub RawParam);

/// A checked distribution.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Beta(α, β) on [0, 1].
    Beta { alpha: f64, beta: f64 },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma { shape: f64, scale: f64 },
    /// exp(Normal(μ, σ)).
    LogNormal { mu: f64, sigma: f64 },
    /// Normal(mean, sd), optionally truncated by clamping to [min, max].
    Normal { mean: f64, sd: f64 },
    /// Uniform on [min, max].
    Uniform { min: f64, max: f64 },
    /// Triangular on [min, max] with the given mode.
    Triangular { min: f64, mode: f64, max: f64 },
    /// 1 with probability p, else 0.
    Bernoulli { p: f64 },
    /// One of the values, with probabilities proportional to the weights.
    Categorical {
        values: Vec<f64>,
        cumulative: Vec<f64>,
    },
}

/// A checked parameter: its distribution, optional clamping bounds and provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The distribution.
    pub dist: Dist,
    /// Draws are clamped to at least this (a truncation; not for uniform/triangular).
    pub lower: Option<f64>,
    /// Draws are clamped to at most this.
    pub upper: Option<f64>,
    /// Source text, if any.
    pub source: Option<String>,
    /// Note, if any.
    pub note: Option<String>,
    /// Correlation group (see [`RawParam::group`]).
    pub group: Option<String>,
}

impl Param {
    /// A fixed value without source (used for defaults).
    pub fn fixed(v: f64) -> Param {
        Param {
            group: None,
            dist: Dist::Fixed(v),
            lower: None,
            upper: None,
            source: None,
            note: None,
        }
    }

    /// The central value: the fixed value or the mean of the distribution (clamped).
    pub fn central(&self) -> f64 {
        let m = match &self.dist {
            Dist::Fixed(v) => *v,
            Dist::Beta { alpha, beta } => alpha / (alpha + beta),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Normal { mean, .. } => *mean,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Dist::Bernoulli { p } => *p,
            Dist::Categorical { values, cumulative } => {
                let mut prev = 0.0;
                let mut m = 0.0;
                for (v, c) in values.iter().zip(cumulative) {
                    m += v * (c - prev);
                    prev = *c;
                }
                m
            }
        };
        self.clamp(m)
    }

    /// The smallest and largest values a draw can take.
    pub fn support(&self) -> (f64, f64) {
        let (lo, hi) = match &self.dist {
            Dist::Fixed(v) => (*v, *v),
            Dist::Beta { .. } => (0.0, 1.0),
            Dist::Gamma { .. } | Dist::LogNormal { .. } => (0.0, f64::INFINITY),
            Dist::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
            Dist::Uniform { min, max } | Dist::Triangular { min, max, .. } => (*min, *max),
            Dist::Bernoulli { .. } => (0.0, 1.0),
            Dist::Categorical { values, .. } => values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                    (a.min(*v), b.max(*v))
                }),
        };
        (self.clamp(lo), self.clamp(hi))
    }

    /// Whether draws vary.
    pub fn is_uncertain(&self) -> bool {
        let (lo, hi) = self.support();
        lo != hi
    }

    fn clamp(&self, v: f64) -> f64 {
        let v = match self.lower {
            Some(l) if v < l => l,
            _ => v,
        };
        match self.upper {
            Some(u) if v > u => u,
            _ => v,
        }
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let v = match &self.dist {
            Dist::Fixed(v) => *v,
            // The constructors were checked in `check`, so these cannot fail; fall back to the
            // central value rather than panic should that ever change.
            Dist::Beta { alpha, beta } => rand_distr::Beta::new(*alpha, *beta)
                .map(|d| d.sample(rng))
                .unwrap_or_else(|_| alpha / (alpha + beta)),
            Dist::Gamma { shape, scale } => rand_distr::Gamma::new(*shape, *scale)
                .map(|d| d.sample(rng))
                .unwrap_or(shape * scale),
            Dist::LogNormal { mu, sigma } => rand_distr::LogNormal::new(*mu, *sigma)
                .map(|d| d.sample(rng))
                .unwrap_or_else(|_| mu.exp()),
            Dist::Normal { mean, sd } => rand_distr::Normal::new(*mean, *sd)
                .map(|d| d.sample(rng))
                .unwrap_or(*mean),
            Dist::Uniform { min, max } => min + (max - min) * unit(rng),
            Dist::Triangular { min, mode, max } => {
                let u = unit(rng);
                let c = (mode - min) / (max - min);
                if u < c {
                    min + ((max - min) * (mode - min) * u).sqrt()
                } else {
                    max - ((max - min) * (max - mode) * (1.0 - u)).sqrt()
                }
            }
            Dist::Bernoulli { p } => {
                if unit(rng) < *p {
                    1.0
                } else {
                    0.0
                }
            }
            Dist::Categorical { values, cumulative } => {
                let u = unit(rng);
                let i = cumulative
                    .iter()
                    .position(|c| u < *c)
                    .unwrap_or(values.len() - 1);
                values[i]
            }
        };
        self.clamp(v)
    }

    /// The same parameter with every value multiplied by `f` (> 0): a price-index conversion.
    /// None for a distribution on [0, 1] (beta, bernoulli), which cannot be scaled.
    pub fn scaled(&self, f: f64) -> Option<Param> {
        let dist = match &self.dist {
            Dist::Fixed(v) => Dist::Fixed(v * f),
            Dist::Gamma { shape, scale } => Dist::Gamma {
                shape: *shape,
                scale: scale * f,
            },
            Dist::LogNormal { mu, sigma } => Dist::LogNormal {
                mu: mu + f.ln(),
                sigma: *sigma,
            },
            Dist::Normal { mean, sd } => Dist::Normal {
                mean: mean * f,
                sd: sd * f,
            },
            Dist::Uniform { min, max } => Dist::Uniform {
                min: min * f,
                max: max * f,
            },
            Dist::Triangular { min, mode, max } => Dist::Triangular {
                min: min * f,
                mode: mode * f,
                max: max * f,
            },
            Dist::Categorical { values, cumulative } => Dist::Categorical {
                values: values.iter().map(|v| v * f).collect(),
                cumulative: cumulative.clone(),
            },
            Dist::Beta { .. } | Dist::Bernoulli { .. } => return None,
        };
        Some(Param {
            dist,
            lower: self.lower.map(|v| v * f),
            upper: self.upper.map(|v| v * f),
            ..self.clone()
        })
    }

    /// A one-line description, e.g. `beta(mean 0.02, sd 0.005)` or `0.02`.
    pub fn describe(&self) -> String {
        let mut s = match &self.dist {
            Dist::Fixed(v) => fmt_num(*v),
            Dist::Beta { alpha, beta } => format!(
                "beta(α {}, β {}; mean {})",
                fmt_num(*alpha),
                fmt_num(*beta),
                fmt_num(self.central())
            ),
            Dist::Gamma { shape, scale } => format!(
                "gamma(shape {}, scale {}; mean {})",
                fmt_num(*shape),
                fmt_num(*scale),
                fmt_num(shape * scale)
            ),
            Dist::LogNormal { mu, sigma } => format!(
                "lognormal(μ {}, σ {}; mean {})",
                fmt_num(*mu),
                fmt_num(*sigma),
                fmt_num(self.central())
            ),
            Dist::Normal { mean, sd } => {
                format!("normal(mean {}, sd {})", fmt_num(*mean), fmt_num(*sd))
            }
            Dist::Uniform { min, max } => format!("uniform({} – {})", fmt_num(*min), fmt_num(*max)),
            Dist::Triangular { min, mode, max } => format!(
                "triangular({}, mode {}, {})",
                fmt_num(*min),
                fmt_num(*mode),
                fmt_num(*max)
            ),
            Dist::Bernoulli { p } => format!("bernoulli(p {})", fmt_num(*p)),
            Dist::Categorical { values, .. } => format!(
                "categorical({})",
                values
                    .iter()
                    .map(|v| fmt_num(*v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if self.lower.is_some() || self.upper.is_some() {
            let lo = self.lower.map(fmt_num).unwrap_or_default();
            let hi = self.upper.map(fmt_num).unwrap_or_default();
            s.push_str(&format!(" within [{lo}, {hi}]"));
        }
        s
    }
}

/// A uniform draw in [0, 1) from the top 53 bits of one 64-bit word.
pub fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A short, exact-enough rendering of a number for messages and the assumption register.
pub fn fmt_num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{:.6}", v);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

mod check;
pub use check::{DIST_NAMES, LIMIT, ParamError, SHAPE_MAX, SHAPE_MIN, check, check_located};
