//! Checking a parameter as written: the keys its distribution takes, the conversion of
//! `mean`/`sd` and `ci` to the distribution's own parameters, truncation, and the limits within
//! which every number must lie so that every draw is finite and takes bounded time.

use super::{Dist, Param, RawParam, fmt_num};
use std::fmt;

/// The kinds of distribution a scenario may name, for messages.
pub const DIST_NAMES: &str =
    "fixed, beta, gamma, lognormal, normal, uniform, triangular, bernoulli, categorical";

/// The keys one kind of distribution uses.
struct DistKeys {
    /// The name after `dist =` (`fixed` also for a table with `value` and no `dist`).
    name: &'static str,
    /// Every key it uses, besides `dist`, `source` and `note`.
    keys: &'static [&'static str],
    /// Its own pair of parameters, an alternative to `mean` and `sd`.
    own_pair: Option<(&'static str, &'static str)>,
    /// What it takes, for messages.
    takes: &'static str,
}

const DISTS: [DistKeys; 9] = [
    DistKeys {
        name: "fixed",
        keys: &["value"],
        own_pair: None,
        takes: "only `value`",
    },
    DistKeys {
        name: "beta",
        keys: &["mean", "sd", "alpha", "beta", "min", "max"],
        own_pair: Some(("alpha", "beta")),
        takes: "`mean` and `sd`, or `alpha` and `beta`, and optionally `min`/`max` to truncate",
    },
    DistKeys {
        name: "gamma",
        keys: &["mean", "sd", "shape", "scale", "min", "max"],
        own_pair: Some(("shape", "scale")),
        takes: "`mean` and `sd`, or `shape` and `scale`, and optionally `min`/`max` to truncate",
    },
    DistKeys {
        name: "lognormal",
        keys: &["mean", "sd", "meanlog", "sdlog", "min", "max"],
        own_pair: Some(("meanlog", "sdlog")),
        takes: "`mean` and `sd`, or `meanlog` and `sdlog`, and optionally `min`/`max` to truncate",
    },
    DistKeys {
        name: "normal",
        keys: &["mean", "sd", "min", "max"],
        own_pair: None,
        takes: "`mean` and `sd`, and optionally `min`/`max` to truncate",
    },
    DistKeys {
        name: "uniform",
        keys: &["min", "max"],
        own_pair: None,
        takes: "`min` and `max`",
    },
    DistKeys {
        name: "triangular",
        keys: &["min", "mode", "max"],
        own_pair: None,
        takes: "`min`, `mode` and `max`",
    },
    DistKeys {
        name: "bernoulli",
        keys: &["p"],
        own_pair: None,
        takes: "only `p`",
    },
    DistKeys {
        name: "categorical",
        keys: &["values", "weights"],
        own_pair: None,
        takes: "`values` and `weights`",
    },
];

/// Why a parameter was refused, and the key of its table the problem sits at, if one.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamError {
    /// The key to point at (e.g. `value` in a beta table), when the problem is one key.
    pub key: Option<&'static str>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl ParamError {
    fn at(key: &'static str, message: impl Into<String>) -> Self {
        ParamError {
            key: Some(key),
            message: message.into(),
        }
    }
}

impl From<String> for ParamError {
    fn from(message: String) -> Self {
        ParamError { key: None, message }
    }
}

impl From<&str> for ParamError {
    fn from(message: &str) -> Self {
        message.to_string().into()
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The numeric keys of a parameter table with their values, in the order of [`RawParam`].
fn numbers(raw: &RawParam) -> [(&'static str, Option<f64>); 13] {
    [
        ("value", raw.value),
        ("mean", raw.mean),
        ("sd", raw.sd),
        ("alpha", raw.alpha),
        ("beta", raw.beta),
        ("shape", raw.shape),
        ("scale", raw.scale),
        ("meanlog", raw.meanlog),
        ("sdlog", raw.sdlog),
        ("min", raw.min),
        ("mode", raw.mode),
        ("max", raw.max),
        ("p", raw.p),
    ]
}

/// The keys given in a parameter table, besides `dist`, `source` and `note`.
fn given_keys(raw: &RawParam) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = numbers(raw)
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        .collect();
    if raw.values.is_some() {
        keys.push("values");
    }
    if raw.weights.is_some() {
        keys.push("weights");
    }
    keys
}

/// Every number given must be finite (TOML allows `nan` and `inf`).
fn check_finite(raw: &RawParam) -> Result<(), ParamError> {
    for (key, v) in numbers(raw) {
        if let Some(x) = v
            && !x.is_finite()
        {
            return Err(ParamError::at(
                key,
                format!("`{key}` must be a finite number, got {x}"),
            ));
        }
    }
    Ok(())
}

/// No number in a parameter may be larger than this in size (10^15: a thousand times the
/// Danish state's yearly budget in kroner), so that sums over citizens, months and
/// replications stay finite.
pub const LIMIT: f64 = 1e15;
/// The smallest shape (beta α and β, gamma shape) a sampler draws from reliably.
pub const SHAPE_MIN: f64 = 1e-3;
/// The largest shape (beta α and β, gamma shape) a sampler draws from in bounded time; a
/// larger one is a distribution so narrow that it is a fixed number.
pub const SHAPE_MAX: f64 = 1e10;
/// The largest σ of a lognormal's logarithm (e^(6σ) must stay finite and meaningful).
const SIGMA_MAX: f64 = 10.0;
/// The most values a categorical distribution may list.
const CATEGORIES_MAX: usize = 10_000;

/// Every number within ±[`LIMIT`].
fn check_magnitude(raw: &RawParam) -> Result<(), ParamError> {
    let too_big = |key: &'static str, x: f64| {
        ParamError::at(
            key,
            format!(
                "`{key}` is {}, beyond the limit of ±10^15 for any number in a scenario (sums \
                 over citizens and months would not stay finite)",
                fmt_big(x)
            ),
        )
    };
    for (key, v) in numbers(raw) {
        if let Some(x) = v
            && x.abs() > LIMIT
        {
            return Err(too_big(key, x));
        }
    }
    for (key, list) in [
        ("values", &raw.values),
        ("weights", &raw.weights),
        ("ci", &raw.ci),
    ] {
        if let Some(list) = list {
            if let Some(x) = list.iter().find(|x| !x.is_finite()) {
                return Err(ParamError::at(
                    key,
                    format!("`{key}` must hold finite numbers, got {x}"),
                ));
            }
            if let Some(x) = list.iter().find(|x| x.abs() > LIMIT) {
                return Err(too_big(key, *x));
            }
            if list.len() > CATEGORIES_MAX {
                return Err(ParamError::at(
                    key,
                    format!(
                        "`{key}` lists {} numbers, above the limit of {CATEGORIES_MAX}",
                        list.len()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A number for a message, in scientific notation when it is very large or small.
fn fmt_big(x: f64) -> String {
    if x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        fmt_num(x)
    }
}

/// The distribution's own parameters, derived from `mean`/`sd` or `ci`, must be finite and in
/// the range a sampler draws from in bounded time, and its mean and spread within ±[`LIMIT`].
/// The message names the key that makes it so (`sd` when it is given, else the pair's first
/// key) and the limit.
fn check_derived(dist: &Dist, raw: &RawParam) -> Result<(), ParamError> {
    let by_moments = raw.mean.is_some() || raw.sd.is_some();
    let blame = |own: &'static str| -> &'static str {
        if by_moments {
            if raw.sd.is_some() { "sd" } else { "mean" }
        } else {
            own
        }
    };
    let shape = |key: &'static str, what: &str, v: f64, name: &str| -> Result<(), ParamError> {
        if !(v.is_finite() && (SHAPE_MIN..=SHAPE_MAX).contains(&v)) {
            let how = if by_moments {
                format!(
                    " (from mean {} and sd {})",
                    fmt_big(raw.mean.unwrap_or(f64::NAN)),
                    fmt_big(raw.sd.unwrap_or(f64::NAN))
                )
            } else {
                String::new()
            };
            return Err(ParamError::at(
                key,
                format!(
                    "the {what} of this {name} would be {}{how}, outside the limits 10^-3 to \
                     10^10 within which it can be drawn reliably; a narrower distribution is a \
                     fixed number (write `value`), a wider one needs other parameters",
                    fmt_big(v)
                ),
            ));
        }
        Ok(())
    };
    match dist {
        Dist::Beta { alpha, beta } => {
            shape(blame("alpha"), "α", *alpha, "beta")?;
            shape(blame("beta"), "β", *beta, "beta")?;
        }
        Dist::Gamma { shape: k, scale } => {
            shape(blame("shape"), "shape", *k, "gamma")?;
            let sd = k.sqrt() * scale;
            let mean = k * scale;
            if !(mean.is_finite() && sd.is_finite() && mean <= LIMIT && sd <= LIMIT) {
                return Err(ParamError::at(
                    blame("scale"),
                    format!(
                        "this gamma would have mean {} and sd {}, beyond the limit of 10^15",
                        fmt_big(mean),
                        fmt_big(sd)
                    ),
                ));
            }
        }
        Dist::LogNormal { mu, sigma } => {
            let key = if by_moments { blame("sdlog") } else { "sdlog" };
            if !(sigma.is_finite() && *sigma <= SIGMA_MAX) {
                return Err(ParamError::at(
                    key,
                    format!(
                        "the σ of this lognormal's logarithm would be {}, above the limit of \
                         {SIGMA_MAX}",
                        fmt_big(*sigma)
                    ),
                ));
            }
            let mean = (mu + sigma * sigma / 2.0).exp();
            let top = (mu + 6.0 * sigma).exp();
            if !(mean.is_finite() && mean <= LIMIT && top.is_finite()) {
                return Err(ParamError::at(
                    if by_moments {
                        blame("meanlog")
                    } else {
                        "meanlog"
                    },
                    format!(
                        "this lognormal would have mean {}, beyond the limit of 10^15",
                        fmt_big(mean)
                    ),
                ));
            }
        }
        Dist::Categorical { values, cumulative } => {
            if values.len() != cumulative.len() || cumulative.iter().any(|c| !c.is_finite()) {
                return Err(ParamError::at(
                    "weights",
                    "categorical weights must add up to a finite, positive total",
                ));
            }
        }
        // Normal, uniform, triangular, bernoulli and fixed use the given numbers as they are,
        // already within ±10^15 and finite (so max − min is finite too).
        Dist::Normal { .. }
        | Dist::Uniform { .. }
        | Dist::Triangular { .. }
        | Dist::Bernoulli { .. }
        | Dist::Fixed(_) => {}
    }
    Ok(())
}

/// The kind of distribution the table names (`fixed` when it has only `value`).
fn kind_of(raw: &RawParam) -> Result<&'static DistKeys, ParamError> {
    let name = match (&raw.dist, raw.value) {
        (Some(d), _) => d.to_ascii_lowercase(),
        (None, Some(_)) => "fixed".to_string(),
        (None, None) => {
            return Err(
                "a parameter table needs `value` or `dist` (e.g. { value = 0.1 } or \
                 { dist = \"beta\", mean = 0.1, sd = 0.02 })"
                    .into(),
            );
        }
    };
    DISTS.iter().find(|d| d.name == name).ok_or_else(|| {
        ParamError::at(
            "dist",
            format!("unknown distribution `{name}`; allowed: {DIST_NAMES}"),
        )
    })
}

/// Refuse keys the distribution does not use, both of its parameterisations at once, and one
/// half of a pair.
fn check_keys(raw: &RawParam, kind: &DistKeys) -> Result<(), ParamError> {
    let given = given_keys(raw);
    let what = if kind.name == "fixed" {
        "a fixed value".to_string()
    } else {
        format!("distribution `{}`", kind.name)
    };
    if let Some(key) = given.iter().find(|k| !kind.keys.contains(k)) {
        let hint = if raw.dist.is_none() {
            "; to make the number uncertain, name a distribution, e.g. \
             { dist = \"normal\", mean = 0.1, sd = 0.02 }"
        } else {
            ""
        };
        return Err(ParamError::at(
            key,
            format!(
                "`{key}` is not a key of {what}, which takes {} (`source` and `note` are \
                 allowed everywhere){hint}",
                kind.takes
            ),
        ));
    }
    let Some((a, b)) = kind.own_pair else {
        return Ok(());
    };
    let has = |k: &str| given.contains(&k);
    if (has(a) || has(b)) && (has("mean") || has("sd")) {
        let key = if has(a) { a } else { b };
        return Err(ParamError::at(
            key,
            format!(
                "{what} is given either by `mean` and `sd` or by `{a}` and `{b}`, not both; \
                 keep one pair"
            ),
        ));
    }
    if has(a) != has(b) {
        let (present, missing) = if has(a) { (a, b) } else { (b, a) };
        return Err(ParamError::at(
            present,
            format!(
                "`{present}` needs `{missing}` as well: {what} takes {}",
                kind.takes
            ),
        ));
    }
    Ok(())
}

/// Check a raw parameter and turn it into a [`Param`]. Errors say what is wrong and what is
/// allowed; the caller adds the location.
pub fn check(raw: &RawParam) -> Result<Param, String> {
    check_located(raw).map_err(|e| e.message)
}

/// As [`check`], and say which key of the table a problem sits at, so that the caller can
/// point at it.
pub fn check_located(raw: &RawParam) -> Result<Param, ParamError> {
    check_finite(raw)?;
    check_magnitude(raw)?;
    let kind = kind_of(raw)?;
    let converted = with_interval(raw, kind.name)?;
    let raw = &converted;
    check_keys(raw, kind)?;
    let (dist, truncate) = build(raw, kind)?;
    let (lower, upper) = if truncate {
        (raw.min, raw.max)
    } else {
        (None, None)
    };
    check_truncation(&dist, kind.name, lower, upper)?;
    check_derived(&dist, raw)?;
    Ok(Param {
        dist,
        lower,
        upper,
        source: raw.source.clone().filter(|s| !s.trim().is_empty()),
        note: raw.note.clone(),
        group: raw.group.clone().filter(|g| !g.trim().is_empty()),
    })
}

/// z of the 97.5th percentile of the standard normal.
const Z975: f64 = 1.959_963_984_540_054;

/// Turn a 95 % interval `ci = [low, high]` into the distribution's own keys: `mean`/`sd` for
/// normal (mean defaults to the midpoint), `meanlog`/`sdlog` for lognormal, and `sd` next to
/// the given `mean` for beta and gamma (normal approximation).
fn with_interval(raw: &RawParam, name: &str) -> Result<RawParam, ParamError> {
    let Some(ci) = &raw.ci else {
        return Ok(raw.clone());
    };
    let (lo, hi) = match ci.as_slice() {
        [lo, hi] if lo.is_finite() && hi.is_finite() && lo < hi => (*lo, *hi),
        _ => {
            return Err(ParamError::at(
                "ci",
                "`ci` is a 95 % interval `[low, high]` of two finite numbers, low below high",
            ));
        }
    };
    if raw.sd.is_some() {
        return Err(ParamError::at("ci", "give either `sd` or `ci`, not both"));
    }
    let mut out = raw.clone();
    out.ci = None;
    let sd = (hi - lo) / (2.0 * Z975);
    match name {
        "normal" => {
            out.mean = Some(raw.mean.unwrap_or((lo + hi) / 2.0));
            out.sd = Some(sd);
        }
        "lognormal" => {
            if lo <= 0.0 || raw.mean.is_some() {
                return Err(ParamError::at(
                    "ci",
                    "a lognormal `ci` needs a positive low end and no `mean` (the interval gives both μ and σ of the logarithm)",
                ));
            }
            out.meanlog = Some((lo.ln() + hi.ln()) / 2.0);
            out.sdlog = Some((hi.ln() - lo.ln()) / (2.0 * Z975));
        }
        "beta" | "gamma" => {
            if raw.mean.is_none() {
                return Err(ParamError::at(
                    "ci",
                    format!("a {name} with `ci` needs `mean` as well"),
                ));
            }
            out.sd = Some(sd);
        }
        other => {
            return Err(ParamError::at(
                "ci",
                format!("`ci` applies to normal, lognormal, beta and gamma, not to `{other}`"),
            ));
        }
    }
    Ok(out)
}

/// Truncation bounds must be in order and must cut the distribution's range, not lie outside
/// it (which would make every draw the bound).
fn check_truncation(
    dist: &Dist,
    name: &str,
    lower: Option<f64>,
    upper: Option<f64>,
) -> Result<(), ParamError> {
    if let (Some(l), Some(u)) = (lower, upper) {
        if l > u {
            return Err(ParamError::at(
                "min",
                format!("`min` {} is above `max` {}", fmt_num(l), fmt_num(u)),
            ));
        }
        if l == u {
            return Err(ParamError::at(
                "min",
                format!(
                    "`min` and `max` are both {0}, so every draw would be {0}; write the number \
                     itself instead",
                    fmt_num(l)
                ),
            ));
        }
    }
    let natural = Param {
        dist: dist.clone(),
        lower: None,
        upper: None,
        source: None,
        note: None,
        group: None,
    };
    let (lo, hi) = natural.support();
    if let Some(l) = lower
        && l >= hi
    {
        return Err(ParamError::at(
            "min",
            format!(
                "`min` {} is at or above the largest value {name} can take ({}), so every draw \
                 would be {}; `min` and `max` cut off the tails of the distribution",
                fmt_num(l),
                fmt_num(hi),
                fmt_num(l)
            ),
        ));
    }
    if let Some(u) = upper
        && u <= lo
    {
        return Err(ParamError::at(
            "max",
            format!(
                "`max` {} is at or below the smallest value {name} can take ({}), so every draw \
                 would be {}; `min` and `max` cut off the tails of the distribution",
                fmt_num(u),
                fmt_num(lo),
                fmt_num(u)
            ),
        ));
    }
    Ok(())
}

/// Build the distribution from keys already known to belong to it; also whether `min`/`max`
/// truncate it (they are its bounds for uniform and triangular).
fn build(raw: &RawParam, kind: &DistKeys) -> Result<(Dist, bool), ParamError> {
    let name = kind.name;
    let need = |field: &'static str, v: Option<f64>| -> Result<f64, ParamError> {
        v.ok_or_else(|| {
            ParamError::from(format!(
                "distribution `{name}` needs `{field}`; it takes {}",
                kind.takes
            ))
        })
    };
    let positive = |field: &'static str, v: f64| -> Result<f64, ParamError> {
        if v > 0.0 && v.is_finite() {
            Ok(v)
        } else {
            Err(ParamError::at(
                field,
                format!("`{field}` of `{name}` must be above 0, got {}", fmt_num(v)),
            ))
        }
    };
    let dist = match name {
        "fixed" => Dist::Fixed(need("value", raw.value)?),
        "beta" => match (raw.alpha, raw.beta) {
            (Some(a), Some(b)) => Dist::Beta {
                alpha: positive("alpha", a)?,
                beta: positive("beta", b)?,
            },
            _ => {
                let m = need("mean", raw.mean)?;
                let s = positive("sd", need("sd", raw.sd)?)?;
                beta_from_moments(m, s)?
            }
        },
        "gamma" => match (raw.shape, raw.scale) {
            (Some(k), Some(t)) => Dist::Gamma {
                shape: positive("shape", k)?,
                scale: positive("scale", t)?,
            },
            _ => {
                let m = positive("mean", need("mean", raw.mean)?)?;
                let s = positive("sd", need("sd", raw.sd)?)?;
                Dist::Gamma {
                    shape: (m / s).powi(2),
                    scale: s * s / m,
                }
            }
        },
        "lognormal" => match (raw.meanlog, raw.sdlog) {
            (Some(mu), Some(sig)) => Dist::LogNormal {
                mu,
                sigma: positive("sdlog", sig)?,
            },
            _ => {
                let m = positive("mean", need("mean", raw.mean)?)?;
                let s = positive("sd", need("sd", raw.sd)?)?;
                let sigma2 = (1.0 + (s / m).powi(2)).ln();
                Dist::LogNormal {
                    mu: m.ln() - sigma2 / 2.0,
                    sigma: sigma2.sqrt(),
                }
            }
        },
        "normal" => Dist::Normal {
            mean: need("mean", raw.mean)?,
            sd: positive("sd", need("sd", raw.sd)?)?,
        },
        "uniform" => {
            let (lo, hi) = (need("min", raw.min)?, need("max", raw.max)?);
            if lo >= hi {
                return Err(ParamError::at(
                    "min",
                    format!(
                        "uniform needs min below max, got {} and {}",
                        fmt_num(lo),
                        fmt_num(hi)
                    ),
                ));
            }
            return Ok((Dist::Uniform { min: lo, max: hi }, false));
        }
        "triangular" => {
            let (lo, hi) = (need("min", raw.min)?, need("max", raw.max)?);
            let mode = need("mode", raw.mode)?;
            if !(lo < hi && lo <= mode && mode <= hi) {
                return Err(format!(
                    "triangular needs min ≤ mode ≤ max and min < max, got {}, {}, {}",
                    fmt_num(lo),
                    fmt_num(mode),
                    fmt_num(hi)
                )
                .into());
            }
            let d = Dist::Triangular {
                min: lo,
                mode,
                max: hi,
            };
            return Ok((d, false));
        }
        "bernoulli" => {
            let p = need("p", raw.p)?;
            if !(0.0..=1.0).contains(&p) {
                return Err(ParamError::at(
                    "p",
                    format!("bernoulli `p` must be between 0 and 1, got {}", fmt_num(p)),
                ));
            }
            Dist::Bernoulli { p }
        }
        _ => categorical(raw)?,
    };
    Ok((dist, true))
}

/// Beta by the method of moments.
fn beta_from_moments(m: f64, s: f64) -> Result<Dist, ParamError> {
    if !(m > 0.0 && m < 1.0) {
        return Err(ParamError::at(
            "mean",
            format!(
                "beta needs a mean strictly between 0 and 1, got {}",
                fmt_num(m)
            ),
        ));
    }
    let v = s * s;
    if v >= m * (1.0 - m) {
        return Err(ParamError::at(
            "sd",
            format!(
                "beta with mean {} needs sd below {} (sqrt(mean·(1−mean))), got {}",
                fmt_num(m),
                fmt_num((m * (1.0 - m)).sqrt()),
                fmt_num(s)
            ),
        ));
    }
    let k = m * (1.0 - m) / v - 1.0;
    Ok(Dist::Beta {
        alpha: m * k,
        beta: (1.0 - m) * k,
    })
}

/// A categorical distribution: as many weights as values, finite values, weights 0 or above
/// and not all 0.
fn categorical(raw: &RawParam) -> Result<Dist, ParamError> {
    let values = raw
        .values
        .clone()
        .ok_or("distribution `categorical` needs `values` (and `weights`)")?;
    let weights = raw
        .weights
        .clone()
        .ok_or("distribution `categorical` needs `weights` (as many as `values`)")?;
    if values.is_empty() || values.len() != weights.len() {
        return Err(format!(
            "categorical needs as many weights as values (at least one), got {} values and {} weights",
            values.len(),
            weights.len()
        )
        .into());
    }
    if weights.iter().any(|w| !(*w >= 0.0 && w.is_finite()))
        || values.iter().any(|v| !v.is_finite())
    {
        return Err("categorical values must be finite and weights 0 or above".into());
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err("categorical weights must not all be 0".into());
    }
    if !total.is_finite() {
        return Err(
            "categorical weights are too large to add up; give them as shares, e.g. \
             weights = [0.25, 0.45, 0.30]"
                .into(),
        );
    }
    let mut acc = 0.0;
    let mut cumulative: Vec<f64> = weights
        .iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect();
    if let Some(last) = cumulative.last_mut() {
        *last = 1.0;
    }
    Ok(Dist::Categorical { values, cumulative })
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
