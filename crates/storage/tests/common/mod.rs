//! What the storage's test files share.

use storage::Database;

/// A migrated storage on the backend the tests run on (`TEST_DATABASE`), with what keeps it
/// alive: its SQLite directory or its scratch PostgreSQL database, both gone when dropped.
pub(crate) struct TestOutbox {
    pub(crate) db: Database,
    _dir: tempfile::TempDir,
    _scratch: Option<testkit::ScratchDatabase>,
}

/// Opens and migrates a fresh [`TestOutbox`].
pub(crate) async fn open() -> anyhow::Result<TestOutbox> {
    let dir = tempfile::tempdir()?;
    let scratch = testkit::scratch_postgres().await?;
    let db = match &scratch {
        Some(pg) => Database::open_postgres(pg.url(), 2).await?,
        None => Database::open_in_dir(dir.path()).await?,
    };
    db.migrate().await?;
    Ok(TestOutbox {
        db,
        _dir: dir,
        _scratch: scratch,
    })
}
