//! The transactional outbox: every event is written in the same database transaction as the
//! state change that caused it, then delivered at least once by the relay: to in-process
//! subscribers, and to Kafka with `--kafka-brokers` ([`KafkaPublisher`]); in a split deployment
//! each process feeds its subscribers from Kafka instead ([`consume`]).
//!
//! This crate also owns [`Database`], the handle every context's store uses, because a state
//! change and its events must share one transaction: the outbox is where contexts meet.
//!
//! Tables: `outbox_messages` (pending and delivered events), `outbox_processed` (which consumer
//! has handled which message, for idempotent consumers).

pub mod checkpoint;
mod db;
pub mod direct;
mod kafka;
mod parked;
mod relay;
mod writer;

pub use db::{Backend, Conn, Database, DatabaseError, Leadership, LockKey, Pooled, Tx};
pub use direct::Direct;
pub use kafka::{KafkaPublisher, check_brokers, consume};
pub use parked::{MAX_ATTEMPTS, ParkedMessage, parked_messages, unpark};
pub use relay::{Delivery, Relay, RelayHandle, RushPolicy, Subscriber};
pub use writer::{
    Event, consume_direct, enqueue, enqueue_direct, mark_all_processed, mark_processed,
};
