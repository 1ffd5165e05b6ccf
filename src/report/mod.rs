//! Writing results: CSV tables, summary.json and manifest.json into an output folder that
//! appears only when complete.

pub mod after_close;
pub mod answer;
pub mod assumptions;
pub mod bridge;
pub mod charts;
pub mod compare;
pub mod csv;
pub mod drivers;
pub mod explain;
pub mod explain_html;
pub mod format;
pub mod html;
pub mod manifest;
pub mod method;
pub mod output;
pub mod pdf;
pub mod power_html;
pub mod programme;
pub mod quantities;
pub mod run_charts;
pub mod summary;
pub mod sweep_html;
pub mod terminal;
pub mod trace;
pub mod workbook;

use crate::error::{Error, Result};
use crate::montecarlo::Results;
use crate::scenario::Scenario;
use std::path::{Path, PathBuf};

pub use manifest::RunInfo;

fn pretty(v: &serde_json::Value) -> Result<Vec<u8>> {
    let mut s = serde_json::to_vec_pretty(v)
        .map_err(|e| Error::Runtime(format!("cannot encode JSON: {e}")))?;
    s.push(b'\n');
    Ok(s)
}

/// Write the run's CSV tables (and the trace when asked) into the staging folder.
fn write_tables(
    sc: &Scenario,
    res: &Results,
    st: &output::Staging,
    info: &RunInfo,
    lang: format::Lang,
) -> Result<()> {
    st.write("occupancy.csv", csv::occupancy(sc, res).as_bytes())?;
    st.write("housing.csv", csv::housing(sc, res).as_bytes())?;
    st.write("flows.csv", csv::flows(sc, res).as_bytes())?;
    st.write("cashflows.csv", csv::cashflows(sc, res).as_bytes())?;
    st.write("quantities.csv", csv::quantities(sc, res).as_bytes())?;
    st.write("business_case.csv", csv::business_case(sc, res).as_bytes())?;
    st.write("payers.csv", csv::payers(sc, res).as_bytes())?;
    st.write("lines.csv", csv::lines(sc, res, lang).as_bytes())?;
    st.write("staffing.csv", csv::staffing(sc, res).as_bytes())?;
    if let Some(n) = info.trace {
        trace::write_trace(sc, &res.options, n, &st.path("trace.csv"))?;
    }
    Ok(())
}

/// Write every output of a run into `dir` (atomically) and return the folder.
pub fn write_run(
    sc: &Scenario,
    res: &Results,
    dir: &Path,
    info: &RunInfo,
    break_even: Option<&[Option<f64>; 8]>,
    lang: format::Lang,
) -> Result<PathBuf> {
    let st = output::Staging::new(dir)?;
    let summary = summary::summary(sc, res, break_even);
    let manifest = manifest::manifest(sc, res, info);
    let explained = explain::Explained::new(sc, res, break_even, explain::MUNICIPALITY);
    let bridge = bridge::Bridge::new(&explained, lang);
    // Everything that does not need the others is made at the same time on the cores there
    // are: the tables, the charts (each SVG and PNG a task of its own), the attachment and the
    // workbook. Each file is made by one task alone, so the files are the same on one core
    // as on many.
    let ((tables, docs), (charts, bridge_svg)) = rayon::join(
        || {
            rayon::join(
                || write_tables(sc, res, &st, info, lang),
                || {
                    let (pdf, book) = rayon::join(
                        || -> Result<()> {
                            let pdf = pdf::attachment(
                                sc,
                                res,
                                &pdf::PdfInput {
                                    explained: &explained,
                                    lang,
                                    changes: info
                                        .changes
                                        .iter()
                                        .map(|c| c.text(lang == format::Lang::Da))
                                        .collect(),
                                },
                            )?;
                            st.write("attachment.pdf", &pdf)
                        },
                        || -> Result<()> {
                            let book = workbook::workbook(sc, res, &summary, lang)?;
                            st.write("workbook.xlsx", &book)
                        },
                    );
                    pdf.and(book)
                },
            )
        },
        || {
            rayon::join(
                || run_charts::write_all(sc, res, &st.path(""), lang),
                || {
                    let dir = st.path("");
                    let (svg, png) = rayon::join(
                        || charts::write_svg(&dir, "bridge", bridge.size(), &bridge),
                        || charts::write_png(&dir, "bridge", bridge.size(), &bridge),
                    );
                    png.and(svg)
                },
            )
        },
    );
    tables?;
    docs?;
    let charts = charts?;
    let bridge_svg = bridge_svg?;
    let html = html::report(
        sc,
        res,
        &html::ReportInput {
            summary: &summary,
            manifest: &manifest,
            charts,
            lang,
            explained: &explained,
            bridge_svg: &bridge_svg,
        },
    );
    st.write("report.html", html.as_bytes())?;
    st.write("summary.json", &pretty(&summary)?)?;
    // The manifest goes last: its presence marks a complete set.
    st.write("manifest.json", &pretty(&manifest)?)?;
    st.commit()
}
