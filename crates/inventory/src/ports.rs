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
}
