//! The report a user attaches: report.html is self-contained and agrees with summary.json in
//! Danish and English, charts are valid, the workbook opens and holds the numbers, and a real
//! browser renders the page.

mod common;
use calamine::{Data, Reader, Xlsx, open_workbook};
use common::*;
use ressim::report::format::{Lang, mio};
use std::fs;
use std::path::{Path, PathBuf};

fn run(dir: &Path, lang: &str) -> PathBuf {
    let out = dir.join(lang);
    let shipped = shipped();
    let args = [shipped.to_str().unwrap(), "--seed", "3", "--lang", lang];
    quick("run", &args, 12, &out);
    out
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn report_is_self_contained_and_agrees_with_summary_in_both_languages() {
    let t = tempfile::tempdir().unwrap();
    for (lang, l, words) in [
        (
            "da",
            Lang::Da,
            [
                "Nutidsværdi",
                "Hvem betaler, hvem sparer",
                "Antagelser og kilder",
            ],
        ),
        (
            "en",
            Lang::En,
            [
                "Net present value",
                "Who pays, who saves",
                "Assumptions and sources",
            ],
        ),
    ] {
        let out = run(t.path(), lang);
        let html = fs::read_to_string(out.join("report.html")).unwrap();
        for w in words {
            assert!(html.contains(w), "{lang}: missing {w}");
        }
        // Nothing outside the file: no links or sources to other files or the network (the
        // bibliography gives its addresses as text).
        assert!(
            html.contains("<ul class=\"bib\">"),
            "{lang}: no bibliography"
        );
        let lower = html.to_lowercase();
        for bad in [
            "src=\"http",
            "href=\"http",
            "src='http",
            "href=\"//",
            "@import",
            "url(http",
            "<script",
            "<link",
            "<img",
        ] {
            assert!(!lower.contains(bad), "{lang}: report references `{bad}`");
        }
        assert!(lower.contains("<svg"), "{lang}: no inline chart");
        // Every headline NPV of summary.json appears, formatted, in the report.
        let s = summary(&out);
        for (id, p) in s["business_case"]["perspectives"].as_object().unwrap() {
            for v in [
                p["npv_dkk"]["mean"].as_f64().unwrap(),
                p["npv_dkk"]["p025"].as_f64().unwrap(),
                p["investment_dkk"]["mean"].as_f64().unwrap(),
            ] {
                let text = mio(v, l);
                assert!(
                    html.contains(&text),
                    "{lang}: {id} figure {text} not in the report"
                );
            }
        }
        // The assumption section shows every number: each parameter's last key is in it.
        let sc = ressim::scenario::load(&shipped()).unwrap();
        let from = html.find("<section id=\"assumptions\"").unwrap();
        let section = &html[from..from + html[from..].find("</section>").unwrap()];
        for p in &sc.params {
            let last = p.path.rsplit('.').next().unwrap();
            assert!(
                section.contains(last),
                "{lang}: {} not in the assumptions",
                p.path
            );
        }
        assert!(
            section.matches("<tr><td class=\"l\">").count() > 40,
            "{lang}: assumption section too short"
        );
    }
}

#[test]
fn charts_are_valid_and_the_workbook_holds_the_numbers() {
    let t = tempfile::tempdir().unwrap();
    let out = run(t.path(), "da");
    let mut pngs = 0;
    for e in fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().and_then(|x| x.to_str()) == Some("png") {
            let bytes = fs::read(&p).unwrap();
            let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
            let reader = decoder.read_info().unwrap();
            let info = reader.info();
            assert!(
                info.width >= 800 && info.height >= 300,
                "{p:?} is {}×{}",
                info.width,
                info.height
            );
            pngs += 1;
            let svg = fs::read_to_string(p.with_extension("svg")).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("</svg>") && svg.len() > 2000,
                "{p:?}: bad SVG twin"
            );
        }
    }
    assert!(pngs >= 6, "only {pngs} charts");
    let en = run(t.path(), "en");
    let s = summary(&en);
    let mut wb: Xlsx<_> = open_workbook(en.join("workbook.xlsx")).unwrap();
    let names = wb.sheet_names();
    for want in [
        "Summary",
        "Cash flows",
        "Payers",
        "Occupancy",
        "Staffing",
        "Assumptions",
        "Replications",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "workbook lacks sheet {want}: {names:?}"
        );
    }
    let sheet = wb.worksheet_range("Summary").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows[0][0], Data::String("Perspective".into()));
    for row in &rows[1..] {
        let Data::String(id) = &row[11] else {
            panic!("row without perspective id")
        };
        let npv = match row[4] {
            Data::Float(v) => v,
            ref other => panic!("npv of {id} is {other:?}"),
        };
        let want = s["business_case"]["perspectives"][id]["npv_dkk"]["mean"]
            .as_f64()
            .unwrap();
        assert!(
            (npv - want).abs() <= 1e-6 * want.abs().max(1.0),
            "{id}: workbook {npv} vs summary {want}"
        );
    }
    let reps = wb.worksheet_range("Replications").unwrap();
    assert_eq!(reps.rows().count(), 1 + 12);
    // The business case is formulas over the Lines sheet, with the discount rate in B1; their
    // cached results are the NPVs of summary.json.
    let formulas = wb.worksheet_formula("Business case").unwrap();
    let sumifs = formulas
        .rows()
        .flatten()
        .filter(|f| f.contains("SUMIFS('Lines'!"))
        .count();
    assert!(sumifs >= 16, "{sumifs} SUMIFS over the Lines sheet");
    assert!(
        formulas.rows().flatten().any(|f| f.contains("$B$1")),
        "no formula uses the discount-rate cell"
    );
    let bc = wb.worksheet_range("Business case").unwrap();
    let rows: Vec<_> = bc.rows().collect();
    let mut checked = 0;
    let mut k = 0;
    for row in &rows {
        if let Data::String(label) = &row[0]
            && label.starts_with("Total / net present value")
        {
            let id = ressim::economics::business_case::PERSPECTIVES[k];
            let want = s["business_case"]["perspectives"][id]["npv_dkk"]["mean"]
                .as_f64()
                .unwrap();
            let got = match row[6] {
                Data::Float(v) => v,
                ref other => panic!("{id}: NPV cell {other:?}"),
            };
            assert!(
                (got - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{id}: workbook formula result {got} vs summary {want}"
            );
            k += 1;
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
    // In Danish: Danish sheet names, an assumptions sheet, no snake_case headers.
    let mut wb: Xlsx<_> = open_workbook(out.join("workbook.xlsx")).unwrap();
    let names = wb.sheet_names();
    assert!(names.iter().any(|n| n == "Antagelser"), "{names:?}");
    // The register of sources, one row per entry, with its address.
    let sc = ressim::scenario::load(&shipped()).unwrap();
    let kilder = wb.worksheet_range("Kilder").expect("a sheet Kilder");
    assert_eq!(kilder.rows().count(), sc.bibliography.len() + 1);
    assert!(
        kilder
            .rows()
            .skip(1)
            .all(|r| matches!(&r[0], Data::String(k) if !k.is_empty()))
    );
    for name in names {
        let r = wb.worksheet_range(&name).unwrap();
        if let Some(first) = r.rows().next() {
            for c in first {
                if let Data::String(h) = c {
                    assert!(
                        !(h.contains('_') && h.chars().all(|x| x.is_ascii_lowercase() || x == '_')),
                        "{name}: header {h} is an id"
                    );
                }
            }
        }
    }
}

/// Chromium, headless, with a profile in `dir` and nothing that reaches the network.
fn headless(browser: &Path, dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()));
    c
}

#[test]
fn a_real_browser_renders_the_report() {
    let Some(browser) = chromium() else {
        println!(
            "SKIPPED a_real_browser_renders_the_report: no Chromium here (.ci/run installs the distribution's `chromium` package)"
        );
        return;
    };
    let t = tempfile::tempdir().unwrap();
    let out = run(t.path(), "da");
    let shot = t.path().join("shot.png");
    let status = headless(&browser, t.path())
        .args(["--hide-scrollbars", "--window-size=1200,1600"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .expect("chromium starts");
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let pixels = bytes.len() / channels;
    let dark = bytes
        .chunks(channels)
        .filter(|p| p.iter().take(3).any(|&c| c < 200))
        .count();
    // A blank page is all white; the report's text, tables and charts are not.
    assert!(
        dark * 100 > pixels,
        "screenshot looks blank: {dark} of {pixels} pixels are not white"
    );
}

#[test]
fn power_writes_its_own_report_section() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("pw");
    let o = run_in(
        t.path(),
        &[
            "power",
            shipped().to_str().unwrap(),
            "--sizes",
            "100,200",
            "--trials",
            "20",
            "--no-mde",
            "--lang",
            "en",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("Trial power")
            && html.contains("<svg")
            && html.contains("Size for 80 % power")
    );
    let lower = html.to_lowercase();
    assert!(
        !lower.contains("src=\"http") && !lower.contains("<script") && !lower.contains("<link")
    );
    // One row per outcome and size of power.csv.
    let rows = fs::read_to_string(out.join("power.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(rows >= 6);
    assert!(html.matches("<tr><td class=\"l\">").count() >= rows);
}

/// attachment.pdf: a PDF of one or two A4 pages with the bundled font embedded and a ToUnicode
/// map (so its text, æøå included, is searchable); with pdftotext on the machine, its text
/// holds the scenario's name, kr. and the verdict's amount per participant.
#[test]
fn attachment_pdf_is_at_most_two_pages_of_real_text() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("o");
    common::quick("run", &[shipped().to_str().unwrap()], 3, &out);
    let pdf = std::fs::read(out.join("attachment.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    assert!((1..=2).contains(&pages), "{pages} pages");
    assert!(text.contains("/MediaBox [0 0 595 842]"), "not A4");
    assert!(text.contains("ToUnicode") && text.contains("FontFile"));
    if let Ok(x) = std::process::Command::new("pdftotext")
        .args([out.join("attachment.pdf").to_str().unwrap(), "-"])
        .output()
    {
        let txt = String::from_utf8_lossy(&x.stdout);
        assert!(txt.contains("kbh-rehabiliteringshus"), "{txt}");
        assert!(txt.contains("pr. deltager") && txt.contains("kr."), "{txt}");
        assert!(txt.contains("ø"), "{txt}");
        // The key assumptions fit, and every key they cite is resolved on the page.
        assert!(!txt.contains("resten står i report.html"), "{txt}");
        let sources = txt.find("Kilder\n").expect("a list of the sources cited");
        for key in ressim::scenario::bibliography::cited_keys(&txt[..sources]) {
            assert!(
                txt[sources..].contains(&format!("[{key}] ")),
                "[{key}] is cited but not listed: {txt}"
            );
        }
    }
}

/// Pages of a PDF Chromium wrote: its page objects (`/Type /Page`, not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}

/// Print `html` to A4 PDF with Chromium (`--print-to-pdf`, the report's own @page rules).
fn print_pages(browser: &Path, dir: &Path, name: &str, html: &str) -> usize {
    let page = dir.join(format!("{name}.html"));
    let pdf = dir.join(format!("{name}.pdf"));
    fs::write(&page, html).unwrap();
    let o = headless(browser, dir)
        .arg("--no-pdf-header-footer")
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    let bytes = fs::read(&pdf).unwrap_or_else(|_| panic!("no PDF: {}", stderr(&o)));
    pdf_pages(&bytes)
}

#[test]
fn the_assumptions_of_the_shipped_scenario_print_on_at_most_two_a4_pages() {
    let Some(browser) = chromium() else {
        println!(
            "SKIPPED the_assumptions_of_the_shipped_scenario_print_on_at_most_two_a4_pages: no Chromium here (.ci/run installs the distribution's `chromium` package)"
        );
        return;
    };
    let t = tempfile::tempdir().unwrap();
    for lang in ["da", "en"] {
        let out = run(t.path(), lang);
        let html = fs::read_to_string(out.join("report.html")).unwrap();
        // The section alone, with the report's head (its print stylesheet).
        let head = &html[..html.find("<body>").unwrap() + "<body>".len()];
        let from = html.find("<section id=\"assumptions\"").unwrap();
        let to = from + html[from..].find("</section>").unwrap() + "</section>".len();
        let section = format!("{head}{}</body></html>", &html[from..to]);
        // The drivers come first.
        let drivers = section
            .find("class=\"drivers\"")
            .expect("a table of drivers");
        assert!(drivers < section.find("class=\"compact\"").unwrap());
        let pages = print_pages(&browser, t.path(), &format!("assumptions-{lang}"), &section);
        assert!(
            (1..=2).contains(&pages),
            "{lang}: the assumption section prints on {pages} A4 pages"
        );
        // The whole report prints too, with the section inside it.
        let all = print_pages(&browser, t.path(), &format!("report-{lang}"), &html);
        assert!(all > pages, "{lang}: report {all} pages");
    }
}

#[test]
fn every_cited_key_links_to_an_entry_of_the_bibliography() {
    let t = tempfile::tempdir().unwrap();
    let out = run(t.path(), "da");
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    let links: Vec<&str> = html
        .split("href=\"#src-")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert!(links.len() > 20, "only {} citations", links.len());
    for k in &links {
        assert!(
            html.contains(&format!("<li id=\"src-{k}\">")),
            "[{k}] is cited but not in the bibliography"
        );
    }
    let sc = ressim::scenario::load(&shipped()).unwrap();
    assert_eq!(
        html.matches("<li id=\"src-").count(),
        sc.bibliography.len(),
        "the bibliography lists the scenario's register"
    );
    // The register's entries are complete, and no source points to a file.
    for r in &sc.bibliography {
        assert!(
            !r.author.is_empty() && !r.title.is_empty() && r.year > 1900,
            "{r:?}"
        );
        assert!(html.contains(&format!("[{}]</b> ", r.key)));
    }
    for p in &sc.params {
        let s = p.param.source.as_deref().unwrap_or("");
        assert!(
            !s.contains("docs/") && !s.contains(".md") && !s.contains("parameters-dk"),
            "{}: source points to a file: {s}",
            p.path
        );
    }
}
