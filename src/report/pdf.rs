//! `attachment.pdf`: at most two A4 pages for an application — the verdict, the net per payer
//! and budget year, the bridge chart, the uncertainty, the key assumptions with their sources,
//! the scenario's name and hash and the ressim version.
//!
//! Made by ressim itself with `krilla` (pure Rust; text is real text in the bundled DejaVu
//! Sans, subset and embedded with a ToUnicode map, so it is searchable and copyable with æ, ø
//! and å). The bridge is drawn with the PDF's own vector paths from the same steps as
//! bridge.svg. Text is wrapped by the font's advance widths (ab_glyph). Whatever would run past
//! the second page is left out with a pointer to report.html.

use super::explain::{Explained, perspective_noun};
use super::format::{Lang, mio, num, pct};
use crate::error::{Error, Result};
use crate::montecarlo::Results;
use crate::scenario::{Payer, Scenario};
use ab_glyph::{Font as _, FontRef};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Script, ShapePlan, UnicodeBuffer};

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

const W: f32 = 595.0;
const H: f32 = 842.0;
const MARGIN: f32 = 42.0;
const MAX_PAGES: usize = 2;

/// What the attachment needs besides the explained result.
pub struct PdfInput<'a> {
    /// The run's explained perspective.
    pub explained: &'a Explained,
    /// Language.
    pub lang: Lang,
    /// Changes made on the command line ("Mentorer 15 FTE (scenariet: 20)").
    pub changes: Vec<String>,
}

/// One block of content, laid out top to bottom.
enum Block {
    Heading(String),
    Para(String, f32),
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        widths: Vec<f32>,
        size: f32,
        /// Right-align the columns after the first (figures).
        figures: bool,
    },
    Bridge(Vec<(String, f64, f64)>),
}

/// Build attachment.pdf.
pub fn attachment(sc: &Scenario, res: &Results, input: &PdfInput) -> Result<Vec<u8>> {
    let blocks = blocks(sc, res, input);
    render(sc, input.lang, &blocks)
}

fn blocks(sc: &Scenario, res: &Results, input: &PdfInput) -> Vec<Block> {
    let lang = input.lang;
    let da = lang == Lang::Da;
    let ex = input.explained;
    let mut b = Vec::new();
    b.push(Block::Para(
        if da {
            sc.title_da.clone()
        } else {
            sc.title_en.clone()
        },
        15.0,
    ));
    b.push(Block::Para(
        format!(
            "{}: {} · SHA-256 {} · ressim {} · {} {} · {} {} · {} {}",
            if da { "Scenarie" } else { "Scenario" },
            sc.name,
            &sc.sha256[..16.min(sc.sha256.len())],
            env!("CARGO_PKG_VERSION"),
            if da { "frø" } else { "seed" },
            res.options.seed,
            res.replications(),
            if da { "replikationer" } else { "replications" },
            if da { "prisår" } else { "price year" },
            sc.sim.price_year
        ),
        7.5,
    ));
    if !input.changes.is_empty() {
        b.push(Block::Para(
            format!(
                "{}: {}.",
                if da {
                    "Ændret ved kørslen"
                } else {
                    "Changed for this run"
                },
                input.changes.join("; ")
            ),
            8.5,
        ));
    }
    b.push(Block::Heading(if da {
        format!(
            "Svaret kort, for {}",
            perspective_noun(ex.perspective, lang)
        )
    } else {
        format!(
            "The answer in short, for {}",
            perspective_noun(ex.perspective, lang)
        )
    }));
    b.push(Block::Para(ex.sentences(lang).join(" "), 9.5));

    // Net per payer and budget year.
    b.push(Block::Heading(if da {
        "Netto pr. betaler og budgetår (mio. kr., udiskonteret)".into()
    } else {
        "Net per payer and budget year (DKK million, undiscounted)".into()
    }));
    let payers: Vec<usize> = (0..6)
        .filter(|&p| ex.payer_years.iter().any(|(_, r)| r[p] != 0.0))
        .collect();
    let mut header = vec![if da { "Budgetår" } else { "Budget year" }.to_string()];
    header.extend(payers.iter().map(|&p| payer_label(Payer::ALL[p], lang)));
    header.push(if da { "I alt" } else { "Total" }.into());
    let mut totals = [0.0; 6];
    let mut rows: Vec<Vec<String>> = ex
        .payer_years
        .iter()
        .map(|(y, r)| {
            let mut row = vec![y.to_string()];
            for &p in &payers {
                totals[p] += r[p];
                row.push(num(r[p] / 1e6, 2, lang));
            }
            row.push(num(
                payers.iter().map(|&p| r[p]).sum::<f64>() / 1e6,
                2,
                lang,
            ));
            row
        })
        .collect();
    let mut last = vec![if da { "I alt" } else { "Total" }.to_string()];
    last.extend(payers.iter().map(|&p| num(totals[p] / 1e6, 2, lang)));
    last.push(num(totals.iter().sum::<f64>() / 1e6, 2, lang));
    rows.push(last);
    let first = 70.0;
    let rest = (W - 2.0 * MARGIN - first) / (payers.len() + 1) as f32;
    let mut widths = vec![first];
    widths.extend(std::iter::repeat_n(rest, payers.len() + 1));
    b.push(Block::Table {
        header,
        rows,
        widths,
        size: 8.0,
        figures: true,
    });
    b.push(Block::Para(
        if da {
            "Netto = besparelse minus investering; negativ: betaleren betaler mere. Statens andel af ydelser efter refusion står under Staten."
        } else {
            "Net = savings minus investment; negative: the payer pays more. The state's share of benefits after refusion is under State."
        }
        .into(),
        7.5,
    ));

    b.push(Block::Heading(if da {
        format!(
            "Fra udgifter og besparelser til nutidsværdi for {} (diskonteret)",
            perspective_noun(ex.perspective, lang)
        )
    } else {
        format!(
            "From costs and savings to the net present value for {} (discounted)",
            perspective_noun(ex.perspective, lang)
        )
    }));
    b.push(Block::Bridge(ex.bridge_steps(lang, 6)));

    b.push(Block::Heading(if da {
        "Usikkerhed".into()
    } else {
        "Uncertainty".into()
    }));
    let psa = res.options.psa;
    b.push(Block::Para(
        if da {
            format!(
                "Tallene er gennemsnit over {} replikationer med de samme borgere og tilfældige tal i begge arme. {} 95 %-intervallet for nutidsværdien ({} til {}) er 2,5- og 97,5-percentilen over replikationerne; Monte Carlo-standardfejlen på gennemsnittet er {}. Nutidsværdien er over nul i {} af replikationerne. Virkningerne er antagelser forankret i danske og nordiske forsøg, ikke målt i dette forsøg.",
                ex.replications,
                if psa {
                    "Usikre parametre trækkes fra deres fordelinger i hver replikation."
                } else {
                    "Usikre parametre er faste på deres centrale værdier (--no-psa), så intervallet viser kun tilfældig variation mellem borgere."
                },
                mio(ex.npv.p025, lang),
                mio(ex.npv.p975, lang),
                mio(ex.npv.mcse, lang),
                pct(ex.p_positive, lang)
            )
        } else {
            format!(
                "The figures are means over {} replications with the same citizens and random numbers in both arms. {} The 95 % interval of the net present value ({} to {}) is the 2.5th and 97.5th percentile over the replications; the Monte Carlo standard error of the mean is {}. The net present value is above zero in {} of the replications. The effects are assumptions anchored on Danish and Nordic trials, not measured in this trial.",
                ex.replications,
                if psa {
                    "Uncertain parameters are drawn from their distributions in every replication."
                } else {
                    "Uncertain parameters are fixed at their central values (--no-psa), so the interval shows only chance variation between citizens."
                },
                mio(ex.npv.p025, lang),
                mio(ex.npv.p975, lang),
                mio(ex.npv.mcse, lang),
                pct(ex.p_positive, lang)
            )
        },
        9.0,
    ));

    b.push(Block::Heading(if da {
        "Centrale antagelser og kilder".into()
    } else {
        "Key assumptions and sources".into()
    }));
    let (header, rows) = assumptions(sc, lang);
    // The register entries those rows cite, so that the page can be read on its own.
    let mut cited: Vec<&str> = Vec::new();
    for r in &rows {
        for k in crate::scenario::bibliography::cited_keys(&r[2]) {
            if !cited.contains(&k) {
                cited.push(k);
            }
        }
    }
    let references: Vec<Vec<String>> = cited
        .iter()
        .filter_map(|k| sc.bibliography.iter().find(|r| r.key == *k))
        .map(|r| {
            let url = r
                .url
                .as_deref()
                .map(|u| format!(" {u}"))
                .unwrap_or_default();
            vec![format!(
                "[{}] {} ({}). {}.{url}",
                r.key, r.author, r.year, r.title
            )]
        })
        .collect();
    b.push(Block::Table {
        header,
        rows,
        widths: vec![140.0, 150.0, W - 2.0 * MARGIN - 290.0],
        size: 7.0,
        figures: false,
    });
    if !references.is_empty() {
        b.push(Block::Table {
            header: vec![if da { "Kilder" } else { "Sources" }.into()],
            rows: references,
            widths: vec![W - 2.0 * MARGIN],
            size: 6.0,
            figures: false,
        });
    }
    b.push(Block::Para(
        if da {
            "Alle antagelser, kilder og resultater står i report.html og workbook.xlsx fra samme kørsel."
        } else {
            "Every assumption, source and result is in report.html and workbook.xlsx of the same run."
        }
        .into(),
        7.5,
    ));
    b
}

fn payer_label(p: Payer, lang: Lang) -> String {
    let da = lang == Lang::Da;
    match p {
        Payer::Bif => "BIF".into(),
        Payer::Sof => "SOF".into(),
        Payer::Suf => "SUF".into(),
        Payer::Region => if da { "Regionen" } else { "Region" }.into(),
        Payer::State => if da { "Staten" } else { "State" }.into(),
        Payer::Citizen => if da { "Borgeren" } else { "Citizen" }.into(),
    }
}

/// The assumptions behind the largest lines: each service's staff and cost per FTE-year,
/// each programme cost, the discount rate and the arm's effects — value and source.
fn assumptions(sc: &Scenario, lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let da = lang == Lang::Da;
    let arm = Results::focus_arm(sc);
    let a = &sc.arms[arm];
    let mut rows = Vec::new();
    let value = |id: usize| super::assumptions::value_and_range(&sc.params[id].param, lang);
    let source = |id: usize| {
        super::assumptions::sources_text(&[sc.params[id].param.source.as_deref()], lang).0
    };
    // One row per service: its staff and its cost per FTE-year.
    for sv in &a.services {
        let label = if da { &sv.label_da } else { &sv.label_en };
        let (sources, _) = super::assumptions::sources_text(
            &[
                sc.params[sv.fte].param.source.as_deref(),
                sc.params[sv.cost_per_fte_year].param.source.as_deref(),
            ],
            lang,
        );
        rows.push(vec![
            label.clone(),
            format!(
                "{} FTE × {} {}",
                value(sv.fte),
                value(sv.cost_per_fte_year),
                if da { "kr. pr. år" } else { "DKK a year" }
            ),
            sources,
        ]);
    }
    for co in &a.costs {
        let label = if da { &co.label_da } else { &co.label_en };
        rows.push(vec![label.clone(), value(co.amount), source(co.amount)]);
    }
    let dr = sc.sim.discount_rate;
    rows.push(vec![
        if da {
            "Diskonteringsrente pr. år"
        } else {
            "Discount rate per year"
        }
        .into(),
        value(dr),
        source(dr),
    ]);
    let chain = &sc.chains[crate::scenario::COURSE];
    for &(from, to, pid) in a.effects.iter().take(4) {
        let name = |s: usize| {
            chain
                .states
                .get(s)
                .map(|x| {
                    if da {
                        x.label_da.clone()
                    } else {
                        x.label_en.clone()
                    }
                })
                .unwrap_or_default()
        };
        rows.push(vec![
            format!(
                "{} {} → {}",
                if da {
                    "Risikoforhold (hazard ratio)"
                } else {
                    "Hazard ratio"
                },
                name(from),
                name(to)
            ),
            value(pid),
            source(pid),
        ]);
    }
    (
        vec![
            if da { "Antagelse" } else { "Assumption" }.into(),
            if da { "Værdi" } else { "Value" }.into(),
            if da { "Kilde" } else { "Source" }.into(),
        ],
        rows,
    )
}

/// Text measuring with the bundled font.
struct Measure<'a>(FontRef<'a>);

impl Measure<'_> {
    /// Width in points at font size `size` (the em size, as in the PDF).
    fn width(&self, s: &str, size: f32) -> f32 {
        let em = self.0.units_per_em().unwrap_or(2048.0);
        s.chars()
            .map(|c| self.0.h_advance_unscaled(self.0.glyph_id(c)))
            .sum::<f32>()
            * size
            / em
    }

    /// Break `s` into lines no wider than `w`.
    fn wrap(&self, s: &str, size: f32, w: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut cur = String::new();
        for word in s.split_whitespace() {
            let cand = if cur.is_empty() {
                word.to_string()
            } else {
                format!("{cur} {word}")
            };
            if self.width(&cand, size) <= w || cur.is_empty() {
                cur = cand;
            } else {
                lines.push(std::mem::take(&mut cur));
                cur = word.to_string();
            }
        }
        if !cur.is_empty() {
            lines.push(cur);
        }
        lines
    }
}

fn fill(c: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn rect(s: &mut Surface, x: f32, y: f32, w: f32, h: f32, c: (u8, u8, u8)) {
    if let Some(r) = Rect::from_xywh(x, y, w.max(0.1), h.max(0.1)) {
        let mut pb = PathBuilder::new();
        pb.push_rect(r);
        if let Some(p) = pb.finish() {
            s.set_fill(Some(fill(c)));
            s.draw_path(&p);
        }
    }
}

fn line(s: &mut Surface, x0: f32, y0: f32, x1: f32, y1: f32, grey: u8) {
    let mut pb = PathBuilder::new();
    pb.move_to(x0, y0);
    pb.line_to(x1, y1);
    if let Some(p) = pb.finish() {
        s.set_fill(None);
        s.set_stroke(Some(Stroke {
            paint: rgb::Color::new(grey, grey, grey).into(),
            width: 0.6,
            ..Default::default()
        }));
        s.draw_path(&p);
        s.set_stroke(None);
    }
}

fn text(s: &mut Surface, sh: &mut Shaper, x: f32, y: f32, size: f32, t: &str) {
    s.set_fill(Some(fill((34, 34, 34))));
    let glyphs = sh.shape(t);
    s.draw_glyphs(
        Point::from_xy(x, y),
        &glyphs,
        sh.font.clone(),
        t,
        size,
        false,
    );
}

/// Shapes text as krilla's `Surface::draw_text` does (rustybuzz, direction and script guessed
/// from the text, no features), with the font parsed and each shaping plan made once per
/// document instead of once per piece of text; the glyphs, and so the file, are the same.
struct Shaper<'a> {
    font: Font,
    face: rustybuzz::Face<'a>,
    plans: Vec<((Direction, Option<Script>), ShapePlan)>,
}

impl<'a> Shaper<'a> {
    fn new(data: &'a [u8], font: Font) -> Result<Shaper<'a>> {
        let face = rustybuzz::Face::from_slice(data, 0)
            .ok_or_else(|| Error::Runtime("the bundled font cannot be shaped".into()))?;
        Ok(Shaper {
            font,
            face,
            plans: Vec::new(),
        })
    }

    fn shape(&mut self, text: &str) -> Vec<KrillaGlyph> {
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let dir = buffer.direction();
        // `script()` reads an unguessed script as UNKNOWN, which guessing never sets.
        let script = Some(buffer.script()).filter(|&s| s != rustybuzz::script::UNKNOWN);
        let key = (dir, script);
        let i = match self.plans.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                let plan = ShapePlan::new(&self.face, dir, script, None, &[]);
                self.plans.push((key, plan));
                self.plans.len() - 1
            }
        };
        let output = rustybuzz::shape_with_plan(&self.face, &self.plans[i].1, buffer);
        let upem = self.font.units_per_em();
        let positions = output.glyph_positions();
        let infos = output.glyph_infos();
        let forward = dir == Direction::LeftToRight || dir == Direction::TopToBottom;
        (0..output.len())
            .map(|i| {
                let (pos, info) = (positions[i], infos[i]);
                let start = info.cluster as usize;
                // The glyph's text runs to the next glyph of another cluster (or the end).
                let end = if forward {
                    infos[i + 1..]
                        .iter()
                        .find(|n| n.cluster != info.cluster)
                        .map_or(text.len(), |n| n.cluster as usize)
                } else {
                    infos[..i]
                        .iter()
                        .rev()
                        .find(|n| n.cluster != info.cluster)
                        .map_or(text.len(), |n| n.cluster as usize)
                };
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    pos.x_advance as f32 / upem,
                    pos.x_offset as f32 / upem,
                    pos.y_offset as f32 / upem,
                    pos.y_advance as f32 / upem,
                    start..end,
                    None,
                )
            })
            .collect()
    }
}

/// Lay the blocks out on at most two A4 pages.
fn render(sc: &Scenario, lang: Lang, blocks: &[Block]) -> Result<Vec<u8>> {
    let measure = Measure(
        FontRef::try_from_slice(FONT)
            .map_err(|e| Error::Runtime(format!("the bundled font cannot be read: {e}")))?,
    );
    let font = Font::new(FONT.into(), 0)
        .ok_or_else(|| Error::Runtime("the bundled font cannot be embedded".into()))?;
    let mut shaper = Shaper::new(FONT, font)?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(if lang == Lang::Da {
                sc.title_da.clone()
            } else {
                sc.title_en.clone()
            })
            .language(if lang == Lang::Da { "da" } else { "en" }.into())
            .creator(format!("ressim {}", env!("CARGO_PKG_VERSION"))),
    );
    let width = W - 2.0 * MARGIN;
    let bottom = H - MARGIN;
    // First lay out into positioned items per page, then draw page by page.
    let mut pages: Vec<Vec<Item>> = vec![vec![]];
    let mut y = MARGIN;
    let mut truncated = false;
    let place = |pages: &mut Vec<Vec<Item>>, y: &mut f32, h: f32| -> bool {
        if *y + h > bottom {
            if pages.len() >= MAX_PAGES {
                return false;
            }
            pages.push(vec![]);
            *y = MARGIN;
        }
        true
    };
    'blocks: for b in blocks {
        match b {
            Block::Heading(t) => {
                // Keep a heading with at least a few lines of what follows.
                if !place(&mut pages, &mut y, 16.0 + 40.0) {
                    truncated = true;
                    break 'blocks;
                }
                y += 8.0;
                pages.last_mut().into_iter().for_each(|p| {
                    p.push(Item::Text(MARGIN, y + 10.5, 11.5, t.clone()));
                    p.push(Item::Rule(MARGIN, y + 14.0, MARGIN + width));
                });
                y += 18.0;
            }
            Block::Para(t, size) => {
                let lh = size * 1.35;
                for l in measure.wrap(t, *size, width) {
                    if !place(&mut pages, &mut y, lh) {
                        truncated = true;
                        break 'blocks;
                    }
                    if let Some(p) = pages.last_mut() {
                        p.push(Item::Text(MARGIN, y + size, *size, l));
                    }
                    y += lh;
                }
                y += 3.0;
            }
            Block::Table {
                header,
                rows,
                widths,
                size,
                figures,
            } => {
                let lh = size * 1.3;
                for (ri, row) in std::iter::once(header).chain(rows.iter()).enumerate() {
                    let cells: Vec<Vec<String>> = row
                        .iter()
                        .zip(widths)
                        .map(|(c, w)| measure.wrap(c, *size, w - 4.0))
                        .collect();
                    let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
                    let h = n as f32 * lh + 3.0;
                    if !place(&mut pages, &mut y, h) {
                        truncated = true;
                        break 'blocks;
                    }
                    let Some(p) = pages.last_mut() else { break };
                    if ri == 0 {
                        p.push(Item::Box(MARGIN, y, width, h, (238, 242, 248)));
                    }
                    let mut x = MARGIN;
                    for (ci, (c, w)) in cells.iter().zip(widths).enumerate() {
                        for (li, l) in c.iter().enumerate() {
                            // Numbers right-aligned, the first column and text left.
                            let numeric = ci > 0 && *figures;
                            let tx = if numeric {
                                x + w - 2.0 - measure.width(l, *size)
                            } else {
                                x + 2.0
                            };
                            p.push(Item::Text(
                                tx,
                                y + 1.5 + size + li as f32 * lh,
                                *size,
                                l.clone(),
                            ));
                        }
                        x += w;
                    }
                    p.push(Item::Rule(MARGIN, y + h, MARGIN + width));
                    y += h;
                }
                y += 4.0;
            }
            Block::Bridge(steps) => {
                let row = 13.0;
                let h = steps.len() as f32 * row + 16.0;
                if !place(&mut pages, &mut y, h) {
                    truncated = true;
                    break 'blocks;
                }
                let Some(p) = pages.last_mut() else { break };
                let label_w = 190.0;
                let x0 = MARGIN + label_w;
                let plot_w = width - label_w - 60.0;
                let (mut lo, mut hi) = steps.iter().fold((0.0f64, 0.0f64), |(a, b), s| {
                    (a.min(s.1.min(s.2)), b.max(s.1.max(s.2)))
                });
                if hi - lo < 1e-9 {
                    lo -= 1.0;
                    hi += 1.0;
                }
                let sx = |v: f64| x0 + ((v - lo) / (hi - lo)) as f32 * plot_w;
                let last = steps.len().saturating_sub(1);
                for (i, (label, a, b)) in steps.iter().enumerate() {
                    let ty = y + i as f32 * row;
                    let shown = shorten(&measure, label, 7.5, label_w - 6.0);
                    p.push(Item::Text(
                        x0 - 4.0 - measure.width(&shown, 7.5),
                        ty + 9.0,
                        7.5,
                        shown,
                    ));
                    let colour = if i == last {
                        (66, 114, 176)
                    } else if b < a {
                        (196, 78, 82)
                    } else {
                        (85, 168, 104)
                    };
                    let (l, r) = (sx(a.min(*b)), sx(a.max(*b)));
                    p.push(Item::Box(l, ty + 2.0, r - l, row - 4.0, colour));
                    p.push(Item::Text(r + 3.0, ty + 9.0, 7.0, mio(b - a, lang)));
                }
                let zero = sx(0.0);
                p.push(Item::Line(zero, y, zero, y + steps.len() as f32 * row));
                y += h;
            }
        }
    }
    if truncated {
        let note = if lang == Lang::Da {
            "… resten står i report.html."
        } else {
            "… the rest is in report.html."
        };
        if let Some(p) = pages.last_mut() {
            p.push(Item::Text(MARGIN, bottom + 14.0, 7.5, note.into()));
        }
    }
    let n_pages = pages.len();
    for (i, items) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(W, H)
            .ok_or_else(|| Error::Runtime("cannot make an A4 page".into()))?;
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        for it in items {
            match it {
                Item::Text(x, y, size, t) => text(&mut s, &mut shaper, x, y, size, &t),
                Item::Rule(x0, y, x1) => line(&mut s, x0, y, x1, y, 190),
                Item::Line(x0, y0, x1, y1) => line(&mut s, x0, y0, x1, y1, 60),
                Item::Box(x, y, w, h, c) => rect(&mut s, x, y, w, h, c),
            }
        }
        let foot = format!("{} · {}/{}", sc.name, i + 1, n_pages);
        text(
            &mut s,
            &mut shaper,
            W - MARGIN - measure.width(&foot, 7.0),
            H - 18.0,
            7.0,
            &foot,
        );
        s.finish();
        page.finish();
    }
    doc.finish()
        .map_err(|e| Error::Runtime(format!("cannot write attachment.pdf: {e:?}")))
}

/// A positioned drawing instruction.
enum Item {
    Text(f32, f32, f32, String),
    Rule(f32, f32, f32),
    Line(f32, f32, f32, f32),
    Box(f32, f32, f32, f32, (u8, u8, u8)),
}

fn shorten(m: &Measure, s: &str, size: f32, w: f32) -> String {
    if m.width(s, size) <= w {
        return s.to_string();
    }
    let mut t: Vec<char> = s.chars().collect();
    while !t.is_empty() && m.width(&(t.iter().collect::<String>() + "…"), size) > w {
        t.pop();
    }
    t.into_iter().collect::<String>() + "…"
}
