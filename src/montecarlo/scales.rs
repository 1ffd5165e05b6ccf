//! The focus arm's NPV per replication at several effect scales, for the break-even search
//! and the effect curve, in one pass over the replications.
//!
//! A run per scale draws every replication's parameters and cohort again and simulates and
//! books every arm again, yet the scale changes only the arms that have effects or services.
//! Here each replication is made once: its parameters, cohort and classes, the control arm —
//! simulated and booked once when nothing of its own depends on the scale
//! ([`scale_free`]) — and, where the focus arm's services and effects reach only its
//! participants ([`CArm::same_for_non_participants`]), its non-participants, simulated once
//! in control. Each scale then simulates only what it changes: the focus arm's participants.
//! Every count is exactly what a whole run at that scale counts (the sharing of
//! [`super::run_counts_with`]), and the bookkeeping is the same code, so each NPV is the one
//! a run at that scale gives, bit for bit.
//!
//! [`CArm::same_for_non_participants`]: crate::engine::compile::CArm::same_for_non_participants

use super::{
    Discounts, Progress, RunOptions, in_arm, layout, ledger, ordered, programme, worker_pool,
};
use crate::cohort::{self, Citizens};
use crate::economics::business_case::{self, Ledger};
use crate::economics::{self, ClassMap};
use crate::engine::compile::{CArm, compile_arm};
use crate::engine::{self, ArmCounts, Layout, NoObserver};
use crate::error::{Error, Result};
use crate::scenario::{Arm, Scenario};

/// NPV per perspective of the focus arm ([`super::Results::focus_arm`]) against control, per
/// scale of `scales` and per replication in order: `out[s][r][k]` is what
/// `Results::npv_draws(focus, k)[r]` of a run with `effect_scale = scales[s]` (and otherwise
/// `opts`) holds. Progress on standard error as `opts.progress` says.
pub fn focus_npv_by_scale(
    sc: &Scenario,
    opts: &RunOptions,
    scales: &[f64],
) -> Result<Vec<Vec<[f64; 8]>>> {
    let total = opts.replications;
    let mut out: Vec<Vec<[f64; 8]>> = scales
        .iter()
        .map(|_| Vec::with_capacity(total as usize))
        .collect();
    if scales.is_empty() {
        return Ok(out);
    }
    let pool = worker_pool(opts.threads)?;
    let window = (pool.current_num_threads() as u32 * 8).max(16);
    let progress = Progress::new(opts.progress, total);
    let outcome = ordered::fold_in_order(
        &pool,
        total,
        window,
        &|r| rep_npv_by_scale(sc, opts, r, scales),
        &mut |rep| {
            for (series, npv) in out.iter_mut().zip(rep) {
                series.push(npv);
            }
            Ok(())
        },
        &|done| {
            progress.show(done);
            true
        },
    );
    match outcome {
        ordered::Outcome::Done => {}
        ordered::Outcome::Stopped => {
            return Err(Error::Runtime(
                "the run was stopped before it finished".into(),
            ));
        }
        ordered::Outcome::Failed(e) => return Err(e),
    }
    progress.finish();
    Ok(out)
}

/// Whether nothing of arm `arm` depends on the effect scale: no effects, no amount overrides
/// and no services (whose effects, moves and held-service credits the scale sets).
pub fn scale_free(arm: &Arm) -> bool {
    arm.effects.is_empty() && arm.account_overrides.is_empty() && arm.services.is_empty()
}

/// What one replication shares between scales.
struct Rep {
    values: Vec<f64>,
    cit: Citizens,
    static_class: Vec<u16>,
    classes: ClassMap,
    lay: Layout,
    disc: Discounts,
}

impl Rep {
    /// Arm `a` compiled at scale `x`, with its booking class per citizen.
    fn arm(&self, sc: &Scenario, a: usize, x: f64, rep: u32) -> Result<(CArm, Vec<u16>)> {
        let carm = compile_arm(sc, &self.values, a, x).map_err(in_arm(sc, rep, a))?;
        let class = engine::classes(&carm, &self.cit, &self.static_class);
        Ok((carm, class))
    }

    /// The ledger of arm `a` at scale `x` from its counts.
    fn ledger(&self, sc: &Scenario, a: usize, carm: &CArm, counts: &ArmCounts, x: f64) -> Ledger {
        let booked = economics::book(sc, &self.values, a, &self.lay, &self.classes, counts, x);
        let (_, per_cycle) = programme(sc, &self.values, a, &self.lay, counts, carm.services.len());
        ledger(sc, &booked, &self.disc, &per_cycle)
    }
}

/// The non-participants of a pair of arms, simulated once in the earlier arm.
struct Others {
    /// Who participates in the later arm.
    participant: Vec<bool>,
    participants: Citizens,
    counts: ArmCounts,
}

/// The focus arm's NPVs of replication `rep` at every scale of `scales`.
fn rep_npv_by_scale(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    scales: &[f64],
) -> Result<Vec<[f64; 8]>> {
    let focus = super::Results::focus_arm(sc);
    if focus == 0 {
        // One arm: nothing to compare, as a run reports (NPV 0).
        return Ok(vec![[0.0; 8]; scales.len()]);
    }
    let values = super::draw_params(sc, opts.seed, rep, opts.psa);
    let cit = cohort::synthesize(sc, opts.seed, rep);
    let (static_class, classes) = economics::static_classes(sc, &cit)?;
    let lay = layout(sc, classes.n_classes());
    let disc = Discounts::new(sc, &values, lay.horizon);
    let r = Rep {
        values,
        cit,
        static_class,
        classes,
        lay,
        disc,
    };
    let run = |carm: &CArm, cit: &Citizens, class: &[u16], base: Option<ArmCounts>, a: usize| {
        engine::run_arm_onto(
            &r.lay,
            carm,
            cit,
            class,
            opts.seed,
            rep,
            &mut NoObserver,
            base,
        )
        .map_err(in_arm(sc, rep, a))
    };
    let control_fixed = scale_free(&sc.arms[0]);
    let mut control: Option<Ledger> = None;
    let mut others: Option<Others> = None;
    let mut out = Vec::with_capacity(scales.len());
    for &x in scales {
        let (carm_c, class_c) = r.arm(sc, 0, x, rep)?;
        let (carm_f, class_f) = r.arm(sc, focus, x, rep)?;
        let participant: Vec<bool> = class_f.iter().map(|&c| c & 1 == 1).collect();
        // As in `run_counts_with`: the focus arm's non-participants follow control exactly.
        let paired = carm_f.same_for_non_participants(&carm_c)
            && (0..r.cit.n).all(|i| participant[i] || class_f[i] == class_c[i]);
        let pick = |class: &[u16], want: bool| -> Vec<u16> {
            class
                .iter()
                .zip(&participant)
                .filter(|&(_, &p)| p == want)
                .map(|(&c, _)| c)
                .collect()
        };
        if paired
            && !(control_fixed
                && others
                    .as_ref()
                    .is_some_and(|o| o.participant == participant))
        {
            let rest = r.cit.subset(&participant, false);
            others = Some(Others {
                counts: run(&carm_c, &rest, &pick(&class_c, false), None, 0)?,
                participants: r.cit.subset(&participant, true),
                participant: participant.clone(),
            });
        }
        let shared = others.as_ref().filter(|_| paired);
        let counts_of = |carm: &CArm, class: &[u16], a: usize| match shared {
            Some(o) => run(
                carm,
                &o.participants,
                &pick(class, true),
                Some(o.counts.clone()),
                a,
            ),
            None => run(carm, &r.cit, class, None, a),
        };
        let ctrl = match control.take().filter(|_| control_fixed) {
            Some(l) => l,
            None => r.ledger(sc, 0, &carm_c, &counts_of(&carm_c, &class_c, 0)?, x),
        };
        let arm = r.ledger(sc, focus, &carm_f, &counts_of(&carm_f, &class_f, focus)?, x);
        let heads = business_case::headlines(&business_case::compare(&ctrl, &arm));
        out.push(std::array::from_fn(|k| heads[k].npv));
        control = Some(ctrl);
    }
    Ok(out)
}
