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
    /// When the event's seats go on sale (`None`: at once).
    pub sales_start: Option<DateTime<Utc>>,
    /// When they come off sale (`None`: when it starts).
    pub sales_end: Option<DateTime<Utc>>,
    /// A wheelchair space or a companion seat (marked by the organiser).
    pub accessible: bool,
    /// Whether a hold of the event may be extended once.
    pub hold_extension: bool,
    /// The seat's price category, if any.
    pub category: Option<String>,
    /// Where the seat stands, on a layout with positions.
    pub position: Option<(f64, f64)>,
    /// Where the event's stage stands, if its layout says.
    pub stage: Option<(f64, f64)>,
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

    /// The seats of `event`, of `section` (and `row`) when given, in place order; with the
    /// event's facts as [`CatalogQueries::seat_listing`] gives them.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn seats_of_event(
        &self,
        event: EventId,
        section: Option<&str>,
        row: Option<i64>,
    ) -> anyhow::Result<Vec<SeatListing>> {
        let mut conn = self.db.read().await?;
        let Some(e) = store::event(conn.conn(), event).await? else {
            return Ok(Vec::new());
        };
        let seats = store::seats_of(conn.conn(), event).await?;
        Ok(seats
            .into_iter()
            .filter(|s| section.is_none_or(|c| s.section_code == c))
            .filter(|s| row.is_none_or(|r| s.row_number == r))
            .map(|s| SeatListing {
                seat_id: s.id,
                event_id: s.event_id,
                event_name: e.name.clone(),
                venue: e.venue.clone(),
                event_date: e.event_date,
                is_active: e.status == crate::EventStatus::Active,
                section_code: s.section_code,
                row_number: s.row_number,
                seat_number: s.seat_number,
                price: s.price,
                currency: e.currency.clone(),
                sales_start: e.sales_start,
                sales_end: e.sales_end,
                accessible: s.access.is_some(),
                hold_extension: e.hold_extension,
                category: s.category,
                position: s.position,
                stage: e.stage,
            })
            .collect())
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
