//! The statements of identity, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::to_micros;
use storage::{Conn, Statement};
use uuid::Uuid;

storage::row! {
    /// A stored account.
    #[derive(Debug, Clone)]
    pub(crate) struct UserRow {
        pub(crate) user_id: Uuid,
        pub(crate) email: String,
        pub(crate) password_hash: String,
        pub(crate) role: String,
        pub(crate) created_at: i64,
    }
}

/// Inserts an account; returns false when the e-mail is taken.
pub(crate) async fn insert_user(mut conn: Conn<'_>, u: &UserRow) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "insert into identity_users (user_id, email, password_hash, role, created_at) values ($1, $2, $3, $4, $5)
         on conflict (email) do nothing",
    )
    .bind(u.user_id)
    .bind(&u.email)
    .bind(&u.password_hash)
    .bind(&u.role)
    .bind(u.created_at)
    .execute(conn.reborrow())
        .await?;
    Ok(done == 1)
}

pub(crate) async fn user_by_email(
    mut conn: Conn<'_>,
    email: &str,
) -> Result<Option<UserRow>, storage::Error> {
    Statement::new("select user_id, email, password_hash, role, created_at from identity_users where email = $1")
        .bind(email)
        .fetch_optional(conn.reborrow())
        .await
}

pub(crate) async fn user_by_id(
    mut conn: Conn<'_>,
    id: Uuid,
) -> Result<Option<UserRow>, storage::Error> {
    Statement::new("select user_id, email, password_hash, role, created_at from identity_users where user_id = $1")
        .bind(id)
        .fetch_optional(conn.reborrow())
        .await
}

/// The accounts with `role`, oldest first.
pub(crate) async fn users_with_role(
    conn: Conn<'_>,
    role: &str,
) -> Result<Vec<UserRow>, storage::Error> {
    Statement::new(
        "select user_id, email, password_hash, role, created_at from identity_users
         where role = $1 order by created_at, email",
    )
    .bind(role)
    .fetch_all(conn)
    .await
}

/// Deletes the account `id` if it has `role`; returns whether it did.
pub(crate) async fn delete_user_with_role(
    conn: Conn<'_>,
    id: Uuid,
    role: &str,
) -> Result<bool, storage::Error> {
    let done = Statement::new("delete from identity_users where user_id = $1 and role = $2")
        .bind(id)
        .bind(role)
        .execute(conn)
        .await?;
    Ok(done == 1)
}

/// Records the hash of an issued guest token.
pub(crate) async fn insert_guest_token(
    mut conn: Conn<'_>,
    hash: &[u8],
    now: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), storage::Error> {
    Statement::new("insert into identity_guest_tokens (token_hash, created_at, expires_at) values ($1, $2, $3)")
        .bind(hash)
        .bind(to_micros(now))
        .bind(to_micros(expires))
        .execute(conn.reborrow())
        .await?;
    Ok(())
}

/// Whether an unexpired guest token with this hash was issued.
pub(crate) async fn guest_token_exists(
    mut conn: Conn<'_>,
    hash: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let found: Option<(i32,)> = Statement::new(
        "select 1 from identity_guest_tokens where token_hash = $1 and expires_at > $2",
    )
    .bind(hash)
    .bind(to_micros(now))
    .fetch_optional(conn.reborrow())
    .await?;
    Ok(found.is_some())
}
