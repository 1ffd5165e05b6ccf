//! The life course in the month loop: ages that advance, deaths from a life table as one more
//! competing exit, and moves at an age.
//!
//! **Deaths** are a competing exit of every course state but the death state, with their own
//! uniform per citizen-cycle keyed by the name `mortality` (see [`crate::rng`]). The rate per
//! cycle is μ = −ln(1 − qₓ) · cycle_months/12 · the state's `mortality_hr`, at the completed
//! age x at the start of the cycle, for the citizen's sex. The death fires when its uniform is
//! below 1 − exp(−μ); if another exit fires as well, the shorter exponential waiting time wins,
//! exactly as between the other exits. So adding mortality moves only the citizens who die:
//! nobody is moved between the other exits. At the table's last age qx = 1 and the death is
//! certain.
//!
//! **Moves at an age** (`at_age`) and the planned length (`max_months`) are forced moves of the
//! cycle: a citizen whose death fires in that cycle dies instead; otherwise the move at an age
//! comes before the planned length.

use super::compile::CState;
use crate::rng::{self, name_key};
use crate::scenario::Scenario;

/// The life course of one arm in one replication, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct CLife {
    /// Ageing attributes (indices).
    pub ageing: Vec<usize>,
    /// Years added to an ageing attribute every cycle.
    pub step_years: f64,
    /// Deaths, when the scenario has `[mortality]`.
    pub mortality: Option<CMortality>,
    /// Per course state: (attribute, age, destination) of a move at an age.
    pub at_age: Vec<Option<(usize, f64, u16)>>,
    /// Per course state: a death or a move at an age can happen there.
    pub events: Vec<bool>,
    /// Per chain, per state: the exits (bit k: exit k; 64 and above: bit 63) whose rates read
    /// an ageing attribute, so their entries of a cached exit table are refreshed every cycle.
    pub refresh_every_cycle: Vec<Vec<u64>>,
    /// Per chain, per state: how the aged exits' entries can be bounded for
    /// [`BOUND_MONTHS`] instead of refreshed every cycle; None where they cannot (see
    /// [`AgeBound`]).
    pub age_bounds: Vec<Vec<Option<AgeBound>>>,
}

/// How long, in months, the bounds of [`AgeBound`] are used before they are made again.
/// Longer bounds end fewer settled stretches (each renewal is a cycle of the general step)
/// but are looser (more coins fall below a bound and take an exact entry); measured on the
/// shipped scenario (callgrind per replication of 1,000 replications' workload), 12 months:
/// 41.4 M instructions, 24: 40.5, 36: 40.5, 60: 40.5, 120: 40.6. Any length gives the same
/// results.
pub const BOUND_MONTHS: u32 = 36;

/// Bounds for the entries of a state's exits whose rates read an age (its bits in
/// [`CLife::refresh_every_cycle`]), so that the month loop refreshes them only when one may
/// fire rather than every cycle. Such a rate reads the ageing attributes only through
/// attribute modifiers (none through bands), so its logarithm grows linearly with age: over
/// the next `years` (the years the ages grow by in [`BOUND_MONTHS`], at least one cycle, with
/// a margin for rounding) its rate is at most rate now × exp(max(slope, 0) · years), where
/// slope is the sum of the log hazard ratios per unit of its modifiers on ageing attributes.
/// An entry made from that (widened by a relative 10⁻⁹, far more than the rounding of the
/// rates) bounds the exact threshold of every cycle until then: a uniform above it does not
/// fire the exit, and a uniform below it is decided on the exact entry. Only where each
/// ageing modifier changes its hazard ratio by at most e¹⁰ over `years`, and (checked when the
/// bounds are made, see `exits::bound_aged`) the rate has at most [`MAX_FACTORS`] factors,
/// each within 10⁻²⁰…10²⁰, so that no product can leave the range where rounding is
/// relative. What is compiled here depends only on the states' transitions and modifiers, not
/// on services or participation, so arms that differ only in those get the same bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeBound {
    /// Per exit of the state: its modifiers on ageing attributes, each a factor of the rate
    /// that ageing may bring in later (one whose attribute is at its reference now is not).
    pub ageing_modifiers: Vec<usize>,
    /// Cycles the bounds hold for: [`BOUND_MONTHS`], at least one cycle.
    pub cycles: u32,
    /// Per exit of the state: the most its rate can grow by over those cycles,
    /// exp(max(slope, 0) · years) (1 for the exits that read no age).
    pub growth: Vec<f64>,
}

/// The most factors (base rate, duration step, participation, modifiers, bands, services)
/// a rate may have to be bounded by [`AgeBound`].
pub const MAX_FACTORS: usize = 12;

/// Deaths from a life table, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct CMortality {
    /// The age attribute.
    pub age: usize,
    /// The sex attribute (≥ 0.5: female), if the table is by sex.
    pub sex: Option<usize>,
    /// First age of the table.
    pub first_age: u32,
    /// The death state.
    pub death_state: u16,
    /// Per course state and sex (at 2·state + 0 for men or both, + 1 for women): its column
    /// of `cells`.
    pub columns: Vec<Column>,
    /// The columns one after the other, each per completed age from `first_age`: the death's
    /// threshold P(death in the cycle)·2⁶⁴ and its rate per cycle (the table's force ×
    /// cycle_months/12 × the state's `mortality_hr`). States with the same `mortality_hr`
    /// share their columns (the same `start`).
    pub cells: Vec<(u64, f64)>,
    /// Key of the death's own uniform: the name `mortality`.
    pub key: u64,
}

/// One column of [`CMortality::cells`], with a quick test for the young: nearly every
/// citizen-cycle draws a uniform above every threshold of the ages it can have for years.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// First cell in `cells`.
    pub start: u32,
    /// Cells (0 where nobody dies).
    pub len: u32,
    /// An age (plus `AGE_EPS`) below this falls on one of the column's first cells, which
    /// all have finite rates (`YOUNG_BELOW`; −∞ when there are none)…
    pub young: f64,
    /// …and whose thresholds are all at most this.
    pub below: u64,
}

/// What the life course can do to the citizens of one course state ([`CLife::fate`]): the
/// move at an age and the mortality columns of men and women.
#[derive(Debug, Clone, Copy)]
pub struct Fate {
    at_age: Option<(usize, f64, u16)>,
    death: [Column; 2],
}

impl Column {
    /// The column of a state where nobody dies.
    const NONE: Column = Column {
        start: 0,
        len: 0,
        young: 0.0,
        below: 0,
    };
}

/// Completed ages below this are "young" for [`Column`]'s quick test.
const YOUNG_BELOW: u32 = 100;

/// Ages within this of a boundary count as having reached it (ages grow by sums of 1/12).
const AGE_EPS: f64 = 1e-9;

impl CMortality {
    /// The death's exponential waiting time this cycle if it fires (0 for a certain death),
    /// or None, for a citizen with attributes `attrs` in course state `s`.
    #[inline(always)]
    pub fn fires(&self, s: u16, attrs: &[f64], bits: u64) -> Option<f64> {
        self.fires_in(
            self.columns[2 * s as usize + self.female(attrs)],
            attrs,
            bits,
        )
    }

    /// Whether the citizen is counted as a woman (column 1 of its state) or not (column 0).
    #[inline(always)]
    fn female(&self, attrs: &[f64]) -> usize {
        match self.sex {
            Some(k) => (attrs[k] >= 0.5) as usize,
            None => 0,
        }
    }

    /// [`CMortality::fires`] in the citizen's column `col`. The quick test for the young is
    /// inlined where it is called; the look-up by age is not.
    #[inline(always)]
    fn fires_in(&self, col: Column, attrs: &[f64], bits: u64) -> Option<f64> {
        if col.len == 0 {
            return None;
        }
        let u = rng::mix64(bits ^ self.key);
        let x = attrs[self.age] + AGE_EPS;
        // The young whose uniform is above all their column's thresholds: no death (exactly
        // what the look-up below gives, without it).
        if x < col.young && u >= col.below {
            return None;
        }
        self.look_up(col, x, u)
    }

    /// [`CMortality::fires`] by the table: the death's waiting time if uniform `u` is below
    /// the threshold of the completed age of `x` (the age plus [`AGE_EPS`]) in column `col`.
    #[inline(never)]
    fn look_up(&self, col: Column, x: f64, u: u64) -> Option<f64> {
        // The completed age: ⌊x⌋ clamped at 0. The cast truncates toward zero and saturates
        // (NaN and negatives give 0), which is exactly that, without a call to libm's floor.
        let age = x as u32;
        let (threshold, rate) =
            self.cells[(col.start + age.saturating_sub(self.first_age).min(col.len - 1)) as usize];
        if rate.is_infinite() {
            return Some(0.0);
        }
        (u < threshold).then(|| -(-rng::to_unit(u)).ln_1p() / rate)
    }

    /// Whether anybody can die in course state `s`.
    pub fn in_state(&self, s: usize) -> bool {
        self.columns[2 * s].len > 0
    }
}

impl CLife {
    /// The destination of a move at an age for a citizen in state `s`: when its age at the
    /// end of this cycle reaches the rule's age.
    #[inline]
    pub fn aged_out(&self, s: u16, attrs: &[f64]) -> Option<u16> {
        let rule = self.at_age[s as usize]?;
        self.reaches(rule, attrs).then_some(rule.2)
    }

    /// Whether the citizen's age at the end of this cycle reaches the age of the move at an
    /// age `(attribute, age, destination)`.
    #[inline(always)]
    fn reaches(&self, (a, age, _): (usize, f64, u16), attrs: &[f64]) -> bool {
        attrs[a] + self.step_years + AGE_EPS >= age
    }

    /// What the life course can do to a citizen of course state `s`, gathered for
    /// [`CLife::spares`].
    pub fn fate(&self, s: u16) -> Fate {
        let column = |female: usize| {
            self.mortality
                .as_ref()
                .map_or(Column::NONE, |d| d.columns[2 * s as usize + female])
        };
        Fate {
            at_age: self.at_age[s as usize],
            death: [column(0), column(1)],
        }
    }

    /// Whether neither a death nor a move at an age moves a citizen this cycle whose course
    /// state's [`Fate`] is `fate` (`bits`: the cycle's random bits): exactly when
    /// [`CLife::aged_out`] and [`CMortality::fires`] give None.
    #[inline(always)]
    pub fn spares(&self, fate: &Fate, attrs: &[f64], bits: u64) -> bool {
        fate.at_age.is_none_or(|rule| !self.reaches(rule, attrs))
            && self.mortality.as_ref().is_none_or(|d| {
                d.fires_in(fate.death[d.female(attrs)], attrs, bits)
                    .is_none()
            })
    }

    /// For how many of the next `want` cycles at least, while a citizen of course state `s`
    /// (whose [`Fate`] is `fate`, attributes `attrs`) stays there and its ages grow, the life
    /// course spares it whenever its death's coin — returned as (key, threshold) where it can
    /// die — does not fire (`mix64(bits ^ key) < threshold`, as in [`CMortality::fires`]): the
    /// move at an age is not reached, and the threshold is the highest of the cells of its
    /// mortality column that its completed ages fall on, whose rates are finite. 0 where that
    /// cannot be said even of this cycle.
    pub fn steady(
        &self,
        fate: &Fate,
        s: u16,
        attrs: &[f64],
        want: u64,
    ) -> (u64, Option<(u64, u64)>) {
        let grows = self.ages_in(s);
        // What attribute `a` grows by in a cycle (see [`CLife::grow`]).
        let step = |a: usize| match grows && self.ageing.contains(&a) {
            true => self.step_years,
            false => 0.0,
        };
        let mut cycles = want;
        if let Some((a, age, _)) = fate.at_age {
            // `reaches` adds a cycle's years to the age whether it grows or not.
            cycles = cycles.min(cycles_short_of(attrs[a], step(a), self.step_years, age));
        }
        let Some(d) = &self.mortality else {
            return (cycles, None);
        };
        let col = fate.death[d.female(attrs)];
        if col.len == 0 || cycles == 0 {
            return (cycles, None);
        }
        if d.sex.is_some_and(|k| step(k) != 0.0) {
            return (0, None);
        }
        // The cells of the completed ages from now to the last of those cycles (with a margin
        // for the rounding of the ages' sums), as `look_up` finds them.
        let age = attrs[d.age];
        let (x0, x1) = (age + AGE_EPS, age + step(d.age) * cycles as f64 + AGE_EPS);
        let x1 = x1 + 1e-9 * (1.0 + x1.abs());
        if !(x0.is_finite() && x1.is_finite()) {
            return (0, None);
        }
        let cell = |x: f64| col.start + (x as u32).saturating_sub(d.first_age).min(col.len - 1);
        let cells = &d.cells[cell(x0) as usize..=cell(x1) as usize];
        if cells.iter().any(|c| c.1.is_infinite()) {
            return (0, None);
        }
        let threshold = cells.iter().map(|c| c.0).max().unwrap_or(u64::MAX);
        (cycles, Some((d.key, threshold)))
    }

    /// Whether a citizen's ages grow in course state `s`: everywhere but in death, where the
    /// age at death stays.
    #[inline(always)]
    fn ages_in(&self, s: u16) -> bool {
        self.mortality.as_ref().is_none_or(|m| m.death_state != s)
    }

    /// Advance a citizen's ages by one cycle (not after death: the age at death stays).
    #[inline]
    pub fn grow(&self, s: u16, attrs: &mut [f64]) {
        self.grow_by(s, attrs, 1);
    }

    /// [`CLife::grow`] `k` times (one addition per cycle, so the ages are the same bit for
    /// bit).
    #[inline]
    pub fn grow_by(&self, s: u16, attrs: &mut [f64], k: usize) {
        if !self.ages_in(s) {
            return;
        }
        for &a in &self.ageing {
            for _ in 0..k {
                attrs[a] += self.step_years;
            }
        }
    }
}

/// For how many cycles `j` = 0, 1, … an age that is `age` now and grows by `step` a cycle
/// (one addition per cycle) surely stays below `limit` once `extra` and [`AGE_EPS`] are added
/// to it: with a margin for the rounding of the additions, so the count may fall short of
/// the exact one by a cycle but never exceeds it. 0 where not even now (or for NaN).
fn cycles_short_of(age: f64, step: f64, extra: f64, limit: f64) -> u64 {
    if limit == f64::INFINITY && age.is_finite() {
        return u64::MAX;
    }
    // Each addition rounds by at most half a unit in the last place: 10⁻⁹ of the magnitudes
    // covers millions of them.
    let room = limit - (age + extra + AGE_EPS) - 1e-9 * (1.0 + age.abs() + limit.abs());
    if room.is_nan() || room <= 0.0 {
        return 0;
    }
    if step == 0.0 {
        return u64::MAX;
    }
    (room / step) as u64
}

/// Compile the life course of a scenario for one replication (`values`: drawn parameters);
/// None when it has no ageing attribute and no mortality.
pub fn compile_life(sc: &Scenario, values: &[f64], chains: &[Vec<CState>]) -> Option<CLife> {
    let life = &sc.life;
    if life.ageing.is_empty() && life.mortality.is_none() {
        return None;
    }
    let cm = sc.sim.cycle_months as f64;
    let n = chains.first().map_or(0, |c| c.len());
    let mortality = life.mortality.as_ref().map(|m| {
        let forces = m.table.forces();
        let (mut columns, mut cells) = (Vec::new(), Vec::<(u64, f64)>::new());
        let first_age = m.table.first_age;
        // The first state with each hazard ratio, by its bits: the states that share a ratio
        // (most have none, 1) share that state's columns, whose cells are computed once.
        let mut first_with: Vec<(u64, usize)> = Vec::new();
        for s in 0..n {
            let hr = m.state_hr[s].map_or(1.0, |p| values[p]);
            let dies = s != m.death_state && hr > 0.0;
            let same = first_with
                .iter()
                .find(|(bits, _)| *bits == hr.to_bits())
                .map(|&(_, first)| first);
            if dies && same.is_none() {
                first_with.push((hr.to_bits(), s));
            }
            for (j, col) in forces.iter().enumerate() {
                if let (true, Some(first)) = (dies, same) {
                    // The same cells: the column of the first state with this ratio.
                    columns.push(columns[first * forces.len() + j]);
                    continue;
                }
                let start = cells.len();
                if dies {
                    cells.extend(col.iter().map(|f| {
                        let rate = f * cm / 12.0 * hr;
                        // P(death) = 1 − exp(−rate) as a fraction of 2⁶⁴ (saturating).
                        let p = -(-rate).exp_m1();
                        ((p * 18_446_744_073_709_551_616.0) as u64, rate)
                    }));
                }
                let column = &cells[start..];
                // The young cells: ages below YOUNG_BELOW, up to the first infinite rate.
                let young = column
                    .iter()
                    .take(YOUNG_BELOW.saturating_sub(first_age) as usize)
                    .take_while(|(_, rate)| rate.is_finite())
                    .count();
                columns.push(Column {
                    start: start as u32,
                    len: column.len() as u32,
                    young: match young {
                        0 => f64::NEG_INFINITY,
                        j => (first_age as usize + j) as f64,
                    },
                    below: column[..young].iter().map(|c| c.0).max().unwrap_or(0),
                });
            }
        }
        CMortality {
            age: m.age_attribute,
            sex: m.sex_attribute,
            first_age,
            death_state: m.death_state as u16,
            columns,
            cells,
            key: name_key("mortality"),
        }
    });
    let at_age: Vec<Option<(usize, f64, u16)>> = (0..n)
        .map(|s| {
            life.at_age
                .get(s)
                .copied()
                .flatten()
                .map(|r| (r.attribute, r.age, r.to as u16))
        })
        .collect();
    let events = (0..n)
        .map(|s| at_age[s].is_some() || mortality.as_ref().is_some_and(|m| m.in_state(s)))
        .collect();
    let ages = |a: usize| life.ageing.contains(&a);
    let refresh_every_cycle = chains
        .iter()
        .map(|states| {
            states
                .iter()
                .map(|cst| {
                    cst.edges
                        .iter()
                        .enumerate()
                        .filter(|(_, e)| {
                            e.modifiers.iter().any(|m| ages(m.0))
                                || e.bands.iter().any(|b| ages(b.0))
                        })
                        .fold(0u64, |acc, (k, _)| acc | 1 << k.min(63))
                })
                .collect()
        })
        .collect();
    // The bounds last BOUND_MONTHS, at least one cycle; the ages grow by at most that (sums of
    // cycle lengths, with a margin for their rounding).
    let cycles = (BOUND_MONTHS / sc.sim.cycle_months).max(1);
    let years = cycles as f64 * cm / 12.0 + 1e-6;
    let age_bounds = chains
        .iter()
        .zip(&refresh_every_cycle)
        .map(|(states, aged): (&Vec<CState>, &Vec<u64>)| {
            states
                .iter()
                .zip(aged)
                .map(|(cst, &aged)| {
                    let boundable = aged != 0
                        && cst.edges.len() <= 63
                        && cst.edges.iter().all(|e| {
                            e.bands.iter().all(|b| !ages(b.0))
                                && e.modifiers
                                    .iter()
                                    .all(|m| !ages(m.0) || (m.1 * years).abs() <= 10.0)
                        });
                    boundable.then(|| AgeBound {
                        growth: cst
                            .edges
                            .iter()
                            .map(|e| {
                                let slope: f64 =
                                    e.modifiers.iter().filter(|m| ages(m.0)).map(|m| m.1).sum();
                                (slope.max(0.0) * years).exp()
                            })
                            .collect(),
                        ageing_modifiers: cst
                            .edges
                            .iter()
                            .map(|e| e.modifiers.iter().filter(|m| ages(m.0)).count())
                            .collect(),
                        cycles,
                    })
                })
                .collect()
        })
        .collect();
    Some(CLife {
        ageing: life.ageing.clone(),
        step_years: cm / 12.0,
        mortality,
        at_age,
        events,
        refresh_every_cycle,
        age_bounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::compile::compile_arm;
    use crate::montecarlo::draw_params;
    use crate::rng::SplitMix;
    use rand::Rng;

    /// Every state's columns hold what its own `mortality_hr` gives, cell by cell, whether
    /// they are computed for it or shared with an earlier state of the same ratio; states of
    /// the same ratio share, the others do not. The shipped scenario, with the ratio of one
    /// state drawn apart from the rest, and with every ratio the same.
    #[test]
    fn states_of_the_same_mortality_ratio_share_exactly_their_columns() {
        let sc = crate::scenario::load_default().expect("shipped scenario loads");
        let m = sc.life.mortality.as_ref().expect("mortality");
        let forces = m.table.forces();
        let cm = sc.sim.cycle_months as f64;
        let own_hr = m.state_hr.iter().flatten().copied().collect::<Vec<usize>>();
        assert!(!own_hr.is_empty(), "a state has its own ratio");
        let mut values = draw_params(&sc, 1, 0, true);
        for all_one in [false, true] {
            if all_one {
                for &p in &own_hr {
                    values[p] = 1.0;
                }
            }
            let carm = compile_arm(&sc, &values, 0, 1.0).expect("compiles");
            let d = carm.life.and_then(|l| l.mortality).expect("mortality");
            let n = carm.chains[0].len();
            let hr = |s: usize| m.state_hr[s].map_or(1.0, |p| values[p]);
            for s in 0..n {
                for (sex, force) in forces.iter().enumerate() {
                    let col = d.columns[2 * s + sex];
                    if s == m.death_state {
                        assert_eq!(col.len, 0, "no death in death");
                        continue;
                    }
                    let cells = &d.cells[col.start as usize..(col.start + col.len) as usize];
                    assert_eq!(cells.len(), force.len());
                    for (&(threshold, rate), f) in cells.iter().zip(force) {
                        let want = f * cm / 12.0 * hr(s);
                        assert_eq!(rate.to_bits(), want.to_bits(), "state {s}");
                        let p = -(-want).exp_m1();
                        assert_eq!(threshold, (p * 18_446_744_073_709_551_616.0) as u64);
                    }
                    for t in 0..s {
                        if t == m.death_state {
                            continue;
                        }
                        let same = d.columns[2 * t + sex].start == col.start;
                        assert_eq!(same, hr(t).to_bits() == hr(s).to_bits(), "{t} {s}");
                    }
                }
            }
        }
    }

    /// [`CMortality::fires`] with its quick test for the young equals the plain look-up by
    /// completed age, for every state and sex of the shipped scenario, ages from below the
    /// table to beyond it (on and next to the whole years and the quick test's boundary, and
    /// not a number), and uniforms below, at and above the thresholds.
    #[test]
    fn the_quick_test_for_the_young_changes_no_death() {
        let sc = crate::scenario::load_default().expect("shipped scenario loads");
        let values = draw_params(&sc, 1, 0, true);
        let carm = compile_arm(&sc, &values, 0, 1.0).expect("compiles");
        let d = carm.life.and_then(|l| l.mortality).expect("mortality");
        let plain = |s: u16, attrs: &[f64], bits: u64| -> Option<f64> {
            let female = d.sex.is_some_and(|k| attrs[k] >= 0.5) as usize;
            let col = d.columns[2 * s as usize + female];
            if col.len == 0 {
                return None;
            }
            let age = (attrs[d.age] + AGE_EPS) as u32;
            let i = col.start + age.saturating_sub(d.first_age).min(col.len - 1);
            let (threshold, rate) = d.cells[i as usize];
            if rate.is_infinite() {
                return Some(0.0);
            }
            let u = rng::mix64(bits ^ d.key);
            (u < threshold).then(|| -(-rng::to_unit(u)).ln_1p() / rate)
        };
        let mut r = SplitMix::new(7, 11);
        let n_attrs = d.age.max(d.sex.unwrap_or(0)) + 1;
        let (mut deaths, mut quick) = (0, 0);
        for s in 0..carm.chains[0].len() as u16 {
            for female in [0.0, 1.0] {
                for whole in -2..130 {
                    for off in [-1e-3, -2e-9, -1e-9, -5e-10, 0.0, 1e-9, 0.5, f64::NAN] {
                        let mut attrs = vec![0.0; n_attrs];
                        attrs[d.age] = whole as f64 + off;
                        if let Some(k) = d.sex {
                            attrs[k] = female;
                        }
                        for _ in 0..200 {
                            let bits = r.next_u64();
                            let got = d.fires(s, &attrs, bits);
                            assert_eq!(
                                got.map(f64::to_bits),
                                plain(s, &attrs, bits).map(f64::to_bits),
                                "state {s}, age {}, bits {bits}",
                                attrs[d.age]
                            );
                            deaths += got.is_some() as u32;
                            let col = d.columns[2 * s as usize + female as usize];
                            quick += (attrs[d.age] + AGE_EPS < col.young) as u32;
                        }
                    }
                }
            }
        }
        assert!(deaths > 1000, "{deaths}");
        assert!(quick > 100_000, "{quick}");
    }

    /// Within the cycles [`CLife::steady`] gives, a citizen whose ages grow cycle by cycle is
    /// spared by the life course ([`CLife::spares`]: no death, no move at an age) whenever the
    /// death's coin it gives does not fire — for every state and sex of the shipped scenario,
    /// ages from childhood to beyond the table and on either side of the move at an age, and
    /// many random bits per cycle.
    #[test]
    fn steady_cycles_are_spared_unless_the_death_coin_fires() {
        let sc = crate::scenario::load_default().expect("shipped scenario loads");
        let values = draw_params(&sc, 1, 0, true);
        let carm = compile_arm(&sc, &values, 0, 1.0).expect("compiles");
        let l = carm.life.expect("life course");
        let d = l.mortality.as_ref().expect("mortality");
        let n_attrs = l
            .ageing
            .iter()
            .copied()
            .chain([d.age, d.sex.unwrap_or(0)])
            .max()
            .unwrap_or(0)
            + 1;
        let mut r = SplitMix::new(3, 5);
        let (mut cycles_seen, mut caught, mut spared) = (0u64, 0u64, 0u64);
        for s in 0..carm.chains[0].len() as u16 {
            let fate = l.fate(s);
            for female in [0.0, 1.0] {
                for start in [
                    0.5, 17.0, 29.97, 45.2, 64.95, 66.49, 66.99, 67.0, 90.3, 118.0, 125.0,
                ] {
                    let mut attrs = vec![0.0; n_attrs];
                    for &a in &l.ageing {
                        attrs[a] = start;
                    }
                    attrs[d.age] = start;
                    if let Some(k) = d.sex {
                        attrs[k] = female;
                    }
                    let (cycles, coin) = l.steady(&fate, s, &attrs, 300);
                    assert!(cycles <= 300);
                    for _ in 0..cycles {
                        for _ in 0..50 {
                            let bits = r.next_u64();
                            let fires = coin.is_some_and(|(key, th)| rng::mix64(bits ^ key) < th);
                            if !l.spares(&fate, &attrs, bits) {
                                assert!(fires, "state {s}, age {}, start {start}", attrs[d.age]);
                                caught += 1;
                            } else {
                                spared += 1;
                            }
                        }
                        l.grow(s, &mut attrs);
                        cycles_seen += 1;
                    }
                }
            }
        }
        assert!(cycles_seen > 10_000, "{cycles_seen}");
        assert!(caught > 100 && spared > 1_000_000, "{caught} {spared}");
    }

    /// [`cycles_short_of`] counts the cycles an age grown by sums of a step stays below a
    /// limit, exactly or one short, never more; 0 for not a number.
    #[test]
    fn cycles_short_of_never_counts_a_cycle_too_many() {
        let step = 1.0 / 12.0;
        for k in 0..2000 {
            let age = 15.0 + k as f64 * 0.0371;
            for (extra, limit) in [
                (0.0, 67.0),
                (step, 67.0),
                (0.0, age.ceil()),
                (step, age + 1.0),
            ] {
                let exact = {
                    let (mut a, mut j) = (age, 0u64);
                    while a + extra + AGE_EPS < limit {
                        a += step;
                        j += 1;
                    }
                    j
                };
                let got = cycles_short_of(age, step, extra, limit);
                assert!(
                    got <= exact && got + 1 >= exact,
                    "{age} {extra} {limit}: {got} {exact}"
                );
            }
        }
        assert_eq!(cycles_short_of(f64::NAN, step, 0.0, 67.0), 0);
        assert_eq!(cycles_short_of(40.0, 0.0, 0.0, 67.0), u64::MAX);
        assert_eq!(cycles_short_of(70.0, 0.0, 0.0, 67.0), 0);
        assert_eq!(cycles_short_of(40.0, step, 0.0, f64::INFINITY), u64::MAX);
    }
}
