//! `--lang da|en` on sensitivity, power and sweep: the terminal texts and the written pages
//! follow it (Danish by default), while the CSV headers stay as DESIGN.md fixes them.

mod common;

use common::{ressim_ok, shipped, stderr, stdout};
use std::path::Path;

/// Run `args` (a tiny run of one command) with `--lang da` and `--lang en` into `dir/da` and
/// `dir/en`; each language's phrases appear in its own terminal output and page, and none of
/// the other language's. `page` is the human-readable file the command writes (if any).
fn both_languages(dir: &Path, args: &[&str], page: Option<&str>, da: &[&str], en: &[&str]) {
    for (lang, want, not) in [("da", da, en), ("en", en, da)] {
        let out = dir.join(lang);
        let mut all = args.to_vec();
        all.extend(["--lang", lang, "--out", out.to_str().expect("UTF-8 path")]);
        let o = ressim_ok(&all);
        let mut text = stdout(&o) + &stderr(&o);
        if let Some(p) = page {
            text += &std::fs::read_to_string(out.join(p)).expect("the page is written");
        }
        for w in want {
            assert!(text.contains(w), "--lang {lang}: `{w}` missing in\n{text}");
        }
        for n in not {
            assert!(!text.contains(n), "--lang {lang}: `{n}` present in\n{text}");
        }
    }
}

#[test]
fn power_speaks_the_chosen_language() {
    let t = tempfile::tempdir().unwrap();
    let scen = shipped();
    both_languages(
        t.path(),
        &[
            "power",
            scen.to_str().unwrap(),
            "--sizes",
            "20,40",
            "--trials",
            "5",
            "--no-mde",
        ],
        Some("report.html"),
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
    // The CSV header is the contract's, whatever the language.
    let head = |l: &str| {
        std::fs::read_to_string(t.path().join(l).join("power.csv")).unwrap()[..50].to_string()
    };
    assert_eq!(head("da"), head("en"));
}

#[test]
fn sensitivity_speaks_the_chosen_language() {
    let t = tempfile::tempdir().unwrap();
    let scen = shipped();
    both_languages(
        t.path(),
        &["sensitivity", scen.to_str().unwrap(), "--replications", "1"],
        Some("tornado.svg"),
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
    let head = |l: &str| {
        let s = std::fs::read_to_string(t.path().join(l).join("tornado.csv")).unwrap();
        s.lines().next().unwrap().to_string()
    };
    assert_eq!(head("da"), head("en"));
}

#[test]
fn sweep_speaks_the_chosen_language() {
    let t = tempfile::tempdir().unwrap();
    let scen = shipped();
    both_languages(
        t.path(),
        &[
            "sweep",
            scen.to_str().unwrap(),
            "--vary",
            "mentors=10:20:10",
            "--replications",
            "2",
        ],
        Some("sweep.html"),
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
