//! `bridge.svg`/`.png`: the waterfall from zero to the NPV of one perspective — each
//! investment line a step down, each saving line a step up, the NPV as the last bar.

use super::charts::Chart;
use super::explain::{Explained, perspective_noun};
use super::format::{Lang, mio};
use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

const DOWN: RGBColor = RGBColor(196, 78, 82);
const UP: RGBColor = RGBColor(85, 168, 104);
const TOTAL: RGBColor = RGBColor(66, 114, 176);

/// The bridge chart of an explained perspective.
pub struct Bridge {
    /// (label, start, end) per step; the last is the NPV from zero.
    pub steps: Vec<(String, f64, f64)>,
    /// Title.
    pub title: String,
    /// X-axis label.
    pub x_label: String,
    /// Language of the amounts.
    pub lang: Lang,
}

impl Bridge {
    /// The bridge of `ex` in `lang`, at most eight lines of each kind.
    pub fn new(ex: &Explained, lang: Lang) -> Bridge {
        let who = perspective_noun(ex.perspective, lang);
        Bridge {
            steps: ex.bridge_steps(lang, 8),
            title: if lang == Lang::Da {
                format!("Fra udgifter og besparelser til nutidsværdi for {who} (diskonteret)")
            } else {
                format!("From costs and savings to the net present value for {who} (discounted)")
            },
            x_label: if lang == Lang::Da {
                "mio. kr.".into()
            } else {
                "DKK million".into()
            },
            lang,
        }
    }

    /// Pixel size that fits the steps.
    pub fn size(&self) -> (u32, u32) {
        (1000, 110 + 30 * self.steps.len().max(1) as u32)
    }
}

fn err<E: std::fmt::Display>(e: E) -> Error {
    Error::Runtime(format!("cannot draw the bridge chart: {e}"))
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

impl Chart for Bridge {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let n = self.steps.len().max(1);
        let (mut lo, mut hi) = self.steps.iter().fold((0.0f64, 0.0f64), |(a, b), s| {
            (a.min(s.1.min(s.2)), b.max(s.1.max(s.2)))
        });
        if hi - lo < 1e-9 {
            lo -= 1.0;
            hi += 1.0;
        }
        let pad = (hi - lo) * 0.22;
        let labels: Vec<String> = self.steps.iter().map(|s| short(&s.0, 46)).collect();
        let label_of = |y: &f64| -> String {
            let i = y.round();
            if (y - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[n - 1 - i as usize].clone()
            } else {
                String::new()
            }
        };
        let lang = self.lang;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(320)
            .build_cartesian_2d((lo - pad * 0.3)..(hi + pad), -0.6f64..(n as f64 - 0.4))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n * 2 + 1)
            .y_label_formatter(&label_of)
            .x_label_formatter(&|x| super::format::num(*x / 1e6, 0, lang))
            .x_desc(&self.x_label)
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        let last = self.steps.len().saturating_sub(1);
        for (i, (_, a, b)) in self.steps.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let colour = if i == last {
                TOTAL
            } else if b < a {
                DOWN
            } else {
                UP
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a.min(*b), y - 0.35), (a.max(*b), y + 0.35)],
                    colour.filled(),
                )))
                .map_err(err)?;
            // The amount of the step beside the bar.
            let text = mio(b - a, lang);
            chart
                .draw_series(std::iter::once(Text::new(
                    text,
                    (a.max(*b) + (hi - lo) * 0.01, y + 0.15),
                    ("sans-serif", 12).into_font(),
                )))
                .map_err(err)?;
            if i < last {
                // The connector to the next step.
                chart
                    .draw_series(LineSeries::new(
                        vec![(*b, y - 0.35), (*b, y - 0.65)],
                        BLACK.mix(0.5),
                    ))
                    .map_err(err)?;
            }
        }
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, -0.6), (0.0, n as f64 - 0.4)],
                BLACK.stroke_width(1),
            ))
            .map_err(err)?;
        Ok(())
    }
}
