//! The one error type of the storage seam: services and their error types convert it without
//! knowing which driver produced it.

use crate::sqlx;

/// A failure of the database, on either engine (the driver's own error is its source).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(Repr);

#[derive(Debug, thiserror::Error)]
enum Repr {
    #[error(transparent)]
    Postgres(#[from] sqlx::Error),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Other(String),
}

/// SQLite's extended result codes of a unique index's and a primary key's refusal.
const SQLITE_CONSTRAINT_UNIQUE: std::ffi::c_int = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY: std::ffi::c_int = 1555;

impl Error {
    /// Whether a unique index refused the write (e.g. a duplicate seat).
    pub fn is_unique_violation(&self) -> bool {
        match &self.0 {
            Repr::Postgres(e) => e
                .as_database_error()
                .is_some_and(sqlx::error::DatabaseError::is_unique_violation),
            Repr::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.extended_code,
                SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY
            ),
            _ => false,
        }
    }

    /// A failure that is not the driver's: an operation this engine does not offer, or a
    /// state the storage layer found broken.
    pub(crate) fn unsupported(what: &str) -> Self {
        Self(Repr::Other(what.to_string()))
    }

    /// A column's stored text that does not decode into what the store expects (a JSON
    /// column edited by hand, say).
    pub fn decode(e: impl std::fmt::Display) -> Self {
        Self(Repr::Other(format!("a stored value does not decode: {e}")))
    }

    /// A query that had to return a row returned none.
    pub(crate) fn no_row() -> Self {
        Self(Repr::Other("the query returned no row".into()))
    }

    /// A driver failure known only by its message (a batch's failed commit, told to each
    /// member).
    pub(crate) fn driver(message: String) -> Self {
        Self(Repr::Other(message))
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self(e.into())
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Self(e.into())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self(e.into())
    }
}

impl From<crate::RowError> for Error {
    fn from(e: crate::RowError) -> Self {
        match e {
            crate::RowError::Postgres(e) => e.into(),
            crate::RowError::Sqlite(e) => e.into(),
        }
    }
}

/// Creates the PostgreSQL database `name` through the server at `admin_url` (a bench's or a
/// test's scratch database). `name` must be a plain identifier the caller made.
///
/// # Errors
/// When the server cannot be reached or refuses.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<(), Error> {
    admin(admin_url, &format!("create database {name}")).await
}

/// Drops the PostgreSQL database `name` (and ends its sessions), if it exists.
///
/// # Errors
/// When the server cannot be reached or refuses.
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), Error> {
    admin(
        admin_url,
        &format!("drop database if exists {name} with (force)"),
    )
    .await
}

async fn admin(admin_url: &str, sql: &str) -> Result<(), Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}
