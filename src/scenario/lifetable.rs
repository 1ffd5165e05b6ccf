//! Life tables: the annual probability of death qx by whole year of age (and sex), read from a
//! CSV file while the scenario is loaded (the engine does no I/O).
//!
//! The file holds lines `age,qx_male,qx_female` (or `age,qx` for both sexes together), one per
//! whole year of age, consecutive, with qx = 1 at the last age: nobody lives beyond it. Blank
//! lines and lines starting with `#` are comments. Within each year of age the force of
//! mortality is constant, μₓ = −ln(1 − qₓ) a year, so twelve monthly cycles at age x survive
//! with probability exactly 1 − qₓ.

use crate::error::{Location, ScenarioError};
use std::path::Path;

/// The table that ships with ressim: an approximation, see its file for how it was built.
pub const BUILTIN_PATH: &str = "data/lifetables/dk-2015-2016-gompertz-makeham.csv";

/// The shipped table's text, built into the binary.
pub const BUILTIN_TEXT: &str =
    include_str!("../../data/lifetables/dk-2015-2016-gompertz-makeham.csv");

/// The source of the shipped table, for the assumption register and the report.
pub const BUILTIN_SOURCE: &str = "Assumption: Gompertz–Makeham approximation to Danish period \
mortality 2015/2016 (A = 0.0003, c = 0.10 assumed; B calibrated to life expectancy at birth \
78.8 years for men and 82.8 for women, Danmarks Statistik, Nyt nr. 62, 16 Feb 2017); replace by \
Statistics Denmark's life table HISB8 (dødshyppighed) for 2015:2016";

/// A checked life table.
#[derive(Debug, Clone, PartialEq)]
pub struct LifeTable {
    /// Where it was read from (a path, or the built-in table's name).
    pub label: String,
    /// The first age of the table.
    pub first_age: u32,
    /// qx by age from `first_age`: men, or both sexes when `female` is None.
    pub male: Vec<f64>,
    /// qx of women by age, when the table is by sex.
    pub female: Option<Vec<f64>>,
}

impl LifeTable {
    /// The last age of the table (qx = 1 there).
    pub fn last_age(&self) -> u32 {
        self.first_age + self.male.len() as u32 - 1
    }

    /// The annual death probability at completed age `age` (clamped to the table's ages).
    pub fn qx(&self, age: u32, female: bool) -> f64 {
        let col = match (&self.female, female) {
            (Some(f), true) => f,
            _ => &self.male,
        };
        let i = age.saturating_sub(self.first_age) as usize;
        col[i.min(col.len() - 1)]
    }

    /// The force of mortality per year at each age, −ln(1 − qx) (infinite where qx = 1), for
    /// men (or both sexes) and women.
    pub fn forces(&self) -> [Vec<f64>; 2] {
        let f = |v: &Vec<f64>| v.iter().map(|&q| -(-q).ln_1p()).collect::<Vec<_>>();
        let m = f(&self.male);
        let w = self.female.as_ref().map(f).unwrap_or_else(|| m.clone());
        [m, w]
    }

    /// Probability of surviving from exact age `from` for `months` months under the table's
    /// piecewise-constant force (the engine's monthly steps), for one sex.
    pub fn survival(&self, from: f64, months: u32, female: bool) -> f64 {
        let forces = self.forces();
        let mu = &forces[female as usize];
        let mut ln_s = 0.0;
        for k in 0..months {
            let age = (from + k as f64 / 12.0 + 1e-9).floor().max(0.0) as u32;
            let i = (age.saturating_sub(self.first_age) as usize).min(mu.len() - 1);
            ln_s -= mu[i] / 12.0;
        }
        ln_s.exp()
    }

    /// Life expectancy at exact age `age` (whole years of the table), with constant force
    /// within each year and death at once at the last age.
    pub fn expectancy(&self, age: u32, female: bool) -> f64 {
        let (mut l, mut e) = (1.0, 0.0);
        for x in age.max(self.first_age)..self.last_age() {
            let q = self.qx(x, female);
            if q > 0.0 {
                e += l * q / -(-q).ln_1p();
            } else {
                e += l;
            }
            l *= 1.0 - q;
        }
        e
    }
}

/// Parse a life table. Errors name the file, the line and column, and what is allowed.
pub fn parse(path: &Path, label: &str, text: &str) -> Result<LifeTable, ScenarioError> {
    let at = |offset: usize, msg: String| ScenarioError {
        file: path.to_path_buf(),
        location: Some(Location::from_offset(text, offset)),
        message: msg,
    };
    let mut header: Option<Vec<String>> = None;
    let mut first_age = None;
    let (mut male, mut female) = (Vec::new(), Vec::new());
    let mut last_offset = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = t.split(',').map(str::trim).collect();
        let Some(cols) = &header else {
            let h: Vec<String> = cells.iter().map(|c| c.to_ascii_lowercase()).collect();
            let ok = h == ["age", "qx"] || h == ["age", "qx_male", "qx_female"];
            if !ok {
                return Err(at(
                    start,
                    format!(
                        "a life table's first line must be `age,qx_male,qx_female` (by sex) or \
                         `age,qx` (both sexes), got `{t}`"
                    ),
                ));
            }
            header = Some(h);
            continue;
        };
        if cells.len() != cols.len() {
            return Err(at(
                start,
                format!(
                    "expected {} values ({}), got {}",
                    cols.len(),
                    cols.join(","),
                    cells.len()
                ),
            ));
        }
        let mut cell_offset = start + (line.len() - line.trim_start().len());
        let mut vals = Vec::with_capacity(cells.len());
        for (k, c) in cells.iter().enumerate() {
            let v: f64 = c.parse().map_err(|_| {
                at(
                    cell_offset,
                    format!("`{}` must be a number, got `{c}`", cols[k]),
                )
            })?;
            if k == 0 {
                let expected = first_age.map(|a: u32| a + male.len() as u32);
                if v.fract() != 0.0 || !(0.0..=150.0).contains(&v) {
                    return Err(at(
                        cell_offset,
                        format!("`age` must be a whole number of years 0–150, got {c}"),
                    ));
                }
                if let Some(e) = expected
                    && v as u32 != e
                {
                    return Err(at(
                        cell_offset,
                        format!("ages must follow each other year by year: expected {e}, got {c}"),
                    ));
                }
                first_age.get_or_insert(v as u32);
            } else if !(0.0..=1.0).contains(&v) {
                return Err(at(
                    cell_offset,
                    format!(
                        "`{}` is an annual probability of death and must lie between 0 and 1, got {c}",
                        cols[k]
                    ),
                ));
            }
            vals.push(v);
            cell_offset += c.len() + 1;
        }
        male.push(vals[1]);
        if vals.len() == 3 {
            female.push(vals[2]);
        }
        last_offset = start;
    }
    let Some(first_age) = first_age else {
        return Err(ScenarioError::in_file(
            path,
            "the life table has no rows: give one line `age,qx_male,qx_female` per year of age",
        ));
    };
    let last_ok = male.last() == Some(&1.0) && female.last().is_none_or(|&q| q == 1.0);
    if !last_ok {
        return Err(at(
            last_offset,
            "the last age of a life table must have qx = 1 (nobody lives beyond it); add a row \
             with qx = 1"
                .into(),
        ));
    }
    Ok(LifeTable {
        label: label.to_string(),
        first_age,
        male,
        female: (!female.is_empty()).then_some(female),
    })
}

/// The built-in table.
pub fn builtin() -> Result<LifeTable, ScenarioError> {
    let label = format!("{BUILTIN_PATH} (built in)");
    parse(Path::new(BUILTIN_PATH), &label, BUILTIN_TEXT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_reproduces_the_published_life_expectancy() {
        let t = builtin().unwrap();
        assert_eq!((t.first_age, t.last_age()), (0, 110));
        // Danmarks Statistik, Nyt nr. 62 (16 Feb 2017): 78.8 years (men), 82.8 (women).
        assert!((t.expectancy(0, false) - 78.8).abs() < 0.01);
        assert!((t.expectancy(0, true) - 82.8).abs() < 0.01);
        // Twelve monthly steps from an exact age survive with 1 − qx.
        assert!((t.survival(60.0, 12, true) - (1.0 - t.qx(60, true))).abs() < 1e-12);
    }

    #[test]
    fn bad_tables_are_refused_with_their_line() {
        let p = Path::new("t.csv");
        let e = parse(p, "t", "age,qx\n0,0.1\n2,1\n").unwrap_err();
        assert_eq!(e.location.unwrap().line, 3);
        assert!(e.message.contains("expected 1"), "{}", e.message);
        let e = parse(p, "t", "age,qx\n0,0.1\n1,0.5\n").unwrap_err();
        assert!(e.message.contains("qx = 1"), "{}", e.message);
        let e = parse(p, "t", "age,qx\n0,1.5\n").unwrap_err();
        assert_eq!(e.location.unwrap().column, 3);
        assert!(parse(p, "t", "years,q\n").is_err());
    }
}
