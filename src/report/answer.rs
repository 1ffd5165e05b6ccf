//! Two more sentences for the report's first screen: how much of the municipality's saving is
//! replacement of the ordinary effort and how much is changed outcomes, and how many of the
//! scenario's numbers are assumptions and which of them move the result most.

use super::drivers::Drivers;
use super::format::{Lang, num, pct};
use serde_json::Value;

fn mio(v: f64, lang: Lang) -> String {
    format!("{} mio. kr.", num(v / 1e6, 1, lang))
}

/// The sentences, for the municipality's perspective; `summary` is the run's summary.json and
/// `d` the drivers of the municipality's NPV.
pub fn sentences(d: &Drivers, summary: &Value, lang: Lang) -> Vec<String> {
    let da = lang == Lang::Da;
    let v = &summary["business_case"]["perspectives"]["municipality"];
    let mut out = Vec::new();
    let gross = v["gross_savings_discounted_dkk"].as_f64().unwrap_or(0.0);
    let rep = v["replacement_discounted_dkk"].as_f64().unwrap_or(0.0);
    if gross.abs() > 0.5 {
        let share = v["replacement_share"].as_f64().unwrap_or(0.0);
        out.push(if rep.abs() > 0.5 {
            if da {
                format!(
                    "Af kommunens besparelse på {} (diskonteret) er {} ({}) ordinær indsats, som indsatsen erstatter; resten, {}, kommer af ændrede forløb.",
                    mio(gross, lang),
                    mio(rep, lang),
                    pct(share, lang),
                    mio(gross - rep, lang)
                )
            } else {
                format!(
                    "Of the municipality's saving of {} (discounted), {} ({}) is ordinary effort the programme replaces; the rest, {}, comes from changed outcomes.",
                    mio(gross, lang),
                    mio(rep, lang),
                    pct(share, lang),
                    mio(gross - rep, lang)
                )
            }
        } else if da {
            format!(
                "Hele kommunens besparelse på {} (diskonteret) kommer af ændrede forløb; scenariet regner ikke med, at indsatsen erstatter ordinær indsats.",
                mio(gross, lang)
            )
        } else {
            format!(
                "All of the municipality's saving of {} (discounted) comes from changed outcomes; the scenario counts no ordinary effort replaced by the programme.",
                mio(gross, lang)
            )
        });
    }
    let mut s = if da {
        format!(
            "Scenariet har {} tal; {} af dem er antagelser eller egne skøn (kilden begynder med »Assumption« eller »EST«).",
            d.parameters, d.assumptions
        )
    } else {
        format!(
            "The scenario has {} numbers; {} of them are assumptions or the authors' estimates (their source starts with \"Assumption\" or \"EST\").",
            d.parameters, d.assumptions
        )
    };
    let top: Vec<String> = d
        .ranked
        .iter()
        .filter(|x| x.correlation.abs() >= 0.1)
        .take(3)
        .map(|x| {
            let tag = match (x.assumption, da) {
                (true, true) => ", antagelse",
                (true, false) => ", assumption",
                (false, _) => "",
            };
            format!("{} ({}{tag})", x.path, num(x.correlation, 2, lang))
        })
        .collect();
    if !top.is_empty() {
        s.push(' ');
        s.push_str(&if da {
            format!(
                "Kommunens nutidsværdi følger mest: {} (rangkorrelation mellem den trukne værdi og nutidsværdien over replikationerne; `ressim sensitivity` viser tornadoen).",
                top.join("; ")
            )
        } else {
            format!(
                "The municipality's net present value moves most with: {} (rank correlation between the drawn value and the net present value over the replications; `ressim sensitivity` shows the tornado).",
                top.join("; ")
            )
        });
    }
    out.push(s);
    out
}
