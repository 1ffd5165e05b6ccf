//! Writing to the terminal without panicking.
//!
//! `print!` and `eprint!` panic when their stream is closed (`ressim check FILE | head -1`).
//! Everything ressim prints goes through these helpers instead: a closed standard output
//! becomes [`Error::ClosedOutput`], which the binary turns into a quiet exit (like other
//! Unix tools), and a closed standard error is ignored (there is nobody left to tell).
//! Output folders are written through a staging folder that is removed unless complete, so
//! returning this error instead of being killed by a signal never leaves a half-written folder.

use crate::error::{Error, Result};
use std::fmt;
use std::io::{self, Write};

/// Write formatted text to standard output; a closed pipe is [`Error::ClosedOutput`].
pub fn out(args: fmt::Arguments) -> Result<()> {
    let mut so = io::stdout().lock();
    so.write_fmt(args)
        .and_then(|_| so.flush())
        .map_err(stdout_error)
}

/// The error for a failed write to standard output.
pub fn stdout_error(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::ClosedOutput
    } else {
        Error::Runtime(format!("cannot write to standard output: {e}"))
    }
}

/// Write formatted text to standard error, ignoring a closed or failing stream.
pub fn err(args: fmt::Arguments) {
    let mut se = io::stderr().lock();
    let _ = se.write_fmt(args);
    let _ = se.flush();
}

/// `print!` that returns [`Error::ClosedOutput`] instead of panicking on a closed pipe.
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => { $crate::console::out(format_args!($($t)*)) };
}

/// `println!` that returns [`Error::ClosedOutput`] instead of panicking on a closed pipe.
#[macro_export]
macro_rules! outln {
    () => { $crate::console::out(format_args!("\n")) };
    ($($t:tt)*) => { $crate::console::out(format_args!("{}\n", format_args!($($t)*))) };
}

/// `eprint!` that never panics.
#[macro_export]
macro_rules! err {
    ($($t:tt)*) => { $crate::console::err(format_args!($($t)*)) };
}

/// `eprintln!` that never panics.
#[macro_export]
macro_rules! errln {
    () => { $crate::console::err(format_args!("\n")) };
    ($($t:tt)*) => { $crate::console::err(format_args!("{}\n", format_args!($($t)*))) };
}
