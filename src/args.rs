//! Argument values: the types of the command line's option values and the parsers that read
//! them (`--outcome`, `--sizes`, `--alpha`, `--vary`, `--staff`), and the defaults of `ressim
//! serve`'s options.
//!
//! Plain argument syntax, with no analysis in it: the command line (`cli`) uses it to parse,
//! and the analyses (`analysis::power`, `analysis::sweep`) and `serve` take their values from
//! here. It imports nothing from the crate, so every module may import it.

/// A trial outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// In a `self_supporting` state at the end of follow-up.
    SelfSupporting,
    /// In a `disability_pension` state at the end of follow-up.
    Pension,
    /// Months in `on_benefits` states during follow-up.
    BenefitMonths,
    /// Months in `employed` states during follow-up.
    EmploymentMonths,
}

impl Outcome {
    /// Every outcome, in report order.
    pub const ALL: [Outcome; 4] = [
        Outcome::SelfSupporting,
        Outcome::Pension,
        Outcome::BenefitMonths,
        Outcome::EmploymentMonths,
    ];

    /// The outcome's name on the command line and in power.csv.
    pub fn id(self) -> &'static str {
        match self {
            Outcome::SelfSupporting => "self_supporting",
            Outcome::Pension => "pension",
            Outcome::BenefitMonths => "benefit_months",
            Outcome::EmploymentMonths => "employment_months",
        }
    }

    /// The outcome named `s`.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.id() == s)
    }
}

/// Parse `--outcome`: one name or a comma-separated list.
pub fn parse_outcomes(s: &str) -> std::result::Result<Vec<Outcome>, String> {
    s.split(',')
        .map(|t| {
            let t = t.trim();
            Outcome::parse(t).ok_or_else(|| {
                format!(
                    "unknown outcome `{t}`; allowed: {}",
                    Outcome::ALL.map(|o| o.id()).join(", ")
                )
            })
        })
        .collect()
}

/// The largest trial size accepted.
pub const MAX_SIZE: usize = 1_000_000;

/// Parse `--sizes`: a comma-separated list of trial sizes (citizens randomised), each 2 or
/// more; returned increasing without repeats.
pub fn parse_sizes(s: &str) -> std::result::Result<Vec<usize>, String> {
    let mut out = Vec::new();
    for t in s.split(',') {
        let t = t.trim();
        let v: usize = t.parse().map_err(|_| {
            format!("`{t}` is not a whole number; give sizes such as 200,400,800,1600")
        })?;
        if !(2..=MAX_SIZE).contains(&v) {
            return Err(format!(
                "a trial size must be between 2 and {MAX_SIZE} citizens, got {v}"
            ));
        }
        out.push(v);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Parse `--alpha`: the two-sided significance level, strictly between 0 and 1.
pub fn parse_alpha(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; give e.g. 0.05"))?;
    if !(v > 0.0 && v < 1.0) {
        return Err(format!(
            "the significance level must lie strictly between 0 and 1, got {s}"
        ));
    }
    Ok(v)
}

/// One varied service: id and the FTE values to try.
#[derive(Debug, Clone, PartialEq)]
pub struct Vary {
    /// Service id.
    pub service: String,
    /// FTE values, increasing.
    pub values: Vec<f64>,
}

/// Parse `ID=FROM:TO:STEP` (or `ID=VALUE`).
pub fn parse_vary(s: &str) -> std::result::Result<Vary, String> {
    let (id, range) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: write SERVICE=FROM:TO:STEP, e.g. mentors=0:40:5"))?;
    let id = id.trim();
    if id.is_empty() {
        return Err(format!("`{s}`: the service id before `=` is missing"));
    }
    let nums: Vec<&str> = range.split(':').collect();
    let parse = |t: &str| -> std::result::Result<f64, String> {
        let v: f64 = t
            .trim()
            .parse()
            .map_err(|_| format!("`{s}`: `{t}` is not a number"))?;
        if !v.is_finite() || v < 0.0 {
            return Err(format!("`{s}`: staffing must be 0 or more FTE, got {t}"));
        }
        Ok(v)
    };
    let values = match nums.as_slice() {
        [one] => vec![parse(one)?],
        [from, to, step] => {
            let (from, to, step) = (parse(from)?, parse(to)?, parse(step)?);
            if step <= 0.0 {
                return Err(format!("`{s}`: the step must be above 0"));
            }
            if to < from {
                return Err(format!("`{s}`: FROM must not be above TO"));
            }
            let n = ((to - from) / step + 1e-9).floor() as usize + 1;
            if n > 200 {
                return Err(format!("`{s}`: {n} values; at most 200 per service"));
            }
            (0..n).map(|k| from + k as f64 * step).collect()
        }
        _ => {
            return Err(format!(
                "`{s}`: write SERVICE=FROM:TO:STEP, e.g. mentors=0:40:5"
            ));
        }
    };
    Ok(Vary {
        service: id.to_string(),
        values,
    })
}

/// Parse `ID=FTE` for `--staff`.
pub fn parse_staff(s: &str) -> std::result::Result<(String, f64), String> {
    let v = parse_vary(s)?;
    match v.values.as_slice() {
        [x] => Ok((v.service, *x)),
        _ => Err(format!("`{s}`: give one number, e.g. mentors=15")),
    }
}

/// `ressim serve --quick`: replications of the quick first result.
pub const QUICK_REPLICATIONS: u32 = 10;
/// `ressim serve --max-replications`: the most replications one interactive run may ask for.
pub const MAX_REPLICATIONS: u32 = 2000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_ranges_parse_and_bad_ones_are_explained() {
        assert_eq!(
            parse_vary("mentors=0:40:10").unwrap().values,
            vec![0.0, 10.0, 20.0, 30.0, 40.0]
        );
        assert_eq!(parse_vary("x=1.5").unwrap().values, vec![1.5]);
        assert_eq!(parse_vary("x=0:1:0.25").unwrap().values.len(), 5);
        for bad in [
            "mentors",
            "=1:2:1",
            "m=a:2:1",
            "m=5:1:1",
            "m=0:4:0",
            "m=-1:2:1",
            "m=1:2",
            "m=0:10000:1",
        ] {
            assert!(parse_vary(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_staff("mentors=15").unwrap(),
            ("mentors".to_string(), 15.0)
        );
        assert!(parse_staff("mentors=1:3:1").is_err());
    }

    #[test]
    fn bad_arguments_are_refused_with_a_reason() {
        assert!(parse_sizes("0").unwrap_err().contains("between 2"));
        assert!(
            parse_sizes("abc")
                .unwrap_err()
                .contains("not a whole number")
        );
        assert_eq!(parse_sizes("800, 200,800").unwrap(), vec![200, 800]);
        assert!(
            parse_alpha("1.5")
                .unwrap_err()
                .contains("strictly between 0 and 1")
        );
        assert!(parse_alpha("nan").is_err());
        assert!(parse_outcomes("jobs").unwrap_err().contains("allowed:"));
        assert_eq!(
            parse_outcomes("pension,benefit_months").unwrap(),
            vec![Outcome::Pension, Outcome::BenefitMonths]
        );
    }
}
