//! SQLite, on one driver (rusqlite): statements run in place on the caller's thread, the
//! connection settings, and the reader connections.
//!
//! A driver that runs each SQLite statement on a thread of its own (sqlx's) costs a hand-off
//! to that thread and back per statement; on the busy paths of a sale those hand-offs were most
//! of the writer's time and of the server's system time (docs/performance.md). Here a
//! statement is a plain call into SQLite: writes on the group-commit writer (`writer.rs`),
//! reads on a reader connection of this module.
//!
//! The SQL is the stores' own text (`$n` placeholders, bound by name), so the SQLite code of an
//! operation and its PostgreSQL code cannot drift apart in what they write.

use rusqlite::types::ToSql;

/// Placeholder names of the stores' SQL, by position.
const NAMES: [&str; 24] = [
    "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
    "$16", "$17", "$18", "$19", "$20", "$21", "$22", "$23", "$24",
];

/// A statement of the stores' SQL with `params` bound to `$1`, `$2`, … (each may occur several
/// times or not at all), prepared once per transaction.
///
/// # Errors
/// When the SQL does not prepare or a value does not bind.
pub(crate) fn prepare<'c, P: ToSql>(
    c: &'c rusqlite::Connection,
    sql: &str,
    params: &[P],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    if params.len() > NAMES.len() {
        return Err(rusqlite::Error::InvalidParameterCount(
            params.len(),
            NAMES.len(),
        ));
    }
    let mut stmt = c.prepare_cached(sql)?;
    for (name, value) in NAMES.iter().zip(params) {
        if let Some(index) = stmt.parameter_index(name)? {
            stmt.raw_bind_parameter(index, value)?;
        }
    }
    Ok(stmt)
}

/// Runs a statement that returns no rows; the number of rows it changed.
///
/// # Errors
/// When the statement fails.
pub(crate) fn execute<P: ToSql>(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[P],
) -> rusqlite::Result<usize> {
    prepare(c, sql, params)?.raw_execute()
}

/// Runs a query and maps each row.
///
/// # Errors
/// When the statement fails or a row does not map.
pub(crate) fn query<T, P: ToSql>(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[P],
    mut map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = prepare(c, sql, params)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(map(row)?);
    }
    Ok(out)
}

/// Runs a query for at most one row and maps it.
///
/// # Errors
/// When the statement fails or the row does not map.
pub(crate) fn query_optional<T, P: ToSql>(
    c: &rusqlite::Connection,
    sql: &str,
    params: &[P],
    map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut stmt = prepare(c, sql, params)?;
    let mut rows = stmt.raw_query();
    rows.next()?.map(map).transpose()
}

/// A 16-byte UUID column, as sqlx stores a `Uuid` on SQLite.
///
/// # Errors
/// When the column is not a 16-byte blob.
pub(crate) fn uuid_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<uuid::Uuid> {
    // Borrowed from the row, not copied into a `Vec` (one allocation per id read).
    let bytes = row.get_ref(index)?.as_blob()?;
    uuid::Uuid::from_slice(bytes).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Blob, Box::new(e))
    })
}

/// Opens the writer connection on the database file (creating it), in WAL mode.
pub(crate) fn open_writer(file: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open(file)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL lets readers run beside the one writer. NORMAL in WAL mode survives a process crash
    // (kill -9): committed pages are in the WAL file; only an OS crash or power loss could lose
    // the last transactions. Checkpoints run on a thread of their own (checkpoint.rs), not in a
    // writer's commit. 8 MiB of page cache for the writer: writing a 100,000-seat venue filled
    // 32 MiB, which the process kept (docs/performance.md, memory). Every member of a group
    // commit runs in a savepoint, whose journal SQLite keeps in a temporary file by default: in
    // memory it costs a few pages and spares the kernel's write path (docs/performance.md).
    c.execute_batch(
        "pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on;
         pragma cache_size = -8192; pragma wal_autocheckpoint = 0; pragma temp_store = memory;",
    )?;
    Ok(c)
}

/// Reader connections, opened when needed and kept for reuse.
#[derive(Debug)]
pub struct Readers {
    file: std::path::PathBuf,
    idle: std::sync::Mutex<Vec<rusqlite::Connection>>,
}

/// Idle readers kept; more may be open at once under load (one per request reading at most).
const IDLE_READERS: usize = 4;

impl Readers {
    pub(crate) fn new(file: std::path::PathBuf) -> Self {
        Self {
            file,
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<rusqlite::Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A reader connection, given back when the [`Reader`] is dropped.
    pub(crate) fn take(self: &std::sync::Arc<Self>) -> Result<Reader, crate::Error> {
        let taken = self.idle().pop();
        let conn = match taken {
            Some(c) => c,
            None => {
                let c = rusqlite::Connection::open_with_flags(
                    &self.file,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(10))?;
                // 32 MiB: the seat maps of large venues are read here.
                c.execute_batch("pragma cache_size = -32768;")?;
                c
            }
        };
        Ok(Reader {
            readers: self.clone(),
            conn: Some(conn),
        })
    }
}

/// A reader connection taken from [`Readers`].
#[derive(Debug)]
pub struct Reader {
    readers: std::sync::Arc<Readers>,
    conn: Option<rusqlite::Connection>,
}

impl Reader {
    pub(crate) fn connection(&mut self) -> &mut rusqlite::Connection {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut idle = self.readers.idle();
        if idle.len() < IDLE_READERS {
            idle.push(conn);
        }
    }
}
