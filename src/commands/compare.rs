//! `ressim compare`: several scenarios side by side (compare.csv and compare.html).

use super::{options, simulate, unix_now};
use crate::error::Result;
use crate::report::{self, RunInfo};
use crate::scenario;
use std::path::PathBuf;
use std::time::Instant;

/// `ressim compare`: run each scenario (the shipped library when none is named) into its own
/// folder under the output folder, then write compare.csv and compare.html from their
/// summary.json files.
pub(super) fn compare(a: crate::cli::CompareArgs) -> Result<()> {
    let started_unix = unix_now();
    let mut scenarios = Vec::new();
    if a.scenarios.is_empty() {
        for s in scenario::library::runnable() {
            scenarios.push(scenario::load_shipped(s.name)?);
        }
    } else {
        for p in &a.scenarios {
            scenarios.push(scenario::load(p)?);
        }
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs/compare"));
    let st = report::output::Staging::new(&out)?;
    let lang = a.lang;
    let mut rows: Vec<report::compare::Row> = Vec::new();
    for (i, sc) in scenarios.iter().enumerate() {
        let mut opts = options(sc, &a.common);
        opts.progress = !a.quiet;
        let mut name = sc.name.clone();
        while rows.iter().any(|r| r.name == name) {
            name = format!("{}-{}", sc.name, i + 1);
        }
        if !a.quiet {
            crate::errln!(
                "ressim compare: {}/{} {} — {} {}",
                i + 1,
                scenarios.len(),
                sc.name,
                opts.replications,
                lang.pick("replikationer", "replications")
            );
        }
        let info = RunInfo {
            command_line: std::env::args().collect(),
            wall_time_seconds: 0.0,
            started_unix,
            trace: None,
            changes: Vec::new(),
        };
        let (_, _, dir) = simulate(
            sc,
            &opts,
            &st.path(&name),
            info,
            Instant::now(),
            !a.no_break_even,
            lang,
        )?;
        let text = std::fs::read_to_string(dir.join("summary.json")).map_err(|e| {
            crate::Error::Runtime(format!("{}: {e}", dir.join("summary.json").display()))
        })?;
        let summary = serde_json::from_str(&text).map_err(|e| {
            crate::Error::Runtime(format!("{}: {e}", dir.join("summary.json").display()))
        })?;
        rows.push(report::compare::Row { name, summary });
    }
    st.write("compare.csv", report::compare::csv(&rows).as_bytes())?;
    st.write(
        "compare.html",
        report::compare::html(&rows, lang).as_bytes(),
    )?;
    let dir = st.commit()?;
    if !a.quiet {
        for r in &rows {
            let v = &r.summary["business_case"]["perspectives"]["municipality"];
            crate::outln!(
                "{:<40} {} {}",
                r.name,
                lang.pick("kommunens NNV", "municipal NPV"),
                report::format::num(
                    v["npv_dkk"]["mean"].as_f64().unwrap_or(f64::NAN) / 1e6,
                    1,
                    lang
                ) + " mio. kr."
            )?;
        }
        crate::outln!("→ {}", dir.join("compare.html").display())?;
    }
    Ok(())
}
