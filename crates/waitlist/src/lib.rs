//! Waitlist: people waiting for a sold-out event get the seats that free up, first come first
//! served.
//!
//! Tables: `waitlist_events`, `waitlist_entries`.
//! Events out: `waitlist-offered` (notification e-mails the offer), `waitlist-offer-ended`.
//! Events in: `payment-succeeded` (an offer was paid: the entry is completed),
//! `event-status-changed` (a deactivated event withdraws its offers and pauses hand-overs).
//!
//! The hand-over is atomic, unlike the original's (§8 item 11): inventory asks
//! [`Succession::successor_in`] inside the very transaction that frees a seat, and in that
//! transaction the first person in line gets a fresh guest token, a `pending` order for the seat
//! and a hold lasting the offer's time, and the offer is queued for e-mail. A seat is therefore
//! never on sale and offered at once, nobody is offered two seats of one event (an entry is
//! assigned once), and a crash keeps either the whole hand-over or none of it. When the offer's
//! hold lapses, the same path hands the seat to the next person; with nobody left it is free.

mod domain;
mod error;
mod events;
mod http;
mod ports;
mod service;
mod store;

pub use domain::{Entry, EntryStatus, Offer};
pub use error::WaitlistError;
pub use events::{WaitlistOfferEnded, WaitlistOffered, WaitlistSubscriber};
pub use http::{openapi, router};
pub use ports::{
    EventFacts, EventForWaitlist, FreedSeat, GuestTokenIssuer, OfferHolds, OfferOrders,
    OfferedOrder,
};
pub use service::{Succession, SuccessorHold, WaitlistService, WaitlistSettings};
