//! A migrated database on the backend the tests run on (`TEST_DATABASE`), for tests that drive
//! the storage layer (and the outbox's relay) directly rather than through a server.

use storage::Database;

use crate::ScratchDatabase;

/// A migrated database with what keeps it alive: its SQLite directory or its scratch
/// PostgreSQL database, both gone when dropped.
pub struct TestDatabase {
    /// The handle.
    pub db: Database,
    _dir: tempfile::TempDir,
    _scratch: Option<ScratchDatabase>,
}

impl TestDatabase {
    /// Opens and migrates a fresh one.
    ///
    /// # Errors
    /// When the database cannot be created, opened or migrated.
    pub async fn open() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let scratch = crate::scratch_postgres().await?;
        let db = match &scratch {
            Some(pg) => Database::open_postgres(pg.url(), 2).await?,
            None => Database::open_in_dir(dir.path()).await?,
        };
        db.migrate().await?;
        Ok(Self {
            db,
            _dir: dir,
            _scratch: scratch,
        })
    }
}
