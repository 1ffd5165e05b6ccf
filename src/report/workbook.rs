//! `workbook.xlsx` (rust_xlsxwriter): Summary, Cash flows, Payers, Occupancy, Staffing,
//! Assumptions, Quantities and Replications — numbers stored as numbers with DKK formats, frozen headers
//! and column widths set, so finance staff can continue in Excel.

use crate::economics::business_case::PERSPECTIVES;
use crate::error::{Error, Result};
use crate::montecarlo::Results;
use crate::scenario::{COURSE, Payer, Scenario};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;

fn xerr(e: XlsxError) -> Error {
    Error::Runtime(format!("cannot write workbook.xlsx: {e}"))
}

struct Formats {
    head: Format,
    dkk: Format,
    share: Format,
    num: Format,
}

fn header(
    ws: &mut Worksheet,
    f: &Formats,
    cols: &[&str],
    widths: &[f64],
) -> std::result::Result<(), XlsxError> {
    for (c, name) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &f.head)?;
        ws.set_column_width(c as u16, widths.get(c).copied().unwrap_or(14.0))?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Build the workbook as bytes.
pub fn workbook(sc: &Scenario, res: &Results, summary: &Value) -> Result<Vec<u8>> {
    build(sc, res, summary).map_err(xerr)
}

fn build(sc: &Scenario, res: &Results, summary: &Value) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation date keeps the file the same for the same results.
    let props = DocProperties::new()
        .set_title(&sc.title_en)
        .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?);
    wb.set_properties(&props);
    let f = Formats {
        head: Format::new().set_bold().set_background_color("EEF2F8"),
        dkk: Format::new().set_num_format("#,##0"),
        share: Format::new().set_num_format("0.0%"),
        num: Format::new().set_num_format("0.00"),
    };
    let focus = Results::focus_arm(sc);
    let n = res.replications().max(1) as f64;
    let years = crate::report::csv::years(sc, res.layout.horizon);

    // Summary: the business case per perspective.
    let ws = wb.add_worksheet();
    ws.set_name("Summary")?;
    header(
        ws,
        &f,
        &[
            "perspective",
            "investment_dkk",
            "gross_savings_dkk",
            "net_dkk",
            "npv_dkk",
            "npv_p025",
            "npv_p975",
            "npv_mcse",
            "roi",
            "payback_month",
            "p_positive_npv",
        ],
        &[
            16.0, 16.0, 18.0, 16.0, 16.0, 16.0, 16.0, 14.0, 10.0, 14.0, 15.0,
        ],
    )?;
    let bc = &summary["business_case"]["perspectives"];
    for (r, id) in PERSPECTIVES.iter().enumerate() {
        let row = r as u32 + 1;
        let p = &bc[id];
        let m = |v: &Value| v.get("mean").and_then(Value::as_f64);
        ws.write_string(row, 0, *id)?;
        for (c, key) in ["investment_dkk", "gross_savings_dkk", "net_dkk", "npv_dkk"]
            .iter()
            .enumerate()
        {
            if let Some(v) = m(&p[key]) {
                ws.write_number_with_format(row, c as u16 + 1, v, &f.dkk)?;
            }
        }
        for (c, key) in ["p025", "p975", "mcse"].iter().enumerate() {
            if let Some(v) = p["npv_dkk"][key].as_f64() {
                ws.write_number_with_format(row, c as u16 + 5, v, &f.dkk)?;
            }
        }
        if let Some(v) = m(&p["roi"]) {
            ws.write_number_with_format(row, 8, v, &f.num)?;
        }
        if let Some(v) = p["payback_month"].as_f64() {
            ws.write_number(row, 9, v)?;
        }
        if let Some(v) = p["p_positive_npv"].as_f64() {
            ws.write_number_with_format(row, 10, v, &f.share)?;
        }
    }

    // Cash flows: perspective × year.
    let ws = wb.add_worksheet();
    ws.set_name("Cash flows")?;
    header(
        ws,
        &f,
        &[
            "perspective",
            "year",
            "investment_dkk",
            "savings_dkk",
            "net_dkk",
            "net_discounted_dkk",
        ],
        &[16.0, 8.0, 16.0, 16.0, 16.0, 18.0],
    )?;
    let mut row = 1u32;
    if let Some(c) = &res.comparison_sums[focus] {
        for (k, id) in PERSPECTIVES.iter().enumerate() {
            for (year, cycles) in &years {
                let inv: f64 = cycles.iter().map(|&m| c.inv[k][m]).sum::<f64>() / n;
                let sav: f64 = cycles.iter().map(|&m| c.sav[k][m]).sum::<f64>() / n;
                let nd: f64 = cycles
                    .iter()
                    .map(|&m| c.sav_d[k][m] - c.inv_d[k][m])
                    .sum::<f64>()
                    / n;
                ws.write_string(row, 0, *id)?;
                ws.write_number(row, 1, *year as f64)?;
                ws.write_number_with_format(row, 2, inv, &f.dkk)?;
                ws.write_number_with_format(row, 3, sav, &f.dkk)?;
                ws.write_number_with_format(row, 4, sav - inv, &f.dkk)?;
                ws.write_number_with_format(row, 5, nd, &f.dkk)?;
                row += 1;
            }
        }
    }

    // Payers: payer × year.
    let ws = wb.add_worksheet();
    ws.set_name("Payers")?;
    header(
        ws,
        &f,
        &["payer", "year", "investment_dkk", "savings_dkk", "net_dkk"],
        &[12.0, 8.0, 16.0, 16.0, 16.0],
    )?;
    let mut row = 1u32;
    if let Some(c) = &res.comparison_sums[focus] {
        for (p, payer) in Payer::ALL.iter().enumerate() {
            for (year, cycles) in &years {
                let inv: f64 = cycles.iter().map(|&m| c.payer_inv[p][m]).sum::<f64>() / n;
                let sav: f64 = cycles.iter().map(|&m| c.payer_sav[p][m]).sum::<f64>() / n;
                ws.write_string(row, 0, payer.id())?;
                ws.write_number(row, 1, *year as f64)?;
                ws.write_number_with_format(row, 2, inv, &f.dkk)?;
                ws.write_number_with_format(row, 3, sav, &f.dkk)?;
                ws.write_number_with_format(row, 4, sav - inv, &f.dkk)?;
                row += 1;
            }
        }
    }

    // Occupancy.
    let ws = wb.add_worksheet();
    ws.set_name("Occupancy")?;
    header(
        ws,
        &f,
        &["arm", "month", "state", "mean", "p025", "p975"],
        &[12.0, 8.0, 20.0, 10.0, 10.0, 10.0],
    )?;
    let mut row = 1u32;
    for (a, arm) in sc.arms.iter().enumerate() {
        for m in 0..res.layout.horizon {
            for (s, st) in sc.chains[COURSE].states.iter().enumerate() {
                let hcell = res.occupancy_cell(a, m, COURSE, s);
                ws.write_string(row, 0, &arm.id)?;
                ws.write_number(row, 1, ((m as u32 + 1) * sc.sim.cycle_months) as f64)?;
                ws.write_string(row, 2, &st.id)?;
                ws.write_number_with_format(row, 3, hcell.mean(), &f.num)?;
                ws.write_number(row, 4, hcell.quantile(0.025))?;
                ws.write_number(row, 5, hcell.quantile(0.975))?;
                row += 1;
            }
        }
    }

    // Staffing.
    let ws = wb.add_worksheet();
    ws.set_name("Staffing")?;
    header(
        ws,
        &f,
        &[
            "arm",
            "service",
            "fte",
            "utilisation_mean",
            "max_queue",
            "mean_wait_months",
        ],
        &[12.0, 16.0, 8.0, 16.0, 12.0, 18.0],
    )?;
    let mut row = 1u32;
    if let Some(by_arm) = summary["staffing_by_arm"].as_object() {
        for (arm, services) in by_arm {
            for (id, v) in services.as_object().into_iter().flatten() {
                ws.write_string(row, 0, arm)?;
                ws.write_string(row, 1, id)?;
                if let Some(x) = v["fte"].as_f64() {
                    ws.write_number_with_format(row, 2, x, &f.num)?;
                }
                if let Some(x) = v["utilisation_mean"].as_f64() {
                    ws.write_number_with_format(row, 3, x, &f.share)?;
                }
                if let Some(x) = v["max_queue"].as_f64() {
                    ws.write_number(row, 4, x)?;
                }
                if let Some(x) = v["mean_wait_months"].as_f64() {
                    ws.write_number_with_format(row, 5, x, &f.num)?;
                }
                row += 1;
            }
        }
    }

    // Assumptions.
    let ws = wb.add_worksheet();
    ws.set_name("Assumptions")?;
    header(
        ws,
        &f,
        &[
            "parameter",
            "central_value",
            "distribution",
            "source",
            "note",
        ],
        &[50.0, 14.0, 40.0, 80.0, 40.0],
    )?;
    for (r, p) in sc.params.iter().enumerate() {
        let row = r as u32 + 1;
        ws.write_string(row, 0, &p.path)?;
        ws.write_number(row, 1, p.param.central())?;
        ws.write_string(row, 2, p.param.describe())?;
        ws.write_string(
            row,
            3,
            p.param
                .source
                .as_deref()
                .unwrap_or("Assumption (no source)"),
        )?;
        ws.write_string(row, 4, p.param.note.as_deref().unwrap_or(""))?;
    }

    // Replications: the headline numbers of every replication, streamed to a temporary file
    // row by row so that 10,000 replications do not sit in memory as cells.
    super::quantities::sheet(wb.add_worksheet(), sc, summary, &f.head)?;
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name("Replications")?;
    let mut cols = vec!["replication".to_string()];
    for id in PERSPECTIVES {
        cols.push(format!("npv_{id}"));
    }
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    header(ws, &f, &col_refs, &[12.0])?;
    for (r, rep) in res.reps.iter().enumerate() {
        let row = r as u32 + 1;
        ws.write_number(row, 0, r as f64)?;
        for (k, hl) in rep.headlines[focus].iter().enumerate() {
            ws.write_number_with_format(row, k as u16 + 1, hl.npv, &f.dkk)?;
        }
    }
    wb.save_to_buffer()
}
