//! Administrator commands: create, lay out, edit, withdraw and restore events.

use kernel::{EventId, Money, SeatId};
use serde::Deserialize;

use super::{CatalogService, GenerationSummary, SectionSummary};
use crate::domain::{
    Event, EventStatus, Seat, SeatAccess, parse_event_date, required_paragraphs, required_text,
    valid_capacity, valid_currency, valid_price, valid_section_code,
};
use crate::events::EventStatusChanged;
use crate::{CatalogError, store};

/// A new event as an administrator describes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventInput {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Date and time (RFC 3339, or without offset for UTC).
    pub event_date: String,
    /// Venue.
    pub venue: String,
    /// Most seats.
    pub max_capacity: i64,
    /// Base price.
    pub base_price: Money,
    /// Currency, `USD` when absent.
    #[serde(default)]
    pub currency: Option<String>,
}

/// Changes to an event; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New capacity (not below the seats already laid out).
    pub max_capacity: Option<i64>,
}

/// One section of a seat layout: `rows` × `seatsPerRow` seats at `basePrice × priceMultiplier`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectionConfiguration {
    /// Section code.
    pub section_code: String,
    /// Rows (1 to 500).
    pub rows: i64,
    /// Seats per row (1 to 500).
    pub seats_per_row: i64,
    /// Price multiplier with at most two decimals (`1.5`).
    pub price_multiplier: Money,
}

impl CatalogService {
    /// Creates an active event.
    ///
    /// # Errors
    /// [`CatalogError::Invalid`] naming the field that breaks a rule.
    pub async fn create_event(&self, input: EventInput) -> Result<Event, CatalogError> {
        let now = self.now();
        let event_date = parse_event_date(&input.event_date)?;
        if event_date <= now {
            return Err(CatalogError::Invalid(
                "eventDate must be in the future.".into(),
            ));
        }
        let event = Event {
            id: EventId::new(),
            name: required_text("name", &input.name, 200)?,
            description: required_paragraphs("description", &input.description, 4000)?,
            event_date,
            venue: required_text("venue", &input.venue, 200)?,
            max_capacity: valid_capacity(input.max_capacity)?,
            base_price: valid_price("basePrice", input.base_price)?,
            currency: valid_currency(input.currency.as_deref().unwrap_or("USD"))?,
            status: EventStatus::Active,
            created_at: now,
            updated_at: None,
        };
        self.insert_event_with_seats(&event, &[]).await?;
        Ok(event)
    }

    /// Lays out seats for an event, section by section.
    ///
    /// # Errors
    /// Unknown event, invalid sections, capacity exceeded or seats that already exist.
    pub async fn generate_seats(
        &self,
        id: EventId,
        sections: Vec<SectionConfiguration>,
    ) -> Result<GenerationSummary, CatalogError> {
        if sections.is_empty() {
            return Err(CatalogError::Invalid(
                "sectionConfigurations must list at least one section.".into(),
            ));
        }
        let event = self.load_event(id).await?;
        let mut seats = Vec::new();
        let mut summaries = Vec::new();
        for config in &sections {
            let code = valid_section_code(&config.section_code)?;
            for (field, value) in [("rows", config.rows), ("seatsPerRow", config.seats_per_row)] {
                if !(1..=500).contains(&value) {
                    return Err(CatalogError::Invalid(format!(
                        "{field} must be between 1 and 500 (section {code})."
                    )));
                }
            }
            let multiplier = config.price_multiplier;
            if !multiplier.is_positive() || multiplier > Money::from_cents(100_000) {
                return Err(CatalogError::Invalid(format!(
                    "priceMultiplier must be greater than zero and at most 1000 (section {code})."
                )));
            }
            let price = event
                .base_price
                .times_hundredths(multiplier.cents())
                .ok_or_else(|| {
                    CatalogError::Invalid("priceMultiplier makes the price too large.".into())
                })?;
            let price = valid_price("seat price", price)?;
            for row in 1..=config.rows {
                for number in 1..=config.seats_per_row {
                    seats.push(Seat {
                        id: SeatId::new(),
                        event_id: id,
                        section_code: code.clone(),
                        row_number: row,
                        seat_number: number,
                        price,
                        access: None,
                    });
                }
            }
            summaries.push(SectionSummary {
                section_code: code,
                seats_generated: config.rows * config.seats_per_row,
                seat_price: price,
            });
        }
        self.add_seats(&event, &seats).await?;
        Ok(GenerationSummary {
            event_id: id,
            total_seats_generated: seats.len() as i64,
            sections: summaries,
        })
    }

    async fn add_seats(&self, event: &Event, seats: &[Seat]) -> Result<(), CatalogError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let existing = store::count_seats(tx.conn(), event.id).await?;
        let requested = seats.len() as i64;
        if existing + requested > event.max_capacity {
            return Err(CatalogError::CapacityExceeded {
                requested: requested as u64,
                existing: existing as u64,
                capacity: event.max_capacity as u64,
            });
        }
        store::insert_seats(tx.conn(), seats).await?;
        super::announce_seats(&mut tx, event, seats, now).await?;
        tx.commit().await?;
        self.relay.wake();
        Ok(())
    }

    /// Changes name, description or capacity.
    ///
    /// # Errors
    /// Unknown event, invalid fields, or a capacity below the seats laid out.
    pub async fn update_event(
        &self,
        id: EventId,
        update: EventUpdate,
    ) -> Result<Event, CatalogError> {
        let mut tx = self.db.begin().await?;
        let mut event = store::event(tx.conn(), id)
            .await?
            .ok_or(CatalogError::EventNotFound(id))?;
        if let Some(name) = &update.name {
            event.name = required_text("name", name, 200)?;
        }
        if let Some(description) = &update.description {
            event.description = required_paragraphs("description", description, 4000)?;
        }
        if let Some(capacity) = update.max_capacity {
            let capacity = valid_capacity(capacity)?;
            let existing = store::count_seats(tx.conn(), id).await?;
            if capacity < existing {
                return Err(CatalogError::Invalid(format!(
                    "maxCapacity cannot be lower than the {existing} seats already laid out."
                )));
            }
            event.max_capacity = capacity;
        }
        event.updated_at = Some(self.now());
        store::update_event(tx.conn(), &event).await?;
        tx.commit().await?;
        Ok(event)
    }

    /// Marks `seats` of event `id` as wheelchair spaces or companion seats (`None` clears the
    /// mark); returns how many seats were marked. Every seat must be of the event.
    ///
    /// # Errors
    /// Unknown event, no seat or more than 10,000 named, or a seat of another event.
    pub async fn mark_access(
        &self,
        id: EventId,
        seats: &[SeatId],
        access: Option<SeatAccess>,
    ) -> Result<u64, CatalogError> {
        self.load_event(id).await?;
        if seats.is_empty() || seats.len() > 10_000 {
            return Err(CatalogError::Invalid(
                "seatIds must name 1 to 10,000 seats.".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        let changed = store::set_access(tx.conn(), id, seats, access).await?;
        if changed != seats.len() as u64 {
            tx.rollback().await?;
            return Err(CatalogError::Invalid(
                "Every seat in seatIds must be a seat of this event.".into(),
            ));
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Withdraws an event from sale; refused while buyers hold seats. Seats offered to people
    /// on the waitlist do not block it: the waitlist withdraws those offers when it hears of
    /// the deactivation.
    ///
    /// # Errors
    /// Unknown event, or seats on hold.
    pub async fn deactivate(&self, id: EventId) -> Result<Event, CatalogError> {
        let counts = self.counts_for(id).await?;
        let held = counts.reserved.saturating_sub(counts.offered);
        if held > 0 {
            return Err(CatalogError::StateConflict(format!(
                "The event cannot be deactivated while {held} seats are on hold."
            )));
        }
        self.set_status(id, EventStatus::Inactive).await
    }

    /// Puts a withdrawn event back on sale; refused once its date has passed.
    ///
    /// # Errors
    /// Unknown event, or an event in the past.
    pub async fn reactivate(&self, id: EventId) -> Result<Event, CatalogError> {
        let event = self.load_event(id).await?;
        if event.event_date <= self.now() {
            return Err(CatalogError::StateConflict(
                "An event that has already taken place cannot be reactivated.".into(),
            ));
        }
        self.set_status(id, EventStatus::Active).await
    }

    async fn set_status(&self, id: EventId, status: EventStatus) -> Result<Event, CatalogError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut event = store::event(tx.conn(), id)
            .await?
            .ok_or(CatalogError::EventNotFound(id))?;
        event.status = status;
        event.updated_at = Some(now);
        store::update_event(tx.conn(), &event).await?;
        let changed = EventStatusChanged {
            event_id: id,
            status: status.as_str().to_string(),
            is_active: status == EventStatus::Active,
            event_date: event.event_date,
        };
        storage::enqueue(tx.conn(), &changed, now).await?;
        tx.commit().await?;
        self.relay.wake();
        Ok(event)
    }
}
