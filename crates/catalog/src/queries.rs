//! Read-only answers the catalog gives to other contexts (through adapters in `server`).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, SeatId};
use storage::Database;

use crate::store;

/// A seat with what other contexts need to know of it and its event.
#[derive(Debug, Clone, PartialEq)]
pub struct SeatListing {
    /// The seat.
    pub seat_id: SeatId,
    /// Its event.
    pub event_id: EventId,
    /// The event's name.
    pub event_name: String,
    /// The event's venue.
    pub venue: String,
    /// When the event takes place.
    pub event_date: DateTime<Utc>,
    /// Whether the event is active (not withdrawn).
    pub is_active: bool,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// The seat's price.
    pub price: Money,
    /// The event's currency.
    pub currency: String,
}

/// Read access to the catalogue that needs no other context, so any context may use it.
#[derive(Debug, Clone)]
pub struct CatalogQueries {
    db: Database,
}

impl CatalogQueries {
    /// Queries over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The seat and its event, if the seat exists.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn seat_listing(&self, seat: SeatId) -> anyhow::Result<Option<SeatListing>> {
        Ok(store::seat_listing(self.db.read().await?.conn(), seat).await?)
    }

    /// The event, whatever its status.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn event(&self, id: EventId) -> anyhow::Result<Option<crate::Event>> {
        let mut conn = self.db.read().await?;
        Ok(store::event(conn.conn(), id).await?)
    }
}
