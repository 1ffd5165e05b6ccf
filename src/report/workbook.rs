//! `workbook.xlsx` (rust_xlsxwriter): Summary, Business case, Lines, Cash flows, Payers,
//! Occupancy, Staffing, Assumptions, Quantities and Replications — sheet names and headers in the report's
//! language, numbers stored as numbers with DKK formats, frozen headers and column widths set,
//! so finance staff can continue in Excel.
//!
//! The Business case sheet is formulas: per perspective and budget year, investment and
//! savings are SUMIFS over the Lines sheet, the net their difference, the discount factor
//! 1/(1 + rate)^(year − first year) from one labelled input cell, and the NPV the sum of the
//! discounted nets. Each formula carries its result as computed by ressim, so viewers that do
//! not recalculate show the same figures as summary.json; changing the rate recalculates.

use crate::economics::business_case::PERSPECTIVES;
use crate::error::{Error, Result};
use crate::montecarlo::Results;
use crate::report::format::Lang;
use crate::scenario::{COURSE, Discounting, Payer, Scenario};
use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, Formula, Workbook, Worksheet, XlsxError,
};
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

/// Build the workbook as bytes, with sheet names and headers in `lang`.
pub fn workbook(sc: &Scenario, res: &Results, summary: &Value, lang: Lang) -> Result<Vec<u8>> {
    build(sc, res, summary, lang).map_err(xerr)
}

/// Sheet names in the report's language: (Danish, English).
pub const SHEETS: [(&str, &str); 9] = [
    ("Oversigt", "Summary"),
    ("Business case", "Business case"),
    ("Poster", "Lines"),
    ("Pengestrømme", "Cash flows"),
    ("Betalere", "Payers"),
    ("Belægning", "Occupancy"),
    ("Bemanding", "Staffing"),
    ("Antagelser", "Assumptions"),
    ("Replikationer", "Replications"),
];

fn perspective_label(id: &str, da: bool) -> String {
    let s = match (id, da) {
        ("bif", _) => "BIF",
        ("sof", _) => "SOF",
        ("suf", _) => "SUF",
        ("municipality", true) => "Kommunen",
        ("municipality", false) => "Municipality",
        ("region", true) => "Regionen",
        ("region", false) => "Region",
        ("state", true) => "Staten",
        ("state", false) => "State",
        ("public", true) => "Offentlig sektor",
        ("public", false) => "Public sector",
        ("society", true) => "Samfundet",
        ("society", false) => "Society",
        ("citizen", true) => "Borgeren",
        ("citizen", false) => "Citizen",
        (other, _) => other,
    };
    s.to_string()
}

fn build(
    sc: &Scenario,
    res: &Results,
    summary: &Value,
    lang: Lang,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let da = lang == Lang::Da;
    let t = |d: &'static str, e: &'static str| if da { d } else { e };
    let sheet = |i: usize| if da { SHEETS[i].0 } else { SHEETS[i].1 };
    let mut wb = Workbook::new();
    // Deflate level 1 instead of 6: about a third of the time the workbook takes went to
    // compressing its XML parts, and the file stays a valid xlsx, only somewhat larger.
    wb.set_zip_compression_level(1);
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
    ws.set_name(sheet(0))?;
    header(
        ws,
        &f,
        &[
            t("Perspektiv", "Perspective"),
            t("Investering (kr.)", "Investment (DKK)"),
            t("Bruttobesparelse (kr.)", "Gross savings (DKK)"),
            t("Netto (kr.)", "Net (DKK)"),
            t("Nutidsværdi (kr.)", "Net present value (DKK)"),
            t("Nutidsværdi, 2,5 %-percentil", "NPV, 2.5th percentile"),
            t("Nutidsværdi, 97,5 %-percentil", "NPV, 97.5th percentile"),
            t("Monte Carlo-standardfejl", "Monte Carlo standard error"),
            t(
                "Besparelse pr. investeret krone",
                "Savings per krone invested",
            ),
            t("Tilbagebetalingsmåned", "Payback month"),
            "P(NPV>0)",
            "Id",
        ],
        &[
            16.0, 16.0, 18.0, 16.0, 16.0, 16.0, 16.0, 14.0, 10.0, 14.0, 15.0, 14.0,
        ],
    )?;
    let bc = &summary["business_case"]["perspectives"];
    for (r, id) in PERSPECTIVES.iter().enumerate() {
        let row = r as u32 + 1;
        let p = &bc[id];
        let m = |v: &Value| v.get("mean").and_then(Value::as_f64);
        ws.write_string(row, 0, perspective_label(id, da))?;
        ws.write_string(row, 11, *id)?;
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

    business_case_sheets(&mut wb, sc, res, &f, lang)?;

    // Cash flows: perspective × year.
    let ws = wb.add_worksheet();
    ws.set_name(sheet(3))?;
    header(
        ws,
        &f,
        &[
            t("Perspektiv", "Perspective"),
            t("Budgetår", "Budget year"),
            t("Investering (kr.)", "Investment (DKK)"),
            t("Besparelse (kr.)", "Savings (DKK)"),
            t("Netto (kr.)", "Net (DKK)"),
            t("Netto, diskonteret (kr.)", "Net, discounted (DKK)"),
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
                ws.write_string(row, 0, perspective_label(id, da))?;
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
    ws.set_name(sheet(4))?;
    header(
        ws,
        &f,
        &[
            t("Betaler", "Payer"),
            t("Budgetår", "Budget year"),
            t("Investering (kr.)", "Investment (DKK)"),
            t("Besparelse (kr.)", "Savings (DKK)"),
            t("Netto (kr.)", "Net (DKK)"),
        ],
        &[12.0, 8.0, 16.0, 16.0, 16.0],
    )?;
    let mut row = 1u32;
    if let Some(c) = &res.comparison_sums[focus] {
        for (p, payer) in Payer::ALL.iter().enumerate() {
            for (year, cycles) in &years {
                let inv: f64 = cycles.iter().map(|&m| c.payer_inv[p][m]).sum::<f64>() / n;
                let sav: f64 = cycles.iter().map(|&m| c.payer_sav[p][m]).sum::<f64>() / n;
                ws.write_string(row, 0, perspective_label(payer.id(), da))?;
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
    ws.set_name(sheet(5))?;
    header(
        ws,
        &f,
        &[
            t("Arm", "Arm"),
            t("Måned", "Month"),
            t("Tilstand", "State"),
            t("Gennemsnit", "Mean"),
            t("2,5 %-percentil", "2.5th percentile"),
            t("97,5 %-percentil", "97.5th percentile"),
        ],
        &[24.0, 8.0, 30.0, 10.0, 10.0, 10.0],
    )?;
    let mut row = 1u32;
    for (a, arm) in sc.arms.iter().enumerate() {
        for m in 0..res.layout.horizon {
            for (s, st) in sc.chains[COURSE].states.iter().enumerate() {
                let hcell = res.occupancy_cell(a, m, COURSE, s);
                ws.write_string(row, 0, if da { &arm.label_da } else { &arm.label_en })?;
                ws.write_number(row, 1, ((m as u32 + 1) * sc.sim.cycle_months) as f64)?;
                ws.write_string(row, 2, if da { &st.label_da } else { &st.label_en })?;
                ws.write_number_with_format(row, 3, hcell.mean(), &f.num)?;
                ws.write_number(row, 4, hcell.quantile(0.025))?;
                ws.write_number(row, 5, hcell.quantile(0.975))?;
                row += 1;
            }
        }
    }

    // Staffing.
    let ws = wb.add_worksheet();
    ws.set_name(sheet(6))?;
    header(
        ws,
        &f,
        &[
            t("Arm", "Arm"),
            t("Ydelse", "Service"),
            "FTE",
            t("Udnyttelse", "Utilisation"),
            t("Længste kø", "Longest queue"),
            t("Gennemsnitlig ventetid (måneder)", "Mean wait (months)"),
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
    ws.set_name(sheet(7))?;
    header(
        ws,
        &f,
        &[
            t("Parameter", "Parameter"),
            t("Central værdi", "Central value"),
            t("Fordeling (usikkerhed)", "Distribution (uncertainty)"),
            t("Kilde", "Source"),
            t("Note", "Note"),
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
                .unwrap_or(t("Antagelse (ingen kilde)", "Assumption (no source)")),
        )?;
        ws.write_string(row, 4, p.param.note.as_deref().unwrap_or(""))?;
    }

    // Sources: the register the assumptions cite by key.
    if !sc.bibliography.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(t("Kilder", "Sources"))?;
        header(
            ws,
            &f,
            &[
                t("Nøgle", "Key"),
                t("Institution eller forfatter", "Institution or author"),
                t("Titel", "Title"),
                t("År", "Year"),
                t("Sted i kilden", "Place"),
                t("Adresse", "Address"),
            ],
            &[24.0, 40.0, 60.0, 8.0, 40.0, 60.0],
        )?;
        for (r, b) in sc.bibliography.iter().enumerate() {
            let row = r as u32 + 1;
            ws.write_string(row, 0, &b.key)?;
            ws.write_string(row, 1, &b.author)?;
            ws.write_string(row, 2, &b.title)?;
            ws.write_number(row, 3, b.year as f64)?;
            ws.write_string(row, 4, b.place.as_deref().unwrap_or(""))?;
            ws.write_string(row, 5, b.url.as_deref().unwrap_or(""))?;
        }
    }

    // Replications: the headline numbers of every replication, streamed to a temporary file
    // row by row so that 10,000 replications do not sit in memory as cells.
    super::quantities::sheet(wb.add_worksheet(), sc, summary, &f.head, da)?;
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet(8))?;
    let mut cols = vec![t("Replikation", "Replication").to_string()];
    for id in PERSPECTIVES {
        cols.push(format!(
            "{}, {}",
            t("Nutidsværdi", "NPV"),
            perspective_label(id, da)
        ));
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

/// Column letter of a 0-based column (A … Z, enough here).
fn col(c: u16) -> char {
    (b'A' + c as u8) as char
}

/// The Lines sheet (every line per perspective and budget year) and the Business case sheet
/// of formulas over it.
fn business_case_sheets(
    wb: &mut Workbook,
    sc: &Scenario,
    res: &Results,
    f: &Formats,
    lang: Lang,
) -> std::result::Result<(), XlsxError> {
    let da = lang == Lang::Da;
    let t = |d: &'static str, e: &'static str| if da { d } else { e };
    let focus = Results::focus_arm(sc);
    let n = res.replications().max(1) as f64;
    let years = crate::report::csv::years(sc, res.layout.horizon);
    let lines_name = if da { SHEETS[2].0 } else { SHEETS[2].1 };
    let rate = sc.params[sc.sim.discount_rate].param.central();
    let first_year = sc.sim.start_year + sc.sim.discount_start as i32;
    // Budget-year discounting with one fixed rate is what the formulas reproduce exactly; with
    // any other convention the discounted nets are taken from the Lines sheet instead.
    let by_formula = sc.sim.discounting == Discounting::BudgetYear
        && !sc.params[sc.sim.discount_rate].param.is_uncertain()
        && sc.accounts.iter().all(|a| a.discount_rate.is_none());

    // Lines: perspective id, line id, label, kind, year, amount, discounted amount.
    // Per (perspective, year): (investment, savings, discounted net).
    let mut sums = vec![vec![(0.0f64, 0.0f64, 0.0f64); years.len()]; PERSPECTIVES.len()];
    {
        let ws = wb.add_worksheet();
        ws.set_name(lines_name)?;
        header(
            ws,
            f,
            &[
                t("Perspektiv", "Perspective"),
                t("Post", "Line"),
                t("Betegnelse", "Label"),
                t("Art", "Kind"),
                t("Budgetår", "Budget year"),
                t("Beløb (kr.)", "Amount (DKK)"),
                t("Diskonteret (kr.)", "Discounted (DKK)"),
            ],
            &[14.0, 24.0, 60.0, 12.0, 10.0, 16.0, 16.0],
        )?;
        let mut row = 1u32;
        if let Some(c) = &res.line_sums[focus] {
            for (k, id) in PERSPECTIVES.iter().enumerate() {
                for (l, def) in res.lines.iter().enumerate() {
                    let start = c.ix(l, k, 0);
                    if c.v[start..start + c.horizon]
                        .iter()
                        .chain(&c.vd[start..start + c.horizon])
                        .all(|x| *x == 0.0)
                    {
                        continue;
                    }
                    for (yi, (year, cycles)) in years.iter().enumerate() {
                        let v: f64 = cycles.iter().map(|&m| c.v[start + m]).sum::<f64>() / n;
                        let d: f64 = cycles.iter().map(|&m| c.vd[start + m]).sum::<f64>() / n;
                        let cell = &mut sums[k][yi];
                        match def.kind {
                            crate::economics::lines::LineKind::Investment => {
                                cell.0 += v;
                                cell.2 -= d;
                            }
                            crate::economics::lines::LineKind::Saving => {
                                cell.1 += v;
                                cell.2 += d;
                            }
                        }
                        ws.write_string(row, 0, *id)?;
                        ws.write_string(row, 1, &def.id)?;
                        ws.write_string(row, 2, def.label(da))?;
                        ws.write_string(row, 3, def.kind.id())?;
                        ws.write_number(row, 4, *year as f64)?;
                        ws.write_number_with_format(row, 5, v, &f.dkk)?;
                        ws.write_number_with_format(row, 6, d, &f.dkk)?;
                        row += 1;
                    }
                }
            }
        }
    }

    // Business case: formulas.
    let ws = wb.add_worksheet();
    ws.set_name(if da { SHEETS[1].0 } else { SHEETS[1].1 })?;
    ws.set_column_width(0, 34.0)?;
    for c in 1..8 {
        ws.set_column_width(c, 18.0)?;
    }
    ws.write_string_with_format(
        0,
        0,
        t(
            "Diskonteringsrente pr. år (ret her)",
            "Discount rate per year (change here)",
        ),
        &f.head,
    )?;
    let input = Format::new()
        .set_num_format("0.0%")
        .set_background_color("FFF3C4")
        .set_bold();
    ws.write_number_with_format(0, 1, rate, &input)?;
    ws.write_string(
        1,
        0,
        t("Første budgetår (faktor 1)", "First budget year (factor 1)"),
    )?;
    ws.write_number(1, 1, first_year as f64)?;
    ws.write_string(
        2,
        0,
        if by_formula {
            t(
                "Investering og besparelse summeres fra arket Poster; ændr renten i B1, så regnes nutidsværdien om.",
                "Investment and savings are summed from the Lines sheet; change the rate in B1 and the NPV is recalculated.",
            )
        } else {
            t(
                "Scenariet diskonterer ikke pr. budgetår med én fast rente; diskonterede beløb summeres fra arket Poster, og B1 bruges ikke.",
                "The scenario does not discount per budget year at one fixed rate; discounted amounts are summed from the Lines sheet and B1 is not used.",
            )
        },
    )?;
    let heads = [
        t("Budgetår", "Budget year"),
        t("Investering (kr.)", "Investment (DKK)"),
        t("Besparelse (kr.)", "Savings (DKK)"),
        t("Netto (kr.)", "Net (DKK)"),
        t("Diskonteringsfaktor", "Discount factor"),
        t("Netto, diskonteret (kr.)", "Net, discounted (DKK)"),
    ];
    let factor_fmt = Format::new().set_num_format("0.0000");
    let mut row = 4u32;
    let q = |s: &str| format!("'{s}'");
    let lines_ref = q(lines_name);
    for (k, id) in PERSPECTIVES.iter().enumerate() {
        ws.write_string_with_format(row, 0, perspective_label(id, da), &f.head)?;
        for (c, h) in heads.iter().enumerate() {
            ws.write_string_with_format(row, c as u16 + 1, *h, &f.head)?;
        }
        row += 1;
        let first = row;
        let mut npv = 0.0;
        for (yi, (year, _)) in years.iter().enumerate() {
            let r1 = row + 1; // 1-based row in formulas
            let (inv, sav, net_d) = sums[k][yi];
            let fac = (1.0 + rate).powf(-((*year - first_year) as f64));
            ws.write_number(row, 1, *year as f64)?;
            let sumifs = |kind: &str| {
                format!(
                    "=SUMIFS({l}!$F:$F,{l}!$A:$A,\"{id}\",{l}!$D:$D,\"{kind}\",{l}!$E:$E,$B{r1})",
                    l = lines_ref
                )
            };
            ws.write_formula_with_format(
                row,
                2,
                Formula::new(sumifs("investment")).set_result(inv.to_string()),
                &f.dkk,
            )?;
            ws.write_formula_with_format(
                row,
                3,
                Formula::new(sumifs("saving")).set_result(sav.to_string()),
                &f.dkk,
            )?;
            ws.write_formula_with_format(
                row,
                4,
                Formula::new(format!("=D{r1}-C{r1}")).set_result((sav - inv).to_string()),
                &f.dkk,
            )?;
            if by_formula {
                ws.write_formula_with_format(
                    row,
                    5,
                    Formula::new(format!("=1/(1+$B$1)^($B{r1}-$B$2)")).set_result(fac.to_string()),
                    &factor_fmt,
                )?;
                ws.write_formula_with_format(
                    row,
                    6,
                    Formula::new(format!("=E{r1}*F{r1}"))
                        .set_result(((sav - inv) * fac).to_string()),
                    &f.dkk,
                )?;
                npv += (sav - inv) * fac;
            } else {
                let disc = |kind: &str| {
                    format!(
                        "SUMIFS({l}!$G:$G,{l}!$A:$A,\"{id}\",{l}!$D:$D,\"{kind}\",{l}!$E:$E,$B{r1})",
                        l = lines_ref
                    )
                };
                ws.write_formula_with_format(
                    row,
                    6,
                    Formula::new(format!("={}-{}", disc("saving"), disc("investment")))
                        .set_result(net_d.to_string()),
                    &f.dkk,
                )?;
                npv += net_d;
            }
            row += 1;
        }
        let last = row; // 1-based row of the last year
        ws.write_string_with_format(
            row,
            0,
            t("I alt / nutidsværdi", "Total / net present value"),
            &f.head,
        )?;
        for c in [2u16, 3, 4, 6] {
            let letter = col(c);
            let cached: f64 = (0..years.len())
                .map(|yi| {
                    let (inv, sav, net_d) = sums[k][yi];
                    let fac = (1.0 + rate).powf(-((years[yi].0 - first_year) as f64));
                    match c {
                        2 => inv,
                        3 => sav,
                        4 => sav - inv,
                        _ => {
                            if by_formula {
                                (sav - inv) * fac
                            } else {
                                net_d
                            }
                        }
                    }
                })
                .sum();
            let cached = if c == 6 { npv } else { cached };
            ws.write_formula_with_format(
                row,
                c,
                Formula::new(format!("=SUM({letter}{}:{letter}{last})", first + 1))
                    .set_result(cached.to_string()),
                &f.dkk,
            )?;
        }
        row += 2;
    }
    Ok(())
}
