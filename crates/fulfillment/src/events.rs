//! Events fulfillment publishes, and its consumer of `order-completed`.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, ReservationId, SeatId};
use outbox::{Delivery, Subscriber};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use storage::Event;
use uuid::Uuid;

use crate::FulfillmentService;
use crate::domain::Ticket;

/// Tickets were issued for an order (topic `ticket-issued`). The reference's snake_case shape,
/// with a real e-mail and URL, plus every ticket of the order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TicketIssued {
    /// The order.
    pub order_id: OrderId,
    /// The first ticket (the reference's single-ticket field).
    pub ticket_id: Uuid,
    /// Every ticket issued.
    pub ticket_ids: Vec<Uuid>,
    /// Where to send them, if known.
    pub customer_email: Option<String>,
    /// `/tickets/{id}.pdf` of the first ticket.
    pub ticket_pdf_url: String,
    /// `/tickets/{id}.pdf` of every ticket.
    pub ticket_pdf_urls: Vec<String>,
    /// The event's name.
    pub event_name: String,
    /// `{section}-{row}-{seat}` of the first ticket.
    pub seat_number: String,
    /// Of every ticket.
    pub seat_numbers: Vec<String>,
    /// When.
    pub timestamp: DateTime<Utc>,
}

impl TicketIssued {
    pub(crate) fn new(order: &OrderCompletedIn, tickets: &[Ticket], now: DateTime<Utc>) -> Self {
        let url = |t: &Ticket| format!("/tickets/{}.pdf", t.id);
        let seat = |t: &Ticket| format!("{}-{}-{}", t.section_code, t.row_number, t.seat_number);
        Self {
            order_id: order.order_id,
            ticket_id: tickets.first().map_or_else(Uuid::nil, |t| t.id),
            ticket_ids: tickets.iter().map(|t| t.id).collect(),
            customer_email: order.customer_email.clone(),
            ticket_pdf_url: tickets.first().map(url).unwrap_or_default(),
            ticket_pdf_urls: tickets.iter().map(url).collect(),
            event_name: tickets
                .first()
                .map(|t| t.event_name.clone())
                .unwrap_or_default(),
            seat_number: tickets.first().map(seat).unwrap_or_default(),
            seat_numbers: tickets.iter().map(seat).collect(),
            timestamp: now,
        }
    }
}

impl Event for TicketIssued {
    const TOPIC: &'static str = "ticket-issued";
    fn key(&self) -> String {
        self.order_id.to_string()
    }
}

/// A ticket was admitted at the door (topic `ticket-checked-in`, ours).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketCheckedIn {
    /// The ticket.
    pub ticket_id: Uuid,
    /// Its event.
    pub event_id: EventId,
    /// Its seat.
    pub seat_id: SeatId,
    /// When.
    pub checked_in_at: DateTime<Utc>,
}

impl TicketCheckedIn {
    pub(crate) fn new(t: &Ticket, now: DateTime<Utc>) -> Self {
        Self {
            ticket_id: t.id,
            event_id: t.event_id,
            seat_id: t.seat_id,
            checked_in_at: now,
        }
    }
}

impl Event for TicketCheckedIn {
    const TOPIC: &'static str = "ticket-checked-in";
    fn key(&self) -> String {
        self.event_id.to_string()
    }
}

/// The fields of `order-completed` fulfillment reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderCompletedIn {
    pub(crate) order_id: OrderId,
    pub(crate) user_id: Option<String>,
    pub(crate) guest_token: Option<String>,
    pub(crate) customer_email: Option<String>,
    pub(crate) currency: String,
    pub(crate) paid_at: DateTime<Utc>,
    pub(crate) items: Vec<CompletedItemIn>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CompletedItemIn {
    pub(crate) seat_id: SeatId,
    #[expect(dead_code, reason = "part of the payload; tickets are keyed by seat")]
    pub(crate) reservation_id: ReservationId,
    pub(crate) event_id: EventId,
    pub(crate) event_name: String,
    pub(crate) section_code: String,
    pub(crate) row_number: i64,
    pub(crate) seat_number: i64,
    pub(crate) price: Money,
}

/// Fulfillment's consumer: issues tickets for completed orders.
pub struct FulfillmentSubscriber {
    service: Arc<FulfillmentService>,
}

impl FulfillmentSubscriber {
    /// A consumer issuing tickets through `service`.
    pub fn new(service: Arc<FulfillmentService>) -> Self {
        Self { service }
    }
}

#[async_trait::async_trait]
impl Subscriber for FulfillmentSubscriber {
    fn name(&self) -> &'static str {
        "fulfillment"
    }

    fn topics(&self) -> &'static [&'static str] {
        &["order-completed", "event-rescheduled"]
    }

    fn records_every_message(&self) -> bool {
        true
    }

    /// Tickets are what one process defers in a rush (`order-completed` is deferrable); an
    /// event moved meanwhile (`event-rescheduled`) waits with them, as rare as it is.
    fn waits_in_rush(&self) -> bool {
        true
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        self.handle_batch(&[d]).await
    }

    /// The events' facts are read and the tickets signed first, outside the writer's
    /// transaction; then every order's tickets are issued in one transaction.
    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        let (moved, deliveries): (Vec<&Delivery>, Vec<&Delivery>) = deliveries
            .iter()
            .partition(|d| d.topic == "event-rescheduled");
        for d in moved {
            self.rescheduled(d).await?;
        }
        let mut orders = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            let order: OrderCompletedIn = d.parse()?;
            let facts = self.service.facts_for(&order).await?;
            let tickets = self.service.tickets_for(&order, &facts);
            orders.push((d.message_id, (order, tickets)));
        }
        let service = &self.service;
        let mut tx = service.db().begin().await?;
        let ids: Vec<_> = orders.iter().map(|(id, _)| *id).collect();
        let fresh = storage::mark_all_processed(tx.conn(), self.name(), &ids).await?;
        for ((_, (order, tickets)), fresh) in orders.iter().zip(fresh) {
            if fresh {
                service.issue(&mut tx, order, tickets).await?;
            }
        }
        tx.commit().await?;
        service.wake_relay();
        Ok(())
    }
}

/// The fields of `event-rescheduled` fulfillment reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventRescheduledIn {
    event_id: EventId,
    venue: String,
    event_date: DateTime<Utc>,
}

impl FulfillmentSubscriber {
    /// The event moved: its tickets (and their PDFs) carry the new date and venue.
    async fn rescheduled(&self, d: &Delivery) -> anyhow::Result<()> {
        let moved: EventRescheduledIn = d.parse()?;
        let mut tx = self.service.db().begin().await?;
        if storage::mark_all_processed(tx.conn(), self.name(), &[d.message_id]).await?[0] {
            crate::store::reschedule(tx.conn(), moved.event_id, moved.event_date, &moved.venue)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
