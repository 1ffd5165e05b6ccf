//! `ressim serve` in a child process, for the tests and benchmarks that talk to it over HTTP.

use std::io::{self, BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `ressim serve` started as a child process on a port the system picked; killed when
/// dropped.
pub struct ServeProcess {
    child: Child,
    /// The address it printed: `http://HOST:PORT/?token=TOKEN`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    /// The token every request needs.
    pub token: String,
}

impl ServeProcess {
    /// Start `cmd` — the `ressim` binary with `serve` and any further arguments — with
    /// `--port 0` (the system picks a free port), and wait until it prints its address, which
    /// it does once it listens. Its standard error is dropped.
    pub fn start(mut cmd: Command) -> io::Result<ServeProcess> {
        let mut child = cmd
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let out = child.stdout.take();
        // From here a failure drops (and so stops) the child.
        let mut p = ServeProcess {
            child,
            url: String::new(),
            port: 0,
            token: String::new(),
        };
        let mut line = String::new();
        if let Some(out) = out {
            BufReader::new(out).read_line(&mut line)?;
        }
        p.url = line.trim().to_string();
        let (port, token) = parse_url(&p.url).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("ressim serve printed {:?}, not its address", p.url),
            )
        })?;
        (p.port, p.token) = (port, token.to_string());
        Ok(p)
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port and token of `http://HOST:PORT/?token=TOKEN`.
fn parse_url(url: &str) -> Option<(u16, &str)> {
    let (authority, rest) = url.strip_prefix("http://")?.split_once('/')?;
    let port = authority.rsplit_once(':')?.1.parse().ok()?;
    let token = rest.split_once("token=")?.1;
    Some((port, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_address_gives_port_and_token() {
        assert_eq!(
            parse_url("http://127.0.0.1:8017/?token=ab12"),
            Some((8017, "ab12"))
        );
        assert_eq!(parse_url("http://[::1]:9/?token=x"), Some((9, "x")));
        assert_eq!(parse_url("ressim: error"), None);
        assert_eq!(parse_url("http://127.0.0.1:8017/"), None);
    }
}
