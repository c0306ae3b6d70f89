//! What the catalog needs to know from inventory, at the instant of a request.

use kernel::{EventId, Money, SeatId};
use std::collections::HashMap;

/// A seat that is not available for sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TakenState {
    /// Under an active, unexpired hold.
    Reserved,
    /// Bought.
    Sold,
    /// Held back by the organiser: not on sale.
    Blocked,
}

/// Per-event counts of taken seats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventCounts {
    /// Seats under an active hold.
    pub reserved: u64,
    /// Seats held back by the organiser.
    #[serde(default)]
    pub blocked: u64,
    /// Of those, seats offered to someone on the waitlist.
    pub offered: u64,
    /// Seats sold.
    pub sold: u64,
    /// Sum of the prices of the sold seats.
    pub revenue: Money,
}

/// Live seat availability, owned by inventory.
#[async_trait::async_trait]
pub trait SeatAvailability: Send + Sync + 'static {
    /// The seats of `event` that are held or sold right now (all others are free).
    ///
    /// # Errors
    /// When inventory cannot be asked.
    async fn taken_seats(&self, event: EventId) -> anyhow::Result<HashMap<SeatId, TakenState>>;

    /// Counts of taken seats for each of `events` (missing events have none).
    ///
    /// # Errors
    /// When inventory cannot be asked.
    async fn counts(&self, events: &[EventId]) -> anyhow::Result<HashMap<EventId, EventCounts>>;
}
