//! Moving SQLite's WAL checkpoints off the commit path.
//!
//! By default the connection whose commit pushes the WAL past 1,000 pages copies the WAL back
//! into the database file (and syncs both) before its commit returns: a write transaction now
//! and then takes milliseconds, while it holds the one writer. In a sale that came to about a
//! third of the commit time (docs/performance.md). Here the writers never checkpoint; a thread
//! with a connection of its own runs a passive checkpoint a few times a second, which copies
//! what no reader still needs while writers go on appending to the WAL.

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the WAL is copied back; the WAL holds about this much of the write load.
const EVERY: Duration = Duration::from_millis(200);

/// Keeps the checkpoint thread running; it ends once every clone of this is dropped.
#[derive(Debug, Clone)]
pub struct Checkpointer(#[allow(dead_code)] Arc<()>);

impl Checkpointer {
    /// Starts checkpointing the database in `file` (already in WAL mode).
    pub(crate) fn start(file: PathBuf) -> std::io::Result<Self> {
        let alive = Arc::new(());
        let watch = Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || run(&file, &watch))?;
        Ok(Self(alive))
    }
}

fn run(file: &std::path::Path, alive: &Weak<()>) {
    let conn = match rusqlite::Connection::open(file) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the WAL checkpointer cannot open the database");
            return;
        }
    };
    let _ = conn.busy_timeout(Duration::from_secs(1));
    while alive.strong_count() > 0 {
        std::thread::sleep(EVERY);
        // PASSIVE never waits for readers or writers; what it cannot copy now it copies later.
        if let Err(e) = conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
        }
    }
}
