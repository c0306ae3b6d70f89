//! Publishing outbox messages to Kafka (`--kafka-brokers`), for consumers outside the process.
//!
//! Each message goes to the topic of its name (the reference's topics, SPEC §5), keyed by its
//! partition key, with the stored JSON as the value and `messageId` also as a header, so that a
//! consumer can deduplicate redeliveries without parsing the value. The relay marks a message
//! delivered only after the broker acknowledged it: at least once, in commit order per key (the
//! producer is idempotent, so its own retries neither reorder nor duplicate).
//!
//! Topics are created when missing (brokers such as tansu do not auto-create them): the
//! subscribed ones at start-up, any other the first time a message is published to it.

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use crate::Delivery;

/// How long a message may wait for the broker before the relay retries it.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A Kafka producer for outbox messages.
pub struct KafkaPublisher {
    producer: FutureProducer,
    admin: AdminClient<DefaultClientContext>,
    /// Topics known to exist (created by us or found present).
    ready_topics: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for KafkaPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaPublisher").finish_non_exhaustive()
    }
}

/// A client context that keeps quiet: the start-up probe reports its failure in one sentence,
/// not as librdkafka's stream of connection errors.
struct Quiet;

impl ClientContext for Quiet {
    fn log(&self, _level: RDKafkaLogLevel, _fac: &str, _log_message: &str) {}
    fn error(&self, _error: KafkaError, _reason: &str) {}
}

impl rdkafka::consumer::ConsumerContext for Quiet {}

/// Asks the brokers for their metadata once, so that a start-up with a broker that does not
/// answer fails at once with one clear sentence instead of logging connection errors forever.
///
/// # Errors
/// When no broker answers within `within`.
pub async fn check_brokers(brokers: &str, within: Duration) -> anyhow::Result<()> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    let probe: rdkafka::consumer::BaseConsumer<Quiet> = config.create_with_context(Quiet)?;
    let answered = tokio::task::spawn_blocking(move || {
        rdkafka::consumer::Consumer::fetch_metadata(&probe, None, within).map(drop)
    })
    .await?;
    answered.map_err(|e| {
        anyhow::anyhow!(
            "no Kafka broker answers at {brokers} (waited {} s: {e}); start one there, or correct \
             --kafka-brokers (BOXOFFICE_KAFKA_BROKERS, kafka-brokers in boxoffice.toml)",
            within.as_secs()
        )
    })
}

impl KafkaPublisher {
    /// A producer for the brokers `brokers` (`host:port[,host:port…]`).
    ///
    /// # Errors
    /// When the client cannot be configured (the brokers are contacted lazily).
    pub fn new(brokers: &str) -> anyhow::Result<Self> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("enable.idempotence", "true")
            .set("message.timeout.ms", SEND_TIMEOUT.as_millis().to_string())
            .set("linger.ms", "2");
        Ok(Self {
            producer: config.create()?,
            admin: config.create()?,
            ready_topics: Mutex::new(HashSet::new()),
        })
    }

    /// Creates the topics that do not exist yet (one partition each; an existing topic is
    /// left as it is).
    ///
    /// # Errors
    /// When the broker refuses or cannot be reached.
    pub async fn ensure_topics(&self, topics: &[&str]) -> anyhow::Result<()> {
        let missing: Vec<&str> = {
            let ready = self.lock_topics();
            topics
                .iter()
                .copied()
                .filter(|t| !ready.contains(*t))
                .collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let new: Vec<NewTopic<'_>> = missing
            .iter()
            .map(|t| NewTopic::new(t, 1, TopicReplication::Fixed(1)))
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(SEND_TIMEOUT));
        for result in self.admin.create_topics(&new, &options).await? {
            match result {
                Ok(topic) | Err((topic, RDKafkaErrorCode::TopicAlreadyExists)) => {
                    self.lock_topics().insert(topic);
                }
                Err((topic, code)) => anyhow::bail!("cannot create Kafka topic {topic}: {code}"),
            }
        }
        Ok(())
    }

    /// Publishes one message and waits for the broker's acknowledgement.
    ///
    /// # Errors
    /// When the topic cannot be created or the broker does not acknowledge in time.
    pub async fn publish(&self, delivery: &Delivery) -> anyhow::Result<()> {
        self.ensure_topics(&[delivery.topic.as_str()]).await?;
        let message_id = delivery.message_id.to_string();
        let headers = OwnedHeaders::new().insert(Header {
            key: "messageId",
            value: Some(message_id.as_str()),
        });
        let record = FutureRecord::to(&delivery.topic)
            .key(delivery.key.as_str())
            .payload(delivery.payload.get())
            .headers(headers);
        self.producer
            .send(record, SEND_TIMEOUT)
            .await
            .map_err(|(error, _)| {
                anyhow::anyhow!(
                    "Kafka did not take {} message {message_id}: {error}",
                    delivery.topic
                )
            })?;
        Ok(())
    }

    fn lock_topics(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A panic while holding the lock leaves a plain set of names behind: still usable.
        self.ready_topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Feeds `subscriber` from Kafka as the consumer group of its name, until `shutdown` turns true:
/// the split mode's counterpart of the in-process relay. A message is committed only after the
/// subscriber handled it; a failure is retried, with backoff, before the partition moves on, so
/// order per key holds. Redeliveries (a crash before the commit) are dropped by the subscriber's
/// own record of processed message ids.
///
/// # Errors
/// When the topics cannot be created or the consumer cannot be set up.
pub async fn consume(
    brokers: &str,
    subscriber: std::sync::Arc<dyn crate::Subscriber>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    use rdkafka::Message;
    use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};

    KafkaPublisher::new(brokers)?
        .ensure_topics(subscriber.topics())
        .await?;
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", subscriber.name())
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()?;
    consumer.subscribe(subscriber.topics())?;
    loop {
        let received = tokio::select! {
            received = consumer.recv() => received,
            _ = shutdown.changed() => return Ok(()),
        };
        let message = match received {
            Ok(message) => message,
            Err(error) => {
                tracing::warn!(consumer = subscriber.name(), %error, "Kafka receive failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        match delivery_of(&message) {
            Ok(delivery) => {
                if !handle_until_done(subscriber.as_ref(), &delivery, &mut shutdown).await {
                    return Ok(());
                }
            }
            // Not one of ours (no JSON, no message id): nothing any retry could fix.
            Err(error) => tracing::error!(
                consumer = subscriber.name(),
                topic = message.topic(),
                offset = message.offset(),
                error = %format!("{error:#}"),
                "skipping a Kafka message that is not an outbox event"
            ),
        }
        consumer.commit_message(&message, CommitMode::Async)?;
    }
}

/// Retries `subscriber` on `delivery` until it succeeds; false if shut down first.
async fn handle_until_done(
    subscriber: &dyn crate::Subscriber,
    delivery: &Delivery,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    let mut attempts: u32 = 0;
    loop {
        match subscriber.handle(delivery).await {
            Ok(()) => return true,
            Err(error) => {
                attempts += 1;
                tracing::warn!(
                    consumer = subscriber.name(),
                    message.id = %delivery.message_id,
                    message.topic = %delivery.topic,
                    attempts,
                    error = %format!("{error:#}"),
                    "event handling failed; will retry"
                );
                let backoff = Duration::from_millis(200 * 2_u64.pow(attempts.min(8)));
                tokio::select! {
                    () = tokio::time::sleep(backoff.min(Duration::from_secs(60))) => {}
                    _ = shutdown.changed() => return false,
                }
            }
        }
    }
}

/// The outbox event inside a Kafka message (as [`KafkaPublisher::publish`] wrote it).
fn delivery_of(message: &rdkafka::message::BorrowedMessage<'_>) -> anyhow::Result<Delivery> {
    use rdkafka::Message;

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Stamps {
        message_id: uuid::Uuid,
        occurred_at: chrono::DateTime<chrono::Utc>,
    }
    let text = std::str::from_utf8(message.payload().unwrap_or_default())?;
    let stamps: Stamps = serde_json::from_str(text)?;
    Ok(Delivery {
        message_id: kernel::MessageId(stamps.message_id),
        topic: message.topic().to_string(),
        key: String::from_utf8_lossy(message.key().unwrap_or_default()).into_owned(),
        payload: serde_json::value::RawValue::from_string(text.to_string())?,
        occurred_at: stamps.occurred_at,
    })
}
