//! Staffing sweeps: the same scenario at every point of a grid of staffing levels, on the same
//! citizens and random numbers (common random numbers), so that differences between points
//! come from the staffing and the curves are smooth.

use crate::economics::business_case::{PERSPECTIVES, above_zero};
use crate::error::{Error, Result};
use crate::montecarlo::{self, Results, RunOptions};
use crate::report::summary;
use crate::scenario::{COURSE, Scenario};
use crate::stats::Stat;
use std::fmt::Write;

pub use crate::args::Vary;

/// One grid point's results.
#[derive(Debug, Clone)]
pub struct Point {
    /// FTE per varied service.
    pub staff: Vec<f64>,
    /// The run.
    pub results: Results,
}

/// The cartesian product of the varied values, first service slowest.
pub fn grid(vary: &[Vary]) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = vec![vec![]];
    for v in vary {
        out = out
            .into_iter()
            .flat_map(|p| {
                v.values.iter().map(move |x| {
                    let mut q = p.clone();
                    q.push(*x);
                    q
                })
            })
            .collect();
    }
    out
}

/// Run every grid point, all in one pass over the replications ([`montecarlo::run_points`]:
/// control simulated once per replication; each point's results are a whole run's).
/// `progress(done, total)` is called as replications are done.
pub fn run(
    sc: &Scenario,
    opts: &RunOptions,
    vary: &[Vary],
    progress: &(dyn Fn(u32, u32) + Sync),
) -> Result<Vec<Point>> {
    for v in vary {
        let mut probe = sc.clone();
        let id = v
            .service
            .strip_suffix(crate::scenario::TARGET_SUFFIX)
            .unwrap_or(&v.service);
        probe.set_staff(id, 0.0).map_err(Error::Usage)?;
    }
    let staffs = grid(vary);
    let mut scenarios = Vec::with_capacity(staffs.len());
    for staff in &staffs {
        let mut s = sc.clone();
        for (v, &x) in vary.iter().zip(staff) {
            s.set_staff_level(&v.service, x).map_err(Error::Usage)?;
        }
        scenarios.push(s);
    }
    let results = montecarlo::run_points(&scenarios, opts, progress)?;
    Ok(staffs
        .into_iter()
        .zip(results)
        .map(|(staff, results)| Point { staff, results })
        .collect())
}

/// `sweep.csv`: one row per grid point — the varied FTE, the focus arm's shares in each course
/// state at the horizon, utilisation and longest queue of each service with capacity, and the
/// NPV per perspective (mean, 2.5 and 97.5 percentiles) with the probability it is positive.
pub fn csv(sc: &Scenario, vary: &[Vary], points: &[Point]) -> String {
    let arm = Results::focus_arm(sc);
    let svs = montecarlo::capacity_services(sc, arm);
    let mut s = String::new();
    // `ID.target_caseload` varies a demand-staffed service's target caseload.
    let mut head: Vec<String> = vary
        .iter()
        .map(
            |v| match v.service.strip_suffix(crate::scenario::TARGET_SUFFIX) {
                Some(id) => format!("{id}_target_caseload"),
                None => format!("{}_fte", v.service),
            },
        )
        .collect();
    head.extend(
        sc.chains[COURSE]
            .states
            .iter()
            .map(|st| format!("share_{}", st.id)),
    );
    for &k in &svs {
        let id = &sc.arms[arm].services[k].id;
        head.push(format!("{id}_utilisation"));
        head.push(format!("{id}_max_queue"));
        head.push(format!("{id}_mean_wait_months"));
    }
    for p in PERSPECTIVES {
        head.extend([
            format!("npv_{p}_mean"),
            format!("npv_{p}_p025"),
            format!("npv_{p}_p975"),
            format!("p_positive_npv_{p}"),
        ]);
    }
    let _ = writeln!(s, "{}", head.join(","));
    for pt in points {
        let r = &pt.results;
        let mut row: Vec<String> = pt.staff.iter().map(|x| format!("{x}")).collect();
        let n = r.replications().max(1) as f64;
        for si in 0..sc.chains[COURSE].states.len() {
            let m: f64 = r.reps.iter().map(|x| x.end_share[arm][si]).sum::<f64>() / n;
            row.push(format!("{m:.6}"));
        }
        let staffing = summary::staffing_of(sc, r, arm);
        for &k in &svs {
            let st = &staffing[&sc.arms[arm].services[k].id];
            for key in ["utilisation_mean", "max_queue", "mean_wait_months"] {
                row.push(format!("{:.4}", st[key].as_f64().unwrap_or(0.0)));
            }
        }
        for k in 0..PERSPECTIVES.len() {
            let npv = r.npv_draws(arm, k);
            let st = Stat::of(&npv);
            let pos = npv.iter().filter(|v| above_zero(**v)).count() as f64 / n;
            row.extend([
                format!("{:.2}", st.mean),
                format!("{:.2}", st.p025),
                format!("{:.2}", st.p975),
                format!("{pos:.4}"),
            ]);
        }
        let _ = writeln!(s, "{}", row.join(","));
    }
    s
}

/// The point with the highest mean NPV for `perspective`, and the one with the least total
/// FTE whose mean NPV is within 5 % of it (NPV ≥ best − 0.05·|best|).
pub fn best(sc: &Scenario, points: &[Point], perspective: usize) -> Option<(usize, usize)> {
    let arm = Results::focus_arm(sc);
    let npv: Vec<f64> = points
        .iter()
        .map(|p| {
            let n = p.results.replications().max(1) as f64;
            p.results.npv_draws(arm, perspective).iter().sum::<f64>() / n
        })
        .collect();
    let best = (0..npv.len()).max_by(|&a, &b| npv[a].total_cmp(&npv[b]).then(b.cmp(&a)))?;
    let bar = npv[best] - 0.05 * npv[best].abs();
    let total = |i: usize| points[i].staff.iter().sum::<f64>();
    let lean = (0..npv.len())
        .filter(|&i| npv[i] >= bar)
        .min_by(|&a, &b| total(a).total_cmp(&total(b)).then(a.cmp(&b)))?;
    Some((best, lean))
}

/// The sweep chart: mean NPV of `perspective` (with its 95 % interval) against the first
/// varied service's FTE — one line per value of the second varied service, if there is one;
/// its texts in `lang`.
pub fn chart(
    sc: &Scenario,
    vary: &[Vary],
    points: &[Point],
    perspective: usize,
    lang: crate::report::format::Lang,
) -> crate::report::charts::Lines {
    let arm = Results::focus_arm(sc);
    let mut series: Vec<(String, crate::report::charts::LinePoints)> = Vec::new();
    for p in points {
        let name = match (vary.get(1), p.staff.get(1)) {
            (Some(v), Some(x)) => format!("{}={x}", v.service),
            _ => crate::report::html::payer_name(PERSPECTIVES[perspective], lang),
        };
        let npv = p.results.npv_draws(arm, perspective);
        let st = Stat::of(&npv);
        let pt = (p.staff[0], st.mean, Some((st.p025, st.p975)));
        match series.iter_mut().find(|s| s.0 == name) {
            Some(s) => s.1.push(pt),
            None => series.push((name, vec![pt])),
        }
    }
    crate::report::charts::Lines {
        title: match lang {
            crate::report::format::Lang::Da => format!(
                "Nutidsværdi for {} mod bemandingen (gennemsnit, 95 %-interval)",
                crate::report::explain::perspective_noun(perspective, lang)
            ),
            crate::report::format::Lang::En => format!(
                "NPV ({}) against staffing (mean, 95 % interval)",
                PERSPECTIVES[perspective]
            ),
        },
        x_label: format!(
            "{} (FTE)",
            vary.first().map(|v| v.service.as_str()).unwrap_or("")
        ),
        y_label: lang.pick("Nutidsværdi (kr.)", "NPV (DKK)").into(),
        series,
        y_format: crate::report::charts::mio,
        x_format: crate::report::charts::decimal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_the_cartesian_product() {
        let g = grid(&[
            Vary {
                service: "a".into(),
                values: vec![1.0, 2.0],
            },
            Vary {
                service: "b".into(),
                values: vec![5.0, 6.0, 7.0],
            },
        ]);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], vec![1.0, 5.0]);
        assert_eq!(g[5], vec![2.0, 7.0]);
    }
}
