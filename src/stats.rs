//! Summaries across replications: mean with its Monte Carlo standard error and percentiles, and
//! exact integer histograms for per-cycle counts (memory bounded by the cohort size, not by
//! the number of replications, and independent of the order values arrive in).

use serde::Serialize;

/// A summary of a quantity across replications.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stat {
    /// Mean over replications.
    pub mean: f64,
    /// Monte Carlo standard error of the mean (sd / √n).
    pub mcse: f64,
    /// 2.5th percentile.
    pub p025: f64,
    /// Median.
    pub p50: f64,
    /// 97.5th percentile.
    pub p975: f64,
}

/// Percentile of sorted data by linear interpolation between order statistics (Hyndman & Fan
/// type 7, the default of R and numpy).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

impl Stat {
    /// Summarise values given in replication order (the order does not change the result
    /// beyond the last bit of the mean, and callers always pass replication order).
    pub fn of(values: &[f64]) -> Stat {
        let n = values.len();
        if n == 0 {
            return Stat {
                mean: f64::NAN,
                mcse: f64::NAN,
                p025: f64::NAN,
                p50: f64::NAN,
                p975: f64::NAN,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        Stat {
            mean,
            mcse: (var / n as f64).sqrt(),
            p025: quantile_sorted(&s, 0.025),
            p50: quantile_sorted(&s, 0.5),
            p975: quantile_sorted(&s, 0.975),
        }
    }
}

/// An exact histogram of non-negative integer values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hist {
    offset: u32,
    counts: Vec<u32>,
    n: u64,
    sum: u64,
}

impl Hist {
    /// Add one value.
    pub fn add(&mut self, v: u32) {
        if self.counts.is_empty() {
            self.offset = v;
            self.counts.push(0);
        } else if v < self.offset {
            let grow = (self.offset - v) as usize;
            let mut c = vec![0; grow];
            c.extend_from_slice(&self.counts);
            self.counts = c;
            self.offset = v;
        }
        let i = (v - self.offset) as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.n += 1;
        self.sum += v as u64;
    }

    /// Number of values.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// Whether no value was added.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Exact mean.
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        self.sum as f64 / self.n as f64
    }

    /// The k-th smallest value (0-based).
    fn order_stat(&self, k: u64) -> f64 {
        let mut acc = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            acc += c as u64;
            if acc > k {
                return (self.offset as usize + i) as f64;
            }
        }
        (self.offset as usize + self.counts.len().saturating_sub(1)) as f64
    }

    /// Percentile, type 7 as [`quantile_sorted`].
    pub fn quantile(&self, q: f64) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let h = (self.n - 1) as f64 * q;
        let lo = h.floor() as u64;
        let hi = (lo + 1).min(self.n - 1);
        let a = self.order_stat(lo);
        let b = self.order_stat(hi);
        a + (h - lo as f64) * (b - a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_of_known_values() {
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert!((s.mcse - (2.5f64 / 5.0).sqrt()).abs() < 1e-12);
        assert_eq!(s.p50, 3.0);
        assert!((s.p025 - 1.1).abs() < 1e-12);
        assert!((s.p975 - 4.9).abs() < 1e-12);
    }

    #[test]
    fn histogram_quantiles_equal_sorted_quantiles() {
        let vals = [7u32, 3, 9, 3, 12, 5, 5, 5, 8, 1, 30];
        let mut h = Hist::default();
        for v in vals {
            h.add(v);
        }
        let mut s: Vec<f64> = vals.iter().map(|&v| v as f64).collect();
        s.sort_by(f64::total_cmp);
        for q in [0.0, 0.025, 0.3, 0.5, 0.975, 1.0] {
            assert_eq!(h.quantile(q), quantile_sorted(&s, q), "q {q}");
        }
        assert_eq!(h.mean(), s.iter().sum::<f64>() / s.len() as f64);
    }
}
