//! `ressim serve`: the JSON API over real HTTP (status codes and messages for bad requests,
//! the server still answering afterwards), concurrency and cancellation, figures equal to
//! `ressim run`, and the page in headless Chromium driven through the DevTools protocol.

mod common;

use common::{chromium, ressim, run_in};
use ressim::serve::ServeProcess;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

const MENTORS: &str = "arms.treatment.services.mentors.fte.value";

/// A running `ressim serve`, killed when dropped.
struct Server(ServeProcess);

impl std::ops::Deref for Server {
    type Target = ServeProcess;
    fn deref(&self) -> &ServeProcess {
        &self.0
    }
}

impl Server {
    fn start(dir: Option<&Path>, extra: &[&str]) -> Server {
        let mut cmd = ressim();
        cmd.arg("serve");
        if let Some(d) = dir {
            cmd.arg(d);
        }
        cmd.args(extra);
        let p = ServeProcess::start(cmd).expect("ressim serve starts");
        assert!(
            p.url.starts_with("http://127.0.0.1:"),
            "printed: {:?}",
            p.url
        );
        assert!(p.token.len() >= 32, "a long random token: {}", p.token);
        Server(p)
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// One request; (status, body). `token` None sends none.
    fn raw(
        &self,
        method: &str,
        path: &str,
        host: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(300))).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        if let Some(t) = token {
            head.push_str(&format!("X-Ressim-Token: {t}\r\n"));
        }
        if method == "POST" {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).unwrap();
        // A server may answer (413) before reading a big body; a failed write is fine then.
        let _ = s.write_all(body);
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp);
        let text = String::from_utf8_lossy(&resp).to_string();
        let status: u16 = text
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"));
        let (headers, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let body = if headers
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            dechunk(body)
        } else {
            body.to_string()
        };
        (status, body)
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.raw("GET", path, &self.host(), Some(&self.token), b"")
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (c, b) = self.raw(
            "POST",
            path,
            &self.host(),
            Some(&self.token),
            body.to_string().as_bytes(),
        );
        (
            c,
            serde_json::from_str(&b).unwrap_or_else(|_| panic!("JSON: {b}")),
        )
    }

    fn answers(&self) {
        let (c, b) = self.get("/api/scenarios");
        assert_eq!(c, 200, "the server still answers: {b}");
        assert!(b.contains("kbh-rehabiliteringshus"));
    }
}

fn dechunk(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some((len, after)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

fn error_of(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON error: {body}"));
    v["error"].as_str().unwrap_or_default().to_string()
}

/// summary.json of the quick `ressim run` (`common::quick`) with `args` and `replications`
/// (None: the scenario's own), written into a fresh folder under `dir`.
fn cli_summary(dir: &Path, args: &[&str], replications: Option<u32>) -> Value {
    let out = dir.join(format!("out-{}", args.join("_").replace(['/', '='], "-")));
    match replications {
        Some(r) => common::quick("run", args, r, &out),
        None => common::quick_with_own_replications("run", args, &out),
    };
    common::summary_json(&out)
}

fn npv(summary: &Value, k: &str) -> f64 {
    summary["business_case"]["perspectives"][k]["npv_dkk"]["mean"]
        .as_f64()
        .unwrap()
}

fn view_npv(run: &Value, k: &str) -> f64 {
    run["view"]["perspectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == k)
        .unwrap()["npv"]
        .as_f64()
        .unwrap()
}

/// A fresh folder to save variants and outputs in (variants extend shipped scenarios by name).
fn project_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn token_host_and_body_size_are_enforced_and_the_server_keeps_answering() {
    let s = Server::start(None, &[]);
    let (c, b) = s.raw("GET", "/", &s.host(), None, b"");
    assert_eq!(c, 401, "{b}");
    assert!(error_of(&b).contains("token is required"), "{b}");
    s.answers();
    let (c, b) = s.raw("GET", "/api/scenarios", &s.host(), Some("wrong"), b"");
    assert_eq!(c, 403, "{b}");
    assert!(error_of(&b).contains("wrong token"), "{b}");
    s.answers();
    let (c, b) = s.raw(
        "GET",
        &format!("/?token={}", s.token),
        "evil.example",
        None,
        b"",
    );
    assert_eq!(c, 400, "{b}");
    assert!(error_of(&b).contains("Host header `evil.example`"), "{b}");
    s.answers();
    // The right token in the query opens the page.
    let (c, b) = s.raw("GET", &format!("/?token={}", s.token), &s.host(), None, b"");
    assert_eq!(c, 200);
    assert!(b.contains("<script>") && !b.contains("/*JS*/"));
    // Oversized bodies: declared, and sent in full.
    let big = vec![b'x'; 2_000_000];
    let (c, b) = s.raw("POST", "/api/run", &s.host(), Some(&s.token), &big);
    assert_eq!(c, 413, "{b}");
    assert!(error_of(&b).contains("larger than"), "{b}");
    s.answers();
    // Unknown routes are JSON 404s.
    let (c, b) = s.get("/api/nothing");
    assert_eq!(c, 404);
    assert!(error_of(&b).contains("no such"));
    s.answers();
}

#[test]
fn bad_requests_get_their_status_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served");
    std::fs::create_dir(&served).unwrap();
    std::fs::write(dir.path().join("secret.toml"), "x = 1\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("secret.toml"), served.join("out.toml")).unwrap();
    std::fs::copy(common::shipped(), served.join("mine.toml")).unwrap();
    let s = Server::start(Some(&served), &[]);
    // Malformed JSON.
    let (c, b) = s.raw("POST", "/api/run", &s.host(), Some(&s.token), b"{not json");
    assert_eq!(c, 400, "{b}");
    assert!(error_of(&b).contains("not valid JSON"), "{b}");
    s.answers();
    // An unknown field of the request.
    let (c, v) = s.post("/api/run", &serde_json::json!({"scenarios": "x"}));
    assert_eq!(c, 400, "{v}");
    // An unknown parameter.
    let (c, v) = s.post(
        "/api/run",
        &serde_json::json!({"changes": {"arms.treatment.services.wizards.fte": 3}}),
    );
    assert_eq!(c, 422, "{v}");
    assert_eq!(v["fields"][0]["key"], "arms.treatment.services.wizards.fte");
    assert!(
        v["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown parameter"),
        "{v}"
    );
    s.answers();
    // A value that is not a number.
    let (c, v) = s.post(
        "/api/run",
        &serde_json::json!({"changes": {MENTORS: "many"}}),
    );
    assert_eq!(c, 422, "{v}");
    assert_eq!(v["fields"][0]["key"], MENTORS);
    // Out of range: the same message as the scenario file gets from `ressim check`.
    let key = "transitions.course.pension.prob.mean";
    let (c, v) = s.post("/api/run", &serde_json::json!({"changes": {key: 1.5}}));
    assert_eq!(c, 422, "{v}");
    assert_eq!(v["fields"][0]["key"], key, "{v}");
    let message = v["fields"][0]["message"].as_str().unwrap().to_string();
    let proj = project_dir();
    let variant = v["error"].as_str().unwrap();
    assert!(variant.contains(&message));
    let file = proj.path().join("bad.toml");
    std::fs::write(
        &file,
        "extends = \"kbh-rehabiliteringshus\"\n[transitions.course.pension.prob]\ndist = \"beta\"\nmean = 1.5\nsd = 0.0018\n",
    )
    .unwrap();
    let check = run_in(proj.path(), &["check", "bad.toml"]);
    assert!(!check.status.success());
    assert!(
        common::stderr(&check).contains(&message),
        "ressim check says {} but the page says {message}",
        common::stderr(&check)
    );
    s.answers();
    // Effect scale and replications out of range.
    let (c, v) = s.post("/api/run", &serde_json::json!({"effect_scale": 11}));
    assert_eq!(
        (c, v["fields"][0]["key"].as_str()),
        (422, Some("effect_scale"))
    );
    let (c, v) = s.post(
        "/api/run",
        &serde_json::json!({"changes": {"simulation.replications.value": 1_000_000}}),
    );
    assert_eq!(c, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("ressim run"), "{v}");
    // Paths outside the folder: `..`, separators, a symlink out; and a missing file.
    for id in ["../secret.toml", "..%2Fsecret.toml", "/etc/passwd"] {
        let (c, b) = s.get(&format!("/api/scenario?id={id}"));
        assert_eq!(c, 400, "{id}: {b}");
        assert!(error_of(&b).contains("outside the served folder"), "{b}");
    }
    let (c, v) = s.post(
        "/api/run",
        &serde_json::json!({"scenario": "../secret.toml"}),
    );
    assert_eq!(c, 400, "{v}");
    #[cfg(unix)]
    {
        let (c, b) = s.get("/api/scenario?id=out.toml");
        assert_eq!(c, 400, "{b}");
        assert!(error_of(&b).contains("outside"), "{b}");
    }
    let (c, b) = s.get("/api/scenario?id=none.toml");
    assert_eq!(c, 404, "{b}");
    // The file in the folder is offered and described.
    let (c, b) = s.get("/api/scenarios");
    assert_eq!(c, 200);
    assert!(
        b.contains("\"mine.toml\"") && !b.contains("secret") && !b.contains("out.toml"),
        "{b}"
    );
    let (c, b) = s.get("/api/scenario?id=mine.toml");
    assert_eq!(c, 200, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    let staffing = &v["groups"][0];
    assert_eq!(staffing["id"], "staffing");
    assert!(b.contains("arms.treatment.services.mentors.fte"));
    s.answers();
}

#[test]
fn a_run_gives_the_figures_of_ressim_run_and_its_variant_file_too() {
    let proj = project_dir();
    let s = Server::start(None, &[]);
    let (c, run) = s.post(
        "/api/run",
        &serde_json::json!({"changes": {MENTORS: 15}, "replications": 6}),
    );
    assert_eq!(c, 200, "{run}");
    assert_eq!(run["replications"], 6);
    let cli = cli_summary(proj.path(), &["--staff", "mentors=15"], Some(6));
    for k in ["municipality", "bif", "society"] {
        assert_eq!(view_npv(&run, k), npv(&cli, k), "{k}");
    }
    // The variant holds only the change and runs to the same figures.
    let variant = run["variant"].as_str().unwrap();
    assert!(
        variant.contains("extends = \"kbh-rehabiliteringshus\""),
        "{variant}"
    );
    assert!(
        variant.contains("[arms.treatment.services.mentors.fte]\nvalue = 15"),
        "{variant}"
    );
    std::fs::write(proj.path().join("v.toml"), variant).unwrap();
    let file = proj.path().join("v.toml");
    let from_file = cli_summary(proj.path(), &[file.to_str().unwrap()], Some(6));
    assert_eq!(npv(&from_file, "municipality"), npv(&cli, "municipality"));
    // Downloads: the variant, and the files `ressim run` writes.
    let id = run["run"].as_u64().unwrap();
    let (c, b) = s.get(&format!("/api/download/variant.toml?run={id}"));
    assert_eq!((c, b.as_str()), (200, variant));
    let (c, b) = s.get(&format!("/api/download/report.html?run={id}&lang=en"));
    assert_eq!(c, 200);
    assert!(
        b.contains("<html") && b.contains("Break-even"),
        "report.html"
    );
    let (c, b) = s.get(&format!("/api/download/nothing.txt?run={id}"));
    assert_eq!(c, 404, "{b}");
    let (c, _) = s.get("/api/download/report.html?run=999999");
    assert_eq!(c, 404);
}

#[test]
fn concurrent_runs_get_their_own_figures_and_a_newer_change_stops_the_older_run() {
    let s = Server::start(None, &[]);
    let req = |fte: f64| serde_json::json!({"changes": {MENTORS: fte}, "replications": 4});
    let alone: Vec<f64> = [10.0, 30.0]
        .iter()
        .map(|&f| view_npv(&s.post("/api/run", &req(f)).1, "municipality"))
        .collect();
    assert_ne!(alone[0], alone[1]);
    std::thread::scope(|sc| {
        let hs: Vec<_> = [10.0, 30.0, 10.0, 30.0]
            .iter()
            .map(|&f| {
                let s = &s;
                sc.spawn(move || (f, s.post("/api/run", &req(f))))
            })
            .collect();
        for h in hs {
            let (f, (c, v)) = h.join().unwrap();
            assert_eq!(c, 200, "{v}");
            let want = if f == 10.0 { alone[0] } else { alone[1] };
            assert_eq!(view_npv(&v, "municipality"), want, "mentors {f}");
        }
    });
    // Cancellation: a long run, then a change from the same page.
    let t0 = Instant::now();
    std::thread::scope(|sc| {
        let long = sc.spawn(|| {
            s.post(
                "/api/run",
                &serde_json::json!({"replications": 2000, "session": "tab1"}),
            )
        });
        std::thread::sleep(Duration::from_millis(700));
        let (c, v) = s.post(
            "/api/run",
            &serde_json::json!({"replications": 2, "session": "tab1", "quick": true}),
        );
        assert_eq!(c, 200, "{v}");
        let (c, v) = long.join().unwrap();
        assert_eq!(c, 409, "{v}");
        assert!(v["error"].as_str().unwrap().contains("newer change"), "{v}");
    });
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "the stopped run ended early ({:?})",
        t0.elapsed()
    );
    let (c, b) = s.get("/api/progress?session=tab1");
    assert_eq!(c, 200, "{b}");
    s.answers();
}

#[test]
fn the_page_in_headless_chromium_shows_the_figures_of_ressim_run() {
    use headless_chrome::{Browser, LaunchOptions};
    let Some(path) = chromium() else {
        eprintln!(
            "SKIPPED the_page_in_headless_chromium_shows_the_figures_of_ressim_run: no Chromium here (.ci/run installs the distribution's `chromium` package)"
        );
        return;
    };
    const REPS: u32 = 30;
    let proj = project_dir();
    let s = Server::start(Some(proj.path()), &["--quick", "10"]);
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(path))
            .headless(true)
            .sandbox(false)
            .idle_browser_timeout(Duration::from_secs(300))
            .build()
            .unwrap(),
    )
    .expect("chromium starts");
    let tab = browser.new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(120));
    tab.navigate_to(&format!("http://127.0.0.1:{}/?token={}", s.port, s.token))
        .unwrap();
    tab.wait_until_navigated().unwrap();
    let eval = |js: &str| -> Value {
        tab.evaluate(js, true)
            .unwrap_or_else(|e| panic!("{js}: {e}"))
            .value
            .unwrap_or(Value::Null)
    };
    let wait_for = |js: &str, what: &str| {
        let t0 = Instant::now();
        loop {
            if eval(js) == Value::Bool(true) {
                return;
            }
            if t0.elapsed() > Duration::from_secs(240) {
                let seen = eval(
                    "[document.body.dataset.state, document.getElementById('status').textContent, \
                      document.getElementById('error').textContent, \
                      document.getElementById('basis').textContent, \
                      Array.from(document.querySelectorAll('.err')).map(e => e.textContent).join('|')].join(' // ')",
                );
                panic!("waited for {what}; the page shows: {seen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    // The default scenario's result appears without a click.
    wait_for(
        "document.body.dataset.state === 'final' && !!document.querySelector('[data-npv=municipality]')",
        "the first result",
    );
    let first = eval("document.querySelector('[data-npv=municipality]').textContent");
    assert!(first.as_str().unwrap().ends_with("mio. kr."), "{first}");
    // Pick the shipped scenario, then set replications and mentors by typing.
    eval(
        "(() => { const s = document.getElementById('scenario'); s.value = 'kbh-rehabiliteringshus'; \
         s.dispatchEvent(new Event('change')); return true; })()",
    );
    wait_for(
        "!!document.querySelector('input[data-key=\"arms.treatment.services.mentors.fte.value\"]')",
        "the assumptions",
    );
    let run_before = eval("document.body.dataset.run || ''");
    let set = |key: &str, value: &str| {
        let focused = eval(&format!(
            "(() => {{ const i = document.querySelector('input[data-key=\"{key}\"]'); i.focus(); i.value = ''; return true; }})()"
        ));
        assert_eq!(focused, Value::Bool(true), "the field {key} is there");
        tab.type_str(value).unwrap();
    };
    set("simulation.replications.value", &REPS.to_string());
    set(MENTORS, "15");
    wait_for(
        &format!(
            "document.body.dataset.state === 'final' && document.body.dataset.run !== {run_before} \
             && document.getElementById('basis').textContent.includes('{REPS} replikationer') \
             && document.getElementById('basis').textContent.includes('mentors')"
        ),
        "the final result with 15 mentors",
    );
    let shown = eval("document.querySelector('[data-npv=municipality]').textContent")
        .as_str()
        .unwrap()
        .to_string();
    let cli = cli_summary(proj.path(), &["--staff", "mentors=15"], Some(REPS));
    let want =
        ressim::report::format::mio(npv(&cli, "municipality"), ressim::report::format::Lang::Da);
    assert_eq!(
        shown, want,
        "the page shows {shown}, ressim run gives {want}"
    );
    // The page refers to no other host.
    let html = eval("document.documentElement.outerHTML");
    for m in html.as_str().unwrap().match_indices("http") {
        let rest = &html.as_str().unwrap()[m.0..];
        let ok = ["http://www.w3.org", "http://127.0.0.1", "http://localhost"]
            .iter()
            .any(|p| rest.starts_with(p))
            || !(rest.starts_with("http://") || rest.starts_with("https://"));
        assert!(ok, "the page refers to {}", &rest[..rest.len().min(40)]);
    }
    // Download the variant and run it.
    let variant = eval("fetch(document.getElementById('dl-variant').href).then(r => r.text())");
    let variant = variant.as_str().unwrap();
    assert!(variant.contains("mentors"), "{variant}");
    let file = proj.path().join("page-variant.toml");
    std::fs::write(&file, variant).unwrap();
    let from_file = cli_summary(proj.path(), &[file.to_str().unwrap()], None);
    assert_eq!(from_file["replications"], REPS);
    assert_eq!(npv(&from_file, "municipality"), npv(&cli, "municipality"));
}
