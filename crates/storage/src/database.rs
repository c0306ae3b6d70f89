//! The database handle, on either backend: embedded SQLite (the default) or PostgreSQL.
//!
//! SQLite allows one writer at a time. Funnelling every write transaction through a single
//! connection turns lock contention (`SQLITE_BUSY`, retries, deadlocking upgrades) into a plain
//! FIFO queue, while WAL mode lets any number of readers run beside it.
//!
//! PostgreSQL keeps the same contract: every write transaction begins by taking one
//! transaction-scoped advisory lock, so write transactions run one after another across every
//! process and replica sharing the database, exactly as on SQLite. The stores' check-then-write
//! sequences therefore mean the same thing on both backends.
//!
//! The one exception is [`Database::begin_beside`], for the few transactions of a purchase
//! (a hold, a cart line, a payment's outcome) that were reviewed to be safe *beside each
//! other*: they take that lock in shared mode, so they run side by side on PostgreSQL, but never
//! beside any other write transaction, which takes it exclusively; and each takes an exclusive
//! lock on the [`LockKey`] of what it decides on (a buyer's holds, a buyer's cart). On SQLite it
//! is [`Database::begin`].
//!
//! Stores take a [`Conn`] and write their SQL once with `$n` placeholders (both backends accept
//! them); a [`Statement`](crate::Statement) runs on whichever connection it holds.

use crate::sqlx;
use sqlx::SqlSafeStr as _;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::checkpoint::Checkpointer;
use crate::sqlite::{Reader, Readers};
use crate::writer::{SqliteTx, Writer};

/// The schemas of the PostgreSQL database, one per context; unqualified table names resolve
/// through this search path (`public` first, so that the migration table stays where it is).
const PG_SEARCH_PATH: &str = "public,outbox,api,catalog,inventory,ordering,payment,fulfillment,notification,identity,waitlist";

/// The advisory lock every PostgreSQL write transaction takes first (an arbitrary constant).
const PG_WRITER_LOCK: i64 = 0x626f_786f_6666;

/// Begins a PostgreSQL write transaction and takes [`PG_WRITER_LOCK`].
static PG_BEGIN_LOCKED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("begin; select pg_advisory_xact_lock({PG_WRITER_LOCK})"));

/// Connections of a process for PostgreSQL write transactions: most queue for one lock, but
/// [`Database::begin_beside`] transactions run side by side, one per buyer in flight.
const PG_WRITER_CONNECTIONS: u32 = 16;

/// What a [`Database::begin_beside`] transaction decides on, locked exclusively for its length.
///
/// A stable 64-bit hash (FNV-1a) of a kind and an id, the same in every process and build
/// sharing the database; two ids that collide only wait for each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockKey(i64);

impl LockKey {
    /// The key of `id` among things of `kind` (e.g. `"holds-of-customer"`).
    pub fn new(kind: &str, id: &str) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in kind.bytes().chain([0]).chain(id.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Self(hash.cast_signed())
    }

    /// The number locked (`pg_advisory_xact_lock(id)`; `pg_locks` shows it as two halves).
    pub fn id(self) -> i64 {
        self.0
    }
}

/// A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out.
///
/// sqlx pings on *every* acquire by default: one more round trip, and a wake-up of a server
/// process, for each read and each transaction. In a sale connections are never idle that
/// long, so they skip the ping; one that sat through a quiet spell (when a restarted server or
/// a cut network would have broken it) is still checked, and replaced when the ping fails.
const PG_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The longest start-up waits for PostgreSQL's first answer.
const PG_FIRST_CONNECTION: Duration = Duration::from_secs(10);

/// Pool options for PostgreSQL: ping only after [`PG_PING_AFTER_IDLE`].
fn pg_pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PG_PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// Which database engine a [`Database`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite in the data directory.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Failure to open the database.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the database at {location}")]
pub struct DatabaseError {
    location: String,
    #[source]
    source: crate::Error,
}

/// Connection pools to the database.
#[derive(Debug, Clone)]
pub enum Database {
    /// One writer connection and reader connections on a SQLite file.
    Sqlite {
        /// The single writer connection, with group commit (writer.rs).
        writer: Arc<Writer>,
        /// Readers (WAL mode: they never wait for the writer).
        readers: Arc<Readers>,
        /// Copies the WAL back into the database file (checkpoint.rs).
        checkpointer: Checkpointer,
    },
    /// Writers (serialised on an advisory lock) and readers, in pools of their own.
    Postgres {
        /// Connections for write transactions.
        writer: PgPool,
        /// Connections for reads.
        reader: PgPool,
    },
}

impl Database {
    /// Opens (creating if needed) the database file `<dir>/boxoffice.db`.
    ///
    /// # Errors
    /// When the file cannot be created or opened.
    pub async fn open_in_dir(dir: &Path) -> Result<Self, DatabaseError> {
        let file = dir.join("boxoffice.db");
        let location = file.display().to_string();
        let wrap = |source: crate::Error| DatabaseError {
            location: location.clone(),
            source,
        };
        let writer = crate::sqlite::open_writer(&file).map_err(|e| wrap(e.into()))?;
        let checkpointer = Checkpointer::start(file.clone()).map_err(|e| wrap(e.into()))?;
        Ok(Self::Sqlite {
            writer: Arc::new(Writer::new(writer)),
            readers: Arc::new(Readers::new(file.clone())),
            checkpointer,
        })
    }

    /// Connects to the PostgreSQL database at `url` (`postgres://…`).
    ///
    /// # Errors
    /// When the URL is malformed or the server cannot be reached.
    pub async fn open_postgres(url: &str, max_connections: u32) -> Result<Self, DatabaseError> {
        // The location shown in errors leaves out the password.
        let options = PgConnectOptions::from_str(url).map_err(|source| DatabaseError {
            location: "the PostgreSQL URL".into(),
            source: source.into(),
        })?;
        let location = format!(
            "postgres://{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        let options = options.options([("search_path", PG_SEARCH_PATH)]);
        let wrap = |source: sqlx::Error| DatabaseError {
            location: location.clone(),
            source: source.into(),
        };
        // One connection first, with a short wait: a pool retries until its acquire timeout
        // and then reports only that it timed out, not why (refused, unknown host, password).
        match tokio::time::timeout(
            PG_FIRST_CONNECTION,
            <sqlx::PgConnection as sqlx::Connection>::connect_with(&options),
        )
        .await
        {
            Ok(Ok(conn)) => sqlx::Connection::close(conn).await.map_err(wrap)?,
            Ok(Err(source)) => return Err(wrap(source)),
            Err(_) => {
                return Err(wrap(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} s", PG_FIRST_CONNECTION.as_secs()),
                ))));
            }
        }
        // Readers have a pool of their own: a write transaction reads through ports while it
        // holds the writer lock, and must never wait for a connection that a writer queued
        // behind it is holding. Writers run one at a time, so a few connections suffice.
        let writer = pg_pool_options(PG_WRITER_CONNECTIONS)
            .connect_with(options.clone())
            .await
            .map_err(wrap)?;
        let reader = pg_pool_options(max_connections)
            .connect_with(options)
            .await
            .map_err(wrap)?;
        Ok(Self::Postgres { writer, reader })
    }

    /// The engine behind this handle.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite { .. } => Backend::Sqlite,
            Self::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Starts a write transaction; writers queue for the single writer (SQLite) or the writer
    /// lock (PostgreSQL).
    ///
    /// # Errors
    /// When the connection cannot be acquired or `BEGIN` fails.
    ///
    /// The wait is recorded as `db_write_wait_seconds`: the queue in front of the one writer is
    /// where a busy sale spends its time (docs/performance.md).
    pub async fn begin(&self) -> Result<Tx, crate::Error> {
        let started = std::time::Instant::now();
        let tx = match self {
            Self::Sqlite { writer, .. } => Tx::Sqlite(writer.begin().await?),
            // `BEGIN` and the lock in one round trip (a simple query of two statements).
            Self::Postgres { writer, .. } => {
                Tx::Postgres(writer.begin_with(PG_BEGIN_LOCKED.as_str()).await?)
            }
        };
        record_begun(started);
        Ok(tx)
    }

    /// Starts a write transaction that may run beside other `begin_beside` transactions (on
    /// PostgreSQL; on SQLite it is [`Database::begin`]), each holding the lock of `key`
    /// (module docs). Only for transactions whose check-then-write is safe beside every other
    /// one: on its own rows, decided by a unique index, or under `key`.
    ///
    /// # Errors
    /// When the connection cannot be acquired or `BEGIN` fails.
    pub async fn begin_beside(&self, key: LockKey) -> Result<Tx, crate::Error> {
        let Self::Postgres { writer, .. } = self else {
            return self.begin().await;
        };
        let started = std::time::Instant::now();
        // `BEGIN` and both locks in one round trip; the key is a number, not text from outside.
        let begin = format!(
            "begin; select pg_advisory_xact_lock_shared({PG_WRITER_LOCK}), pg_advisory_xact_lock({})",
            key.id()
        );
        let tx = Tx::Postgres(writer.begin_with(sqlx::AssertSqlSafe(begin)).await?);
        record_begun(started);
        Ok(tx)
    }

    /// Starts a write transaction that takes no writer lock on PostgreSQL: only for writes
    /// that are safe beside any other transaction, each decided by a unique index or a guarded
    /// update (a claim, a delivery mark). On SQLite it is [`Database::begin`]: every SQLite
    /// write is a member of the writer's batch.
    ///
    /// # Errors
    /// When the connection cannot be acquired or `BEGIN` fails.
    pub async fn begin_unlocked(&self) -> Result<Tx, crate::Error> {
        match self {
            Self::Sqlite { .. } => self.begin().await,
            Self::Postgres { reader, .. } => Ok(Tx::Postgres(reader.begin().await?)),
        }
    }

    /// A connection for reads; it sees every committed write.
    ///
    /// # Errors
    /// When no connection can be acquired.
    pub async fn read(&self) -> Result<Pooled, crate::Error> {
        match self {
            Self::Sqlite { readers, .. } => Ok(Pooled::Sqlite(readers.take()?)),
            Self::Postgres { reader, .. } => Ok(Pooled::Postgres(reader.acquire().await?)),
        }
    }

    /// A connection for a single statement that writes outside a transaction: a PostgreSQL
    /// reader (no writer lock needed); `None` on SQLite, where every write is a member of the
    /// writer's batch ([`Statement::execute_alone`](crate::Statement::execute_alone)).
    pub(crate) async fn write_alone(&self) -> Result<Option<Pooled>, crate::Error> {
        match self {
            Self::Sqlite { .. } => Ok(None),
            Self::Postgres { reader, .. } => Ok(Some(Pooled::Postgres(reader.acquire().await?))),
        }
    }

    /// Tries to become the one process doing `job` (a lock key) among all sharing this
    /// database; the role lasts as long as the returned value. Always granted on SQLite (one
    /// process per file); on PostgreSQL a session advisory lock on a connection of its own,
    /// released when the holder stops or crashes.
    ///
    /// # Errors
    /// When no connection can be acquired.
    pub async fn try_lead(&self, job: i64) -> Result<Option<Leadership>, crate::Error> {
        match self {
            Self::Sqlite { .. } => Ok(Some(Leadership::Sole)),
            Self::Postgres { reader, .. } => {
                let mut conn = reader.acquire().await?;
                let granted: bool = sqlx::query_scalar("select pg_try_advisory_lock($1)")
                    .bind(job)
                    .fetch_one(&mut *conn)
                    .await?;
                // Detached: a pooled connection would keep the lock when given back.
                Ok(granted.then(|| Leadership::Postgres(conn.detach())))
            }
        }
    }

    /// Wakes every process listening on `channel` ([`Database::listen`]): a PostgreSQL
    /// `NOTIFY`, sent outside any transaction. Nothing on SQLite, whose one process wakes its
    /// own tasks in memory.
    ///
    /// # Errors
    /// When no connection can be acquired or the server refuses.
    pub async fn notify(&self, channel: &str) -> Result<(), crate::Error> {
        if let Self::Postgres { reader, .. } = self {
            sqlx::query("select pg_notify($1, '')")
                .bind(channel)
                .execute(reader)
                .await?;
        }
        Ok(())
    }

    /// Listens on `channel` for [`Database::notify`], on a connection of its own; `None` on
    /// SQLite (one process: nothing to listen for).
    ///
    /// # Errors
    /// When the connection cannot be opened or `LISTEN` fails.
    pub async fn listen(&self, channel: &str) -> Result<Option<Listener>, crate::Error> {
        match self {
            Self::Sqlite { .. } => Ok(None),
            Self::Postgres { reader, .. } => {
                let mut listener = sqlx::postgres::PgListener::connect_with(reader).await?;
                listener.listen(channel).await?;
                Ok(Some(Listener(listener)))
            }
        }
    }

    /// Applies the migrations of this backend that have not run yet.
    ///
    /// # Errors
    /// When a migration fails.
    pub async fn migrate(&self) -> Result<(), crate::Error> {
        match self {
            Self::Sqlite { writer, .. } => {
                let migrator = migrator(crate::migrations::SQLITE);
                writer
                    .alone(|conn| crate::migrate::sqlite(conn, &migrator))
                    .await
            }
            Self::Postgres { writer, .. } => Ok(migrator(crate::migrations::POSTGRES)
                .run(writer)
                .await
                .map_err(sqlx::Error::from)?),
        }
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        match self {
            Self::Sqlite { writer, .. } => writer.close().await,
            Self::Postgres { writer, reader } => {
                writer.close().await;
                reader.close().await;
            }
        }
    }
}

/// The migrations of one engine (`build.rs` embeds their files), checksummed as sqlx does.
fn migrator(files: &[(i64, &'static str, &'static str)]) -> sqlx::migrate::Migrator {
    sqlx::migrate::Migrator::with_migrations(
        files
            .iter()
            .map(|&(version, description, sql)| {
                sqlx::migrate::Migration::new(
                    version,
                    description.into(),
                    sqlx::migrate::MigrationType::Simple,
                    sqlx::AssertSqlSafe(sql).into_sql_str(),
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

/// Notifications of one channel ([`Database::listen`]).
#[derive(Debug)]
pub struct Listener(sqlx::postgres::PgListener);

impl Listener {
    /// Waits for the next notification. A lost connection is opened again at the next call,
    /// and what was sent meanwhile is gone: a listener is a wake-up, never the only way work
    /// is found (its callers poll too).
    ///
    /// # Errors
    /// When the connection is lost and cannot be opened again.
    pub async fn recv(&mut self) -> Result<(), crate::Error> {
        self.0.recv().await?;
        Ok(())
    }
}

/// The role granted by [`Database::try_lead`]; dropping it gives the role up.
#[derive(Debug)]
pub enum Leadership {
    /// The only process on this database.
    Sole,
    /// Holding a PostgreSQL session lock on this connection.
    Postgres(PgConnection),
}

impl Leadership {
    /// Whether the role still holds: a PostgreSQL lock lives only as long as its connection
    /// (a server restart or a network cut ends it, and another process may have taken over).
    pub async fn is_held(&mut self) -> bool {
        match self {
            Self::Sole => true,
            Self::Postgres(conn) => sqlx::Connection::ping(conn).await.is_ok(),
        }
    }
}

/// A write transaction.
#[derive(Debug)]
pub enum Tx {
    /// A member of the SQLite writer's batch (writer.rs).
    Sqlite(SqliteTx),
    /// On a PostgreSQL connection holding the writer lock.
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// The transaction's connection, for a store call.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(tx) => Conn::Sqlite(tx.connection()),
            Self::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    /// Commits the transaction.
    ///
    /// # Errors
    /// When `COMMIT` fails (nothing was written).
    pub async fn commit(self) -> Result<(), crate::Error> {
        match self {
            Self::Sqlite(tx) => tx.commit().await?,
            Self::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Rolls the transaction back now, releasing its locks before the next one is begun
    /// (dropping it rolls back too, but only once its connection is used again).
    ///
    /// # Errors
    /// When `ROLLBACK` fails.
    pub async fn rollback(self) -> Result<(), crate::Error> {
        match self {
            Self::Sqlite(tx) => tx.rollback().await?,
            Self::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// Records how long a write transaction waited for its locks (`db_write_wait_seconds`) and
/// counts it (`db_write_transactions_total`).
pub(crate) fn record_begun(started: std::time::Instant) {
    metrics::histogram!("db_write_wait_seconds").record(started.elapsed().as_secs_f64());
    metrics::counter!("db_write_transactions_total").increment(1);
}

/// A connection borrowed from a pool, outside any transaction.
#[derive(Debug)]
pub enum Pooled {
    /// A SQLite reader connection.
    Sqlite(Reader),
    /// A PostgreSQL connection.
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    /// The connection, for a store call.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(c) => Conn::Sqlite(c.connection()),
            Self::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// A connection on either backend, as stores take it.
#[derive(Debug)]
pub enum Conn<'a> {
    /// SQLite (statements run in place, on the caller's thread).
    Sqlite(&'a mut rusqlite::Connection),
    /// PostgreSQL.
    Postgres(&'a mut PgConnection),
}

impl Conn<'_> {
    /// The same connection for one more statement.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(c) => Conn::Sqlite(c),
            Self::Postgres(c) => Conn::Postgres(c),
        }
    }

    /// The engine behind this connection.
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}
