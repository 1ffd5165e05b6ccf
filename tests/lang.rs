//! `--lang da|en` on sensitivity, power and sweep: the terminal texts and the written pages
//! follow it (Danish by default), while the CSV headers stay as DESIGN.md fixes them.

mod common;

use common::{ressim_ok, shipped, stderr, stdout};

/// Run `ressim COMMAND SHIPPED-SCENARIO OPTIONS…` (a tiny run) with `--lang da` and `--lang en`
/// into `da/` and `en/` of the returned folder. Each language's phrases appear in its own
/// terminal output and in `page` (the human-readable file the command writes), and none of the
/// other language's do. The first line of `csv` is the same in both languages.
fn both_languages(
    command: &[&str],
    page: &str,
    csv: &str,
    da: &[&str],
    en: &[&str],
) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let scen = shipped();
    let mut heads = Vec::new();
    for (lang, want, not) in [("da", da, en), ("en", en, da)] {
        let out = t.path().join(lang);
        let mut args = vec![command[0], scen.to_str().unwrap()];
        args.extend_from_slice(&command[1..]);
        args.extend(["--lang", lang, "--out", out.to_str().unwrap()]);
        let o = ressim_ok(&args);
        let text = stdout(&o)
            + &stderr(&o)
            + &std::fs::read_to_string(out.join(page)).expect("the page is written");
        for w in want {
            assert!(text.contains(w), "--lang {lang}: `{w}` missing in\n{text}");
        }
        for n in not {
            assert!(!text.contains(n), "--lang {lang}: `{n}` present in\n{text}");
        }
        let table = std::fs::read_to_string(out.join(csv)).expect("the CSV is written");
        heads.push(table.lines().next().unwrap_or_default().to_string());
    }
    assert_eq!(heads[0], heads[1], "{csv}'s header follows the language");
    t
}

#[test]
fn power_speaks_the_chosen_language() {
    both_languages(
        &["power", "--sizes", "20,40", "--trials", "5", "--no-mde"],
        "report.html",
        "power.csv",
        &[
            "Forsøgets styrke",
            "forsøg hver",
            "gennemsnitlig virkning",
            "Størrelse for 80 % styrke",
            "Resultater i",
        ],
        &[
            "Trial power",
            "trials each",
            "mean effect",
            "Size for 80 % power",
            "Results in",
        ],
    );
}

#[test]
fn sensitivity_speaks_the_chosen_language() {
    both_languages(
        &["sensitivity", "--replications", "1"],
        "tornado.svg",
        "tornado.csv",
        &[
            "envejs-følsomhed",
            "med alle parametre på deres centrale værdi",
            "Resultater i",
            "lav (blå) / høj (orange)",
        ],
        &[
            "one-way sensitivity",
            "with every parameter central",
            "Results in",
            "low (blue) / high (orange)",
        ],
    );
}

#[test]
fn sweep_speaks_the_chosen_language() {
    let t = both_languages(
        &["sweep", "--vary", "mentors=10:20:10", "--replications", "2"],
        "sweep.html",
        "sweep.csv",
        &[
            "bemandingspunkter",
            "Bedste nutidsværdi for",
            "Bemanding: hvad giver den bedste nutidsværdi?",
            "Resultater i",
        ],
        &[
            "sweeping",
            "Best NPV for",
            "Staffing: what gives the best net present value?",
            "Results in",
        ],
    );
    let svg = std::fs::read_to_string(t.path().join("da").join("sweep.svg")).unwrap();
    assert!(
        svg.contains("mod bemandingen"),
        "the chart's title is Danish"
    );
}

#[test]
fn check_lists_the_scenario_in_the_chosen_language() {
    let scen = shipped();
    for (lang, want, not) in [
        (
            "da",
            &[
                "dødelighed:",
                "ved alder 67",
                "aldring:",
                "1.200.000",
                "uge 1: 0,8",
                "register:",
            ][..],
            &["mortality:", "at age", "ageing:", "1,200,000", "0.8"][..],
        ),
        (
            "en",
            &[
                "mortality:",
                "at age 67",
                "ageing:",
                "1,200,000",
                "week 1: 0.8",
                "register:",
            ][..],
            &["dødelighed", "ved alder", "aldring", "1.200.000", "0,8"][..],
        ),
    ] {
        let o = ressim_ok(&["check", scen.to_str().unwrap(), "--lang", lang]);
        let text = stdout(&o);
        for w in want {
            assert!(text.contains(w), "--lang {lang}: `{w}` missing in\n{text}");
        }
        for n in not {
            assert!(!text.contains(n), "--lang {lang}: `{n}` present in\n{text}");
        }
    }
}
