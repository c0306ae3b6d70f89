//! The one error type of the storage seam: services and their error types convert it without
//! knowing which driver produced it.

/// A failure of the database, on either engine (the driver's own error is its source).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(#[from] sqlx::Error);

impl Error {
    /// Whether a unique index refused the write (e.g. a duplicate seat).
    pub fn is_unique_violation(&self) -> bool {
        self.0
            .as_database_error()
            .is_some_and(sqlx::error::DatabaseError::is_unique_violation)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Self(crate::sqlite::driver_error(e))
    }
}

impl From<crate::RowError> for Error {
    fn from(e: crate::RowError) -> Self {
        Self(e.into())
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
