//! Best available: `quantity` seats held in one step, all or none, chosen by the rule in
//! `domain/best.rs`.
//!
//! The choice and the holds run in one transaction alone among writers (`Database::begin`):
//! what it reads as taken cannot change before it commits, so the seats it picks are free when
//! it inserts their holds, two such calls never pick the same seat, and nothing is left half
//! held. The catalog's layout is read before, outside the writers' queue.

use std::collections::HashSet;

use kernel::{EventId, SeatId};

use super::InventoryService;
use crate::InventoryError;
use crate::domain::best::{self, Place};
use crate::domain::{self, CustomerId, Hold};
use crate::events::{ReservationCreated, ReservationExpired};
use crate::ports::SeatsQuery;
use crate::store::{self, SeatRecord};

/// A request for the best seats available.
#[derive(Debug, Clone)]
pub struct BestRequest {
    /// The event.
    pub event_id: EventId,
    /// How many seats (1 up to the hold limit).
    pub quantity: u32,
    /// Only this section.
    pub section_code: Option<String>,
    /// Only this price category (by name, any case).
    pub category: Option<String>,
    /// The buyer.
    pub customer_id: CustomerId,
}

/// The seats held for a best-available request.
#[derive(Debug, Clone)]
pub struct BestHolds {
    /// One hold per seat, with the seat, in place order.
    pub holds: Vec<(Hold, HeldSeat)>,
    /// Whether the seats are not all side by side in one row.
    pub split: bool,
}

/// Where a held seat is, and its price.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldSeat {
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// Price.
    pub price: kernel::Money,
}

impl InventoryService {
    /// Holds the best `request.quantity` free seats of the event for the buyer (module docs).
    ///
    /// # Errors
    /// A quantity out of range, an unknown event or section, an event not on sale, the hold
    /// limit, or [`InventoryError::NotEnoughSeats`]; nothing is held then.
    pub async fn hold_best(&self, request: BestRequest) -> Result<BestHolds, InventoryError> {
        let limit = self.settings.max_holds_per_customer;
        if request.quantity == 0 || request.quantity > limit {
            return Err(InventoryError::Invalid(format!(
                "quantity must be between 1 and {limit}."
            )));
        }
        let section = request
            .section_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let query = SeatsQuery {
            event: request.event_id,
            section_code: section.map(str::to_string),
            row_number: None,
        };
        let mut listed = self.directory().seats_of_event(&query).await?;
        let Some(first) = listed.first().cloned() else {
            return Err(match section {
                Some(section) => {
                    InventoryError::Invalid(format!("This event has no section {section}."))
                }
                None => InventoryError::EventNotFound(request.event_id),
            });
        };
        // Where the stage stands is a fact of the whole layout, before any filter.
        let stage = best::stage_point(listed.iter().filter_map(|l| l.position), first.stage);
        let category = request
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        if let Some(category) = category {
            let mut known: Vec<&str> = listed
                .iter()
                .filter_map(|l| l.category.as_deref())
                .collect();
            known.sort_unstable();
            known.dedup();
            let Some(name) = known.iter().find(|k| k.eq_ignore_ascii_case(category)) else {
                return Err(InventoryError::Invalid(if known.is_empty() {
                    "This event has no price categories; ask by sectionCode instead.".to_string()
                } else {
                    format!(
                        "This event has no category {category:?}{}; its categories are {}.",
                        section.map_or(String::new(), |s| format!(" in section {s}")),
                        known.join(", ")
                    )
                }));
            };
            let name = (*name).to_string();
            listed.retain(|l| l.category.as_deref() == Some(name.as_str()));
        }
        let within = match (section, category) {
            (None, None) => None,
            (Some(s), None) => Some(format!("section {s}")),
            (None, Some(c)) => Some(format!("category {c}")),
            (Some(s), Some(c)) => Some(format!("section {s}, category {c}")),
        };
        let now = self.now();
        domain::check_on_sale(&first, Some(request.event_id), now)?;

        let mut tx = self.db().begin().await?;
        let customer = request.customer_id.as_str();
        let held = store::live_holds_of(tx.conn(), customer, request.event_id, now).await?;
        let held = u32::try_from(held).unwrap_or(u32::MAX);
        if held.saturating_add(request.quantity) > limit {
            return Err(if held >= limit {
                InventoryError::HoldLimitReached { limit }
            } else {
                InventoryError::HoldLimitWouldBeExceeded { limit, held }
            });
        }
        // Lapsed holds still marked active end first (as the sweeper would end them, perhaps
        // handing their seats to the waitlist), so that their seats count as free.
        for lapsed in store::expire_lapsed_of_event(tx.conn(), request.event_id, now).await? {
            storage::enqueue(tx.conn(), &ReservationExpired::from_hold(&lapsed, now), now).await?;
            self.hand_over(&mut tx, &lapsed, now).await?;
        }
        let mut taken: HashSet<SeatId> = store::taken_seats(tx.conn(), request.event_id, now)
            .await?
            .into_iter()
            .map(|(seat, _)| seat)
            .collect();
        taken.extend(store::blocked_seats(tx.conn(), request.event_id).await?);
        let places: Vec<Place> = listed
            .iter()
            .map(|l| Place {
                seat_id: l.seat_id,
                section_code: l.section_code.clone(),
                row_number: l.row_number,
                seat_number: l.seat_number,
                price: l.price,
                taken: l.accessible || taken.contains(&l.seat_id),
                position: l.position,
            })
            .collect();
        let Some(choice) = best::choose(&places, request.quantity as usize, stage) else {
            tx.rollback().await?;
            return Err(InventoryError::NotEnoughSeats {
                wanted: request.quantity,
                free: places.iter().filter(|p| !p.taken).count(),
                within,
            });
        };
        let mut holds = Vec::with_capacity(choice.seats.len());
        for &i in &choice.seats {
            let seat = SeatRecord::from(listed[i].clone());
            let hold = Hold::active(
                seat.seat_id,
                seat.event_id,
                &request.customer_id,
                now,
                self.settings.hold_duration,
            );
            store::upsert_seat(tx.conn(), &seat).await?;
            // Alone among writers, a seat read as free is free: a refusal here is a bug.
            if !store::insert_hold(tx.conn(), &hold, None).await? {
                return Err(InventoryError::Internal(anyhow::anyhow!(
                    "seat {} was free but could not be held",
                    seat.seat_id
                )));
            }
            storage::enqueue(tx.conn(), &ReservationCreated::new(&hold, &seat), now).await?;
            let at = HeldSeat {
                section_code: seat.section_code,
                row_number: seat.row_number,
                seat_number: seat.seat_number,
                price: seat.price,
            };
            holds.push((hold, at));
        }
        tx.commit().await?;
        self.relay_wake();
        Ok(BestHolds {
            holds,
            split: choice.split,
        })
    }
}
