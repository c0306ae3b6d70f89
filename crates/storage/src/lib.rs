//! Storage: what every context's store shares, on either engine — embedded SQLite (the
//! default) or PostgreSQL, chosen once at start-up by the database URL.
//!
//! * [`Database`] (`database.rs`): the pools, write transactions ([`Tx`]) and the connection a
//!   store takes ([`Conn`]); migrations (`migrations/sqlite`, `migrations/postgres`).
//! * The SQLite writer (`writer.rs`): the one connection every SQLite write runs on, with group
//!   commit; its contract is that file's header.
//! * SQLite statements in place (`sqlite.rs`): the helpers the stores' SQLite code uses, and
//!   the reader connections beside the writer. `checkpoint.rs` copies the WAL back off the
//!   commit path.
//! * [`Statement`] (`statement.rs`): a statement written once — SQL, values, how its rows map
//!   ([`row!`]) — run on a [`Conn`] of either engine or in place on a SQLite connection.
//! * The outbox's write side (`outbox.rs`): [`Event`], [`enqueue`] in the caller's
//!   transaction, and the consumers' records of handled messages. The relay that delivers the
//!   messages is the `outbox` crate.
//!
//! The seam, as docs/architecture.md draws it: services and ports speak in domain terms and
//! hand a [`Tx`] or a [`Conn`] to their context's store; only the stores, this crate, the
//! migrations and the test kit name a database driver.

mod checkpoint;
/// The migration files of both engines, embedded by `build.rs`.
mod migrations {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}
/// The parts of sqlx this crate uses: its core and its PostgreSQL driver, named as the `sqlx`
/// crate names them. Not that crate itself: its optional SQLite driver would stay in
/// `Cargo.lock` beside rusqlite, the one SQLite driver.
mod sqlx {
    pub(crate) use sqlx_core::connection::Connection;
    pub(crate) use sqlx_core::query::query;
    pub(crate) use sqlx_core::query_scalar::query_scalar;
    pub(crate) use sqlx_core::row::Row;
    pub(crate) use sqlx_core::sql_str::{AssertSqlSafe, SqlSafeStr};
    pub(crate) use sqlx_core::transaction::Transaction;
    pub(crate) use sqlx_core::{Error, error, migrate, pool};
    pub(crate) use sqlx_postgres::{PgConnection, PgPool, Postgres};
    pub(crate) mod postgres {
        pub(crate) use sqlx_postgres::{PgConnectOptions, PgListener, PgPoolOptions, PgRow};
    }
}
mod database;
mod error;
mod migrate;
mod outbox;
mod sqlite;
mod statement;
mod writer;

pub use database::{
    Backend, Conn, Database, DatabaseError, Leadership, Listener, LockKey, Pooled, Tx,
};
pub use error::{Error, create_postgres_database, drop_postgres_database};
pub use outbox::{Event, enqueue, mark_all_processed, mark_processed, position_at_commit};
pub use statement::{At, Column, FromRow, Kind, Row, RowError, Statement, Typed, Value};
pub use writer::SqliteTx;
