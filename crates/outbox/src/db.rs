//! The database handle: one writer connection and a pool of readers.
//!
//! SQLite allows one writer at a time. Funnelling every write transaction through a single
//! connection turns lock contention (`SQLITE_BUSY`, retries, deadlocking upgrades) into a plain
//! FIFO queue, while WAL mode lets any number of readers run beside it.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// A write transaction.
pub type Tx = Transaction<'static, Sqlite>;

/// Failure to open the database.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the database at {location}")]
pub struct DatabaseError {
    location: String,
    #[source]
    source: sqlx::Error,
}

/// Connection pools to the embedded database.
#[derive(Debug, Clone)]
pub struct Database {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl Database {
    /// Opens (creating if needed) the database file `<dir>/boxoffice.db`.
    ///
    /// # Errors
    /// When the file cannot be created or opened.
    pub async fn open_in_dir(dir: &Path) -> Result<Self, DatabaseError> {
        let file = dir.join("boxoffice.db");
        let location = file.display().to_string();
        let wrap = |source| DatabaseError {
            location: location.clone(),
            source,
        };
        let base = SqliteConnectOptions::from_str("sqlite:")
            .map_err(wrap)?
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a process crash (kill -9): committed pages are in the
            // WAL file, only an OS crash or power loss could lose the last transactions.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-32768");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone())
            .await
            .map_err(wrap)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base)
            .await
            .map_err(wrap)?;
        Ok(Self { writer, reader })
    }

    /// Starts a write transaction; writers queue for the single writer connection.
    ///
    /// # Errors
    /// When the connection cannot be acquired or `BEGIN` fails.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        self.writer.begin().await
    }

    /// The pool for reads; it sees every committed write.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// The pool holding the writer connection (migrations, maintenance).
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Closes both pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
