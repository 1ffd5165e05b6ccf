//! Break-even effect scale: how strong the arm's effect must be (as a power X on every hazard
//! ratio, and a share X of every participant amount change) for the mean NPV of a perspective
//! to be zero.
//!
//! The run is repeated on a fixed grid of effect scales with the same seed — common random
//! numbers make the mean NPV a smooth function of the scale — and the first grid interval on
//! which the mean NPV changes sign (above zero at one end, not above at the other, see
//! [`above_zero`]) brackets the break-even scale, found by linear interpolation between its
//! ends. The answer
//! is therefore accurate to the grid (steps of 0.25 up to 2, then 3, 4, 6 and 8); beyond 8 it
//! is reported as not reached, with the largest scale tried. The grid reaches 8 because a
//! programme whose effects are small against its cost (the conservative reading of the
//! evidence) would otherwise only be reported as "more than 4".

use crate::economics::business_case::{PERSPECTIVES, above_zero};
use crate::error::Result;
use crate::montecarlo::{self, Results, RunOptions};
use crate::scenario::Scenario;

/// The effect scales evaluated (a business-case notion the report also reads, so it lives in
/// economics).
pub use crate::economics::business_case::BREAK_EVEN_GRID as GRID;

/// Mean NPV per perspective of the focus arm in a run.
pub fn mean_npv(res: &Results, arm: usize) -> [f64; 8] {
    let mut out = [0.0; 8];
    let n = res.replications().max(1) as f64;
    for r in &res.reps {
        for (k, h) in r.headlines[arm].iter().enumerate() {
            out[k] += h.npv / n;
        }
    }
    out
}

/// The first scale where `npv` (on `grid`) crosses zero, in either direction, bracketed by
/// two grid points and interpolated to the scale where it is 0; None if it never does.
///
/// When the NPV is above zero over the whole grid, the answer is 0 (no effect is needed). When
/// it is above zero without effect and the effect brings it below, the answer is the scale
/// where it turns below zero.
pub fn crossing(grid: &[f64], npv: &[f64]) -> Option<f64> {
    if npv.first().is_some_and(|v| above_zero(*v)) && npv.iter().all(|v| above_zero(*v)) {
        return grid.first().copied();
    }
    for i in 1..grid.len().min(npv.len()) {
        let (a, b) = (npv[i - 1], npv[i]);
        if above_zero(a) != above_zero(b) && b != a {
            let t = -a / (b - a);
            return Some(grid[i - 1] + t * (grid[i] - grid[i - 1]));
        }
    }
    None
}

/// Break-even scale per perspective (None: not reached at the grid's last scale). `done` is the
/// result of the main run (reused when its scale is on the grid); the other scales are run in
/// one pass over the same replications ([`montecarlo::focus_npv_by_scale`]), each giving the
/// mean NPV a whole run at that scale gives.
pub fn search(sc: &Scenario, opts: &RunOptions, done: &Results) -> Result<[Option<f64>; 8]> {
    let runs = montecarlo::focus_npv_by_scale(sc, opts, &other_scales(opts))?;
    Ok(from_runs(sc, opts, done, runs))
}

/// The run ([`montecarlo::run`]) and its break-even search ([`search`]) in one pass over the
/// replications ([`montecarlo::run_with_scales`]): the same results and the same answer,
/// with each replication's cohort, control and non-participants made once for both.
pub fn run_and_search(sc: &Scenario, opts: &RunOptions) -> Result<(Results, [Option<f64>; 8])> {
    let (done, runs) = montecarlo::run_with_scales(sc, opts, &other_scales(opts))?;
    let found = from_runs(sc, opts, &done, runs);
    Ok((done, found))
}

/// The grid's scales other than the run's own.
fn other_scales(opts: &RunOptions) -> Vec<f64> {
    GRID.iter()
        .copied()
        .filter(|&x| x != opts.effect_scale)
        .collect()
}

/// The break-even scale per perspective from the run `done` and the focus arm's NPVs per
/// replication at [`other_scales`] (`runs`, in that order).
fn from_runs(
    sc: &Scenario,
    opts: &RunOptions,
    done: &Results,
    runs: Vec<Vec<[f64; 8]>>,
) -> [Option<f64>; 8] {
    let arm = Results::focus_arm(sc);
    let mut runs = runs.into_iter();
    let mut curves: Vec<[f64; 8]> = Vec::with_capacity(GRID.len());
    for &x in &GRID {
        curves.push(if x == opts.effect_scale {
            mean_npv(done, arm)
        } else {
            mean_of(&runs.next().unwrap_or_default())
        });
    }
    let mut out = [None; 8];
    for (k, slot) in out.iter_mut().enumerate().take(PERSPECTIVES.len()) {
        let npv: Vec<f64> = curves.iter().map(|c| c[k]).collect();
        *slot = crossing(&GRID, &npv);
    }
    out
}

/// The mean per perspective of NPVs per replication, summed in replication order as
/// [`mean_npv`] sums a run's.
fn mean_of(reps: &[[f64; 8]]) -> [f64; 8] {
    let mut out = [0.0; 8];
    let n = reps.len().max(1) as f64;
    for r in reps {
        for (k, npv) in r.iter().enumerate() {
            out[k] += npv / n;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossing_interpolates_between_grid_points() {
        assert_eq!(crossing(&[0.0, 1.0, 2.0], &[-10.0, -5.0, 5.0]), Some(1.5));
        assert_eq!(crossing(&[0.0, 1.0], &[2.0, 3.0]), Some(0.0));
        assert_eq!(crossing(&[0.0, 1.0], &[0.0, -3.0]), None);
        assert_eq!(crossing(&[0.0, 1.0], &[-2.0, -1.0]), None);
        assert_eq!(crossing(&[0.0, 0.5, 1.0], &[-4.0, 0.0, 1.0]), Some(0.5));
        // Exactly zero is not above zero: a flat zero never breaks even.
        assert_eq!(crossing(&[0.0, 1.0], &[0.0, 0.0]), None);
        // A payer whose mean NPV changes sign between 0.25 and 0.5 breaks even there, whichever
        // way it crosses.
        let x = crossing(&[0.0, 0.25, 0.5, 1.0], &[1.0, 2.0, -2.0, -5.0]).unwrap();
        assert!((x - 0.375).abs() < 1e-12, "{x}");
        let x = crossing(&[0.0, 0.25, 0.5], &[-1.0, -2.0, 2.0]).unwrap();
        assert!((x - 0.375).abs() < 1e-12, "{x}");
    }
}
