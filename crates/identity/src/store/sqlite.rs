//! SQLite statements of identity.

use chrono::{DateTime, Utc};
use kernel::to_micros;
use sqlx::{FromRow, SqliteConnection, SqlitePool};
use uuid::Uuid;

/// A stored account.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct UserRow {
    pub(crate) user_id: Uuid,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) role: String,
    pub(crate) created_at: i64,
}

/// Inserts an account; returns false when the e-mail is taken.
pub(crate) async fn insert_user(
    conn: &mut SqliteConnection,
    u: &UserRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into identity_users (user_id, email, password_hash, role, created_at) values (?1, ?2, ?3, ?4, ?5)
         on conflict (email) do nothing",
    )
    .bind(u.user_id)
    .bind(&u.email)
    .bind(&u.password_hash)
    .bind(&u.role)
    .bind(u.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(crate) async fn user_by_email(
    pool: &SqlitePool,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("select user_id, email, password_hash, role, created_at from identity_users where email = ?1")
        .bind(email)
        .fetch_optional(pool)
        .await
}

pub(crate) async fn user_by_id(
    pool: &SqlitePool,
    id: Uuid,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as("select user_id, email, password_hash, role, created_at from identity_users where user_id = ?1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Records the hash of an issued guest token.
pub(crate) async fn insert_guest_token(
    conn: &mut SqliteConnection,
    hash: &[u8],
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into identity_guest_tokens (token_hash, created_at, expires_at) values (?1, ?2, ?3)")
        .bind(hash)
        .bind(to_micros(now))
        .bind(to_micros(expires))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether an unexpired guest token with this hash was issued.
pub(crate) async fn guest_token_exists(
    pool: &SqlitePool,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "select 1 from identity_guest_tokens where token_hash = ?1 and expires_at > ?2",
    )
    .bind(hash)
    .bind(to_micros(now))
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}
