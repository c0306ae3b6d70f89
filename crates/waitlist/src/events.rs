//! Events the waitlist publishes, and its consumer of payments and event status changes.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, ReservationId, SeatId, WaitlistEntryId};
use outbox::{Delivery, Subscriber};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use storage::Event;

use crate::WaitlistService;

/// `waitlist-offered`: a freed seat is held for the first person in line, with a pending order
/// they can pay with `guestToken` until `expiresAt`. Carries the token (a bearer secret) because
/// notification must put it in the e-mail; the topic is internal.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitlistOffered {
    /// The entry.
    pub entry_id: WaitlistEntryId,
    /// The event.
    pub event_id: EventId,
    /// Its name.
    pub event_name: String,
    /// Who is offered the seat.
    pub email: String,
    /// The seat.
    pub seat_id: SeatId,
    /// `section-row-seat`.
    pub seat_number: String,
    /// The pending order to pay.
    pub order_id: OrderId,
    /// The hold keeping the seat.
    pub reservation_id: ReservationId,
    /// The token that owns (and pays) the order.
    pub guest_token: String,
    /// The order's total.
    pub amount: Money,
    /// Its currency.
    pub currency: String,
    /// When the offer lapses.
    pub expires_at: DateTime<Utc>,
    /// Where the person sees the offer.
    pub offer_url: String,
    /// Where the order is paid (`POST`).
    pub pay_url: String,
}

impl Event for WaitlistOffered {
    const TOPIC: &'static str = "waitlist-offered";
    fn key(&self) -> String {
        self.event_id.to_string()
    }
}

/// `waitlist-offer-ended`: an offer ended without a purchase (`expired`: not paid in time;
/// `left`: the person left; `cancelled`: the event was deactivated).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitlistOfferEnded {
    /// The entry.
    pub entry_id: WaitlistEntryId,
    /// The event.
    pub event_id: EventId,
    /// Its name.
    pub event_name: String,
    /// Who had the offer.
    pub email: String,
    /// The seat.
    pub seat_id: SeatId,
    /// The order that was not paid.
    pub order_id: OrderId,
    /// `expired`, `left` or `cancelled`.
    pub reason: String,
    /// When.
    pub ended_at: DateTime<Utc>,
}

impl Event for WaitlistOfferEnded {
    const TOPIC: &'static str = "waitlist-offer-ended";
    fn key(&self) -> String {
        self.event_id.to_string()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentSucceededIn {
    order_id: OrderId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventStatusChangedIn {
    event_id: EventId,
    is_active: bool,
}

/// The waitlist's consumer of `payment-succeeded` and `event-status-changed`.
pub struct WaitlistSubscriber {
    service: Arc<WaitlistService>,
}

impl WaitlistSubscriber {
    /// A consumer applying events to `service`.
    pub fn new(service: Arc<WaitlistService>) -> Self {
        Self { service }
    }
}

#[async_trait::async_trait]
impl Subscriber for WaitlistSubscriber {
    fn name(&self) -> &'static str {
        "waitlist"
    }

    fn topics(&self) -> &'static [&'static str] {
        &["payment-succeeded", "event-status-changed"]
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        self.handle_batch(&[d]).await
    }

    /// One transaction for the batch, and none for the payments that were not an offer's
    /// (almost all of them in a sale): those change nothing, so they need neither the writer
    /// nor a processed mark.
    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        let mut work = Vec::with_capacity(deliveries.len());
        for &d in deliveries {
            if d.topic == "payment-succeeded" {
                let paid: PaymentSucceededIn = d.parse()?;
                if !self.service.is_offer(paid.order_id).await? {
                    continue;
                }
            }
            work.push(d);
        }
        if work.is_empty() {
            return Ok(());
        }
        let mut tx = self.service.db().begin().await?;
        let ids: Vec<_> = work.iter().map(|d| d.message_id).collect();
        let fresh = storage::mark_all_processed(tx.conn(), self.name(), &ids).await?;
        for (d, fresh) in work.into_iter().zip(fresh) {
            if fresh {
                self.apply(&mut tx, d).await?;
            }
        }
        tx.commit().await?;
        self.service.wake();
        Ok(())
    }
}

impl WaitlistSubscriber {
    async fn apply(&self, tx: &mut storage::Tx, d: &Delivery) -> anyhow::Result<()> {
        if d.topic == "payment-succeeded" {
            let paid: PaymentSucceededIn = d.parse()?;
            self.service.offer_paid(tx, paid.order_id).await?;
        } else {
            let changed: EventStatusChangedIn = d.parse()?;
            self.service
                .event_status_changed(tx, changed.event_id, changed.is_active)
                .await?;
        }
        Ok(())
    }
}
