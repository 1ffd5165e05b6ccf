//! The report's assumptions and its bibliography. The numbers that move the net present value
//! most come first, each with its value, range and whole source; then every number of the
//! scenario, grouped by topic and by what it belongs to (a transition, an account, a service),
//! with the keys of its sources; the whole source texts are in the workbook. The report ends
//! with the scenario's register of sources, which the keys link to.

use super::drivers::{Drivers, is_assumption};
use super::format::{Lang, num, plain};
use super::html::esc;
use crate::scenario::Scenario;
use crate::scenario::bibliography;
use crate::scenario::param::Param;
use crate::scenario::quantile::quantile;
use std::fmt::Write;

/// How many drivers the first table shows.
const DRIVERS_SHOWN: usize = 6;

/// A value for a compact table: three significant digits, thousands grouped, trailing zeros
/// dropped (`0,0146`, `345.000`, `1,2`).
fn short(v: f64, lang: Lang) -> String {
    if v == 0.0 || !v.is_finite() {
        return num(v, 0, lang);
    }
    let magnitude = v.abs().log10().floor() as i32;
    let unit = 10f64.powi(magnitude - 2);
    let v = (v / unit).round() * unit;
    if magnitude >= 2 {
        num(v, 0, lang)
    } else {
        plain(v, lang)
    }
}

/// The central value and, for an uncertain number, its 95 % range to three significant digits:
/// `0,0146 (0,0113–0,0183)`; a fixed number exactly as written.
pub fn value_and_range(p: &Param, lang: Lang) -> String {
    if p.is_uncertain() {
        format!(
            "{} ({}–{})",
            short(p.central(), lang),
            short(quantile(p, 0.025), lang),
            short(quantile(p, 0.975), lang)
        )
    } else {
        plain(p.central(), lang)
    }
}

/// A source text with each `[key]` a link to its entry in the bibliography.
pub fn cite_html(text: &str) -> String {
    bibliography::render(text, esc, |k| format!("<a href=\"#src-{k}\">[{k}]</a>"))
}

/// What a set of source texts cites: the register keys (each once, in order), the texts that
/// cite no key and are no assumption, and whether any of them is an assumption.
struct Cited<'a> {
    keys: Vec<&'a str>,
    plain: Vec<&'a str>,
    assumption: bool,
}

fn cited<'a>(texts: &[Option<&'a str>]) -> Cited<'a> {
    let mut c = Cited {
        keys: Vec::new(),
        plain: Vec::new(),
        assumption: false,
    };
    for t in texts {
        c.assumption |= is_assumption(*t);
        let Some(t) = t else { continue };
        let keys = bibliography::cited_keys(t);
        if keys.is_empty() {
            if !is_assumption(Some(t)) && !c.plain.contains(t) {
                c.plain.push(t);
            }
        } else {
            for k in keys {
                if !c.keys.contains(&k) {
                    c.keys.push(k);
                }
            }
        }
    }
    c
}

fn assumption_word(lang: Lang) -> &'static str {
    if lang == Lang::Da {
        "antagelse"
    } else {
        "assumption"
    }
}

/// The keys of a set of source texts, linked, and "assumption" when one of them is; a text
/// that cites no key is shown whole.
fn sources_cell(texts: &[Option<&str>], lang: Lang) -> String {
    let c = cited(texts);
    let mut parts: Vec<String> = c
        .keys
        .iter()
        .map(|k| format!("<a href=\"#src-{k}\">{k}</a>"))
        .collect();
    parts.extend(c.plain.iter().map(|t| esc(t)));
    if c.assumption {
        parts.push(format!("<i>{}</i>", assumption_word(lang)));
    }
    parts.join(", ")
}

/// The same as plain text, keys in brackets: `[ds-sagstal], [kk-biu-2017], antagelse`; and the
/// keys cited.
pub fn sources_text<'a>(texts: &[Option<&'a str>], lang: Lang) -> (String, Vec<&'a str>) {
    let c = cited(texts);
    let mut parts: Vec<String> = c.keys.iter().map(|k| format!("[{k}]")).collect();
    parts.extend(c.plain.iter().map(|t| t.to_string()));
    if c.assumption {
        parts.push(assumption_word(lang).into());
    }
    (parts.join(", "), c.keys)
}

/// The topic of a parameter path and what it belongs to (the row it is shown in).
fn topic_and_owner(path: &str) -> (usize, String) {
    let segs: Vec<&str> = path.split('.').collect();
    let head = |n: usize| segs[..n.min(segs.len().saturating_sub(1)).max(1)].join(".");
    match segs[0] {
        "simulation" | "refusion" => (0, segs[0].to_string()),
        "cohort" => (1, head(3)),
        "transitions" => (2, head(3)),
        "states" | "mortality" => (2, head(2)),
        "housing" => (3, head(4)),
        "accounts" => (4, head(2)),
        "arms" if segs.get(2).is_some_and(|s| *s == "services") => (5, head(4)),
        "arms"
            if segs
                .get(2)
                .is_some_and(|s| *s == "costs" || *s == "accounts") =>
        {
            (6, head(4))
        }
        "arms" => (5, head(2)),
        _ => (7, head(segs.len() - 1)),
    }
}

/// How an owner is shown under its topic: `course → pension`, `rf_benefit_provider`,
/// `treatment: mentors`.
fn owner_label(owner: &str) -> String {
    let segs: Vec<&str> = owner.split('.').collect();
    match segs.as_slice() {
        ["transitions", from, to] | ["housing", "transitions", from, to] => {
            format!("{from} → {to}")
        }
        ["accounts", id] => id.to_string(),
        ["arms", arm, _, id] => format!("{arm}: {id}"),
        ["arms", arm] => arm.to_string(),
        _ => owner.to_string(),
    }
}

/// Topic titles, in the order shown.
fn topic_title(t: usize, lang: Lang) -> &'static str {
    let da = lang == Lang::Da;
    match t {
        0 => {
            if da {
                "Beregning og refusion"
            } else {
                "Calculation and refusion"
            }
        }
        1 => {
            if da {
                "Borgerne"
            } else {
                "The citizens"
            }
        }
        2 => {
            if da {
                "Forløb: overgange og dødelighed"
            } else {
                "Courses: transitions and mortality"
            }
        }
        3 => {
            if da {
                "Botilbud og bostøtte"
            } else {
                "Housing support"
            }
        }
        4 => {
            if da {
                "Konti: ydelser, sagsbehandling, sundhed, skat"
            } else {
                "Accounts: benefits, case handling, health, tax"
            }
        }
        5 => {
            if da {
                "Indsatsen: bemanding, kapacitet og effekter"
            } else {
                "The programme: staffing, capacity and effects"
            }
        }
        6 => {
            if da {
                "Programmets øvrige omkostninger"
            } else {
                "The programme's other costs"
            }
        }
        _ => {
            if da {
                "Øvrige"
            } else {
                "Other"
            }
        }
    }
}

/// One number of the grouped table.
struct Entry<'a> {
    topic: usize,
    owner: String,
    name: String,
    value: String,
    source: Option<&'a str>,
}

fn entries(sc: &Scenario, lang: Lang) -> Vec<Entry<'_>> {
    let mut out: Vec<Entry> = sc
        .params
        .iter()
        .map(|p| {
            let (topic, owner) = topic_and_owner(&p.path);
            let name = p
                .path
                .strip_prefix(&owner)
                .map(|s| s.trim_start_matches('.'))
                .filter(|s| !s.is_empty())
                .unwrap_or(&p.path)
                .to_string();
            Entry {
                topic,
                owner,
                name,
                value: value_and_range(&p.param, lang),
                source: p.param.source.as_deref(),
            }
        })
        .collect();
    out.extend(sc.attributes.iter().map(|a| Entry {
        topic: 1,
        owner: "cohort.attributes".into(),
        name: a.id.clone(),
        value: value_and_range(&a.dist, lang),
        source: a.dist.source.as_deref(),
    }));
    // By topic, then by where its owner first appears in the file; file order within.
    let mut first: std::collections::HashMap<String, usize> = Default::default();
    for (i, e) in out.iter().enumerate() {
        first.entry(e.owner.clone()).or_insert(i);
    }
    let keys: Vec<(usize, usize)> = out.iter().map(|e| (e.topic, first[&e.owner])).collect();
    let mut keyed: Vec<_> = keys.into_iter().zip(out).collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, e)| e).collect()
}

/// The assumption section of report.html.
pub fn section(h: &mut String, sc: &Scenario, d: &Drivers, lang: Lang) {
    let da = lang == Lang::Da;
    let _ = writeln!(
        h,
        "<section id=\"assumptions\" class=\"assumptions\"><h2>{}</h2>",
        if da {
            "Antagelser og kilder"
        } else {
            "Assumptions and sources"
        }
    );
    let _ = writeln!(
        h,
        "<p class=\"small\">{}</p>",
        if da {
            format!(
                "Scenariet har {} tal; {} af dem er antagelser eller egne skøn. Først de tal, der flytter kommunens nutidsværdi mest, hver med sin værdi, sit interval (95 % af fordelingen) og sin kilde; dernæst alle tal efter emne med nøglerne til deres kilder, som står til sidst i rapporten. Kildernes fulde tekst står i regnearket (fanen Antagelser).",
                d.parameters, d.assumptions
            )
        } else {
            format!(
                "The scenario has {} numbers; {} of them are assumptions or the authors' estimates. First the numbers that move the municipality's net present value most, each with its value, its range (95 % of its distribution) and its source; then every number by topic with the keys of its sources, listed at the end of the report. The sources' full texts are in the workbook (sheet Assumptions).",
                d.parameters, d.assumptions
            )
        }
    );

    let _ = writeln!(
        h,
        "<h3>{}</h3>",
        if da {
            "Det, der flytter resultatet mest <span class=\"small\">(rangkorrelation mellem det trukne tal og kommunens nutidsværdi over replikationerne)</span>"
        } else {
            "What moves the result most <span class=\"small\">(rank correlation between the drawn number and the municipality's net present value over the replications)</span>"
        }
    );
    let shown: Vec<_> = d.ranked.iter().take(DRIVERS_SHOWN).collect();
    if shown.is_empty() {
        let _ = writeln!(
            h,
            "<p>{}</p>",
            if da {
                "Kørslen trak ikke tallene fra deres fordelinger (uden sandsynlighedsanalyse eller med færre end 10 replikationer), så den kan ikke rangordne dem; <code>ressim sensitivity</code> viser hvert tals virkning for sig."
            } else {
                "The run did not draw the numbers from their distributions (no probabilistic analysis, or fewer than 10 replications), so it cannot rank them; <code>ressim sensitivity</code> shows each number's effect on its own."
            }
        );
    } else {
        let _ = writeln!(
            h,
            "<table class=\"drivers\"><colgroup><col style=\"width:27%\"><col style=\"width:15%\"><col style=\"width:10%\"><col style=\"width:48%\"></colgroup><thead><tr><th class=\"l\">{}</th><th class=\"l\">{}</th><th>{}</th><th class=\"l\">{}</th></tr></thead>",
            if da { "tal" } else { "number" },
            if da {
                "værdi (interval)"
            } else {
                "value (range)"
            },
            if da { "rangkorr." } else { "rank corr." },
            if da { "kilde" } else { "source" },
        );
        for x in shown {
            let Some(p) = sc.params.iter().find(|p| p.path == x.path) else {
                continue;
            };
            let source = match &p.param.source {
                Some(s) => cite_html(s),
                None => format!("<i>{}</i>", assumption_word(lang)),
            };
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td class=\"l\">{source}</td></tr>",
                esc(&p.path),
                esc(&value_and_range(&p.param, lang)),
                num(x.correlation, 2, lang),
            );
        }
        let _ = writeln!(h, "</table>");
    }

    let _ = writeln!(
        h,
        "<h3>{}</h3><table class=\"compact\"><colgroup><col style=\"width:21%\"><col style=\"width:49%\"><col style=\"width:30%\"></colgroup><thead><tr><th class=\"l\">{}</th><th class=\"l\">{}</th><th class=\"l\">{}</th></tr></thead>",
        if da {
            "Alle tal efter emne"
        } else {
            "Every number by topic"
        },
        if da { "hører til" } else { "belongs to" },
        if da {
            "tal: værdi (interval)"
        } else {
            "numbers: value (range)"
        },
        if da { "kilder" } else { "sources" },
    );
    let all = entries(sc, lang);
    let mut topic = usize::MAX;
    let mut i = 0;
    while i < all.len() {
        let e = &all[i];
        if e.topic != topic {
            topic = e.topic;
            let _ = writeln!(
                h,
                "<tr class=\"topic\"><th class=\"l\" colspan=\"3\">{}</th></tr>",
                topic_title(topic, lang)
            );
        }
        let mut j = i;
        while j < all.len() && all[j].topic == e.topic && all[j].owner == e.owner {
            j += 1;
        }
        let group = &all[i..j];
        let values = group
            .iter()
            .map(|g| {
                if g.name == g.owner {
                    esc(&g.value)
                } else {
                    format!("{} {}", esc(&g.name), esc(&g.value))
                }
            })
            .collect::<Vec<_>>()
            .join(" · ");
        let sources: Vec<Option<&str>> = group.iter().map(|g| g.source).collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{values}</td><td class=\"l\">{}</td></tr>",
            esc(&owner_label(&e.owner)),
            sources_cell(&sources, lang)
        );
        i = j;
    }
    let _ = writeln!(h, "</table></section>");
}

/// The bibliography at the end of report.html: the scenario's register of sources.
pub fn bibliography(h: &mut String, sc: &Scenario, lang: Lang) {
    if sc.bibliography.is_empty() {
        return;
    }
    let da = lang == Lang::Da;
    let _ = writeln!(
        h,
        "<section id=\"sources\" class=\"bibliography\"><h2>{}</h2><p class=\"small\">{}</p><ul class=\"bib\">",
        if da { "Kilder" } else { "Sources" },
        if da {
            "Scenariets register af kilder; nøglerne i skarpe parenteser ovenfor henviser hertil."
        } else {
            "The scenario's register of sources; the keys in square brackets above refer to it."
        }
    );
    let mut refs: Vec<_> = sc.bibliography.iter().collect();
    refs.sort_by(|a, b| a.key.cmp(&b.key));
    for r in refs {
        let mut line = format!(
            "<li id=\"src-{}\"><b>[{}]</b> {} ({}). <i>{}</i>.",
            r.key,
            r.key,
            esc(&r.author),
            r.year,
            esc(&r.title)
        );
        if let Some(p) = &r.place {
            let _ = write!(line, " {}.", esc(p));
        }
        if let Some(u) = &r.url {
            // The address as text: the report links to nothing outside itself.
            let _ = write!(line, " <span class=\"url\">{}</span>", esc(u));
        }
        line.push_str("</li>");
        let _ = writeln!(h, "{line}");
    }
    let _ = writeln!(h, "</ul></section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_keep_three_significant_digits() {
        assert_eq!(short(0.014_63, Lang::En), "0.0146");
        assert_eq!(short(0.5, Lang::Da), "0,5");
        assert_eq!(short(420_000.0, Lang::Da), "420.000");
        assert_eq!(short(12.34, Lang::En), "12.3");
        assert_eq!(short(-1_310_000.0, Lang::En), "−1,310,000");
        assert_eq!(short(345_270.0, Lang::Da), "345.000");
        assert_eq!(short(0.000_647_2, Lang::En), "0.000647");
        assert_eq!(short(14_575.0, Lang::Da), "14.600");
        assert_eq!(short(1.0, Lang::En), "1");
        assert_eq!(plain(14_575.0, Lang::Da), "14.575");
        assert_eq!(plain(0.0008, Lang::Da), "0,0008");
        assert_eq!(plain(10.0, Lang::Da), "10");
    }

    #[test]
    fn owners_group_the_numbers_of_one_thing() {
        assert_eq!(
            topic_and_owner("transitions.course.pension.by_duration[0].hr"),
            (2, "transitions.course.pension".into())
        );
        assert_eq!(
            topic_and_owner("arms.treatment.services.mentors.cost_per_fte_year"),
            (5, "arms.treatment.services.mentors".into())
        );
        assert_eq!(
            topic_and_owner("arms.treatment.costs.premises.amount"),
            (6, "arms.treatment.costs.premises".into())
        );
        assert_eq!(
            topic_and_owner("refusion.steps[0].rate"),
            (0, "refusion".into())
        );
        assert_eq!(
            topic_and_owner("accounts.case_handling_course.price"),
            (4, "accounts.case_handling_course".into())
        );
        assert_eq!(
            topic_and_owner("arms.treatment.offer_share"),
            (5, "arms.treatment".into())
        );
    }
}
