//! The outputs of `ressim power`: power.csv, capacity.csv, power.json, the power chart,
//! report.html, manifest.json and the terminal summary.

use super::*;
use crate::error::{Error, Result};
use crate::report::charts::{self, Chart};
use crate::report::format::{Lang, num};
use crate::scenario::{Scenario, ServiceKind};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt::Write;
use std::path::PathBuf;

/// `power.csv`: `outcome,size,power,power_lo,power_hi,effect_mean`, by outcome then size.
pub fn csv(rep: &PowerReport) -> String {
    let mut s = String::from("outcome,size,power,power_lo,power_hi,effect_mean\n");
    for (k, o) in rep.options.outcomes.iter().enumerate() {
        for sz in &rep.sizes {
            let r = &sz.outcomes[k];
            let _ = writeln!(
                s,
                "{},{},{:.4},{:.4},{:.4},{:.6}",
                o.id(),
                sz.size,
                r.power,
                r.power_lo,
                r.power_hi,
                r.effect_mean
            );
        }
    }
    s
}

/// `capacity.csv`: per size and service with capacity, how the trial used it.
pub fn capacity_csv(rep: &PowerReport) -> String {
    let mut s = String::from(
        "size,service,kind,fte_mean,utilisation_mean,max_queue,trials_with_queue,binds\n",
    );
    for sz in &rep.sizes {
        for c in &sz.capacity {
            let _ = writeln!(
                s,
                "{},{},{},{:.3},{:.4},{},{:.4},{}",
                sz.size,
                c.service,
                kind_id(c.kind),
                c.fte_mean,
                c.utilisation,
                c.max_queue,
                c.trials_with_queue,
                c.binds
            );
        }
    }
    s
}

pub(super) fn kind_id(k: ServiceKind) -> &'static str {
    match k {
        ServiceKind::Caseload => "caseload",
        ServiceKind::Monthly => "monthly",
        ServiceKind::Shared => "shared",
    }
}

pub(super) fn size_json(s: &SizeResult) -> serde_json::Value {
    serde_json::json!({
        "size": s.size,
        "effect_scale": s.scale,
        "trials": s.trials,
        "participants_mean": s.participants_mean,
        "outcomes": s.outcomes.iter().map(|o| serde_json::json!({
            "outcome": o.outcome.id(),
            "rejections": o.rejections,
            "power": o.power,
            "power_lo": o.power_lo,
            "power_hi": o.power_hi,
            "effect_mean": o.effect_mean,
            "non_participants_mean": o.control_mean,
        })).collect::<Vec<_>>(),
        "capacity": s.capacity.iter().map(|c| serde_json::json!({
            "service": c.service,
            "kind": kind_id(c.kind),
            "fte_mean": c.fte_mean,
            "utilisation_mean": c.utilisation,
            "max_queue": c.max_queue,
            "trials_with_queue": c.trials_with_queue,
            "binds": c.binds,
        })).collect::<Vec<_>>(),
        "capacity_binds": s.capacity.iter().any(|c| c.binds),
    })
}

/// `power.json`: the design, every size, the sizes for 80 % power and the MDE.
pub fn json(sc: &Scenario, rep: &PowerReport) -> serde_json::Value {
    let d = &rep.design;
    let o = &rep.options;
    let outcomes: Vec<serde_json::Value> = o
        .outcomes
        .iter()
        .enumerate()
        .map(|(k, out)| {
            let sf = rep.size_for_80[k];
            let mde = rep.mde.as_ref().and_then(|m| m.mde[k]);
            serde_json::json!({
                "outcome": out.id(),
                "unit": out.unit(),
                "test": out.test_name(),
                "state_flag": out.flag_key(),
                "states": sc.chains[COURSE].states.iter().filter(|s| out.flagged(&s.flags)).map(|s| s.id.clone()).collect::<Vec<_>>(),
                "size_for_80_power": match sf {
                    Some(SizeFor::About(n)) => serde_json::json!(n),
                    _ => serde_json::Value::Null,
                },
                "size_for_80_power_text": sf.map(|s| s.text(Lang::En)),
                "mde_effect_scale": mde.map(|m| m.scale),
                "mde_effect": mde.map(|m| m.effect),
            })
        })
        .collect();
    serde_json::json!({
        "scenario": sc.name,
        "arm": sc.arms[d.arm].id,
        "offer_share": d.offer_share,
        "scenario_size": d.scenario_size,
        "follow_up_months": d.follow_up_months,
        "alpha": o.alpha,
        "trials": o.trials,
        "effect_scale": o.effect_scale,
        "psa": o.psa,
        "scale_staff": o.scale_staff,
        "seed": o.seed,
        "interval": "Wilson score 95 %",
        "target_power": TARGET_POWER,
        "outcomes": outcomes,
        "sizes": rep.sizes.iter().map(size_json).collect::<Vec<_>>(),
        "mde_search": rep.mde.as_ref().map(|m| serde_json::json!({
            "size": m.size,
            "evaluations": m.evaluations.iter().map(size_json).collect::<Vec<_>>(),
        })),
    })
}

/// One point of a power curve: (size, power, interval low, interval high).
pub type PowerPoint = (f64, f64, f64, f64);

/// Power against trial size, one line per outcome with its Wilson band, the 80 % target and
/// the significance level as dashed lines; x on a logarithmic axis.
pub struct PowerChart {
    /// Title.
    pub title: String,
    /// X-axis label.
    pub x_label: String,
    /// Y-axis label.
    pub y_label: String,
    /// Label of the 80 % line.
    pub target_label: String,
    /// Per outcome: name and (size, power, low, high).
    pub series: Vec<(String, Vec<PowerPoint>)>,
    /// Significance level (drawn as the power of no effect).
    pub alpha: f64,
}

impl PowerChart {
    /// The sizes on the x-axis, increasing, without repeats (the axis's labelled points).
    fn sizes(&self) -> Vec<f64> {
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.1.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    }
}

pub(super) const PALETTE: [RGBColor; 5] = [
    RGBColor(66, 114, 176),
    RGBColor(221, 132, 82),
    RGBColor(85, 168, 104),
    RGBColor(196, 78, 82),
    RGBColor(129, 114, 179),
];

impl Chart for PowerChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let err = |e: &dyn std::fmt::Display| Error::Runtime(format!("cannot draw power: {e}"));
        let xs = self.series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
        let (mut x0, mut x1) = xs.fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        if !(x0.is_finite() && x0 > 0.0) {
            (x0, x1) = (1.0, 10.0);
        }
        (x0, x1) = (x0 / 1.15, x1 * 1.15);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x0..x1).log_scale().with_key_points(self.sizes()),
                0.0f64..1.0,
            )
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| err(&e))?;
        for (y, label) in [
            (TARGET_POWER, self.target_label.clone()),
            (self.alpha, format!("α = {}", self.alpha)),
        ] {
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, y), (x1, y)],
                    6,
                    5,
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label,
                    (x0 * 1.02, (y + 0.012).min(0.98)),
                    ("sans-serif", 12).into_font().color(&BLACK.mix(0.7)),
                )))
                .map_err(|e| err(&e))?;
        }
        for (k, (name, pts)) in self.series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            if pts.len() > 1 {
                let upper = pts.iter().map(|p| (p.0, p.3));
                let lower = pts.iter().rev().map(|p| (p.0, p.2));
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        upper.chain(lower).collect::<Vec<_>>(),
                        colour.mix(0.18).filled(),
                    )))
                    .map_err(|e| err(&e))?;
            }
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0, p.1)),
                    colour.stroke_width(2),
                ))
                .map_err(|e| err(&e))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(
                    pts.iter()
                        .map(|p| Circle::new((p.0, p.1), 3, colour.filled())),
                )
                .map_err(|e| err(&e))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(|e| err(&e))?;
        Ok(())
    }
}

/// The chart of a report, its texts in `lang`.
pub fn chart(sc: &Scenario, rep: &PowerReport, lang: Lang) -> PowerChart {
    let binding: Vec<String> = rep
        .sizes
        .iter()
        .filter(|s| s.capacity.iter().any(|c| c.binds))
        .map(|s| s.size.to_string())
        .collect();
    let (trials, alpha, follow_up) = (
        rep.options.trials,
        rep.options.alpha,
        rep.design.follow_up_months,
    );
    PowerChart {
        title: match lang {
            Lang::Da => format!(
                "Forsøgets styrke, {} ({trials} forsøg pr. størrelse, α = {alpha}, opfølgning {follow_up} måneder)",
                sc.name
            ),
            Lang::En => format!(
                "Trial power, {} ({trials} trials per size, α = {alpha}, follow-up {follow_up} months)",
                sc.name
            ),
        },
        x_label: match (binding.is_empty(), lang) {
            (true, Lang::Da) => {
                "randomiserede borgere (logaritmisk skala); personalets kapacitet binder ikke ved nogen størrelse".into()
            }
            (true, Lang::En) => {
                "citizens randomised (log scale); staff capacity does not bind at any size".into()
            }
            (false, Lang::Da) => format!(
                "randomiserede borgere (logaritmisk skala); noget af personalets kapacitet binder ved n = {} (capacity.csv)",
                binding.join(", ")
            ),
            (false, Lang::En) => format!(
                "citizens randomised (log scale); some staff capacity binds at n = {} (capacity.csv)",
                binding.join(", ")
            ),
        },
        y_label: lang.pick("styrke", "power").into(),
        target_label: lang.pick("80 % styrke", "80 % power").into(),
        series: rep
            .options
            .outcomes
            .iter()
            .enumerate()
            .map(|(k, o)| {
                (
                    o.label(lang).to_string(),
                    rep.sizes
                        .iter()
                        .map(|s| {
                            let r = &s.outcomes[k];
                            (s.size as f64, r.power, r.power_lo, r.power_hi)
                        })
                        .collect(),
                )
            })
            .collect(),
        alpha: rep.options.alpha,
    }
}

/// An effect in the outcome's unit: percentage points for shares, months otherwise.
pub fn effect_text(o: Outcome, v: f64, lang: Lang) -> String {
    let sign = if v >= 0.0 { "+" } else { "" };
    if o.is_share() {
        format!(
            "{sign}{} {}",
            num(v * 100.0, 1, lang),
            lang.pick("%-point", "pp")
        )
    } else {
        format!(
            "{sign}{} {}",
            num(v, 2, lang),
            lang.pick("måneder", "months")
        )
    }
}

/// The terminal summary, in `lang`.
pub fn summary_text(sc: &Scenario, rep: &PowerReport, lang: Lang) -> String {
    let d = &rep.design;
    let o = &rep.options;
    let t = |da: &'static str, en: &'static str| lang.pick(da, en);
    let dec = |v: f64, k: usize| num(v, k, lang);
    let mut s = String::new();
    let staff = match (o.scale_staff, lang) {
        (true, Lang::Da) => format!(
            "personalet skaleret med størrelsen (× størrelse ÷ {})",
            d.scenario_size
        ),
        (true, Lang::En) => format!("staff scaled with the size (× size ÷ {})", d.scenario_size),
        (false, _) => t(
            "scenariets personale ved alle størrelser",
            "the scenario's staff at every size",
        )
        .to_string(),
    };
    let _ = match lang {
        Lang::Da => writeln!(
            s,
            "\nForsøgets styrke: {} — arm `{}`, {} % randomiseret til programmet; {} forsøg pr. \
             størrelse, α = {}, opfølgning {} måneder fra start, virkningsskala {}; {staff}",
            sc.name,
            sc.arms[d.arm].id,
            dec(d.offer_share * 100.0, 0),
            o.trials,
            o.alpha.to_string().replace('.', ","),
            d.follow_up_months,
            o.effect_scale,
        ),
        Lang::En => writeln!(
            s,
            "\nTrial power: {} — arm `{}`, {:.0} % randomised to the programme; {} trials per size, \
             α = {}, follow-up {} months from entry, effect scale {}; {staff}",
            sc.name,
            sc.arms[d.arm].id,
            d.offer_share * 100.0,
            o.trials,
            o.alpha,
            d.follow_up_months,
            o.effect_scale,
        ),
    };
    let w = o
        .outcomes
        .iter()
        .map(|x| crate::report::format::display_width(x.label(lang)))
        .max()
        .unwrap_or(0)
        .max(20)
        + 1;
    let pad = |x: &str| crate::report::format::pad(x, w, true);
    let _ = write!(s, "{}", pad(t("styrke (95 %-interval)", "power (95 % CI)")));
    for sz in &rep.sizes {
        let _ = write!(s, "{:>19}", format!("n = {}", sz.size));
    }
    let _ = writeln!(s, "   {}", t("80 % styrke ved n", "80 % power at n"));
    for (k, out) in o.outcomes.iter().enumerate() {
        let _ = write!(s, "{}", pad(out.label(lang)));
        for sz in &rep.sizes {
            let r = &sz.outcomes[k];
            let _ = write!(
                s,
                "{:>19}",
                format!(
                    "{} ({}–{})",
                    dec(r.power, 2),
                    dec(r.power_lo, 2),
                    dec(r.power_hi, 2)
                )
            );
        }
        let _ = writeln!(
            s,
            "   {}",
            rep.size_for_80[k].map(|x| x.text(lang)).unwrap_or_default()
        );
    }
    let _ = writeln!(
        s,
        "{}",
        t(
            "gennemsnitlig virkning (deltagere − ikke-deltagere):",
            "mean effect (participants − non-participants):"
        )
    );
    for (k, out) in o.outcomes.iter().enumerate() {
        let _ = write!(s, "{}", pad(out.label(lang)));
        for sz in &rep.sizes {
            let _ = write!(
                s,
                "{:>19}",
                effect_text(*out, sz.outcomes[k].effect_mean, lang)
            );
        }
        let base = rep.sizes.first().map(|z| z.outcomes[k].control_mean);
        if let Some(b) = base {
            let _ = write!(
                s,
                "   ({}: {})",
                t("ikke-deltagere", "non-participants"),
                if out.is_share() {
                    format!("{} %", dec(b * 100.0, 1))
                } else {
                    format!("{} {}", dec(b, 1), t("måneder", "months"))
                }
            );
        }
        let _ = writeln!(s);
    }
    for sz in &rep.sizes {
        let bind: Vec<String> = sz
            .capacity
            .iter()
            .filter(|c| c.binds)
            .map(|c| match lang {
                Lang::Da => format!(
                    "{} (udnyttelse {} %, kø i {} % af forsøgene, højst {})",
                    c.service,
                    dec(c.utilisation * 100.0, 0),
                    dec(c.trials_with_queue * 100.0, 0),
                    c.max_queue
                ),
                Lang::En => format!(
                    "{} (utilisation {:.0} %, queue in {:.0} % of trials, max {})",
                    c.service,
                    c.utilisation * 100.0,
                    c.trials_with_queue * 100.0,
                    c.max_queue
                ),
            })
            .collect();
        if !bind.is_empty() {
            let _ = writeln!(
                s,
                "{} n = {}: {}",
                t("kapaciteten binder ved", "capacity binds at"),
                sz.size,
                bind.join("; ")
            );
        }
    }
    if rep
        .sizes
        .iter()
        .all(|z| z.capacity.iter().all(|c| !c.binds))
    {
        let _ = writeln!(
            s,
            "{}",
            t(
                "personalets kapacitet binder ikke ved nogen af de søgte størrelser",
                "staff capacity does not bind at any size searched"
            )
        );
    }
    if let Some(m) = &rep.mde {
        let _ = writeln!(
            s,
            "{} n = {}:",
            t(
                "mindste påviselige virkning (80 % styrke) ved scenariets egen størrelse",
                "minimum detectable effect (80 % power) at the scenario's own size"
            ),
            m.size
        );
        for (k, out) in o.outcomes.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {}{}",
                pad(out.label(lang)),
                match m.mde[k] {
                    Some(x) => format!(
                        "{} {} ({})",
                        t("virkningsskala", "effect scale"),
                        dec(x.scale, 2),
                        effect_text(*out, x.effect, lang)
                    ),
                    None => format!(
                        "{} {MAX_SCALE}",
                        t(
                            "ikke nået ved virkningsskala",
                            "not reached at effect scale"
                        )
                    ),
                }
            );
        }
    }
    s
}

/// Every outcome's words for report.html, in `lang`.
fn outcome_texts(rep: &PowerReport, lang: Lang) -> Vec<crate::report::power_html::OutcomeText> {
    rep.options
        .outcomes
        .iter()
        .enumerate()
        .map(|(k, o)| crate::report::power_html::OutcomeText {
            id: o.id().to_string(),
            label: o.label(lang).to_string(),
            test: o.test_label(lang).to_string(),
            size_for: rep.size_for_80[k].map(|s| s.text(lang)).unwrap_or_default(),
        })
        .collect()
}

/// Write power.csv, capacity.csv, power.json, the chart, report.html and manifest.json into
/// `c.out`; returns the folder written.
pub(super) fn write(
    sc: &Scenario,
    opts: &PowerOptions,
    rep: &PowerReport,
    c: &CommandOptions,
) -> Result<PathBuf> {
    let out = &c.out;
    let (started, started_unix) = (c.started, c.started_unix);
    let st = crate::report::output::Staging::new(out)?;
    st.write("power.csv", csv(rep).as_bytes())?;
    st.write("capacity.csv", capacity_csv(rep).as_bytes())?;
    let mut js =
        serde_json::to_vec_pretty(&json(sc, rep)).map_err(|e| Error::Runtime(e.to_string()))?;
    js.push(b'\n');
    st.write("power.json", &js)?;
    charts::both(&st.path(""), "power", (1000, 620), &chart(sc, rep, c.lang))?;
    let svg = std::fs::read_to_string(st.path("power.svg")).unwrap_or_default();
    let title = c.lang.pick(&sc.title_da, &sc.title_en);
    st.write(
        "report.html",
        crate::report::power_html::page(
            title,
            &json(sc, rep),
            &csv(rep),
            &svg,
            &outcome_texts(rep, c.lang),
            c.lang,
        )
        .as_bytes(),
    )?;
    let manifest = serde_json::json!({
        "ressim_version": env!("CARGO_PKG_VERSION"),
        "scenario": sc.name,
        "scenario_files": sc.files,
        "scenario_sha256": sc.sha256,
        "seed": opts.seed,
        "trials": opts.trials,
        "sizes": opts.sizes,
        "follow_up_months": rep.design.follow_up_months,
        "alpha": opts.alpha,
        "outcomes": opts.outcomes.iter().map(|o| o.id()).collect::<Vec<_>>(),
        "effect_scale": opts.effect_scale,
        "psa": opts.psa,
        "mde_search": opts.mde,
        "scale_staff": opts.scale_staff,
        "threads": rep.threads_used,
        "wall_time_seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "started_unix": started_unix,
        "command_line": std::env::args().collect::<Vec<_>>(),
    });
    let mut bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Runtime(e.to_string()))?;
    bytes.push(b'\n');
    st.write("manifest.json", &bytes)?;
    st.commit()
}
