//! Several staffing levels of one scenario (a sweep's grid points) run in one pass over the
//! replications, control simulated once per replication.
//!
//! A run per point would draw every replication's cohort again and simulate control again at
//! every point, although a staffing level changes only the arms that have the service. Here
//! each replication makes its cohort, classes and control's simulation once (and the
//! non-participants' where an arm serves only participants, see [`super::once`]); each point
//! draws its own parameters (the same draws but for the staff it fixes), simulates the other
//! arms and books them as a run does (control's results, the same at every point, are booked
//! once and copied). Each point's results are folded in replication
//! order into its own [`Results`], so each is the one a whole run of that point gives, bit for
//! bit.

use super::once::{Counter, Rep};
use super::{
    ArmRep, Booking, Progress, RepResult, Results, RunOptions, compared, draw_params, fold_every,
    worker_pool,
};
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// The most points run in one pass: each replication in flight holds a result per point, so
/// a larger grid runs in passes of equal size, at most this many points each (control
/// simulated once per pass).
const POINTS_PER_PASS: usize = 8;

/// The results of each of `points` as [`super::run`] gives them, in passes over the
/// replications of at most `POINTS_PER_PASS` (8) points. The points must differ from each other
/// only in the staffing of services of the arms after control ([`Scenario::set_staff_level`],
/// which never changes control), which is what lets control be simulated once per
/// replication; `Err` when their arms differ. `progress(done, total)` is called as
/// replications are done (`total`: replications × passes).
pub fn run_points(
    points: &[Scenario],
    opts: &RunOptions,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Vec<Results>> {
    let Some(first) = points.first() else {
        return Ok(Vec::new());
    };
    let ids = |p: &Scenario| p.arms.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    if points.iter().any(|p| ids(p) != ids(first)) {
        return Err(Error::Runtime(format!(
            "the points of `{}` differ in more than the staffing of the compared arms",
            first.name
        )));
    }
    let passes = points.len().div_ceil(POINTS_PER_PASS);
    let total = opts.replications * passes as u32;
    let shown = Progress::new(opts.progress, total);
    let mut out = Vec::with_capacity(points.len());
    // Passes of equal size (9 points: 5 and 4, not 8 and 1).
    for (k, pass) in points.chunks(points.len().div_ceil(passes)).enumerate() {
        let before = k as u32 * opts.replications;
        out.extend(run_pass(pass, opts, &|done| {
            shown.show(before + done);
            progress(before + done, total);
        })?);
    }
    shown.finish();
    progress(total, total);
    Ok(out)
}

/// [`run_points`] for the points of one pass.
fn run_pass(
    points: &[Scenario],
    opts: &RunOptions,
    progress: &(dyn Fn(u32) + Sync),
) -> Result<Vec<Results>> {
    let Some(first) = points.first() else {
        return Ok(Vec::new());
    };
    let pool = worker_pool(opts.threads)?;
    let threads = pool.current_num_threads() as u32;
    let mut results: Vec<Results> = points
        .iter()
        .map(|p| Results::new(p, opts.clone(), threads as usize))
        .collect();
    let indexes: Vec<_> = results.iter().map(|r| r.line_index.clone()).collect();
    // Each replication in flight holds a result per point.
    let window = ((threads * 8).max(16) / points.len() as u32).max(threads + 1);
    fold_every(
        &pool,
        opts.replications,
        window,
        &|r| {
            let rep = Rep::new(first, opts, r)?;
            let x = opts.effect_scale;
            let (carm_c, class_c) = rep.arm(first, &rep.values, 0, x)?;
            let mut counter = Counter::new(&rep, first, &carm_c, &class_c);
            let mut control = None;
            // Control's results: the same at every point (its counts and everything it books
            // are), so booked once.
            let mut control_rep: Option<ArmRep> = None;
            let mut out = Vec::with_capacity(points.len());
            for (p, index) in points.iter().zip(&indexes) {
                let values = draw_params(p, opts.seed, r, opts.psa);
                let mut arms = Vec::with_capacity(p.arms.len());
                for a in 1..p.arms.len() {
                    let (carm, class) = rep.arm(p, &values, a, x)?;
                    let pair = counter.pair(&carm, &class)?;
                    if control.is_none() {
                        control = Some(counter.counts(0, &carm_c, &class_c, pair)?);
                    }
                    let counts = counter.counts(a, &carm, &class, pair)?;
                    arms.push((counts, class, carm.services.iter().map(|s| s.fte).collect()));
                }
                let booking = Booking {
                    sc: p,
                    values: &values,
                    lay: &rep.lay,
                    classes: &rep.classes,
                    disc: &rep.disc,
                    index,
                    effect_scale: x,
                };
                let control_rep = match &control_rep {
                    Some(c) => c.clone(),
                    None => {
                        let counts = match control.take() {
                            Some(c) => c,
                            None => counter.counts(0, &carm_c, &class_c, None)?,
                        };
                        let fte = carm_c.services.iter().map(|s| s.fte).collect();
                        let c = booking.arm(0, counts, &class_c, fte);
                        control_rep = Some(c.clone());
                        c
                    }
                };
                let mut reps = vec![control_rep];
                for (a, (counts, class, fte)) in arms.into_iter().enumerate() {
                    reps.push(booking.arm(a + 1, counts, &class, fte));
                }
                out.push(compared(reps, index));
            }
            Ok(out)
        },
        &mut |reps: Vec<RepResult>| {
            for (res, rep) in results.iter_mut().zip(reps) {
                res.fold(rep);
            }
        },
        progress,
    )?;
    for res in &mut results {
        res.finish_folds();
    }
    Ok(results)
}
