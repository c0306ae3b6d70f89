//! Seats held back by the organiser (house seats, production holds): blocked and released in
//! transactions that run alone among writers (`Database::begin`), so that no hold can slip in
//! between the check that a seat is free and its block; a hold refuses a blocked seat in its
//! own insert (`store::insert_hold`).

use chrono::{DateTime, Utc};
use kernel::{EventId, SeatId};
use storage::Tx;

use super::InventoryService;
use crate::InventoryError;
use crate::domain::{self, Block, Hold, HoldStatus, TakenSeat};
use crate::events::ReservationExpired;
use crate::ports::SeatsQuery;
use crate::store::{self, SeatRecord};

/// The most seats one call may hold back or release.
pub const MAX_SELECTION: usize = 10_000;

/// Which seats of an event an organiser means: the seats named, or a section (or one row of
/// it).
#[derive(Debug, Clone, Default)]
pub struct SeatSelection {
    /// Seats by id.
    pub seat_ids: Vec<SeatId>,
    /// A whole section…
    pub section_code: Option<String>,
    /// …or one row of it.
    pub row_number: Option<i64>,
}

/// A held-back seat, where it is and why.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldBackSeat {
    /// The block.
    pub block: Block,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
}

impl InventoryService {
    /// Holds `selection` of `event` back from sale for `reason`. All or nothing: a seat that is
    /// held, in a cart or sold refuses the whole call, naming every such seat. Seats already
    /// held back stay as they are. Returns the seats newly held back.
    ///
    /// # Errors
    /// An empty or unknown selection, a missing reason, or [`InventoryError::SeatsNotFree`].
    pub async fn hold_back(
        &self,
        event: EventId,
        selection: &SeatSelection,
        reason: &str,
        by: &str,
    ) -> Result<Vec<SeatId>, InventoryError> {
        let reason = domain::block_reason(reason)?;
        let seats = self.selected(event, selection).await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let mut not_free = Vec::new();
        for seat in &seats {
            // A lapsed hold still marked active ends first (and may hand the seat on).
            self.expire_lapsed_in(&mut tx, seat.seat_id, now).await?;
            if let Some(state) = store::live_state(tx.conn(), seat.seat_id).await? {
                not_free.push(taken(seat, state));
            }
        }
        if !not_free.is_empty() {
            tx.rollback().await?;
            return Err(InventoryError::SeatsNotFree(not_free));
        }
        let mut blocked = Vec::new();
        for seat in &seats {
            let block = Block {
                seat_id: seat.seat_id,
                event_id: event,
                reason: reason.clone(),
                blocked_by: by.to_string(),
                blocked_at: now,
            };
            if store::insert_block(tx.conn(), &block).await? {
                blocked.push(seat.seat_id);
            }
        }
        tx.commit().await?;
        self.relay_wake();
        tracing::info!(event.id = %event, seats = blocked.len(), by, "seats held back");
        Ok(blocked)
    }

    /// Puts the held-back seats of `selection` back on sale (each offered to the event's
    /// waitlist first); seats not held back are left alone. Returns the seats released.
    ///
    /// # Errors
    /// An empty or unknown selection.
    pub async fn release_held_back(
        &self,
        event: EventId,
        selection: &SeatSelection,
    ) -> Result<Vec<SeatId>, InventoryError> {
        let seats = self.selected(event, selection).await?;
        let now = self.now();
        let mut tx = self.db().begin().await?;
        let mut released = Vec::new();
        for seat in &seats {
            if store::delete_block(tx.conn(), seat.seat_id).await? {
                self.offer_freed(&mut tx, seat, now).await?;
                released.push(seat.seat_id);
            }
        }
        tx.commit().await?;
        self.relay_wake();
        Ok(released)
    }

    /// Sells `seats` to `customer` at the box office, inside the caller's transaction `tx`
    /// (which must run alone among writers: `Database::begin`): lifts the organiser's blocks
    /// and records each seat as sold. `Ok(Err(seats))` names every seat held, in a cart or
    /// sold; the caller then rolls back.
    ///
    /// # Errors
    /// An unknown seat, or the database fails.
    pub async fn sell_in(
        &self,
        tx: &mut Tx,
        seats: &[SeatId],
        customer: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<Vec<kernel::ReservationId>, Vec<TakenSeat>>, InventoryError> {
        let mut records = Vec::with_capacity(seats.len());
        let mut not_free = Vec::new();
        for &id in seats {
            let seat = match store::seat(tx.conn(), id).await? {
                Some(seat) => seat,
                None => {
                    let listing = self
                        .directory()
                        .locate(id)
                        .await?
                        .ok_or(InventoryError::SeatNotFound(id))?;
                    let seat = SeatRecord::from(listing);
                    store::upsert_seat(tx.conn(), &seat).await?;
                    seat
                }
            };
            self.expire_lapsed_in(tx, id, now).await?;
            if let Some(state) = store::live_state(tx.conn(), id).await? {
                not_free.push(taken(&seat, state));
            }
            records.push(seat);
        }
        if !not_free.is_empty() {
            return Ok(Err(not_free));
        }
        let mut sold = Vec::with_capacity(records.len());
        for seat in &records {
            store::delete_block(tx.conn(), seat.seat_id).await?;
            let hold = Hold {
                id: kernel::ReservationId::new(),
                seat_id: seat.seat_id,
                event_id: seat.event_id,
                customer_id: customer.to_string(),
                status: HoldStatus::Confirmed,
                created_at: now,
                expires_at: now,
            };
            if !store::insert_sold(tx.conn(), &hold).await? {
                return Err(InventoryError::Internal(anyhow::anyhow!(
                    "seat {} was free but could not be sold",
                    seat.seat_id
                )));
            }
            sold.push(hold.id);
        }
        Ok(Ok(sold))
    }

    /// The held-back seats of `event`, in place order.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn held_back(&self, event: EventId) -> Result<Vec<HeldBackSeat>, InventoryError> {
        let mut conn = self.db().read().await?;
        let blocks = store::blocks_of_event(conn.conn(), event).await?;
        if blocks.is_empty() {
            return Ok(Vec::new());
        }
        let seats = store::seats_of_event(conn.conn(), event, None, None).await?;
        Ok(seats
            .into_iter()
            .filter_map(|seat| {
                let block = blocks.iter().find(|b| b.seat_id == seat.seat_id)?.clone();
                Some(HeldBackSeat {
                    block,
                    section_code: seat.section_code,
                    row_number: seat.row_number,
                    seat_number: seat.seat_number,
                })
            })
            .collect())
    }

    /// The seats `selection` names, as the catalog lists them (a section's from the catalog,
    /// so that a layout generated a moment ago is complete), recorded in inventory.
    async fn selected(
        &self,
        event: EventId,
        selection: &SeatSelection,
    ) -> Result<Vec<SeatRecord>, InventoryError> {
        let mut seats = Vec::new();
        let mut unrecorded = Vec::new();
        if let Some(section) = selection.section_code.as_deref().map(str::trim) {
            let query = SeatsQuery {
                event,
                section_code: Some(section.to_string()),
                row_number: selection.row_number,
            };
            let listed = self.directory().seats_of_event(&query).await?;
            if listed.is_empty() {
                return Err(InventoryError::Invalid(match selection.row_number {
                    Some(row) => format!("Section {section} has no row {row} in this event."),
                    None => format!("This event has no section {section}."),
                }));
            }
            seats = listed.into_iter().map(SeatRecord::from).collect();
            // Only the seats inventory has not recorded yet (a layout generated a moment ago)
            // are written: a large section's block does not rewrite it under the writer.
            let recorded: std::collections::HashSet<SeatId> = {
                let mut conn = self.db().read().await?;
                store::seats_of_event(conn.conn(), event, Some(section), selection.row_number)
                    .await?
                    .into_iter()
                    .map(|s| s.seat_id)
                    .collect()
            };
            unrecorded.extend(
                seats
                    .iter()
                    .filter(|s| !recorded.contains(&s.seat_id))
                    .cloned(),
            );
        } else if selection.row_number.is_some() {
            return Err(InventoryError::Invalid(
                "rowNumber needs a sectionCode.".into(),
            ));
        }
        for &id in &selection.seat_ids {
            if seats.iter().any(|s| s.seat_id == id) {
                continue;
            }
            let recorded = store::seat(self.db().read().await?.conn(), id).await?;
            let seat = match recorded {
                Some(seat) => seat,
                None => {
                    let listing = self
                        .directory()
                        .locate(id)
                        .await?
                        .ok_or(InventoryError::SeatNotFound(id))?;
                    let seat = SeatRecord::from(listing);
                    unrecorded.push(seat.clone());
                    seat
                }
            };
            if seat.event_id != event {
                return Err(InventoryError::Invalid(format!(
                    "Seat {id} is not a seat of this event."
                )));
            }
            seats.push(seat);
        }
        if seats.is_empty() {
            return Err(InventoryError::Invalid(
                "Name the seats: seatIds, or a sectionCode (and a rowNumber).".into(),
            ));
        }
        if seats.len() > MAX_SELECTION {
            return Err(InventoryError::Invalid(format!(
                "At most {MAX_SELECTION} seats at once."
            )));
        }
        if !unrecorded.is_empty() {
            let mut tx = self.db().begin().await?;
            for seat in &unrecorded {
                store::upsert_seat(tx.conn(), seat).await?;
            }
            tx.commit().await?;
        }
        Ok(seats)
    }

    /// Ends a lapsed hold of `seat` still marked active, announcing it and handing the seat on
    /// as the sweeper would.
    async fn expire_lapsed_in(
        &self,
        tx: &mut Tx,
        seat: SeatId,
        now: DateTime<Utc>,
    ) -> Result<(), InventoryError> {
        for lapsed in store::expire_lapsed_on_seat(tx.conn(), seat, now).await? {
            storage::enqueue(tx.conn(), &ReservationExpired::from_hold(&lapsed, now), now).await?;
            self.hand_over(tx, &lapsed, now).await?;
        }
        Ok(())
    }

    /// Offers a seat whose block was lifted to the event's waitlist, as a freed hold's seat is.
    async fn offer_freed(
        &self,
        tx: &mut Tx,
        seat: &SeatRecord,
        now: DateTime<Utc>,
    ) -> Result<(), InventoryError> {
        let freed = Hold {
            id: kernel::ReservationId::new(),
            seat_id: seat.seat_id,
            event_id: seat.event_id,
            customer_id: String::new(),
            status: HoldStatus::Released,
            created_at: now,
            expires_at: now,
        };
        self.hand_over(tx, &freed, now).await.map(drop)
    }
}

fn taken(seat: &SeatRecord, state: &'static str) -> TakenSeat {
    TakenSeat {
        seat_id: seat.seat_id,
        section_code: seat.section_code.clone(),
        row_number: seat.row_number,
        seat_number: seat.seat_number,
        state,
    }
}
