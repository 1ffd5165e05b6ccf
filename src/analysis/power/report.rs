//! The outputs of `ressim power`: power.csv, capacity.csv, power.json, the power chart,
//! report.html, manifest.json and the terminal summary.

use super::*;
use crate::error::{Error, Result};
use crate::report::charts::{self, Chart};
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
                "size_for_80_power_text": sf.map(|s| s.text()),
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
            .y_desc("power")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{:.0} %", y * 100.0))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| err(&e))?;
        for (y, label) in [
            (TARGET_POWER, "80 % power".to_string()),
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

/// The chart of a report.
pub fn chart(sc: &Scenario, rep: &PowerReport) -> PowerChart {
    let binding: Vec<String> = rep
        .sizes
        .iter()
        .filter(|s| s.capacity.iter().any(|c| c.binds))
        .map(|s| s.size.to_string())
        .collect();
    PowerChart {
        title: format!(
            "Trial power, {} ({} trials per size, α = {}, follow-up {} months)",
            sc.name, rep.options.trials, rep.options.alpha, rep.design.follow_up_months
        ),
        x_label: if binding.is_empty() {
            "citizens randomised (log scale); staff capacity does not bind at any size".into()
        } else {
            format!(
                "citizens randomised (log scale); some staff capacity binds at n = {} (capacity.csv)",
                binding.join(", ")
            )
        },
        series: rep
            .options
            .outcomes
            .iter()
            .enumerate()
            .map(|(k, o)| {
                (
                    o.id().to_string(),
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
pub fn effect_text(o: Outcome, v: f64) -> String {
    if o.is_share() {
        format!("{:+.1} pp", v * 100.0)
    } else {
        format!("{v:+.2} months")
    }
}

/// The terminal summary.
pub fn summary_text(sc: &Scenario, rep: &PowerReport) -> String {
    let d = &rep.design;
    let o = &rep.options;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nTrial power: {} — arm `{}`, {:.0} % randomised to the programme; {} trials per size, \
         α = {}, follow-up {} months from entry, effect scale {}; {}",
        sc.name,
        sc.arms[d.arm].id,
        d.offer_share * 100.0,
        o.trials,
        o.alpha,
        d.follow_up_months,
        o.effect_scale,
        if o.scale_staff {
            format!("staff scaled with the size (× size ÷ {})", d.scenario_size)
        } else {
            "the scenario's staff at every size".to_string()
        }
    );
    let _ = write!(s, "{:<20}", "power (95 % CI)");
    for sz in &rep.sizes {
        let _ = write!(s, "{:>19}", format!("n = {}", sz.size));
    }
    let _ = writeln!(s, "   80 % power at n");
    for (k, out) in o.outcomes.iter().enumerate() {
        let _ = write!(s, "{:<20}", out.id());
        for sz in &rep.sizes {
            let r = &sz.outcomes[k];
            let _ = write!(
                s,
                "{:>19}",
                format!("{:.2} ({:.2}–{:.2})", r.power, r.power_lo, r.power_hi)
            );
        }
        let _ = writeln!(
            s,
            "   {}",
            rep.size_for_80[k].map(|x| x.text()).unwrap_or_default()
        );
    }
    let _ = writeln!(s, "mean effect (participants − non-participants):");
    for (k, out) in o.outcomes.iter().enumerate() {
        let _ = write!(s, "{:<20}", out.id());
        for sz in &rep.sizes {
            let _ = write!(s, "{:>19}", effect_text(*out, sz.outcomes[k].effect_mean));
        }
        let base = rep.sizes.first().map(|z| z.outcomes[k].control_mean);
        if let Some(b) = base {
            let _ = write!(
                s,
                "   (non-participants: {})",
                if out.is_share() {
                    format!("{:.1} %", b * 100.0)
                } else {
                    format!("{b:.1} months")
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
            .map(|c| {
                format!(
                    "{} (utilisation {:.0} %, queue in {:.0} % of trials, max {})",
                    c.service,
                    c.utilisation * 100.0,
                    c.trials_with_queue * 100.0,
                    c.max_queue
                )
            })
            .collect();
        if !bind.is_empty() {
            let _ = writeln!(s, "capacity binds at n = {}: {}", sz.size, bind.join("; "));
        }
    }
    if rep
        .sizes
        .iter()
        .all(|z| z.capacity.iter().all(|c| !c.binds))
    {
        let _ = writeln!(s, "staff capacity does not bind at any size searched");
    }
    if let Some(m) = &rep.mde {
        let _ = writeln!(
            s,
            "minimum detectable effect (80 % power) at the scenario's own size n = {}:",
            m.size
        );
        for (k, out) in o.outcomes.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {:<20}{}",
                out.id(),
                match m.mde[k] {
                    Some(x) => format!(
                        "effect scale {:.2} ({})",
                        x.scale,
                        effect_text(*out, x.effect)
                    ),
                    None => format!("not reached at effect scale {MAX_SCALE}"),
                }
            );
        }
    }
    s
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
    charts::both(&st.path(""), "power", (1000, 620), &chart(sc, rep))?;
    let power_json = json(sc, rep);
    let svg = std::fs::read_to_string(st.path("power.svg")).unwrap_or_default();
    st.write(
        "report.html",
        crate::report::html::power_report(&sc.title_en, &power_json, &csv(rep), &svg).as_bytes(),
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
