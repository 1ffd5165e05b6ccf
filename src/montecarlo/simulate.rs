//! One replication's simulation: every arm run on the same citizens and random numbers, arms
//! that share trajectories simulated once, and the raw counts kept for booking.

use super::{RunOptions, draw_params, once};
use crate::cohort::{self, Citizens};
use crate::economics::{self, ClassMap};
use crate::engine::compile::compile_arm;
use crate::engine::{self, ArmCounts, Layout, NoObserver};
use crate::error::{Error, Result};
use crate::scenario::Scenario;

/// The layout of count arrays for a scenario with `n_classes` classes.
pub fn layout(sc: &Scenario, n_classes: usize) -> Layout {
    let clock_states = sc
        .refusion
        .as_ref()
        .map_or(&[][..], |r| &r.clock_states[..]);
    Layout::new(
        sc.chains.iter().map(|c| c.states.len()).collect(),
        sc.sim.horizon as usize,
        n_classes,
        sc.sim.cycle_months,
        clock_states,
    )
}

/// The raw counts of every arm of one replication, with what is needed to book them.
pub struct RepCounts {
    /// Drawn parameter values.
    pub values: Vec<f64>,
    /// The citizens.
    pub citizens: Citizens,
    /// Booking classes.
    pub classes: ClassMap,
    /// Layout of the counts.
    pub layout: Layout,
    /// Per arm: counts and per-citizen classes.
    pub arms: Vec<(ArmCounts, Vec<u16>)>,
    /// Per arm: FTE of each service with capacity.
    pub fte: Vec<Vec<f64>>,
    /// Per arm: the arm whose simulation it was booked from — itself, or an earlier arm whose
    /// trajectories it shares (see [`run_counts_with`]).
    pub simulated_by: Vec<usize>,
    /// Per arm: the arm whose simulation of its non-participants it was booked from, when
    /// only its participants were simulated in it (see [`run_counts_with`]).
    pub non_participants_by: Vec<Option<usize>>,
}

/// Run all arms of one replication and keep the raw counts. Arms that share trajectories
/// (see [`run_counts_with`]) are simulated once.
pub fn run_counts(sc: &Scenario, opts: &RunOptions, rep: u32) -> Result<RepCounts> {
    run_counts_with(sc, opts, rep, true)
}

/// [`run_counts`], with `share` false simulating every arm on its own even where arms share
/// trajectories (to check that sharing changes nothing).
///
/// An arm whose compiled tables show that every citizen follows exactly the trajectory it
/// follows in an earlier arm ([`CArm::same_trajectories`]: effects that change only amounts,
/// no services) is booked from that arm's simulation. The shared simulation counts citizens
/// by joint classes — the static class and the participation in each arm of the group — so
/// that each arm's counts by its own classes are sums of them ([`ArmCounts::project`]),
/// exactly the counts a simulation of its own would give.
///
/// Likewise, where an arm's services and effects reach only its participants
/// ([`CArm::same_for_non_participants`]), its non-participants follow exactly the
/// trajectories they follow in an earlier arm without services (usually the control): they
/// are simulated once, in that arm, and their counts are added to the counts of each arm's
/// own simulation of the participants (`ArmCounts::merge`).
///
/// [`CArm::same_for_non_participants`]: crate::engine::compile::CArm::same_for_non_participants
/// [`CArm::same_trajectories`]: crate::engine::compile::CArm::same_trajectories
pub fn run_counts_with(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    share: bool,
) -> Result<RepCounts> {
    run_arms(sc, opts, rep, share, |_| NoObserver).map(|(rc, _)| rc)
}

/// Run all arms of one replication with an observer per arm (made by `observer(arm)`), e.g. to
/// trace individual citizens; returns the raw counts and the observers. Arms share one
/// simulation only where their observers do not look at citizens.
pub fn run_observed<O: engine::Observer>(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    observer: impl FnMut(usize) -> O,
) -> Result<(RepCounts, Vec<O>)> {
    run_arms(sc, opts, rep, true, observer)
}

/// The most joint classes of a shared simulation (they double with each arm that shares it,
/// and every count array grows with them).
const MAX_JOINT_CLASSES: usize = 4096;

fn run_arms<O: engine::Observer>(
    sc: &Scenario,
    opts: &RunOptions,
    rep: u32,
    share: bool,
    mut observer: impl FnMut(usize) -> O,
) -> Result<(RepCounts, Vec<O>)> {
    let values = draw_params(sc, opts.seed, rep, opts.psa);
    let cit = cohort::synthesize(sc, opts.seed, rep);
    let (static_class, classes) = economics::static_classes(sc, &cit)?;
    let lay = layout(sc, classes.n_classes());
    let n_arms = sc.arms.len();
    let in_arm = |a: usize| in_arm(sc, rep, a);
    let mut carms = Vec::with_capacity(n_arms);
    let mut observers = Vec::with_capacity(n_arms);
    for a in 0..n_arms {
        carms.push(compile_arm(sc, &values, a, opts.effect_scale).map_err(in_arm(a))?);
        observers.push(observer(a));
    }
    let class: Vec<Vec<u16>> = carms
        .iter()
        .map(|carm| engine::classes(carm, &cit, &static_class))
        .collect();
    // Each arm's group: the first arm whose trajectories it shares (itself if none).
    let mut leader: Vec<usize> = (0..n_arms).collect();
    if share {
        for a in 1..n_arms {
            if observers[a].sees_citizens() {
                continue;
            }
            if let Some(b) = (0..a).find(|&b| {
                leader[b] == b
                    && !observers[b].sees_citizens()
                    && (lay.n_classes / 2) << (leader.iter().filter(|&&l| l == b).count() + 1)
                        <= MAX_JOINT_CLASSES
                    && carms[a].same_trajectories(&carms[b])
            }) {
                leader[a] = b;
            }
        }
    }
    // An arm simulated on its own whose non-participants follow an earlier such arm exactly
    // (`CArm::same_for_non_participants`, with the same booking classes there): the pair's
    // non-participants are simulated once, and each arm simulates only the rest.
    let mut partner: Vec<Option<usize>> = vec![None; n_arms];
    if share {
        let alone = |x: usize| {
            leader.iter().filter(|&&l| l == x).count() == 1
                && leader[x] == x
                && !observers[x].sees_citizens()
        };
        for a in 0..n_arms {
            if !alone(a) {
                continue;
            }
            partner[a] = (0..a).find(|&b| {
                alone(b)
                    && partner[b].is_none()
                    && !partner.contains(&Some(b))
                    && once::paired(&carms[a], &class[a], &carms[b], &class[b])
            });
        }
    }
    let mut counts: Vec<Option<ArmCounts>> = vec![None; n_arms];
    for a in 0..n_arms {
        if leader[a] != a || partner.contains(&Some(a)) {
            continue;
        }
        if let Some(b) = partner[a] {
            let participant: Vec<bool> = class[a].iter().map(|&c| c & 1 == 1).collect();
            let pick = |cl: &[u16], want: bool| once::pick(cl, &participant, want);
            let (part, rest) = (
                cit.subset(&participant, true),
                cit.subset(&participant, false),
            );
            let others = engine::run_part(
                &lay,
                &carms[b],
                &rest,
                &pick(&class[b], false),
                opts.seed,
                rep,
            )
            .map_err(in_arm(b))?;
            // Each arm's participants are counted onto the non-participants' counts (the
            // second arm takes them over, the first a copy).
            let mut others = Some(others);
            for x in [b, a] {
                let base = match x == a {
                    true => others.take(),
                    false => others.clone(),
                };
                counts[x] = Some(
                    engine::run_arm_onto(
                        &lay,
                        &carms[x],
                        &part,
                        &pick(&class[x], true),
                        opts.seed,
                        rep,
                        &mut observers[x],
                        base,
                    )
                    .map_err(in_arm(x))?,
                );
            }
            continue;
        }
        let group: Vec<usize> = (0..n_arms).filter(|&b| leader[b] == a).collect();
        if group.len() == 1 {
            counts[a] = Some(
                engine::run_arm(
                    &lay,
                    &carms[a],
                    &cit,
                    &class[a],
                    opts.seed,
                    rep,
                    &mut observers[a],
                )
                .map_err(in_arm(a))?,
            );
            continue;
        }
        // Joint class: static class, then one participation bit per arm of the group.
        let k = group.len();
        let joint: Vec<u16> = (0..cit.n)
            .map(|i| {
                let bits = group
                    .iter()
                    .enumerate()
                    .fold(0u16, |acc, (j, &b)| acc | ((class[b][i] & 1) << j));
                ((class[a][i] >> 1) << k) | bits
            })
            .collect();
        let n_joint = (lay.n_classes / 2) << k;
        let joint_lay = layout(sc, n_joint);
        let run = engine::run_arm(
            &joint_lay,
            &carms[a],
            &cit,
            &joint,
            opts.seed,
            rep,
            &mut observers[a],
        )
        .map_err(in_arm(a))?;
        for (j, &b) in group.iter().enumerate() {
            let map: Vec<usize> = (0..n_joint)
                .map(|c| ((c >> k) << 1) | ((c >> j) & 1))
                .collect();
            counts[b] = Some(run.project(&joint_lay, lay.n_classes, &map));
        }
    }
    let fte = carms
        .iter()
        .map(|carm| carm.services.iter().map(|s| s.fte).collect())
        .collect();
    let arms = counts
        .into_iter()
        .zip(class)
        .map(|(c, cl)| (c.unwrap_or_default(), cl))
        .collect();
    Ok((
        RepCounts {
            values,
            citizens: cit,
            classes,
            layout: lay,
            arms,
            fte,
            simulated_by: leader,
            non_participants_by: partner,
        },
        observers,
    ))
}

/// An error of arm `a` in replication `rep`, said with both.
pub(crate) fn in_arm(sc: &Scenario, rep: u32, a: usize) -> impl Fn(Error) -> Error + '_ {
    move |e: Error| {
        Error::Runtime(format!(
            "replication {rep}, arm `{}`: {}",
            sc.arms[a].id,
            strip(e)
        ))
    }
}

fn strip(e: Error) -> String {
    match e {
        Error::Runtime(m) | Error::Usage(m) => m,
        other => other.to_string(),
    }
}
