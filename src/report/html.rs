//! `report.html`: one self-contained file — inline CSS and SVG, no scripts, fonts or images
//! from anywhere — printable to A4. Every figure is taken from summary.json's values, so the
//! report and the JSON agree.

use super::format::{Lang, dkk, mio, num, pct};
use crate::economics::business_case::PERSPECTIVES;
use crate::montecarlo::Results;
use crate::scenario::{COURSE, Payer, Scenario};
use serde_json::Value;
use std::fmt::Write;

/// Words of the report: (key, Danish, English).
#[rustfmt::skip]
const WORDS: &[(&str, &str, &str)] = &[
    ("headline", "Hovedtal: business case", "Headline figures: the business case"),
    ("perspective", "Perspektiv", "Perspective"),
    ("investment", "Investering", "Investment"),
    ("savings", "Bruttobesparelse", "Gross savings"),
    ("net", "Netto", "Net"),
    ("npv", "Nutidsværdi (95 %-interval)", "Net present value (95 % interval)"),
    ("roi", "Besparelse pr. investeret krone", "Savings per krone invested"),
    ("payback", "Tilbagebetalt (måned)", "Payback (month)"),
    ("ppos", "Sandsynlighed for positiv nutidsværdi", "Probability of positive NPV"),
    ("breakeven", "Nødvendig effektskala", "Break-even effect scale"),
    ("never", "ikke inden for horisonten", "not within the horizon"),
    ("notreached", "ikke nået (> 4)", "not reached (> 4)"),
    ("whopays", "Hvem betaler, hvem sparer", "Who pays, who saves"),
    ("payer", "Betaler", "Payer"),
    ("citizens", "Borgernes forløb", "Citizens' outcomes"),
    ("state", "Status ved horisonten", "State at the horizon"),
    ("staffing", "Bemanding: udnyttelse og kø", "Staffing: utilisation and queues"),
    ("service", "Indsats", "Service"),
    ("fte", "Årsværk", "FTE"),
    ("util", "Udnyttelse", "Utilisation"),
    ("maxq", "Største kø", "Longest queue"),
    ("served", "Borgere betjent", "Citizens served"),
    ("nodetect", "ingen påviselig effekt", "no detectable effect"),
    ("neverserved", "Tilbudt, aldrig betjent", "Offered, never served"),
    ("wait", "Gns. ventetid (mdr.)", "Mean wait (months)"),
    ("uncertainty", "Usikkerhed", "Uncertainty"),
    ("method", "Metode", "Method"),
    ("repro", "Reproducerbarhed", "Reproducibility"),
    ("warnings", "Advarsler", "Warnings"),
];

/// Words of the report in one language ("" for a key it does not know).
fn tr(lang: Lang, key: &str) -> &'static str {
    WORDS
        .iter()
        .find(|w| w.0 == key)
        .map_or("", |&(_, da, en)| if lang == Lang::Da { da } else { en })
}

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The label of the arm with id `id` in the report's language (the id if it has none).
fn arm_label(sc: &Scenario, id: &str, lang: Lang) -> String {
    sc.arms
        .iter()
        .find(|a| a.id == id)
        .map(|a| {
            if lang == Lang::Da {
                &a.label_da
            } else {
                &a.label_en
            }
        })
        .filter(|l| !l.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| id.to_string())
}

/// A stat's mean in mio. with its 95 % interval, or the mean alone when there is no interval
/// (one replication).
fn with_interval(v: &Value, lang: Lang) -> String {
    match (v["p025"].as_f64(), v["p975"].as_f64()) {
        (Some(lo), Some(hi)) => format!(
            "{} ({} … {})",
            mio(mean(v), lang),
            mio(lo, lang),
            mio(hi, lang)
        ),
        _ => mio(mean(v), lang),
    }
}

fn mean(v: &Value) -> f64 {
    v.get("mean")
        .and_then(Value::as_f64)
        .or_else(|| v.as_f64())
        .unwrap_or(f64::NAN)
}

/// The name of a payer or perspective id (`bif`, `municipality`, …) for readers.
pub fn payer_name(p: &str, lang: Lang) -> String {
    let da = lang == Lang::Da;
    match p {
        "bif" => if da {
            "BIF (beskæftigelse)"
        } else {
            "BIF (employment)"
        }
        .into(),
        "sof" => if da { "SOF (socialt)" } else { "SOF (social)" }.into(),
        "suf" => if da { "SUF (sundhed)" } else { "SUF (health)" }.into(),
        "municipality" => if da { "Kommunen i alt" } else { "Municipality" }.into(),
        "region" => "Region".into(),
        "state" => if da { "Staten" } else { "State" }.into(),
        "public" => if da {
            "Offentlig sektor"
        } else {
            "Public sector"
        }
        .into(),
        "society" => if da { "Samfundet" } else { "Society" }.into(),
        "citizen" => if da { "Borgeren" } else { "Citizen" }.into(),
        other => other.into(),
    }
}

pub(super) const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#222;max-width:1050px;margin:24px auto;padding:0 16px;line-height:1.4}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;border-bottom:2px solid #4272b0;padding-bottom:3px;margin-top:28px}
table{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:13px}th,td{border:1px solid #ccc;padding:4px 6px;text-align:right;vertical-align:top}
th{background:#eef2f8}td.l,th.l{text-align:left}.neg{color:#a32}.small{font-size:12px;color:#555}
figure{margin:10px 0;page-break-inside:avoid}figure svg{width:100%;height:auto}
.warn{background:#fff5d6;border:1px solid #e0c060;padding:6px 10px}
table.lines td,table.lines th{font-size:12px}section.verdict p{font-size:15px}
@media (max-width:700px){body{margin:8px auto;padding:0 8px}table{font-size:11px;display:block;overflow-x:auto}h1{font-size:20px}}
@page{size:A4;margin:14mm}@media print{body{margin:0;max-width:none;font-size:11px}h2{page-break-after:avoid;break-after:avoid}h2.page{break-before:page}
figure,tr,.verdict,.warn{page-break-inside:avoid;break-inside:avoid}thead{display:table-header-group}table{page-break-inside:auto}figure svg{max-height:120mm}}
table.compact,table.drivers{table-layout:fixed;font-size:12px}table.compact td,table.drivers td{padding:2px 4px}table.compact td:first-child,table.drivers td:first-child,td a{overflow-wrap:anywhere}
tr.topic th{background:#f4f4f4}ul.bib{padding-left:0;list-style:none;font-size:12px}ul.bib li{margin:2px 0;overflow-wrap:anywhere}span.url{color:#2a5db0}
@media print{table.compact,table.drivers{font-size:7pt}table.compact td,table.compact th,table.drivers td,table.drivers th{padding:0 3px;line-height:1.15}tr.topic{break-after:avoid}ul.bib{font-size:8pt}ul.bib li{break-inside:avoid}section.assumptions{break-before:page}section.assumptions p.small{font-size:8pt}section.assumptions h3{margin:6px 0 2px}}";

/// Everything the report needs besides the results.
pub struct ReportInput<'a> {
    /// summary.json.
    pub summary: &'a Value,
    /// manifest.json.
    pub manifest: &'a Value,
    /// Inline SVG charts: (caption, svg text).
    pub charts: Vec<(String, String)>,
    /// Language.
    pub lang: Lang,
    /// The verdict and lines of the explained perspective.
    pub explained: &'a super::explain::Explained,
    /// The bridge chart (SVG text).
    pub bridge_svg: &'a str,
}

/// Build report.html.
pub fn report(sc: &Scenario, res: &Results, input: &ReportInput) -> String {
    let lang = input.lang;
    let da = lang == Lang::Da;
    let s = input.summary;
    let bc = &s["business_case"];
    let drivers = super::drivers::for_municipality(sc, res);
    let mut h = String::new();
    let title = if da { &sc.title_da } else { &sc.title_en };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        if da { "da" } else { "en" },
        esc(title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(title));
    if let Some(ev) = &sc.evidence {
        let _ = writeln!(h, "<p class=\"evidence\">{}</p>", esc(&ev.sentence(da)));
    }
    super::explain_html::verdict(&mut h, input.explained, lang);
    for line in super::answer::sentences(&drivers, s, lang) {
        let _ = writeln!(h, "<p>{}</p>", esc(&line));
    }
    let arm = bc["arm"].as_str().unwrap_or("treatment");
    let _ = writeln!(
        h,
        "<p>{} <b>{}</b> {} <b>{}</b>. Start: {}, {} {} {}; {} {}; {} {}; {} {}{}. {}</p>",
        if da {
            "Sammenligning af"
        } else {
            "Comparison of"
        },
        esc(&arm_label(sc, arm, lang)),
        if da { "med" } else { "with" },
        esc(&arm_label(
            sc,
            bc["compared_with"].as_str().unwrap_or("control"),
            lang
        )),
        esc(s["start"].as_str().unwrap_or("")),
        if da { "horisont" } else { "horizon" },
        s["horizon_months"],
        if da { "måneder" } else { "months" },
        if da { "prisår" } else { "price year" },
        s["price_year"],
        if da {
            "diskonteringsrente"
        } else {
            "discount rate"
        },
        pct(bc["discount_rate"].as_f64().unwrap_or(0.0), lang),
        s["replications"],
        if da {
            "replikationer med usikre parametre"
        } else {
            "replications with uncertain parameters"
        },
        if s["psa"].as_bool() == Some(true) {
            ""
        } else if da {
            " (faste)"
        } else {
            " (fixed)"
        },
        esc(&description(sc, input.manifest, lang))
    );
    if let Some(t) = super::after_close::sentence(sc, lang) {
        let _ = writeln!(h, "<p>{}</p>", esc(&t));
    }
    if let Some(t) = super::method::offered_served(s, bc["arm"].as_str().unwrap_or(""), lang) {
        let _ = writeln!(h, "<p class=\"served\">{}</p>", esc(&t));
    }
    if let Some(ch) = input.manifest["changes"]
        .as_array()
        .filter(|c| !c.is_empty())
    {
        let key = if da { "text_da" } else { "text_en" };
        let _ = writeln!(
            h,
            "<p class=\"changes\"><b>{}:</b> {}.</p>",
            if da {
                "Ændret ved kørslen"
            } else {
                "Changed for this run"
            },
            ch.iter()
                .map(|c| esc(c[key].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    if let Some(w) = s["warnings"].as_array().filter(|w| !w.is_empty()) {
        let _ = write!(
            h,
            "<div class=\"warn\"><b>{}:</b><ul>",
            tr(lang, "warnings")
        );
        for x in w {
            let _ = write!(h, "<li>{}</li>", esc(x.as_str().unwrap_or("")));
        }
        let _ = writeln!(h, "</ul></div>");
    }

    // Headline table.
    let _ = writeln!(h, "<h2>{}</h2>", tr(lang, "headline"));
    let _ = writeln!(
        h,
        "<table><tr><th class=\"l\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        tr(lang, "perspective"),
        tr(lang, "investment"),
        tr(lang, "savings"),
        tr(lang, "net"),
        tr(lang, "npv"),
        tr(lang, "roi"),
        tr(lang, "payback"),
        tr(lang, "ppos"),
        tr(lang, "breakeven")
    );
    for id in PERSPECTIVES {
        let p = &bc["perspectives"][id];
        let npv = &p["npv_dkk"];
        let roi = if p["roi"].is_null() {
            "–".to_string()
        } else {
            num(mean(&p["roi"]), 2, lang)
        };
        let nothing = p["effect_detectable"] == Value::Bool(false);
        let payback = p["payback_month"]
            .as_u64()
            .map(|m| {
                format!(
                    "{} ({})",
                    m.saturating_sub(1),
                    p["payback_calendar_month"].as_str().unwrap_or("")
                )
            })
            .unwrap_or_else(|| tr(lang, if nothing { "nodetect" } else { "never" }).into());
        let be = match p.get("break_even_effect_scale") {
            None => "–".to_string(),
            Some(_) if nothing => tr(lang, "nodetect").into(),
            Some(Value::Null) => tr(lang, "notreached").into(),
            Some(v) => num(v.as_f64().unwrap_or(f64::NAN), 2, lang),
        };
        let cls = if mean(npv) < 0.0 {
            " class=\"neg\""
        } else {
            ""
        };
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td{cls}>{}</td><td>{roi}</td><td>{payback}</td><td>{}</td><td>{be}</td></tr>",
            payer_name(id, lang),
            mio(mean(&p["investment_dkk"]), lang),
            mio(mean(&p["gross_savings_dkk"]), lang),
            mio(mean(&p["net_dkk"]), lang),
            with_interval(npv, lang),
            pct(p["p_positive_npv"].as_f64().unwrap_or(f64::NAN), lang),
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(
        h,
        "<p class=\"small\">{}</p>",
        if da {
            "Investering: indsatsens personale og øvrige udgifter. Bruttobesparelse: kontrolgruppens udgifter minus indsatsgruppens på scenariets konti (ydelser efter eventuel statsrefusion). Nutidsværdi: diskonteret bruttobesparelse minus diskonteret investering. Samfundet udelader overførsler (ydelser, skat) og medregner borgerens indkomst. Tilbagebetalt: den måned (talt fra 0 som i scenariet, med kalendermåned), fra hvis udgang den gennemsnitlige akkumulerede diskonterede netto forbliver over 0 kr. til horisonten; »aldrig«, hvis det ikke sker; »ingen påviselig effekt«, når nutidsværdiens gennemsnit ligger inden for 2 Monte Carlo-standardfejl af nul. Over nul betyder strengt over 0 kr., både for tilbagebetaling, P(NPV>0) og break-even-effekten, så et perspektiv, der ikke mærker noget (netto præcis 0), hverken tilbagebetales eller tæller som positivt."
        } else {
            "Investment: the programme's staff and other costs. Gross savings: control's costs minus the arm's on the scenario's accounts (benefits after any state reimbursement). Net present value: discounted gross savings minus discounted investment. Society leaves out transfers (benefits, taxes) and counts citizens' earnings. Payback: the month (counted from 0 as in the scenario, with its calendar month) from whose end the mean cumulative discounted net stays above 0 kr. up to the horizon; \"never\" when that does not happen; \"no detectable effect\" when the mean NPV lies within 2 Monte Carlo standard errors of zero. Above zero means strictly above 0 kr. for payback, P(NPV>0) and the break-even effect alike, so a perspective that feels nothing (a net of exactly 0) neither pays back nor counts as positive."
        }
    );
    for (cap, svg) in input.charts.iter().filter(|c| c.0.starts_with("net")) {
        figure(&mut h, cap, svg);
    }

    super::explain_html::lines(&mut h, input.explained, input.bridge_svg, lang);

    investment_case(&mut h, bc, lang);

    // Who pays, who saves: payer × year net from business_case.csv's numbers.
    let _ = writeln!(h, "<h2>{}</h2>", tr(lang, "whopays"));
    let years = crate::report::csv::years(sc, res.layout.horizon);
    let n = res.replications().max(1) as f64;
    let focus = Results::focus_arm(sc);
    if let Some(c) = &res.comparison_sums[focus] {
        let _ = write!(h, "<table><tr><th class=\"l\">{}</th>", tr(lang, "payer"));
        for (y, _) in &years {
            let _ = write!(h, "<th>{y}</th>");
        }
        let _ = writeln!(h, "<th>{}</th></tr>", if da { "I alt" } else { "Total" });
        for (p, payer) in Payer::ALL.iter().enumerate() {
            let _ = write!(
                h,
                "<tr><td class=\"l\">{}</td>",
                payer_name(payer.id(), lang)
            );
            let mut total = 0.0;
            for (_, cycles) in &years {
                let v: f64 = cycles
                    .iter()
                    .map(|&m| c.payer_sav[p][m] - c.payer_inv[p][m])
                    .sum::<f64>()
                    / n;
                total += v;
                let cls = if v < -0.5 { " class=\"neg\"" } else { "" };
                let _ = write!(h, "<td{cls}>{}</td>", num(v / 1e6, 2, lang));
            }
            let _ = writeln!(h, "<td>{}</td></tr>", num(total / 1e6, 2, lang));
        }
        let _ = writeln!(
            h,
            "</table><p class=\"small\">{}</p>",
            if da {
                "Netto (besparelse minus investering) i mio. kr. pr. budgetår, udiskonteret; negativ: betaler mere. Statens andel af ydelser efter refusionstrappen står under Staten."
            } else {
                "Net (savings minus investment) in DKK million per budget year, undiscounted; negative: pays more. The state's share of benefits by the refusion staircase is under State."
            }
        );
    }
    for (cap, svg) in input.charts.iter().filter(|c| c.0.starts_with("payers")) {
        figure(&mut h, cap, svg);
    }

    // Citizens.
    let _ = writeln!(h, "<h2>{}</h2>", tr(lang, "citizens"));
    let _ = write!(h, "<table><tr><th class=\"l\">{}</th>", tr(lang, "state"));
    for a in &sc.arms {
        let _ = write!(
            h,
            "<th>{}</th>",
            esc(if da { &a.label_da } else { &a.label_en })
        );
    }
    let _ = writeln!(h, "</tr>");
    for st in &sc.chains[COURSE].states {
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td>",
            esc(if da { &st.label_da } else { &st.label_en })
        );
        for a in &sc.arms {
            let v = s["arms"][&a.id]["outcomes_at_end"][&st.id]
                .as_f64()
                .unwrap_or(f64::NAN);
            let _ = write!(h, "<td>{}</td>", pct(v, lang));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table>");
    for (cap, svg) in input
        .charts
        .iter()
        .filter(|c| c.0.starts_with("outcomes") || c.0.starts_with("occupancy"))
    {
        figure(&mut h, cap, svg);
    }

    // Staffing.
    if let Some(map) = s["staffing"].as_object().filter(|m| !m.is_empty()) {
        let _ = writeln!(h, "<h2>{}</h2>", tr(lang, "staffing"));
        let _ = writeln!(
            h,
            "<table><tr><th class=\"l\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            tr(lang, "service"),
            tr(lang, "fte"),
            tr(lang, "util"),
            tr(lang, "maxq"),
            tr(lang, "wait"),
            tr(lang, "served"),
            tr(lang, "neverserved")
        );
        for (id, v) in map {
            let label = v[if da { "label_da" } else { "label_en" }]
                .as_str()
                .unwrap_or(id);
            let opt = |k: &str, f: &dyn Fn(f64) -> String| {
                v[k].as_f64().map(f).unwrap_or_else(|| "–".into())
            };
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(label),
                opt("fte", &|x| num(x, 1, lang)),
                opt("utilisation_mean", &|x| pct(x, lang)),
                opt("max_queue", &|x| num(x, 0, lang)),
                opt("mean_wait_months", &|x| num(x, 1, lang)),
                opt("citizens_served", &|x| num(x, 0, lang)),
                opt("share_offered_never_served", &|x| pct(x, lang)),
            );
        }
        let _ = writeln!(h, "</table>");
        for (cap, svg) in input.charts.iter().filter(|c| c.0.starts_with("staffing")) {
            figure(&mut h, cap, svg);
        }
    }

    h.push_str(&super::quantities::html(sc, s, lang));

    // Uncertainty.
    let _ = writeln!(h, "<h2>{}</h2>", tr(lang, "uncertainty"));
    let muni = &bc["perspectives"]["municipality"]["npv_dkk"];
    if muni["mcse"].is_null() {
        let _ = writeln!(
            h,
            "<p>{} {}. {}</p>",
            if da {
                "Kommunens nutidsværdi er"
            } else {
                "The municipality's net present value is"
            },
            mio(mean(muni), lang),
            if da {
                "Med én replikation kan hverken Monte Carlo-standardfejlen eller et 95 %-interval beregnes; de er tomme (null) i summary.json og ikke 0. Kør mindst 200 replikationer for resultater, der skal bruges."
            } else {
                "With one replication neither the Monte Carlo standard error nor a 95 % interval can be estimated; they are empty (null) in summary.json, not 0. Run 200 replications or more for results you report."
            }
        );
    } else {
        let _ = writeln!(
            h,
            "<p>{} {} ({}: {}; {} {}).</p>",
            if da {
                "Kommunens nutidsværdi er i gennemsnit"
            } else {
                "The municipality's net present value averages"
            },
            mio(mean(muni), lang),
            if da { "95 %-interval" } else { "95 % interval" },
            format_args!(
                "{} … {}",
                mio(muni["p025"].as_f64().unwrap_or(f64::NAN), lang),
                mio(muni["p975"].as_f64().unwrap_or(f64::NAN), lang)
            ),
            if da {
                "Monte Carlo-standardfejl på gennemsnittet"
            } else {
                "Monte Carlo standard error of the mean"
            },
            dkk(muni["mcse"].as_f64().unwrap_or(f64::NAN), lang),
        );
    }
    for (cap, svg) in input.charts.iter().filter(|c| c.0.starts_with("npv")) {
        figure(&mut h, cap, svg);
    }

    // Method.
    let _ = writeln!(h, "<h2>{}</h2>", tr(lang, "method"));
    let _ = writeln!(h, "<p>{}</p>", esc(&super::method::text(sc, lang)));

    super::assumptions::section(&mut h, sc, &drivers, lang);

    // Reproducibility.
    let m = input.manifest;
    let _ = writeln!(h, "<h2>{}</h2><table>", tr(lang, "repro"));
    for (k, label) in [
        ("ressim_version", "ressim"),
        ("scenario_sha256", "scenario SHA-256"),
        ("seed", "seed"),
        (
            "replications",
            if da { "replikationer" } else { "replications" },
        ),
        ("threads", if da { "tråde" } else { "threads" }),
    ] {
        let v = match &m[k] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><th class=\"l\">{label}</th><td class=\"l\">{}</td></tr>",
            esc(&v)
        );
    }
    let cmd = m["command_line"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "<tr><th class=\"l\">{}</th><td class=\"l\"><code>{}</code></td></tr></table>",
        if da { "kommando" } else { "command line" },
        esc(&cmd)
    );
    super::assumptions::bibliography(&mut h, sc, lang);
    let _ = writeln!(h, "</body></html>");
    h
}

/// The scenario's own description, or — when the run changed its staffing, so that the
/// description's figures may no longer hold — the staffing as run, built from the model.
fn description(sc: &Scenario, manifest: &Value, lang: Lang) -> String {
    let da = lang == Lang::Da;
    let staff_changed = manifest["changes"].as_array().is_some_and(|c| {
        c.iter()
            .any(|x| x["key"].as_str().is_some_and(|k| k.starts_with("staff.")))
    });
    if !staff_changed {
        return if da {
            sc.description_da.clone()
        } else {
            sc.description.clone()
        };
    }
    let arm = Results::focus_arm(sc);
    let staff: Vec<String> = sc.arms[arm]
        .services
        .iter()
        .map(|sv| {
            format!(
                "{} {} FTE",
                if da { &sv.label_da } else { &sv.label_en },
                num(sc.params[sv.fte].param.central(), 1, lang)
            )
        })
        .collect();
    if da {
        format!(
            "Bemandingen i denne kørsel: {}. (Scenariets egen beskrivelse er udeladt, fordi kørslen ændrer bemandingen.)",
            staff.join(", ")
        )
    } else {
        format!(
            "Staffing in this run: {}. (The scenario's own description is left out because the run changes its staffing.)",
            staff.join(", ")
        )
    }
}

pub(super) fn figure(h: &mut String, caption: &str, svg: &str) {
    // The caption's first word is the chart's id; the rest is shown.
    let shown = caption.split_once(": ").map(|x| x.1).unwrap_or(caption);
    let body = svg.trim_start_matches(|c| c != '<');
    let body = match body.find("<svg") {
        Some(i) => &body[i..],
        None => body,
    };
    let _ = writeln!(
        h,
        "<figure>{body}<figcaption class=\"small\">{}</figcaption></figure>",
        esc(shown)
    );
}

/// The investment-case table of a standing programme (summary `business_case.full_phase_in`):
/// per administration the yearly investment, saving and net at full phase-in, and the payback
/// in years — the format of Copenhagen's investment cases.
fn investment_case(h: &mut String, bc: &Value, lang: Lang) {
    let fp = &bc["full_phase_in"];
    let (Some(from), Some(to)) = (fp["from_year"].as_i64(), fp["to_year"].as_i64()) else {
        return;
    };
    let da = lang == Lang::Da;
    let t = |d: &'static str, e: &'static str| if da { d } else { e };
    let _ = writeln!(
        h,
        "<h2>{} {from}–{to}</h2>\n<table><tr><th class=\"l\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(
            "Investeringscase: årlig virkning ved fuld indfasning,",
            "Investment case: yearly effect at full phase-in,"
        ),
        t("Forvaltning", "Administration"),
        t("Investering pr. år", "Investment a year"),
        t("Besparelse pr. år", "Saving a year"),
        t("Netto pr. år", "Net a year"),
        t("Tilbagebetalingstid", "Payback"),
    );
    for p in ["bif", "sof", "suf", "municipality", "region", "state"] {
        let v = &fp["per_payer"][p];
        let cell = |k: &str| num(v[k].as_f64().unwrap_or(f64::NAN) / 1e6, 1, lang);
        let net = v["net_dkk_per_year"].as_f64().unwrap_or(0.0);
        let payback = bc["perspectives"][p]["payback_month"]
            .as_f64()
            .map(|m| format!("{} {}", num(m / 12.0, 1, lang), t("år", "years")))
            .unwrap_or_else(|| t("tjener sig ikke hjem", "does not pay back").into());
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td{}>{}</td><td>{}</td></tr>",
            payer_name(p, lang),
            cell("investment_dkk_per_year"),
            cell("gross_savings_dkk_per_year"),
            if net < 0.0 { " class=\"neg\"" } else { "" },
            cell("net_dkk_per_year"),
            payback
        );
    }
    let _ = writeln!(
        h,
        "</table><p class=\"small\">{}</p>",
        t(
            "Mio. kr. pr. budgetår, udiskonteret, gennemsnit over budgetårene ved fuld indfasning og over replikationerne. Netto: besparelse minus investering; negativ: forvaltningen betaler mere. Tilbagebetalingstid: fra start, til den diskonterede nettoværdi er og forbliver over nul.",
            "DKK million a budget year, undiscounted, averaged over the full-phase-in budget years and the replications. Net: saving minus investment; negative: the administration pays more. Payback: from the start until the discounted net value is above zero and stays there."
        )
    );
}

#[cfg(test)]
mod tests {
    use super::{Lang, WORDS, tr};

    /// Every word the report asks `tr` for is in the table (a missing one would print an empty
    /// heading), and every word in the table is asked for.
    #[test]
    fn the_table_has_exactly_the_words_the_report_uses() {
        let source = include_str!("html.rs");
        let code = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        let mut used: Vec<&str> = Vec::new();
        for piece in code.split("tr(lang, ").skip(1) {
            // `tr(lang, "key")` or `tr(lang, if … { "a" } else { "b" })`.
            let call = &piece[..piece.find(')').unwrap_or(piece.len())];
            used.extend(call.split('"').skip(1).step_by(2));
        }
        assert!(used.len() > 20, "found only {used:?}");
        for key in &used {
            assert!(WORDS.iter().any(|w| w.0 == *key), "no word for {key:?}");
        }
        for w in WORDS {
            assert!(used.contains(&w.0), "{:?} is never used", w.0);
        }
        assert_eq!(tr(Lang::Da, "headline"), "Hovedtal: business case");
        assert_eq!(
            tr(Lang::En, "headline"),
            "Headline figures: the business case"
        );
        assert_eq!(tr(Lang::En, "no such word"), "");
    }
}
