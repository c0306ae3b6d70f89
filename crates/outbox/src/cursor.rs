//! Delivery in a split deployment: every consumer reads the shared outbox itself.
//!
//! Each message gets its delivery position (`delivery_seq`) when the transaction that writes
//! it commits (`storage::position_at_commit`: positions become visible in order, with no gap
//! that fills later), and the writing process wakes the consumers of every process (`NOTIFY`,
//! [`crate::Relay::sequence_for_consumers`]). Each consumer
//! keeps a cursor (`outbox_consumers`): it reads the positions after it, hands its topics'
//! messages to its subscriber in batches (one transaction per slice, [`Subscriber::handle_batch`]),
//! and moves the cursor (written with the retries it records; the subscribers' own record of
//! handled message ids makes a message read again after a crash harmless). Nothing the
//! database holds can be skipped, whatever a broker does, and
//! a restarted process goes on from its cursor at once: no consumer group to rejoin.
//!
//! A message the subscriber fails on goes to the consumer's retries (`outbox_consumer_retries`)
//! with backoff, and the later messages of its key wait behind it there; every other key goes
//! on. After [`MAX_ATTEMPTS`](crate::MAX_ATTEMPTS) it is parked for the operator
//! (`GET /admin/outbox/parked`) and its key goes on, as in the in-process relay.
//!
//! One process runs a consumer at a time (a PostgreSQL session lock per consumer); the others
//! stand by and take over within [`POLL`] when it stops. A consumer whose round does not finish
//! within [`STALL`] (a call that hangs) is restarted by its process ([`run_all`]).
//!
//! A reconciler checks what the cursor has passed against the consumer's own record of handled
//! messages (`outbox_processed`, for consumers that record every message): a message passed but
//! never handled — a cursor moved by hand, a bug — goes back to the retries and is delivered.
//! It runs when a process takes the consumer over and every [`RECONCILE_EVERY`].
//!
//! Kafka, when configured, is fed the same way: as the consumer `kafka`, the public stream of
//! every event for other systems. Our own services never wait for it.

use kernel::{Clock, MessageId, from_micros, to_micros};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

use crate::relay::{Outcome, deliver_to, retry_delay};
use crate::rush::{RushGate, RushPolicy};
use crate::{Delivery, KafkaPublisher, Subscriber};
use storage::{Database, Leadership, Listener, LockKey, Statement};

/// The channel a process notifies after committing messages (positioned at commit), and the
/// relaying one after positioning a message written without a position.
pub(crate) const SEQUENCED: &str = "boxoffice_outbox_sequenced";

/// Most messages read in one round.
const BATCH: i64 = 512;
/// Most retries read in one round (more means something is badly wrong; they come in turn).
const RETRIES_READ: i64 = 1024;
/// How often a consumer looks without being woken (a stand-by then asks for its lock too).
pub(crate) const POLL: Duration = Duration::from_secs(1);
/// How often a process asks for a lock that another process holds (a consumer's, the relay's):
/// often enough to take over within a fraction of a second of its holder's end, but not at
/// every wake — in a split deployment every commit wakes every process, and asking each time
/// cost 3.4 lock queries per purchase (docs/performance.md, "Where the split deployment's CPU
/// goes").
pub(crate) const ASK_EVERY: Duration = Duration::from_millis(250);
/// A round that has not finished after this long is a stalled consumer: restarted.
pub const STALL: Duration = Duration::from_secs(10);
/// The same for the consumer feeding Kafka, whose round may wait for the broker: topics
/// created, then every message acknowledged, each within `kafka::SEND_TIMEOUT`.
const KAFKA_STALL: Duration = Duration::from_secs(30);
/// How often a consumer's reconciler looks at what the cursor passed since it last looked.
const RECONCILE_EVERY: Duration = Duration::from_secs(30);
/// Most positions one reconciliation covers (the first after an upgrade goes through the
/// history in steps of this).
const RECONCILE_SPAN: i64 = 50_000;

/// How long a woken consumer waits for more messages before its round. Every consumer's
/// transaction takes the database's writer lock exclusively, and buyers' holds and payments
/// queue behind it: fewer, larger transactions leave them more turns. Measured with
/// `boxoffice bench --target` against a five-process split deployment (docs/performance.md):
/// at once, 186 purchases/s and 3.0 ms of CPU per purchase; 50 ms, 302–363/s and 1.9 ms;
/// 200 ms, 357–367/s and 1.65 ms, with payment → ticket at 0.58 s p99.
const LINGER: Duration = Duration::from_millis(200);

/// Listens on `channel`; `None` on SQLite or when the listener cannot be opened (then the
/// caller's poll finds the work).
pub(crate) async fn listen(db: &Database, channel: &str) -> Option<Listener> {
    match db.listen(channel).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, channel, "cannot listen for wake-ups; polling only");
            None
        }
    }
}

/// The next notification of `listener`, or never without one.
pub(crate) async fn notified(listener: &mut Option<Listener>) {
    match listener {
        Some(listener) => {
            if let Err(error) = listener.recv().await {
                tracing::warn!(%error, "lost the wake-up connection; opening it again");
                tokio::time::sleep(POLL).await;
            }
        }
        None => std::future::pending().await,
    }
}

/// How one consumer of this process stands, as `/ready` shows it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerStatus {
    /// The consumer (`ordering`, `kafka`, …).
    pub consumer: &'static str,
    /// Whether this process runs it now (one process at a time does; the others stand by).
    pub active: bool,
    /// Messages it has still to look at: delivered to the deployment after its cursor, plus
    /// those waiting in its retries.
    pub lag: i64,
    /// Of those, the ones waiting for a retry.
    pub retrying: i64,
    /// Seconds since it last finished a round (it finishes one at least every second, unless
    /// it is holding back).
    pub last_progress_seconds_ago: Option<f64>,
    /// Whether it is pausing while buyers rush (tickets: [`CursorConsumer::defer_in_rush`]).
    pub holding_back: bool,
    /// Times this process restarted it after a stall.
    pub restarts: u64,
}

#[derive(Debug, Default)]
struct Slot {
    active: bool,
    holding_back: bool,
    lag: i64,
    retrying: i64,
    round_started: Option<Instant>,
    round_ended: Option<Instant>,
    restarts: u64,
}

/// The consumers of this process and how they stand; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct ConsumerBoard(Arc<Mutex<BTreeMap<&'static str, Slot>>>);

impl ConsumerBoard {
    fn with<T>(&self, consumer: &'static str, f: impl FnOnce(&mut Slot) -> T) -> T {
        let mut slots = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(slots.entry(consumer).or_default())
    }

    /// Every consumer of this process, by name.
    pub fn statuses(&self) -> Vec<ConsumerStatus> {
        let slots = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slots
            .iter()
            .map(|(&consumer, slot)| ConsumerStatus {
                consumer,
                active: slot.active,
                lag: slot.lag,
                retrying: slot.retrying,
                last_progress_seconds_ago: slot.round_ended.map(|t| t.elapsed().as_secs_f64()),
                holding_back: slot.holding_back,
                restarts: slot.restarts,
            })
            .collect()
    }

    /// Whether `consumer` is in a round that has lasted `stall` or more.
    fn stalled(&self, consumer: &'static str, stall: Duration) -> bool {
        self.with(consumer, |slot| {
            slot.active && slot.round_started.is_some_and(|t| t.elapsed() >= stall)
        })
    }
}

/// Where a consumer's messages go.
enum Sink {
    /// One of our services.
    Subscriber(Arc<dyn Subscriber>),
    /// The public Kafka stream: every topic, in order; a message the broker refuses stops the
    /// cursor there until it takes it (nothing is parked: the stream has no gaps).
    Kafka(Arc<KafkaPublisher>),
}

/// One consumer reading the outbox from its cursor.
pub struct CursorConsumer {
    db: Database,
    clock: Arc<dyn Clock>,
    sink: Sink,
    board: ConsumerBoard,
    /// The read of the messages after the cursor (its topics written in: they are our own
    /// constants, and there is no text-array parameter on both engines).
    fresh_sql: String,
    /// The reconciler's read: messages of its topics passed but neither handled nor retried.
    unhandled_sql: String,
    /// The cursor as this process knows it (and wrote it); `None` until read.
    position: Mutex<Option<i64>>,
    /// Pauses the consumer while buyers rush ([`CursorConsumer::defer_in_rush`]).
    rush: Option<RushGate>,
}

storage::row! {
    struct FreshRow {
        delivery_seq: i64,
        message_id: uuid::Uuid,
        topic: String,
        message_key: String,
        payload: String,
        occurred_at: i64,
    }
}

storage::row! {
    struct RetryRow {
        delivery_seq: i64,
        attempts: i64,
        next_attempt_at: i64,
        message_id: uuid::Uuid,
        topic: String,
        message_key: String,
        payload: String,
        occurred_at: i64,
    }
}

fn delivery(
    message_id: uuid::Uuid,
    topic: String,
    key: String,
    payload: String,
    occurred_at: i64,
) -> anyhow::Result<Delivery> {
    Ok(Delivery {
        message_id: MessageId(message_id),
        topic,
        key,
        payload: serde_json::value::RawValue::from_string(payload)?,
        occurred_at: from_micros(occurred_at),
    })
}

/// A message of this round, and where it came from.
struct Item {
    delivery_seq: i64,
    /// Failed attempts so far; `None` for a message read after the cursor.
    retry_attempts: Option<i64>,
    /// When a retry is due (microseconds).
    next_attempt_at: i64,
    delivery: Delivery,
}

/// What a round changed, written in one transaction.
#[derive(Default)]
struct Changes {
    /// Retries handled now.
    done: Vec<i64>,
    /// Retries or new messages that failed: (position, key, attempts now, error, parked).
    failed: Vec<(i64, String, i64, String, bool)>,
    /// New messages that wait behind an earlier one of their key: (position, key).
    waiting: Vec<(i64, String)>,
}

const RETRIES: &str = "select r.delivery_seq, r.attempts, r.next_attempt_at, m.message_id, m.topic, m.message_key, m.payload, m.occurred_at
     from outbox_consumer_retries r join outbox_messages m on m.delivery_seq = r.delivery_seq
     where r.consumer = $1 and r.parked_at is null order by r.delivery_seq limit $2";

const ADD_RETRY: &str = "insert into outbox_consumer_retries
     (consumer, delivery_seq, message_key, attempts, next_attempt_at, last_error, parked_at)
     values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (consumer, delivery_seq) do update set attempts = excluded.attempts,
       next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error,
       parked_at = excluded.parked_at";

impl CursorConsumer {
    /// The consumer of `subscriber`'s topics.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        subscriber: Arc<dyn Subscriber>,
        board: ConsumerBoard,
    ) -> Self {
        let topics: Vec<String> = subscriber
            .topics()
            .iter()
            .map(|t| format!("'{}'", t.replace('\'', "''")))
            .collect();
        let topics = topics.join(", ");
        let fresh_sql = format!(
            "select delivery_seq, message_id, topic, message_key, payload, occurred_at from outbox_messages
             where delivery_seq > $1 and delivery_seq <= $2 and topic in ({topics}) order by delivery_seq limit $3"
        );
        let mut consumer =
            Self::with_sink(db, clock, Sink::Subscriber(subscriber), board, fresh_sql);
        consumer.unhandled_sql = format!(
            "select m.delivery_seq, m.message_key from outbox_messages m
             where m.delivery_seq > $2 and m.delivery_seq <= $3 and m.topic in ({topics})
               and not exists (select 1 from outbox_processed p
                                where p.consumer = $1 and p.message_id = m.message_id)
               and not exists (select 1 from outbox_consumer_retries r
                                where r.consumer = $1 and r.delivery_seq = m.delivery_seq)
             order by m.delivery_seq"
        );
        consumer
    }

    /// Pauses this consumer while `policy` says the deployment is in a rush, at most
    /// [`RushPolicy::max_wait`] at a time: for a consumer whose work nobody waits for during a
    /// sale (tickets), as one process holds deferrable events back. Every message of its
    /// topics waits, deferrable or not; a consumer of urgent work must not be given one.
    pub fn defer_in_rush(&mut self, policy: RushPolicy) {
        self.rush = Some(RushGate::new(policy));
    }

    /// The consumer `kafka`: every event to the brokers of `publisher`, in order.
    pub fn to_kafka(
        db: Database,
        clock: Arc<dyn Clock>,
        publisher: Arc<KafkaPublisher>,
        board: ConsumerBoard,
    ) -> Self {
        let fresh_sql = "select delivery_seq, message_id, topic, message_key, payload, occurred_at from outbox_messages
             where delivery_seq > $1 and delivery_seq <= $2 order by delivery_seq limit $3";
        Self::with_sink(db, clock, Sink::Kafka(publisher), board, fresh_sql.into())
    }

    fn with_sink(
        db: Database,
        clock: Arc<dyn Clock>,
        sink: Sink,
        board: ConsumerBoard,
        fresh_sql: String,
    ) -> Self {
        let consumer = Self {
            db,
            clock,
            sink,
            board,
            fresh_sql,
            unhandled_sql: String::new(),
            position: Mutex::new(None),
            rush: None,
        };
        consumer.board.with(consumer.name(), |_| ());
        consumer
    }

    /// The consumer's name (its cursor's, and its lock's).
    pub fn name(&self) -> &'static str {
        match &self.sink {
            Sink::Subscriber(subscriber) => subscriber.name(),
            Sink::Kafka(_) => "kafka",
        }
    }

    fn stall(&self) -> Duration {
        match self.sink {
            Sink::Subscriber(_) => STALL,
            Sink::Kafka(_) => KAFKA_STALL,
        }
    }

    /// Runs the consumer until `shutdown`, restarting it when a round stalls ([`STALL`]).
    async fn supervise(self: Arc<Self>, wake: Arc<Notify>, shutdown: watch::Receiver<bool>) {
        loop {
            let mut task = tokio::spawn(self.clone().serve(wake.clone(), shutdown.clone()));
            loop {
                tokio::select! {
                    _ = &mut task => return,
                    () = tokio::time::sleep(POLL) => {
                        if self.board.stalled(self.name(), self.stall()) {
                            break;
                        }
                    }
                }
            }
            task.abort();
            // Its transaction is rolled back and its lock let go with its connection: what
            // it was handling is handled again (consumers drop what they already applied).
            let _ = task.await;
            tracing::error!(
                consumer = self.name(),
                "consumer made no progress for {} s; restarted",
                self.stall().as_secs()
            );
            metrics::counter!("outbox_consumer_restarts_total", "consumer" => self.name())
                .increment(1);
            self.board.with(self.name(), |slot| {
                slot.restarts += 1;
                slot.active = false;
                slot.round_started = None;
            });
            *self.lock_position() = None;
        }
    }

    fn lock_position(&self) -> std::sync::MutexGuard<'_, Option<i64>> {
        self.position.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Consumes while this process holds the consumer's lock, standing by otherwise.
    async fn serve(self: Arc<Self>, wake: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
        let name = self.name();
        let lock = LockKey::new("outbox-consumer", name).id();
        let mut lead: Option<Leadership> = None;
        let mut checked = Instant::now();
        let mut reconciled: Option<Instant> = None;
        // When this process last asked for the consumer's lock (a stand-by: see ASK_EVERY).
        let mut asked: Option<Instant> = None;
        loop {
            if *shutdown.borrow() {
                return;
            }
            if let Some(held) = &mut lead
                && checked.elapsed() >= POLL
            {
                checked = Instant::now();
                if !held.is_held().await {
                    tracing::warn!(consumer = name, "lost the consumer's lock; asking again");
                    lead = None;
                    asked = None;
                }
            }
            if lead.is_none() && asked.is_none_or(|at| at.elapsed() >= ASK_EVERY) {
                asked = Some(Instant::now());
                match self.db.try_lead(lock).await {
                    Ok(Some(granted)) => {
                        tracing::info!(consumer = name, "consuming");
                        lead = Some(granted);
                        *self.lock_position() = None;
                        reconciled = None;
                    }
                    Ok(None) => {}
                    Err(error) => {
                        tracing::warn!(consumer = name, %error, "cannot ask for the consumer's lock")
                    }
                }
                self.board.with(name, |slot| slot.active = lead.is_some());
            }
            let holding_back =
                lead.is_some() && self.rush.as_ref().is_some_and(RushGate::holds_back);
            self.board
                .with(name, |slot| slot.holding_back = holding_back);
            let busy = if lead.is_some() && !holding_back {
                self.board
                    .with(name, |slot| slot.round_started = Some(Instant::now()));
                if reconciled.is_none_or(|at| at.elapsed() >= RECONCILE_EVERY) {
                    reconciled = Some(Instant::now());
                    if let Err(error) = self.reconcile().await {
                        tracing::error!(consumer = name, error = %format!("{error:#}"), "reconciliation failed; trying again later");
                    }
                }
                let round = self.round().await;
                self.board.with(name, |slot| {
                    slot.round_started = None;
                    slot.round_ended = Some(Instant::now());
                });
                match round {
                    Ok(busy) => {
                        if !busy && let Some(gate) = &self.rush {
                            gate.caught_up();
                        }
                        busy
                    }
                    Err(error) => {
                        tracing::error!(consumer = name, error = %format!("{error:#}"), "consumer round failed; retrying");
                        false
                    }
                }
            } else {
                false
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = wake.notified(), if lead.is_some() => {
                    // Let a few more messages come: one transaction for them all.
                    tokio::time::sleep(LINGER).await;
                }
                () = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Puts the messages the cursor passed since the last reconciliation but the subscriber
    /// never recorded as handled (nor holds in its retries) back in its retries, due now.
    /// Returns how many. Only for subscribers that record every message.
    async fn reconcile(&self) -> anyhow::Result<usize> {
        let Sink::Subscriber(subscriber) = &self.sink else {
            return Ok(0);
        };
        if !subscriber.records_every_message() {
            return Ok(0);
        }
        let position = self.position().await?;
        let name = self.name();
        let (from,): (i64,) =
            Statement::new("select reconciled_to from outbox_consumers where consumer = $1")
                .bind(name)
                .fetch_one(self.db.read().await?.conn())
                .await?;
        let to = position.min(from.saturating_add(RECONCILE_SPAN));
        if to <= from {
            return Ok(0);
        }
        let unhandled: Vec<(i64, String)> = Statement::new(self.unhandled_sql.clone())
            .bind(name)
            .bind(from)
            .bind(to)
            .fetch_all(self.db.read().await?.conn())
            .await?;
        let now = to_micros(self.clock.now());
        let mut tx = self.db.begin_unlocked().await?;
        for (seq, key) in &unhandled {
            Statement::new(ADD_RETRY)
                .bind(name)
                .bind(*seq)
                .bind(key.as_str())
                .bind(0_i64)
                .bind(now)
                .bind("passed by the cursor but never handled: found by the reconciler")
                .bind(None::<i64>)
                .execute(tx.conn())
                .await?;
        }
        Statement::new("update outbox_consumers set reconciled_to = $2 where consumer = $1")
            .bind(name)
            .bind(to)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        if !unhandled.is_empty() {
            tracing::warn!(
                consumer = name,
                messages = unhandled.len(),
                "found messages the cursor passed but the consumer never handled; delivering them"
            );
            metrics::counter!("outbox_reconciled_messages_total", "consumer" => name)
                .increment(unhandled.len() as u64);
        }
        Ok(unhandled.len())
    }

    /// The cursor, read (or created at 0) the first time.
    async fn position(&self) -> anyhow::Result<i64> {
        if let Some(position) = *self.lock_position() {
            return Ok(position);
        }
        let stored: Option<(i64,)> =
            Statement::new("select position from outbox_consumers where consumer = $1")
                .bind(self.name())
                .fetch_optional(self.db.read().await?.conn())
                .await?;
        let position = match stored {
            Some((position,)) => position,
            None => {
                Statement::new(
                    "insert into outbox_consumers (consumer, position, progressed_at) values ($1, 0, $2)
                     on conflict (consumer) do nothing",
                )
                .bind(self.name())
                .bind(to_micros(self.clock.now()))
                .execute_alone(&self.db)
                .await?;
                0
            }
        };
        *self.lock_position() = Some(position);
        Ok(position)
    }

    /// One round: the due retries and the messages after the cursor. Returns whether there
    /// may be more to do at once.
    async fn round(&self) -> anyhow::Result<bool> {
        let position = self.position().await?;
        let (highest,): (i64,) =
            Statement::new("select coalesce(max(delivery_seq), 0) from outbox_messages")
                .fetch_one(self.db.read().await?.conn())
                .await?;
        let retries: Vec<RetryRow> = match self.sink {
            Sink::Subscriber(_) => {
                Statement::new(RETRIES)
                    .bind(self.name())
                    .bind(RETRIES_READ)
                    .fetch_all(self.db.read().await?.conn())
                    .await?
            }
            Sink::Kafka(_) => Vec::new(),
        };
        let fresh: Vec<FreshRow> = if highest > position {
            Statement::new(self.fresh_sql.clone())
                .bind(position)
                .bind(highest)
                .bind(BATCH)
                .fetch_all(self.db.read().await?.conn())
                .await?
        } else {
            Vec::new()
        };
        // Seen while the round is under way (a slow subscriber, a broker that does not answer).
        self.board.with(self.name(), |slot| {
            slot.lag = slot.lag.max(highest - position + slot.retrying);
        });
        let passed = match fresh.last() {
            Some(last) if fresh.len() == BATCH as usize => last.delivery_seq,
            _ => highest,
        };
        let full = fresh.len() == BATCH as usize;
        let mut items = Vec::with_capacity(retries.len() + fresh.len());
        for r in retries {
            items.push(Item {
                delivery_seq: r.delivery_seq,
                retry_attempts: Some(r.attempts),
                next_attempt_at: r.next_attempt_at,
                delivery: delivery(
                    r.message_id,
                    r.topic,
                    r.message_key,
                    r.payload,
                    r.occurred_at,
                )?,
            });
        }
        for f in fresh {
            items.push(Item {
                delivery_seq: f.delivery_seq,
                retry_attempts: None,
                next_attempt_at: 0,
                delivery: delivery(
                    f.message_id,
                    f.topic,
                    f.message_key,
                    f.payload,
                    f.occurred_at,
                )?,
            });
        }
        let due_heads = due_heads(&items, to_micros(self.clock.now()));
        let (passed, changes) = match &self.sink {
            Sink::Subscriber(subscriber) => (
                passed,
                self.apply(subscriber.as_ref(), &items, &due_heads).await,
            ),
            Sink::Kafka(kafka) => match export(kafka, &items).await {
                Ok(()) => (passed, Changes::default()),
                Err((handled, error)) => {
                    tracing::warn!(consumer = self.name(), error = %format!("{error:#}"), "Kafka did not take an event; retrying");
                    let passed = handled.unwrap_or(position);
                    self.record(position, passed, highest, &Changes::default(), false)
                        .await?;
                    return Ok(false);
                }
            },
        };
        let had_retries = items.iter().any(|i| i.retry_attempts.is_some());
        self.record(position, passed, highest, &changes, had_retries)
            .await?;
        Ok(full)
    }

    /// Hands `items` to `subscriber` (the retries whose key is due, then the new messages of
    /// every key not waiting for a retry) and says what became of each.
    async fn apply(
        &self,
        subscriber: &dyn Subscriber,
        items: &[Item],
        due_heads: &HashMap<&str, bool>,
    ) -> Changes {
        let mut changes = Changes::default();
        let mut batch: Vec<&Delivery> = Vec::with_capacity(items.len());
        let mut batched: Vec<&Item> = Vec::with_capacity(items.len());
        for item in items {
            let key_due = due_heads.get(item.delivery.key.as_str()).copied();
            match (item.retry_attempts, key_due) {
                // A retry of a key whose turn has not come; or a new message behind it.
                (Some(_), Some(false)) => {}
                (None, Some(false)) => changes
                    .waiting
                    .push((item.delivery_seq, item.delivery.key.clone())),
                _ => {
                    batch.push(&item.delivery);
                    batched.push(item);
                }
            }
        }
        let outcomes = deliver_to(subscriber, &batch).await;
        for (item, outcome) in batched.into_iter().zip(outcomes) {
            match (outcome, item.retry_attempts) {
                (Outcome::Delivered, Some(_)) => changes.done.push(item.delivery_seq),
                (Outcome::Delivered, None) => {}
                (Outcome::Waiting, Some(_)) => {}
                (Outcome::Waiting, None) => changes
                    .waiting
                    .push((item.delivery_seq, item.delivery.key.clone())),
                (Outcome::Failed(error), attempts) => {
                    metrics::counter!("outbox_delivery_failures_total").increment(1);
                    let attempts = attempts.unwrap_or(0) + 1;
                    let parked = attempts >= crate::MAX_ATTEMPTS;
                    self.report_failure(&item.delivery, attempts, parked, &error);
                    changes.failed.push((
                        item.delivery_seq,
                        item.delivery.key.clone(),
                        attempts,
                        error,
                        parked,
                    ));
                }
            }
        }
        changes
    }

    fn report_failure(&self, delivery: &Delivery, attempts: i64, parked: bool, error: &str) {
        if parked {
            tracing::error!(
                consumer = self.name(),
                message.id = %delivery.message_id,
                message.topic = %delivery.topic,
                message.key = %delivery.key,
                error,
                "event parked after {attempts} failed attempts: listed at GET /admin/outbox/parked"
            );
            metrics::counter!("outbox_parked_messages_total", "topic" => delivery.topic.clone())
                .increment(1);
        } else {
            tracing::warn!(
                consumer = self.name(),
                message.id = %delivery.message_id,
                message.topic = %delivery.topic,
                attempts,
                error,
                "event delivery failed; will retry"
            );
        }
    }

    /// Writes what a round changed and the cursor, in one transaction (only the consumer's
    /// own rows: no writer lock), and shows the consumer's standing.
    async fn record(
        &self,
        before: i64,
        passed: i64,
        highest: i64,
        changes: &Changes,
        had_retries: bool,
    ) -> anyhow::Result<()> {
        let now = self.clock.now();
        // Written whenever it moves: a consumer's rounds are few (it lingers for more), and an
        // idle consumer's cursor must not stay behind where the operator and the bench read it.
        let persist_cursor = passed != before;
        let must_write = persist_cursor || !changes.is_empty();
        if must_write {
            let name = self.name();
            let mut tx = self.db.begin_unlocked().await?;
            for &seq in &changes.done {
                Statement::new(
                    "delete from outbox_consumer_retries where consumer = $1 and delivery_seq = $2",
                )
                .bind(name)
                .bind(seq)
                .execute(tx.conn())
                .await?;
            }
            for (seq, key, attempts, error, parked) in &changes.failed {
                let next = now + retry_delay(attempts - 1);
                Statement::new(ADD_RETRY)
                    .bind(name)
                    .bind(*seq)
                    .bind(key.as_str())
                    .bind(*attempts)
                    .bind(to_micros(next))
                    .bind(error.as_str())
                    .bind(parked.then(|| to_micros(now)))
                    .execute(tx.conn())
                    .await?;
            }
            for (seq, key) in &changes.waiting {
                Statement::new(ADD_RETRY)
                    .bind(name)
                    .bind(*seq)
                    .bind(key.as_str())
                    .bind(0_i64)
                    .bind(to_micros(now))
                    .bind(None::<&str>)
                    .bind(None::<i64>)
                    .execute(tx.conn())
                    .await?;
            }
            if persist_cursor {
                Statement::new(
                    "update outbox_consumers set position = $2, progressed_at = $3 where consumer = $1",
                )
                .bind(name)
                .bind(passed)
                .bind(to_micros(now))
                .execute(tx.conn())
                .await?;
            }
            tx.commit().await?;
        }
        *self.lock_position() = Some(passed);
        let retrying = if had_retries || !changes.is_empty() {
            self.count_retries().await?
        } else {
            0
        };
        let lag = highest - passed + retrying;
        self.board.with(self.name(), |slot| {
            slot.lag = lag;
            slot.retrying = retrying;
        });
        metrics::gauge!("outbox_consumer_lag", "consumer" => self.name()).set(lag as f64);
        metrics::gauge!("outbox_consumer_retrying", "consumer" => self.name()).set(retrying as f64);
        metrics::gauge!("outbox_consumer_progress_timestamp_seconds", "consumer" => self.name())
            .set(now.timestamp_micros() as f64 / 1e6);
        Ok(())
    }

    /// The messages waiting in this consumer's retries (not parked).
    async fn count_retries(&self) -> anyhow::Result<i64> {
        if matches!(self.sink, Sink::Kafka(_)) {
            return Ok(0);
        }
        let (count,): (i64,) = Statement::new(
            "select count(*) from outbox_consumer_retries where consumer = $1 and parked_at is null",
        )
        .bind(self.name())
        .fetch_one(self.db.read().await?.conn())
        .await?;
        Ok(count)
    }
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.done.is_empty() && self.failed.is_empty() && self.waiting.is_empty()
    }
}

/// For each key in the retries among `items`: whether its earliest retry is due at `now` (the
/// later ones of the key wait for it).
fn due_heads(items: &[Item], now: i64) -> HashMap<&str, bool> {
    let mut heads = HashMap::new();
    for item in items.iter().filter(|i| i.retry_attempts.is_some()) {
        heads
            .entry(item.delivery.key.as_str())
            .or_insert(item.next_attempt_at <= now);
    }
    heads
}

/// Publishes `items` to Kafka, all at once; on a refusal, the position of the last message
/// before the first refused one (`None`: none before it) and the error.
async fn export(
    kafka: &KafkaPublisher,
    items: &[Item],
) -> Result<(), (Option<i64>, anyhow::Error)> {
    let acks = futures::future::join_all(items.iter().map(|i| kafka.publish(&i.delivery))).await;
    for (i, ack) in acks.into_iter().enumerate() {
        if let Err(error) = ack {
            let handled = i.checked_sub(1).map(|before| items[before].delivery_seq);
            return Err((handled, error));
        }
    }
    Ok(())
}

/// Runs `consumers` until `shutdown`: each supervised ([`STALL`]), all woken by the writing
/// processes' notifications (`SEQUENCED`) and by their own poll.
pub async fn run_all(
    db: Database,
    consumers: Vec<Arc<CursorConsumer>>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    if consumers.is_empty() {
        return Ok(());
    }
    let mut listener = listen(&db, SEQUENCED).await;
    let mut tasks = tokio::task::JoinSet::new();
    let mut wakers = Vec::with_capacity(consumers.len());
    for consumer in consumers {
        let wake = Arc::new(Notify::new());
        wakers.push(wake.clone());
        tasks.spawn(consumer.supervise(wake, shutdown.clone()));
    }
    loop {
        tokio::select! {
            () = notified(&mut listener) => {
                for wake in &wakers {
                    wake.notify_one();
                }
            }
            _ = shutdown.changed() => break,
        }
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}
