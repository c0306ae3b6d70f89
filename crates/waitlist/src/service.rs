//! Joining, leaving and following a waitlist; the hand-over lives in `service/succession.rs`.

mod succession;

use chrono::{DateTime, Duration, Utc};
use kernel::{Clock, EventId, OrderId, WaitlistEntryId};
use outbox::RelayHandle;
use std::sync::Arc;
use storage::{Database, Tx};

pub use succession::{Succession, SuccessorHold};

use crate::domain::{Entry, EntryStatus, valid_email};
use crate::events::WaitlistOfferEnded;
use crate::ports::{EventFacts, OfferHolds};
use crate::{WaitlistError, store};

/// Waitlist rules.
#[derive(Debug, Clone)]
pub struct WaitlistSettings {
    /// How long an offered seat is held for its person.
    pub offer_duration: Duration,
    /// The address people reach the gateway at, for links in e-mails.
    pub public_url: String,
}

/// The waitlist context: the requests people make.
pub struct WaitlistService {
    db: Database,
    clock: Arc<dyn Clock>,
    events: Arc<dyn EventFacts>,
    holds: Arc<dyn OfferHolds>,
    relay: RelayHandle,
}

impl WaitlistService {
    /// The waitlist over `db`, asking `events` about events and releasing withdrawn offers
    /// through `holds`.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        events: Arc<dyn EventFacts>,
        holds: Arc<dyn OfferHolds>,
        relay: RelayHandle,
    ) -> Self {
        Self {
            db,
            clock,
            events,
            holds,
            relay,
        }
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    pub(crate) fn wake(&self) {
        self.relay.wake();
    }

    /// Puts `email` in line for a sold-out event; returns the entry and its position (1 = next).
    ///
    /// # Errors
    /// Invalid e-mail, unknown event, event not on sale, seats still available, or the e-mail
    /// already waiting.
    pub async fn join(
        &self,
        email: &str,
        event_id: EventId,
    ) -> Result<(Entry, i64), WaitlistError> {
        let email = email.trim();
        if email.is_empty() {
            return Err(WaitlistError::Invalid("Email is required.".into()));
        }
        if !valid_email(email) {
            return Err(WaitlistError::Invalid("Email format is invalid.".into()));
        }
        let event = self
            .events
            .event(event_id)
            .await?
            .ok_or(WaitlistError::EventNotFound(event_id))?;
        if !event.on_sale {
            return Err(WaitlistError::NotOnSale(event_id));
        }
        if event.available_seats > 0 {
            return Err(WaitlistError::SeatsAvailable);
        }
        let id = WaitlistEntryId::new();
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        store::upsert_event(tx.conn(), event_id, &event.name, &event.currency).await?;
        if !store::insert_entry(tx.conn(), id, event_id, email, now).await? {
            return Err(WaitlistError::AlreadyWaiting);
        }
        let entry = store::entry(tx.conn(), id)
            .await?
            .ok_or(WaitlistError::EntryNotFound(id))?;
        let position = store::position_of(tx.conn(), id).await?.unwrap_or(1);
        tx.commit().await?;
        Ok((entry, position))
    }

    /// How many people wait for the event.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn pending_count(&self, event_id: EventId) -> Result<i64, WaitlistError> {
        let mut conn = self.db.read().await?;
        Ok(store::pending_count(conn.conn(), event_id).await?)
    }

    /// An entry with its live position (only while it waits).
    ///
    /// # Errors
    /// [`WaitlistError::EntryNotFound`].
    pub async fn entry(&self, id: WaitlistEntryId) -> Result<(Entry, Option<i64>), WaitlistError> {
        let mut conn = self.db.read().await?;
        let entry = store::entry(conn.conn(), id)
            .await?
            .ok_or(WaitlistError::EntryNotFound(id))?;
        let position = store::position_of(conn.conn(), id).await?;
        Ok((entry, position))
    }

    /// Leaves the line. An offered seat is released in the same transaction, which hands it to
    /// the next person.
    ///
    /// # Errors
    /// Unknown entry, or an entry that is already over.
    pub async fn leave(&self, id: WaitlistEntryId) -> Result<Entry, WaitlistError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let entry = store::entry(tx.conn(), id)
            .await?
            .ok_or(WaitlistError::EntryNotFound(id))?;
        if !entry.status.is_open() {
            return Err(WaitlistError::Closed(entry.status.as_str()));
        }
        self.end(&mut tx, &entry, EntryStatus::Left, now).await?;
        let entry = store::entry(tx.conn(), id)
            .await?
            .ok_or(WaitlistError::EntryNotFound(id))?;
        tx.commit().await?;
        self.wake();
        Ok(entry)
    }

    /// Ends an open entry; an offer's hold is released (and its seat handed on).
    async fn end(
        &self,
        tx: &mut Tx,
        entry: &Entry,
        status: EntryStatus,
        now: DateTime<Utc>,
    ) -> Result<(), WaitlistError> {
        if !store::end_entry(tx.conn(), entry.id, status, now).await? {
            return Ok(());
        }
        let Some(offer) = entry
            .offer
            .as_ref()
            .filter(|_| entry.status == EntryStatus::Assigned)
        else {
            return Ok(());
        };
        let event_name = store::event(tx.conn(), entry.event_id)
            .await?
            .map(|e| e.event_name)
            .unwrap_or_default();
        let ended = WaitlistOfferEnded {
            entry_id: entry.id,
            event_id: entry.event_id,
            event_name,
            email: entry.email.clone(),
            seat_id: offer.seat_id,
            order_id: offer.order_id,
            reason: status.as_str().into(),
            ended_at: now,
        };
        storage::enqueue(tx.conn(), &ended, now).await?;
        let reason = match status {
            EntryStatus::Left => "waitlist_left",
            _ => "event_deactivated",
        };
        self.holds
            .release_in(tx, offer.reservation_id, reason, now)
            .await?;
        Ok(())
    }

    /// Whether a payment of `order` has anything to complete here. Read outside the writer:
    /// an offer's order is placed in the transaction that assigns the offer, so by the time the
    /// order is paid the assignment is committed, and a `false` stays `false` for that payment.
    pub(crate) async fn is_offer(&self, order: OrderId) -> Result<bool, storage::Error> {
        let mut conn = self.db.read().await?;
        store::is_offer(conn.conn(), order).await
    }

    /// A paid order completes the entry it was offered to.
    pub(crate) async fn offer_paid(&self, tx: &mut Tx, order: OrderId) -> anyhow::Result<()> {
        store::complete_by_order(tx.conn(), order, self.clock.now()).await?;
        Ok(())
    }

    /// Deactivation pauses hand-overs and withdraws standing offers (their seats are released,
    /// not handed on); reactivation resumes them.
    pub(crate) async fn event_status_changed(
        &self,
        tx: &mut Tx,
        event: EventId,
        active: bool,
    ) -> anyhow::Result<()> {
        if !store::set_event_active(tx.conn(), event, active).await? || active {
            return Ok(());
        }
        let now = self.clock.now();
        for entry in store::open_offers_of_event(tx.conn(), event).await? {
            self.end(tx, &entry, EntryStatus::Cancelled, now).await?;
        }
        Ok(())
    }
}
