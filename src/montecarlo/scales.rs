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

use super::once::{Counter, Rep};
use super::{RunOptions, ledger, npv_series, programme};
use crate::economics;
use crate::economics::business_case::{self, Ledger};
use crate::engine::ArmCounts;
use crate::engine::compile::CArm;
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
    let ledger_of = |a: usize, carm: &CArm, counts: &ArmCounts, x: f64| -> Ledger {
        let booked = economics::book(sc, &r.values, a, &r.lay, &r.classes, counts, x);
        let (_, per_cycle) = programme(sc, &r.values, a, &r.lay, counts, carm.services.len());
        ledger(sc, &booked, &r.disc, &per_cycle)
    };
    let mut out = Vec::with_capacity(scales.len());
    if scale_free(&sc.arms[0]) {
        // Control (and the non-participants) once for every scale.
        let (carm_c, class_c) = r.arm(sc, &r.values, 0, opts.effect_scale)?;
        let mut counter = Counter::new(&r, sc, &carm_c, &class_c);
        let mut control: Option<Ledger> = None;
        for &x in scales {
            let (carm_f, class_f) = r.arm(sc, &r.values, focus, x)?;
            let pair = counter.pair(&carm_f, &class_f)?;
            if control.is_none() {
                let counts = counter.counts(0, &carm_c, &class_c, pair)?;
                control = Some(ledger_of(0, &carm_c, &counts, x));
            }
            let counts = counter.counts(focus, &carm_f, &class_f, pair)?;
            let arm = ledger_of(focus, &carm_f, &counts, x);
            out.push(npv(control.as_ref(), &arm));
        }
    } else {
        for &x in scales {
            let (carm_c, class_c) = r.arm(sc, &r.values, 0, x)?;
            let mut counter = Counter::new(&r, sc, &carm_c, &class_c);
            let (carm_f, class_f) = r.arm(sc, &r.values, focus, x)?;
            let pair = counter.pair(&carm_f, &class_f)?;
            let counts = counter.counts(0, &carm_c, &class_c, pair)?;
            let control = ledger_of(0, &carm_c, &counts, x);
            let counts = counter.counts(focus, &carm_f, &class_f, pair)?;
            let arm = ledger_of(focus, &carm_f, &counts, x);
            out.push(npv(Some(&control), &arm));
        }
    }
    Ok(out)
}

/// The NPV per perspective of `arm` against `control`.
fn npv(control: Option<&Ledger>, arm: &Ledger) -> [f64; 8] {
    let Some(control) = control else {
        return [0.0; 8];
    };
    let heads = business_case::headlines(&business_case::compare(control, arm));
    std::array::from_fn(|k| heads[k].npv)
}
