//! What inventory asks other contexts: the catalog for the facts of a seat it has not heard of
//! yet, the waitlist for who gets a freed seat.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, ReservationId, SeatId};
use storage::Tx;

/// A seat as the catalog lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeatListing {
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
    /// Whether the event is active.
    pub is_active: bool,
    /// When the event takes place.
    pub event_date: DateTime<Utc>,
    /// When its seats go on sale (`None`: at once).
    #[serde(default)]
    pub sales_start: Option<DateTime<Utc>>,
    /// When they come off sale (`None`: when it starts).
    #[serde(default)]
    pub sales_end: Option<DateTime<Utc>>,
    /// A wheelchair space or a companion seat: best-available leaves it to those who need it.
    #[serde(default)]
    pub accessible: bool,
    /// Whether a hold of the event may be extended once, by the hold time.
    #[serde(default)]
    pub hold_extension: bool,
    /// The seat's price category, if the event has categories.
    #[serde(default)]
    pub category: Option<String>,
    /// Where the seat stands, in seat widths, on a layout with positions.
    #[serde(default)]
    pub position: Option<(f64, f64)>,
    /// Where the event's stage stands, if its layout says.
    #[serde(default)]
    pub stage: Option<(f64, f64)>,
}

/// The catalog's seat directory, asked at every hold: whether the seat exists and its event is on
/// sale are the catalog's facts, and asking at the instant of the hold means a seat can be held
/// the moment the admin call that created it returns, and never once its event is withdrawn
/// (an event-fed copy would lag behind both).
#[async_trait::async_trait]
pub trait SeatDirectory: Send + Sync + 'static {
    /// The seat, if the catalog knows it.
    ///
    /// # Errors
    /// When the catalog cannot be asked.
    async fn locate(&self, seat: SeatId) -> anyhow::Result<Option<SeatListing>>;

    /// The seats of `query.event`, of its section (and row) when given, in place order (an
    /// organiser's selection of seats to hold back).
    ///
    /// # Errors
    /// When the catalog cannot be asked.
    async fn seats_of_event(&self, query: &SeatsQuery) -> anyhow::Result<Vec<SeatListing>>;
}

/// Which seats of an event [`SeatDirectory::seats_of_event`] lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeatsQuery {
    /// The event.
    pub event: EventId,
    /// Only this section…
    pub section_code: Option<String>,
    /// …and this row of it.
    pub row_number: Option<i64>,
}

/// A seat that was just freed (its hold lapsed or was released), as the next claimant sees it.
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
    /// Price recorded when the seat was first held.
    pub price: Money,
}

/// Who the freed seat goes to instead of going back on sale.
#[derive(Debug, Clone, PartialEq)]
pub struct Successor {
    /// The id of the hold to create (the claimant may already refer to it, e.g. in an order).
    pub reservation_id: ReservationId,
    /// The new holder.
    pub customer_id: String,
    /// When the new hold lapses.
    pub expires_at: DateTime<Utc>,
}

/// Asked inside the very transaction that frees a seat whether someone is waiting for it (the
/// waitlist). Sharing the transaction is what makes the hand-over atomic: the seat is never
/// free and offered at once, and a crash leaves either the old state or the whole hand-over.
#[async_trait::async_trait]
pub trait SeatSuccession: Send + Sync + 'static {
    /// The next holder of `freed`, if anyone waits for it; may write its own rows in `tx`.
    ///
    /// # Errors
    /// When the database fails; the freeing transaction is then rolled back.
    async fn successor(
        &self,
        tx: &mut Tx,
        freed: &FreedSeat,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Successor>>;
}

/// Nobody ever waits: freed seats go back on sale.
pub struct NoSuccession;

#[async_trait::async_trait]
impl SeatSuccession for NoSuccession {
    async fn successor(
        &self,
        _tx: &mut Tx,
        _freed: &FreedSeat,
        _now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Successor>> {
        Ok(None)
    }
}

/// Whether a hold is being paid for, asked by an early release inside its own write transaction
/// (payments are recorded in write transactions too, so the answer cannot change before the
/// release commits; a payment claimed after the question finds the hold released and refunds).
#[async_trait::async_trait]
pub trait HoldPayments: Send + Sync + 'static {
    /// Whether an order holding `hold` has a payment in flight or succeeded.
    ///
    /// # Errors
    /// When the question cannot be asked.
    async fn is_being_paid(&self, hold: ReservationId) -> anyhow::Result<bool>;
}

/// No payments anywhere (inventory alone, as in its own tests).
pub struct NoPayments;

#[async_trait::async_trait]
impl HoldPayments for NoPayments {
    async fn is_being_paid(&self, _hold: ReservationId) -> anyhow::Result<bool> {
        Ok(false)
    }
}
