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

use super::{Discounts, RunOptions, in_arm, layout, ledger, programme};
use crate::cohort::{self, Citizens};
use crate::economics::business_case::{self, Ledger};
use crate::economics::{self, ClassMap};
use crate::engine::compile::{CArm, compile_arm};
use crate::engine::{self, ArmCounts, Layout, NoObserver, Part};
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

    /// The ledger of arm `a` of `sc` (compiled `carm`) at effect scale `x`, booked from its
    /// counts with this replication's parameters — what [`super::Booking::arm`] puts in an
    /// arm's results.
    pub fn ledger(
        &self,
        sc: &Scenario,
        a: usize,
        carm: &CArm,
        counts: &ArmCounts,
        x: f64,
    ) -> Ledger {
        let booked = economics::book(sc, &self.values, a, &self.lay, &self.classes, counts, x);
        let n_services = carm.services.len();
        let (_, per_cycle) = programme(sc, &self.values, a, &self.lay, counts, n_services);
        ledger(sc, &booked, &self.disc, &per_cycle, |_, _| {})
    }

    /// Simulate arm `a` (`carm`) for citizens `cit` of classes `class`, onto `base`.
    fn run(
        &self,
        sc: &Scenario,
        a: usize,
        carm: &CArm,
        cit: &Citizens,
        class: &[u16],
        base: Option<Part>,
    ) -> Result<ArmCounts> {
        let (lay, seed, rep, obs) = (&self.lay, self.seed, self.rep, &mut NoObserver);
        engine::run_arm_onto(lay, carm, cit, class, seed, rep, obs, base)
            .map_err(in_arm(sc, rep, a))
    }
}

/// The non-participants of an arm paired with control, simulated once in control.
struct Others {
    /// Who participates in the arm.
    participant: Vec<bool>,
    participants: Citizens,
    counts: Part,
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
        if !paired(carm, class, self.control, self.class_c) {
            return Ok(None);
        }
        let participant: Vec<bool> = class.iter().map(|&c| c & 1 == 1).collect();
        if let Some(k) = self
            .others
            .iter()
            .position(|o| o.participant == participant)
        {
            return Ok(Some(k));
        }
        let rest = self.rep.cit.subset(&participant, false);
        let class_rest = pick(self.class_c, &participant, false);
        let (r, lay) = (self.rep, &self.rep.lay);
        let counts = engine::run_part(lay, self.control, &rest, &class_rest, r.seed, r.rep)
            .map_err(in_arm(self.sc, r.rep, 0))?;
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
        &mut self,
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

/// Whether the non-participants of arm `carm` (classes `class`) follow exactly the trajectories
/// they follow in the earlier arm `other` (classes `class_other`): the arm's services and
/// effects reach only participants ([`CArm::same_for_non_participants`]) and every
/// non-participant is booked in the same class in both.
pub(super) fn paired(carm: &CArm, class: &[u16], other: &CArm, class_other: &[u16]) -> bool {
    carm.same_for_non_participants(other)
        && class
            .iter()
            .zip(class_other)
            .all(|(&c, &o)| c & 1 == 1 || c == o)
}

/// The NPV per perspective of `arm` against `control`.
pub(super) fn npv(control: &Ledger, arm: &Ledger) -> [f64; 8] {
    let heads = business_case::headlines(&business_case::compare(control, arm));
    std::array::from_fn(|k| heads[k].npv)
}

/// The classes of the citizens whose `participant` is `want`.
pub(super) fn pick(class: &[u16], participant: &[bool], want: bool) -> Vec<u16> {
    class
        .iter()
        .zip(participant)
        .filter(|&(_, &p)| p == want)
        .map(|(&c, _)| c)
        .collect()
}
