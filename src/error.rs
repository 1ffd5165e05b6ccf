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

/// At most this many characters of the scenario line are shown under a located error.
pub const EXCERPT_CHARS: usize = 120;
/// At most this many characters of one message (or file name) are shown.
pub const MESSAGE_CHARS: usize = 600;
/// At most this many problems are listed; the rest are counted.
pub const MAX_LISTED: usize = 10;

/// At most `width` characters of `line` around the 1-based character `column`, with `…`
/// where the line is cut; returns the excerpt and the column of the same character in it.
pub fn excerpt(line: &str, column: usize, width: usize) -> (String, usize) {
    let n = line.chars().count();
    if n <= width {
        return (line.to_string(), column);
    }
    let width = width.max(2);
    let at = column.clamp(1, n) - 1;
    // Centre the column in the window, then keep the window inside the line.
    let start = at.saturating_sub(width / 2).min(n - width);
    let end = start + width;
    let mut s = String::with_capacity(width * 4 + 6);
    if start > 0 {
        s.push('…');
    }
    s.extend(line.chars().skip(start).take(end - start));
    if end < n {
        s.push('…');
    }
    let col = column.clamp(1, n + 1) - start + usize::from(start > 0);
    (s, col)
}

/// The most lines of one message that are shown.
pub const MESSAGE_LINES: usize = 60;

/// A message of several lines (a list), each line cut to [`MESSAGE_CHARS`] and at most
/// [`MESSAGE_LINES`] lines.
pub fn bounded_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines
        .iter()
        .take(MESSAGE_LINES)
        .map(|l| bounded(l, MESSAGE_CHARS).into_owned())
        .collect();
    if lines.len() > MESSAGE_LINES {
        out.push(format!("… and {} more lines", lines.len() - MESSAGE_LINES));
    }
    out.join("\n")
}

/// `text` cut to at most `max` characters, keeping its start and end with `…` between.
pub fn bounded(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let n = text.chars().count();
    if n <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let head = max * 2 / 3;
    let tail = max.saturating_sub(head + 1);
    let mut s: String = text.chars().take(head).collect();
    s.push('…');
    s.extend(text.chars().skip(n - tail));
    std::borrow::Cow::Owned(s)
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
                    bounded(&self.file.display().to_string(), MESSAGE_CHARS),
                    loc.line,
                    loc.column,
                    bounded_lines(&self.message)
                )?;
                let gutter = loc.line.to_string().len();
                let (text, col) = excerpt(&loc.line_text, loc.column, EXCERPT_CHARS);
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{} | {}", loc.line, text)?;
                write!(f, "{:gutter$} | {:>col$}", "", "^", col = col.max(1))
            }
            None => write!(
                f,
                "{}: {}",
                bounded(&self.file.display().to_string(), MESSAGE_CHARS),
                bounded_lines(&self.message)
            ),
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
    /// Standard output was closed by its reader (`ressim check | head -1`): the command
    /// stops quietly with exit code 0, as other Unix tools do.
    ClosedOutput,
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Scenario(_) => EXIT_BAD_SCENARIO,
            Error::Usage(_) => EXIT_USAGE,
            Error::Runtime(_) => EXIT_RUNTIME,
            Error::ClosedOutput => EXIT_OK,
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
                for (i, e) in errs.iter().take(MAX_LISTED).enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "error: {e}")?;
                }
                if errs.len() > MAX_LISTED {
                    write!(
                        f,
                        "\n… and {} more (the first {MAX_LISTED} are shown)",
                        errs.len() - MAX_LISTED
                    )?;
                }
                if errs.len() > 1 {
                    write!(f, "\n{} problems in the scenario", errs.len())?;
                }
                Ok(())
            }
            Error::Usage(m) => write!(f, "error: {}", bounded(m, 4 * MESSAGE_CHARS)),
            Error::Runtime(m) => write!(f, "error: {}", bounded(m, 4 * MESSAGE_CHARS)),
            Error::ClosedOutput => Ok(()),
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
    fn a_huge_line_is_cut_around_the_column_with_ellipses() {
        let line = format!("{}X{}", "a".repeat(5_000_000), "b".repeat(1000));
        let text = format!("ok = 1\n{line}\n");
        let e = ScenarioError {
            file: PathBuf::from("x.toml"),
            location: Some(Location::from_offset(&text, text.find('X').unwrap())),
            message: "bad".into(),
        };
        let s = e.to_string();
        assert!(s.len() < 1000, "{} bytes", s.len());
        let lines: Vec<&str> = s.lines().collect();
        let shown = lines[2].split_once(" | ").unwrap().1;
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.chars().count() <= EXCERPT_CHARS + 2, "{shown}");
        // The caret still points at the X.
        let caret = lines[3].split_once(" | ").unwrap().1;
        let x_col = shown.chars().position(|c| c == 'X').unwrap();
        assert_eq!(caret.chars().count() - 1, x_col, "{shown}\n{caret}");
        // At the start or end of a long line only one side is cut.
        let (s, c) = excerpt(&"z".repeat(500), 1, 120);
        assert!(!s.starts_with('…') && s.ends_with('…') && c == 1);
        let (s, c) = excerpt(&"z".repeat(500), 500, 120);
        assert!(s.starts_with('…') && !s.ends_with('…'));
        assert_eq!(c, 121);
        assert_eq!(excerpt("short", 3, 120), ("short".to_string(), 3));
    }

    #[test]
    fn every_message_is_bounded() {
        let huge = "k".repeat(3_000_000);
        let one = ScenarioError {
            file: PathBuf::from(&huge),
            location: None,
            message: format!("unknown key `{huge}`"),
        };
        let many = Error::Scenario(vec![one; 1000]);
        let s = many.to_string();
        assert!(s.len() < 16_384, "{} bytes", s.len());
        assert!(s.contains("and 990 more"), "{}", &s[s.len() - 200..]);
        assert!(Error::Runtime(huge.clone()).to_string().len() < 8192);
        assert!(Error::Usage(huge).to_string().len() < 8192);
        assert_eq!(Error::ClosedOutput.exit_code(), EXIT_OK);
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
