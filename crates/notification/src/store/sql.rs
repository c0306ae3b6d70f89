//! The statements of notification, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::{from_micros, to_micros};
use storage::{Conn, Statement};
use uuid::Uuid;

storage::row! {
    /// A stored message.
    #[derive(Debug, Clone)]
    pub(crate) struct Stored {
        pub(crate) message_id: Uuid,
        pub(crate) kind: String,
        pub(crate) recipient: String,
        pub(crate) subject: String,
        pub(crate) status: String,
        pub(crate) attempts: i64,
        pub(crate) last_error: Option<String>,
        pub(crate) created_at: i64,
        pub(crate) sent_at: Option<i64>,
    }
}

storage::row! {
    /// A stored message with its bytes, due for delivery.
    #[derive(Debug, Clone)]
    pub(crate) struct Due {
        pub(crate) message_id: Uuid,
        pub(crate) recipient: String,
        pub(crate) raw: Vec<u8>,
        pub(crate) attempts: i64,
    }
}

/// A message to store: what notification keeps of one event.
pub(crate) struct NewMessage<'a> {
    /// Sent once per key.
    pub(crate) dedup_key: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) recipient: &'a str,
    pub(crate) subject: &'a str,
    /// The whole message, as sent.
    pub(crate) raw: &'a [u8],
    /// `pending` (to send) or `skipped` (nobody to send it to).
    pub(crate) status: &'a str,
}

/// Stores a message unless one with the same `dedup_key` exists.
const INSERT_MESSAGE: &str = "insert into notification_messages (message_id, dedup_key, kind, recipient, subject, raw, status, attempts,
        next_attempt_at, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) on conflict (dedup_key) do nothing";

/// Stores a message unless one with the same `dedup_key` exists; returns whether it did.
pub(crate) async fn insert(
    conn: Conn<'_>,
    m: &NewMessage<'_>,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    Ok(insert_statement(m, now).execute(conn).await? == 1)
}

fn insert_statement<'a>(m: &NewMessage<'a>, now: DateTime<Utc>) -> Statement<'a> {
    Statement::new(INSERT_MESSAGE)
        .bind(kernel::new_uuid())
        .bind(m.dedup_key)
        .bind(m.kind)
        .bind(m.recipient)
        .bind(m.subject)
        .bind(m.raw)
        .bind(m.status)
        .bind(to_micros(now))
}

/// Pending messages whose next attempt is due.
pub(crate) async fn due(
    mut conn: Conn<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Due>, storage::Error> {
    Statement::new(
        "select message_id, recipient, raw, attempts from notification_messages
         where status = 'pending' and next_attempt_at <= $1 order by created_at limit $2",
    )
    .bind(to_micros(now))
    .bind(limit)
    .fetch_all(conn.reborrow())
    .await
}

/// Leases a due message: `$1` id, `$2` now, `$3` the end of the lease.
const CLAIM_MESSAGE: &str = "update notification_messages set next_attempt_at = $3
     where message_id = $1 and status = 'pending' and next_attempt_at <= $2";

/// Records a delivery: `$1` id, `$2` when.
const MARK_SENT: &str = "update notification_messages set status = 'sent', sent_at = $2, attempts = attempts + 1 where message_id = $1";

/// Takes a due message for one sending attempt until `lease_until` (when a sender that died
/// mid-send would have it retried); false when another sender took it first.
pub(crate) async fn claim(
    conn: Conn<'_>,
    id: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    Ok(claim_statement(id, now, lease_until).execute(conn).await? == 1)
}

fn claim_statement<'a>(id: Uuid, now: DateTime<Utc>, lease_until: DateTime<Utc>) -> Statement<'a> {
    Statement::new(CLAIM_MESSAGE)
        .bind(id)
        .bind(to_micros(now))
        .bind(to_micros(lease_until))
}

fn mark_sent_statement<'a>(id: Uuid, now: DateTime<Utc>) -> Statement<'a> {
    Statement::new(MARK_SENT).bind(id).bind(to_micros(now))
}

pub(crate) async fn mark_sent(
    conn: Conn<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    mark_sent_statement(id, now).execute(conn).await.map(drop)
}

/// Records a failed attempt: retried at `next`, or given up (`failed`) when `next` is `None`.
pub(crate) async fn mark_failed_attempt(
    mut conn: Conn<'_>,
    id: Uuid,
    error: &str,
    next: Option<DateTime<Utc>>,
) -> Result<(), storage::Error> {
    Statement::new(
        "update notification_messages set attempts = attempts + 1, last_error = $2,
            status = case when $3 is null then 'failed' else 'pending' end,
            next_attempt_at = coalesce($3, next_attempt_at)
         where message_id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(next.map(to_micros))
    .execute(conn.reborrow())
    .await?;
    Ok(())
}

/// Messages to `recipient` (every message when `None`), newest first.
pub(crate) async fn list_for(
    mut conn: Conn<'_>,
    recipient: Option<&str>,
) -> Result<Vec<Stored>, storage::Error> {
    Statement::new(
        "select message_id, kind, recipient, subject, status, attempts, last_error, created_at, sent_at
         from notification_messages where $1 is null or lower(recipient) = lower($1)
         order by created_at desc limit 500",
    )
    .bind(recipient)
    .fetch_all(conn.reborrow())
        .await
}

/// The messages stored under any of `keys` (their dedup keys; a key ending in `%` is a
/// prefix), oldest first.
pub(crate) async fn with_keys(
    mut conn: Conn<'_>,
    keys: &[String],
) -> Result<Vec<Stored>, storage::Error> {
    let mut found = Vec::new();
    for key in keys {
        let rows: Vec<Stored> = Statement::new(
            "select message_id, kind, recipient, subject, status, attempts, last_error, created_at, sent_at
             from notification_messages where dedup_key like $1",
        )
        .bind(key.as_str())
        .fetch_all(conn.reborrow())
        .await?;
        found.extend(rows);
    }
    found.sort_by_key(|m| m.created_at);
    Ok(found)
}

/// Converts stored microseconds for callers.
pub(crate) fn instant(micros: i64) -> DateTime<Utc> {
    from_micros(micros)
}
