//! Price indexation: amounts may be written in their own price year (per file, per table, per
//! parameter) and are converted to the scenario's `[simulation] price_year` with a price index:
//! the one shipped with ressim (Danmarks Statistik's consumer price index,
//! `data/price-index/dst-forbrugerprisindeks.csv`) or the scenario's own `[price_index]`.
//!
//! The price year of an amount is, in this order: `price_year` in the parameter's own table,
//! in the nearest enclosing table, or at the top of the file that writes the value; that file's
//! `[simulation] price_year`; the same of the files it extends. A variant that only changes
//! `[simulation] price_year` therefore changes the target and converts every amount of its base.

use super::load::{Seg, Sources};
use super::model::Scenario;
use super::plausible::kind_of;
use super::raw::RawScenario;
use crate::error::ScenarioError;
use serde::Serialize;

/// The shipped price index (year, index).
pub const SHIPPED_INDEX: &str = include_str!("../../data/price-index/dst-forbrugerprisindeks.csv");

/// Name of the shipped index.
pub const SHIPPED_NAME: &str = "Danmarks Statistik, forbrugerprisindeks (PRIS112, 2015=100)";

/// A price index.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceIndex {
    /// Its name.
    pub name: String,
    /// Where its figures come from.
    pub source: String,
    /// (year, index) by increasing year.
    pub values: Vec<(i32, f64)>,
}

impl PriceIndex {
    /// The index shipped with ressim.
    pub fn shipped() -> PriceIndex {
        let values = SHIPPED_INDEX
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("year"))
            .filter_map(|l| {
                let (y, v) = l.split_once(',')?;
                Some((y.trim().parse().ok()?, v.trim().parse().ok()?))
            })
            .collect();
        PriceIndex {
            name: SHIPPED_NAME.into(),
            source: "Danmarks Statistik, Statistikbanken PRIS112/PRIS113: annual averages of \
                     the monthly consumer price index (data/price-index/dst-forbrugerprisindeks.csv)"
                .into(),
            values,
        }
    }

    /// The index of `year`.
    pub fn get(&self, year: i32) -> Option<f64> {
        self.values.iter().find(|(y, _)| *y == year).map(|v| v.1)
    }

    /// "2015–2024".
    pub fn years(&self) -> String {
        match (self.values.first(), self.values.last()) {
            (Some(a), Some(b)) => format!("{}–{}", a.0, b.0),
            _ => "none".into(),
        }
    }
}

/// What was converted: amounts from which price years, by which factor.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct PriceConversion {
    /// The scenario's price year (of every amount after conversion).
    pub price_year: i32,
    /// The index used, when anything was converted.
    pub index: Option<PriceIndex>,
    /// (from year, factor, number of amounts) by increasing year.
    pub converted: Vec<(i32, f64, usize)>,
}

impl PriceConversion {
    /// Sentences for the report: "Beløb fra 2016 er fremskrevet til 2024-priser med faktor
    /// 1,19 (…)"; empty when nothing was converted.
    pub fn sentences(&self, da: bool) -> Vec<String> {
        let Some(ix) = &self.index else {
            return Vec::new();
        };
        self.converted
            .iter()
            .map(|(from, f, n)| {
                let factor = format!("{f:.2}");
                if da {
                    format!(
                        "Beløb fra {from} er fremskrevet til {}-priser med faktor {} ({n} beløb; {}).",
                        self.price_year,
                        factor.replace('.', ","),
                        ix.name
                    )
                } else {
                    format!(
                        "Amounts from {from} are converted to {} prices by a factor of {factor} ({n} amounts; {}).",
                        self.price_year, ix.name
                    )
                }
            })
            .collect()
    }
}

/// The key path of a parameter's path text, e.g. `a.b[1].c` → [a, b, 1, c].
pub fn key_path(text: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in text.split('.') {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Seg::Key(rest[..i].to_string()));
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                if let Ok(n) = rest[1..end].parse::<usize>() {
                    out.push(Seg::Index(n));
                }
                rest = &rest[end + 1..];
            }
        } else {
            out.push(Seg::Key(rest.to_string()));
        }
    }
    out
}

/// The integer `price_year` file `fi` writes in the table at `prefix` (the top of the file for
/// an empty prefix).
fn year_at(sources: &Sources, fi: usize, prefix: &[Seg]) -> Option<i64> {
    let mut p = prefix.to_vec();
    p.push(Seg::Key("price_year".into()));
    sources.value_in_file(fi, &p)?.as_integer()
}

/// The default price year of the amounts written in file `fi`: its top-level `price_year`, its
/// `[simulation] price_year`, the year of its `[simulation] start`, else those of the files
/// it extends.
fn file_year(sources: &Sources, fi: usize) -> Option<i64> {
    let sim = [Seg::Key("simulation".into())];
    let start = [Seg::Key("simulation".into()), Seg::Key("start".into())];
    (fi..sources.files.len())
        .find_map(|f| year_at(sources, f, &[]).or_else(|| year_at(sources, f, &sim)))
        // Without a price year anywhere in the chain, amounts are in the year of the `start`,
        // as `[simulation] price_year` defaults to it.
        .or_else(|| {
            (fi..sources.files.len()).find_map(|f| {
                sources
                    .value_in_file(f, &start)?
                    .as_str()?
                    .get(..4)?
                    .parse()
                    .ok()
            })
        })
}

/// Convert every amount of `sc` to its price year; errors name the amount whose price year
/// the index does not cover.
pub fn convert(
    sc: &mut Scenario,
    raw: &RawScenario,
    sources: &Sources,
) -> Result<PriceConversion, Vec<ScenarioError>> {
    let target = sc.sim.price_year;
    let mut errors = Vec::new();
    let index = match &raw.price_index {
        None => PriceIndex::shipped(),
        Some(r) => {
            let mut values = Vec::new();
            for (y, v) in r.values.iter().flatten() {
                let path = [
                    Seg::Key("price_index".into()),
                    Seg::Key("values".into()),
                    Seg::Key(y.clone()),
                ];
                match y.parse::<i32>() {
                    Ok(year) if v.is_finite() && *v > 0.0 => values.push((year, *v)),
                    _ => errors.push(sources.error(
                        &path,
                        format!(
                            "`{y} = {v}`: a price index needs a year as key and a positive \
                             number, e.g. values = {{ 2016 = 100.2, 2024 = 118.8 }}"
                        ),
                    )),
                }
            }
            values.sort_by_key(|v| v.0);
            if values.is_empty() {
                errors.push(sources.error(
                    &[Seg::Key("price_index".into())],
                    "[price_index] needs `values`, e.g. values = { 2016 = 100.2, 2024 = 118.8 }",
                ));
            }
            PriceIndex {
                name: r
                    .name
                    .clone()
                    .unwrap_or_else(|| "the scenario's price index".into()),
                source: r.source.clone().unwrap_or_default(),
                values,
            }
        }
    };
    let mut converted: Vec<(i32, f64, usize)> = Vec::new();
    for i in 0..sc.params.len() {
        let path = key_path(&sc.params[i].path);
        let Some(fi) = sources.file_of(&path) else {
            continue; // a default value: already in the scenario's prices
        };
        let own = (0..=path.len())
            .rev()
            .find_map(|n| year_at(sources, fi, &path[..n]).filter(|_| n > 0));
        let kind = kind_of(sc, &sc.params[i].path);
        if !kind.is_money() {
            if year_at(sources, fi, &path).is_some() {
                errors.push(sources.error(
                    &path,
                    format!(
                        "`price_year` on `{}`, which is not an amount in kroner ({}); only \
                         amounts are converted between price years",
                        sc.params[i].path,
                        kind.unit(false)
                    ),
                ));
            }
            continue;
        }
        let Some(year) = own.or_else(|| file_year(sources, fi)) else {
            continue;
        };
        let year = year as i32;
        if year == target {
            continue;
        }
        let (Some(from), Some(to)) = (index.get(year), index.get(target)) else {
            errors.push(sources.error(
                &path,
                format!(
                    "`{}` is written in {year} prices and the scenario's price year is {target}, \
                     but {} covers {}; give the scenario's own [price_index] with both years \
                     (docs/scenario.md, section 3)",
                    sc.params[i].path,
                    index.name,
                    index.years()
                ),
            ));
            continue;
        };
        let f = to / from;
        match sc.params[i].param.scaled(f) {
            Some(p) => sc.params[i].param = p,
            None => {
                errors.push(sources.error(
                    &path,
                    format!(
                        "`{}` is a distribution on 0–1 and cannot be converted from {year} to \
                         {target} prices; write it in {target} prices",
                        sc.params[i].path
                    ),
                ));
                continue;
            }
        }
        match converted.iter_mut().find(|c| c.0 == year) {
            Some(c) => c.2 += 1,
            None => converted.push((year, f, 1)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    converted.sort_by_key(|c| c.0);
    Ok(PriceConversion {
        price_year: target,
        index: (!converted.is_empty()).then_some(index),
        converted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_index_covers_2015_to_2024() {
        let ix = PriceIndex::shipped();
        assert_eq!(ix.get(2015), Some(100.0));
        let f = ix.get(2024).unwrap() / ix.get(2016).unwrap();
        assert!((1.15..1.25).contains(&f), "{f}");
        assert_eq!(ix.years(), "2015–2024");
    }

    #[test]
    fn key_paths_read_back() {
        assert_eq!(
            key_path("a.b[1].c"),
            vec![
                Seg::Key("a".into()),
                Seg::Key("b".into()),
                Seg::Index(1),
                Seg::Key("c".into())
            ]
        );
    }
}
