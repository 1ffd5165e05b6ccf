//! Charts as SVG and PNG with plotters, using a bundled font (DejaVu Sans, see
//! assets/fonts/DejaVu-LICENSE.txt) so that nothing depends on the system's fonts.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Register the bundled font under the generic family `sans-serif` (once).
fn ensure_font() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = DONE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
            && plotters::style::register_font("sans-serif", FontStyle::Bold, FONT).is_ok()
    });
    if *ok {
        Ok(())
    } else {
        Err(Error::Runtime(
            "the bundled chart font could not be loaded".into(),
        ))
    }
}

fn chart_err<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> Error + '_ {
    move |e| Error::Runtime(format!("cannot draw {what}: {e}"))
}

/// Something that can draw itself on any plotters backend.
pub trait Chart {
    /// Draw on `root` (already filled white).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Draw `chart` into `dir/stem.svg` and `dir/stem.png` of size (w, h).
pub fn both(dir: &Path, stem: &str, size: (u32, u32), chart: &impl Chart) -> Result<()> {
    ensure_font()?;
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    {
        let root = SVGBackend::new(&svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err(stem))?;
        chart.draw(&root)?;
        root.present().map_err(chart_err(stem))?;
    }
    {
        let root = BitMapBackend::new(&png, size).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err(stem))?;
        chart.draw(&root)?;
        root.present().map_err(chart_err(stem))?;
    }
    Ok(())
}

/// One bar of a tornado chart.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Label.
    pub label: String,
    /// Value with the parameter at its low value.
    pub at_low: f64,
    /// Value with the parameter at its high value.
    pub at_high: f64,
}

const LOW_COLOUR: RGBColor = RGBColor(66, 114, 176);
const HIGH_COLOUR: RGBColor = RGBColor(221, 132, 82);

/// A tornado chart: one bar per parameter around the base value, largest swing on top.
pub struct Tornado {
    /// Bars, largest swing first.
    pub bars: Vec<Bar>,
    /// The value with every parameter central.
    pub base: f64,
    /// Title.
    pub title: String,
    /// X-axis label.
    pub x_label: String,
}

impl Chart for Tornado {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        tornado(root, &self.bars, self.base, &self.title, &self.x_label)
    }
}

fn tornado<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    bars: &[Bar],
    base: f64,
    title: &str,
    x_label: &str,
) -> Result<()> {
    let n = bars.len().max(1);
    let mut lo = bars
        .iter()
        .map(|b| b.at_low.min(b.at_high))
        .fold(base, f64::min);
    let mut hi = bars
        .iter()
        .map(|b| b.at_low.max(b.at_high))
        .fold(base, f64::max);
    if hi - lo < 1e-9 {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.05;
    let labels: Vec<String> = bars.iter().map(|b| shorten(&b.label, 48)).collect();
    let label_of = |y: &f64| -> String {
        let i = y.round();
        if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
            labels[n - 1 - i as usize].clone()
        } else {
            String::new()
        }
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(330)
        .build_cartesian_2d((lo - pad)..(hi + pad), -0.6f64..(n as f64 - 0.4))
        .map_err(chart_err("tornado"))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&label_of)
        .x_label_formatter(&|x| mio(*x))
        .x_desc(x_label)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(chart_err("tornado"))?;
    for (k, b) in bars.iter().enumerate() {
        let y = (n - 1 - k) as f64;
        for (v, colour) in [(b.at_low, LOW_COLOUR), (b.at_high, HIGH_COLOUR)] {
            let (a, c) = (base.min(v), base.max(v));
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, y - 0.35), (c, y + 0.35)],
                    colour.filled(),
                )))
                .map_err(chart_err("tornado"))?;
        }
    }
    chart
        .draw_series(LineSeries::new(
            [(base, -0.6), (base, n as f64 - 0.4)],
            BLACK.stroke_width(1),
        ))
        .map_err(chart_err("tornado"))?;
    Ok(())
}

/// Points of one line: (x, y, optional (low, high) band).
pub type LinePoints = Vec<(f64, f64, Option<(f64, f64)>)>;

/// A line chart of named series over x, each with an optional band; y in DKK.
pub struct Lines {
    /// Title.
    pub title: String,
    /// X-axis label.
    pub x_label: String,
    /// Y-axis label.
    pub y_label: String,
    /// Named series.
    pub series: Vec<(String, LinePoints)>,
}

impl Chart for Lines {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        lines(
            root,
            &self.title,
            &self.x_label,
            &self.y_label,
            &self.series,
        )
    }
}

fn lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, LinePoints)],
) -> Result<()> {
    let xs = series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
        (a.min(x), b.max(x))
    });
    let ys = series.iter().flat_map(|s| {
        s.1.iter()
            .flat_map(|p| [p.1, p.2.map_or(p.1, |b| b.0), p.2.map_or(p.1, |b| b.1)])
    });
    let (mut y0, mut y1) = ys.fold((0.0f64, 0.0f64), |(a, b), y| (a.min(y), b.max(y)));
    if y1 - y0 < 1e-9 {
        y0 -= 1.0;
        y1 += 1.0;
    }
    let pad = (y1 - y0) * 0.05;
    let (x0, x1) = if x0.is_finite() && x1 > x0 {
        (x0, x1)
    } else {
        (0.0, 1.0)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
        .map_err(chart_err(title))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .y_label_formatter(&|y| mio(*y))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(chart_err(title))?;
    let palette = [
        LOW_COLOUR,
        HIGH_COLOUR,
        RGBColor(85, 168, 104),
        RGBColor(196, 78, 82),
        RGBColor(129, 114, 179),
    ];
    for (k, (name, pts)) in series.iter().enumerate() {
        let colour = palette[k % palette.len()];
        let band: Vec<(f64, f64, f64)> = pts
            .iter()
            .filter_map(|p| p.2.map(|(l, h)| (p.0, l, h)))
            .collect();
        if band.len() > 1 {
            let upper: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.2)).collect();
            let lower: Vec<(f64, f64)> = band.iter().rev().map(|b| (b.0, b.1)).collect();
            chart
                .draw_series(std::iter::once(Polygon::new(
                    upper.into_iter().chain(lower).collect::<Vec<_>>(),
                    colour.mix(0.18).filled(),
                )))
                .map_err(chart_err(title))?;
        }
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.0, p.1)),
                colour.stroke_width(2),
            ))
            .map_err(chart_err(title))?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(chart_err(title))?;
    Ok(())
}

/// DKK as "12.3 mio." for axis labels.
pub fn mio(v: f64) -> String {
    format!("{:.1} mio.", v / 1e6)
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let tail: String = s
            .chars()
            .rev()
            .take(max - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}
