//! What the waitlist asks other contexts. The three in-transaction ports take the transaction of
//! the hand-over, so the token, the order and the hold are written together or not at all.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, ReservationId, SeatId};
use storage::Tx;

/// An event as the waitlist needs to see it when someone joins.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventForWaitlist {
    /// Name (for order lines and e-mails).
    pub name: String,
    /// Currency of its prices.
    pub currency: String,
    /// Active and not yet happened.
    pub on_sale: bool,
    /// Seats free to hold right now.
    pub available_seats: i64,
}

/// The catalog's view of events.
#[async_trait::async_trait]
pub trait EventFacts: Send + Sync + 'static {
    /// The event, if it exists.
    ///
    /// # Errors
    /// When the catalog cannot be asked.
    async fn event(&self, id: EventId) -> anyhow::Result<Option<EventForWaitlist>>;
}

/// A seat inventory just freed.
#[derive(Debug, Clone, PartialEq)]
pub struct FreedSeat {
    /// The hold that ended.
    pub reservation_id: ReservationId,
    /// The seat.
    pub seat_id: SeatId,
    /// Its event.
    pub event_id: EventId,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// Price.
    pub price: Money,
}

/// Identity's guest tokens.
#[async_trait::async_trait]
pub trait GuestTokenIssuer: Send + Sync + 'static {
    /// A fresh guest token, recorded in `tx`.
    ///
    /// # Errors
    /// When the database fails.
    async fn issue_in(&self, tx: &mut Tx, now: DateTime<Utc>) -> anyhow::Result<String>;
}

/// The order created for an offer.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedOrder {
    /// Its id.
    pub order_id: OrderId,
    /// The owner.
    pub guest_token: String,
    /// Where the tickets go.
    pub email: String,
    /// The seat.
    pub seat: FreedSeat,
    /// The event's name.
    pub event_name: String,
    /// Currency.
    pub currency: String,
    /// The hold that keeps the seat.
    pub reservation_id: ReservationId,
}

/// Ordering's orders.
#[async_trait::async_trait]
pub trait OfferOrders: Send + Sync + 'static {
    /// Records `order` as `pending` in `tx`.
    ///
    /// # Errors
    /// When the database fails.
    async fn place_in(
        &self,
        tx: &mut Tx,
        order: &OfferedOrder,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()>;
}

/// Inventory's holds, released when an offer is withdrawn.
#[async_trait::async_trait]
pub trait OfferHolds: Send + Sync + 'static {
    /// Releases the hold in `tx` (a no-op when it already ended); the seat then goes to the next
    /// person in line, through the same hand-over.
    ///
    /// # Errors
    /// When the database fails.
    async fn release_in(
        &self,
        tx: &mut Tx,
        reservation: ReservationId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()>;
}
