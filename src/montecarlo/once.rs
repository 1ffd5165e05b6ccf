//! What one replication makes once when several variants of it are evaluated — effect scales
//! for the break-even search ([`super::scales`]), staffing levels for a sweep
//! ([`super::points`]): its parameters, cohort, classes and discount factors, and the
//! simulation of control's citizens, which the variants do not change.
//!
//! Where an arm's services and effects reach only its participants
//! ([`CArm::same_for_non_participants`]), its non-participants follow exactly the trajectories
//! they follow in control; they are simulated once, in control, and each variant simulates
//! only the arm's participants onto a copy of their counts — the sharing
//! [`super::run_counts_with`] does within one run, so the counts are exactly a whole run's.

use super::{Discounts, RunOptions, in_arm, layout};
use crate::cohort::{self, Citizens};
use crate::economics::{self, ClassMap};
use crate::engine::compile::{CArm, compile_arm};
use crate::engine::{self, ArmCounts, Layout, NoObserver};
use crate::error::Result;
use crate::scenario::Scenario;

/// What one replication shares between its variants.
pub(super) struct Rep {
    pub rep: u32,
    pub seed: u64,
    pub values: Vec<f64>,
    pub cit: Citizens,
    pub static_class: Vec<u16>,
    pub classes: ClassMap,
    pub lay: Layout,
    pub disc: Discounts,
}

impl Rep {
    /// Replication `rep` of `sc`: parameters, cohort, classes and discount factors.
    pub fn new(sc: &Scenario, opts: &RunOptions, rep: u32) -> Result<Rep> {
        let values = super::draw_params(sc, opts.seed, rep, opts.psa);
        let cit = cohort::synthesize(sc, opts.seed, rep);
        let (static_class, classes) = economics::static_classes(sc, &cit)?;
        let lay = layout(sc, classes.n_classes());
        let disc = Discounts::new(sc, &values, lay.horizon);
        Ok(Rep {
            rep,
            seed: opts.seed,
            values,
            cit,
            static_class,
            classes,
            lay,
            disc,
        })
    }

    /// Arm `a` of `sc` compiled from `values` at effect scale `x`, with its booking class
    /// per citizen.
    pub fn arm(&self, sc: &Scenario, values: &[f64], a: usize, x: f64) -> Result<(CArm, Vec<u16>)> {
        let carm = compile_arm(sc, values, a, x).map_err(in_arm(sc, self.rep, a))?;
        let class = engine::classes(&carm, &self.cit, &self.static_class);
        Ok((carm, class))
    }

    /// Simulate arm `a` (`carm`) for citizens `cit` of classes `class`, onto `base`.
    fn run(
        &self,
        sc: &Scenario,
        a: usize,
        carm: &CArm,
        cit: &Citizens,
        class: &[u16],
        base: Option<ArmCounts>,
    ) -> Result<ArmCounts> {
        let obs = &mut NoObserver;
        engine::run_arm_onto(&self.lay, carm, cit, class, self.seed, self.rep, obs, base)
            .map_err(in_arm(sc, self.rep, a))
    }
}

/// The non-participants of an arm paired with control, simulated once in control.
struct Others {
    /// Who participates in the arm.
    participant: Vec<bool>,
    participants: Citizens,
    counts: ArmCounts,
}

/// Counts the arms of one replication against one compiled control.
pub(super) struct Counter<'a> {
    rep: &'a Rep,
    sc: &'a Scenario,
    control: &'a CArm,
    class_c: &'a [u16],
    others: Vec<Others>,
}

impl<'a> Counter<'a> {
    /// A counter for replication `rep` of `sc` whose control is `control` with classes
    /// `class_c`.
    pub fn new(rep: &'a Rep, sc: &'a Scenario, control: &'a CArm, class_c: &'a [u16]) -> Self {
        Counter {
            rep,
            sc,
            control,
            class_c,
            others: Vec::new(),
        }
    }

    /// Whether arm `carm` (classes `class`) is paired with control — its non-participants
    /// follow control exactly, as [`super::run_counts_with`] checks — and if so, its
    /// non-participants' counts (simulated on first use): the pair to pass to
    /// [`Counter::counts`].
    pub fn pair(&mut self, carm: &CArm, class: &[u16]) -> Result<Option<usize>> {
        let participant: Vec<bool> = class.iter().map(|&c| c & 1 == 1).collect();
        let paired = carm.same_for_non_participants(self.control)
            && (0..self.rep.cit.n).all(|i| participant[i] || class[i] == self.class_c[i]);
        if !paired {
            return Ok(None);
        }
        if let Some(k) = self
            .others
            .iter()
            .position(|o| o.participant == participant)
        {
            return Ok(Some(k));
        }
        let rest = self.rep.cit.subset(&participant, false);
        let class_rest = pick(self.class_c, &participant, false);
        let counts = self
            .rep
            .run(self.sc, 0, self.control, &rest, &class_rest, None)?;
        self.others.push(Others {
            participants: self.rep.cit.subset(&participant, true),
            participant,
            counts,
        });
        Ok(Some(self.others.len() - 1))
    }

    /// The counts of arm `a` (`carm`, classes `class`; control or an arm of `sc`): with `pair`
    /// from [`Counter::pair`], the pair's participants simulated onto its non-participants'
    /// counts; without, every citizen simulated.
    pub fn counts(
        &self,
        a: usize,
        carm: &CArm,
        class: &[u16],
        pair: Option<usize>,
    ) -> Result<ArmCounts> {
        match pair.and_then(|k| self.others.get(k)) {
            Some(o) => {
                let class_part = pick(class, &o.participant, true);
                let base = Some(o.counts.clone());
                self.rep
                    .run(self.sc, a, carm, &o.participants, &class_part, base)
            }
            None => self.rep.run(self.sc, a, carm, &self.rep.cit, class, None),
        }
    }
}

/// The classes of the citizens whose `participant` is `want`.
fn pick(class: &[u16], participant: &[bool], want: bool) -> Vec<u16> {
    class
        .iter()
        .zip(participant)
        .filter(|&(_, &p)| p == want)
        .map(|(&c, _)| c)
        .collect()
}
