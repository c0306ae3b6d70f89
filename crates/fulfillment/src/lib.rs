//! Fulfillment: tickets — one per seat of a completed order — their PDFs with a signed QR code,
//! and check-in at the door.
//!
//! Tables: `fulfillment_tickets`.
//! Events in: `order-completed` (issue the tickets, exactly once per seat).
//! Events out: `ticket-issued` (notification e-mails them), `ticket-checked-in`.
//!
//! The QR code carries a compact token signed with Ed25519 (`BX1.` + base64url of ticket id,
//! event id, seat id and signature), so a door scanner can verify a ticket offline with the key
//! published at `GET /tickets/public-key`.

mod domain;
mod error;
mod events;
mod http;
mod pdf;
mod ports;
mod service;
mod store;
mod token;

pub use domain::{CheckInResult, Ticket, TicketStatus, void_sentence};
pub use error::FulfillmentError;
pub use events::{FulfillmentSubscriber, TicketCheckedIn, TicketIssued};
pub use http::{attendees_download, openapi, router};
pub use ports::{EventDetails, EventFacts};
pub use service::FulfillmentService;
pub use token::{TicketSigner, TicketToken, verify_with};
