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
}

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
    /// Per course state and sex (at 2·state + 0 for men or both, + 1 for women): where its
    /// column starts in `cells` and how long it is (0 where nobody dies).
    pub columns: Vec<(u32, u32)>,
    /// The columns one after the other, each per completed age from `first_age`: the death's
    /// threshold P(death in the cycle)·2⁶⁴ and its rate per cycle (the table's force ×
    /// cycle_months/12 × the state's `mortality_hr`).
    pub cells: Vec<(u64, f64)>,
    /// Key of the death's own uniform: the name `mortality`.
    pub key: u64,
}

/// Ages within this of a boundary count as having reached it (ages grow by sums of 1/12).
const AGE_EPS: f64 = 1e-9;

impl CMortality {
    /// The death's exponential waiting time this cycle if it fires (0 for a certain death),
    /// or None, for a citizen with attributes `attrs` in course state `s`.
    #[inline]
    pub fn fires(&self, s: u16, attrs: &[f64], bits: u64) -> Option<f64> {
        let female = match self.sex {
            Some(k) => (attrs[k] >= 0.5) as usize,
            None => 0,
        };
        let (start, len) = self.columns[2 * s as usize + female];
        if len == 0 {
            return None;
        }
        // The completed age: ⌊x⌋ clamped at 0. The cast truncates toward zero and saturates
        // (NaN and negatives give 0), which is exactly that, without a call to libm's floor.
        let age = (attrs[self.age] + AGE_EPS) as u32;
        let (threshold, rate) =
            self.cells[(start + age.saturating_sub(self.first_age).min(len - 1)) as usize];
        if rate.is_infinite() {
            return Some(0.0);
        }
        let u = rng::mix64(bits ^ self.key);
        (u < threshold).then(|| -(-rng::to_unit(u)).ln_1p() / rate)
    }

    /// Whether anybody can die in course state `s`.
    pub fn in_state(&self, s: usize) -> bool {
        self.columns[2 * s].1 > 0
    }
}

impl CLife {
    /// The destination of a move at an age for a citizen in state `s`: when its age at the
    /// end of this cycle reaches the rule's age.
    #[inline]
    pub fn aged_out(&self, s: u16, attrs: &[f64]) -> Option<u16> {
        let (a, age, to) = self.at_age[s as usize]?;
        (attrs[a] + self.step_years + AGE_EPS >= age).then_some(to)
    }

    /// Advance a citizen's ages by one cycle (not after death: the age at death stays).
    #[inline]
    pub fn grow(&self, s: u16, attrs: &mut [f64]) {
        if self.mortality.as_ref().is_some_and(|m| m.death_state == s) {
            return;
        }
        for &a in &self.ageing {
            attrs[a] += self.step_years;
        }
    }
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
        let (mut columns, mut cells) = (Vec::new(), Vec::new());
        for s in 0..n {
            let hr = m.state_hr[s].map_or(1.0, |p| values[p]);
            for col in &forces {
                let start = cells.len() as u32;
                if s != m.death_state && hr > 0.0 {
                    cells.extend(col.iter().map(|f| {
                        let rate = f * cm / 12.0 * hr;
                        // P(death) = 1 − exp(−rate) as a fraction of 2⁶⁴ (saturating).
                        let p = -(-rate).exp_m1();
                        ((p * 18_446_744_073_709_551_616.0) as u64, rate)
                    }));
                }
                columns.push((start, cells.len() as u32 - start));
            }
        }
        CMortality {
            age: m.age_attribute,
            sex: m.sex_attribute,
            first_age: m.table.first_age,
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
    Some(CLife {
        ageing: life.ageing.clone(),
        step_years: cm / 12.0,
        mortality,
        at_age,
        events,
        refresh_every_cycle,
    })
}
