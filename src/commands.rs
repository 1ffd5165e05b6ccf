//! What each subcommand does, on top of the library.

use crate::cli::{CheckArgs, Cli, Command, Lang, RunArgs};
use crate::error::Result;
use crate::montecarlo::{self, RunOptions};
use crate::report::{self, RunInfo};
use crate::scenario::{self, COURSE, HOUSING, Scenario, param::fmt_num};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Run a parsed command line.
pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(a) => run(a),
        Command::Check(a) => check(a),
        Command::Sweep(a) => sweep(a),
        Command::Sensitivity(a) => sensitivity(a),
        Command::Power(a) => power(a),
        Command::Serve(a) => crate::serve::serve(crate::serve::ServeOptions {
            folder: a.dir,
            host: a.host,
            port: a.port,
            quick: a.quick,
            max_replications: a.max_replications,
            threads: a.threads.map(usize::from).unwrap_or(0),
            token: None,
        }),
        Command::Compare(a) => compare(a),
        Command::Init(a) => init(a),
    }
}

/// `ressim power`: the options from the command line, then the analysis and its outputs.
fn power(a: crate::cli::PowerArgs) -> Result<()> {
    use crate::analysis::power::{self, CommandOptions, Outcome, PowerOptions};
    use crate::error::Error;
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let sc = load(a.scenario.as_deref())?;
    let mut opts = PowerOptions::from_scenario(&sc);
    if let Some(s) = a.sizes {
        opts.sizes = s;
    }
    opts.follow_up_months = a.follow_up;
    opts.alpha = a.alpha;
    opts.trials = a.trials;
    opts.effect_scale = a.effect_scale.unwrap_or(sc.sim.effect_scale);
    if let Some(s) = a.seed {
        opts.seed = s;
    }
    opts.threads = a.threads.map(|t| t as usize).unwrap_or(0);
    opts.psa = !a.no_psa;
    opts.mde = !a.no_mde;
    opts.scale_staff = a.scale_staff;
    let mut skipped = Vec::new();
    if a.outcome.is_empty() {
        let can = power::measurable(&sc);
        skipped = Outcome::ALL
            .into_iter()
            .filter(|o| !can.contains(o))
            .collect();
        opts.outcomes = can;
        if opts.outcomes.is_empty() {
            return Err(Error::Usage(
                "no course state carries a trial-outcome flag (self_supporting, \
                 disability_pension, on_benefits, employed); see docs/scenario.md, \"Trial power\""
                    .into(),
            ));
        }
    } else {
        let asked: Vec<Outcome> = a.outcome.into_iter().flatten().collect();
        opts.outcomes = Outcome::ALL
            .into_iter()
            .filter(|o| asked.contains(o))
            .collect();
    }
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-power", sc.name)));
    power::command(
        &sc,
        &opts,
        &CommandOptions {
            out,
            quiet: a.quiet,
            skipped,
            started,
            started_unix,
        },
    )
}

fn sensitivity(a: crate::cli::SensitivityArgs) -> Result<()> {
    use crate::analysis::sensitivity as sens;
    use crate::economics::business_case::PERSPECTIVES;
    use crate::report::charts;
    let started = Instant::now();
    let sc = load(a.scenario.as_deref())?;
    let opts = options(&sc, &a.common);
    let k = PERSPECTIVES
        .iter()
        .position(|p| *p == a.perspective)
        .unwrap_or(3);
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-sensitivity", sc.name)));
    let uncertain = sc
        .params
        .iter()
        .filter(|p| p.param.is_uncertain() || sens::programme_controls(&sc, &p.path))
        .count();
    if !a.quiet {
        if a.lang == Lang::Da {
            crate::errln!(
                "ressim: envejs-følsomhed for {} parametre ({} kørsler × {} replikationer), derefter virkningskurven",
                uncertain,
                2 * uncertain + 1,
                opts.replications
            );
        } else {
            crate::errln!(
                "ressim: one-way sensitivity of {} parameters ({} runs × {} replications), then the effect curve",
                uncertain,
                2 * uncertain + 1,
                opts.replications
            );
        }
    }
    // Progress only on a terminal, so logs and pipes stay clean.
    let quiet = a.quiet || !std::io::stderr().is_terminal();
    let (base, rows) = sens::tornado(&sc, &opts, k, |done, total| {
        if !quiet {
            crate::err!("\r  parameter {done}/{total}");
            if done == total {
                crate::errln!();
            }
        }
    })?;
    let curve = sens::effect_curve(&sc, &opts)?;
    let st = report::output::Staging::new(&out)?;
    st.write("tornado.csv", sens::tornado_csv(&rows).as_bytes())?;
    st.write("effect_curve.csv", sens::curve_csv(&curve).as_bytes())?;
    let shown: Vec<charts::Bar> = rows
        .iter()
        .take(20)
        .map(|r| charts::Bar {
            label: tornado_label(r, a.lang == Lang::Da),
            at_low: r.npv_low,
            at_high: r.npv_high,
        })
        .collect();
    let height = 140 + 30 * shown.len().max(1) as u32;
    let tornado = charts::Tornado {
        bars: shown,
        base,
        title: format!(
            "NPV, {} — low (blue) / high (orange) value of each parameter",
            a.perspective
        ),
        x_label: "NPV (DKK)".into(),
    };
    charts::both(&st.path(""), "tornado", (1100, height), &tornado)?;
    let series = [3usize, 6, 7]
        .iter()
        .map(|&p| {
            let pts = curve
                .iter()
                .map(|c| {
                    (
                        c.scale,
                        c.npv[p].mean,
                        (p == k || p == 3).then_some((c.npv[p].p025, c.npv[p].p975)),
                    )
                })
                .collect();
            (PERSPECTIVES[p].to_string(), pts)
        })
        .collect();
    let lines = charts::Lines {
        title: "NPV against the effect scale (mean, 95 % interval)".into(),
        x_label: "effect scale (0 = no effect, 1 = as in the scenario)".into(),
        y_label: "NPV (DKK)".into(),
        series,
        y_format: charts::mio,
        x_format: charts::decimal,
    };
    charts::both(&st.path(""), "effect_curve", (1000, 600), &lines)?;
    let manifest = serde_json::json!({
        "ressim_version": env!("CARGO_PKG_VERSION"),
        "scenario": sc.name,
        "scenario_sha256": sc.sha256,
        "seed": opts.seed,
        "replications": opts.replications,
        "perspective": a.perspective,
        "base_npv_dkk": base,
        "wall_time_seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "command_line": std::env::args().collect::<Vec<_>>(),
    });
    let mut bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| crate::Error::Runtime(e.to_string()))?;
    bytes.push(b'\n');
    st.write("manifest.json", &bytes)?;
    let dir = st.commit()?;
    if !a.quiet {
        crate::outln!(
            "NPV ({}) with every parameter central: {:.1} mio. DKK",
            a.perspective,
            base / 1e6
        )?;
        for r in rows.iter().take(5) {
            crate::outln!(
                "  {:<60} {:>8.1} … {:>8.1} mio.",
                tornado_label(r, a.lang == Lang::Da),
                r.npv_low / 1e6,
                r.npv_high / 1e6
            )?;
        }
        crate::outln!("Results in: {}", dir.display())?;
    }
    Ok(())
}

fn sweep(a: crate::cli::SweepArgs) -> Result<()> {
    use crate::analysis::sweep;
    use crate::economics::business_case::PERSPECTIVES;
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let sc = load(a.scenario.as_deref())?;
    let mut opts = options(&sc, &a.common);
    opts.psa = !a.no_psa;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("outputs").join(format!("{}-sweep", sc.name)));
    let total: usize = a.vary.iter().map(|v| v.values.len()).product();
    if !a.quiet {
        if a.lang == Lang::Da {
            crate::errln!(
                "ressim: {} bemandingspunkter × {} replikationer af {}",
                total,
                opts.replications,
                sc.name
            );
        } else {
            crate::errln!(
                "ressim: sweeping {} staffing points × {} replications of {}",
                total,
                opts.replications,
                sc.name
            );
        }
    }
    // Progress only on a terminal, so logs and pipes stay clean.
    let quiet = a.quiet || !std::io::stderr().is_terminal();
    let points = sweep::run(&sc, &opts, &a.vary, |done, total| {
        if !quiet {
            crate::err!(
                "\r  {} {done}/{total}",
                if a.lang == Lang::Da { "punkt" } else { "point" }
            );
            if done == total {
                crate::errln!();
            }
        }
    })?;
    let st = report::output::Staging::new(&out)?;
    st.write("sweep.csv", sweep::csv(&sc, &a.vary, &points).as_bytes())?;
    let chart_k = PERSPECTIVES
        .iter()
        .position(|p| *p == a.perspective)
        .unwrap_or(3);
    crate::report::charts::both(
        &st.path(""),
        "sweep",
        (1000, 560),
        &sweep::chart(&sc, &a.vary, &points, chart_k),
    )?;
    let lang = report_lang(a.lang);
    let arm = montecarlo::Results::focus_arm(&sc);
    let page = report::sweep_html::SweepPage {
        title: if a.lang == Lang::Da {
            &sc.title_da
        } else {
            &sc.title_en
        },
        services: a.vary.iter().map(|v| v.service.clone()).collect(),
        perspective: report::explain::perspective_noun(chart_k, lang),
        points: points
            .iter()
            .map(|p| {
                let npv: Vec<f64> = p
                    .results
                    .reps
                    .iter()
                    .map(|r| r.headlines[arm][chart_k].npv)
                    .collect();
                let st = crate::stats::Stat::of(&npv);
                report::sweep_html::SweepPoint {
                    staff: p.staff.clone(),
                    npv: st.mean,
                    p025: st.p025,
                    p975: st.p975,
                    p_positive: npv
                        .iter()
                        .filter(|v| crate::economics::business_case::above_zero(**v))
                        .count() as f64
                        / npv.len().max(1) as f64,
                }
            })
            .collect(),
        best: sweep::best(&sc, &points, chart_k),
        replications: opts.replications,
        lang,
    };
    st.write("sweep.html", report::sweep_html::page(&page).as_bytes())?;
    let manifest = serde_json::json!({
        "ressim_version": env!("CARGO_PKG_VERSION"),
        "scenario": sc.name,
        "scenario_sha256": sc.sha256,
        "seed": opts.seed,
        "replications": opts.replications,
        "vary": a.vary.iter().map(|v| serde_json::json!({"service": v.service, "values": v.values})).collect::<Vec<_>>(),
        "perspective": a.perspective,
        "wall_time_seconds": (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        "started_unix": started_unix,
        "command_line": std::env::args().collect::<Vec<_>>(),
    });
    let mut bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| crate::Error::Runtime(e.to_string()))?;
    bytes.push(b'\n');
    st.write("manifest.json", &bytes)?;
    let dir = st.commit()?;
    if !a.quiet {
        for s in report::sweep_html::answer(&page) {
            crate::outln!("{s}")?;
        }
        crate::outln!(
            "{}: {}",
            if a.lang == Lang::Da {
                "Resultater i"
            } else {
                "Results in"
            },
            dir.display()
        )?;
    }
    Ok(())
}

/// A tornado row's label: the parameter, marked when its range is the default ±25 % and when
/// its swing lies within Monte Carlo error.
fn tornado_label(r: &crate::analysis::sensitivity::TornadoRow, da: bool) -> String {
    let mut l = r.parameter.clone();
    if r.default_range {
        l.push_str(if da {
            " (standard ±25 %)"
        } else {
            " (default ±25 %)"
        });
    }
    if r.within_mc_error() {
        l.push_str(if da {
            " (inden for MC-fejl)"
        } else {
            " (within MC error)"
        });
    }
    l
}

/// What a run produced: its results, the break-even effect per perspective (when searched)
/// and the folder written.
type Simulated = (montecarlo::Results, Option<[Option<f64>; 8]>, PathBuf);

/// The report language of a command-line language.
fn report_lang(l: Lang) -> report::format::Lang {
    match l {
        Lang::Da => report::format::Lang::Da,
        Lang::En => report::format::Lang::En,
    }
}

/// Run options from the scenario's defaults and the command line's overrides.
fn options(sc: &Scenario, common: &crate::cli::Common) -> RunOptions {
    let mut opts = RunOptions::from_scenario(sc);
    if let Some(r) = common.replications {
        opts.replications = r;
    }
    if let Some(s) = common.seed {
        opts.seed = s;
    }
    opts.threads = common.threads.map(|t| t as usize).unwrap_or(0);
    opts
}

/// Load the named scenario or the built-in one.
pub fn load(path: Option<&Path>) -> Result<Scenario> {
    match path {
        Some(p) => scenario::load(p),
        None => scenario::load_default(),
    }
}

fn run(a: RunArgs) -> Result<()> {
    let started = Instant::now();
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let sc = load(a.scenario.as_deref())?;
    let mut opts = options(&sc, &a.common);
    opts.psa = !a.no_psa;
    if let Some(x) = a.effect_scale {
        opts.effect_scale = x;
    }
    opts.progress = !a.quiet;
    // Every change is applied before anything runs or is written, and recorded.
    let mut changes = Vec::new();
    let mut sc = sc;
    for (id, fte) in &a.staff {
        if let Some(c) = scenario::overrides::staff(&mut sc, id, *fte)
            .map_err(|m| crate::Error::Usage(format!("--staff {id}={fte}: {m}")))?
        {
            changes.retain(|x: &scenario::overrides::Change| x.key != c.key);
            changes.push(c);
        }
    }
    let sc = sc;
    use scenario::overrides::option;
    changes.extend(option(
        "effect_scale",
        fmt_num(opts.effect_scale),
        fmt_num(sc.sim.effect_scale),
    ));
    if !opts.psa {
        changes.extend(option("psa", "nej / no".into(), "ja / yes".into()));
    }
    changes.extend(option(
        "seed",
        opts.seed.to_string(),
        sc.sim.seed.to_string(),
    ));
    changes.extend(option(
        "replications",
        opts.replications.to_string(),
        sc.sim.replications.to_string(),
    ));
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("outputs").join(scenario::overrides::folder_name(&sc.name, &changes))
    });
    if !a.quiet {
        crate::errln!(
            "ressim: {} — {} citizens, {} arms, {} months, {} replications",
            sc.name,
            sc.cohort.size(),
            sc.arms.len(),
            sc.sim.horizon_months(),
            opts.replications
        );
    }
    print_scenario_warnings(&sc, a.lang == Lang::Da);
    let report_lang = report_lang(a.lang);
    let info = RunInfo {
        command_line: std::env::args().collect(),
        wall_time_seconds: 0.0,
        started_unix,
        trace: a.trace,
        changes,
    };
    let (res, break_even, dir) = simulate(
        &sc,
        &opts,
        &out,
        info,
        started,
        !a.no_break_even,
        report_lang,
    )?;
    if !a.quiet {
        report::terminal::print_summary(&sc, &res, &dir, report_lang)?;
        print_verdict(&sc, &res, break_even.as_ref(), a.lang)?;
        for w in report::summary::warnings(&sc, &res)
            .into_iter()
            .filter(|w| !sc.warnings.contains(w))
        {
            crate::errln!("warning: {w}");
        }
    }
    Ok(())
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// Run a scenario, search its break-even effect when asked, and write its outputs to `out`;
/// `info.wall_time_seconds` is filled in from `started`.
fn simulate(
    sc: &Scenario,
    opts: &RunOptions,
    out: &Path,
    mut info: RunInfo,
    started: Instant,
    break_even: bool,
    lang: report::format::Lang,
) -> Result<Simulated> {
    let res = montecarlo::run(sc, opts)?;
    let break_even = if break_even {
        if opts.progress {
            crate::errln!(
                "ressim: searching the break-even effect ({} more runs)",
                crate::analysis::break_even::GRID.len() - 1
            );
        }
        Some(crate::analysis::break_even::search(sc, opts, &res)?)
    } else {
        None
    };
    info.wall_time_seconds = started.elapsed().as_secs_f64();
    let dir = report::write_run(sc, &res, out, &info, break_even.as_ref(), lang)?;
    Ok((res, break_even, dir))
}

/// `ressim compare`: run each scenario (the shipped library when none is named) into its own
/// folder under the output folder, then write compare.csv and compare.html from their
/// summary.json files.
fn compare(a: crate::cli::CompareArgs) -> Result<()> {
    let started_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
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
    let lang = report_lang(a.lang);
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
                "ressim compare: {}/{} {} — {} replications",
                i + 1,
                scenarios.len(),
                sc.name,
                opts.replications
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
                if a.lang == Lang::Da {
                    "kommunens NNV"
                } else {
                    "municipal NPV"
                },
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

/// `ressim init FILE`: write the starter (never over an existing file unless `--force`).
fn init(a: crate::cli::InitArgs) -> Result<()> {
    if a.file.exists() && !a.force {
        return Err(crate::Error::Usage(format!(
            "{} exists; choose another name or add --force to overwrite it",
            a.file.display()
        )));
    }
    let stem = a
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let text = scenario::init::starter(&scenario::init::name_from_file(&stem), a.example);
    let tmp = a.file.with_extension("toml.part");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &a.file))
        .map_err(|e| crate::Error::Runtime(format!("cannot write {}: {e}", a.file.display())))?;
    crate::outln!(
        "{} {}",
        if a.example {
            "wrote a worked mentor programme to"
        } else {
            "wrote a starter to"
        },
        a.file.display()
    )?;
    crate::outln!(
        "next: {}ressim check {}  then  ressim run {}",
        if a.example {
            ""
        } else {
            "fill in every value marked \"FILL IN\", then "
        },
        a.file.display(),
        a.file.display()
    )?;
    Ok(())
}

/// The verdict in words, the same sentences as the report's first section.
fn print_verdict(
    sc: &Scenario,
    res: &montecarlo::Results,
    break_even: Option<&[Option<f64>; 8]>,
    lang: Lang,
) -> Result<()> {
    let lang = match lang {
        Lang::Da => report::format::Lang::Da,
        Lang::En => report::format::Lang::En,
    };
    let ex = report::explain::Explained::new(sc, res, break_even, report::explain::MUNICIPALITY);
    crate::outln!()?;
    for s in ex.sentences(lang) {
        crate::outln!("{s}")?;
    }
    Ok(())
}

/// A convention or unit in words, in the terminal's language.
fn words(da: bool, id: &str) -> &'static str {
    match (id, da) {
        ("start", true) => "tilstanden ved periodens start",
        ("start", false) => "the state at the start of each cycle",
        ("end", true) => "tilstanden ved periodens slutning",
        ("end", false) => "the state at the end of each cycle",
        ("half-cycle", true) => "halvcyklus (halvt start, halvt slut)",
        ("half-cycle", false) => "half-cycle (half start, half end)",
        ("budget-year", true) => "pr. budgetår",
        ("budget-year", false) => "per budget year",
        ("simulation-year", true) => "pr. år fra start",
        ("simulation-year", false) => "per year from the start",
        ("monthly", true) => "pr. måned",
        ("monthly", false) => "per month",
        ("month", true) => "pr. måned",
        ("month", false) => "per month",
        ("year", true) => "pr. år",
        ("year", false) => "per year",
        ("total", true) => "i alt, fordelt jævnt",
        ("total", false) => "in total, spread evenly",
        ("once", true) => "én gang",
        ("once", false) => "once",
        ("caseload", true) => "sagsstamme",
        ("caseload", false) => "caseload",
        ("monthly-new", true) => "nye forløb pr. måned",
        ("monthly-new", false) => "new services per month",
        ("shared", true) => "delt (virkningen fortyndes ved overbelastning)",
        ("shared", false) => "shared (effect diluted when overloaded)",
        _ => "",
    }
}

fn check(a: CheckArgs) -> Result<()> {
    let da = a.lang == Lang::Da;
    let t = |d: &'static str, e: &'static str| if da { d } else { e };
    let sc = load(a.scenario.as_deref())?;
    let sim = &sc.sim;
    let counting = match sim.counting {
        scenario::Counting::Start => "start",
        scenario::Counting::End => "end",
        scenario::Counting::HalfCycle => "half-cycle",
    };
    let discounting = match sim.discounting {
        scenario::Discounting::BudgetYear => "budget-year",
        scenario::Discounting::SimulationYear => "simulation-year",
        scenario::Discounting::Monthly => "monthly",
    };
    crate::outln!(
        "{} `{}` {}: {}",
        t("Scenariet", "Scenario"),
        sc.name,
        t("er gyldigt", "is valid"),
        if da { &sc.title_da } else { &sc.title_en }
    )?;
    crate::outln!("  {:<14}{}", t("filer:", "files:"), sc.files.join(" → "))?;
    crate::outln!("  {:<14}{}", "sha256:", sc.sha256)?;
    crate::outln!(
        "  {:<14}{} {} {} {} {}{}; {}: {}; {}: {}",
        t("tid:", "time:"),
        t("fra", "from"),
        sim.start_text(),
        t("i", "for"),
        sim.horizon,
        if sim.cycle_months == 12 {
            t("år", "years")
        } else {
            t("måneder", "months")
        },
        if sim.cycle_months == 1 {
            String::new()
        } else {
            format!(" ({} {})", sim.horizon_months(), t("måneder", "months"))
        },
        t("beløb tælles efter", "amounts count"),
        words(da, counting),
        t("diskontering", "discounting"),
        words(da, discounting)
    )?;
    let inflow = &sc.cohort.inflow;
    let cohort_text = if inflow.len() == 1 {
        format!(
            "{} {}",
            t("lukket kohorte på", "closed cohort of"),
            inflow[0]
        )
    } else {
        format!(
            "{} {} {} {}",
            sc.cohort.size(),
            t("startende over", "starters over"),
            inflow.len(),
            t("perioder", "cycles")
        )
    };
    crate::outln!("  {:<14}{cohort_text}", t("kohorte:", "cohort:"))?;
    for (ci, name) in [
        (COURSE, t("tilstande:", "states:")),
        (HOUSING, t("bostøtte:", "housing:")),
    ] {
        let ch = &sc.chains[ci];
        let list: Vec<String> = ch
            .states
            .iter()
            .map(|s| {
                let mut x = s.id.clone();
                if s.absorbing {
                    x.push_str(t(" (varig)", " (absorbing)"));
                }
                if let Some(m) = s.max_months {
                    x.push_str(&format!(" (max {m} {})", t("måneder", "months")));
                }
                x
            })
            .collect();
        crate::outln!(
            "  {name:<14}{} — {} {}",
            list.join(", "),
            ch.edges.len(),
            t("overgange", "transitions")
        )?;
    }
    crate::outln!(
        "  {:<14}{}",
        t("egenskaber:", "attributes:"),
        if sc.attributes.is_empty() {
            t("ingen", "none").to_string()
        } else {
            sc.attributes
                .iter()
                .map(|a| a.id.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }
    )?;
    for arm in &sc.arms {
        let share = sc.params[arm.offer_share].param.central();
        crate::outln!(
            "  {} {:<10} {} {} {} {}–{}; {} {}, {} {}",
            t("arm", "arm"),
            arm.id,
            t("tilbydes", "offered to"),
            pct(share),
            t("af de startende i perioderne", "of starters in cycles"),
            arm.offer_from,
            arm.offer_to,
            arm.effects.len(),
            t("virkninger", "effects"),
            arm.account_overrides.len(),
            t("ændrede beløb", "amount overrides")
        )?;
    }
    for line in report::programme::lines(&sc, da) {
        crate::outln!("{line}")?;
    }
    for line in sc.prices.sentences(da) {
        crate::outln!("  {line}")?;
    }
    for w in &sc.widened {
        crate::outln!(
            "  {} `{}`: {}–{} ({} {}–{}): {}",
            t("udvidet plausibelt interval", "widened plausible range"),
            w.kind.id(),
            fmt_num(w.min),
            fmt_num(w.max),
            t("dokumenteret", "documented"),
            fmt_num(w.documented.0),
            fmt_num(w.documented.1),
            w.reason
        )?;
    }
    if !sc.removed.is_empty() {
        crate::outln!(
            "  {:<14}{}",
            t("fjernet:", "removed:"),
            sc.removed.join(", ")
        )?;
    }
    if let Some(r) = &sc.refusion {
        let steps: Vec<String> = r
            .steps
            .iter()
            .map(|(w, p)| {
                format!(
                    "{} {w}: {}",
                    t("uge", "week"),
                    fmt_num(sc.params[*p].param.central())
                )
            })
            .collect();
        crate::outln!("  {:<14}{}", t("refusion:", "refusion:"), steps.join(", "))?;
    }
    for line in sc.life_lines() {
        crate::outln!("  {line}")?;
    }
    crate::outln!("  {:<14}{}", t("konti:", "accounts:"), sc.accounts.len())?;
    let uncertain = sc.params.iter().filter(|p| p.param.is_uncertain()).count();
    crate::outln!(
        "  {:<14}{} ({} {})",
        t("parametre:", "parameters:"),
        sc.params.len(),
        uncertain,
        t(
            "med en usikkerhedsfordeling",
            "with an uncertainty distribution"
        )
    )?;
    let unsourced = sc.unsourced();
    if unsourced.is_empty() {
        crate::outln!(
            "  {:<14}{}",
            t("kilder:", "sources:"),
            t(
                "alle parametre har en kilde",
                "every parameter has a source"
            )
        )?;
    } else {
        crate::outln!(
            "  {} ({}):",
            t("uden kilde", "without a source"),
            unsourced.len()
        )?;
        for p in unsourced {
            crate::outln!("    {} = {}", p.path, p.param.describe())?;
        }
    }
    print_scenario_warnings(&sc, da);
    Ok(())
}

/// The scenario's warnings (implausible values, nothing to save or invest) on standard error.
fn print_scenario_warnings(sc: &Scenario, da: bool) {
    for w in &sc.warnings {
        crate::errln!("{}: {w}", if da { "advarsel" } else { "warning" });
    }
}
