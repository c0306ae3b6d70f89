//! Notification: e-mail — the tickets (PDFs attached) when they are issued, and a notice when a
//! hold lapses.
//!
//! Tables: `notification_messages` (every message, its status and delivery attempts).
//! Events in: `ticket-issued`, `reservation-expired`. Events out: none.
//!
//! A consumer composes the message and stores it (deduplicated per order or hold) in its own
//! transaction; a sender delivers stored messages by SMTP (`--smtp-url`) or as `.eml` files under
//! `<data-dir>/mail/`, retrying failures with exponential backoff.

mod compose;
mod error;
mod events;
mod http;
mod mailer;
mod ports;
mod service;
mod store;

pub use error::NotificationError;
pub use events::NotificationSubscriber;
pub use http::{openapi, router};
pub use mailer::Mailer;
pub use ports::TicketDocuments;
pub use service::{NotificationRecord, NotificationService};
