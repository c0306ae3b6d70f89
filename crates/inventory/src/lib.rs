//! Inventory: seat availability and holds ("reservations"), and their expiry.
//!
//! Tables: `inventory_seats`, `inventory_reservations`.
//! Events out: `reservation-created`, `reservation-expired`, `reservation-released`.
//! Events in: `seats-generated` (seat details for revenue), `payment-succeeded` (holds to
//! confirm: the seats are sold), `cart-item-removed`, `order-cancelled` (holds to release).
//! Whether a seat exists and is on sale is asked of the catalog at every hold, through the
//! [`SeatDirectory`] port.
//!
//! Invariant 1 (a seat has at most one active hold and is sold at most once) is enforced by the
//! database: a partial unique index on `inventory_reservations (seat_id)` over the `active` and
//! `confirmed` rows. A lapsed hold is expired in the same transaction that grants the next one,
//! so a hold stops counting at `expiresAt` exactly, whatever the sweeper's pace.

mod domain;
mod error;
mod events;
mod http;
mod ports;
mod queries;
mod service;
mod store;

pub use domain::best::{stage_order, stage_point};
pub use domain::{Block, CustomerId, Hold, HoldStatus, MAX_BLOCK_REASON, TakenSeat};
pub use error::InventoryError;
pub use events::{
    InventorySubscriber, ReservationCreated, ReservationExpired, ReservationReleased,
};
pub use http::{openapi, router};
pub use ports::{
    FreedSeat, HoldPayments, NoPayments, NoSuccession, SeatDirectory, SeatListing, SeatSuccession,
    SeatsQuery, Successor,
};
pub use queries::{EventCounts, InventoryQueries, SeatTaken};
pub use service::{
    BestHolds, BestRequest, HeldBackSeat, HeldSeat, HoldRequest, HoldSettings, InventoryService,
    MAX_SELECTION, SeatSelection,
};
