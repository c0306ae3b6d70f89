//! What inventory asks the catalog: the facts of a seat it has not heard of yet.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, SeatId};

/// A seat as the catalog lists it.
#[derive(Debug, Clone, PartialEq)]
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
}

/// The catalog's seat directory. Inventory learns seats from `seats-generated`; this port
/// closes the gap between a seat's creation and that event's arrival, so a seat can be held the
/// instant the admin call that created it returns.
#[async_trait::async_trait]
pub trait SeatDirectory: Send + Sync + 'static {
    /// The seat, if the catalog knows it.
    ///
    /// # Errors
    /// When the catalog cannot be asked.
    async fn locate(&self, seat: SeatId) -> anyhow::Result<Option<SeatListing>>;
}
