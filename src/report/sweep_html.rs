//! `sweep.html`: the answer of a staffing sweep for a planner — the best and the leanest
//! staffing with their NPV and interval, the NPV against staffing (one curve per value of the
//! second varied service) with the best point marked, and every point in a table. One
//! self-contained file: inline CSS and SVG, no scripts.

use super::format::{Lang, mio, num, pct};
use super::html::esc;
use std::fmt::Write;

/// One grid point of a sweep: its staffing and the NPV of the chosen perspective.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// FTE per varied service, in the order of `services`.
    pub staff: Vec<f64>,
    /// Mean NPV.
    pub npv: f64,
    /// 2.5th percentile.
    pub p025: f64,
    /// 97.5th percentile.
    pub p975: f64,
    /// Share of replications with NPV above zero.
    pub p_positive: f64,
}

/// Everything sweep.html shows.
pub struct SweepPage<'a> {
    /// Scenario title.
    pub title: &'a str,
    /// Varied services (ids).
    pub services: Vec<String>,
    /// The perspective, as a noun ("kommunen").
    pub perspective: String,
    /// Grid points.
    pub points: Vec<SweepPoint>,
    /// Index of the best point and of the leanest within 5 % of it.
    pub best: Option<(usize, usize)>,
    /// Replications per point.
    pub replications: u32,
    /// Language.
    pub lang: Lang,
}

/// "mentors 10 FTE, consultants 2 FTE".
pub fn staffing_text(services: &[String], staff: &[f64], lang: Lang) -> String {
    services
        .iter()
        .zip(staff)
        .map(|(s, x)| {
            format!(
                "{s} {} FTE",
                num(*x, if x.fract() == 0.0 { 0 } else { 1 }, lang)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The best and leanest staffing as sentences.
pub fn answer(page: &SweepPage) -> Vec<String> {
    let lang = page.lang;
    let da = lang == Lang::Da;
    let Some((b, l)) = page.best else {
        return vec![];
    };
    let describe = |i: usize| {
        let p = &page.points[i];
        format!(
            "{}: {} {} ({} {} {} {})",
            staffing_text(&page.services, &p.staff, lang),
            if da { "nutidsværdi" } else { "NPV" },
            mio(p.npv, lang),
            if da { "95 %-interval" } else { "95 % interval" },
            mio(p.p025, lang),
            if da { "til" } else { "to" },
            mio(p.p975, lang)
        )
    };
    let mut out = vec![
        format!(
            "{} {}: {}.",
            if da {
                "Bedste nutidsværdi for"
            } else {
                "Best NPV for"
            },
            page.perspective,
            describe(b)
        ),
        format!(
            "{}: {}.",
            if da {
                "Mindste bemanding inden for 5 % af den"
            } else {
                "Smallest staffing within 5 % of it"
            },
            describe(l)
        ),
    ];
    out.extend(edge_note(page, b));
    out
}

/// When the best point lies on the edge of the grid in a varied service (its lowest or highest
/// value tried), a sentence that says so and suggests widening the grid: the best may lie
/// beyond it.
pub fn edge_note(page: &SweepPage, best: usize) -> Option<String> {
    let da = page.lang == Lang::Da;
    let mut edges = Vec::new();
    for (d, service) in page.services.iter().enumerate() {
        let values: Vec<f64> = page
            .points
            .iter()
            .filter_map(|p| p.staff.get(d).copied())
            .collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let Some(&x) = page.points.get(best).and_then(|p| p.staff.get(d)) else {
            continue;
        };
        if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
            continue;
        }
        let step = values
            .iter()
            .filter(|v| **v > lo)
            .fold(hi - lo, |m, v| m.min(v - lo));
        let fmt = |v: f64| num(v, if v.fract() == 0.0 { 0 } else { 1 }, page.lang);
        if x == lo {
            let from = (lo - 2.0 * step).max(0.0);
            edges.push(if da {
                format!(
                    "{service} {} FTE er den laveste værdi i gitteret; prøv også færre, fx --vary {service}={}:{}:{}",
                    fmt(x), fmt(from), fmt(hi), fmt(step)
                )
            } else {
                format!(
                    "{service} {} FTE is the lowest value tried; try fewer too, e.g. --vary {service}={}:{}:{}",
                    fmt(x), fmt(from), fmt(hi), fmt(step)
                )
            });
        } else if x == hi {
            let to = hi + 2.0 * step;
            edges.push(if da {
                format!(
                    "{service} {} FTE er den højeste værdi i gitteret; prøv også flere, fx --vary {service}={}:{}:{}",
                    fmt(x), fmt(lo), fmt(to), fmt(step)
                )
            } else {
                format!(
                    "{service} {} FTE is the highest value tried; try more too, e.g. --vary {service}={}:{}:{}",
                    fmt(x), fmt(lo), fmt(to), fmt(step)
                )
            });
        }
    }
    if edges.is_empty() {
        return None;
    }
    Some(if da {
        format!(
            "Bemærk: den bedste bemanding ligger på kanten af gitteret, så den bedste kan ligge uden for det: {}.",
            edges.join("; ")
        )
    } else {
        format!(
            "Note: the best staffing lies on the edge of the grid, so the best may lie outside it: {}.",
            edges.join("; ")
        )
    })
}

/// Build sweep.html.
pub fn page(p: &SweepPage) -> String {
    let lang = p.lang;
    let da = lang == Lang::Da;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>body{{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#222;max-width:1000px;margin:24px auto;padding:0 16px;line-height:1.4}}table{{border-collapse:collapse;width:100%;font-size:13px}}th,td{{border:1px solid #ccc;padding:4px 6px;text-align:right}}th{{background:#eef2f8}}tr.best td{{background:#fff3c4;font-weight:bold}}tr.lean td{{background:#e8f4ea}}svg{{width:100%;height:auto}}@page{{size:A4;margin:14mm}}@media print{{figure,tr{{break-inside:avoid}}}}</style></head><body>\n",
        if da { "da" } else { "en" },
        esc(p.title)
    );
    let _ = writeln!(
        h,
        "<h1>{}</h1><h2>{}</h2>",
        esc(p.title),
        if da {
            "Bemanding: hvad giver den bedste nutidsværdi?"
        } else {
            "Staffing: what gives the best net present value?"
        }
    );
    for s in answer(p) {
        let _ = writeln!(h, "<p>{}</p>", esc(&s));
    }
    let _ = writeln!(
        h,
        "<figure>{}</figure><p style=\"font-size:12px;color:#555\">{}</p>",
        chart(p),
        if da {
            format!(
                "Nutidsværdi for {} (gennemsnit og 95 %-interval over {} replikationer pr. punkt, samme borgere og tilfældige tal i alle punkter). Det bedste punkt er markeret med en ring.",
                p.perspective, p.replications
            )
        } else {
            format!(
                "Net present value for {} (mean and 95 % interval over {} replications per point, the same citizens and random numbers at every point). The best point is ringed.",
                p.perspective, p.replications
            )
        }
    );
    let _ = write!(h, "<table><tr>");
    for s in &p.services {
        let _ = write!(h, "<th>{} (FTE)</th>", esc(s));
    }
    let _ = writeln!(
        h,
        "<th>{}</th><th>{}</th><th>P(NPV&gt;0)</th></tr>",
        if da { "Nutidsværdi" } else { "NPV" },
        if da { "95 %-interval" } else { "95 % interval" }
    );
    for (i, pt) in p.points.iter().enumerate() {
        let cls = match p.best {
            Some((b, _)) if b == i => " class=\"best\"",
            Some((_, l)) if l == i => " class=\"lean\"",
            _ => "",
        };
        let _ = write!(h, "<tr{cls}>");
        for x in &pt.staff {
            let _ = write!(h, "<td>{}</td>", num(*x, 1, lang));
        }
        let _ = writeln!(
            h,
            "<td>{}</td><td>{} … {}</td><td>{}</td></tr>",
            mio(pt.npv, lang),
            mio(pt.p025, lang),
            mio(pt.p975, lang),
            pct(pt.p_positive, lang)
        );
    }
    let _ = writeln!(h, "</table></body></html>");
    h
}

const COLOURS: [&str; 6] = [
    "#4272b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
];

/// NPV against the first varied service, one curve per value of the second, with bands and the
/// best point ringed; hand-written SVG.
fn chart(p: &SweepPage) -> String {
    let (w, h) = (900.0, 480.0);
    let (l, r, t, b) = (90.0, 170.0, 20.0, 50.0);
    let xs: Vec<f64> = p
        .points
        .iter()
        .filter_map(|q| q.staff.first().copied())
        .collect();
    let (x0, x1) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), x| {
            (a.min(*x), c.max(*x))
        });
    let (mut y0, mut y1) = p.points.iter().fold((0.0f64, 0.0f64), |(a, c), q| {
        (a.min(q.p025).min(q.npv), c.max(q.p975).max(q.npv))
    });
    if !(x0.is_finite() && x1.is_finite()) {
        return String::new();
    }
    let (x0, x1) = if x1 - x0 < 1e-9 {
        (x0 - 1.0, x1 + 1.0)
    } else {
        (x0, x1)
    };
    if y1 - y0 < 1e-9 {
        y0 -= 1.0;
        y1 += 1.0;
    }
    let pad = (y1 - y0) * 0.05;
    let (y0, y1) = (y0 - pad, y1 + pad);
    let sx = |x: f64| l + (x - x0) / (x1 - x0) * (w - l - r);
    let sy = |y: f64| t + (y1 - y) / (y1 - y0) * (h - t - b);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">"
    );
    // Axes and ticks.
    let _ = write!(
        s,
        "<line x1=\"{l}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><line x1=\"{l}\" y1=\"{t}\" x2=\"{l}\" y2=\"{}\" stroke=\"#333\"/>",
        h - b,
        w - r,
        h - b,
        h - b
    );
    for k in 0..=5 {
        let y = y0 + (y1 - y0) * k as f64 / 5.0;
        let _ = write!(
            s,
            "<line x1=\"{l}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#ddd\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{4}</text>",
            sy(y),
            w - r,
            l - 6.0,
            sy(y) + 4.0,
            esc(&mio(y, p.lang))
        );
    }
    let mut ticks: Vec<f64> = xs.clone();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    for x in &ticks {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            sx(*x),
            h - b + 18.0,
            num(*x, if x.fract() == 0.0 { 0 } else { 1 }, p.lang)
        );
    }
    let _ = write!(
        s,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{} (FTE)</text>",
        (l + w - r) / 2.0,
        h - 8.0,
        esc(p.services.first().map(String::as_str).unwrap_or(""))
    );
    if y0 < 0.0 && y1 > 0.0 {
        let _ = write!(
            s,
            "<line x1=\"{l}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>",
            sy(0.0),
            w - r
        );
    }
    // One curve per value of the second service.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, q) in p.points.iter().enumerate() {
        let name = match (p.services.get(1), q.staff.get(1)) {
            (Some(sv), Some(x)) => format!("{sv} {}", num(*x, 1, p.lang)),
            _ => "NPV".into(),
        };
        match groups.iter_mut().find(|g| g.0 == name) {
            Some(g) => g.1.push(i),
            None => groups.push((name, vec![i])),
        }
    }
    for (gi, (name, idx)) in groups.iter().enumerate() {
        let c = COLOURS[gi % COLOURS.len()];
        let mut band = String::new();
        for &i in idx {
            let q = &p.points[i];
            let _ = write!(band, "{:.1},{:.1} ", sx(q.staff[0]), sy(q.p975));
        }
        for &i in idx.iter().rev() {
            let q = &p.points[i];
            let _ = write!(band, "{:.1},{:.1} ", sx(q.staff[0]), sy(q.p025));
        }
        let line: String = idx
            .iter()
            .map(|&i| format!("{:.1},{:.1}", sx(p.points[i].staff[0]), sy(p.points[i].npv)))
            .collect::<Vec<_>>()
            .join(" ");
        let _ = write!(
            s,
            "<polygon points=\"{band}\" fill=\"{c}\" fill-opacity=\"0.15\"/><polyline points=\"{line}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"/>"
        );
        for &i in idx {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{c}\"/>",
                sx(p.points[i].staff[0]),
                sy(p.points[i].npv)
            );
        }
        // Legend outside the plot, on the right.
        let ly = t + 16.0 + gi as f64 * 18.0;
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"4\" fill=\"{c}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            w - r + 12.0,
            ly - 4.0,
            w - r + 30.0,
            ly,
            esc(name)
        );
    }
    if let Some((bi, _)) = p.best {
        let q = &p.points[bi];
        let (cx, cy) = (sx(q.staff[0]), sy(q.npv));
        let _ = write!(
            s,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"9\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\"/><text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">{}</text>",
            cx + 12.0,
            cy - 10.0,
            if p.lang == Lang::Da { "bedst" } else { "best" }
        );
    }
    s.push_str("</svg>");
    s
}
