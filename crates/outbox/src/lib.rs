//! The transactional outbox's delivery side: every event is written in the same database
//! transaction as the state change that caused it (`storage::enqueue`), then delivered at
//! least once by the relay: to in-process subscribers, and to Kafka with `--kafka-brokers`
//! ([`KafkaPublisher`]); in a split deployment each message gets its delivery position when
//! its transaction commits and every process's consumers read the outbox from their cursors
//! ([`CursorConsumer`]), Kafka being fed as one more of them. Work nobody waits for waits
//! while buyers rush ([`RushPolicy`]).
//!
//! Tables: `outbox_messages` (pending and delivered events), `outbox_processed` (which consumer
//! has handled which message, for idempotent consumers); both written through `storage`.

mod cursor;
mod kafka;
mod parked;
mod relay;
mod rush;

pub use cursor::{ConsumerBoard, ConsumerStatus, CursorConsumer, STALL, run_all};
pub use kafka::{KafkaPublisher, check_brokers};
pub use parked::{
    ConsumerProgress, MAX_ATTEMPTS, Operator, ParkedMessage, parked_messages, unpark,
};
pub use relay::{Delivery, Relay, RelayHandle, Subscriber};
pub use rush::{DeploymentRush, RushPolicy};
