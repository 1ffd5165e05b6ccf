//! The routes of `ressim serve`: the page and the JSON API (docs/serve.md), behind the Host,
//! token and body-size checks. Every error is JSON: `{"error": "…", "fields": [{"key", "message"}]}`.

use super::ServeOptions;
use super::catalog::{Base, Catalog, Refused, SHIPPED_ID};
use super::variant::{self, FieldError};
use crate::montecarlo::{self, Results, RunOptions};
use crate::scenario::Scenario;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The defaults of `--quick` and `--max-replications` (argument values, in [`crate::args`]).
pub use crate::args::{MAX_REPLICATIONS, QUICK_REPLICATIONS};
/// The largest request body accepted (bytes).
pub const BODY_LIMIT: usize = 256 * 1024;
/// Finished runs kept for downloads.
const KEPT_RUNS: usize = 24;
/// Header that carries the token for API calls (the page sends it; `?token=` works too).
pub const TOKEN_HEADER: &str = "x-ressim-token";

const PAGE: &str = include_str!("../../assets/serve/index.html");
const CSS: &str = include_str!("../../assets/serve/app.css");
const JS: &str = include_str!("../../assets/serve/app.js");

/// A finished run, kept for downloads.
pub struct RunRecord {
    /// Its id.
    pub id: u64,
    /// The variant's file text.
    pub variant: String,
    /// The scenario run.
    pub scenario: Scenario,
    /// Its results.
    pub results: Results,
}

struct Session {
    run: u64,
    cancel: Arc<AtomicBool>,
    done: Arc<AtomicU32>,
    total: u32,
}

/// The server's state.
pub struct App {
    token: String,
    hosts: Vec<String>,
    catalog: Catalog,
    shipped: Arc<Base>,
    quick: u32,
    max_replications: u32,
    threads: usize,
    next: AtomicU64,
    runs: Mutex<Vec<Arc<RunRecord>>>,
    sessions: Mutex<HashMap<String, Session>>,
}

impl App {
    /// State for a server listening on `addr` with `token`.
    pub fn new(opts: &ServeOptions, addr: SocketAddr, token: String) -> crate::Result<Arc<App>> {
        let port = addr.port();
        let mut hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ];
        if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
            hosts.push(super::url_host(addr));
        }
        Ok(Arc::new(App {
            token,
            hosts,
            catalog: Catalog {
                folder: opts.folder.clone(),
            },
            shipped: Arc::new(Base::shipped()?),
            quick: opts.quick.max(1),
            max_replications: opts.max_replications.max(1),
            threads: opts.threads,
            next: AtomicU64::new(1),
            runs: Mutex::new(Vec::new()),
            sessions: Mutex::new(HashMap::new()),
        }))
    }

    fn base(&self, id: Option<&str>) -> Result<Arc<Base>, ApiError> {
        let id = id.unwrap_or(SHIPPED_ID);
        if id == SHIPPED_ID {
            return Ok(self.shipped.clone());
        }
        if crate::scenario::library::by_name(id).is_some_and(|s| !s.base) {
            return Base::shipped_named(id)
                .map(Arc::new)
                .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()));
        }
        let path = self.catalog.resolve(id).map_err(|r| match r {
            Refused::Outside(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            Refused::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
        })?;
        let folder = self.catalog.folder.clone().unwrap_or_default();
        Base::file(&folder, id, &path)
            .map(Arc::new)
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))
    }

    fn record(&self, id: u64) -> Result<Arc<RunRecord>, ApiError> {
        let runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.iter().find(|r| r.id == id).cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no run {id} (only the last {KEPT_RUNS} runs are kept); run it again"),
            )
        })
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    fields: Vec<FieldError>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            fields: vec![],
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            json!({"error": self.message, "status": self.status.as_u16(), "fields": self.fields});
        (self.status, Json(body)).into_response()
    }
}

/// The router with its checks.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/scenarios", get(list))
        .route("/api/scenario", get(scenario))
        .route("/api/run", post(run))
        .route("/api/progress", get(progress))
        .route("/api/download/{file}", get(download))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such page or API route") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

fn query_token(q: Option<&str>) -> Option<String> {
    q?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "token").then(|| v.to_string())
    })
}

/// Constant-time comparison of two tokens.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Host header, token and declared body size, before anything else.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !app.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "Host header `{}` is not this server: ressim serve answers only to {} (protection against DNS rebinding)",
                host.chars().take(100).collect::<String>(),
                app.hosts.join(", ")
            ),
        )
        .into_response();
    }
    let token = req
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| query_token(req.uri().query()));
    match token {
        None => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "a token is required: open the address ressim serve printed (…/?token=…)",
            )
            .into_response();
        }
        Some(t) if !same(&t, &app.token) => {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong token: open the address ressim serve printed (…/?token=…)",
            )
            .into_response();
        }
        Some(_) => {}
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large().into_response();
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {BODY_LIMIT} bytes"),
    )
}

async fn page() -> Response {
    let html = PAGE.replace("/*CSS*/", CSS).replace("/*JS*/", JS);
    let mut res = axum::response::Html(html).into_response();
    res.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             img-src data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    res
}

async fn list(State(app): State<Arc<App>>) -> Response {
    let shipped = app.shipped.clone();
    let app2 = app.clone();
    match tokio::task::spawn_blocking(move || app2.catalog.list(&shipped)).await {
        Ok(list) => Json(json!({"scenarios": list})).into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "listing the scenarios failed",
        )
        .into_response(),
    }
}

async fn scenario(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let id = q.get("id").cloned();
    let base = tokio::task::spawn_blocking(move || app.base(id.as_deref()))
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "reading failed"))??;
    Ok(Json(super::params::describe(&base)))
}

/// `POST /api/run`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRequest {
    /// Scenario id (default: the shipped one).
    scenario: Option<String>,
    /// Changed keys and their numbers.
    #[serde(default)]
    changes: serde_json::Map<String, Value>,
    /// Effect scale (default 1).
    effect_scale: Option<f64>,
    /// Quick first result: at most the quick number of replications.
    #[serde(default)]
    quick: bool,
    /// Replications (default: the scenario's).
    replications: Option<u32>,
    /// The page's tab: a new run of the same session stops the one in flight.
    session: Option<String>,
}

/// Sets the cancel flag when the request is dropped (the page aborted it, or it is done).
struct CancelOnDrop(Arc<AtomicBool>);
impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn unprocessable(message: impl Into<String>, fields: Vec<FieldError>) -> ApiError {
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: message.into(),
        fields,
    }
}

/// Parse and check a run request: the scenario it describes and the run options.
fn prepare(
    app: &App,
    body: &[u8],
) -> Result<(RunRequest, Arc<Base>, variant::Variant, RunOptions), ApiError> {
    let req: RunRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the request is not valid JSON for a run: {e}"),
        )
    })?;
    let base = app.base(req.scenario.as_deref())?;
    let mut changes = Vec::new();
    let mut bad = Vec::new();
    for (k, v) in &req.changes {
        match v.as_f64() {
            Some(x) => changes.push((k.clone(), x)),
            None => bad.push(FieldError {
                key: Some(k.clone()),
                message: format!("`{k}` must be a number, got {v}"),
            }),
        }
    }
    if !bad.is_empty() {
        return Err(unprocessable("a changed value is not a number", bad));
    }
    let var = variant::build(&base, &changes).map_err(|fields| {
        let first = fields
            .first()
            .map(|f| match &f.key {
                Some(k) => format!("{k}: {}", f.message),
                None => f.message.clone(),
            })
            .unwrap_or_default();
        unprocessable(first, fields)
    })?;
    let mut opts = RunOptions::from_scenario(&var.scenario);
    opts.threads = app.threads;
    if let Some(x) = req.effect_scale {
        if !(0.0..=10.0).contains(&x) {
            return Err(unprocessable(
                format!("effect_scale: {x} is outside 0 … 10"),
                vec![FieldError {
                    key: Some("effect_scale".into()),
                    message: format!("{x} is outside 0 … 10"),
                }],
            ));
        }
        opts.effect_scale = x;
    }
    if let Some(r) = req.replications {
        opts.replications = r;
    }
    if opts.replications == 0 || opts.replications > app.max_replications {
        let m = format!(
            "{} replications: an interactive run takes 1 … {}; use `ressim run` for more",
            opts.replications, app.max_replications
        );
        return Err(unprocessable(
            m.clone(),
            vec![FieldError {
                key: Some("simulation.replications".into()),
                message: m,
            }],
        ));
    }
    // Run options that are not keys of the file are named in its header.
    let mut var = var;
    let mut flags = String::new();
    if opts.effect_scale != var.scenario.sim.effect_scale {
        flags.push_str(&format!(
            " --effect-scale {}",
            crate::scenario::param::fmt_num(opts.effect_scale)
        ));
    }
    if opts.replications != var.scenario.sim.replications {
        flags.push_str(&format!(" --replications {}", opts.replications));
    }
    if !flags.is_empty() {
        var.text = format!(
            "# The page ran it with run options that are not keys of this file:\n\
             #   ressim run <this file>{flags}\n{}",
            var.text
        );
    }
    if req.quick {
        opts.replications = opts.replications.min(app.quick);
    }
    Ok((req, base, var, opts))
}

async fn run(
    State(app): State<Arc<App>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::new(e.status(), format!("cannot read the request: {e}"))
        }
    })?;
    let app2 = app.clone();
    let (req, base, var, opts) = tokio::task::spawn_blocking(move || prepare(&app2, &body))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "checking the request failed",
            )
        })??;
    let id = app.next.fetch_add(1, Ordering::Relaxed);
    let cancel = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU32::new(0));
    if let Some(s) = &req.session {
        let mut sessions = app.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if sessions.len() > 1000 {
            sessions.retain(|_, v| !v.cancel.load(Ordering::Relaxed));
        }
        let new = Session {
            run: id,
            cancel: cancel.clone(),
            done: done.clone(),
            total: opts.replications,
        };
        if let Some(old) = sessions.insert(s.chars().take(64).collect(), new) {
            old.cancel.store(true, Ordering::Relaxed);
        }
    }
    let _guard = CancelOnDrop(cancel.clone());
    let sc = var.scenario.clone();
    let o = opts.clone();
    let (c, d) = (cancel.clone(), done.clone());
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        montecarlo::run_while(&sc, &o, &|n, _| {
            d.store(n, Ordering::Relaxed);
            !c.load(Ordering::Relaxed)
        })
    })
    .await
    .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the run failed"))?
    .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
    let Some(results) = out else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "this run was stopped: a newer change from the same page replaced it",
        ));
    };
    let seconds = started.elapsed().as_secs_f64();
    let view = super::view::view(&var.scenario, &results);
    let record = Arc::new(RunRecord {
        id,
        variant: var.text.clone(),
        scenario: var.scenario,
        results,
    });
    {
        let mut runs = app.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.push(record);
        let n = runs.len();
        if n > KEPT_RUNS {
            runs.drain(..n - KEPT_RUNS);
        }
    }
    Ok(Json(json!({
        "run": id,
        "scenario": base.id,
        "quick": req.quick,
        "replications": opts.replications,
        "seed": opts.seed,
        "effect_scale": opts.effect_scale,
        "changed": var.changed,
        "variant": var.text,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "view": view,
    })))
}

async fn progress(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let s = q.get("session").ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "give ?session= (the page's session id)",
        )
    })?;
    let sessions = app.sessions.lock().unwrap_or_else(|p| p.into_inner());
    Ok(Json(match sessions.get(s.as_str()) {
        Some(x) => json!({
            "run": x.run,
            "done": x.done.load(Ordering::Relaxed),
            "total": x.total,
            "stopped": x.cancel.load(Ordering::Relaxed),
        }),
        None => json!({"run": null, "done": 0, "total": 0, "stopped": true}),
    }))
}

fn lang_of(q: &HashMap<String, String>) -> Result<crate::report::format::Lang, ApiError> {
    match q.get("lang").map(String::as_str) {
        None | Some("da") => Ok(crate::report::format::Lang::Da),
        Some("en") => Ok(crate::report::format::Lang::En),
        Some(other) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("lang `{other}`: give da or en"),
        )),
    }
}

/// The files `ressim run` writes for a kept run, into a temporary folder: (folder, file bytes).
fn write_files(
    rec: &RunRecord,
    lang: crate::report::format::Lang,
    file: &str,
) -> crate::Result<Vec<u8>> {
    let sc = &rec.scenario;
    let res = &rec.results;
    let opts = &res.options;
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let started = std::time::Instant::now();
    // The same break-even search `ressim run` does.
    let break_even = crate::analysis::break_even::search(sc, opts, res)?;
    // The page never turns probabilistic analysis off, so no `psa` change is recorded.
    let changes = crate::report::manifest::option_changes(sc, opts);
    let mut command_line: Vec<String> = ["ressim", "run", variant::VARIANT_LABEL]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for c in &changes {
        command_line.push(format!("--{}", c.key.replace('_', "-")));
        command_line.push(c.value.clone());
    }
    let info = crate::report::RunInfo {
        command_line,
        wall_time_seconds: started.elapsed().as_secs_f64(),
        started_unix,
        trace: None,
        changes,
    };
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ressim-serve-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = crate::report::write_run(sc, res, &dir, &info, Some(&break_even), lang);
    let bytes = written.and_then(|d| {
        std::fs::read(d.join(file)).map_err(|e| crate::Error::io(&d.join(file), "cannot read", e))
    });
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

async fn download(
    State(app): State<Arc<App>>,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let id: u64 = q
        .get("run")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "give ?run= (the id of a run)"))?;
    let lang = lang_of(&q)?;
    let rec = app.record(id)?;
    let name = rec.scenario.name.clone();
    let (bytes, mime, filename): (Vec<u8>, &str, String) = match file.as_str() {
        "variant.toml" => (
            rec.variant.clone().into_bytes(),
            "application/toml; charset=utf-8",
            format!("{name}-variant.toml"),
        ),
        "report.html" | "workbook.xlsx" => {
            let f = file.clone();
            let bytes = tokio::task::spawn_blocking(move || write_files(&rec, lang, &f))
                .await
                .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "writing failed"))?
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let mime = if file == "report.html" {
                "text/html; charset=utf-8"
            } else {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            };
            (bytes, mime, format!("{name}-{file}"))
        }
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "no download `{}`: variant.toml, report.html or workbook.xlsx",
                    other.chars().take(60).collect::<String>()
                ),
            ));
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let disp = format!(
        "attachment; filename=\"{}\"",
        filename.replace(['"', '\\', '\r', '\n'], "_")
    );
    if let Ok(v) = HeaderValue::from_str(&disp) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok((headers, bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
        assert_eq!(query_token(Some("a=1&token=xyz")), Some("xyz".into()));
        assert_eq!(query_token(Some("tokens=1")), None);
    }
}
