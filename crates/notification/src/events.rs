//! Notification's consumer: tickets to e-mail, lapsed holds to announce.

use kernel::{OrderId, ReservationId, SeatId};
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

/// Consumes `ticket-issued` and `reservation-expired`.
pub struct NotificationSubscriber {
    service: Arc<NotificationService>,
}

impl NotificationSubscriber {
    /// A consumer storing messages through `service`.
    pub fn new(service: Arc<NotificationService>) -> Self {
        Self { service }
    }

    async fn on_tickets(&self, d: &Delivery) -> anyhow::Result<()> {
        let issued: TicketIssuedIn = serde_json::from_value(d.payload.clone())?;
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
        if !outbox::mark_processed(&mut tx, self.name(), d.message_id).await? {
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

    async fn on_expired(&self, d: &Delivery) -> anyhow::Result<()> {
        let expired: ReservationExpiredIn = serde_json::from_value(d.payload.clone())?;
        if !compose::is_address(&expired.customer_id) {
            return Ok(());
        }
        let message = compose::hold_expired(
            &expired.customer_id,
            &expired.reservation_id.to_string(),
            &expired.seat_id.to_string(),
        )?;
        let mut tx = self.service.db().begin().await?;
        if !outbox::mark_processed(&mut tx, self.name(), d.message_id).await? {
            return Ok(());
        }
        let key = format!("hold_expired:{}", expired.reservation_id);
        self.service
            .store(&mut tx, &key, "hold_expired", &message)
            .await?;
        tx.commit().await?;
        self.service.wake();
        Ok(())
    }
}

#[async_trait::async_trait]
impl Subscriber for NotificationSubscriber {
    fn name(&self) -> &'static str {
        "notification"
    }

    fn topics(&self) -> &'static [&'static str] {
        &["ticket-issued", "reservation-expired"]
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        if d.topic == "ticket-issued" {
            self.on_tickets(d).await
        } else {
            self.on_expired(d).await
        }
    }
}
