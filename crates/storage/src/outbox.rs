//! Writing events into the outbox, inside the caller's transaction.

use crate::sqlx;
use chrono::{DateTime, Utc};
use kernel::{MessageId, to_micros};
use serde::Serialize;

use crate::{Backend, Conn, Database, Statement};

/// An event published by a context: a past-tense payload with a topic and a partition key.
pub trait Event: Serialize {
    /// The topic (the reference's names, SPEC §5).
    const TOPIC: &'static str;
    /// The key that orders messages (e.g. the seat or order id).
    fn key(&self) -> String;
    /// Whether its consumers may get it later while the server is in a rush (the relay's
    /// `RushPolicy`, crate `outbox`). Only for work nobody is waiting for at that moment
    /// and that no other event of the same key follows, which would overtake it.
    const DEFERRABLE: bool = false;
}

/// An event with the stamps every message carries.
#[derive(Serialize)]
struct Stamped<'a, E> {
    #[serde(flatten)]
    event: &'a E,
    #[serde(rename = "messageId")]
    message_id: String,
    #[serde(rename = "occurredAt")]
    occurred_at: String,
}

/// Inserts a message into the outbox. On PostgreSQL, a split deployment's message gets its
/// delivery position when the transaction commits (a trigger: [`position_at_commit`]).
const INSERT_MESSAGE: &str = "insert into outbox_messages (message_id, topic, message_key, payload, occurred_at, next_attempt_at, may_wait)
     values ($1, $2, $3, $4, $5, $5, $6)";

/// The stored text of `event`: its fields plus a fresh `messageId` and `occurredAt`.
fn stamp<E: Event>(event: &E, now: DateTime<Utc>) -> serde_json::Result<(MessageId, String)> {
    let message_id = MessageId::new();
    // Serialized straight to text: a `serde_json::Value` tree of a large event (100,000 seats
    // generated at once) costs several times the text's size in memory.
    let payload = serde_json::to_string(&Stamped {
        event,
        message_id: message_id.to_string(),
        occurred_at: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    })?;
    Ok((message_id, payload))
}

/// Writes `event` to the outbox in the transaction behind `conn`, stamping it with a fresh
/// `messageId` and `occurredAt` (added to the JSON payload).
///
/// # Errors
/// When the payload cannot be serialized or the insert fails.
pub async fn enqueue<E: Event>(
    conn: Conn<'_>,
    event: &E,
    now: DateTime<Utc>,
) -> anyhow::Result<MessageId> {
    let (message_id, payload) = stamp(event, now)?;
    let key = event.key();
    Statement::new(INSERT_MESSAGE)
        .bind(message_id.uuid())
        .bind(E::TOPIC)
        .bind(key.as_str())
        .bind(payload.as_str())
        .bind(to_micros(now))
        .bind(i32::from(E::DEFERRABLE))
        .execute(conn)
        .await?;
    Ok(message_id)
}

/// Turns positions given at commit on (a split deployment, whose consumers read the outbox by
/// position) or off (one process, whose relay hands messages over itself), for every process
/// sharing the database: while on, a trigger (migrations/postgres/0022_outbox_positions.sql,
/// created here and dropped when off) gives a committing transaction's messages the next
/// positions, in the order it wrote them, and marks them relayed. Turning them on first positions, in commit order, every message
/// written without one and not yet relayed (by a single process before): in the same
/// transaction, under the writer lock, so that no message written meanwhile is positioned
/// ahead of an earlier one of its key. Nothing on SQLite (one process).
///
/// # Errors
/// When the database cannot be written.
pub async fn position_at_commit(db: &Database, on: bool) -> Result<(), crate::Error> {
    if db.backend() == Backend::Sqlite {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let (enabled,): (bool,) = Statement::new("select enabled from outbox_positions")
        .fetch_one(tx.conn())
        .await?;
    if enabled != on {
        if on {
            Statement::new(
                "update outbox_messages m set published_at = $1,
                    delivery_seq = (select coalesce(max(delivery_seq), 0) from outbox_messages) + t.ord
                 from (select seq, row_number() over (order by seq) as ord from outbox_messages
                       where published_at is null and delivery_seq is null) t
                 where m.seq = t.seq",
            )
            .bind(to_micros(Utc::now()))
            .execute(tx.conn())
            .await?;
        }
        Statement::new(
            "update outbox_positions set enabled = $1,
                last = (select coalesce(max(delivery_seq), 0) from outbox_messages)",
        )
        .bind(on)
        .execute(tx.conn())
        .await?;
        // Off, the trigger is gone: a single process pays nothing per message (it cost one
        // 2–3 % of its purchases/s as a no-op: docs/performance.md).
        Statement::new("drop trigger if exists outbox_messages_position on outbox_messages")
            .execute(tx.conn())
            .await?;
        if on {
            Statement::new(
                "create constraint trigger outbox_messages_position after insert on outbox_messages
                    deferrable initially deferred for each row execute function outbox.position_message()",
            )
            .execute(tx.conn())
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Records a consumer's message as handled, once.
const MARK_PROCESSED: &str =
    "insert into outbox_processed (consumer, message_id) values ($1, $2) on conflict do nothing";

fn mark_statement(consumer: &str, message_id: MessageId) -> Statement<'_> {
    Statement::new(MARK_PROCESSED)
        .bind(consumer)
        .bind(message_id.uuid())
}

/// Records that `consumer` handled `message_id`, inside the consumer's own transaction.
/// Returns `false` when it had already been handled: the caller must then skip its effects.
///
/// # Errors
/// When the insert fails.
pub async fn mark_processed(
    conn: Conn<'_>,
    consumer: &str,
    message_id: MessageId,
) -> Result<bool, crate::Error> {
    let done = mark_statement(consumer, message_id).execute(conn).await?;
    Ok(done == 1)
}

/// [`MARK_PROCESSED`] for a whole batch, in one statement (PostgreSQL); answers the ids it
/// recorded.
const MARK_ALL_PROCESSED: &str = "insert into outbox_processed (consumer, message_id)
     select $1, unnest($2::uuid[]) on conflict do nothing returning message_id";

/// [`mark_processed`] for each of `message_ids` (a consumer's batch, in its transaction), in
/// order: `true` where the message is new to `consumer` (its effects are to be applied), `false`
/// where it was handled before or occurs earlier in the batch. On PostgreSQL this is one round
/// trip for the batch instead of one per message, all of them under the writer lock.
///
/// # Errors
/// When the insert fails.
pub async fn mark_all_processed(
    conn: Conn<'_>,
    consumer: &str,
    message_ids: &[MessageId],
) -> Result<Vec<bool>, crate::Error> {
    match conn {
        Conn::Postgres(c) => {
            let ids: Vec<uuid::Uuid> = message_ids.iter().map(|m| m.uuid()).collect();
            let recorded: std::collections::HashSet<uuid::Uuid> =
                sqlx::query_scalar(MARK_ALL_PROCESSED)
                    .bind(consumer)
                    .bind(&ids)
                    .fetch_all(c)
                    .await?
                    .into_iter()
                    .collect();
            let mut seen = std::collections::HashSet::with_capacity(ids.len());
            Ok(ids
                .iter()
                .map(|id| recorded.contains(id) && seen.insert(*id))
                .collect())
        }
        mut sqlite @ Conn::Sqlite(_) => {
            let mut fresh = Vec::with_capacity(message_ids.len());
            for id in message_ids {
                fresh.push(mark_processed(sqlite.reborrow(), consumer, *id).await?);
            }
            Ok(fresh)
        }
    }
}
