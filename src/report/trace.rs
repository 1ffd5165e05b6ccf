//! `trace.csv`: individual citizens month by month, as OpenM++ microdata allows — one row per
//! citizen-cycle for the first N citizens of replication 0, in every arm. Modellers and
//! evaluators follow single citizens with it; tests use it to check common random numbers.

use crate::engine::Observer;
use crate::error::{Error, Result};
use crate::montecarlo::{self, RunOptions};
use crate::scenario::{COURSE, HOUSING, Scenario};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// Writes the rows of one arm into a shared buffer that is flushed to the file as it fills.
struct Tracer<'a> {
    arm: &'a str,
    first: usize,
    sc: &'a Scenario,
    out: &'a RefCell<Sink>,
}

struct Sink {
    file: std::io::BufWriter<std::fs::File>,
    line: String,
    error: Option<std::io::Error>,
}

impl Observer for Tracer<'_> {
    fn citizen_state(&mut self, cycle: u32, citizen: usize, states: [u16; 2], attrs: &[f64]) {
        if citizen >= self.first {
            return;
        }
        let mut sink = self.out.borrow_mut();
        if sink.error.is_some() {
            return;
        }
        let Sink { file, line, error } = &mut *sink;
        line.clear();
        let sc = self.sc;
        let state = &sc.chains[COURSE].states[states[0] as usize].id;
        let housing = sc
            .chains
            .get(HOUSING)
            .map_or("", |c| c.states[states[1] as usize].id.as_str());
        let month = cycle * sc.sim.cycle_months;
        let _ = write!(line, "{},0,{citizen},{month},{state},{housing}", self.arm);
        for v in attrs {
            let _ = write!(line, ",{v}");
        }
        line.push('\n');
        if let Err(e) = file.write_all(line.as_bytes()) {
            *error = Some(e);
        }
    }
}

/// Simulate replication 0 again and write `trace.csv` at `path` for its first `n` citizens:
/// columns `arm,replication,citizen,month,state,housing,attr_<id>…` (attributes as they are
/// at the end of the month). The run is the same as replication 0 of the results — same
/// parameters, citizens and random numbers.
pub fn write_trace(sc: &Scenario, opts: &RunOptions, n: u32, path: &Path) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, "cannot write", e))?;
    let mut header = String::from("arm,replication,citizen,month,state,housing");
    for a in &sc.attributes {
        let _ = write!(header, ",attr_{}", a.id);
    }
    header.push('\n');
    let sink = RefCell::new(Sink {
        file: std::io::BufWriter::new(file),
        line: header,
        error: None,
    });
    {
        let mut s = sink.borrow_mut();
        let Sink { file, line, error } = &mut *s;
        if let Err(e) = file.write_all(line.as_bytes()) {
            *error = Some(e);
        }
    }
    montecarlo::run_observed(sc, opts, 0, |a| Tracer {
        arm: &sc.arms[a].id,
        first: n as usize,
        sc,
        out: &sink,
    })?;
    let mut s = sink.into_inner();
    if let Some(e) = s.error.take() {
        return Err(Error::io(path, "cannot write", e));
    }
    s.file
        .flush()
        .map_err(|e| Error::io(path, "cannot write", e))
}
