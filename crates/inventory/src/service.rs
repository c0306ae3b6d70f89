//! Inventory commands: hold, release, expire. Each owns its transaction and writes its events
//! to the outbox inside it. Seats held back by the organiser are in `service/blocks.rs`,
//! best available in `service/best.rs`.

mod best;
mod blocks;

pub use best::{BestHolds, BestRequest, HeldSeat};
pub use blocks::{HeldBackSeat, MAX_SELECTION, SeatSelection};

use chrono::{DateTime, Duration, Utc};
use kernel::{Clock, EventId, ReservationId, SeatId};
use outbox::RelayHandle;
use std::sync::Arc;
use storage::{Database, LockKey, Tx};

use crate::InventoryError;
use crate::domain::{self, CustomerId, Hold, HoldStatus, SeatTakenBy};
use crate::events::{ReservationCreated, ReservationExpired, ReservationReleased};
use crate::ports::{
    FreedSeat, HoldPayments, NoPayments, NoSuccession, SeatDirectory, SeatSuccession,
};
use crate::store::{self, SeatRecord};

/// Hold rules.
#[derive(Debug, Clone, Copy)]
pub struct HoldSettings {
    /// How long a hold lasts.
    pub hold_duration: Duration,
    /// Most active holds one customer may have for one event.
    pub max_holds_per_customer: u32,
}

/// A request to hold a seat.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    /// The seat.
    pub seat_id: SeatId,
    /// The buyer.
    pub customer_id: CustomerId,
    /// The event, if the client names it (must match the seat's).
    pub event_id: Option<EventId>,
}

/// The inventory context.
pub struct InventoryService {
    db: Database,
    clock: Arc<dyn Clock>,
    directory: Arc<dyn SeatDirectory>,
    succession: Arc<dyn SeatSuccession>,
    payments: Arc<dyn HoldPayments>,
    relay: RelayHandle,
    settings: HoldSettings,
}

const SWEEP_BATCH: i64 = 500;

impl InventoryService {
    /// Inventory over `db`, asking `directory` about seats it has not heard of yet.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        directory: Arc<dyn SeatDirectory>,
        relay: RelayHandle,
        settings: HoldSettings,
    ) -> Self {
        Self {
            db,
            clock,
            directory,
            succession: Arc::new(NoSuccession),
            payments: Arc::new(NoPayments),
            relay,
            settings,
        }
    }

    /// The same inventory, offering every freed seat to `succession` first (the waitlist).
    #[must_use]
    pub fn with_succession(mut self, succession: Arc<dyn SeatSuccession>) -> Self {
        self.succession = succession;
        self
    }

    /// The same inventory, refusing to release a hold that `payments` says is being paid for.
    #[must_use]
    pub fn with_payments(mut self, payments: Arc<dyn HoldPayments>) -> Self {
        self.payments = payments;
        self
    }

    /// Most active holds one buyer may have for one event (what best-available may ask for).
    pub fn hold_limit(&self) -> u32 {
        self.settings.max_holds_per_customer
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Holds a seat for a buyer.
    ///
    /// # Errors
    /// Unknown seat, event not on sale, seat taken, or the buyer's hold limit reached.
    pub async fn hold(&self, request: HoldRequest) -> Result<Hold, InventoryError> {
        let listing = self
            .directory
            .locate(request.seat_id)
            .await?
            .ok_or(InventoryError::SeatNotFound(request.seat_id))?;
        let now = self.now();
        domain::check_on_sale(&listing, request.event_id, now)?;
        let seat = SeatRecord::from(listing);
        // Asked on a reader, outside the writer's queue (the single writer is what limits holds
        // per second): whether the seat is recorded yet (usually, from `seats-generated`), and
        // whether a live hold or a sale takes it. A taken seat is refused here, as the writer
        // would refuse it: what the reader saw was committed, so the refusal is ordered after
        // that hold and before any release that commits later. In a rush most attempts on a
        // hot seat end here, without queueing for the writer.
        let (known, taken, blocked) =
            store::seat_state(self.db.read().await?.conn(), seat.seat_id, now).await?;
        if taken {
            return Err(InventoryError::SeatAlreadyReserved(seat.seat_id));
        }
        if blocked {
            return Err(InventoryError::SeatHeldBack(seat.seat_id));
        }
        let hold = Hold::active(
            seat.seat_id,
            seat.event_id,
            &request.customer_id,
            now,
            self.settings.hold_duration,
        );
        let decided = if known {
            self.hold_beside(&seat, &hold, now).await?
        } else {
            None
        };
        match decided {
            Some(outcome) => outcome.map(|()| {
                self.relay.wake();
                hold
            }),
            None => self.hold_alone(&seat, hold, known, now).await,
        }
    }

    /// Most active holds a buyer may have for one event, as the hold statement takes it.
    fn limit(&self) -> i64 {
        i64::from(self.settings.max_holds_per_customer)
    }

    /// Most holds find the seat free, and then touch nothing but their own new row (the partial
    /// unique index decides between two holds of one seat) and the buyer's count of holds
    /// (under the buyer's key): on PostgreSQL such holds run side by side
    /// (`Database::begin_beside`), on SQLite they share the writer's group commit. So are
    /// refusals, unless a lapsed hold still marked active is
    /// in the way (only transactions that run alone end one, so what is read here stays true
    /// until the end): that case answers `None`, for [`InventoryService::hold_alone`].
    async fn hold_beside(
        &self,
        seat: &SeatRecord,
        hold: &Hold,
        now: DateTime<Utc>,
    ) -> Result<Option<Result<(), InventoryError>>, InventoryError> {
        let key = LockKey::new("holds-of-customer", &hold.customer_id);
        let mut tx = self.db.begin_beside(key).await?;
        if store::insert_hold(tx.conn(), hold, Some(self.limit())).await? {
            storage::enqueue(tx.conn(), &ReservationCreated::new(hold, seat), now).await?;
            tx.commit().await?;
            return Ok(Some(Ok(())));
        }
        let lapsed = store::has_lapsed_hold(tx.conn(), seat.seat_id, now).await?;
        let taken = if lapsed {
            SeatTakenBy::Nobody
        } else {
            store::seat_taken(tx.conn(), seat.seat_id).await?
        };
        // Released before the path alone waits for the writers' lock.
        tx.rollback().await?;
        let limit = self.settings.max_holds_per_customer;
        Ok((!lapsed).then(|| Err(domain::refusal(seat.seat_id, taken, limit))))
    }

    /// The hold in a transaction of its own, alone among writers: records the seat if needed,
    /// and ends a lapsed hold in the way (perhaps handing the seat to the waitlist) before
    /// trying again.
    async fn hold_alone(
        &self,
        seat: &SeatRecord,
        hold: Hold,
        known: bool,
        now: DateTime<Utc>,
    ) -> Result<Hold, InventoryError> {
        let mut tx = self.db.begin().await?;
        if !known {
            store::upsert_seat(tx.conn(), seat).await?;
        }
        // Most holds find the seat free, so the hold is tried first (one statement fewer under
        // the writer lock).
        let mut handed_over = false;
        let mut inserted = store::insert_hold(tx.conn(), &hold, Some(self.limit())).await?;
        if !inserted {
            let lapsed = store::expire_lapsed_on_seat(tx.conn(), seat.seat_id, now).await?;
            for lapsed in &lapsed {
                storage::enqueue(tx.conn(), &ReservationExpired::from_hold(lapsed, now), now)
                    .await?;
                handed_over |= self.hand_over(&mut tx, lapsed, now).await?;
            }
            if !lapsed.is_empty() {
                inserted = store::insert_hold(tx.conn(), &hold, Some(self.limit())).await?;
            }
        }
        if !inserted {
            let taken = store::seat_taken(tx.conn(), seat.seat_id).await?;
            if handed_over {
                // The lapsed hold's seat went to the waitlist: keep that, refuse this buyer.
                tx.commit().await?;
                self.relay.wake();
            }
            let limit = self.settings.max_holds_per_customer;
            return Err(domain::refusal(seat.seat_id, taken, limit));
        }
        storage::enqueue(tx.conn(), &ReservationCreated::new(&hold, seat), now).await?;
        tx.commit().await?;
        self.relay.wake();
        Ok(hold)
    }

    /// A hold by id, with its status as of now, for its owner (`None`: an administrator).
    ///
    /// # Errors
    /// [`InventoryError::ReservationNotFound`] for an unknown id or another buyer's hold.
    pub async fn get(
        &self,
        id: ReservationId,
        owner: Option<&CustomerId>,
    ) -> Result<Hold, InventoryError> {
        let mut conn = self.db.read().await?;
        let mut hold = store::hold(conn.conn(), id)
            .await?
            .filter(|h| owner.is_none_or(|o| h.customer_id == o.as_str()))
            .ok_or(InventoryError::ReservationNotFound(id))?;
        hold.status = hold.status_at(self.now());
        Ok(hold)
    }

    /// Extends the buyer's hold once by the hold time, where its event allows it (the event's
    /// `holdExtension`): the buyer who is still choosing or paying keeps the seat. The answer
    /// is the hold with its new `expires_at`.
    ///
    /// # Errors
    /// Unknown id or another buyer's hold (not found), a hold no longer active, an event that
    /// does not allow it, or a hold extended before ([`InventoryError::NotExtendable`]).
    pub async fn extend(
        &self,
        id: ReservationId,
        owner: &CustomerId,
    ) -> Result<Hold, InventoryError> {
        let hold = self.get(id, Some(owner)).await?;
        if hold.status != HoldStatus::Active {
            return Err(InventoryError::NotActive(hold.status.as_str()));
        }
        let listing = self
            .directory
            .locate(hold.seat_id)
            .await?
            .ok_or(InventoryError::SeatNotFound(hold.seat_id))?;
        if !listing.hold_extension {
            return Err(InventoryError::NotExtendable(
                "The organiser of this event does not allow extending a hold.",
            ));
        }
        let now = self.now();
        // One guarded statement (active, unexpired, not extended yet, the owner's): two
        // extensions at once cannot both pass.
        let mut tx = self.db.begin_unlocked().await?;
        let extended = store::extend_hold(
            tx.conn(),
            id,
            owner.as_str(),
            self.settings.hold_duration,
            now,
        )
        .await?;
        tx.commit().await?;
        extended.ok_or(InventoryError::NotExtendable(
            "This hold was extended once already, or has just run out.",
        ))
    }

    /// Releases a hold early, for its owner (`None`: an administrator).
    ///
    /// # Errors
    /// Unknown id or another buyer's hold (both not found), or a hold no longer active.
    pub async fn release(
        &self,
        id: ReservationId,
        customer: Option<&CustomerId>,
    ) -> Result<Hold, InventoryError> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let hold = store::hold(tx.conn(), id)
            .await?
            .filter(|h| customer.is_none_or(|c| h.customer_id == c.as_str()))
            .ok_or(InventoryError::ReservationNotFound(id))?;
        let status = hold.status_at(now);
        if status != HoldStatus::Active {
            return Err(InventoryError::NotActive(status.as_str()));
        }
        if self.payments.is_being_paid(id).await? {
            return Err(InventoryError::BeingPaid(id));
        }
        let released = self
            .release_in(&mut tx, id, "released_by_customer", now)
            .await?;
        tx.commit().await?;
        self.relay.wake();
        released.ok_or(InventoryError::NotActive("expired"))
    }

    /// Releases an active hold inside `tx`, announces it and offers the seat to whoever waits
    /// for it; `None` if the hold was not active. The caller commits and wakes the relay.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn release_in(
        &self,
        tx: &mut Tx,
        id: ReservationId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Hold>, InventoryError> {
        let Some(hold) = store::release_hold(tx.conn(), id, now).await? else {
            return Ok(None);
        };
        self.announce_freed(tx, &hold, reason, now).await?;
        Ok(Some(hold))
    }

    /// Puts the sold seat of the confirmed hold `id` back on sale inside `tx` (its order was
    /// refunded), offering it to whoever waits for it first; `None` if the hold was not
    /// confirmed (freed before: applying a refund twice changes nothing).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn free_sold_in(
        &self,
        tx: &mut Tx,
        id: ReservationId,
        now: DateTime<Utc>,
    ) -> Result<Option<Hold>, InventoryError> {
        let Some(hold) = store::release_confirmed(tx.conn(), id, now).await? else {
            return Ok(None);
        };
        self.announce_freed(tx, &hold, "refunded", now).await?;
        Ok(Some(hold))
    }

    /// Announces the end of `hold` (`reservation-released` with `reason`) and hands its seat
    /// over to the next claimant, if any.
    async fn announce_freed(
        &self,
        tx: &mut Tx,
        hold: &Hold,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), InventoryError> {
        storage::enqueue(
            tx.conn(),
            &ReservationReleased::from_hold(hold, reason, now),
            now,
        )
        .await?;
        self.hand_over(tx, hold, now).await?;
        Ok(())
    }

    /// Offers the seat of `ended` (just expired or released in `tx`) to the successor port;
    /// returns whether someone took it. Their hold is created in the same transaction.
    async fn hand_over(
        &self,
        tx: &mut Tx,
        ended: &Hold,
        now: DateTime<Utc>,
    ) -> Result<bool, InventoryError> {
        let Some(seat) = store::seat(tx.conn(), ended.seat_id).await? else {
            return Ok(false);
        };
        let freed = FreedSeat {
            reservation_id: ended.id,
            seat_id: seat.seat_id,
            event_id: seat.event_id,
            section_code: seat.section_code.clone(),
            row_number: seat.row_number,
            seat_number: seat.seat_number,
            price: seat.price,
        };
        let Some(next) = self.succession.successor(tx, &freed, now).await? else {
            return Ok(false);
        };
        let hold = Hold {
            id: next.reservation_id,
            seat_id: seat.seat_id,
            event_id: seat.event_id,
            customer_id: next.customer_id,
            status: HoldStatus::Active,
            created_at: now,
            expires_at: next.expires_at,
        };
        if !store::insert_hold(tx.conn(), &hold, None).await? {
            return Err(InventoryError::Internal(anyhow::anyhow!(
                "seat {} was freed but could not be handed over",
                seat.seat_id
            )));
        }
        store::mark_offer(tx.conn(), hold.id).await?;
        storage::enqueue(tx.conn(), &ReservationCreated::new(&hold, &seat), now).await?;
        Ok(true)
    }

    /// Expires every hold past its `expiresAt` and announces each; returns how many.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn sweep_expired(&self) -> Result<usize, InventoryError> {
        let mut total = 0;
        loop {
            let now = self.now();
            let mut tx = self.db.begin().await?;
            let lapsed = store::expire_lapsed(tx.conn(), now, SWEEP_BATCH).await?;
            for hold in &lapsed {
                storage::enqueue(tx.conn(), &ReservationExpired::from_hold(hold, now), now).await?;
                self.hand_over(&mut tx, hold, now).await?;
            }
            tx.commit().await?;
            total += lapsed.len();
            if (lapsed.len() as i64) < SWEEP_BATCH {
                break;
            }
        }
        if total > 0 {
            self.relay.wake();
        }
        Ok(total)
    }

    /// Gives the active holds `ids` of buyer `from` to buyer `to` inside the caller's
    /// transaction `tx` (a guest's cart becomes the account's when the guest signs in:
    /// `ordering::CartHolds`). A hold that lapsed or ended stays where it is; returns how many
    /// moved. The account may then hold more than the limit for a moment: nothing already held
    /// is taken from a buyer.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn give_holds_in(
        tx: &mut Tx,
        ids: &[ReservationId],
        from: &str,
        to: &str,
    ) -> Result<usize, InventoryError> {
        let mut moved = 0;
        for &id in ids {
            moved += usize::from(store::give_hold(tx.conn(), id, from, to).await?);
        }
        Ok(moved)
    }

    /// Confirms the paid holds `ids` inside the payment's transaction `tx` (see
    /// `payment::PaidHolds`); `false` if one of them is neither active nor already confirmed.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn confirm_paid_in(
        tx: &mut Tx,
        ids: &[ReservationId],
        now: DateTime<Utc>,
    ) -> Result<bool, InventoryError> {
        for &id in ids {
            if !store::confirm_hold(tx.conn(), id, now).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    pub(crate) fn directory(&self) -> &dyn SeatDirectory {
        self.directory.as_ref()
    }
}

impl InventoryService {
    pub(crate) fn relay_wake(&self) {
        self.relay.wake();
    }
}
