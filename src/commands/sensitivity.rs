//! `ressim sensitivity`: the one-way sensitivity (tornado) and the NPV against the effect
//! scale, with their CSV tables, charts and manifest.

use super::{load, options, out_dir, write_manifest};
use crate::cli::Lang;
use crate::error::Result;
use crate::report::{self, format::mio};
use std::io::IsTerminal;
use std::time::Instant;

/// `ressim sensitivity`: the tornado over every uncertain parameter, then the effect curve.
pub(super) fn sensitivity(a: crate::cli::SensitivityArgs) -> Result<()> {
    use crate::analysis::sensitivity as sens;
    use crate::economics::business_case::PERSPECTIVES;
    use crate::report::charts;
    let started = Instant::now();
    let sc = load(a.scenario.as_deref())?;
    let opts = options(&sc, &a.common);
    let k = PERSPECTIVES
        .iter()
        .position(|p| *p == a.perspective)
        .unwrap_or(3);
    let out = out_dir(a.out.clone(), &sc, "-sensitivity");
    let uncertain = sc
        .params
        .iter()
        .filter(|p| p.param.is_uncertain() || sens::programme_controls(&sc, &p.path))
        .count();
    let lang = a.lang.lang;
    let (runs, reps) = (2 * uncertain + 1, opts.replications);
    if !a.quiet.quiet {
        crate::errln!(
            "{}",
            match lang {
                Lang::Da => format!(
                    "ressim: envejs-følsomhed for {uncertain} parametre ({runs} kørsler × {reps} replikationer), derefter virkningskurven"
                ),
                Lang::En => format!(
                    "ressim: one-way sensitivity of {uncertain} parameters ({runs} runs × {reps} replications), then the effect curve"
                ),
            }
        );
    }
    // Progress only on a terminal, so logs and pipes stay clean.
    let show = !a.quiet.quiet && std::io::stderr().is_terminal();
    let (base, rows) = sens::tornado(&sc, &opts, k, &|done, total| {
        if show {
            let word = lang.pick("replikation", "replication");
            crate::err!("\r  {word} {done}/{total}");
            if done == total {
                crate::errln!();
            }
        }
    })?;
    let curve = sens::effect_curve(&sc, &opts)?;
    let st = report::output::Staging::new(&out)?;
    st.write("tornado.csv", sens::tornado_csv(&rows).as_bytes())?;
    st.write("effect_curve.csv", sens::curve_csv(&curve).as_bytes())?;
    let shown: Vec<charts::Bar> = rows
        .iter()
        .take(20)
        .map(|r| charts::Bar {
            label: tornado_label(r, lang),
            at_low: r.npv_low,
            at_high: r.npv_high,
        })
        .collect();
    let npv_axis = lang.pick("Nutidsværdi (kr.)", "NPV (DKK)");
    let height = 140 + 30 * shown.len().max(1) as u32;
    let tornado = charts::Tornado {
        bars: shown,
        base,
        title: match lang {
            Lang::Da => format!(
                "Nutidsværdi for {} — lav (blå) / høj (orange) værdi af hver parameter",
                report::explain::perspective_noun(k, lang)
            ),
            Lang::En => format!(
                "NPV, {} — low (blue) / high (orange) value of each parameter",
                a.perspective
            ),
        },
        x_label: npv_axis.into(),
    };
    charts::both(&st.path(""), "tornado", (1100, height), &tornado)?;
    let series = [3usize, 6, 7]
        .iter()
        .map(|&p| {
            let pts = curve
                .iter()
                .map(|c| {
                    (
                        c.scale,
                        c.npv[p].mean,
                        (p == k || p == 3).then_some((c.npv[p].p025, c.npv[p].p975)),
                    )
                })
                .collect();
            (report::html::payer_name(PERSPECTIVES[p], lang), pts)
        })
        .collect();
    let lines = charts::Lines {
        title: lang
            .pick(
                "Nutidsværdi mod virkningsskalaen (gennemsnit, 95 %-interval)",
                "NPV against the effect scale (mean, 95 % interval)",
            )
            .into(),
        x_label: lang
            .pick(
                "virkningsskala (0 = ingen virkning, 1 = som i scenariet)",
                "effect scale (0 = no effect, 1 = as in the scenario)",
            )
            .into(),
        y_label: npv_axis.into(),
        series,
        y_format: charts::mio,
        x_format: charts::decimal,
    };
    charts::both(&st.path(""), "effect_curve", (1000, 600), &lines)?;
    let own = serde_json::json!({"perspective": a.perspective, "base_npv_dkk": base});
    write_manifest(&st, &sc, &opts, own, started, None)?;
    let dir = st.commit()?;
    if !a.quiet.quiet {
        match lang {
            Lang::Da => crate::outln!(
                "Nutidsværdi for {} med alle parametre på deres centrale værdi: {}",
                report::explain::perspective_noun(k, lang),
                mio(base, lang)
            )?,
            Lang::En => crate::outln!(
                "NPV ({}) with every parameter central: {}",
                a.perspective,
                mio(base, lang)
            )?,
        }
        for r in rows.iter().take(5) {
            crate::outln!(
                "  {:<60} {:>17} … {:>17}",
                tornado_label(r, lang),
                mio(r.npv_low, lang),
                mio(r.npv_high, lang)
            )?;
        }
        crate::outln!("{}", crate::report::terminal::results_in(&dir, lang))?;
    }
    Ok(())
}

/// A tornado row's label: the parameter, marked when its range is the default ±25 % and when
/// its swing lies within Monte Carlo error.
fn tornado_label(r: &crate::analysis::sensitivity::TornadoRow, lang: Lang) -> String {
    let mut l = r.parameter.clone();
    if r.default_range {
        l.push_str(lang.pick(" (standard ±25 %)", " (default ±25 %)"));
    }
    if r.within_mc_error() {
        l.push_str(lang.pick(" (inden for MC-fejl)", " (within MC error)"));
    }
    l
}
