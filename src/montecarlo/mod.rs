//! Replications: draw parameters, synthesise the cohort, run every arm on the same citizens and
//! random numbers, book accounts — in parallel — and fold the results in replication order, so
//! that the outcome is the same bit for bit on any number of threads.

use crate::economics::lines::LineIndex;
use crate::error::{Error, Result};
use crate::rng::named_stream;
use crate::scenario::Scenario;
use crate::scenario::param::unit;
use crate::scenario::quantile::quantile;
use std::io::{IsTerminal, Write};

mod book;
mod once;
pub mod ordered;
mod points;
mod results;
mod scales;
mod simulate;
mod variants;

pub use book::{ArmRep, RepResult, capacity_services, run_rep, run_rep_indexed};
pub(crate) use book::{Booking, Discounts, compared, ledger, programme};
pub use points::run_points;
pub use results::{ComparisonSums, RepScalars, Results};
pub use scales::{focus_npv_by_scale, run_with_scales, scale_free};
pub(crate) use simulate::in_arm;
pub use simulate::{RepCounts, layout, run_counts, run_counts_with, run_observed};
pub use variants::focus_npv_by_variant;

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Replications.
    pub replications: u32,
    /// Master seed.
    pub seed: u64,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Draw uncertain parameters per replication (probabilistic analysis); false fixes them at
    /// their central values.
    pub psa: bool,
    /// Every arm effect (hazard ratio) is raised to this power: 1 as written, 0 no effect.
    pub effect_scale: f64,
    /// Show progress on a terminal.
    pub progress: bool,
}

impl RunOptions {
    /// Options from the scenario's own defaults.
    pub fn from_scenario(sc: &Scenario) -> RunOptions {
        RunOptions {
            replications: sc.sim.replications,
            seed: sc.sim.seed,
            threads: 0,
            psa: true,
            effect_scale: sc.sim.effect_scale,
            progress: false,
        }
    }
}

/// Draw every parameter for replication `rep`. Each parameter draws from the stream named by
/// its path (e.g. `accounts.x.amount`), so adding, removing or reordering parameters never
/// changes the draws of the others.
///
/// Parameters of one correlation group share one uniform per replication and take their own
/// percentile at it (perfect rank correlation).
pub fn draw_params(sc: &Scenario, seed: u64, rep: u32, psa: bool) -> Vec<f64> {
    sc.params
        .iter()
        .map(|p| {
            if !(psa && p.param.is_uncertain()) {
                return p.param.central();
            }
            match &p.param.group {
                Some(g) => {
                    let u = unit(&mut named_stream(seed, &format!("group:{g}"), rep));
                    quantile(&p.param, u)
                }
                None => p.param.sample(&mut named_stream(seed, &p.path, rep)),
            }
        })
        .collect()
}

/// Run every replication and aggregate.
pub fn run(sc: &Scenario, opts: &RunOptions) -> Result<Results> {
    run_while(sc, opts, &|_, _| true)?.ok_or_else(stopped)
}

/// The error of a pass that was stopped where it is not meant to be.
fn stopped() -> Error {
    Error::Runtime("the run was stopped before it finished".into())
}

/// A pool of `threads` workers (0: one per core).
pub fn worker_pool(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start {threads} worker threads: {e}")))
}

/// [`run`] that asks `keep_going(done, total)` before each replication is started (`done`:
/// the replications folded so far) and stops (returning None) when it says no: cooperative
/// cancellation and progress for `ressim serve`. The result of a run that is not stopped is
/// the same as [`run`]'s.
pub fn run_while(
    sc: &Scenario,
    opts: &RunOptions,
    keep_going: &(dyn Fn(u32, u32) -> bool + Sync),
) -> Result<Option<Results>> {
    let work = |r: u32, index: &LineIndex| run_rep_indexed(sc, opts, r, index).map(|x| (x, ()));
    run_folding(sc, opts, keep_going, &work, &mut |()| {})
}

/// What makes one replication of [`run_folding`]: its results and something more.
type RepWork<'a, T> = dyn Fn(u32, &LineIndex) -> Result<(RepResult, T)> + Sync + 'a;

/// The replications of a run, each made by `work(rep, line index)` together with something
/// more (`T`), folded in replication order: the results into [`Results`], the more into
/// `more` (one call per replication, in order). Stops as [`run_while`] says.
fn run_folding<T: Send>(
    sc: &Scenario,
    opts: &RunOptions,
    keep_going: &(dyn Fn(u32, u32) -> bool + Sync),
    work: &RepWork<T>,
    more: &mut (dyn FnMut(T) + Send),
) -> Result<Option<Results>> {
    let pool = worker_pool(opts.threads)?;
    let threads_used = pool.current_num_threads();
    let mut res = Results::new(sc, opts.clone(), threads_used);
    let index = res.line_index.clone();
    let total = opts.replications;
    // Replications started ahead of the fold: bounds memory (each holds a replication's
    // results until it is folded); results do not depend on it, the fold is in order.
    let window = (threads_used as u32 * 8).max(16);
    let progress = Progress::new(opts.progress, total);
    let outcome = ordered::fold_in_order(
        &pool,
        total,
        window,
        &|r| work(r, &index),
        &mut |(rep, t)| {
            res.fold(rep);
            more(t);
            Ok(())
        },
        &|done| {
            progress.show(done);
            keep_going(done, total)
        },
    );
    match outcome {
        ordered::Outcome::Done => res.finish_folds(),
        ordered::Outcome::Stopped => return Ok(None),
        ordered::Outcome::Failed(e) => return Err(e),
    }
    progress.finish();
    keep_going(total, total);
    Ok(Some(res))
}

/// "replication k/n" on standard error while replications are folded, when asked for and
/// standard error is a terminal.
struct Progress {
    show: bool,
    shown: std::sync::atomic::AtomicU32,
    total: u32,
}

impl Progress {
    fn new(asked: bool, total: u32) -> Progress {
        Progress {
            show: asked && std::io::stderr().is_terminal(),
            shown: std::sync::atomic::AtomicU32::new(0),
            total,
        }
    }

    /// `done` replications are folded: shown at most once per replication, from whichever
    /// worker asks.
    fn show(&self, done: u32) {
        let order = std::sync::atomic::Ordering::Relaxed;
        if self.show && self.shown.fetch_max(done, order) < done {
            crate::err!("\r  replication {done}/{}", self.total);
            let _ = std::io::stderr().flush();
        }
    }

    /// Every replication is folded.
    fn finish(&self) {
        if self.show {
            crate::err!("\r  replication {0}/{0}", self.total);
            crate::errln!();
        }
    }
}

/// Compute `work(r)` for every replication r on `pool` and fold the results in replication
/// order ([`ordered::fold_in_order`], at most `window` ahead of the fold); `progress(done)` as
/// they are folded. For passes that are never stopped.
fn fold_every<T: Send>(
    pool: &rayon::ThreadPool,
    total: u32,
    window: u32,
    work: &(dyn Fn(u32) -> Result<T> + Sync),
    fold: &mut (dyn FnMut(T) + Send),
    progress: &(dyn Fn(u32) + Sync),
) -> Result<()> {
    let outcome = ordered::fold_in_order(
        pool,
        total,
        window,
        work,
        &mut |t| {
            fold(t);
            Ok(())
        },
        &|done| {
            progress(done);
            true
        },
    );
    match outcome {
        ordered::Outcome::Done => Ok(()),
        ordered::Outcome::Stopped => Err(stopped()),
        ordered::Outcome::Failed(e) => Err(e),
    }
}

/// `work(r)` gives replication r's NPV per perspective for each of `n` variants; collected per
/// variant in replication order (`out[v][r]`), with progress on standard error as
/// `opts.progress` says and `progress(done, total)`.
fn npv_series(
    opts: &RunOptions,
    n: usize,
    work: &(dyn Fn(u32) -> Result<Vec<[f64; 8]>> + Sync),
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Vec<Vec<[f64; 8]>>> {
    let total = opts.replications;
    let mut out: Vec<Vec<[f64; 8]>> = (0..n).map(|_| Vec::with_capacity(total as usize)).collect();
    if n == 0 {
        return Ok(out);
    }
    let pool = worker_pool(opts.threads)?;
    let window = (pool.current_num_threads() as u32 * 8).max(16);
    let shown = Progress::new(opts.progress, total);
    fold_every(
        &pool,
        total,
        window,
        work,
        &mut |rep: Vec<[f64; 8]>| {
            for (series, npv) in out.iter_mut().zip(rep) {
                series.push(npv);
            }
        },
        &|done| {
            shown.show(done);
            progress(done, total);
        },
    )?;
    shown.finish();
    progress(total, total);
    Ok(out)
}
