//! Booking one arm of one replication: the engine's counts turned into amounts per account
//! and cycle ([`book`]), with the reimbursed part of refusion accounts and the credit of
//! accounts that book less while a service is held.

use super::classes::ClassMap;
use crate::engine::{ArmCounts, Layout};
use crate::scenario::{Basis, Counting, Scenario};

/// What one arm of one replication booked on each account, per cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Booked {
    /// Amount per account and cycle: DKK for DKK-valued accounts (amount × price where there
    /// is a price), the account's unit otherwise.
    pub gross: Vec<Vec<f64>>,
    /// The part of `gross` the state reimburses (refusion accounts only; else 0).
    pub refunded: Vec<Vec<f64>>,
    /// Amount per account and cycle in the account's own unit, before `price` (hours, months,
    /// QALYs; the same as `gross` for an account without a price).
    pub units: Vec<Vec<f64>>,
    /// What an account with `while_served` did not book because citizens held the service
    /// (already left out of `gross`): the credit for what the service replaces or lowers.
    pub while_served: Vec<Vec<f64>>,
}

/// The share of cycle `m`'s months that lie in an account's window (1 without a window):
/// with monthly cycles 1 inside the window and 0 outside it.
pub fn window_share(window: Option<(u32, u32)>, m: usize, cycle_months: u32) -> f64 {
    let Some((from, to)) = window else {
        return 1.0;
    };
    let first = m as u32 * cycle_months;
    let inside = (first..first + cycle_months)
        .filter(|mo| *mo >= from && *mo <= to)
        .count();
    inside as f64 / cycle_months as f64
}

/// Counts of one (cycle, state) cell summed over the classes of one group (the classes that
/// book the same amount), so that arms which differ only in how citizens are split into
/// classes book bit-identical sums; with refusion, the reimbursed share of the citizens at the
/// start and at the end ([`refunded_part`]).
#[derive(Clone, Copy, Default)]
struct Tally {
    start: f64,
    end: f64,
    held_start: f64,
    held_end: f64,
    part_start: f64,
    part_end: f64,
}

/// What a [`Tally`] is made from, besides its (chain, state): the group of each class (None
/// where the account does not apply), the held service whose holders are counted, whether
/// refusion steps are counted. Accounts that book the same states with the same key share
/// their tallies (several accounts book the citizens in the course, say).
#[derive(PartialEq)]
struct TallyKey {
    cell: (usize, usize),
    group_of: Vec<Option<usize>>,
    held: Option<usize>,
    refund: bool,
}

/// The tallies of every key, per cycle and group (`out[key][cycle · groups + group]`);
/// `n_held`: the held services counted ([`ArmCounts::held_start`]). One pass over the cycles
/// for all keys, so each cycle's counts are read from memory once. The counts are summed as
/// integers and converted once: a sum of whole numbers below 2⁵³ is the same in f64 in any
/// order, so this is what adding them one by one as f64 gives (signed, which converts in one
/// instruction where unsigned takes several). A group's citizens at the start of a cycle are
/// those at the end of the one before (plus the starters with `count_time_zero`), so they are
/// taken from the previous cycle's tally rather than counted again.
fn tally_all(
    lay: &Layout,
    counts: &ArmCounts,
    count_time_zero: bool,
    keys: &[TallyKey],
    n_held: usize,
    rates: &[f64],
) -> Vec<Vec<Tally>> {
    let shapes: Vec<Shape> = keys.iter().map(Shape::new).collect();
    let mut out: Vec<Vec<Tally>> = shapes
        .iter()
        .map(|shape| vec![Tally::default(); lay.horizon * shape.members.len()])
        .collect();
    let n_steps = rates.len();
    // One group's citizens per refusion step, at the start and at the end of the cycle: as
    // integers, then as f64 for [`refunded_part`].
    let mut step_n: Vec<i64> = vec![0; 2 * n_steps];
    let mut step_x: Vec<f64> = vec![0.0; 2 * n_steps];
    for m in 0..lay.horizon {
        for ((key, shape), tallies) in keys.iter().zip(&shapes).zip(&mut out) {
            let (c, s) = key.cell;
            let n_groups = shape.members.len();
            // The classes of a (cycle, state) cell are contiguous.
            let ix0 = lay.state_ix(m, c, s, 0);
            let (done, cycle) = tallies.split_at_mut(m * n_groups);
            let before = m.checked_sub(1).map(|_| &done[(m - 1) * n_groups..]);
            for (k, (t, members)) in cycle.iter_mut().zip(&shape.members).enumerate() {
                let mut start = before.map_or(0, |b| b[k].end as i64);
                let mut end = 0i64;
                for &cl in members {
                    if count_time_zero {
                        start += counts.new[ix0 + cl] as i64;
                    }
                    end += counts.end[ix0 + cl] as i64;
                }
                t.start = start as f64;
                t.end = end as f64;
                if let Some(h) = key.held {
                    let (mut at_start, mut at_end) = (0i64, 0i64);
                    for &cl in members {
                        at_start += counts.held_start[(ix0 + cl) * n_held + h] as i64;
                        at_end += counts.held_end[(ix0 + cl) * n_held + h] as i64;
                    }
                    t.held_start = at_start as f64;
                    t.held_end = at_end as f64;
                }
                if key.refund {
                    // No citizen is counted on a step where the clock does not run.
                    match lay.clock_ix(m, c, s) {
                        Some(k0) => sum_steps(counts, k0, members, n_steps, &mut step_n),
                        None => step_n.fill(0),
                    }
                    for (x, &n) in step_x.iter_mut().zip(&step_n) {
                        *x = n as f64;
                    }
                    let (at_start, at_end) = step_x.split_at(n_steps);
                    t.part_start = refunded_part(at_start, t.start, rates);
                    t.part_end = refunded_part(at_end, t.end, rates);
                }
            }
        }
    }
    out
}

/// The citizens per refusion step at the start of a cycle (`n[..n_steps]`) and at its end
/// (`n[n_steps..]`), summed over the classes `members` of the (cycle, state) cell whose
/// classes start at `ix0` ([`Layout::clock_ix`]). The usual few steps are summed in arrays
/// of a size known when compiled: loops of a size known only at run time cost more to set up
/// than the handful of additions they make.
fn sum_steps(counts: &ArmCounts, ix0: usize, members: &[usize], n_steps: usize, n: &mut [i64]) {
    fn by<const N: usize>(counts: &ArmCounts, ix0: usize, members: &[usize], n: &mut [i64]) {
        let (mut start, mut end) = ([0i64; N], [0i64; N]);
        for &cl in members {
            let at = (ix0 + cl) * N;
            let (s, e) = (
                &counts.steps_start[at..at + N],
                &counts.steps_end[at..at + N],
            );
            for j in 0..N {
                start[j] += s[j] as i64;
                end[j] += e[j] as i64;
            }
        }
        n[..N].copy_from_slice(&start);
        n[N..2 * N].copy_from_slice(&end);
    }
    match n_steps {
        1 => by::<1>(counts, ix0, members, n),
        2 => by::<2>(counts, ix0, members, n),
        3 => by::<3>(counts, ix0, members, n),
        4 => by::<4>(counts, ix0, members, n),
        5 => by::<5>(counts, ix0, members, n),
        6 => by::<6>(counts, ix0, members, n),
        _ => {
            n.fill(0);
            let (n_start, n_end) = n.split_at_mut(n_steps);
            for &cl in members {
                let cells = (ix0 + cl) * n_steps..(ix0 + cl + 1) * n_steps;
                for (x, &k) in n_start.iter_mut().zip(&counts.steps_start[cells.clone()]) {
                    *x += k as i64;
                }
                for (x, &k) in n_end.iter_mut().zip(&counts.steps_end[cells]) {
                    *x += k as i64;
                }
            }
        }
    }
}

/// What [`tally_all`] reads of a [`TallyKey`]: the classes of each group.
struct Shape {
    members: Vec<Vec<usize>>,
}

impl Shape {
    /// The classes of each of the key's groups, in class order.
    fn new(key: &TallyKey) -> Shape {
        let n_groups = key.group_of.iter().flatten().map(|&k| k + 1).max();
        let mut members = vec![Vec::new(); n_groups.unwrap_or(0)];
        for (cl, k) in key.group_of.iter().enumerate() {
            if let Some(k) = *k {
                members[k].push(cl);
            }
        }
        Shape { members }
    }
}

/// How one account books, made before the counts are tallied.
struct Plan {
    /// The held service whose holders the account credits (`while_served`), and the part of
    /// the amount not booked while it is held.
    held: Option<(usize, f64)>,
    price: f64,
    /// Months of a cycle in the account's amount unit.
    cm: f64,
    /// The amount of each group of classes.
    amounts: Vec<f64>,
    /// The group of each class (None where the account does not apply).
    group_of: Vec<Option<usize>>,
    refund: bool,
    /// The tallies (keys) of the states it books, in the order of its states.
    cells: Vec<usize>,
}

/// Book the accounts of arm `arm`. `effect_scale` scales the participants' override of a
/// consequence account linearly (base + X·(override − base)); overrides of investment
/// accounts are costs of the programme and are not scaled.
#[allow(clippy::too_many_arguments)]
pub fn book(
    sc: &Scenario,
    values: &[f64],
    arm: usize,
    lay: &Layout,
    classes: &ClassMap,
    counts: &ArmCounts,
    effect_scale: f64,
) -> Booked {
    let h = lay.horizon;
    let cm = lay.cycle_months as f64;
    let arm_def = &sc.arms[arm];
    let rates: Vec<f64> = sc
        .refusion
        .as_ref()
        .map(|r| r.steps.iter().map(|s| values[s.1]).collect())
        .unwrap_or_default();
    let n_steps = rates.len();
    let mut gross = Vec::with_capacity(sc.accounts.len());
    let mut refunded = Vec::with_capacity(sc.accounts.len());
    let mut units = Vec::with_capacity(sc.accounts.len());
    let mut served_credit = Vec::with_capacity(sc.accounts.len());
    let held_ids = crate::engine::compile::held_services(sc);
    let zero = sc.sim.count_time_zero;
    let mut keys: Vec<TallyKey> = Vec::new();
    let mut plans = Vec::with_capacity(sc.accounts.len());
    for (j, acc) in sc.accounts.iter().enumerate() {
        // While a held service is held, the amount is multiplied by the factor, scaled like
        // every effect: 1 + X·(factor − 1), so the placebo world changes nothing.
        let held: Option<(usize, f64)> = acc.while_served.as_ref().and_then(|w| {
            let t = held_ids.iter().position(|id| *id == w.service)?;
            (!counts.held_start.is_empty())
                .then(|| (t, 1.0 - (1.0 + effect_scale * (values[w.factor] - 1.0))))
        });
        let base = values[acc.amount];
        let over = arm_def
            .account_overrides
            .iter()
            .find(|(a, _)| *a == j)
            .map(|(_, p)| values[*p])
            .map(|o| {
                if acc.investment {
                    o
                } else {
                    base + effect_scale * (o - base)
                }
            });
        let price = acc.price.map(|p| values[p]).unwrap_or(1.0);
        // A states amount is per `per_months` months; a cycle holds `cm` months.
        let cm = cm / acc.per_months;
        // Amount per class (None where the account does not apply).
        let per_class: Vec<Option<f64>> = (0..lay.n_classes)
            .map(|cl| {
                if !classes.applies(sc, j, cl) {
                    None
                } else if cl & 1 == 1 {
                    Some(over.unwrap_or(base))
                } else {
                    Some(base)
                }
            })
            .collect();
        let refund = acc.refusion && n_steps > 0 && !counts.steps_start.is_empty();
        // The classes that book the same amount are merged into one group, in the order the
        // classes first book it; the grouping is the same in every (cycle, state) cell, so it
        // is made once per account. `group_of[cl]` is None where the account does not apply.
        let mut amounts: Vec<f64> = Vec::new();
        let group_of: Vec<Option<usize>> = per_class
            .iter()
            .map(|amt| {
                let amt = (*amt)?;
                Some(
                    match amounts.iter().position(|a| a.to_bits() == amt.to_bits()) {
                        Some(k) => k,
                        None => {
                            amounts.push(amt);
                            amounts.len() - 1
                        }
                    },
                )
            })
            .collect();
        // The tallies of each booked state, shared with other accounts where they can be.
        let mut cells = Vec::new();
        if let Basis::States(states) = &acc.basis {
            for &cell in states {
                let key = TallyKey {
                    cell,
                    group_of: group_of.clone(),
                    held: held.map(|(t, _)| t),
                    refund,
                };
                cells.push(match keys.iter().position(|k| *k == key) {
                    Some(at) => at,
                    None => {
                        keys.push(key);
                        keys.len() - 1
                    }
                });
            }
        }
        plans.push(Plan {
            held,
            price,
            cm,
            amounts,
            group_of,
            refund,
            cells,
        });
    }
    let tallies = tally_all(lay, counts, zero, &keys, held_ids.len(), &rates);
    let (ws, we) = match sc.sim.counting {
        Counting::Start => (1.0, 0.0),
        Counting::End => (0.0, 1.0),
        Counting::HalfCycle => (0.5, 0.5),
    };
    for (acc, plan) in sc.accounts.iter().zip(&plans) {
        let Plan {
            held,
            price,
            cm,
            ref amounts,
            ref group_of,
            refund,
            ref cells,
        } = *plan;
        // Citizens moved per group (transition accounts), summed as integers like the tallies.
        let mut flow_n: Vec<i64> = vec![0; amounts.len()];
        let cells: Vec<&[Tally]> = cells.iter().map(|&at| &tallies[at][..]).collect();
        let ng = amounts.len();
        // Per cycle: the amount, the reimbursed part and the credit for a held service, each
        // summed over the cells and groups in their order (cell by cell, every cycle at a
        // time: each cycle's sum takes its terms in the same order as one cycle at a time).
        let mut g_series = vec![0.0; h];
        let mut r_series = vec![0.0; h];
        let mut u_series = vec![0.0; h];
        let mut c_series = vec![0.0; h];
        if let (Basis::States(_), true) = (&acc.basis, ng > 0) {
            for cell in &cells {
                for (m, tallies) in cell.chunks_exact(ng).enumerate().take(h) {
                    let (g, r, credit) = (&mut g_series[m], &mut r_series[m], &mut c_series[m]);
                    for (&amount, t) in amounts.iter().zip(tallies) {
                        *g += (ws * t.start + we * t.end) * amount * cm;
                        if let Some((_, cut)) = held {
                            *credit += (ws * t.held_start + we * t.held_end) * amount * cm * cut;
                        }
                        if refund {
                            *r += ws * amount * cm * t.part_start;
                            *r += we * amount * cm * t.part_end;
                        }
                    }
                }
            }
        }
        // The flows a transition account books, (chain, from, to) in the order of its moves:
        // from the one state, or from every other state.
        let flows: Vec<(usize, usize, usize)> = match &acc.basis {
            Basis::States(_) => Vec::new(),
            Basis::Transitions(moves) => moves
                .iter()
                .flat_map(|&(c, from, to)| {
                    (0..lay.chain_size[c])
                        .filter(move |&f| match from {
                            Some(x) => f == x,
                            None => f != to,
                        })
                        .map(move |f| (c, f, to))
                })
                .collect(),
        };
        for m in 0..h {
            let (mut g, r, credit) = (g_series[m], r_series[m], c_series[m]);
            for &(c, f, to) in &flows {
                flow_n.fill(0);
                // The classes of a (cycle, flow) cell are contiguous.
                let ix0 = lay.flow_ix(m, c, f, to, 0);
                for (cl, k) in group_of.iter().enumerate() {
                    let Some(k) = *k else { continue };
                    flow_n[k] += counts.flows[ix0 + cl] as i64;
                }
                g += amounts
                    .iter()
                    .zip(&flow_n)
                    .map(|(amount, &n)| amount * n as f64)
                    .sum::<f64>();
            }
            let share = window_share(acc.window, m, lay.cycle_months);
            u_series[m] = (g - credit) * share;
            g_series[m] = (g - credit) * price * share;
            r_series[m] = r * price * share;
            c_series[m] = credit * price * share;
        }
        gross.push(g_series);
        refunded.push(r_series);
        units.push(u_series);
        served_credit.push(c_series);
    }
    Booked {
        gross,
        refunded,
        units,
        while_served: served_credit,
    }
}

/// Citizen-weighted reimbursed share of `n` citizens whose refusion steps are counted in
/// `steps` (scaled to `n` when they differ, e.g. starters not counted in their entry cycle).
fn refunded_part(steps: &[f64], n: f64, rates: &[f64]) -> f64 {
    let total: f64 = steps.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let weighted: f64 = steps.iter().zip(rates).map(|(c, r)| c * r).sum();
    if total == n {
        weighted
    } else {
        weighted * n / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_summed_over_a_groups_classes_whatever_their_number() {
        // Every number of steps, the sizes known when compiled and the rest, over cells of
        // three classes of which a group holds the first and the last.
        for n_steps in 1..=9 {
            let cells = 2 * 3 * n_steps;
            let count = |k: usize, salt: usize| ((k * 7 + salt) % 11) as u32;
            let c = ArmCounts {
                steps_start: (0..cells).map(|k| count(k, 1)).collect(),
                steps_end: (0..cells).map(|k| count(k, 5)).collect(),
                ..ArmCounts::default()
            };
            let (ix0, members) = (3, [0, 2]);
            let mut n = vec![-1; 2 * n_steps];
            sum_steps(&c, ix0, &members, n_steps, &mut n);
            for j in 0..n_steps {
                let at = |cl: usize| (ix0 + cl) * n_steps + j;
                let start: i64 = members.iter().map(|&cl| c.steps_start[at(cl)] as i64).sum();
                let end: i64 = members.iter().map(|&cl| c.steps_end[at(cl)] as i64).sum();
                assert_eq!(
                    (n[j], n[n_steps + j]),
                    (start, end),
                    "{n_steps} steps, step {j}"
                );
            }
        }
    }

    /// Counts of one chain of two states over two cycles, four classes, one held service and
    /// two refusion steps, filled by (cycle, class) for state 0 (state 1 stays empty).
    fn counts(lay: &Layout) -> ArmCounts {
        let cells = lay.horizon * lay.n_states * lay.n_classes;
        let mut c = ArmCounts {
            end: vec![0; cells],
            new: vec![0; cells],
            held_start: vec![0; cells],
            held_end: vec![0; cells],
            steps_start: vec![0; lay.horizon * lay.n_clock * lay.n_classes * 2],
            steps_end: vec![0; lay.horizon * lay.n_clock * lay.n_classes * 2],
            ..ArmCounts::default()
        };
        let per_class = |m: usize, v: [u32; 4], out: &mut Vec<u32>| {
            for (cl, n) in v.into_iter().enumerate() {
                out[lay.state_ix(m, 0, 0, cl)] = n;
            }
        };
        per_class(0, [1, 2, 0, 3], &mut c.new);
        per_class(1, [1, 0, 0, 0], &mut c.new);
        per_class(0, [1, 1, 0, 2], &mut c.end);
        per_class(1, [2, 1, 0, 2], &mut c.end);
        per_class(0, [1, 0, 7, 1], &mut c.held_start);
        per_class(0, [0, 1, 7, 2], &mut c.held_end);
        // Refusion steps at the start and at the end of cycle 0, two per class.
        let steps = |v: [[u32; 2]; 4], out: &mut Vec<u32>| {
            for (cl, n) in v.into_iter().enumerate() {
                let ix = (lay.clock_ix(0, 0, 0).expect("on the clock") + cl) * 2;
                out[ix..ix + 2].copy_from_slice(&n);
            }
        };
        steps([[1, 0], [0, 2], [5, 5], [2, 1]], &mut c.steps_start);
        steps([[1, 0], [1, 0], [5, 5], [1, 0]], &mut c.steps_end);
        c
    }

    /// Tallies against hand-computed sums: classes 0 and 3 book one amount, class 1 another,
    /// class 2 nothing; the citizens at the start of a cycle are those at the end of the one
    /// before, plus the starters only with `count_time_zero`; the refunded share is weighted
    /// by the steps and scaled to the citizens where the steps count fewer.
    #[test]
    fn tallies_sum_the_classes_of_each_group_by_hand() {
        // The clock runs in state 0 only.
        let lay = Layout::new(vec![2], 2, 4, 1, &[vec![true, false]]);
        let counts = counts(&lay);
        // Classes 0 and 3 in one group, class 1 in another, class 2 in none.
        let key_of = |cell, held, refund| TallyKey {
            cell,
            group_of: vec![Some(0), Some(1), None, Some(0)],
            held,
            refund,
        };
        let key = key_of((0, 0), Some(0), true);
        let rates = [0.5, 0.25];
        let t = tally_all(&lay, &counts, true, &[key], 1, &rates);
        let got: Vec<[f64; 6]> = t[0]
            .iter()
            .map(|t| {
                [
                    t.start,
                    t.end,
                    t.held_start,
                    t.held_end,
                    t.part_start,
                    t.part_end,
                ]
            })
            .collect();
        // (cycle 0, group 0), (0, 1), (1, 0), (1, 1).
        let want = [
            // Start 1 + 3 starters; steps at the start 3 and 1: 3·0.5 + 1·0.25; at the end
            // 2 and 0 for 3 citizens: 2·0.5 · 3/2.
            [4.0, 3.0, 2.0, 2.0, 1.75, 1.5],
            [2.0, 1.0, 0.0, 1.0, 0.5, 0.5],
            // The 3 at the end of cycle 0 and 1 starter; no steps counted: nothing refunded.
            [4.0, 4.0, 0.0, 0.0, 0.0, 0.0],
            [1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        ];
        assert_eq!(got, want);
        // Without `count_time_zero` the starters are not counted at the start.
        let key = key_of((0, 0), None, false);
        let t = tally_all(&lay, &counts, false, &[key], 1, &rates);
        let starts: Vec<[f64; 2]> = t[0].iter().map(|t| [t.start, t.end]).collect();
        assert_eq!(starts, [[0.0, 3.0], [0.0, 1.0], [3.0, 4.0], [1.0, 1.0]]);
        // State 1 has no place in the refusion-step counts (the clock does not run there):
        // its citizens are counted, nothing is refunded, and nothing is read from the steps
        // of state 0.
        let mut counts = counts;
        for cl in 0..4 {
            counts.end[lay.state_ix(0, 0, 1, cl)] = 2;
        }
        let key = key_of((0, 1), None, true);
        let t = tally_all(&lay, &counts, true, &[key], 1, &rates);
        let got: Vec<[f64; 3]> = t[0]
            .iter()
            .map(|t| [t.end, t.part_start, t.part_end])
            .collect();
        assert_eq!(
            got,
            [
                [4.0, 0.0, 0.0],
                [2.0, 0.0, 0.0],
                [0.0, 0.0, 0.0],
                [0.0, 0.0, 0.0]
            ]
        );
    }
}
