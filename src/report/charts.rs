//! Charts as SVG and PNG with plotters, using a bundled font (DejaVu Sans, see
//! assets/fonts/DejaVu-LICENSE.txt) so that nothing depends on the system's fonts.

use super::format::{Lang, axis};
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
///
/// The two are drawn at the same time (the PNG, rasterised and compressed, costs several
/// times the SVG).
pub fn both(dir: &Path, stem: &str, size: (u32, u32), chart: &(impl Chart + Sync)) -> Result<()> {
    let (a, b) = rayon::join(
        || write_svg(dir, stem, size, chart).map(drop),
        || write_png(dir, stem, size, chart),
    );
    a.and(b)
}

/// Draw `chart` as SVG of size (w, h), write it to `dir/stem.svg` and return its text.
pub fn write_svg(dir: &Path, stem: &str, size: (u32, u32), chart: &impl Chart) -> Result<String> {
    let text = svg(stem, size, chart)?;
    let p = dir.join(format!("{stem}.svg"));
    std::fs::write(&p, text.as_bytes()).map_err(|e| Error::io(&p, "cannot write", e))?;
    Ok(text)
}

/// Draw `chart` as PNG of size (w, h) into `dir/stem.png`.
pub fn write_png(dir: &Path, stem: &str, size: (u32, u32), chart: &impl Chart) -> Result<()> {
    let bytes = png(stem, size, chart)?;
    let p = dir.join(format!("{stem}.png"));
    std::fs::write(&p, &bytes).map_err(|e| Error::io(&p, "cannot write", e))
}

/// The SVG text of `chart` drawn at size (w, h); `what` names it in errors.
pub fn svg(what: &str, size: (u32, u32), chart: &impl Chart) -> Result<String> {
    ensure_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err(what))?;
        chart.draw(&root)?;
        root.present().map_err(chart_err(what))?;
    }
    Ok(text)
}

/// The PNG bytes of `chart` drawn at size (w, h) (8-bit RGB); `what` names it in errors.
///
/// The pixels are drawn as before into a white buffer; the encoding is fdeflate's fast mode
/// with the Paeth filter on every row, which makes files of about the size of the adaptive
/// filter's in half the time (the adaptive filter tries all five filters on every row).
pub fn png(what: &str, (w, h): (u32, u32), chart: &impl Chart) -> Result<Vec<u8>> {
    ensure_font()?;
    let mut pixels = vec![255u8; 3 * w as usize * h as usize];
    {
        let bitmap = BitMapBackend::<plotters::backend::RGBPixel>::with_buffer_and_format(
            &mut pixels,
            (w, h),
        )
        .map_err(chart_err(what))?;
        let root = glyphs::Cached::new(bitmap).into_drawing_area();
        chart.draw(&root)?;
        root.present().map_err(chart_err(what))?;
    }
    let mut out = Vec::with_capacity(pixels.len() / 8);
    let mut enc = ::png::Encoder::new(&mut out, w, h);
    enc.set_color(::png::ColorType::Rgb);
    enc.set_depth(::png::BitDepth::Eight);
    enc.set_deflate_compression(::png::DeflateCompression::FdeflateUltraFast);
    enc.set_filter(::png::Filter::Paeth);
    let encode = |e: ::png::EncodingError| Error::Runtime(format!("cannot encode {what}: {e}"));
    let mut wr = enc.write_header().map_err(encode)?;
    wr.write_image_data(&pixels).map_err(encode)?;
    wr.finish().map_err(encode)?;
    Ok(out)
}

mod glyphs;

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
const PALETTE: [RGBColor; 8] = [
    LOW_COLOUR,
    HIGH_COLOUR,
    RGBColor(85, 168, 104),
    RGBColor(196, 78, 82),
    RGBColor(129, 114, 179),
    RGBColor(147, 120, 96),
    RGBColor(218, 139, 195),
    RGBColor(140, 140, 140),
];

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
        .max_light_lines(0)
        .bold_line_style(GRID)
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
    /// Format of y values.
    pub y_format: fn(f64) -> String,
    /// Format of x values (e.g. [`count`] for months, [`decimal`] for a scale).
    pub x_format: fn(f64) -> String,
}

impl Chart for Lines {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        lines(root, self)
    }
}

fn lines<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &Lines) -> Result<()> {
    let (title, x_label, y_label, series) =
        (&spec.title, &spec.x_label, &spec.y_label, &spec.series);
    let y_format = spec.y_format;
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
    let x_format = spec.x_format;
    chart
        .configure_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|x| x_format(*x))
        .y_label_formatter(&|y| y_format(*y))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(chart_err(title))?;
    let palette = PALETTE;
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

/// A share as "45 %" for axis labels.
pub fn percent(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

/// A count for axis labels.
pub fn count(v: f64) -> String {
    format!("{v:.0}")
}

/// A number with up to two decimals for axis labels (`0.5`).
pub fn decimal(v: f64) -> String {
    axis::decimal(v, Lang::En)
}

/// DKK as `−12,5 mio.` for Danish axis labels (decimal comma, thousands separator).
pub fn mio_da(v: f64) -> String {
    axis::mio(v, Lang::Da)
}

/// A count with Danish thousands separators (`1.200`) for axis labels.
pub fn count_da(v: f64) -> String {
    axis::count(v, Lang::Da)
}

/// A number with a decimal comma (`0,5`) for Danish axis labels.
pub fn decimal_da(v: f64) -> String {
    axis::decimal(v, Lang::Da)
}

/// The colour of the few grid lines a chart keeps: a light grey, as in a printed report.
const GRID: RGBAColor = RGBAColor(0, 0, 0, 0.08);

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

/// Grouped vertical bars: one group per category, one bar per series.
pub struct Bars {
    /// Title.
    pub title: String,
    /// Y-axis label.
    pub y_label: String,
    /// Category labels (x axis).
    pub categories: Vec<String>,
    /// Named series, one value per category.
    pub series: Vec<(String, Vec<f64>)>,
    /// Format of y values (e.g. percent or mio. DKK).
    pub y_format: fn(f64) -> String,
}

impl Chart for Bars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        // Long category names (e.g. Danish state labels) do not fit side by side under the
        // bars: the chart turns so that they are read along the left edge.
        let (w, _) = root.dim_in_pixel();
        let n = self.categories.len().max(1);
        let widest = self
            .categories
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0);
        if widest as f64 * 7.5 > (w as f64 - 130.0) / n as f64 {
            return self.draw_horizontal(root, widest);
        }
        let k = self.series.len().max(1);
        let vals = self.series.iter().flat_map(|s| s.1.iter().copied());
        let (mut lo, mut hi) = vals.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        if hi - lo < 1e-12 {
            hi += 1.0;
        }
        let pad = (hi - lo) * 0.08;
        lo = if lo < 0.0 { lo - pad } else { 0.0 };
        let cats = self.categories.clone();
        let x_label = |x: &f64| -> String {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < cats.len() {
                cats[i as usize].clone()
            } else {
                String::new()
            }
        };
        let y_format = self.y_format;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(90)
            .build_cartesian_2d(-0.6f64..(n as f64 - 0.4), lo..(hi + pad))
            .map_err(chart_err(&self.title))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .max_light_lines(0)
            .bold_line_style(GRID)
            .x_labels(n * 2 + 1)
            .x_label_formatter(&x_label)
            .y_label_formatter(&|y| y_format(*y))
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(chart_err(&self.title))?;
        let palette = PALETTE;
        let width = 0.8 / k as f64;
        for (j, (name, values)) in self.series.iter().enumerate() {
            let colour = palette[j % palette.len()];
            let rects: Vec<Rectangle<(f64, f64)>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let x0 = i as f64 - 0.4 + j as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width * 0.92, *v)], colour.filled())
                })
                .collect();
            chart
                .draw_series(rects)
                .map_err(chart_err(&self.title))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(chart_err(&self.title))?;
        Ok(())
    }
}

impl Bars {
    /// Bars from the left edge, one group per category from the top down, the category names
    /// along the left edge and the values along the bottom.
    fn draw_horizontal<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        widest: usize,
    ) -> Result<()> {
        let n = self.categories.len().max(1);
        let k = self.series.len().max(1);
        let vals = self.series.iter().flat_map(|s| s.1.iter().copied());
        let (mut lo, mut hi) = vals.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        if hi - lo < 1e-12 {
            hi += 1.0;
        }
        let pad = (hi - lo) * 0.08;
        lo = if lo < 0.0 { lo - pad } else { 0.0 };
        let labels: Vec<String> = self.categories.iter().map(|c| shorten_end(c, 48)).collect();
        let label_of = |y: &f64| -> String {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        };
        let x_format = self.y_format;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size((widest.min(48) as f64 * 7.5 + 20.0) as u32)
            .build_cartesian_2d(lo..(hi + pad), -0.6f64..(n as f64 - 0.4))
            .map_err(chart_err(&self.title))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .max_light_lines(0)
            .bold_line_style(GRID)
            .y_labels(n * 2 + 1)
            .y_label_formatter(&label_of)
            .x_label_formatter(&|x| x_format(*x))
            .x_desc(&self.y_label)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(chart_err(&self.title))?;
        let width = 0.8 / k as f64;
        for (j, (name, values)) in self.series.iter().enumerate() {
            let colour = PALETTE[j % PALETTE.len()];
            let rects: Vec<Rectangle<(f64, f64)>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let y1 = (n - 1 - i) as f64 + 0.4 - j as f64 * width;
                    Rectangle::new([(0.0, y1), (*v, y1 - width * 0.92)], colour.filled())
                })
                .collect();
            chart
                .draw_series(rects)
                .map_err(chart_err(&self.title))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(chart_err(&self.title))?;
        Ok(())
    }
}

/// `s` cut to `max` characters, keeping its start, with `…` at the end.
fn shorten_end(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let head: String = s.chars().take(max - 1).collect();
        format!("{head}…")
    }
}

/// A histogram of values in DKK.
pub struct Histogram {
    /// Title.
    pub title: String,
    /// X-axis label.
    pub x_label: String,
    /// Y-axis label (what is counted, e.g. replications).
    pub y_label: String,
    /// Format of x values (e.g. [`mio`] or [`mio_da`]).
    pub x_format: fn(f64) -> String,
    /// Format of the counts on the y axis (e.g. [`count`] or [`count_da`]).
    pub y_format: fn(f64) -> String,
    /// The values.
    pub values: Vec<f64>,
}

impl Chart for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (mut lo, mut hi) = self
            .values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        if !lo.is_finite() {
            lo = 0.0;
            hi = 1.0;
        }
        if hi - lo < 1e-9 {
            lo -= 1.0;
            hi += 1.0;
        }
        let bins = 30usize;
        let w = (hi - lo) / bins as f64;
        let mut counts = vec![0u32; bins];
        for v in &self.values {
            let b = (((v - lo) / w) as usize).min(bins - 1);
            counts[b] += 1;
        }
        let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, 0.0..top * 1.1)
            .map_err(chart_err(&self.title))?;
        let (x_format, y_format) = (self.x_format, self.y_format);
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(GRID)
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .x_label_formatter(&|x| x_format(*x))
            .y_label_formatter(&|y| y_format(*y))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(chart_err(&self.title))?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| {
                let x0 = lo + i as f64 * w;
                Rectangle::new([(x0, 0.0), (x0 + w * 0.95, *c as f64)], LOW_COLOUR.filled())
            }))
            .map_err(chart_err(&self.title))?;
        if lo < 0.0 && hi > 0.0 {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, 0.0), (0.0, top * 1.1)],
                    BLACK.stroke_width(2),
                ))
                .map_err(chart_err(&self.title))?;
        }
        Ok(())
    }
}
