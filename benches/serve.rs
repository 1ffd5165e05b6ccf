//! `ressim serve`: time from the request to the quick result and to the final result for the
//! shipped scenario, over real HTTP on 127.0.0.1 (`cargo bench --bench serve`).
//!
//! The quick result is the server's default quick run (`--quick`, 10 replications); the final
//! one is the scenario's own 200 replications of its 300-month horizon.

use criterion::{Criterion, criterion_group, criterion_main};
use ressim::serve::ServeProcess;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

fn start() -> ServeProcess {
    ServeProcess::start({
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ressim"));
        cmd.arg("serve");
        cmd
    })
    .expect("ressim serve starts")
}

fn post(s: &ServeProcess, body: &str) -> usize {
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
