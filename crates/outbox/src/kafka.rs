//! Publishing outbox messages to Kafka (`--kafka-brokers`): the public stream of every event,
//! for systems outside Boxoffice. Our own services never read it (in a split deployment they
//! read the outbox itself: `crate::cursor`).
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
