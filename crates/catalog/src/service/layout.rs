//! Administrator commands for price categories and imported layouts (`domain/layout.rs` has
//! the rules).

use std::collections::BTreeMap;

use kernel::{EventId, Money, SeatId};
use serde::Deserialize;

use super::{CatalogService, GenerationSummary, SectionSummary};
use crate::domain::Seat;
use crate::domain::layout::{self, Category, ImportedSeat, PlacedSeat};
use crate::events::SeatPricesChanged;
use crate::{CatalogError, store};

/// Most seats one price message names (as `SEATS_PER_MESSAGE` for `seats-generated`: well
/// under a broker's default message size).
const SEATS_PER_PRICE_MESSAGE: usize = 2_000;

/// A layout in JSON: optionally the stage and the categories (replacing the event's), and the
/// seats with their positions.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LayoutDocument {
    /// Where the stage stands, in seat widths (absent: above the seats, in the middle).
    #[serde(default)]
    pub stage: Option<StagePoint>,
    /// The event's categories (absent: keep those it has).
    #[serde(default)]
    pub categories: Option<Vec<Category>>,
    /// The seats.
    pub seats: Vec<ImportedSeat>,
}

/// A point of a layout, in seat widths.
#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StagePoint {
    /// Across.
    pub x: f64,
    /// Down the map (the stage is usually above the seats, at a lower `y`).
    pub y: f64,
}

/// A layout to import: a JSON document, or CSV text (`section,row,seat,x,y,category`).
#[derive(Debug, Clone)]
pub enum LayoutImport {
    /// As `application/json`.
    Json(LayoutDocument),
    /// As `text/csv`.
    Csv(String),
}

impl CatalogService {
    /// The categories of event `id`, in the organiser's order.
    ///
    /// # Errors
    /// [`CatalogError::EventNotFound`] for an unknown id.
    pub async fn categories(&self, id: EventId) -> Result<Vec<Category>, CatalogError> {
        self.load_event(id).await?;
        Ok(store::categories_of(self.db.read().await?.conn(), id).await?)
    }

    /// Replaces the categories of event `id`. A category some seats belong to cannot be left
    /// out; a new price applies to its seats at once (orders keep the price of their lines).
    ///
    /// # Errors
    /// Unknown event, a category breaking a rule, or one left out that seats belong to.
    pub async fn set_categories(
        &self,
        id: EventId,
        categories: &[Category],
    ) -> Result<Vec<Category>, CatalogError> {
        self.load_event(id).await?;
        let categories = layout::valid_categories(categories)?;
        let mut tx = self.db.begin().await?;
        self.replace_categories_in(&mut tx, id, &categories).await?;
        tx.commit().await?;
        self.relay.wake();
        Ok(categories)
    }

    /// Replaces the categories of event `id` inside `tx`, repricing the seats of categories
    /// whose price changed and announcing it to inventory.
    async fn replace_categories_in(
        &self,
        tx: &mut storage::Tx,
        id: EventId,
        categories: &[Category],
    ) -> Result<(), CatalogError> {
        let used = store::category_use(tx.conn(), id).await?;
        if let Some((name, n)) = used
            .iter()
            .find(|(name, _)| !categories.iter().any(|c| &c.name == *name))
        {
            return Err(CatalogError::Invalid(format!(
                "Category {name:?} has {n} seats; it cannot be left out of the categories."
            )));
        }
        let before = store::categories_of(tx.conn(), id).await?;
        let now = self.now();
        for c in categories {
            let old = before.iter().find(|b| b.name == c.name);
            if old.is_none_or(|b| b.price == c.price) || !used.contains_key(&c.name) {
                continue;
            }
            let seats = store::set_category_price(tx.conn(), id, &c.name, c.price).await?;
            for message in price_messages(id, c.price, seats) {
                storage::enqueue(tx.conn(), &message, now).await?;
            }
        }
        store::replace_categories(tx.conn(), id, categories).await?;
        Ok(())
    }

    /// Adds the seats of an imported layout to event `id`, all or none: each checked on its own
    /// (errors name the CSV line or the JSON `seats[i]`), then together with the seats already
    /// there (no place twice, no overlap). A JSON layout may also set the stage and the
    /// categories (replacing the event's, in the same transaction).
    ///
    /// # Errors
    /// Unknown event, a seat or category breaking a rule, or the event's capacity exceeded.
    pub async fn import_layout(
        &self,
        id: EventId,
        import: LayoutImport,
    ) -> Result<GenerationSummary, CatalogError> {
        let event = self.load_event(id).await?;
        let (given, stage, seats) = match import {
            LayoutImport::Csv(text) => (None, None, Err(text)),
            LayoutImport::Json(doc) => (
                doc.categories
                    .as_deref()
                    .map(layout::valid_categories)
                    .transpose()?,
                doc.stage.map(|s| (s.x, s.y)),
                Ok(doc.seats),
            ),
        };
        if let Some((x, y)) = stage
            && !(x.is_finite() && y.is_finite() && x.abs() <= 10_000.0 && y.abs() <= 10_000.0)
        {
            return Err(CatalogError::Invalid(
                "stage.x and stage.y must be numbers between -10000 and 10000.".into(),
            ));
        }
        let categories = match &given {
            Some(c) => c.clone(),
            None => store::categories_of(self.db.read().await?.conn(), id).await?,
        };
        let placed = match seats {
            Err(text) => layout::parse_csv(&text, &categories)?,
            Ok(seats) => layout::check_json(&seats, &categories)?,
        };
        if placed.is_empty() {
            return Err(CatalogError::Invalid("The layout has no seats.".into()));
        }
        let seats: Vec<Seat> = placed
            .iter()
            .map(|p| seat_of(&event, p, &categories))
            .collect();
        let origins: Vec<String> = placed.into_iter().map(|p| p.origin).collect();
        if let Some(categories) = &given {
            // In the transaction that adds the seats: a category the file relies on is never
            // missing, and a failed import leaves the old categories.
            let mut tx = self.db.begin().await?;
            self.replace_categories_in(&mut tx, id, categories).await?;
            self.add_seats_in(&mut tx, &event, &seats, &origins, stage)
                .await?;
            tx.commit().await?;
            self.relay.wake();
        } else {
            self.add_seats(&event, &seats, &origins, stage).await?;
        }
        Ok(summary(id, &seats))
    }
}

/// The seat of an imported place: its category's price, or the event's base price when the
/// event has no categories.
fn seat_of(event: &crate::Event, p: &PlacedSeat, categories: &[Category]) -> Seat {
    let price = p
        .category
        .as_ref()
        .and_then(|name| categories.iter().find(|c| &c.name == name))
        .map_or(event.base_price, |c| c.price);
    Seat {
        id: SeatId::new(),
        event_id: event.id,
        section_code: p.section_code.clone(),
        row_number: p.row_number,
        seat_number: p.seat_number,
        price,
        access: p.access,
        category: p.category.clone(),
        position: Some((p.x, p.y)),
    }
}

/// Per section: how many seats an import added and their lowest price.
fn summary(id: EventId, seats: &[Seat]) -> GenerationSummary {
    let mut sections: BTreeMap<&str, (i64, Money)> = BTreeMap::new();
    for s in seats {
        let e = sections.entry(&s.section_code).or_insert((0, s.price));
        e.0 += 1;
        e.1 = e.1.min(s.price);
    }
    GenerationSummary {
        event_id: id,
        total_seats_generated: seats.len() as i64,
        sections: sections
            .into_iter()
            .map(|(code, (n, price))| SectionSummary {
                section_code: code.to_string(),
                seats_generated: n,
                seat_price: price,
            })
            .collect(),
    }
}

/// The `seat-prices-changed` messages for `seats` (id, section) now at `price`: per section,
/// at most [`SEATS_PER_PRICE_MESSAGE`] seats each.
fn price_messages(
    id: EventId,
    price: Money,
    seats: Vec<(SeatId, String)>,
) -> Vec<SeatPricesChanged> {
    let mut by_section: BTreeMap<String, Vec<SeatId>> = BTreeMap::new();
    for (seat, section) in seats {
        by_section.entry(section).or_default().push(seat);
    }
    by_section
        .into_iter()
        .flat_map(|(section, seats)| {
            seats
                .chunks(SEATS_PER_PRICE_MESSAGE)
                .map(|chunk| SeatPricesChanged {
                    event_id: id,
                    section_code: section.clone(),
                    price,
                    seat_ids: Some(chunk.to_vec()),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
