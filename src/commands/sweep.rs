//! `ressim sweep`: a grid of staffing levels on the same citizens and random numbers, with
//! sweep.csv, its chart, sweep.html and the manifest.

use super::{load, options, out_dir, unix_now, write_manifest};
use crate::cli::Lang;
use crate::error::Result;
use crate::montecarlo;
use crate::report;
use std::io::IsTerminal;
use std::time::Instant;

/// `ressim sweep`: run the staffing grid and write its outputs and the answer.
pub(super) fn sweep(a: crate::cli::SweepArgs) -> Result<()> {
    use crate::analysis::sweep;
    use crate::economics::business_case::PERSPECTIVES;
    let started = Instant::now();
    let started_unix = unix_now();
    let sc = load(a.scenario.as_deref())?;
    let mut opts = options(&sc, &a.common);
    opts.psa = !a.no_psa;
    let out = out_dir(a.out.clone(), &sc, "-sweep");
    let total: usize = a.vary.iter().map(|v| v.values.len()).product();
    let lang = a.lang.lang;
    let (reps, name) = (opts.replications, &sc.name);
    if !a.quiet.quiet {
        crate::errln!(
            "{}",
            match lang {
                Lang::Da =>
                    format!("ressim: {total} bemandingspunkter × {reps} replikationer af {name}"),
                Lang::En => {
                    format!(
                        "ressim: sweeping {total} staffing points × {reps} replications of {name}"
                    )
                }
            }
        );
    }
    // Progress only on a terminal, so logs and pipes stay clean.
    let show = !a.quiet.quiet && std::io::stderr().is_terminal();
    // All points advance together, one replication at a time.
    let points = sweep::run(&sc, &opts, &a.vary, &|done, total| {
        if show {
            crate::err!(
                "\r  {} {done}/{total}",
                lang.pick("replikation", "replication")
            );
            if done == total {
                crate::errln!();
            }
        }
    })?;
    let st = report::output::Staging::new(&out)?;
    st.write("sweep.csv", sweep::csv(&sc, &a.vary, &points).as_bytes())?;
    let chart_k = PERSPECTIVES
        .iter()
        .position(|p| *p == a.perspective)
        .unwrap_or(3);
    crate::report::charts::both(
        &st.path(""),
        "sweep",
        (1000, 560),
        &sweep::chart(&sc, &a.vary, &points, chart_k, lang),
    )?;
    let arm = montecarlo::Results::focus_arm(&sc);
    let page = report::sweep_html::SweepPage {
        title: lang.pick(&sc.title_da, &sc.title_en),
        services: a.vary.iter().map(|v| v.service.clone()).collect(),
        perspective: report::explain::perspective_noun(chart_k, lang),
        points: points
            .iter()
            .map(|p| {
                let npv = p.results.npv_draws(arm, chart_k);
                let st = crate::stats::Stat::of(&npv);
                report::sweep_html::SweepPoint {
                    staff: p.staff.clone(),
                    npv: st.mean,
                    p025: st.p025,
                    p975: st.p975,
                    p_positive: npv
                        .iter()
                        .filter(|v| crate::economics::business_case::above_zero(**v))
                        .count() as f64
                        / npv.len().max(1) as f64,
                }
            })
            .collect(),
        best: sweep::best(&sc, &points, chart_k),
        replications: opts.replications,
        lang,
    };
    st.write("sweep.html", report::sweep_html::page(&page).as_bytes())?;
    let vary: Vec<serde_json::Value> = a
        .vary
        .iter()
        .map(|v| serde_json::json!({"service": v.service, "values": v.values}))
        .collect();
    let own = serde_json::json!({"vary": vary, "perspective": a.perspective});
    write_manifest(&st, &sc, &opts, own, started, Some(started_unix))?;
    let dir = st.commit()?;
    if !a.quiet.quiet {
        for s in report::sweep_html::answer(&page) {
            crate::outln!("{s}")?;
        }
        crate::outln!("{}", crate::report::terminal::results_in(&dir, lang))?;
    }
    Ok(())
}
