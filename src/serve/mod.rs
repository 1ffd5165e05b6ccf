//! `ressim serve`: a local what-if page on top of the library.
//!
//! An axum server on a small tokio runtime answers the page and a JSON API (docs/serve.md).
//! Scenarios are read through [`catalog`], changed through [`variant`] (the same merge and
//! validation as `ressim run` on a file that `extends` the base), run by
//! [`crate::montecarlo::run_while`] on its rayon pool inside `spawn_blocking` (never on the
//! async threads), shown through [`view`], and downloaded through the report writers
//! `ressim run` uses. Every request needs the random token printed at start and a Host header
//! naming this server; bodies are size-limited.

pub mod api;
pub mod catalog;
pub mod params;
mod process;
pub mod variant;
pub mod view;

pub use process::ServeProcess;

use crate::error::{Error, Result};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// The port tried first; when it is taken the system picks a free one.
pub const DEFAULT_PORT: u16 = 8017;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The folder whose `.toml` files are offered besides the shipped scenario.
    pub folder: Option<PathBuf>,
    /// Address to bind (127.0.0.1 unless opened on purpose).
    pub host: IpAddr,
    /// Port (None: [`DEFAULT_PORT`], or a free one when it is taken).
    pub port: Option<u16>,
    /// Replications of the quick first result.
    pub quick: u32,
    /// The most replications an interactive run may ask for.
    pub max_replications: u32,
    /// Worker threads of each run (0: one per core).
    pub threads: usize,
    /// A fixed token instead of a random one (tests and benchmarks).
    pub token: Option<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            folder: None,
            host: IpAddr::from([127, 0, 0, 1]),
            port: None,
            quick: api::QUICK_REPLICATIONS,
            max_replications: api::MAX_REPLICATIONS,
            threads: 0,
            token: None,
        }
    }
}

/// A random token: 128 bits from the operating system's generator, hex.
pub fn random_token() -> String {
    let bits: u128 = rand::random();
    format!("{bits:032x}")
}

/// Run the server until the process is stopped.
pub fn serve(opts: ServeOptions) -> Result<()> {
    if let Some(f) = &opts.folder
        && !f.is_dir()
    {
        return Err(Error::Usage(format!(
            "{} is not a folder; give the folder whose scenario files to offer",
            f.display()
        )));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(format!("cannot start the server's runtime: {e}")))?;
    rt.block_on(async move {
        let listener = bind(opts.host, opts.port).await?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::Runtime(format!("cannot read the server's address: {e}")))?;
        let token = opts.token.clone().unwrap_or_else(random_token);
        let app = api::App::new(&opts, addr, token.clone())?;
        let url = format!("http://{}/?token={token}", url_host(addr));
        crate::errln!(
            "ressim serve: offering the shipped scenario{}; stop with Ctrl-C",
            match &opts.folder {
                Some(f) => format!(" and the scenario files in {}", f.display()),
                None => String::new(),
            }
        );
        crate::outln!("{url}")?;
        axum::serve(listener, api::router(app))
            .await
            .map_err(|e| Error::Runtime(format!("the server stopped: {e}")))
    })
}

fn url_host(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}

async fn bind(host: IpAddr, port: Option<u16>) -> Result<tokio::net::TcpListener> {
    let try_bind = |p: u16| tokio::net::TcpListener::bind(SocketAddr::new(host, p));
    match port {
        Some(p) => try_bind(p)
            .await
            .map_err(|e| Error::Runtime(format!("cannot listen on {host}:{p}: {e}"))),
        None => match try_bind(DEFAULT_PORT).await {
            Ok(l) => Ok(l),
            Err(_) => try_bind(0)
                .await
                .map_err(|e| Error::Runtime(format!("cannot listen on {host}: {e}"))),
        },
    }
}
