//! Parked messages: events a consumer failed on [`MAX_ATTEMPTS`] times. The relay takes such a
//! message out of its queue instead of retrying it for ever (one message that can never be
//! applied would otherwise hold back its key, and be retried every minute for good); the
//! operator sees it here, with its last error, and puts it back once the cause is fixed.
//! In a split deployment each consumer parks its own ([`crate::CursorConsumer`]): the list
//! names the consumer, and a retry goes to that consumer only.

use chrono::{DateTime, Utc};
use kernel::{from_micros, to_micros};

use storage::{Database, Statement};

/// Attempts before a failing message is parked: with the relay's backoff (200 ms doubling,
/// at most a minute) about three and a half minutes of retries, which outlast a database
/// restart or a peer's brief absence.
pub const MAX_ATTEMPTS: i64 = 10;

/// A parked message, as the operator sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParkedMessage {
    /// The message id.
    pub message_id: uuid::Uuid,
    /// Its topic.
    pub topic: String,
    /// Its key (orders, seats, …).
    pub key: String,
    /// Failed attempts.
    pub attempts: i64,
    /// The last consumer error.
    pub last_error: Option<String>,
    /// The consumer that parked it, in a split deployment (`null`: the in-process relay, for
    /// every consumer of its topic).
    pub consumer: Option<String>,
    /// When it was written.
    pub occurred_at: DateTime<Utc>,
    /// When it was parked.
    pub parked_at: DateTime<Utc>,
    /// The payload.
    pub payload: serde_json::Value,
}

storage::row! {
    struct ParkedRow {
        message_id: uuid::Uuid,
        topic: String,
        message_key: String,
        attempts: i64,
        last_error: Option<String>,
        occurred_at: i64,
        parked_at: i64,
        payload: String,
        consumer: Option<String>,
    }
}

/// The parked messages, newest first (at most `limit`).
///
/// # Errors
/// When the outbox cannot be read.
pub async fn parked_messages(db: &Database, limit: i64) -> anyhow::Result<Vec<ParkedMessage>> {
    let rows: Vec<ParkedRow> = Statement::new(
        "select message_id, topic, message_key, attempts, last_error, occurred_at, parked_at, payload,
                cast(null as text) as consumer
         from outbox_messages where parked_at is not null
         union all
         select m.message_id, m.topic, m.message_key, r.attempts, r.last_error, m.occurred_at,
                r.parked_at, m.payload, r.consumer
         from outbox_consumer_retries r join outbox_messages m on m.delivery_seq = r.delivery_seq
         where r.parked_at is not null
         order by parked_at desc limit $1",
    )
    .bind(limit)
    .fetch_all(db.read().await?.conn())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ParkedMessage {
                message_id: r.message_id,
                topic: r.topic,
                key: r.message_key,
                attempts: r.attempts,
                last_error: r.last_error,
                consumer: r.consumer,
                occurred_at: from_micros(r.occurred_at),
                parked_at: from_micros(r.parked_at),
                payload: serde_json::from_str(&r.payload)?,
            })
        })
        .collect()
}

/// Puts a parked message back in the relay's queue (or in the retries of the consumer that
/// parked it), due now, with its attempts reset; `false` if no such message is parked.
///
/// # Errors
/// When the outbox cannot be written.
pub async fn unpark(
    db: &Database,
    message_id: uuid::Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = Statement::new(
        "update outbox_messages set parked_at = null, published_at = null, attempts = 0, next_attempt_at = $2
         where message_id = $1 and parked_at is not null",
    )
    .bind(message_id)
    .bind(to_micros(now))
    .execute_alone(db)
    .await?;
    let again = Statement::new(
        "update outbox_consumer_retries set parked_at = null, attempts = 0, next_attempt_at = $2
         where parked_at is not null
           and delivery_seq = (select delivery_seq from outbox_messages where message_id = $1)",
    )
    .bind(message_id)
    .bind(to_micros(now))
    .execute_alone(db)
    .await?;
    Ok(done + again > 0)
}

/// How far one consumer of a split deployment has read the outbox, as its cursor says
/// (written with what it handles, and at least every second while it moves).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerProgress {
    /// The consumer (`ordering`, `kafka`, …).
    pub consumer: String,
    /// The last delivery position it has passed.
    pub position: i64,
    /// Messages delivered to the deployment after its cursor.
    pub behind: i64,
    /// Messages waiting in its retries (a failure, or behind one of their key).
    pub retrying: i64,
    /// Messages it parked.
    pub parked: i64,
    /// When its cursor last moved.
    pub moved_at: DateTime<Utc>,
}

storage::row! {
    struct ProgressRow {
        consumer: String,
        position: i64,
        behind: i64,
        retrying: i64,
        parked: i64,
        moved_at: i64,
    }
}

/// The outbox as the operator sees it: parked messages and, in a split deployment, each
/// consumer's progress. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Operator {
    db: Database,
}

impl Operator {
    /// Over the outbox of `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The newest `limit` parked messages ([`parked_messages`]).
    ///
    /// # Errors
    /// When the outbox cannot be read.
    pub async fn parked(&self, limit: i64) -> anyhow::Result<Vec<ParkedMessage>> {
        parked_messages(&self.db, limit).await
    }

    /// Puts a parked message back ([`unpark`]); `false` if no such message is parked.
    ///
    /// # Errors
    /// When the outbox cannot be written.
    pub async fn retry(&self, message_id: uuid::Uuid, now: DateTime<Utc>) -> anyhow::Result<bool> {
        unpark(&self.db, message_id, now).await
    }

    /// Every consumer's progress, by name (none outside a split deployment: there the relay
    /// hands each message to every consumer itself).
    ///
    /// # Errors
    /// When the outbox cannot be read.
    pub async fn consumers(&self) -> anyhow::Result<Vec<ConsumerProgress>> {
        let rows: Vec<ProgressRow> = Statement::new(
            "select c.consumer, c.position,
                    coalesce((select max(delivery_seq) from outbox_messages), 0) - c.position as behind,
                    (select count(*) from outbox_consumer_retries r
                      where r.consumer = c.consumer and r.parked_at is null) as retrying,
                    (select count(*) from outbox_consumer_retries r
                      where r.consumer = c.consumer and r.parked_at is not null) as parked,
                    c.progressed_at as moved_at
             from outbox_consumers c order by c.consumer",
        )
        .fetch_all(self.db.read().await?.conn())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ConsumerProgress {
                consumer: r.consumer,
                position: r.position,
                behind: r.behind.max(0),
                retrying: r.retrying,
                parked: r.parked,
                moved_at: from_micros(r.moved_at),
            })
            .collect())
    }
}
