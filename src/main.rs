//! The `ressim` binary: parse the command line, run the command, map errors to exit codes.

use clap::Parser;
use ressim::cli::Cli;
use ressim::error::Error;
use std::process::ExitCode;

fn main() -> ExitCode {
    tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2);
            // a closed pipe while printing help is ignored, and a usage error that repeats a
            // huge argument is cut to a few KB.
            if e.use_stderr() {
                let text = e.render().to_string();
                ressim::err!(
                    "{}",
                    ressim::error::bounded(&text, 4 * ressim::error::MESSAGE_CHARS)
                );
                if !text.ends_with('\n') {
                    ressim::errln!();
                }
            } else {
                let _ = e.print();
            }
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    match ressim::commands::dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of standard output has gone (`ressim check | head -1`): stop quietly.
        Err(Error::ClosedOutput) => ExitCode::SUCCESS,
        Err(e) => {
            ressim::errln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Keep freed memory in the process instead of handing it back to the kernel at once. A
/// replication allocates its count arrays (≈ 1 MB per arm run of the shipped scenario) and
/// frees them when booked; with glibc's defaults the larger ones are mapped afresh each time
/// and the top of a thread's heap is trimmed, so every arm run paid ≈ 115 page faults in the
/// kernel (≈ 10 % of a run's CPU time: 1.0 s of system time for 1,000 shipped replications,
/// 0.06–0.09 s with these settings). Blocks up to 32 MiB now come from the heap, and up to
/// 256 MiB of free heap is kept for the next replication (peak memory of those 1,000
/// replications 51 MB instead of 46–49 MB). Results do not depend on it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread
    // exists, and a refused setting (return 0) leaves glibc's default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Other platforms keep their allocator's defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}
