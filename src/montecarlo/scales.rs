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

use super::once::{Counter, Rep, npv};
use super::{RunOptions, npv_series};
use crate::economics::business_case::Ledger;
use crate::error::Result;
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
    npv_series(
        opts,
        scales.len(),
        &|r| rep_npv_by_scale(sc, opts, r, scales),
        &|_, _| {},
    )
}

/// Whether nothing of arm `arm` depends on the effect scale: no effects, no amount overrides
/// and no services (whose effects, moves and held-service credits the scale sets).
pub fn scale_free(arm: &Arm) -> bool {
    arm.effects.is_empty() && arm.account_overrides.is_empty() && arm.services.is_empty()
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
    let r = Rep::new(sc, opts, rep)?;
    let mut out = Vec::with_capacity(scales.len());
    if scale_free(&sc.arms[0]) {
        // Control (and the non-participants) once for every scale.
        let (carm_c, class_c) = r.arm(sc, &r.values, 0, opts.effect_scale)?;
        let mut counter = Counter::new(&r, sc, &carm_c, &class_c);
        let mut control: Option<Ledger> = None;
        for &x in scales {
            let (carm_f, class_f) = r.arm(sc, &r.values, focus, x)?;
            let pair = counter.pair(&carm_f, &class_f)?;
            let ctrl = match control.take() {
                Some(l) => l,
                None => {
                    let counts = counter.counts(0, &carm_c, &class_c, pair)?;
                    r.ledger(sc, 0, &carm_c, &counts, x)
                }
            };
            let counts = counter.counts(focus, &carm_f, &class_f, pair)?;
            out.push(npv(&ctrl, &r.ledger(sc, focus, &carm_f, &counts, x)));
            control = Some(ctrl);
        }
    } else {
        for &x in scales {
            let (carm_c, class_c) = r.arm(sc, &r.values, 0, x)?;
            let mut counter = Counter::new(&r, sc, &carm_c, &class_c);
            let (carm_f, class_f) = r.arm(sc, &r.values, focus, x)?;
            let pair = counter.pair(&carm_f, &class_f)?;
            let counts = counter.counts(0, &carm_c, &class_c, pair)?;
            let control = r.ledger(sc, 0, &carm_c, &counts, x);
            let counts = counter.counts(focus, &carm_f, &class_f, pair)?;
            out.push(npv(&control, &r.ledger(sc, focus, &carm_f, &counts, x)));
        }
    }
    Ok(out)
}
