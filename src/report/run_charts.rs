//! The charts of a run, written as SVG and PNG into the output folder: citizens by state over
//! time per arm, outcome shares at the horizon, cumulative discounted net per perspective with
//! its 95 % band, net per payer and budget year, the distribution of the NPV, and staffing
//! utilisation.

use super::charts::{self, Bars, Chart, Histogram, LinePoints, Lines};
use super::format::Lang;
use super::html::payer_name;
use crate::error::Result;
use crate::montecarlo::Results;
use crate::scenario::{COURSE, Payer, Scenario};
use crate::stats::quantile_sorted;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend};
use rayon::prelude::*;
use std::path::Path;

/// One of the run's charts.
enum Spec {
    Lines(Lines),
    Bars(Bars),
    Histogram(Histogram),
}

impl Chart for Spec {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        match self {
            Spec::Lines(c) => c.draw(root),
            Spec::Bars(c) => c.draw(root),
            Spec::Histogram(c) => c.draw(root),
        }
    }
}

/// A chart to draw: file stem, caption, size in pixels and what to draw.
struct Planned {
    stem: String,
    caption: String,
    size: (u32, u32),
    chart: Spec,
}

/// Write every chart into `dir`; returns (id: caption, SVG text) for the HTML report.
///
/// The charts are planned one after the other and then drawn at the same time, each SVG and
/// each PNG a task of its own; the files are the same whatever the number of cores.
pub fn write_all(
    sc: &Scenario,
    res: &Results,
    dir: &Path,
    lang: Lang,
) -> Result<Vec<(String, String)>> {
    let planned = plan(sc, res, lang);
    let (svgs, pngs) = rayon::join(
        || {
            planned
                .par_iter()
                .map(|p| charts::write_svg(dir, &p.stem, p.size, &p.chart))
                .collect::<Result<Vec<String>>>()
        },
        || {
            planned
                .par_iter()
                .map(|p| charts::write_png(dir, &p.stem, p.size, &p.chart))
                .collect::<Result<()>>()
        },
    );
    pngs?;
    Ok(planned
        .iter()
        .zip(svgs?)
        .map(|(p, svg)| (format!("{}: {}", p.stem, p.caption), svg))
        .collect())
}

/// The run's charts, in the report's order.
fn plan(sc: &Scenario, res: &Results, lang: Lang) -> Vec<Planned> {
    let da = lang == Lang::Da;
    let mut out = Vec::new();
    let focus = Results::focus_arm(sc);
    let n = res.replications().max(1) as f64;
    let h = res.layout.horizon;
    let cm = sc.sim.cycle_months as f64;
    // Numbers in the report's format, names instead of ids.
    let (mio, count) = if da {
        (
            charts::mio_da as fn(f64) -> String,
            charts::count_da as fn(f64) -> String,
        )
    } else {
        (
            charts::mio as fn(f64) -> String,
            charts::count as fn(f64) -> String,
        )
    };
    let arm_label = |a: usize| -> String {
        let arm = &sc.arms[a];
        let l = if da { &arm.label_da } else { &arm.label_en };
        if l.trim().is_empty() {
            arm.id.clone()
        } else {
            l.clone()
        }
    };
    let state_label = |st: &crate::scenario::State| -> String {
        let l = if da { &st.label_da } else { &st.label_en };
        if l.trim().is_empty() {
            st.id.clone()
        } else {
            l.clone()
        }
    };
    let mut add = |stem: &str, caption: String, size: (u32, u32), chart: Spec| {
        out.push(Planned {
            stem: stem.to_string(),
            caption,
            size,
            chart,
        })
    };

    // Cumulative discounted net, mean by month with the 95 % band at each year end.
    let persp = [(3usize, "municipality"), (6, "public"), (7, "society")];
    let net = Lines {
        title: if da {
            "Akkumuleret diskonteret netto (95 %-bånd)"
        } else {
            "Cumulative discounted net (95 % band)"
        }
        .into(),
        x_label: if da { "måned" } else { "month" }.into(),
        y_label: if da { "kr." } else { "DKK" }.into(),
        series: persp
            .iter()
            .map(|&(k, id)| {
                let mean = super::summary::mean_net_discounted(res, focus, k);
                let mut cum = 0.0;
                let pts: LinePoints = mean
                    .iter()
                    .enumerate()
                    .map(|(m, v)| {
                        cum += v;
                        let band = res.year_ends.iter().position(|&e| e == m).map(|yi| {
                            let mut xs: Vec<f64> = res
                                .reps
                                .iter()
                                .filter_map(|r| r.cum_net_by_year[focus].get(yi).map(|c| c[k]))
                                .collect();
                            xs.sort_by(f64::total_cmp);
                            (quantile_sorted(&xs, 0.025), quantile_sorted(&xs, 0.975))
                        });
                        ((m as f64 + 1.0) * cm, cum, band.filter(|_| k == 3))
                    })
                    .collect();
                (payer_name(id, lang), pts)
            })
            .collect(),
        y_format: mio,
        x_format: count,
    };
    add(
        "net_cumulative",
        if da {
            "akkumuleret diskonteret netto pr. perspektiv; tilbagebetaling hvor kurven krydser nul"
                .into()
        } else {
            "cumulative discounted net per perspective; payback where the curve crosses zero".into()
        },
        (1000, 560),
        Spec::Lines(net),
    );

    // Net per payer and budget year.
    let years = super::csv::years(sc, h);
    if let Some(c) = &res.comparison_sums[focus] {
        let payers = Bars {
            title: if da {
                "Netto pr. betaler og budgetår (besparelse − investering)"
            } else {
                "Net per payer and budget year (savings − investment)"
            }
            .into(),
            y_label: if da { "kr." } else { "DKK" }.into(),
            categories: years.iter().map(|(y, _)| y.to_string()).collect(),
            series: Payer::ALL
                .iter()
                .enumerate()
                .map(|(p, payer)| {
                    let v = years
                        .iter()
                        .map(|(_, cycles)| {
                            cycles
                                .iter()
                                .map(|&m| c.payer_sav[p][m] - c.payer_inv[p][m])
                                .sum::<f64>()
                                / n
                        })
                        .collect();
                    (payer_name(payer.id(), lang), v)
                })
                .collect(),
            y_format: mio,
        };
        add(
            "payers",
            if da {
                "hvem betaler og hvem sparer, pr. budgetår".into()
            } else {
                "who pays and who saves, per budget year".into()
            },
            (1000, 520),
            Spec::Bars(payers),
        );
    }

    // Outcome shares at the horizon per arm.
    let chain = &sc.chains[COURSE];
    let outcomes = Bars {
        title: if da {
            "Status ved horisonten"
        } else {
            "State at the horizon"
        }
        .into(),
        y_label: if da {
            "andel af borgerne"
        } else {
            "share of citizens"
        }
        .into(),
        categories: chain.states.iter().map(state_label).collect(),
        series: (0..sc.arms.len())
            .map(|a| {
                let v = (0..chain.states.len())
                    .map(|s| res.reps.iter().map(|r| r.end_share[a][s]).sum::<f64>() / n)
                    .collect();
                (arm_label(a), v)
            })
            .collect(),
        y_format: charts::percent,
    };
    add(
        "outcomes",
        if da {
            "borgernes status ved horisonten pr. arm".into()
        } else {
            "citizens' state at the horizon per arm".into()
        },
        (1000, 480),
        Spec::Bars(outcomes),
    );

    // Citizens by state over time, one chart per arm.
    for (a, arm) in sc.arms.iter().enumerate() {
        let occ = Lines {
            title: format!(
                "{}: {}",
                if da {
                    "Borgere pr. status"
                } else {
                    "Citizens by state"
                },
                arm_label(a)
            ),
            x_label: if da { "måned" } else { "month" }.into(),
            y_label: if da { "borgere" } else { "citizens" }.into(),
            series: chain
                .states
                .iter()
                .enumerate()
                .map(|(s, st)| {
                    let pts = (0..h)
                        .map(|m| {
                            (
                                (m as f64 + 1.0) * cm,
                                res.occupancy_cell(a, m, COURSE, s).mean(),
                                None,
                            )
                        })
                        .collect();
                    (state_label(st), pts)
                })
                .collect(),
            y_format: count,
            x_format: count,
        };
        add(
            &format!("occupancy_{}", arm.id),
            format!(
                "{} ({})",
                if da {
                    "borgere pr. status over tid"
                } else {
                    "citizens by state over time"
                },
                arm_label(a)
            ),
            (1000, 480),
            Spec::Lines(occ),
        );
    }

    // NPV distribution (municipality).
    let hist = Histogram {
        title: if da {
            "Fordeling af kommunens nutidsværdi over replikationer"
        } else {
            "Distribution of the municipal NPV over replications"
        }
        .into(),
        x_label: if da {
            "nutidsværdi (kr.)"
        } else {
            "net present value (DKK)"
        }
        .into(),
        y_label: if da { "replikationer" } else { "replications" }.into(),
        x_format: mio,
        y_format: count,
        values: res.reps.iter().map(|r| r.headlines[focus][3].npv).collect(),
    };
    add(
        "npv_distribution",
        if da {
            "usikkerheden om kommunens nutidsværdi".into()
        } else {
            "uncertainty of the municipal NPV".into()
        },
        (1000, 440),
        Spec::Histogram(hist),
    );

    // Staffing utilisation.
    let svs = crate::montecarlo::capacity_services(sc, focus);
    if !svs.is_empty() {
        let util = Lines {
            title: if da {
                "Udnyttelse af kapaciteten pr. måned"
            } else {
                "Capacity utilisation per month"
            }
            .into(),
            x_label: if da { "måned" } else { "month" }.into(),
            y_label: if da {
                "brugt / kapacitet"
            } else {
                "used / capacity"
            }
            .into(),
            series: svs
                .iter()
                .enumerate()
                .map(|(k, &si)| {
                    let pts = (0..h)
                        .filter_map(|m| {
                            let row = res.staffing_sums[focus][m * svs.len() + k];
                            (row[0] > 0.0).then(|| ((m as f64 + 1.0) * cm, row[1] / row[0], None))
                        })
                        .collect();
                    let sv = &sc.arms[focus].services[si];
                    let l = if da { &sv.label_da } else { &sv.label_en };
                    (
                        if l.trim().is_empty() {
                            sv.id.clone()
                        } else {
                            l.clone()
                        },
                        pts,
                    )
                })
                .collect(),
            y_format: charts::percent,
            x_format: count,
        };
        add(
            "staffing",
            {
                let labels: Vec<String> = svs
                    .iter()
                    .map(|&si| {
                        let sv = &sc.arms[focus].services[si];
                        let l = if da { &sv.label_da } else { &sv.label_en };
                        if l.trim().is_empty() {
                            sv.id.clone()
                        } else {
                            l.clone()
                        }
                    })
                    .collect();
                let list = super::method::list(&labels, da);
                if da {
                    format!("udnyttelse af {list}")
                } else {
                    format!("utilisation of {list}")
                }
            },
            (1000, 440),
            Spec::Lines(util),
        );
        // FTE staffed per month next to the FTE the demand calls for (citizens eligible ÷
        // capacity per FTE), so a planner sees staff follow the participants — or not.
        let n = res.replications().max(1) as f64;
        let mut series = Vec::new();
        for (k, &si) in svs.iter().enumerate() {
            let sv = &sc.arms[focus].services[si];
            let label = if da { &sv.label_da } else { &sv.label_en };
            let per_fte = sv
                .capacity
                .as_ref()
                .map_or(0.0, |c| sc.params[c.per_fte].param.central());
            let row = |m: usize| res.staffing_sums[focus][m * svs.len() + k];
            let staffed: charts::LinePoints = (0..h)
                .map(|m| {
                    (
                        (m as f64 + 1.0) * cm,
                        row(m)[crate::engine::ROW_FTE] / n,
                        None,
                    )
                })
                .collect();
            series.push((
                format!("{label}: {}", if da { "FTE ansat" } else { "FTE staffed" }),
                staffed,
            ));
            if per_fte > 0.0 {
                let needed: charts::LinePoints = (0..h)
                    .map(|m| {
                        let d = row(m)[crate::engine::ROW_DEMAND] / n / per_fte;
                        ((m as f64 + 1.0) * cm, d, None)
                    })
                    .collect();
                series.push((
                    format!(
                        "{label}: {}",
                        if da {
                            "FTE efterspurgt"
                        } else {
                            "FTE demanded"
                        }
                    ),
                    needed,
                ));
            }
        }
        let fte = Lines {
            title: if da {
                "Ansatte (FTE) og efterspørgsel pr. måned"
            } else {
                "Staff (FTE) and demand per month"
            }
            .into(),
            x_label: if da { "måned" } else { "month" }.into(),
            y_label: "FTE".into(),
            series,
            y_format: if da {
                charts::decimal_da
            } else {
                charts::decimal
            },
            x_format: count,
        };
        add(
            "staffing_fte",
            if da {
                "ansatte (FTE) pr. måned og de FTE, som efterspørgslen kalder på (berettigede borgere ÷ kapacitet pr. FTE)".into()
            } else {
                "staff (FTE) per month and the FTE the demand calls for (eligible citizens ÷ capacity per FTE)".into()
            },
            (1000, 440),
            Spec::Lines(fte),
        );
    }
    out
}
