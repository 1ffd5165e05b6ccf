//! Simulating the trials: the trial scenario of one size, the follow-up of each citizen, and
//! one size's trials run in parallel.

use super::*;
use crate::cohort;
use crate::engine::{self, Layout, Observer};
use crate::error::Result;
use crate::montecarlo;
use crate::scenario::{COURSE, OutcomeFlags, Scenario, ServiceKind};
use rayon::prelude::*;

/// Starters per cycle for a trial of `size`: the shape scaled by the largest-remainder method
/// (ties go to the earlier cycle), as a full inflow vector from cycle 0.
pub fn scaled_inflow(shape: &[(u32, u32)], size: usize) -> Vec<u32> {
    let total: u64 = shape.iter().map(|&(_, k)| k as u64).sum();
    let Some(&(last, _)) = shape.last() else {
        return vec![];
    };
    let mut inflow = vec![0u32; last as usize + 1];
    if total == 0 {
        return inflow;
    }
    let mut rem: Vec<(u64, usize)> = Vec::with_capacity(shape.len());
    let mut given = 0u64;
    for (j, &(c, k)) in shape.iter().enumerate() {
        let q = size as u64 * k as u64;
        inflow[c as usize] = (q / total) as u32;
        given += q / total;
        rem.push((q % total, j));
    }
    // Largest remainder first; equal remainders go to the earlier cycle.
    rem.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, j) in rem.iter().take((size as u64 - given) as usize) {
        inflow[shape[j].0 as usize] += 1;
    }
    while inflow.len() > 1 && inflow.last() == Some(&0) {
        inflow.pop();
    }
    inflow
}

/// The scenario of one trial of `size`: the scaled inflow, and a horizon that lets the last
/// starter complete the follow-up.
pub fn trial_scenario(sc: &Scenario, d: &Design, size: usize) -> Scenario {
    let mut t = sc.clone();
    t.cohort.inflow = scaled_inflow(&d.shape, size);
    t.sim.horizon = t.cohort.inflow.len() as u32 - 1 + d.follow_up_cycles;
    t
}

/// Accumulates each citizen's follow-up: months in `on_benefits` and `employed` states and the
/// state at the end of follow-up, measured from the citizen's entry.
pub(super) struct FollowUp<'a> {
    entry: &'a [u32],
    cycles: u32,
    cycle_months: u32,
    flags: &'a [OutcomeFlags],
    benefit: Vec<u32>,
    employed: Vec<u32>,
    end_state: Vec<u16>,
}

impl Observer for FollowUp<'_> {
    #[inline(always)]
    fn citizen_cycle(&mut self, cycle: u32, citizen: usize, states: [u16; 2]) {
        let since = cycle - self.entry[citizen];
        if since < self.cycles {
            let f = &self.flags[states[COURSE] as usize];
            if f.on_benefits {
                self.benefit[citizen] += self.cycle_months;
            }
            if f.employed {
                self.employed[citizen] += self.cycle_months;
            }
            if since + 1 == self.cycles {
                self.end_state[citizen] = states[COURSE];
            }
        }
    }
}

/// Sums of one group's outcome values.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sums {
    n: u64,
    sum: u64,
    sum_sq: u128,
}

impl Sums {
    fn add(&mut self, v: u64) {
        self.n += 1;
        self.sum += v;
        self.sum_sq += (v as u128) * (v as u128);
    }

    fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum as f64 / self.n as f64
        }
    }

    /// Sample variance (n − 1 in the denominator), from exact integer sums.
    fn var(&self) -> f64 {
        if self.n < 2 {
            return 0.0;
        }
        let n = self.n as u128;
        let num = n * self.sum_sq - (self.sum as u128) * (self.sum as u128);
        num as f64 / (n * (n - 1)) as f64
    }
}

/// What one simulated trial produced.
#[derive(Debug, Clone)]
pub(super) struct TrialOut {
    /// Per outcome: rejected.
    reject: Vec<bool>,
    /// Per outcome: participants' mean − non-participants' mean.
    effect: Vec<f64>,
    /// Per outcome: non-participants' mean.
    control: Vec<f64>,
    /// Participants, non-participants.
    groups: [u64; 2],
    /// Per service with capacity: summed capacity, summed use, longest queue, FTE.
    services: Vec<[f64; 4]>,
}

/// Everything fixed for the trials of one size.
pub(super) struct Prepared<'a> {
    tsc: Scenario,
    /// FTE multiplier of the services with capacity.
    staff_factor: f64,
    lay: Layout,
    design: &'a Design,
    opts: &'a PowerOptions,
    flags: Vec<OutcomeFlags>,
    z_crit: f64,
}

pub(super) fn run_trial(p: &Prepared, scale: f64, rep: u32) -> Result<TrialOut> {
    let (sc, d, opts) = (&p.tsc, p.design, p.opts);
    let values = montecarlo::draw_params(sc, opts.seed, rep, opts.psa);
    let cit = cohort::synthesize(sc, opts.seed, rep);
    let carm = compile_arm(sc, &values, d.arm, scale).map_err(|e| {
        Error::Runtime(format!(
            "trial {rep}, arm `{}`: {}",
            sc.arms[d.arm].id,
            match e {
                Error::Runtime(m) | Error::Usage(m) => m,
                other => other.to_string(),
            }
        ))
    })?;
    let mut carm = carm;
    // The refusion clock only splits amounts between payers; the trial books no amounts.
    carm.benefit = None;
    if p.staff_factor != 1.0 {
        for s in &mut carm.services {
            s.fte *= p.staff_factor;
            s.capacity *= p.staff_factor;
        }
    }
    let class = engine::classes(&carm, &cit, &vec![0u16; cit.n]);
    let mut fu = FollowUp {
        entry: &cit.entry,
        cycles: d.follow_up_cycles,
        cycle_months: sc.sim.cycle_months,
        flags: &p.flags,
        benefit: vec![0; cit.n],
        employed: vec![0; cit.n],
        end_state: vec![0; cit.n],
    };
    let counts = engine::run_arm(&p.lay, &carm, &cit, &class, opts.seed, rep, &mut fu)?;
    // Index 0: participants, 1: non-participants.
    let mut sums = vec![[Sums::default(); 2]; opts.outcomes.len()];
    for (i, &cl) in class.iter().enumerate() {
        let g = if cl & 1 == 1 { 0 } else { 1 };
        let end = &p.flags[fu.end_state[i] as usize];
        for (k, o) in opts.outcomes.iter().enumerate() {
            let v = match o {
                Outcome::SelfSupporting | Outcome::Pension => o.flagged(end) as u64,
                Outcome::BenefitMonths => fu.benefit[i] as u64,
                Outcome::EmploymentMonths => fu.employed[i] as u64,
            };
            sums[k][g].add(v);
        }
    }
    let groups = [
        class.iter().filter(|&&c| c & 1 == 1).count() as u64,
        class.iter().filter(|&&c| c & 1 == 0).count() as u64,
    ];
    let mut reject = Vec::with_capacity(sums.len());
    let mut effect = Vec::with_capacity(sums.len());
    let mut control = Vec::with_capacity(sums.len());
    for (k, o) in opts.outcomes.iter().enumerate() {
        let [t, c] = sums[k];
        effect.push(t.mean() - c.mean());
        control.push(c.mean());
        reject.push(if o.is_share() {
            z_test_rejects(t.sum, t.n, c.sum, c.n, p.z_crit)
        } else {
            welch_p(t.mean(), t.var(), t.n, c.mean(), c.var(), c.n)
                .is_some_and(|pv| pv < opts.alpha)
        });
    }
    let n_sv = carm.services.len();
    let mut services = vec![[0.0; 4]; n_sv];
    for (k, s) in carm.services.iter().enumerate() {
        services[k][3] = s.fte;
    }
    for (j, row) in counts.staffing.iter().enumerate() {
        let s = &mut services[j % n_sv.max(1)];
        if row[0] > 0.0 {
            s[0] += row[0];
            s[1] += row[1];
        }
        s[2] = s[2].max(row[2]);
    }
    Ok(TrialOut {
        reject,
        effect,
        control,
        groups,
        services,
    })
}

/// Simulate `opts.trials` trials of `size` at effect `scale` in `pool`, in parallel, folding in
/// trial order. `progress(done, total)` is called after each batch.
pub(super) fn evaluate(
    sc: &Scenario,
    d: &Design,
    opts: &PowerOptions,
    size: usize,
    scale: f64,
    pool: &rayon::ThreadPool,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<SizeResult> {
    let tsc = trial_scenario(sc, d, size);
    let p = Prepared {
        staff_factor: if opts.scale_staff {
            size as f64 / d.scenario_size as f64
        } else {
            1.0
        },
        lay: montecarlo::layout(&tsc, 2),
        flags: tsc.chains[COURSE].states.iter().map(|s| s.flags).collect(),
        tsc,
        design: d,
        opts,
        z_crit: probit(1.0 - opts.alpha / 2.0),
    };
    let total = opts.trials;
    let batch = (pool.current_num_threads() as u32 * 8).max(16);
    let n_out = opts.outcomes.len();
    let mut rejections = vec![0u32; n_out];
    let mut effect = vec![0.0; n_out];
    let mut control = vec![0.0; n_out];
    let mut participants = 0u64;
    let sv_ids: Vec<(String, ServiceKind)> = sc.arms[d.arm]
        .services
        .iter()
        .filter_map(|s| s.capacity.as_ref().map(|c| (s.id.clone(), c.kind)))
        .collect();
    // Per service: capacity, used, max queue, trials with a queue, FTE sum.
    let mut sv = vec![[0.0f64; 5]; sv_ids.len()];
    let mut done = 0u32;
    while done < total {
        let end = (done + batch).min(total);
        let chunk: Vec<Result<TrialOut>> = pool.install(|| {
            (done..end)
                .into_par_iter()
                .map(|r| run_trial(&p, scale, r))
                .collect()
        });
        for t in chunk {
            let t = t?;
            for k in 0..n_out {
                rejections[k] += t.reject[k] as u32;
                effect[k] += t.effect[k];
                control[k] += t.control[k];
            }
            participants += t.groups[0];
            for (acc, s) in sv.iter_mut().zip(&t.services) {
                acc[0] += s[0];
                acc[1] += s[1];
                acc[2] = acc[2].max(s[2]);
                acc[3] += (s[2] > 0.0) as u32 as f64;
                acc[4] += s[3];
            }
        }
        done = end;
        progress(done, total);
    }
    let n = total.max(1) as f64;
    let z95 = probit(0.975);
    let outcomes = opts
        .outcomes
        .iter()
        .enumerate()
        .map(|(k, &o)| {
            let (lo, hi) = wilson(rejections[k], total, z95);
            OutcomePower {
                outcome: o,
                rejections: rejections[k],
                power: rejections[k] as f64 / n,
                power_lo: lo,
                power_hi: hi,
                effect_mean: effect[k] / n,
                control_mean: control[k] / n,
            }
        })
        .collect();
    let capacity = sv_ids
        .into_iter()
        .zip(&sv)
        .map(|((service, kind), acc)| {
            let utilisation = if acc[0] > 0.0 { acc[1] / acc[0] } else { 0.0 };
            let trials_with_queue = acc[3] / n;
            CapacityUse {
                service,
                kind,
                fte_mean: acc[4] / n,
                utilisation,
                max_queue: acc[2],
                trials_with_queue,
                binds: utilisation >= BINDING_UTILISATION || trials_with_queue >= 0.5,
            }
        })
        .collect();
    Ok(SizeResult {
        size,
        scale,
        trials: total,
        outcomes,
        capacity,
        participants_mean: participants as f64 / n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflow_keeps_its_shape_and_sums_to_the_size() {
        let shape = [(0, 60), (1, 60), (2, 60), (3, 60), (4, 60), (5, 60)];
        assert_eq!(scaled_inflow(&shape, 360), vec![60; 6]);
        assert_eq!(scaled_inflow(&shape, 200), vec![34, 34, 33, 33, 33, 33]);
        assert_eq!(scaled_inflow(&shape, 3), vec![1, 1, 1]);
        // Cycles before the window stay empty; a closed cohort stays closed.
        assert_eq!(scaled_inflow(&[(2, 10), (3, 30)], 8), vec![0, 0, 2, 6]);
        assert_eq!(scaled_inflow(&[(0, 500)], 1600), vec![1600]);
        for n in [2usize, 7, 199, 1601] {
            assert_eq!(
                scaled_inflow(&shape, n)
                    .iter()
                    .map(|&k| k as usize)
                    .sum::<usize>(),
                n
            );
        }
    }

    #[test]
    fn exact_sums_give_the_sample_variance() {
        let mut s = Sums::default();
        for v in [2u64, 4, 4, 4, 5, 5, 7, 9] {
            s.add(v);
        }
        assert_eq!(s.mean(), 5.0);
        assert!((s.var() - 32.0 / 7.0).abs() < 1e-12);
    }
}
