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
use super::{Booking, RepResult, Results, RunOptions, compared, npv_series, run_rep_indexed};
use crate::economics::business_case::Ledger;
use crate::economics::lines::LineIndex;
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

/// A run ([`super::run`]) and, in the same pass, [`focus_npv_by_scale`] at `scales`: each
/// replication's parameters, cohort and classes are made once, and where the scenario has a
/// control without effects and one compared arm (as the shipped scenarios do) so are the
/// control's simulation and booking and the simulation of the compared arm's
/// non-participants, which the run and every scale share. The results and the NPVs are those
/// of the run and of [`focus_npv_by_scale`], bit for bit.
pub fn run_with_scales(
    sc: &Scenario,
    opts: &RunOptions,
    scales: &[f64],
) -> Result<(Results, Vec<Vec<[f64; 8]>>)> {
    let total = opts.replications as usize;
    let mut out: Vec<Vec<[f64; 8]>> = scales.iter().map(|_| Vec::with_capacity(total)).collect();
    let work = |r: u32, index: &LineIndex| rep_with_scales(sc, opts, r, index, scales);
    let res = super::run_folding(sc, opts, &|_, _| true, &work, &mut |npvs| {
        for (series, npv) in out.iter_mut().zip(npvs) {
            series.push(npv);
        }
    })?;
    let res = res.ok_or_else(super::stopped)?;
    Ok((res, out))
}

/// Replication `rep` of a run ([`run_rep_indexed`]) and the focus arm's NPVs at `scales`
/// ([`rep_npv_by_scale`]). With two arms, a scale-free control and a compared arm that
/// does not share control's trajectories, the run's arms are counted as the scales count
/// them ([`Counter`]: the counts a run makes, see [`super::run_counts_with`]) and booked as a
/// run books them ([`Booking::arm`]); the scales then take control's ledger from the run
/// (scale-free, it is the same at every scale) and the non-participants it simulated.
/// Otherwise the two are made apart.
fn rep_with_scales(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    index: &LineIndex,
    scales: &[f64],
) -> Result<(RepResult, Vec<[f64; 8]>)> {
    let apart = || -> Result<(RepResult, Vec<[f64; 8]>)> {
        let run = run_rep_indexed(sc, opts, rep, index)?;
        Ok((run, rep_npv_by_scale(sc, opts, rep, scales)?))
    };
    let focus = Results::focus_arm(sc);
    if sc.arms.len() != 2 || focus != 1 || !scale_free(&sc.arms[0]) {
        return apart();
    }
    let r = Rep::new(sc, opts, rep)?;
    let (carm_c, class_c) = r.arm(sc, &r.values, 0, opts.effect_scale)?;
    let (carm_f, class_f) = r.arm(sc, &r.values, focus, opts.effect_scale)?;
    // A run simulates such an arm together with control (shared trajectories): made apart.
    if carm_f.same_trajectories(&carm_c) {
        return apart();
    }
    let mut counter = Counter::new(&r, sc, &carm_c, &class_c);
    let pair = counter.pair(&carm_f, &class_f)?;
    let booking = Booking {
        sc,
        values: &r.values,
        lay: &r.lay,
        classes: &r.classes,
        disc: &r.disc,
        index,
        effect_scale: opts.effect_scale,
    };
    let fte = |carm: &CArm| carm.services.iter().map(|s| s.fte).collect::<Vec<f64>>();
    let counts = counter.counts(0, &carm_c, &class_c, pair)?;
    let control = booking.arm(0, counts, &class_c, fte(&carm_c));
    let counts = counter.counts(focus, &carm_f, &class_f, pair)?;
    let compared_arm = booking.arm(focus, counts, &class_f, fte(&carm_f));
    let npvs = npvs_against(&r, sc, &mut counter, &control.ledger, scales)?;
    Ok((compared(vec![control, compared_arm], index), npvs))
}

/// The focus arm's NPVs against `control` (control's ledger, the same at every scale: see
/// [`scale_free`]) at each of `scales`, its participants counted by `counter`.
fn npvs_against(
    r: &Rep,
    sc: &Scenario,
    counter: &mut Counter,
    control: &Ledger,
    scales: &[f64],
) -> Result<Vec<[f64; 8]>> {
    let focus = Results::focus_arm(sc);
    scales
        .iter()
        .map(|&x| {
            let (carm, class) = r.arm(sc, &r.values, focus, x)?;
            let pair = counter.pair(&carm, &class)?;
            let counts = counter.counts(focus, &carm, &class, pair)?;
            Ok(npv(control, &r.ledger(sc, focus, &carm, &counts, x)))
        })
        .collect()
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
    if scale_free(&sc.arms[0]) {
        let Some(&first) = scales.first() else {
            return Ok(Vec::new());
        };
        // Control (and the non-participants) once for every scale. Control is counted as
        // paired with the focus arm at the first scale; paired or not, its counts are the
        // same (the sharing of `super::run_counts_with`).
        let (carm_c, class_c) = r.arm(sc, &r.values, 0, opts.effect_scale)?;
        let mut counter = Counter::new(&r, sc, &carm_c, &class_c);
        let (carm_f, class_f) = r.arm(sc, &r.values, focus, first)?;
        let pair = counter.pair(&carm_f, &class_f)?;
        let counts = counter.counts(0, &carm_c, &class_c, pair)?;
        let control = r.ledger(sc, 0, &carm_c, &counts, first);
        npvs_against(&r, sc, &mut counter, &control, scales)
    } else {
        let mut out = Vec::with_capacity(scales.len());
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
        Ok(out)
    }
}
