//! `ressim serve`: the local what-if page.

use crate::cli::ServeArgs;
use crate::error::Result;

/// Serve the what-if page with the command line's options until stopped.
pub(super) fn serve(a: ServeArgs) -> Result<()> {
    crate::serve::serve(crate::serve::ServeOptions {
        folder: a.dir,
        host: a.host,
        port: a.port,
        quick: a.quick,
        max_replications: a.max_replications,
        threads: a.threads.map(usize::from).unwrap_or(0),
        token: None,
    })
}
