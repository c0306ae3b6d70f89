//! Catalog commands and queries. Each command owns its transaction and writes its events to the
//! outbox inside it.

mod admin;
mod layout;
mod views;

pub use admin::{EventInput, EventUpdate, SectionConfiguration, SectionPrice};
pub use layout::{LayoutDocument, LayoutImport, StagePoint};
pub use views::{
    EventSummary, GenerationSummary, SalesSummary, SeatMap, SeatView, SectionSales, SectionSummary,
};

use chrono::{DateTime, Utc};
use kernel::{Clock, EventId, Money};
use outbox::RelayHandle;
use std::collections::HashMap;
use std::sync::Arc;
use storage::Database;

use crate::domain::{Event, EventStatus, Seat};
use crate::events::{GeneratedSeat, SeatsGenerated};
use crate::ports::{EventCounts, SeatAvailability, TakenState};
use crate::{CatalogError, store};

/// The catalog context.
pub struct CatalogService {
    db: Database,
    clock: Arc<dyn Clock>,
    availability: Arc<dyn SeatAvailability>,
    feed: Arc<crate::live::SeatFeed>,
    relay: RelayHandle,
}

impl CatalogService {
    /// The catalog over `db`, reading live seat status through `availability`.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        availability: Arc<dyn SeatAvailability>,
        relay: RelayHandle,
    ) -> Self {
        let reader = db.clone();
        let seat_order: crate::live::SeatOrderSource = Arc::new(move |event| {
            let db = reader.clone();
            Box::pin(async move { Ok(store::seat_ids_of(db.read().await?.conn(), event).await?) })
        });
        Self {
            db,
            clock,
            feed: Arc::new(crate::live::SeatFeed::new(availability.clone(), seat_order)),
            availability,
            relay,
        }
    }

    /// Subscribes an open seat map to the live seat states of event `id` (`live.rs`), resuming
    /// after `last_id` when it can.
    ///
    /// # Errors
    /// [`CatalogError::EventNotFound`] for an unknown id.
    pub(crate) async fn watch_seats(
        &self,
        id: EventId,
        last_id: Option<&str>,
        form: crate::live::Form,
    ) -> Result<crate::live::Subscription, CatalogError> {
        self.load_event(id).await?;
        Ok(self.feed.subscribe(id, last_id, form).await?)
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Active events that have not happened yet, latest date first, with live counts.
    ///
    /// # Errors
    /// When the database or inventory fails.
    pub async fn list_public_events(&self) -> Result<Vec<EventSummary>, CatalogError> {
        let events = store::list_events(self.db.read().await?.conn(), Some(self.now())).await?;
        self.summarize(events).await
    }

    /// Every event, including inactive and past ones.
    ///
    /// # Errors
    /// When the database or inventory fails.
    pub async fn list_all_events(&self) -> Result<Vec<EventSummary>, CatalogError> {
        let events = store::list_events(self.db.read().await?.conn(), None).await?;
        self.summarize(events).await
    }

    /// One event (any status) with live counts.
    ///
    /// # Errors
    /// [`CatalogError::EventNotFound`] for an unknown id.
    pub async fn event_summary(&self, id: EventId) -> Result<EventSummary, CatalogError> {
        let event = self.load_event(id).await?;
        let mut all = self.summarize(vec![event]).await?;
        all.pop().ok_or(CatalogError::EventNotFound(id))
    }

    async fn summarize(&self, events: Vec<Event>) -> Result<Vec<EventSummary>, CatalogError> {
        let totals = store::seat_totals(self.db.read().await?.conn()).await?;
        let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
        let counts = self.availability.counts(&ids).await?;
        let now = self.now();
        Ok(events
            .into_iter()
            .map(|event| {
                let (total, lowest) = totals.get(&event.id).copied().unwrap_or((0, 0));
                let c = counts.get(&event.id).copied().unwrap_or_default();
                let mut summary = EventSummary::new(event, total, c, now);
                summary.lowest_price = (total > 0).then(|| Money::from_cents(lowest));
                summary
            })
            .collect())
    }

    /// The seat map with each seat's status at this instant.
    ///
    /// # Errors
    /// [`CatalogError::EventNotFound`] for an unknown id.
    pub async fn seat_map(&self, id: EventId) -> Result<SeatMap, CatalogError> {
        let event = self.load_event(id).await?;
        let (seats, categories) = {
            let mut conn = self.db.read().await?;
            (
                store::seats_of(conn.conn(), id).await?,
                store::categories_of(conn.conn(), id).await?,
            )
        };
        let taken = self.availability.taken_seats(id).await?;
        let on_sale = event.is_on_sale(self.now());
        let seats = seats
            .into_iter()
            .map(|seat| {
                let state = taken.get(&seat.id);
                let status = match state {
                    Some(TakenState::Sold) => "sold",
                    Some(TakenState::Reserved) => "reserved",
                    Some(TakenState::Blocked) => "unavailable",
                    None if on_sale => "available",
                    None => "unavailable",
                };
                SeatView {
                    seat,
                    status,
                    held_back: state == Some(&TakenState::Blocked),
                }
            })
            .collect();
        Ok(SeatMap {
            event,
            seats,
            categories,
        })
    }

    /// Per-section sales of an event.
    ///
    /// # Errors
    /// [`CatalogError::EventNotFound`] for an unknown id.
    pub async fn sales(&self, id: EventId) -> Result<SalesSummary, CatalogError> {
        let map = self.seat_map(id).await?;
        Ok(SalesSummary::from_seat_map(map))
    }

    async fn load_event(&self, id: EventId) -> Result<Event, CatalogError> {
        let mut conn = self.db.read().await?;
        store::event(conn.conn(), id)
            .await?
            .ok_or(CatalogError::EventNotFound(id))
    }

    /// Writes an event and seats in one transaction and announces the seats. Used by admin
    /// commands and by the demo catalogue (which needs fixed ids).
    pub(crate) async fn insert_event_with_seats(
        &self,
        event: &Event,
        seats: &[Seat],
    ) -> Result<(), CatalogError> {
        let mut tx = self.db.begin().await?;
        store::insert_event(tx.conn(), event).await?;
        store::insert_seats(tx.conn(), seats).await?;
        announce_seats(&mut tx, event, seats, self.now()).await?;
        tx.commit().await?;
        self.relay.wake();
        Ok(())
    }

    /// Whether any event exists (to load the demo catalogue only once).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn is_empty(&self) -> Result<bool, CatalogError> {
        Ok(store::list_events(self.db.read().await?.conn(), None)
            .await?
            .is_empty())
    }

    /// Counts of taken seats per event (for views that already hold the events).
    pub(crate) async fn counts_for(&self, id: EventId) -> Result<EventCounts, CatalogError> {
        let counts: HashMap<EventId, EventCounts> = self.availability.counts(&[id]).await?;
        Ok(counts.get(&id).copied().unwrap_or_default())
    }
}

/// Most seats one `seats-generated` message carries (about 300 KB of JSON).
///
/// A venue is announced in messages of at most this many seats: one message for a
/// 100,000-seat venue was 15 MB of text, more than a Kafka broker accepts by default (1 MB),
/// and the relay and inventory held several copies of it at once (the server's peak memory).
/// Inventory records each message's seats on their own, so the split changes nothing there.
const SEATS_PER_MESSAGE: usize = 2_000;

/// Announces `seats` of `event` (none: no message) in the transaction that writes them.
async fn announce_seats(
    tx: &mut storage::Tx,
    event: &Event,
    seats: &[Seat],
    now: DateTime<Utc>,
) -> Result<(), CatalogError> {
    for message in seats_generated(event, seats, now) {
        storage::enqueue(tx.conn(), &message, now).await?;
    }
    Ok(())
}

/// The `seats-generated` messages of `seats`, [`SEATS_PER_MESSAGE`] at most in each.
fn seats_generated(event: &Event, seats: &[Seat], now: DateTime<Utc>) -> Vec<SeatsGenerated> {
    seats
        .chunks(SEATS_PER_MESSAGE)
        .map(|chunk| SeatsGenerated {
            event_id: event.id,
            seats: chunk
                .iter()
                .map(|s| GeneratedSeat {
                    seat_id: s.id,
                    section: s.section_code.clone(),
                    row: s.row_number.to_string(),
                    number: s.seat_number,
                    price: s.price,
                })
                .collect(),
            total_seats: chunk.len(),
            generated_at: now,
            event_date: event.event_date,
            is_active: event.status == EventStatus::Active,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::SeatId;

    #[test]
    fn a_large_venue_is_announced_in_messages_a_broker_accepts() {
        let now = Utc::now();
        let event = Event {
            id: EventId::new(),
            name: "Stadium".into(),
            description: String::new(),
            event_date: now,
            venue: "Big".into(),
            max_capacity: 4_500,
            base_price: Money::from_cents(5_000),
            currency: "USD".into(),
            status: EventStatus::Active,
            created_at: now,
            updated_at: None,
            time_zone: "UTC".into(),
            sales_start: None,
            sales_end: None,
            hold_extension: false,
            stage: None,
        };
        let seats: Vec<Seat> = (0..4_500)
            .map(|i| Seat {
                id: SeatId::new(),
                event_id: event.id,
                section_code: "GENERAL-ADMISSION".into(),
                row_number: 1 + i / 100,
                seat_number: 1 + i % 100,
                price: Money::from_cents(123_456),
                access: None,
                category: None,
                position: None,
            })
            .collect();

        let messages = seats_generated(&event, &seats, now);

        let sizes: Vec<(usize, usize)> = messages
            .iter()
            .map(|m| (m.seats.len(), m.total_seats))
            .collect();
        assert_eq!(sizes, [(2_000, 2_000), (2_000, 2_000), (500, 500)]);
        let announced: Vec<SeatId> = messages
            .iter()
            .flat_map(|m| m.seats.iter().map(|s| s.seat_id))
            .collect();
        let laid_out: Vec<SeatId> = seats.iter().map(|s| s.id).collect();
        assert_eq!(announced, laid_out, "every seat once, in order");
        for m in &messages {
            assert_eq!((m.event_id, m.is_active), (event.id, true));
            let bytes = serde_json::to_vec(m).expect("serializes").len();
            assert!(
                bytes < 1_000_000,
                "{bytes} bytes: over Kafka's default limit"
            );
        }
        assert!(seats_generated(&event, &[], now).is_empty());
    }
}
