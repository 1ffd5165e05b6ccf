//! `ressim serve`: time from the request to the quick result and to the final result for the
//! shipped scenario, over real HTTP on 127.0.0.1 (`cargo bench --bench serve`).
//!
//! The quick result is the server's default quick run (`--quick`, 10 replications); the final
//! one is the scenario's own 200 replications of its 300-month horizon.

use criterion::{Criterion, criterion_group, criterion_main};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ressim"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("ressim serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address");
    let url = line.trim().to_string();
    let rest = url.trim_start_matches("http://127.0.0.1:");
    let port = rest[..rest.find('/').expect("a path")]
        .parse()
        .expect("a port");
    let token = url.split("token=").nth(1).expect("a token").to_string();
    Server { child, port, token }
}

fn post(s: &Server, body: &str) -> usize {
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    c.set_read_timeout(Some(Duration::from_secs(600))).ok();
    let req = format!(
        "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Ressim-Token: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        s.port,
        s.token,
        body.len()
    );
    c.write_all(req.as_bytes()).expect("send");
    let mut out = Vec::new();
    c.read_to_end(&mut out).expect("answer");
    assert!(
        out.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&out[..out.len().min(300)])
    );
    out.len()
}

fn bench(c: &mut Criterion) {
    let s = start();
    let change = r#""changes": {"arms.treatment.services.mentors.fte.value": 15}"#;
    let mut g = c.benchmark_group("serve");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("request_to_quick_result", |b| {
        b.iter(|| post(&s, &format!("{{{change}, \"quick\": true}}")))
    });
    g.bench_function("request_to_final_result", |b| {
        b.iter(|| post(&s, &format!("{{{change}}}")))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // Criterion's HTML plots would need a font registered with plotters.
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
