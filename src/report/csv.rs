//! The CSV outputs: occupancy, housing, flows, cash flows and non-DKK quantities. Ids are
//! checked to be plain (letters, digits, `_`, `-`), so no field needs quoting.

use crate::economics::business_case::PERSPECTIVES;
use crate::montecarlo::Results;
use crate::scenario::{COURSE, HOUSING, Scenario};
use std::fmt::Write;

/// Month number at the end of cycle `cycle`.
fn month_end(sc: &Scenario, cycle: usize) -> u32 {
    (cycle as u32 + 1) * sc.sim.cycle_months
}

fn occupancy_of(sc: &Scenario, res: &Results, chain: usize) -> String {
    let mut s = String::from("arm,month,state,mean,p025,p975\n");
    // One replication gives no interval: the percentile columns stay empty.
    let one = res.replications() < 2;
    for (a, arm) in sc.arms.iter().enumerate() {
        for m in 0..res.layout.horizon {
            for (si, st) in sc.chains[chain].states.iter().enumerate() {
                let h = res.occupancy_cell(a, m, chain, si);
                let (lo, hi) = if one {
                    (String::new(), String::new())
                } else {
                    (h.quantile(0.025).to_string(), h.quantile(0.975).to_string())
                };
                let _ = writeln!(
                    s,
                    "{},{},{},{:.4},{lo},{hi}",
                    arm.id,
                    month_end(sc, m),
                    st.id,
                    h.mean(),
                );
            }
        }
    }
    s
}

/// `occupancy.csv`: `arm,month,state,mean,p025,p975` — citizens in each course state at the end
/// of each month (cycle), over replications.
pub fn occupancy(sc: &Scenario, res: &Results) -> String {
    occupancy_of(sc, res, COURSE)
}

/// `housing.csv`: the same for housing-support levels.
pub fn housing(sc: &Scenario, res: &Results) -> String {
    occupancy_of(sc, res, HOUSING)
}

/// `flows.csv`: `arm,month,dimension,from,to,mean` — mean moves per replication during each
/// month (cycle); only moves that happen at all.
pub fn flows(sc: &Scenario, res: &Results) -> String {
    let mut s = String::from("arm,month,dimension,from,to,mean\n");
    for (a, arm) in sc.arms.iter().enumerate() {
        for m in 0..res.layout.horizon {
            for (c, chain) in sc.chains.iter().enumerate() {
                for e in &chain.edges {
                    let v = res.flow_mean(a, m, c, e.from, e.to);
                    if v > 0.0 {
                        let _ = writeln!(
                            s,
                            "{},{},{},{},{},{:.4}",
                            arm.id,
                            month_end(sc, m),
                            chain.name,
                            chain.states[e.from].id,
                            chain.states[e.to].id,
                            v
                        );
                    }
                }
                // Moves at a planned length go where `on_max` sends them, which need not be
                // an edge; list those too.
                for (si, st) in chain.states.iter().enumerate() {
                    if let Some(on_max) = &st.on_max {
                        for &(to, _) in on_max {
                            if chain.edge(si, to).is_none() {
                                let v = res.flow_mean(a, m, c, si, to);
                                if v > 0.0 {
                                    let _ = writeln!(
                                        s,
                                        "{},{},{},{},{},{:.4}",
                                        arm.id,
                                        month_end(sc, m),
                                        chain.name,
                                        st.id,
                                        chain.states[to].id,
                                        v
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    s
}

/// Cycles grouped by calendar year: (year, cycles).
pub fn years(sc: &Scenario, horizon: usize) -> Vec<(i32, Vec<usize>)> {
    let mut out: Vec<(i32, Vec<usize>)> = Vec::new();
    for m in 0..horizon {
        let y = sc.sim.calendar_year(m as u32 * sc.sim.cycle_months);
        match out.last_mut() {
            Some((yy, v)) if *yy == y => v.push(m),
            _ => out.push((y, vec![m])),
        }
    }
    out
}

/// `cashflows.csv`: `arm,year,account,payer,dkk_mean,dkk_discounted_mean` for DKK-valued
/// accounts, per calendar (budget) year.
pub fn cashflows(sc: &Scenario, res: &Results) -> String {
    let mut s = String::from("arm,year,account,payer,dkk_mean,dkk_discounted_mean\n");
    let n = res.replications().max(1) as f64;
    for (a, arm) in sc.arms.iter().enumerate() {
        for (year, cycles) in years(sc, res.layout.horizon) {
            for (j, acc) in sc.accounts.iter().enumerate() {
                if !acc.in_dkk() {
                    continue;
                }
                let sum =
                    |x: &Vec<Vec<Vec<f64>>>| cycles.iter().map(|&m| x[a][j][m]).sum::<f64>() / n;
                let v = sum(&res.amount_sums);
                let d = sum(&res.discounted_sums);
                if acc.refusion {
                    // The municipal share on the account's payer, the reimbursed share on the
                    // state; the discounted amount is split in the same proportion.
                    let r = sum(&res.refunded_sums);
                    let share = if v != 0.0 { r / v } else { 0.0 };
                    let _ = writeln!(
                        s,
                        "{},{},{},{},{:.2},{:.2}",
                        arm.id,
                        year,
                        acc.id,
                        acc.payer.id(),
                        v - r,
                        d * (1.0 - share)
                    );
                    let _ = writeln!(
                        s,
                        "{},{},{},state,{:.2},{:.2}",
                        arm.id,
                        year,
                        acc.id,
                        r,
                        d * share
                    );
                } else {
                    let _ = writeln!(
                        s,
                        "{},{},{},{},{:.2},{:.2}",
                        arm.id,
                        year,
                        acc.id,
                        acc.payer.id(),
                        v,
                        d
                    );
                }
            }
        }
    }
    s
}

/// `quantities.csv`: `arm,year,account,unit,mean` and more for accounts in another unit than
/// DKK (hours, employment months, QALYs); see [`super::quantities::csv`].
pub fn quantities(sc: &Scenario, res: &Results) -> String {
    super::quantities::csv(sc, res)
}

/// `business_case.csv`: `perspective,year,investment_dkk,savings_dkk,net_dkk,net_discounted_dkk,cumulative_discounted_dkk`
/// — the focus arm against control, mean over replications, per budget year.
pub fn business_case(sc: &Scenario, res: &Results) -> String {
    let mut s = String::from(
        "perspective,year,investment_dkk,savings_dkk,net_dkk,net_discounted_dkk,cumulative_discounted_dkk\n",
    );
    let arm = Results::focus_arm(sc);
    let Some(c) = &res.comparison_sums[arm] else {
        return s;
    };
    let n = res.replications().max(1) as f64;
    for (k, id) in PERSPECTIVES.iter().enumerate() {
        let mut cum = 0.0;
        for (year, cycles) in years(sc, res.layout.horizon) {
            let inv: f64 = cycles.iter().map(|&m| c.inv[k][m]).sum::<f64>() / n;
            let sav: f64 = cycles.iter().map(|&m| c.sav[k][m]).sum::<f64>() / n;
            let net_d: f64 = cycles
                .iter()
                .map(|&m| c.sav_d[k][m] - c.inv_d[k][m])
                .sum::<f64>()
                / n;
            cum += net_d;
            let _ = writeln!(
                s,
                "{id},{year},{inv:.2},{sav:.2},{:.2},{net_d:.2},{cum:.2}",
                sav - inv
            );
        }
    }
    s
}

/// `payers.csv`: `payer,year,investment_dkk,savings_dkk,net_dkk` — who pays and who saves,
/// per payer and budget year (the focus arm against control; refusion already split off to
/// the state).
pub fn payers(sc: &Scenario, res: &Results) -> String {
    let mut s = String::from("payer,year,investment_dkk,savings_dkk,net_dkk\n");
    let arm = Results::focus_arm(sc);
    let Some(c) = &res.comparison_sums[arm] else {
        return s;
    };
    let n = res.replications().max(1) as f64;
    for (p, payer) in crate::scenario::Payer::ALL.iter().enumerate() {
        for (year, cycles) in years(sc, res.layout.horizon) {
            let inv: f64 = cycles.iter().map(|&m| c.payer_inv[p][m]).sum::<f64>() / n;
            let sav: f64 = cycles.iter().map(|&m| c.payer_sav[p][m]).sum::<f64>() / n;
            let _ = writeln!(
                s,
                "{},{year},{inv:.2},{sav:.2},{:.2}",
                payer.id(),
                sav - inv
            );
        }
    }
    s
}

/// `staffing.csv`: `arm,month,service,fte,capacity,used,queue,mean_wait_months,demand` — per
/// month, mean over replications: the FTE staffed that month (a schedule or staffing to demand
/// varies it), and the demand (citizens eligible: holding or waiting); waiting months are those
/// of the citizens who got the service that month (0 when nobody did).
pub fn staffing(sc: &Scenario, res: &Results) -> String {
    let mut s = String::from("arm,month,service,fte,capacity,used,queue,mean_wait_months,demand\n");
    let n = res.replications().max(1) as f64;
    for (a, arm) in sc.arms.iter().enumerate() {
        let svs = crate::montecarlo::capacity_services(sc, a);
        for m in 0..res.layout.horizon {
            for (k, &si) in svs.iter().enumerate() {
                let row = res.staffing_sums[a][m * svs.len() + k];
                let wait = if row[3] > 0.0 { row[4] / row[3] } else { 0.0 };
                let _ = writeln!(
                    s,
                    "{},{},{},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4}",
                    arm.id,
                    month_end(sc, m),
                    arm.services[si].id,
                    row[crate::engine::ROW_FTE] / n,
                    row[0] / n,
                    row[1] / n,
                    row[2] / n,
                    wait,
                    row[crate::engine::ROW_DEMAND] / n
                );
            }
        }
    }
    s
}

/// `lines.csv`: `perspective,line,label,kind,year,mean_dkk,discounted_mean_dkk` — the focus
/// arm against control by business-case line, per perspective and budget year, mean over
/// replications. Both kinds are positive where they cost (`investment`) or save (`saving`), so
/// a perspective's saving rows minus its investment rows give its net (NPV when discounted).
/// Lines that are zero throughout a perspective are left out. Labels in `lang`.
pub fn lines(sc: &Scenario, res: &Results, lang: crate::report::format::Lang) -> String {
    let mut s = String::from("perspective,line,label,kind,year,mean_dkk,discounted_mean_dkk\n");
    let arm = Results::focus_arm(sc);
    let Some(c) = &res.line_sums[arm] else {
        return s;
    };
    let n = res.replications().max(1) as f64;
    let yrs = years(sc, res.layout.horizon);
    for (k, id) in PERSPECTIVES.iter().enumerate() {
        for (l, def) in res.lines.iter().enumerate() {
            let start = c.ix(l, k, 0);
            let all = &c.vd[start..start + c.horizon];
            let all_v = &c.v[start..start + c.horizon];
            if all.iter().chain(all_v).all(|x| *x == 0.0) {
                continue;
            }
            for (year, cycles) in &yrs {
                let v: f64 = cycles.iter().map(|&m| c.v[start + m]).sum::<f64>() / n;
                let d: f64 = cycles.iter().map(|&m| c.vd[start + m]).sum::<f64>() / n;
                let _ = writeln!(
                    s,
                    "{id},{},{},{},{year},{v:.2},{d:.2}",
                    def.id,
                    csv_text(def.label(lang == crate::report::format::Lang::Da)),
                    def.kind.id()
                );
            }
        }
    }
    s
}

/// A CSV field: quoted when it holds a comma, quote or line break.
fn csv_text(t: &str) -> String {
    if t.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t.to_string()
    }
}
