//! Errors and the exit codes they map to.
//!
//! Every problem with a scenario is a [`ScenarioError`]: it names the file and, where the
//! problem sits at a place in the file, the line and column, shows that line, and says what is
//! wrong and what is allowed.

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for a failure while running (I/O, an output folder that may not be overwritten, …).
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code for a command-line usage error (unknown flag, bad flag value).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a scenario that cannot be read or is not valid (sysexits `EX_DATAERR`).
pub const EXIT_BAD_SCENARIO: u8 = 65;

/// A place in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// The text of that line, for the message.
    pub line_text: String,
}

impl Location {
    /// The location of byte offset `offset` in `text`.
    pub fn from_offset(text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = &text[..floor_char_boundary(text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        let line_end = text[line_start..]
            .find('\n')
            .map(|i| line_start + i)
            .unwrap_or(text.len());
        Location {
            line,
            column,
            line_text: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
        }
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A scenario that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    /// The file the problem is in (or the top scenario file when it cannot be pinned down).
    pub file: PathBuf,
    /// Where in the file, when known.
    pub location: Option<Location>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl ScenarioError {
    /// An error about a file as a whole.
    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        ScenarioError {
            file: file.to_path_buf(),
            location: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => {
                writeln!(
                    f,
                    "{}: line {}, column {}: {}",
                    self.file.display(),
                    loc.line,
                    loc.column,
                    self.message
                )?;
                let gutter = loc.line.to_string().len();
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{} | {}", loc.line, loc.line_text)?;
                write!(f, "{:gutter$} | {:>col$}", "", "^", col = loc.column.max(1))
            }
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Any failure of a ressim command.
#[derive(Debug)]
pub enum Error {
    /// The scenario is missing, unreadable or invalid (exit code 65).
    Scenario(Vec<ScenarioError>),
    /// The command line asks for something impossible (exit code 2).
    Usage(String),
    /// Something failed while running or writing results (exit code 1).
    Runtime(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Scenario(_) => EXIT_BAD_SCENARIO,
            Error::Usage(_) => EXIT_USAGE,
            Error::Runtime(_) => EXIT_RUNTIME,
        }
    }

    /// A runtime error from an I/O failure on `path`.
    pub fn io(path: &Path, what: &str, err: std::io::Error) -> Error {
        Error::Runtime(format!("{what} {}: {err}", path.display()))
    }
}

impl From<ScenarioError> for Error {
    fn from(e: ScenarioError) -> Self {
        Error::Scenario(vec![e])
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Scenario(errs) => {
                for (i, e) in errs.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {e}")?;
                }
                if errs.len() > 1 {
                    write!(f, "\n{} problems in the scenario", errs.len())?;
                }
                Ok(())
            }
            Error::Usage(m) => write!(f, "error: {m}"),
            Error::Runtime(m) => write!(f, "error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Result type of the library.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_columns() {
        let t = "a = 1\nbb = 2\n  c = 3";
        let l = Location::from_offset(t, t.find('c').unwrap());
        assert_eq!((l.line, l.column), (3, 3));
        assert_eq!(l.line_text, "  c = 3");
        let l = Location::from_offset(t, 0);
        assert_eq!((l.line, l.column), (1, 1));
    }

    #[test]
    fn message_shows_file_line_and_caret() {
        let e = ScenarioError {
            file: PathBuf::from("x.toml"),
            location: Some(Location::from_offset("p = 1.5\n", 4)),
            message: "bad".into(),
        };
        let s = e.to_string();
        assert!(s.starts_with("x.toml: line 1, column 5: bad"), "{s}");
        assert!(s.contains("1 | p = 1.5"), "{s}");
    }
}
