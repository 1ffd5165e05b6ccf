//! `summary.json`: the headline numbers of a run, keyed as in the output contract.

use crate::economics::business_case::{PERSPECTIVES, above_zero, detectable, payback_month};
use crate::engine::{ROW_DEMAND, ROW_FIRST_SERVED, ROW_FTE, StaffRow};
use crate::montecarlo::Results;
use crate::scenario::{COURSE, Payer, Scenario};
use crate::stats::Stat;
use serde_json::{Map, Value, json};

/// A stat `{mean, mcse, p025, p50, p975}` over replications. From one replication the MCSE and
/// the 95 % interval cannot be estimated: they are `null` (never 0), and `p50` is the one value.
pub fn stat(v: &[f64]) -> Value {
    let s = Stat::of(v);
    if v.len() < 2 {
        return json!({"mean": finite(s.mean), "mcse": null, "p025": null, "p50": finite(s.p50), "p975": null});
    }
    json!({
        "mean": finite(s.mean),
        "mcse": finite(s.mcse),
        "p025": finite(s.p025),
        "p50": finite(s.p50),
        "p975": finite(s.p975),
    })
}

/// A number, or `null` when it is not finite.
fn finite(v: f64) -> Value {
    if v.is_finite() { json!(v) } else { Value::Null }
}

/// How the MCSEs in summary.json were estimated: `replications` (the standard deviation across
/// replications ÷ √replications) or `none` (one replication: the MCSE is `null`).
pub fn mcse_basis(res: &Results) -> &'static str {
    if res.replications() >= 2 {
        "replications"
    } else {
        "none"
    }
}

/// Share of exits from the course (states marked `in_course`) by destination, over the horizon
/// and replications; `None` when nobody left.
pub fn leaver_mix(sc: &Scenario, res: &Results, arm: usize) -> Option<Vec<(usize, f64)>> {
    let chain = &sc.chains[COURSE];
    let mut by_dest = vec![0.0; chain.states.len()];
    for m in 0..res.layout.horizon {
        for (f, fs) in chain.states.iter().enumerate() {
            if !fs.in_course {
                continue;
            }
            for (t, ts) in chain.states.iter().enumerate() {
                if !ts.in_course {
                    by_dest[t] += res.flow_mean(arm, m, COURSE, f, t);
                }
            }
        }
    }
    let total: f64 = by_dest.iter().sum();
    (total > 0.0).then(|| {
        by_dest
            .iter()
            .enumerate()
            .filter(|(t, _)| !chain.states[*t].in_course)
            .map(|(t, v)| (t, v / total))
            .collect()
    })
}

/// Warnings worth a user's attention (empty when none).
pub fn warnings(sc: &Scenario, res: &Results) -> Vec<String> {
    let mut w = sc.warnings.clone();
    if res.replications() < 2 {
        w.push(
            "one replication: Monte Carlo standard errors and 95 % intervals cannot be estimated; they are null in summary.json (mcse_basis \"none\"); use --replications 200 or more for results you report".into(),
        );
    } else if res.replications() < 30 {
        w.push(format!(
            "only {} replications: intervals and standard errors are rough; use --replications 200 or more for results you report",
            res.replications()
        ));
    }
    // Monte Carlo precision of the headline: the compared arm's municipal NPV.
    let arm = Results::focus_arm(sc);
    let npv = res.npv_draws(arm, 3);
    let st = Stat::of(&npv);
    if res.replications() > 1 && st.mean.abs() > 0.0 && st.mcse > 0.05 * st.mean.abs() {
        let needed =
            (res.replications() as f64 * (st.mcse / (0.05 * st.mean.abs())).powi(2)).ceil();
        w.push(format!(
            "the municipal NPV's Monte Carlo standard error is {:.0} % of its mean; about {} replications would bring it to 5 %",
            100.0 * st.mcse / st.mean.abs(),
            needed
        ));
    }
    let unsourced = sc.unsourced().len();
    if unsourced > 0 {
        w.push(format!(
            "{unsourced} parameters have no source; `ressim check` lists them"
        ));
    }
    w
}

/// Mean discounted net per cycle of one perspective of arm `arm` against control.
pub fn mean_net_discounted(res: &Results, arm: usize, perspective: usize) -> Vec<f64> {
    let n = res.replications().max(1) as f64;
    match &res.comparison_sums[arm] {
        Some(c) => c.sav_d[perspective]
            .iter()
            .zip(&c.inv_d[perspective])
            .map(|(s, i)| (s - i) / n)
            .collect(),
        None => vec![0.0; res.layout.horizon],
    }
}

/// What the programme costs perspective `k` per participant (or per participant-year, the
/// years participants spend in the course states), per replication: its undiscounted
/// investment ÷ participants; replications without participants are left out.
pub fn cost_per_participant(res: &Results, arm: usize, k: usize, per_year: bool) -> Vec<f64> {
    let div = |r: &crate::montecarlo::RepScalars| {
        if per_year {
            r.participant_years.get(arm).copied().unwrap_or(0.0)
        } else {
            r.participants.get(arm).copied().unwrap_or(0) as f64
        }
    };
    res.reps
        .iter()
        .filter(|r| div(r) > 0.0)
        .map(|r| r.headlines[arm][k].investment / div(r))
        .collect()
}

/// The business case of arm `arm` against control, per perspective.
pub fn perspectives(
    sc: &Scenario,
    res: &Results,
    arm: usize,
    break_even: Option<&[Option<f64>; 8]>,
) -> Value {
    let mut out = Map::new();
    for (k, id) in PERSPECTIVES.iter().enumerate() {
        let col = |f: &dyn Fn(&crate::economics::business_case::Headline) -> f64| -> Vec<f64> {
            res.reps.iter().map(|r| f(&r.headlines[arm][k])).collect()
        };
        let npv = col(&|h| h.npv);
        let rois: Vec<Option<f64>> = res.reps.iter().map(|r| r.headlines[arm][k].roi()).collect();
        let roi = if !rois.is_empty() && rois.iter().all(Option::is_some) {
            stat(&rois.iter().flatten().copied().collect::<Vec<_>>())
        } else {
            Value::Null
        };
        let positive =
            npv.iter().filter(|v| above_zero(**v)).count() as f64 / npv.len().max(1) as f64;
        // A mean NPV within 2 MCSE of zero is no detectable effect: no payback, no break-even.
        let detect = detectable(&npv);
        let payback = payback_month(&mean_net_discounted(res, arm, k), sc.sim.cycle_months)
            .filter(|_| detect);
        let mut o = Map::new();
        o.insert("investment_dkk".into(), stat(&col(&|h| h.investment)));
        let per = |per_year: bool| -> Value {
            let v = cost_per_participant(res, arm, k, per_year);
            if v.is_empty() { Value::Null } else { stat(&v) }
        };
        o.insert("cost_per_participant_dkk".into(), per(false));
        o.insert("cost_per_participant_year_dkk".into(), per(true));
        o.insert("gross_savings_dkk".into(), stat(&col(&|h| h.savings)));
        // The discounted gross saving and the part of it that is replacement (the ordinary
        // effort the programme replaces, accounts with `while_served`); the rest is changed
        // outcomes.
        let savings_d =
            col(&|h| h.savings_d).iter().sum::<f64>() / res.replications().max(1) as f64;
        let replacement = replacement_of(sc, res, arm, k);
        let investment_d =
            col(&|h| h.investment_d).iter().sum::<f64>() / res.replications().max(1) as f64;
        o.insert("investment_discounted_dkk".into(), json!(investment_d));
        o.insert("gross_savings_discounted_dkk".into(), json!(savings_d));
        o.insert("replacement_discounted_dkk".into(), json!(replacement));
        o.insert(
            "replacement_share".into(),
            if savings_d.abs() > 0.5 {
                json!(replacement / savings_d)
            } else {
                Value::Null
            },
        );
        o.insert("net_dkk".into(), stat(&col(&|h| h.net)));
        o.insert("npv_dkk".into(), stat(&npv));
        o.insert("roi".into(), roi);
        o.insert("payback_month".into(), json!(payback));
        // The calendar month at whose end the payback is reached (month payback − 1, counted
        // from 0 like the scenario's months).
        o.insert(
            "payback_calendar_month".into(),
            json!(payback.map(|m| sc.sim.month_text(m.saturating_sub(1)))),
        );
        o.insert("p_positive_npv".into(), json!(positive));
        o.insert("effect_detectable".into(), json!(detect));
        if let Some(be) = break_even {
            o.insert(
                "break_even_effect_scale".into(),
                json!(be[k].filter(|_| detect)),
            );
        }
        o.insert("lines".into(), lines_of(res, arm, k));
        out.insert((*id).into(), Value::Object(o));
    }
    Value::Object(out)
}

/// The lines of arm `arm` in perspective `k` that are not zero in every replication, as
/// `(line index, discounted total per replication)`, in line order.
pub fn line_values(res: &Results, arm: usize, k: usize) -> Vec<(usize, Vec<f64>)> {
    let n = res.lines.len();
    (0..n)
        .map(|l| {
            let v: Vec<f64> = res
                .reps
                .iter()
                .map(|r| r.line_npv[arm].get(k * n + l).copied().unwrap_or(0.0))
                .collect();
            (l, v)
        })
        .filter(|(_, v)| v.iter().any(|x| *x != 0.0))
        .collect()
}

/// `lines` of one perspective: `[{line, label, label_en, kind, payer, discounted_dkk: stat}]`
/// (the label in Danish, the default language; `label_en` in English).
fn lines_of(res: &Results, arm: usize, k: usize) -> Value {
    Value::Array(
        line_values(res, arm, k)
            .into_iter()
            .map(|(l, v)| {
                let d = &res.lines[l];
                json!({
                    "line": d.id,
                    "label": d.label_da,
                    "label_en": d.label_en,
                    "kind": d.kind.id(),
                    "payer": d.payer.id(),
                    "discounted_dkk": stat(&v),
                })
            })
            .collect(),
    )
}

/// The `business_case` block.
pub fn business_case(sc: &Scenario, res: &Results, break_even: Option<&[Option<f64>; 8]>) -> Value {
    let focus = Results::focus_arm(sc);
    let mut block = Map::new();
    block.insert("arm".into(), json!(sc.arms[focus].id));
    block.insert("compared_with".into(), json!(sc.arms[0].id));
    block.insert("price_year".into(), json!(sc.sim.price_year));
    block.insert(
        "discount_rate".into(),
        json!(sc.params[sc.sim.discount_rate].param.central()),
    );
    block.insert(
        "perspectives".into(),
        perspectives(sc, res, focus, break_even),
    );
    block.insert(
        "net_cost_per_quantity".into(),
        super::quantities::ratios(sc, res, focus),
    );
    // What the compared arm did not book on accounts with `while_served` because citizens held
    // the service: the credit for the ordinary effort the house replaces or the support it
    // lowers (part of the gross saving on those accounts; the rest is changed outcomes).
    let n = res.replications().max(1) as f64;
    let credit: Vec<Value> = sc
        .accounts
        .iter()
        .enumerate()
        .filter_map(|(j, acc)| {
            let w = acc.while_served.as_ref()?;
            Some(json!({
                "account": acc.id,
                "label_da": acc.label_da,
                "label_en": acc.label_en,
                "payer": acc.payer,
                "service": w.service,
                "unit": if acc.in_dkk() { "dkk" } else { acc.unit.as_str() },
                "discounted_mean": res.while_served_sums[focus][j] / n,
            }))
        })
        .collect();
    block.insert("while_served_credit".into(), Value::Array(credit));
    if let Some(v) = full_phase_in(sc, res, focus) {
        block.insert("full_phase_in".into(), v);
    }
    if sc.arms.len() > 2 {
        let mut arms = Map::new();
        for a in 1..sc.arms.len() {
            let be = if a == focus { break_even } else { None };
            arms.insert(
                sc.arms[a].id.clone(),
                json!({ "perspectives": perspectives(sc, res, a, be) }),
            );
        }
        block.insert("arms".into(), Value::Object(arms));
    }
    Value::Object(block)
}

/// Staffing of one arm: per service `fte`, `utilisation_mean`, `max_queue`,
/// `mean_wait_months` (services modelled by cost only have no utilisation).
pub fn staffing_of(sc: &Scenario, res: &Results, arm: usize) -> Value {
    let n = res.replications().max(1) as f64;
    let svs = crate::montecarlo::capacity_services(sc, arm);
    let mut out = Map::new();
    for (si, sv) in sc.arms[arm].services.iter().enumerate() {
        let Some(k) = svs.iter().position(|&x| x == si) else {
            out.insert(
                sv.id.clone(),
                json!({
                    "label_da": sv.label_da, "label_en": sv.label_en,
                    "fte": sc.params[sv.fte].param.central(),
                    "kind": null, "utilisation_mean": null, "max_queue": null, "mean_wait_months": null,
                }),
            );
            continue;
        };
        let rows: Vec<StaffRow> = (0..res.layout.horizon)
            .map(|m| res.staffing_sums[arm][m * svs.len() + k])
            .collect();
        let cap: f64 = rows.iter().map(|r| r[0]).sum();
        let used: f64 = rows.iter().map(|r| r[1]).sum();
        let allocated: f64 = rows.iter().map(|r| r[3]).sum();
        let waited: f64 = rows.iter().map(|r| r[4]).sum();
        let served_first: f64 = rows.iter().map(|r| r[ROW_FIRST_SERVED]).sum::<f64>() / n;
        let offered = res
            .reps
            .iter()
            .map(|r| r.participants.get(arm).copied().unwrap_or(0) as f64)
            .sum::<f64>()
            / n;
        let participants_only = sv.capacity.as_ref().is_some_and(|c| c.participants_only);
        let months_staffed = rows.iter().filter(|r| r[0] > 0.0).count();
        // Mean FTE over the cycles staffed (FTE above 0 in some replication): with a schedule or
        // staffing to demand the FTE varies from month to month.
        let fte_cycles: Vec<f64> = rows
            .iter()
            .map(|r| r[ROW_FTE] / n)
            .filter(|f| *f > 0.0)
            .collect();
        let fte_mean = if fte_cycles.is_empty() {
            0.0
        } else {
            fte_cycles.iter().sum::<f64>() / fte_cycles.len() as f64
        };
        let fte_range = fte_cycles
            .iter()
            .fold((f64::INFINITY, 0.0f64), |(lo, hi), f| {
                (lo.min(*f), hi.max(*f))
            });
        out.insert(
            sv.id.clone(),
            json!({
                "label_da": sv.label_da,
                "label_en": sv.label_en,
                "kind": sv.capacity.as_ref().map(|c| c.kind),
                "fte": fte_mean,
                "fte_min": if fte_cycles.is_empty() { 0.0 } else { fte_range.0 },
                "fte_max": fte_range.1,
                "staffing": match &sv.staffing {
                    crate::scenario::Staffing::Fixed => "fixed",
                    crate::scenario::Staffing::Schedule(_) => "schedule",
                    crate::scenario::Staffing::Demand(_) => "demand",
                },
                "demand_mean": if months_staffed > 0 { rows.iter().map(|r| r[ROW_DEMAND]).sum::<f64>() / n / months_staffed as f64 } else { 0.0 },
                "capacity_mean": if months_staffed > 0 { cap / n / months_staffed as f64 } else { 0.0 },
                "utilisation_mean": if cap > 0.0 { used / cap } else { 0.0 },
                "max_queue": res.staffing_max_queue[arm][k],
                "mean_wait_months": if allocated > 0.0 { waited / allocated } else { 0.0 },
                "served_per_replication": allocated / n,
                "citizens_served": served_first,
                "mean_wait_months_of_served": if allocated > 0.0 { waited / allocated } else { 0.0 },
                "share_offered_never_served": if participants_only && offered > 0.0 { Some((1.0 - served_first / offered).max(0.0)) } else { None },
                "hours_per_citizen_month": hours_per_citizen(sv.capacity.as_ref().map(|c| c.kind), &rows, n),
            }),
        );
    }
    Value::Object(out)
}

/// Productive hours per FTE per year (docs/sources.md DK-1d: 1,600 h; an estimate).
pub const PRODUCTIVE_HOURS_PER_FTE_YEAR: f64 = 1600.0;

/// For a shared caseload (coordinating caseworkers): staff hours per citizen per month while
/// staffed — the FTE staffed × 1,600 h / 12 over the citizens it serves (used + waiting),
/// summed over the staffed cycles — so a caseload above the target shows as fewer hours per
/// citizen. None for other kinds. `rows` are sums over `n` replications.
fn hours_per_citizen(
    kind: Option<crate::scenario::ServiceKind>,
    rows: &[StaffRow],
    n: f64,
) -> Option<f64> {
    if kind != Some(crate::scenario::ServiceKind::Shared) {
        return None;
    }
    let staffed: Vec<&StaffRow> = rows.iter().filter(|r| r[0] > 0.0).collect();
    let demand: f64 = staffed.iter().map(|r| r[1] + r[2]).sum::<f64>() / n;
    let fte: f64 = staffed.iter().map(|r| r[ROW_FTE]).sum::<f64>() / n;
    (demand > 0.0).then(|| fte * PRODUCTIVE_HOURS_PER_FTE_YEAR / 12.0 / demand)
}

/// Build summary.json.
pub fn summary(sc: &Scenario, res: &Results, break_even: Option<&[Option<f64>; 8]>) -> Value {
    let chain = &sc.chains[COURSE];
    let mut arms = Map::new();
    for (a, arm) in sc.arms.iter().enumerate() {
        let mut outcomes = Map::new();
        let mut intervals = Map::new();
        for (s, st) in chain.states.iter().enumerate() {
            let shares: Vec<f64> = res.reps.iter().map(|r| r.end_share[a][s]).collect();
            let st_stat = Stat::of(&shares);
            outcomes.insert(st.id.clone(), json!(st_stat.mean));
            intervals.insert(
                st.id.clone(),
                if shares.len() < 2 {
                    json!({"p025": null, "p975": null})
                } else {
                    json!({"p025": st_stat.p025, "p975": st_stat.p975})
                },
            );
        }
        let mut leavers = Map::new();
        if let Some(mix) = leaver_mix(sc, res, a) {
            for (t, v) in mix {
                leavers.insert(chain.states[t].id.clone(), json!(v));
            }
        }
        let mut cost = Map::new();
        let mut cost_disc = Map::new();
        for (p, payer) in Payer::ALL.iter().enumerate() {
            let v: Vec<f64> = res.reps.iter().map(|r| r.total_by_payer[a][p]).collect();
            let d: Vec<f64> = res
                .reps
                .iter()
                .map(|r| r.discounted_by_payer[a][p])
                .collect();
            cost.insert(payer.id().into(), stat(&v));
            cost_disc.insert(payer.id().into(), stat(&d));
        }
        let participants: Vec<f64> = res.reps.iter().map(|r| r.participants[a] as f64).collect();
        arms.insert(
            arm.id.clone(),
            json!({
                "label_da": arm.label_da,
                "label_en": arm.label_en,
                "citizens": res.citizens,
                "participants": stat(&participants),
                "citizens_offered": participants.iter().sum::<f64>() / participants.len().max(1) as f64,
                "participant_years": stat(&res.reps.iter().map(|r| r.participant_years[a]).collect::<Vec<_>>()),
                "outcomes_at_end": outcomes,
                "outcomes_at_end_interval": intervals,
                "leavers_outcome_mix": leavers,
                "amounts_by_payer_dkk": cost,
                "amounts_by_payer_discounted_dkk": cost_disc,
                "quantities": super::quantities::of_arm(sc, res, a),
            }),
        );
    }
    // Difference of each arm against control, per payer, discounted (negative: the arm costs
    // that payer less).
    let mut diffs = Map::new();
    for (a, arm) in sc.arms.iter().enumerate().skip(1) {
        let mut per = Map::new();
        for (p, payer) in Payer::ALL.iter().enumerate() {
            let d: Vec<f64> = res
                .reps
                .iter()
                .map(|r| r.discounted_by_payer[a][p] - r.discounted_by_payer[0][p])
                .collect();
            per.insert(payer.id().into(), stat(&d));
        }
        diffs.insert(arm.id.clone(), Value::Object(per));
    }
    let o = &res.options;
    json!({
        "scenario": sc.name,
        "title": {"da": sc.title_da, "en": sc.title_en},
        "evidence": sc.evidence.as_ref().map(|e| e.level.id()),
        "seed": o.seed,
        "replications": res.replications(),
        "horizon_months": sc.sim.horizon_months(),
        "start": sc.sim.start_text(),
        "cycle_months": sc.sim.cycle_months,
        "price_year": sc.sim.price_year,
        "psa": o.psa,
        "mcse_basis": mcse_basis(res),
        "effect_scale": o.effect_scale,
        "conventions": {
            "counting": sc.sim.counting,
            "count_time_zero": sc.sim.count_time_zero,
            "discounting": sc.sim.discounting,
            "discount_start": sc.sim.discount_start,
        },
        "arms": arms,
        "difference_vs_control_discounted_dkk": diffs,
        "difference_vs_control_quantities": super::quantities::differences(sc, res),
        "business_case": business_case(sc, res, break_even),
        "staffing": staffing_of(sc, res, Results::focus_arm(sc)),
        "staffing_by_arm": sc.arms.iter().enumerate().map(|(a, arm)| (arm.id.clone(), staffing_of(sc, res, a))).collect::<Map<String, Value>>(),
        "warnings": warnings(sc, res),
    })
}

/// The part of perspective `k`'s mean discounted gross saving that is replacement: what arm
/// `arm` did not book on accounts with `while_served` because its citizens held the service,
/// on the perspective's payers.
pub fn replacement_of(sc: &Scenario, res: &Results, arm: usize, k: usize) -> f64 {
    let payers = crate::economics::business_case::payers_of(k);
    let n = res.replications().max(1) as f64;
    sc.accounts
        .iter()
        .enumerate()
        .filter(|(_, acc)| acc.while_served.is_some() && acc.in_dkk())
        .filter(|(_, acc)| {
            payers.contains(&crate::economics::business_case::payer_index(acc.payer))
        })
        .map(|(j, _)| res.while_served_sums[arm][j] / n)
        .sum()
}

/// The investment-case view of a standing programme (`[scenario] full_phase_in`): per payer
/// and the municipality, the mean undiscounted investment, gross saving and net saving a
/// budget year over the full-phase-in years. None when the scenario names no such years.
pub fn full_phase_in(sc: &Scenario, res: &Results, arm: usize) -> Option<Value> {
    let (from, to) = sc.full_phase_in?;
    let c = res.comparison_sums.get(arm)?.as_ref()?;
    let n = res.replications().max(1) as f64;
    let cycles: Vec<usize> = super::csv::years(sc, res.layout.horizon)
        .into_iter()
        .filter(|(y, _)| (from..=to).contains(y))
        .flat_map(|(_, m)| m)
        .collect();
    let years = f64::from(to - from + 1);
    let per_year = |payers: &[usize]| {
        let sum = |series: &Vec<Vec<f64>>| -> f64 {
            payers
                .iter()
                .map(|&p| cycles.iter().map(|&m| series[p][m]).sum::<f64>())
                .sum::<f64>()
                / n
                / years
        };
        let inv = sum(&c.payer_inv);
        let sav = sum(&c.payer_sav);
        json!({
            "investment_dkk_per_year": inv,
            "gross_savings_dkk_per_year": sav,
            "net_dkk_per_year": sav - inv,
        })
    };
    let mut by = Map::new();
    for (p, payer) in Payer::ALL.iter().enumerate().take(5) {
        by.insert(payer.id().into(), per_year(&[p]));
    }
    by.insert("municipality".into(), per_year(&[0, 1, 2]));
    Some(json!({ "from_year": from, "to_year": to, "per_payer": Value::Object(by) }))
}
