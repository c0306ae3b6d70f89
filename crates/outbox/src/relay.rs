//! The in-process relay: reads committed events from the outbox and hands each one to every
//! subscriber of its topic, at least once, in commit order per key.
//!
//! A subscriber that fails is retried with exponential backoff; later messages with the same key
//! wait behind it so that, say, an expiry is never applied before the hold it expires.
//! Consumers remember processed message ids (`outbox_processed`), so a redelivery after a crash
//! is ignored.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use kernel::{Clock, MessageId, from_micros, to_micros};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

use crate::KafkaPublisher;
use crate::rush::{RushGate, RushPolicy};
use storage::{Backend, Database, Statement};

/// Most messages one subscriber handles in one call of [`Subscriber::handle_batch`]: large
/// enough to spare most `BEGIN`/`COMMIT`s in a rush, small enough that a batch does not hold the
/// single writer for long.
const SUBSCRIBER_BATCH: usize = 64;

/// What became of one message in one round of the relay.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Every subscriber of its topic handled it.
    Delivered,
    /// A subscriber had not got it yet (an earlier message of its key failed there).
    Waiting,
    /// A subscriber failed on it: retried later, with backoff.
    Failed(String),
}

impl Outcome {
    /// Not delivered this round, unless it already failed (which keeps its error).
    fn wait(&mut self) {
        if matches!(self, Self::Delivered) {
            *self = Self::Waiting;
        }
    }

    /// The outcome of a message for every subscriber so far, given one more subscriber's.
    fn merge(&mut self, theirs: Self) {
        match theirs {
            Self::Delivered => {}
            Self::Waiting => self.wait(),
            Self::Failed(error) => {
                if !matches!(self, Self::Failed(_)) {
                    *self = Self::Failed(error);
                }
            }
        }
    }
}

/// Hands `subscriber` the messages of its topics among `messages`, in slices of
/// [`SUBSCRIBER_BATCH`] through [`Subscriber::handle_batch`], and one by one after a slice
/// fails. After a failure it gets no later message of the same key in this round, so it never
/// sees them out of order. Returns the outcome of every message of `messages` for it.
pub(crate) async fn deliver_to(
    subscriber: &dyn Subscriber,
    messages: &[&Delivery],
) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = messages.iter().map(|_| Outcome::Delivered).collect();
    let mine: Vec<usize> = (0..messages.len())
        .filter(|&i| subscriber.topics().contains(&messages[i].topic.as_str()))
        .collect();
    let mut blocked: HashSet<&str> = HashSet::new();
    for slice in mine.chunks(SUBSCRIBER_BATCH) {
        if blocked.is_empty() {
            let batch: Vec<&Delivery> = slice.iter().map(|&i| messages[i]).collect();
            match subscriber.handle_batch(&batch).await {
                Ok(()) => continue,
                Err(error) => tracing::debug!(
                    subscriber = subscriber.name(),
                    error = %format!("{error:#}"),
                    "a batch failed; handing its messages over one by one"
                ),
            }
        }
        for &i in slice {
            let delivery = messages[i];
            if blocked.contains(delivery.key.as_str()) {
                outcomes[i].wait();
                continue;
            }
            if let Err(e) = subscriber.handle(delivery).await {
                blocked.insert(delivery.key.as_str());
                outcomes[i] = Outcome::Failed(format!(
                    "{:#}",
                    e.context(format!(
                        "consumer {} failed on {} message {}",
                        subscriber.name(),
                        delivery.topic,
                        delivery.message_id
                    ))
                ));
            }
        }
    }
    outcomes
}

/// How long a message waits after its `failed`-th failure (0 the first): 200 ms, doubling,
/// at most a minute.
pub(crate) fn retry_delay(failed: i64) -> ChronoDuration {
    let backoff_ms = 200_i64.saturating_mul(1_i64 << failed.clamp(0, 12));
    ChronoDuration::milliseconds(backoff_ms.min(60_000))
}

/// One event handed to a subscriber.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Unique id of the message (deduplication key).
    pub message_id: MessageId,
    /// The topic.
    pub topic: String,
    /// The partition key.
    pub key: String,
    /// The JSON payload as written, including `messageId` and `occurredAt`; read it with
    /// [`Delivery::parse`] into a struct of just the fields the subscriber needs.
    pub payload: Box<serde_json::value::RawValue>,
    /// When the event was written.
    pub occurred_at: DateTime<Utc>,
}

impl Delivery {
    /// The payload as `T`, parsed from the stored text (no intermediate `Value` tree).
    ///
    /// # Errors
    /// When the payload does not have `T`'s shape.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.payload.get())
    }
}

/// A consumer of events. `handle` must be idempotent: use [`mark_processed`](storage::mark_processed) inside its own
/// transaction to make its effects exactly-once. (The relay does not record deliveries itself:
/// that would cost a write per consumer and message, and only the consumer's own transaction can
/// make the record atomic with the effect.)
#[async_trait::async_trait]
pub trait Subscriber: Send + Sync + 'static {
    /// Stable consumer name (like a Kafka consumer group).
    fn name(&self) -> &'static str;
    /// Topics this consumer wants.
    fn topics(&self) -> &'static [&'static str];
    /// Handles one event.
    ///
    /// # Errors
    /// Any error makes the relay retry the message later.
    async fn handle(&self, delivery: &Delivery) -> anyhow::Result<()>;

    /// Whether it records every message it is handed in `outbox_processed` (in the
    /// transaction of its effect), so that the reconciler of a split deployment
    /// ([`crate::CursorConsumer`]) can tell a message it never handled. `false` for a
    /// consumer that skips some messages without writing anything.
    fn records_every_message(&self) -> bool {
        false
    }

    /// Whether all its work may wait while buyers rush an on-sale, in a split deployment
    /// ([`crate::CursorConsumer::defer_in_rush`]: the consumer pauses): `true` only when nobody
    /// waits for any of it during a sale (tickets). In one process the relay holds deferrable
    /// events back instead, whoever consumes them.
    fn waits_in_rush(&self) -> bool {
        false
    }

    /// Handles several events, in order. Override it to handle them in one transaction: the
    /// relay's consumers then cost one `BEGIN`/`COMMIT` (and one turn on the single writer) per
    /// batch instead of per event. All or nothing: on an error the relay hands the events over
    /// one by one with [`Subscriber::handle`] (events already handled are skipped by their ids).
    ///
    /// # Errors
    /// Any error; the relay then falls back to one event at a time.
    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        for delivery in deliveries {
            self.handle(delivery).await?;
        }
        Ok(())
    }
}

/// A cheap handle that services use to wake the relay after committing events.
#[derive(Debug, Clone, Default)]
pub struct RelayHandle {
    signal: Arc<Notify>,
    /// Set once the events left from before this process started are delivered (or another
    /// process relays them): what `/ready` waits for after a restart.
    caught_up: Arc<std::sync::atomic::AtomicBool>,
    /// This process's consumers of the outbox in a split deployment, and how they stand.
    consumers: crate::ConsumerBoard,
}

impl RelayHandle {
    /// Asks the relay to look at the outbox now rather than at its next poll.
    pub fn wake(&self) {
        self.signal.notify_one();
    }

    /// This process's consumers in a split deployment (none in one process: the relay hands
    /// every message over itself).
    pub fn consumers(&self) -> &crate::ConsumerBoard {
        &self.consumers
    }

    /// Whether the backlog found at start-up has been delivered.
    pub fn has_caught_up(&self) -> bool {
        self.caught_up.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn mark_caught_up(&self) {
        if !self
            .caught_up
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::info!("the outbox backlog found at start-up is delivered");
        }
    }
}

/// Delivers outbox messages to in-process subscribers, and to Kafka when configured.
pub struct Relay {
    db: Database,
    clock: Arc<dyn Clock>,
    subscribers: Vec<Arc<dyn Subscriber>>,
    handle: RelayHandle,
    kafka: Option<Arc<KafkaPublisher>>,
    rush: Option<RushGate>,
    /// Keys whose earliest undelivered message waits for a retry ([`HeldBack`]); `None` until
    /// read from the outbox (at the first round, and again whenever this process becomes the
    /// relaying one: another may have postponed messages meanwhile).
    held_back: Mutex<Option<HashMap<String, HeldBack>>>,
    /// In a split deployment: gives each message its delivery position instead of handing it
    /// to subscribers (they read it from the database: [`crate::CursorConsumer`]).
    sequence: bool,
}

/// A key held back: its message `seq` failed and is retried at `until`; no later message of the
/// key may go before it. The postponement pushes back the key's later messages already written
/// (`postpone`), but one written afterwards is due at once; without this it overtook the failed
/// one (say, an expiry delivered before the hold it expires).
#[derive(Debug, Clone, Copy)]
struct HeldBack {
    seq: i64,
    until: DateTime<Utc>,
}

/// The keys held back, read from the outbox: the earliest message of each key that waits for a
/// later attempt (the failed one; those behind it wait as long).
const HELD_BACK: &str = "select message_key, min(seq) as seq, max(next_attempt_at) as until
     from outbox_messages where published_at is null and next_attempt_at > $1 group by message_key";

/// Pushes a key's later messages back to the retry of its failed one.
const BEHIND: &str = "update outbox_messages set next_attempt_at = $1
     where message_key = $2 and published_at is null and seq > $3 and next_attempt_at < $1";

/// The messages a round of the relay reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// Every due message.
    All,
    /// The due messages that are not deferrable (in a rush).
    Urgent,
}

/// Due messages in commit order ([`Lane::All`]).
const PENDING_ALL: &str = "select seq, message_id, topic, message_key, payload, occurred_at, attempts from outbox_messages
     where published_at is null and next_attempt_at <= $1 order by seq limit $2";

/// Due messages that are not deferrable, in commit order ([`Lane::Urgent`]). The condition
/// `may_wait = 0` is written as in the index `outbox_messages_pending_urgent`, so that this
/// read never steps over the held-back messages.
const PENDING_URGENT: &str = "select seq, message_id, topic, message_key, payload, occurred_at, attempts from outbox_messages
     where published_at is null and may_wait = 0 and next_attempt_at <= $1 order by seq limit $2";

const BATCH: i64 = 512;
/// The advisory lock of the relaying process (an arbitrary constant).
const RELAY_LOCK: i64 = 0x6f75_7462_6f78;
const POLL: Duration = Duration::from_millis(500);
/// In a split deployment, the least time between two wake-ups of the consumers sent by one
/// process: a sale commits events hundreds of times a second, and the consumers wait
/// `cursor::LINGER` for more after a wake-up anyway.
const NOTIFY_GAP: Duration = Duration::from_millis(20);

impl Relay {
    /// A relay over `db`, woken through `handle`.
    pub fn new(db: Database, clock: Arc<dyn Clock>, handle: RelayHandle) -> Self {
        Self {
            db,
            clock,
            subscribers: Vec::new(),
            handle,
            kafka: None,
            rush: None,
            held_back: Mutex::new(None),
            sequence: false,
        }
    }

    /// The split deployment's relay: every process's consumers read the outbox themselves
    /// ([`crate::CursorConsumer`]) by the positions messages get when written
    /// (`storage::position_at_commit`), so this one wakes them after this process's commits and,
    /// when it is the relaying process, positions a message written without one. It must have
    /// no subscribers and no Kafka publisher: Kafka is fed by a consumer of its own there.
    /// PostgreSQL only.
    pub fn sequence_for_consumers(&mut self) {
        self.sequence = true;
    }

    /// Holds deferrable events back while the server is in a rush ([`RushPolicy`]).
    pub fn defer_in_rush(&mut self, policy: RushPolicy) {
        self.rush = Some(RushGate::new(policy));
    }

    /// The lane of the next round, by the rush policy.
    fn lane(&self) -> Lane {
        match &self.rush {
            Some(gate) if gate.holds_back() => Lane::Urgent,
            _ => Lane::All,
        }
    }

    /// After a round of every message that found fewer than a full batch: nothing is held back
    /// any more, so the next rush round starts a new wait.
    fn caught_up(&self) {
        if let Some(gate) = &self.rush {
            gate.caught_up();
        }
    }

    /// Also publishes every message to Kafka; a message counts as delivered once the broker
    /// has it. Creates the subscribed topics now.
    ///
    /// # Errors
    /// When the topics cannot be created.
    pub async fn publish_to(&mut self, kafka: Arc<KafkaPublisher>) -> anyhow::Result<()> {
        let mut topics: Vec<&str> = self
            .subscribers
            .iter()
            .flat_map(|s| s.topics().iter().copied())
            .collect();
        topics.sort_unstable();
        topics.dedup();
        kafka.ensure_topics(&topics).await?;
        self.kafka = Some(kafka);
        Ok(())
    }

    /// Adds a subscriber.
    pub fn subscribe(&mut self, subscriber: Arc<dyn Subscriber>) {
        self.subscribers.push(subscriber);
    }

    /// Delivers messages until none is due; returns how many were completed.
    ///
    /// # Errors
    /// When the outbox cannot be read or updated (subscriber failures are retried, not returned).
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let (completed, seen) = self.run_once().await?;
            total += completed;
            if completed == 0 || seen < BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// Delivers every message due now, as one round of [`Relay::run`] does (without asking for
    /// the relay's lock): the in-process test harness's step. Returns how many were completed.
    ///
    /// # Errors
    /// When the outbox cannot be read or updated.
    pub async fn deliver_pending(&self) -> anyhow::Result<usize> {
        let delivered = self.drain().await?;
        self.handle.mark_caught_up();
        Ok(delivered)
    }

    /// Runs until `shutdown` turns true, delivering messages as they are committed. Of several
    /// processes sharing a PostgreSQL database, one relays at a time (the others stand by and
    /// take over when it stops): at least once either way, but without doubling every event.
    ///
    /// In a split deployment messages are positioned in the transactions that write them
    /// (`storage::position_at_commit`): a process that committed events wakes the consumers of
    /// every process itself (`NOTIFY`, at most one per `NOTIFY_GAP`), and the relaying one
    /// only positions, at its poll, a message written without a position (one put back by an
    /// operator).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut leadership: Option<storage::Leadership> = None;
        let mut woken = false;
        let mut drained = Instant::now();
        // When this process last asked for the relay's lock while another holds it
        // (`cursor::ASK_EVERY`: not at every wake).
        let mut asked: Option<Instant> = None;
        loop {
            if let Some(held) = &mut leadership
                && !held.is_held().await
            {
                tracing::warn!("lost the relay's lock (database connection gone); asking again");
                leadership = None;
                asked = None;
            }
            if leadership.is_none()
                && asked.is_none_or(|at| at.elapsed() >= crate::cursor::ASK_EVERY)
            {
                asked = Some(Instant::now());
                leadership = match self.db.try_lead(RELAY_LOCK).await {
                    Ok(Some(granted)) => {
                        // Another process may have postponed messages while it relayed.
                        self.forget_held_back();
                        Some(granted)
                    }
                    Ok(None) => None,
                    Err(error) => {
                        tracing::error!(%error, "cannot ask for the relay's lock; retrying");
                        None
                    }
                };
            }
            if self.sequence && woken {
                if let Err(error) = self.db.notify(crate::cursor::SEQUENCED).await {
                    // The consumers poll as well: a lost wake-up only delays them.
                    tracing::warn!(%error, "cannot wake the consumers");
                }
                // Commits meanwhile are told with the next one.
                tokio::time::sleep(NOTIFY_GAP).await;
            }
            if leadership.is_none() {
                // Another process relays: its backlog is not this one's to wait for.
                self.handle.mark_caught_up();
            } else if !(self.sequence && woken) || drained.elapsed() >= POLL {
                // (In a split deployment a wake-up is not work for the relay: it drains at
                // its poll, even in a sale that wakes it all the time.)
                drained = Instant::now();
                match self.drain().await {
                    Ok(_) => self.handle.mark_caught_up(),
                    Err(error) => {
                        tracing::error!(error = %format!("{error:#}"), "outbox relay failed; retrying");
                    }
                }
            }
            woken = false;
            tokio::select! {
                () = self.handle.signal.notified() => woken = true,
                () = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// One batch: returns (messages completed, messages looked at).
    async fn run_once(&self) -> anyhow::Result<(usize, usize)> {
        let now = self.clock.now();
        let lane = self.lane();
        let sql = match lane {
            Lane::All => PENDING_ALL,
            Lane::Urgent => PENDING_URGENT,
        };
        let rows: Vec<PendingRow> = Statement::new(sql)
            .bind(to_micros(now))
            .bind(BATCH)
            .fetch_all(self.db.read().await?.conn())
            .await?;
        let seen = rows.len();
        if lane == Lane::All && seen < BATCH as usize {
            self.caught_up();
        }
        let held_back = self.held_back(now).await?;
        let mut overtaking: HashMap<String, HeldBack> = HashMap::new();
        let mut pending = Vec::with_capacity(rows.len());
        for row in rows {
            if let Some(held) = held_back.get(&row.message_key)
                && row.seq > held.seq
            {
                overtaking.insert(row.message_key, *held);
                continue;
            }
            let delivery = Delivery {
                message_id: MessageId(row.message_id),
                topic: row.topic,
                key: row.message_key,
                payload: serde_json::value::RawValue::from_string(row.payload)?,
                occurred_at: from_micros(row.occurred_at),
            };
            pending.push((row.seq, row.attempts, delivery));
        }
        // Rare (a failure, then a new message of its key): they wait with the ones behind it,
        // so they do not come back at the head of every read until then.
        for (key, held) in &overtaking {
            self.push_back(key, *held).await?;
        }
        let messages: Vec<&Delivery> = pending.iter().map(|(_, _, d)| d).collect();
        let outcomes = self.deliver_all(&messages).await;
        let mut delivered: Vec<(i64, i64, Delivery)> = Vec::new();
        for ((seq, attempts, delivery), outcome) in pending.into_iter().zip(outcomes) {
            match outcome {
                Outcome::Delivered => delivered.push((seq, attempts, delivery)),
                Outcome::Waiting => {}
                Outcome::Failed(error) => {
                    metrics::counter!("outbox_delivery_failures_total").increment(1);
                    self.postpone(seq, &delivery, attempts, &error).await?;
                }
            }
        }
        let completed = self.publish(delivered).await?;
        if !completed.is_empty() {
            let mark = if self.sequence {
                mark_sequenced(self.db.backend(), &completed, to_micros(now))?
            } else {
                mark_published(self.db.backend(), &completed, to_micros(now))
            };
            mark.execute_alone(&self.db).await?;
            metrics::counter!("outbox_messages_relayed_total").increment(completed.len() as u64);
            if self.sequence
                && let Err(error) = self.db.notify(crate::cursor::SEQUENCED).await
            {
                // The consumers poll as well: a lost wake-up only delays them.
                tracing::warn!(%error, "cannot wake the consumers");
            }
        }
        Ok((completed.len(), seen))
    }

    /// Publishes the batch to Kafka, all messages at once, and returns the sequence numbers the
    /// broker acknowledged. After a failure, later messages of the same key are not counted
    /// either: they go again, after the failed one (consumers drop the repeats by message id).
    async fn publish(&self, delivered: Vec<(i64, i64, Delivery)>) -> anyhow::Result<Vec<i64>> {
        let Some(kafka) = &self.kafka else {
            return Ok(delivered.into_iter().map(|(seq, _, _)| seq).collect());
        };
        let acks =
            futures::future::join_all(delivered.iter().map(|(_, _, d)| kafka.publish(d))).await;
        let mut completed = Vec::with_capacity(delivered.len());
        let mut failed_keys: HashSet<String> = HashSet::new();
        for ((seq, attempts, delivery), ack) in delivered.into_iter().zip(acks) {
            if failed_keys.contains(&delivery.key) {
                continue;
            }
            match ack {
                Ok(()) => completed.push(seq),
                Err(error) => {
                    failed_keys.insert(delivery.key.clone());
                    self.postpone(seq, &delivery, attempts, &format!("{error:#}"))
                        .await?;
                }
            }
        }
        Ok(completed)
    }

    /// Hands `messages` (in commit order) to every subscriber of their topics, the subscribers
    /// side by side: a round then takes as long as its slowest subscriber, not their sum (each
    /// waits for its own writer turns; one after the other, the relay fell seconds behind a
    /// sale). Subscribers are independent, as Kafka's consumer groups are: none relies on
    /// another having handled a message first.
    async fn deliver_all(&self, messages: &[&Delivery]) -> Vec<Outcome> {
        let each = futures::future::join_all(
            self.subscribers
                .iter()
                .map(|subscriber| deliver_to(subscriber.as_ref(), messages)),
        )
        .await;
        let mut outcomes: Vec<Outcome> = messages.iter().map(|_| Outcome::Delivered).collect();
        for theirs in each {
            for (outcome, their) in outcomes.iter_mut().zip(theirs) {
                outcome.merge(their);
            }
        }
        outcomes
    }

    async fn postpone(
        &self,
        seq: i64,
        delivery: &Delivery,
        attempts: i64,
        error: &str,
    ) -> anyhow::Result<()> {
        if attempts + 1 >= crate::parked::MAX_ATTEMPTS {
            return self.park(seq, delivery, error).await;
        }
        tracing::warn!(
            message.id = %delivery.message_id,
            message.topic = %delivery.topic,
            attempts = attempts + 1,
            error,
            "event delivery failed; will retry"
        );
        let next = self.clock.now() + retry_delay(attempts);
        let sql = "update outbox_messages set attempts = attempts + 1, next_attempt_at = $1, last_error = $2
             where message_id = $3";
        // Later messages of the key wait as long, so the next round cannot hand them over
        // before this one (an expiry before the hold it expires); those written later are held
        // back by `held_back`.
        let mut tx = self.db.begin().await?;
        Statement::new(sql)
            .bind(to_micros(next))
            .bind(error)
            .bind(delivery.message_id.uuid())
            .execute(tx.conn())
            .await
            .map(drop)?;
        Statement::new(BEHIND)
            .bind(to_micros(next))
            .bind(&delivery.key)
            .bind(seq)
            .execute(tx.conn())
            .await
            .map(drop)?;
        tx.commit().await?;
        let mut held_back = self
            .held_back
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(keys) = held_back.as_mut() {
            let held = keys
                .entry(delivery.key.clone())
                .or_insert(HeldBack { seq, until: next });
            held.seq = held.seq.min(seq);
            held.until = held.until.max(next);
        }
        Ok(())
    }

    /// Takes a message that failed [`crate::parked::MAX_ATTEMPTS`] times out of the queue (see
    /// `parked`); the messages of its key behind it go on at their own time.
    async fn park(&self, seq: i64, delivery: &Delivery, error: &str) -> anyhow::Result<()> {
        tracing::error!(
            message.id = %delivery.message_id,
            message.topic = %delivery.topic,
            message.key = %delivery.key,
            error,
            "event parked after {} failed attempts: listed at GET /admin/outbox/parked",
            crate::parked::MAX_ATTEMPTS
        );
        metrics::counter!("outbox_parked_messages_total", "topic" => delivery.topic.clone())
            .increment(1);
        let now = to_micros(self.clock.now());
        Statement::new(
            "update outbox_messages set attempts = attempts + 1, last_error = $1, parked_at = $2, published_at = $2
             where message_id = $3",
        )
        .bind(error)
        .bind(now)
        .bind(delivery.message_id.uuid())
        .execute_alone(&self.db)
        .await
            .map(drop)?;
        let mut held_back = self
            .held_back
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(keys) = held_back.as_mut()
            && keys.get(&delivery.key).is_some_and(|held| held.seq >= seq)
        {
            keys.remove(&delivery.key);
        }
        Ok(())
    }

    /// The keys held back at `now`, read from the outbox the first time; keys whose retry is
    /// due are let go (the failed message comes first again, in commit order).
    async fn held_back(&self, now: DateTime<Utc>) -> anyhow::Result<HashMap<String, HeldBack>> {
        let known = self
            .held_back
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut keys = match known {
            Some(keys) => keys,
            None => {
                let rows: Vec<(String, i64, i64)> = Statement::new(HELD_BACK)
                    .bind(to_micros(now))
                    .fetch_all(self.db.read().await?.conn())
                    .await?;
                rows.into_iter()
                    .map(|(key, seq, until)| {
                        let until = from_micros(until);
                        (key, HeldBack { seq, until })
                    })
                    .collect()
            }
        };
        keys.retain(|_, held| held.until > now);
        *self
            .held_back
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(keys.clone());
        Ok(keys)
    }

    /// Reads the held-back keys from the outbox again at the next round.
    fn forget_held_back(&self) {
        *self
            .held_back
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Makes `key`'s messages after the failed one wait for its retry.
    async fn push_back(&self, key: &str, held: HeldBack) -> anyhow::Result<()> {
        Statement::new(BEHIND)
            .bind(to_micros(held.until))
            .bind(key)
            .bind(held.seq)
            .execute_alone(&self.db)
            .await
            .map(drop)?;
        Ok(())
    }
}

storage::row! {
    /// An outbox message waiting for delivery.
    struct PendingRow {
        seq: i64,
        message_id: uuid::Uuid,
        topic: String,
        message_key: String,
        payload: String,
        occurred_at: i64,
        attempts: i64,
    }
}

/// Marks a batch delivered and gives its messages their delivery positions, in the batch's
/// (commit) order, after the last one given (`outbox_positions`, whose row lock orders this
/// with the positions given at commit: migrations/postgres/0022_outbox_positions.sql).
fn mark_sequenced(backend: Backend, seqs: &[i64], at: i64) -> anyhow::Result<Statement<'_>> {
    anyhow::ensure!(
        backend == Backend::Postgres,
        "a split deployment needs PostgreSQL"
    );
    let count = i64::try_from(seqs.len())?;
    let sql = "with p as (update outbox_positions set last = last + $3 returning last)
         update outbox_messages m set published_at = $1,
            delivery_seq = (select last from p) - $3 + t.ord
         from unnest($2::bigint[]) with ordinality as t(seq, ord) where m.seq = t.seq";
    Ok(Statement::new(sql).bind(at).bind(seqs).bind(count))
}

/// Marks a batch delivered in one statement (the list is an array on PostgreSQL, JSON text
/// on SQLite, which has no array parameters).
fn mark_published(backend: Backend, seqs: &[i64], at: i64) -> Statement<'_> {
    let sql = match backend {
        Backend::Sqlite => {
            "update outbox_messages set published_at = $1 where seq in (select value from json_each($2))"
        }
        Backend::Postgres => "update outbox_messages set published_at = $1 where seq = any($2)",
    };
    Statement::new(sql).bind(at).bind(seqs)
}
