//! The hand-over: who gets a freed seat, decided inside the transaction that freed it.

use chrono::{DateTime, Utc};
use kernel::{OrderId, ReservationId};
use std::sync::Arc;
use storage::Tx;

use super::WaitlistSettings;
use crate::domain::{EntryStatus, Offer};
use crate::events::{WaitlistOfferEnded, WaitlistOffered};
use crate::ports::{FreedSeat, GuestTokenIssuer, OfferOrders, OfferedOrder};
use crate::store;

/// The seat hold to create for the person a freed seat was offered to.
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessorHold {
    /// The hold's id (the offer's order already refers to it).
    pub reservation_id: ReservationId,
    /// The offer's guest token, which owns the hold.
    pub guest_token: String,
    /// When the offer lapses.
    pub expires_at: DateTime<Utc>,
}

/// Hands freed seats to the people waiting for them (inventory's successor port).
pub struct Succession {
    tokens: Arc<dyn GuestTokenIssuer>,
    orders: Arc<dyn OfferOrders>,
    settings: WaitlistSettings,
}

impl Succession {
    /// A hand-over issuing tokens through `tokens` and orders through `orders`.
    pub fn new(
        tokens: Arc<dyn GuestTokenIssuer>,
        orders: Arc<dyn OfferOrders>,
        settings: WaitlistSettings,
    ) -> Self {
        Self {
            tokens,
            orders,
            settings,
        }
    }

    /// Called in the transaction that freed `freed`: ends the offer that hold carried, if any,
    /// then offers the seat to the first person waiting for its event (unless the event is
    /// paused). Returns the hold inventory must create for them.
    ///
    /// # Errors
    /// When the database fails (the freeing transaction then rolls back as a whole).
    pub async fn successor_in(
        &self,
        tx: &mut Tx,
        freed: &FreedSeat,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<SuccessorHold>> {
        // Nobody ever queued for this event (the common case on every expiry and release):
        // no offer to end, nobody to offer the seat to — one lookup and done.
        let Some(event) = store::event(tx.conn(), freed.event_id).await? else {
            return Ok(None);
        };
        // The hold that ended was an offer: it lapsed unpaid (or its order was cancelled).
        if let Some(lapsed) =
            store::assigned_by_reservation(tx.conn(), freed.reservation_id).await?
            && let Some(offer) = &lapsed.offer
            && store::end_entry(tx.conn(), lapsed.id, EntryStatus::Expired, now).await?
        {
            let ended = WaitlistOfferEnded {
                entry_id: lapsed.id,
                event_id: lapsed.event_id,
                event_name: event.event_name.clone(),
                email: lapsed.email.clone(),
                seat_id: freed.seat_id,
                order_id: offer.order_id,
                reason: EntryStatus::Expired.as_str().into(),
                ended_at: now,
            };
            storage::enqueue(tx.conn(), &ended, now).await?;
        }
        if !event.is_active {
            return Ok(None);
        }
        let Some(next) = store::first_pending(tx.conn(), freed.event_id).await? else {
            return Ok(None);
        };
        let guest_token = self.tokens.issue_in(tx, now).await?;
        let offer = Offer {
            seat_id: freed.seat_id,
            order_id: OrderId::new(),
            reservation_id: ReservationId::new(),
            assigned_at: now,
            expires_at: now + self.settings.offer_duration,
        };
        let order = OfferedOrder {
            order_id: offer.order_id,
            guest_token: guest_token.clone(),
            email: next.email.clone(),
            seat: freed.clone(),
            event_name: event.event_name.clone(),
            currency: event.currency.clone(),
            reservation_id: offer.reservation_id,
        };
        self.orders.place_in(tx, &order, now).await?;
        if !store::assign(tx.conn(), next.id, &offer).await? {
            anyhow::bail!("waitlist entry {} changed during its hand-over", next.id);
        }
        let base = self.settings.public_url.trim_end_matches('/');
        let offered = WaitlistOffered {
            entry_id: next.id,
            event_id: freed.event_id,
            event_name: event.event_name,
            email: next.email,
            seat_id: freed.seat_id,
            seat_number: format!(
                "{}-{}-{}",
                freed.section_code, freed.row_number, freed.seat_number
            ),
            order_id: offer.order_id,
            reservation_id: offer.reservation_id,
            guest_token: guest_token.clone(),
            amount: freed.price,
            currency: event.currency,
            expires_at: offer.expires_at,
            // The web page of the offer; the token signs the browser in as this guest.
            offer_url: format!("{base}/ui/waitlist/{}?token={guest_token}", next.id),
            pay_url: format!("{base}/payments"),
        };
        storage::enqueue(tx.conn(), &offered, now).await?;
        Ok(Some(SuccessorHold {
            reservation_id: offer.reservation_id,
            guest_token,
            expires_at: offer.expires_at,
        }))
    }
}
