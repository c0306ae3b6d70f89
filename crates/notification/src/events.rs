//! Notification's consumer: tickets to e-mail, lapsed holds to announce.

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId, SeatId};
use outbox::{Delivery, Subscriber};
use serde::Deserialize;
use std::sync::Arc;

use crate::NotificationService;
use crate::compose;

#[derive(Deserialize)]
struct TicketIssuedIn {
    order_id: OrderId,
    customer_email: Option<String>,
    event_name: String,
    #[serde(default)]
    seat_numbers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReservationExpiredIn {
    reservation_id: ReservationId,
    seat_id: SeatId,
    customer_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WaitlistOfferedIn {
    entry_id: String,
    event_name: String,
    email: String,
    seat_number: String,
    order_id: OrderId,
    guest_token: String,
    amount: Money,
    currency: String,
    expires_at: DateTime<Utc>,
    offer_url: String,
    pay_url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WaitlistOfferEndedIn {
    entry_id: String,
    event_name: String,
    email: String,
    reason: String,
}

/// Consumes `ticket-issued`, `reservation-expired`, `waitlist-offered` and `waitlist-offer-ended`.
pub struct NotificationSubscriber {
    service: Arc<NotificationService>,
}

impl NotificationSubscriber {
    /// A consumer storing messages through `service`.
    pub fn new(service: Arc<NotificationService>) -> Self {
        Self { service }
    }

    async fn on_tickets(&self, d: &Delivery) -> anyhow::Result<()> {
        let issued: TicketIssuedIn = d.parse()?;
        let key = format!("tickets:{}", issued.order_id);
        let to = issued.customer_email.filter(|a| compose::is_address(a));
        let message = match &to {
            Some(to) => {
                let pdfs = self.service.documents.pdfs(issued.order_id).await?;
                Some(compose::tickets(
                    to,
                    &issued.event_name,
                    &issued.seat_numbers,
                    pdfs,
                )?)
            }
            None => None,
        };
        let mut tx = self.service.db().begin().await?;
        if !outbox::mark_processed(tx.conn(), self.name(), d.message_id).await? {
            return Ok(());
        }
        match message {
            Some(m) => self.service.store(&mut tx, &key, "tickets", &m).await?,
            None => {
                let subject = format!("Your Ticket for {}", issued.event_name);
                self.service
                    .skip(&mut tx, &key, "tickets", &subject)
                    .await?;
            }
        }
        tx.commit().await?;
        self.service.wake();
        Ok(())
    }

    /// Stores `message` under `key` unless this delivery was handled before.
    async fn keep(
        &self,
        d: &Delivery,
        key: &str,
        kind: &str,
        message: &compose::Composed,
    ) -> anyhow::Result<()> {
        let mut tx = self.service.db().begin().await?;
        if !outbox::mark_processed(tx.conn(), self.name(), d.message_id).await? {
            return Ok(());
        }
        self.service.store(&mut tx, key, kind, message).await?;
        tx.commit().await?;
        self.service.wake();
        Ok(())
    }

    async fn on_offered(&self, d: &Delivery) -> anyhow::Result<()> {
        let o: WaitlistOfferedIn = d.parse()?;
        if !compose::is_address(&o.email) {
            return Ok(());
        }
        let message = compose::waitlist_offer(
            &o.email,
            &compose::OfferFacts {
                event_name: &o.event_name,
                seat_number: &o.seat_number,
                amount: &o.amount.to_string(),
                currency: &o.currency,
                expires_at: &o.expires_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                order_id: &o.order_id.to_string(),
                guest_token: &o.guest_token,
                offer_url: &o.offer_url,
                pay_url: &o.pay_url,
            },
        )?;
        let key = format!("waitlist_offer:{}:{}", o.entry_id, o.order_id);
        self.keep(d, &key, "waitlist_offer", &message).await
    }

    async fn on_offer_ended(&self, d: &Delivery) -> anyhow::Result<()> {
        let ended: WaitlistOfferEndedIn = d.parse()?;
        if ended.reason == "left" || !compose::is_address(&ended.email) {
            return Ok(());
        }
        let message =
            compose::waitlist_offer_ended(&ended.email, &ended.event_name, &ended.reason)?;
        let key = format!("waitlist_offer_ended:{}", ended.entry_id);
        self.keep(d, &key, "waitlist_offer_ended", &message).await
    }

    async fn on_expired(&self, d: &Delivery) -> anyhow::Result<()> {
        let expired: ReservationExpiredIn = d.parse()?;
        if !compose::is_address(&expired.customer_id) {
            return Ok(());
        }
        let message = compose::hold_expired(
            &expired.customer_id,
            &expired.reservation_id.to_string(),
            &expired.seat_id.to_string(),
        )?;
        let key = format!("hold_expired:{}", expired.reservation_id);
        self.keep(d, &key, "hold_expired", &message).await
    }
}

#[async_trait::async_trait]
impl Subscriber for NotificationSubscriber {
    fn name(&self) -> &'static str {
        "notification"
    }

    fn topics(&self) -> &'static [&'static str] {
        &[
            "ticket-issued",
            "reservation-expired",
            "waitlist-offered",
            "waitlist-offer-ended",
        ]
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        match d.topic.as_str() {
            "ticket-issued" => self.on_tickets(d).await,
            "waitlist-offered" => self.on_offered(d).await,
            "waitlist-offer-ended" => self.on_offer_ended(d).await,
            _ => self.on_expired(d).await,
        }
    }
}
