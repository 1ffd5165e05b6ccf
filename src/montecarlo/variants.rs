//! The focus arm's NPV per replication for variants of a scenario that differ in parameter
//! values (the tornado's low and high ends), in one pass over the replications.
//!
//! The engine is a function of an arm's compiled tables, the citizens, their classes, the
//! layout, the seed and the replication. So wherever a variant compiles an arm to the same
//! tables as the scenario itself, for the same citizens and classes, that arm's counts are the
//! scenario's, and only booking differs: a variant of an amount re-books every arm without
//! simulating anything, a variant of the house's effects or costs simulates only the compared
//! arm (onto the non-participants simulated once, see [`super::once`]), and a variant of a
//! transition simulates both. Each variant books its arms with its own parameters — control's
//! booking is reused only where every value that differs is a parameter of another arm — so
//! every NPV is the one a whole run of the variant gives, bit for bit.

use super::once::{Counter, Rep, npv};
use super::{Results, RunOptions, npv_series};
use crate::economics::business_case::Ledger;
use crate::engine::ArmCounts;
use crate::engine::compile::CArm;
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// NPV per perspective of the focus arm ([`Results::focus_arm`] of `base`) against control for
/// each of `variants` (the same arms as `base`, other parameter values), per replication in
/// order: `out[v][r][k]` is what `Results::npv_draws(focus, k)[r]` of a run of `variants[v]`
/// with `opts` holds. Progress on standard error as `opts.progress` says, and
/// `progress(done, total)` as replications are done.
pub fn focus_npv_by_variant(
    base: &Scenario,
    variants: &[Scenario],
    opts: &RunOptions,
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Vec<Vec<[f64; 8]>>> {
    let ids = |p: &Scenario| p.arms.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    if variants.iter().any(|v| ids(v) != ids(base)) {
        return Err(Error::Runtime(format!(
            "the variants of `{}` differ in their arms",
            base.name
        )));
    }
    npv_series(
        opts,
        variants.len(),
        &|r| rep_npv_by_variant(base, variants, opts, r),
        progress,
    )
}

/// An arm of `base` in one replication, its counts made when first needed.
struct Arm {
    carm: CArm,
    class: Vec<u16>,
    counts: Option<ArmCounts>,
}

/// The focus arm's NPVs of replication `r` for every variant.
fn rep_npv_by_variant(
    base: &Scenario,
    variants: &[Scenario],
    opts: &RunOptions,
    r: u32,
) -> Result<Vec<[f64; 8]>> {
    let focus = Results::focus_arm(base);
    if focus == 0 {
        return Ok(vec![[0.0; 8]; variants.len()]);
    }
    let x = opts.effect_scale;
    let b = Rep::new(base, opts, r)?;
    let arm = |a: usize| -> Result<Arm> {
        let (carm, class) = b.arm(base, &b.values, a, x)?;
        Ok(Arm {
            carm,
            class,
            counts: None,
        })
    };
    let mut control = arm(0)?;
    let mut compared = arm(focus)?;
    let control_c = control.carm.clone();
    let mut counter = Counter::new(&b, base, &control_c, &control.class);
    let pair = counter.pair(&compared.carm, &compared.class)?;
    let control_id = format!("arms.{}.", base.arms[0].id);
    let of_another_arm = |path: &str| path.starts_with("arms.") && !path.starts_with(&control_id);
    // Control's ledger with the base's values, made when a variant first needs it.
    let mut control_ledger_base: Option<Ledger> = None;
    let mut out = Vec::with_capacity(variants.len());
    for v in variants {
        let rv = Rep::new(v, opts, r)?;
        let (carm_c, class_c) = rv.arm(v, &rv.values, 0, x)?;
        let (carm_f, class_f) = rv.arm(v, &rv.values, focus, x)?;
        // The base's counts hold where the cohort, the layout, the classes and the tables do.
        let same_citizens = rv.cit == b.cit && rv.lay == b.lay;
        let same = |a: &Arm, carm: &CArm, class: &[u16]| {
            same_citizens && a.carm == *carm && a.class == class
        };
        let control_same = same(&control, &carm_c, &class_c);
        let counts_c = if control_same {
            if control.counts.is_none() {
                control.counts = Some(counter.counts(0, &control.carm, &control.class, pair)?);
            }
            None
        } else {
            Some(Counter::new(&rv, v, &carm_c, &class_c).counts(0, &carm_c, &class_c, None)?)
        };
        let counts_f = if same(&compared, &carm_f, &class_f) {
            if compared.counts.is_none() {
                let counts = counter.counts(focus, &compared.carm, &compared.class, pair)?;
                compared.counts = Some(counts);
            }
            None
        } else if control_same {
            // Only the compared arm changed: its participants onto the non-participants.
            let pair_v = counter.pair(&carm_f, &class_f)?;
            Some(counter.counts(focus, &carm_f, &class_f, pair_v)?)
        } else {
            let mut own = Counter::new(&rv, v, &carm_c, &class_c);
            let pair_v = own.pair(&carm_f, &class_f)?;
            Some(own.counts(focus, &carm_f, &class_f, pair_v)?)
        };
        let (Some(c), Some(f)) = (
            counts_c.as_ref().or(control.counts.as_ref()),
            counts_f.as_ref().or(compared.counts.as_ref()),
        ) else {
            return Err(Error::Runtime("a variant's counts are missing".into()));
        };
        // Control books what the base books where its counts are the base's and every value
        // that differs is a parameter of another arm (a parameter's path is where the
        // scenario writes it, and `arms.<id>.…` is read only by arm <id>).
        let control_books_the_same = control_same
            && rv
                .values
                .iter()
                .zip(&b.values)
                .enumerate()
                .all(|(i, (p, q))| {
                    p.to_bits() == q.to_bits() || of_another_arm(&base.params[i].path)
                });
        let control_ledger = match (&control_ledger_base, control_books_the_same) {
            (Some(l), true) => l.clone(),
            (None, true) => {
                let l = rv.ledger(v, 0, &carm_c, c, x);
                control_ledger_base = Some(l.clone());
                l
            }
            (_, false) => rv.ledger(v, 0, &carm_c, c, x),
        };
        out.push(npv(&control_ledger, &rv.ledger(v, focus, &carm_f, f, x)));
    }
    Ok(out)
}
