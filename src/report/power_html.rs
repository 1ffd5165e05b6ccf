//! `report.html` of `ressim power`: the trial-power analysis as its own self-contained report
//! (design, power by outcome and size with intervals, the size for 80 % power, the minimum
//! detectable effect, capacity notes and the chart), in Danish or English.

use super::format::{Lang, num};
use super::html::{STYLE, esc, figure};
use serde_json::Value;
use std::fmt::Write;

/// An outcome's words in the page's language (the analysis knows them; the page only shows
/// them).
#[derive(Debug, Clone)]
pub struct OutcomeText {
    /// The outcome's id in power.csv and power.json.
    pub id: String,
    /// The outcome in words.
    pub label: String,
    /// The planned test in words.
    pub test: String,
    /// The size for 80 % power in words ("≈ 420", "above the largest size searched (800)").
    pub size_for: String,
}

/// The page from power.json (`power`), power.csv (`csv`), the chart (`svg`) and the outcomes'
/// words.
pub fn page(
    title: &str,
    power: &Value,
    csv: &str,
    svg: &str,
    outcomes: &[OutcomeText],
    lang: Lang,
) -> String {
    let words = |id: &str| outcomes.iter().find(|o| o.id == id);
    let outcome_label = |id: &str| words(id).map_or_else(|| id.to_string(), |o| o.label.clone());
    let t = |da: &'static str, en: &'static str| lang.pick(da, en);
    let dec = |v: f64, k: usize| num(v, k, lang);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        t("da", "en"),
        esc(title)
    );
    let _ = writeln!(
        h,
        "<h1>{}: {}</h1>",
        t("Forsøgets styrke", "Trial power"),
        esc(title)
    );
    let f = |k: &str| power[k].as_f64().unwrap_or(f64::NAN);
    let psa = power["psa"].as_bool() == Some(true);
    let _ = match lang {
        Lang::Da => writeln!(
            h,
            "<p>Hvert simuleret forsøg randomiserer sine borgere efter armens tilbudsandel ({}), følger dem i {} måneder fra start og anvender den planlagte test ved α = {}; {} forsøg pr. størrelse, {}. Styrken er andelen af forsøg, der forkaster, med dens {}-interval.</p>",
            dec(f("offer_share"), 2),
            power["follow_up_months"],
            f("alpha").to_string().replace('.', ","),
            power["trials"],
            if psa {
                "parametrene trækkes for hvert forsøg"
            } else {
                "parametrene holdes faste"
            },
            esc(&power["interval"]
                .as_str()
                .unwrap_or("95 %")
                .replace("Wilson score", "Wilsons"))
        ),
        Lang::En => writeln!(
            h,
            "<p>Each simulated trial randomises its citizens by the arm's offer share ({}), follows them for {} months after entry and applies the planned test at α = {}; {} trials per size, {}. Power is the share of trials that reject, with its {} interval.</p>",
            power["offer_share"],
            power["follow_up_months"],
            power["alpha"],
            power["trials"],
            if psa {
                "parameters drawn per trial"
            } else {
                "parameters fixed"
            },
            esc(power["interval"].as_str().unwrap_or("95 %"))
        ),
    };
    let _ = writeln!(
        h,
        "<h2>{}</h2><table><tr><th class=\"l\">{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(
            "Styrke efter udfald og størrelse",
            "Power by outcome and size"
        ),
        t("udfald", "outcome"),
        t("størrelse", "size"),
        t("styrke", "power"),
        t("95 %-interval", "95 % interval"),
        t("gennemsnitlig virkning", "mean effect"),
    );
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 6 {
            continue;
        }
        let n = |x: &str, k: usize| dec(x.parse::<f64>().unwrap_or(f64::NAN), k);
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{} … {}</td><td>{}</td></tr>",
            esc(&outcome_label(f[0])),
            esc(f[1]),
            n(f[2], 2),
            n(f[3], 2),
            n(f[4], 2),
            n(f[5], 3)
        );
    }
    let _ = writeln!(
        h,
        "</table><h2>{}</h2><table><tr><th class=\"l\">{}</th><th class=\"l\">{}</th><th class=\"l\">{}</th><th>{}</th><th>{}</th></tr>",
        t(
            "Størrelse for 80 % styrke og mindste påviselige virkning",
            "Size for 80 % power and minimum detectable effect"
        ),
        t("udfald", "outcome"),
        t("test", "test"),
        t("størrelse for 80 % styrke", "size for 80 % power"),
        t("MDE (virkningsskala)", "MDE (effect scale)"),
        t("MDE (virkning)", "MDE (effect)"),
    );
    for o in power["outcomes"].as_array().into_iter().flatten() {
        let id = o["outcome"].as_str().unwrap_or("");
        let (test, size_for) = match words(id) {
            Some(w) => (w.test.clone(), w.size_for.clone()),
            None => (
                o["test"].as_str().unwrap_or("").to_string(),
                o["size_for_80_power_text"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            ),
        };
        let opt = |v: &Value, k: usize| v.as_f64().map(|v| dec(v, k)).unwrap_or_else(|| "–".into());
        let _ = writeln!(
            h,
            "<tr><td class=\"l\">{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&outcome_label(id)),
            esc(&test),
            esc(&size_for),
            opt(&o["mde_effect_scale"], 2),
            opt(&o["mde_effect"], 3),
        );
    }
    let _ = writeln!(h, "</table>");
    let _ = writeln!(
        h,
        "<h2>{}</h2><table><tr><th>{}</th><th class=\"l\">{}</th></tr>",
        t(
            "Binder husets kapacitet?",
            "Does the house's capacity bind?"
        ),
        t("størrelse", "size"),
        t(
            "ydelser hvor kapaciteten binder (udnyttelse ≥ 95 % eller kø i halvdelen af forsøgene)",
            "services where capacity binds (utilisation ≥ 95 % or a queue in half the trials)"
        ),
    );
    for size in power["sizes"].as_array().into_iter().flatten() {
        let binding: Vec<String> = size["capacity"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["binds"].as_bool() == Some(true))
            .map(|c| {
                format!(
                    "{} ({} % {}, {} {})",
                    c["service"].as_str().unwrap_or(""),
                    dec(100.0 * c["utilisation_mean"].as_f64().unwrap_or(0.0), 0),
                    t("udnyttet", "used"),
                    t("længste kø", "longest queue"),
                    c["max_queue"]
                )
            })
            .collect();
        let text = if binding.is_empty() {
            t("ingen", "none").to_string()
        } else {
            binding.join("; ")
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"l\">{}</td></tr>",
            size["size"],
            esc(&text)
        );
    }
    let _ = writeln!(
        h,
        "</table><p class=\"small\">{}</p>",
        t(
            "Hvor kapaciteten binder, udvander et større forsøg virkningen pr. deltager: huset betjener ikke flere borgere, end personalet rækker til.",
            "Where capacity binds, a larger trial dilutes the effect per participant: the house serves no more citizens than its staff allows."
        )
    );
    figure(
        &mut h,
        t(
            "power: styrke mod forsøgets størrelse pr. udfald",
            "power: power against trial size per outcome",
        ),
        svg,
    );
    let _ = writeln!(h, "</body></html>");
    h
}
