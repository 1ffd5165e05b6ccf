//! The `ressim` binary: parse the command line, run the command, map errors to exit codes.

use clap::Parser;
use ressim::cli::Cli;
use ressim::error::Error;
use std::process::ExitCode;

fn main() -> ExitCode {
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
