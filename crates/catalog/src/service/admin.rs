//! Administrator commands: create, lay out, edit, withdraw and restore events.

use kernel::{EventId, Money, SeatId};
use serde::Deserialize;

use super::{CatalogService, GenerationSummary, SectionSummary};
use crate::domain::layout::{self, Category, LaidSeat, SectionShape};
use crate::domain::{
    Event, EventStatus, Seat, SeatAccess, parse_local_date, required_paragraphs, required_text,
    valid_capacity, valid_currency, valid_price, valid_section_code, valid_time_zone,
};
use crate::events::{EventRescheduled, EventStatusChanged, SeatPricesChanged};
use crate::{CatalogError, store};

/// A new event as an administrator describes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventInput {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Date and time: RFC 3339, or without an offset on the clock of `timeZone`.
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
    /// IANA time zone (`Europe/Berlin`); `UTC` when absent.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// When seats go on sale (as `eventDate`); at once when absent.
    #[serde(default)]
    pub sales_start: Option<String>,
    /// When seats come off sale (as `eventDate`); when the event starts when absent.
    #[serde(default)]
    pub sales_end: Option<String>,
    /// Whether a buyer may extend a hold once, by the hold time (default: no).
    #[serde(default)]
    pub hold_extension: Option<bool>,
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
    /// New venue.
    #[serde(default)]
    pub venue: Option<String>,
    /// New date and time (RFC 3339, or without an offset on the event's clock).
    #[serde(default)]
    pub event_date: Option<String>,
    /// New IANA time zone; dates without an offset in this update are read on its clock.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// When seats go on sale; an empty string: at once.
    #[serde(default)]
    pub sales_start: Option<String>,
    /// When seats come off sale; an empty string: when the event starts.
    #[serde(default)]
    pub sales_end: Option<String>,
    /// Whether to e-mail every ticket holder when the date or venue changes (default: yes).
    #[serde(default)]
    pub notify_holders: Option<bool>,
    /// Whether a buyer may extend a hold once, by the hold time.
    #[serde(default)]
    pub hold_extension: Option<bool>,
}

/// A section's new price.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SectionPrice {
    /// Section code.
    pub section_code: String,
    /// The price of each of its seats.
    pub price: Money,
}

/// One section of a seat layout: `rows` × `seatsPerRow` seats at `basePrice × priceMultiplier`
/// (or at the price of its `category`), stacked below the others, or standing where `x`, `y`
/// and `angle` say with rows bent by `curve` (positions in seat widths; docs/layouts.md).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SectionConfiguration {
    /// Section code.
    pub section_code: String,
    /// Rows (1 to 500).
    pub rows: i64,
    /// Seats per row (1 to 500).
    pub seats_per_row: i64,
    /// Price multiplier with at most two decimals (`1.5`); required unless `category` is given.
    #[serde(default)]
    pub price_multiplier: Option<Money>,
    /// The price category of every seat of the section (an event's category, by name): its
    /// seats cost the category's price.
    #[serde(default)]
    pub category: Option<String>,
    /// Where the middle of row 1 stands across, in seat widths.
    #[serde(default)]
    pub x: Option<f64>,
    /// Where the middle of row 1 stands away from the stage, in seat widths.
    #[serde(default)]
    pub y: Option<f64>,
    /// Turned clockwise by this many degrees around that point.
    #[serde(default)]
    pub angle: Option<f64>,
    /// Rows bent around a point this many seat widths in front of row 1 (0: straight).
    #[serde(default)]
    pub curve: Option<f64>,
    /// How far each row is shifted along itself, in seat widths, row 1 first.
    #[serde(default)]
    pub row_offsets: Option<Vec<f64>>,
}

impl SectionConfiguration {
    /// The section's shape when it is placed (any of `x`, `y`, `angle`, `curve`, `rowOffsets`
    /// given), `None` for a plain rectangle.
    fn shape(&self) -> Option<SectionShape> {
        let placed = self.x.is_some()
            || self.y.is_some()
            || self.angle.is_some()
            || self.curve.is_some()
            || self.row_offsets.is_some();
        placed.then(|| SectionShape {
            x: self.x.unwrap_or(0.0),
            y: self.y.unwrap_or(0.0),
            angle: self.angle.unwrap_or(0.0),
            curve: self.curve.unwrap_or(0.0),
            row_offsets: self.row_offsets.clone().unwrap_or_default(),
        })
    }
}

impl CatalogService {
    /// Creates an active event.
    ///
    /// # Errors
    /// [`CatalogError::Invalid`] naming the field that breaks a rule.
    pub async fn create_event(&self, input: EventInput) -> Result<Event, CatalogError> {
        let now = self.now();
        let time_zone = valid_time_zone(input.time_zone.as_deref().unwrap_or("UTC"))?;
        let event_date = parse_local_date("eventDate", &input.event_date, &time_zone)?;
        if event_date <= now {
            return Err(CatalogError::Invalid(
                "eventDate must be in the future.".into(),
            ));
        }
        let (sales_start, sales_end) = sales_window(
            input.sales_start.as_deref(),
            input.sales_end.as_deref(),
            (None, None),
            &time_zone,
            event_date,
        )?;
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
            time_zone,
            sales_start,
            sales_end,
            hold_extension: input.hold_extension.unwrap_or(false),
            stage: None,
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
        let categories = store::categories_of(self.db.read().await?.conn(), id).await?;
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
            let (price, category) = section_price(&event, config, &code, &categories)?;
            let shape = config.shape();
            let positions = match &shape {
                Some(shape) => {
                    shape.check(&code, config.rows)?;
                    shape
                        .place(config.rows, config.seats_per_row)
                        .into_iter()
                        .map(|(row, seat, x, y)| (row, seat, Some((x, y))))
                        .collect()
                }
                None => (1..=config.rows)
                    .flat_map(|row| (1..=config.seats_per_row).map(move |seat| (row, seat, None)))
                    .collect::<Vec<_>>(),
            };
            for (row, number, position) in positions {
                seats.push(Seat {
                    id: SeatId::new(),
                    event_id: id,
                    section_code: code.clone(),
                    row_number: row,
                    seat_number: number,
                    price,
                    access: None,
                    category: category.clone(),
                    position,
                });
            }
            summaries.push(SectionSummary {
                section_code: code,
                seats_generated: config.rows * config.seats_per_row,
                seat_price: price,
            });
        }
        let origins: Vec<String> = seats
            .iter()
            .map(|s| {
                format!(
                    "Section {} row {} seat {}",
                    s.section_code, s.row_number, s.seat_number
                )
            })
            .collect();
        self.add_seats(&event, &seats, &origins, None).await?;
        Ok(GenerationSummary {
            event_id: id,
            total_seats_generated: seats.len() as i64,
            sections: summaries,
        })
    }

    /// Adds `seats` (each named by `origins` in errors) to `event` in one transaction, after
    /// checking them against the seats already there (`layout::check_together`) and the
    /// capacity, and announces them; sets the stage when `stage` is given.
    pub(super) async fn add_seats(
        &self,
        event: &Event,
        seats: &[Seat],
        origins: &[String],
        stage: Option<(f64, f64)>,
    ) -> Result<(), CatalogError> {
        let mut tx = self.db.begin().await?;
        self.add_seats_in(&mut tx, event, seats, origins, stage)
            .await?;
        tx.commit().await?;
        self.relay.wake();
        Ok(())
    }

    /// [`Self::add_seats`] inside `tx` (the caller commits and wakes the relay).
    pub(super) async fn add_seats_in(
        &self,
        tx: &mut storage::Tx,
        event: &Event,
        seats: &[Seat],
        origins: &[String],
        stage: Option<(f64, f64)>,
    ) -> Result<(), CatalogError> {
        let now = self.now();
        let existing = store::seats_of(tx.conn(), event.id).await?;
        let requested = seats.len() as i64;
        if existing.len() as i64 + requested > event.max_capacity {
            return Err(CatalogError::CapacityExceeded {
                requested: requested as u64,
                existing: existing.len() as u64,
                capacity: event.max_capacity as u64,
            });
        }
        let old: Vec<LaidSeat<'_>> = existing
            .iter()
            .map(|s| {
                laid(
                    s,
                    format!(
                        "the existing seat {} row {} seat {}",
                        s.section_code, s.row_number, s.seat_number
                    ),
                )
            })
            .collect();
        let new: Vec<LaidSeat<'_>> = seats
            .iter()
            .zip(origins)
            .map(|(s, origin)| laid(s, origin.clone()))
            .collect();
        layout::check_together(&new, &old)?;
        store::insert_seats(tx.conn(), seats).await?;
        if let Some(stage) = stage {
            // Only the stage: an edit of the event's other fields meanwhile stays.
            store::set_stage(tx.conn(), event.id, stage, now).await?;
        }
        super::announce_seats(tx, event, seats, now).await?;
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
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut event = store::event(tx.conn(), id)
            .await?
            .ok_or(CatalogError::EventNotFound(id))?;
        let before = event.clone();
        if let Some(name) = &update.name {
            event.name = required_text("name", name, 200)?;
        }
        if let Some(description) = &update.description {
            event.description = required_paragraphs("description", description, 4000)?;
        }
        if let Some(venue) = &update.venue {
            event.venue = required_text("venue", venue, 200)?;
        }
        if let Some(zone) = &update.time_zone {
            event.time_zone = valid_time_zone(zone)?;
        }
        if let Some(date) = &update.event_date {
            let date = parse_local_date("eventDate", date, &event.time_zone)?;
            if date != event.event_date && date <= now {
                return Err(CatalogError::Invalid(
                    "eventDate must be in the future.".into(),
                ));
            }
            event.event_date = date;
        }
        if let Some(allowed) = update.hold_extension {
            event.hold_extension = allowed;
        }
        (event.sales_start, event.sales_end) = sales_window(
            update.sales_start.as_deref(),
            update.sales_end.as_deref(),
            (event.sales_start, event.sales_end),
            &event.time_zone,
            event.event_date,
        )?;
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
        event.updated_at = Some(now);
        store::update_event(tx.conn(), &event).await?;
        if event.event_date != before.event_date || event.venue != before.venue {
            let moved = EventRescheduled {
                event_id: id,
                event_name: event.name.clone(),
                venue: event.venue.clone(),
                previous_date: before.event_date,
                event_date: event.event_date,
                local_date: event.local_time(event.event_date),
                notify_holders: update.notify_holders.unwrap_or(true),
            };
            storage::enqueue(tx.conn(), &moved, now).await?;
        }
        tx.commit().await?;
        self.relay.wake();
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

    /// Sets the price of every seat of each section named (administrators). A change never
    /// alters what buyers pay for seats already in their carts or orders: order lines keep the
    /// price they were added at.
    ///
    /// # Errors
    /// Unknown event, no section named, a section named twice or not laid out, or a price
    /// out of range.
    pub async fn set_prices(
        &self,
        id: EventId,
        prices: &[SectionPrice],
    ) -> Result<u64, CatalogError> {
        self.load_event(id).await?;
        if prices.is_empty() {
            return Err(CatalogError::Invalid(
                "sections must name at least one section.".into(),
            ));
        }
        let mut checked: Vec<(String, Money)> = Vec::with_capacity(prices.len());
        for p in prices {
            let code = valid_section_code(&p.section_code)?;
            if checked.iter().any(|(c, _)| *c == code) {
                return Err(CatalogError::Invalid(format!(
                    "Section {code} is named twice."
                )));
            }
            checked.push((code, valid_price("price", p.price)?));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // A section whose seats are priced by category keeps its categories' prices.
        let priced = store::categories_by_section(tx.conn(), id).await?;
        if let Some((code, names)) = checked
            .iter()
            .find_map(|(code, _)| priced.get(code).map(|names| (code, names)))
        {
            tx.rollback().await?;
            return Err(CatalogError::Invalid(format!(
                "Section {code} is priced by its categories ({}); change the category's price instead.",
                names.join(", ")
            )));
        }
        let mut changed = 0;
        for (code, price) in &checked {
            let n = store::set_section_price(tx.conn(), id, code, *price).await?;
            if n == 0 {
                tx.rollback().await?;
                return Err(CatalogError::Invalid(format!(
                    "This event has no section {code}."
                )));
            }
            changed += n;
            let event = SeatPricesChanged {
                event_id: id,
                section_code: code.clone(),
                price: *price,
                seat_ids: None,
            };
            storage::enqueue(tx.conn(), &event, now).await?;
        }
        tx.commit().await?;
        self.relay.wake();
        Ok(changed)
    }

    /// Deletes an event and its seats. Only an event taken off sale first, with no seat sold
    /// (refund them first) and none on hold: its orders stay in the order history.
    ///
    /// # Errors
    /// Unknown event; [`CatalogError::StateConflict`] when it is on sale, has sold tickets or
    /// seats on hold.
    pub async fn delete_event(&self, id: EventId) -> Result<(), CatalogError> {
        let event = self.load_event(id).await?;
        if event.status == EventStatus::Active {
            return Err(CatalogError::StateConflict(
                "Take the event off sale (deactivate it) before deleting it.".into(),
            ));
        }
        let counts = self.counts_for(id).await?;
        if counts.sold > 0 {
            return Err(CatalogError::StateConflict(format!(
                "The event has {} sold tickets and cannot be deleted: refund them first.",
                counts.sold
            )));
        }
        if counts.reserved > 0 {
            return Err(CatalogError::StateConflict(format!(
                "{} seats of the event are on hold; try again once the holds have ended.",
                counts.reserved
            )));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::delete_event(tx.conn(), id).await?;
        let deleted = EventStatusChanged {
            event_id: id,
            status: "deleted".into(),
            is_active: false,
            event_date: event.event_date,
        };
        storage::enqueue(tx.conn(), &deleted, now).await?;
        tx.commit().await?;
        self.relay.wake();
        tracing::info!(event.id = %id, "event deleted");
        Ok(())
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

/// A sales window: when seats go on sale and come off sale (either end open).
type Window = (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// The sales window after an input: each end given replaces the current one (`""` opens it),
/// read on `time_zone`'s clock; the window must open before it closes, and close no later than
/// the event starts.
fn sales_window(
    start: Option<&str>,
    end: Option<&str>,
    current: Window,
    time_zone: &str,
    event_date: chrono::DateTime<chrono::Utc>,
) -> Result<Window, CatalogError> {
    let read =
        |field: &str, given: Option<&str>, now: Option<chrono::DateTime<chrono::Utc>>| match given
            .map(str::trim)
        {
            None => Ok(now),
            Some("") => Ok(None),
            Some(text) => parse_local_date(field, text, time_zone).map(Some),
        };
    let start = read("salesStart", start, current.0)?;
    let end = read("salesEnd", end, current.1)?;
    if let (Some(s), Some(e)) = (start, end)
        && s >= e
    {
        return Err(CatalogError::Invalid(
            "salesStart must be before salesEnd.".into(),
        ));
    }
    if end.is_some_and(|e| e > event_date) {
        return Err(CatalogError::Invalid(
            "salesEnd must not be after the event starts.".into(),
        ));
    }
    Ok((start, end))
}

/// A seat as `layout::check_together` sees it.
fn laid(s: &Seat, origin: String) -> LaidSeat<'_> {
    LaidSeat {
        origin,
        section: &s.section_code,
        row: s.row_number,
        seat: s.seat_number,
        position: s.position,
    }
}

/// The price of a generated section's seats and their category: the category's price, or
/// the event's base price times the multiplier.
fn section_price(
    event: &Event,
    config: &SectionConfiguration,
    code: &str,
    categories: &[Category],
) -> Result<(Money, Option<String>), CatalogError> {
    match (&config.category, config.price_multiplier) {
        (Some(_), Some(_)) => Err(CatalogError::Invalid(format!(
            "Give section {code} a category or a priceMultiplier, not both."
        ))),
        (Some(name), None) => {
            let category = categories
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| {
                    CatalogError::Invalid(format!(
                        "Section {code}: category {name:?} is not one of this event's categories{}.",
                        if categories.is_empty() {
                            " (it has none yet)".to_string()
                        } else {
                            format!(
                                " ({})",
                                categories
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ))
                })?;
            Ok((category.price, Some(category.name.clone())))
        }
        (None, None) if !categories.is_empty() => Err(CatalogError::Invalid(format!(
            "Section {code} needs a category: this event prices its seats by category."
        ))),
        (None, None) => Err(CatalogError::Invalid(format!(
            "priceMultiplier is required (section {code})."
        ))),
        (None, Some(multiplier)) => {
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
            Ok((valid_price("seat price", price)?, None))
        }
    }
}
