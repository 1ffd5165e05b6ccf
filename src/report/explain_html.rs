//! The explained answer in report.html: the verdict first, then the bridge chart and the
//! lines by payer. Texts come from [`super::explain`].

use super::explain::{Explained, perspective_noun, table_payers};
use super::format::{Lang, num};
use super::html::{esc, figure, payer_name};
use crate::economics::lines::LineKind;
use std::fmt::Write;

/// The verdict in words, as the report's opening section.
pub fn verdict(h: &mut String, ex: &Explained, lang: Lang) {
    let da = lang == Lang::Da;
    let _ = writeln!(
        h,
        "<section class=\"verdict\"><h2>{}</h2><p>{}</p></section>",
        if da {
            format!(
                "Svaret kort, for {}",
                perspective_noun(ex.perspective, lang)
            )
        } else {
            format!(
                "The answer in short, for {}",
                perspective_noun(ex.perspective, lang)
            )
        },
        ex.sentences(lang)
            .iter()
            .map(|s| esc(s))
            .collect::<Vec<_>>()
            .join(" ")
    );
}

/// Where the money goes and comes from: the bridge chart and the table of lines by payer.
pub fn lines(h: &mut String, ex: &Explained, bridge_svg: &str, lang: Lang) {
    let da = lang == Lang::Da;
    let _ = writeln!(
        h,
        "<h2>{}</h2>",
        if da {
            "Hvor pengene går hen og kommer fra"
        } else {
            "Where the money goes and comes from"
        }
    );
    figure(
        h,
        &format!(
            "bridge: {}",
            if da {
                "udgiftsposter trækker ned, besparelser trækker op; den sidste søjle er nutidsværdien (diskonteret, gennemsnit over replikationer)"
            } else {
                "cost lines pull down, saving lines pull up; the last bar is the net present value (discounted, mean over replications)"
            }
        ),
        bridge_svg,
    );
    let payers = table_payers();
    let _ = write!(
        h,
        "<table class=\"lines\"><tr><th class=\"l\">{}</th><th class=\"l\">{}</th>",
        if da { "Post" } else { "Line" },
        if da { "Art" } else { "Kind" }
    );
    for (_, p) in payers {
        let _ = write!(h, "<th>{}</th>", esc(&payer_name(p.id(), lang)));
    }
    let _ = writeln!(
        h,
        "<th>{}</th></tr>",
        esc(&capitalise(&perspective_noun(ex.perspective, lang)))
    );
    let mut totals = [0.0f64; 6];
    let mut total = 0.0;
    for l in &ex.lines {
        let kind = match (l.kind, da) {
            (LineKind::Investment, true) => "udgift",
            (LineKind::Investment, false) => "cost",
            (LineKind::Saving, true) => "besparelse",
            (LineKind::Saving, false) => "saving",
        };
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{kind}</td>",
            esc(l.label(lang))
        );
        for (i, _) in payers {
            let v = l.signed(l.by_payer[i]);
            totals[i] += v;
            let _ = write!(h, "{}", cell(v, lang));
        }
        let v = l.signed(l.discounted);
        total += v;
        let _ = writeln!(h, "{}</tr>", cell(v, lang));
    }
    let _ = write!(
        h,
        "<tr><th class=\"l\">{}</th><th></th>",
        if da {
            "Nutidsværdi"
        } else {
            "Net present value"
        }
    );
    for (i, _) in payers {
        let _ = write!(h, "{}", cell(totals[i], lang).replace("td", "th"));
    }
    let _ = writeln!(h, "{}</tr></table>", cell(total, lang).replace("td", "th"));
    let _ = writeln!(
        h,
        "<p class=\"small\">{}</p>",
        if da {
            "Bidrag til nutidsværdien i mio. kr., diskonteret og gennemsnit over replikationer: en udgift står med minus, en besparelse med plus, så hver kolonne summerer til betalerens nutidsværdi. Statens andel af ydelser efter refusion står under Staten. Alle poster pr. budgetår står i lines.csv."
        } else {
            "Contribution to the net present value in DKK million, discounted, mean over replications: a cost is negative, a saving positive, so each column adds up to that payer's net present value. The state's share of benefits after refusion is under State. Every line per budget year is in lines.csv."
        }
    );
}

fn cell(v: f64, lang: Lang) -> String {
    if v == 0.0 {
        "<td>–</td>".into()
    } else if v < 0.0 {
        format!("<td class=\"neg\">{}</td>", num(v / 1e6, 2, lang))
    } else {
        format!("<td>{}</td>", num(v / 1e6, 2, lang))
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
