//! Issuing tickets, rendering them, and admitting them at the door.

use kernel::{Clock, EventId, OrderId};
use outbox::RelayHandle;
use std::collections::HashMap;
use std::sync::Arc;
use storage::{Database, Tx};
use uuid::Uuid;

use crate::domain::{CheckInResult, Ticket, TicketStatus};
use crate::events::{OrderCompletedIn, TicketCheckedIn, TicketIssued};
use crate::ports::{EventDetails, EventFacts};
use crate::token::{TicketSigner, TicketToken};
use crate::{FulfillmentError, pdf, store};

/// The fulfillment context.
pub struct FulfillmentService {
    db: Database,
    clock: Arc<dyn Clock>,
    signer: TicketSigner,
    events: Arc<dyn EventDetails>,
    relay: RelayHandle,
}

impl FulfillmentService {
    /// Fulfillment over `db`, signing with `signer`, asking `events` for venues and dates.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        signer: TicketSigner,
        events: Arc<dyn EventDetails>,
        relay: RelayHandle,
    ) -> Self {
        Self {
            db,
            clock,
            signer,
            events,
            relay,
        }
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    pub(crate) fn wake_relay(&self) {
        self.relay.wake();
    }

    /// The facts of every event of an order, asked before the write transaction starts.
    pub(crate) async fn facts_for(
        &self,
        order: &OrderCompletedIn,
    ) -> anyhow::Result<HashMap<EventId, EventFacts>> {
        let mut facts = HashMap::new();
        for item in &order.items {
            if let std::collections::hash_map::Entry::Vacant(slot) = facts.entry(item.event_id) {
                let found = self.events.event(item.event_id).await?;
                slot.insert(found.unwrap_or_else(|| EventFacts {
                    name: item.event_name.clone(),
                    venue: String::new(),
                    event_date: order.paid_at,
                }));
            }
        }
        Ok(facts)
    }

    /// One ticket per seat of a completed order, signed. Made before the write transaction:
    /// signing is most of a ticket's cost, and the writer need not wait for it.
    pub(crate) fn tickets_for(
        &self,
        order: &OrderCompletedIn,
        facts: &HashMap<EventId, EventFacts>,
    ) -> Vec<Ticket> {
        let now = self.clock.now();
        let holder = order
            .customer_email
            .clone()
            .or_else(|| order.user_id.clone())
            .or_else(|| order.guest_token.clone())
            .unwrap_or_default();
        order
            .items
            .iter()
            .map(|item| {
                let id = kernel::new_uuid();
                let fact = facts.get(&item.event_id);
                Ticket {
                    id,
                    order_id: order.order_id,
                    event_id: item.event_id,
                    event_name: item.event_name.clone(),
                    venue: fact.map(|f| f.venue.clone()).unwrap_or_default(),
                    event_date: fact.map_or(now, |f| f.event_date),
                    seat_id: item.seat_id,
                    section_code: item.section_code.clone(),
                    row_number: item.row_number,
                    seat_number: item.seat_number,
                    price: item.price,
                    currency: order.currency.clone(),
                    holder: holder.clone(),
                    user_id: order.user_id.clone(),
                    guest_token: order.guest_token.clone(),
                    customer_email: order.customer_email.clone(),
                    status: TicketStatus::Issued,
                    qr: self.signer.sign(&TicketToken {
                        ticket_id: id,
                        event_id: item.event_id,
                        seat_id: item.seat_id,
                    }),
                    issued_at: now,
                    checked_in_at: None,
                    void_reason: None,
                }
            })
            .collect()
    }

    /// Issues a completed order's `tickets` inside `tx`; seats that already have their ticket
    /// are skipped. Announces the new tickets with one `ticket-issued`.
    pub(crate) async fn issue(
        &self,
        tx: &mut Tx,
        order: &OrderCompletedIn,
        tickets: &[Ticket],
    ) -> anyhow::Result<()> {
        let mut issued = Vec::with_capacity(tickets.len());
        for ticket in tickets {
            if store::insert_ticket(tx.conn(), ticket).await? {
                issued.push(ticket.clone());
            }
        }
        if !issued.is_empty() {
            let now = self.clock.now();
            storage::enqueue(tx.conn(), &TicketIssued::new(order, &issued, now), now).await?;
        }
        Ok(())
    }

    /// Voids the tickets of `seats` of `order` inside `tx` because they were refunded (see
    /// `payment::RefundedTickets`); a ticket issued for one of them later is void from the
    /// start.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn void_refunded_in(
        tx: &mut Tx,
        order: OrderId,
        seats: &[kernel::SeatId],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), FulfillmentError> {
        for &seat in seats {
            store::void_seat(tx.conn(), order, seat, "refunded", now).await?;
        }
        Ok(())
    }

    /// When each ticket of `event` was checked in (the dashboard's check-ins per hour).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn check_ins_of_event(
        &self,
        event: EventId,
    ) -> Result<Vec<chrono::DateTime<chrono::Utc>>, FulfillmentError> {
        let mut conn = self.db.read().await?;
        Ok(store::check_ins_of_event(conn.conn(), event).await?)
    }

    /// The orders holding valid tickets of `event`, with the address of each (whom to tell
    /// when the event moves).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn holders_of_event(
        &self,
        event: EventId,
    ) -> Result<Vec<(OrderId, String)>, FulfillmentError> {
        let mut conn = self.db.read().await?;
        Ok(store::holders_of_event(conn.conn(), event).await?)
    }

    /// A ticket by id.
    ///
    /// # Errors
    /// [`FulfillmentError::TicketNotFound`].
    pub async fn ticket(&self, id: Uuid) -> Result<Ticket, FulfillmentError> {
        let mut conn = self.db.read().await?;
        store::ticket(conn.conn(), id)
            .await?
            .ok_or(FulfillmentError::TicketNotFound)
    }

    /// The tickets of an order, for its owner (empty while none is issued).
    ///
    /// # Errors
    /// [`FulfillmentError::TicketNotFound`] when the tickets belong to someone else.
    pub async fn tickets_of_order(
        &self,
        order: OrderId,
        user_id: Option<&str>,
        guest_token: Option<&str>,
    ) -> Result<Vec<Ticket>, FulfillmentError> {
        let tickets = self.all_of_order(order).await?;
        if tickets.iter().any(|t| !t.is_owned_by(user_id, guest_token)) {
            return Err(FulfillmentError::TicketNotFound);
        }
        Ok(tickets)
    }

    /// Whether the catalogue knows `event` (an export of an unknown event is a 404, of an
    /// event without tickets an empty file).
    ///
    /// # Errors
    /// When the catalogue cannot be asked.
    pub async fn event_exists(&self, event: EventId) -> Result<bool, FulfillmentError> {
        Ok(self.events.event(event).await?.is_some())
    }

    /// One page of `event`'s tickets for an export: those after `after` in id order (start
    /// from `Uuid::nil()`), at most `limit`.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn tickets_of_event_after(
        &self,
        event: EventId,
        after: Uuid,
        limit: i64,
    ) -> Result<Vec<Ticket>, FulfillmentError> {
        let mut conn = self.db.read().await?;
        Ok(store::tickets_of_event_after(conn.conn(), event, after, limit).await?)
    }

    /// Every ticket of an order, whoever owns it (administrators).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn all_tickets_of_order(
        &self,
        order: OrderId,
    ) -> Result<Vec<Ticket>, FulfillmentError> {
        self.all_of_order(order).await
    }

    async fn all_of_order(&self, order: OrderId) -> Result<Vec<Ticket>, FulfillmentError> {
        let mut conn = self.db.read().await?;
        Ok(store::tickets_of_order(conn.conn(), order).await?)
    }

    /// The PDF of a ticket.
    ///
    /// # Errors
    /// Unknown ticket, or rendering failure.
    pub async fn pdf(&self, id: Uuid) -> Result<Vec<u8>, FulfillmentError> {
        let ticket = self.ticket(id).await?;
        Ok(pdf::render(&ticket)?)
    }

    /// Every ticket PDF of an order, named `ticket-<id>.pdf` (for the e-mail).
    ///
    /// # Errors
    /// When reading or rendering fails.
    pub async fn pdfs_of_order(&self, order: OrderId) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let tickets = self.all_of_order(order).await?;
        tickets
            .iter()
            .map(|t| Ok((format!("ticket-{}.pdf", t.id), pdf::render(t)?)))
            .collect()
    }

    /// The public key door scanners verify tokens with.
    pub fn public_key(&self) -> String {
        self.signer.public_key()
    }

    /// Admits a ticket once. `door_event`, when given, is the event this door admits to.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn check_in(
        &self,
        qr: &str,
        door_event: Option<EventId>,
    ) -> Result<(CheckInResult, Option<Ticket>), FulfillmentError> {
        let Some(token) = self.signer.verify(qr) else {
            return Ok((CheckInResult::Invalid, None));
        };
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(ticket) = store::ticket(tx.conn(), token.ticket_id).await? else {
            return Ok((CheckInResult::Invalid, None));
        };
        let result = if ticket.event_id != token.event_id || ticket.seat_id != token.seat_id {
            CheckInResult::Invalid
        } else if door_event.is_some_and(|e| e != ticket.event_id) {
            CheckInResult::WrongEvent
        } else if ticket.status == TicketStatus::Void {
            CheckInResult::Void
        } else if store::check_in(tx.conn(), ticket.id, now).await? {
            storage::enqueue(tx.conn(), &TicketCheckedIn::new(&ticket, now), now).await?;
            CheckInResult::Admitted
        } else {
            CheckInResult::AlreadyCheckedIn
        };
        let ticket = store::ticket(tx.conn(), ticket.id).await?;
        // A refund may have voided the ticket between the read above and the admission that
        // found it no longer `issued`: say so, not "already used".
        let result = match (&result, &ticket) {
            (CheckInResult::AlreadyCheckedIn, Some(t)) if t.status == TicketStatus::Void => {
                CheckInResult::Void
            }
            _ => result,
        };
        tx.commit().await?;
        self.relay.wake();
        Ok((result, ticket))
    }
}
