//! Notification's consumer: tickets to e-mail, lapsed holds to announce.

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId, SeatId};
use outbox::{Delivery, Subscriber};
use serde::Deserialize;
use std::sync::Arc;

use crate::NotificationService;
use crate::compose;
use crate::store::NewMessage;

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
struct EventRescheduledIn {
    event_id: kernel::EventId,
    event_name: String,
    venue: String,
    event_date: DateTime<Utc>,
    local_date: String,
    notify_holders: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderRefundedIn {
    order_id: OrderId,
    refund_id: uuid::Uuid,
    state: String,
    customer_email: Option<String>,
    amount: Money,
    currency: String,
    reason: String,
    items: Vec<RefundedItemIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundedItemIn {
    event_name: String,
    section_code: String,
    row_number: i64,
    seat_number: i64,
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

    /// What a `ticket-issued` asks for: the e-mail with the PDFs, or a record that there is no
    /// address to send them to.
    async fn on_tickets(&self, d: &Delivery) -> anyhow::Result<Plan> {
        let issued: TicketIssuedIn = d.parse()?;
        let key = format!("tickets:{}", issued.order_id);
        let Some(to) = issued.customer_email.filter(|a| compose::is_address(a)) else {
            let subject = format!("Your Ticket for {}", issued.event_name);
            return Ok(Plan::Skip {
                key,
                kind: "tickets",
                subject,
            });
        };
        let pdfs = self.service.documents.pdfs(issued.order_id).await?;
        let order_url = format!("{}/ui/orders/{}", self.service.public_url, issued.order_id);
        let message = compose::tickets(
            &to,
            &issued.event_name,
            &issued.seat_numbers,
            &order_url,
            pdfs,
        )?;
        Ok(Plan::Store {
            key,
            kind: "tickets",
            message,
        })
    }

    fn on_offered(d: &Delivery) -> anyhow::Result<Plan> {
        let o: WaitlistOfferedIn = d.parse()?;
        if !compose::is_address(&o.email) {
            return Ok(Plan::Nothing);
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
        Ok(Plan::Store {
            key: format!("waitlist_offer:{}:{}", o.entry_id, o.order_id),
            kind: "waitlist_offer",
            message,
        })
    }

    fn on_offer_ended(d: &Delivery) -> anyhow::Result<Plan> {
        let ended: WaitlistOfferEndedIn = d.parse()?;
        if ended.reason == "left" || !compose::is_address(&ended.email) {
            return Ok(Plan::Nothing);
        }
        let message =
            compose::waitlist_offer_ended(&ended.email, &ended.event_name, &ended.reason)?;
        Ok(Plan::Store {
            key: format!("waitlist_offer_ended:{}", ended.entry_id),
            kind: "waitlist_offer_ended",
            message,
        })
    }

    fn on_refunded(d: &Delivery) -> anyhow::Result<Plan> {
        let r: OrderRefundedIn = d.parse()?;
        let key = format!("refund:{}", r.refund_id);
        let subject = format!("Your refund of {} {}", r.amount, r.currency);
        let Some(to) = r.customer_email.filter(|a| compose::is_address(a)) else {
            return Ok(Plan::Skip {
                key,
                kind: "refund",
                subject,
            });
        };
        let seats: Vec<String> = r
            .items
            .iter()
            .map(|i| {
                format!(
                    "{} — section {}, row {}, seat {}",
                    i.event_name, i.section_code, i.row_number, i.seat_number
                )
            })
            .collect();
        let message = compose::refund(
            &to,
            &compose::RefundFacts {
                order_id: &r.order_id.to_string(),
                amount: &r.amount.to_string(),
                currency: &r.currency,
                reason: &r.reason,
                state: &r.state,
                seats: &seats,
            },
        )?;
        Ok(Plan::Store {
            key,
            kind: "refund",
            message,
        })
    }

    /// One e-mail per order holding tickets of the moved event (when the organiser asked for
    /// them), stored in one transaction with the event's processed mark.
    async fn rescheduled(&self, d: &Delivery) -> anyhow::Result<()> {
        let moved: EventRescheduledIn = d.parse()?;
        let mut messages = Vec::new();
        if moved.notify_holders {
            for (order, email) in self.service.documents.holders(moved.event_id).await? {
                if !compose::is_address(&email) {
                    continue;
                }
                let message = compose::rescheduled(
                    &email,
                    &moved.event_name,
                    &moved.local_date,
                    &moved.venue,
                    &order.to_string(),
                )?;
                let key = format!(
                    "rescheduled:{}:{}:{order}",
                    moved.event_id,
                    moved.event_date.timestamp()
                );
                messages.push((key, message));
            }
        }
        let service = &self.service;
        let mut tx = service.db().begin().await?;
        if storage::mark_all_processed(tx.conn(), self.name(), &[d.message_id]).await?[0] {
            for (key, message) in &messages {
                let new = NewMessage {
                    dedup_key: key,
                    kind: "rescheduled",
                    recipient: &message.recipient,
                    subject: &message.subject,
                    raw: &message.raw,
                    status: "pending",
                };
                service.store(&mut tx, &new).await?;
            }
        }
        tx.commit().await?;
        service.wake();
        Ok(())
    }

    fn on_expired(d: &Delivery) -> anyhow::Result<Plan> {
        let expired: ReservationExpiredIn = d.parse()?;
        if !compose::is_address(&expired.customer_id) {
            return Ok(Plan::Nothing);
        }
        let message = compose::hold_expired(
            &expired.customer_id,
            &expired.reservation_id.to_string(),
            &expired.seat_id.to_string(),
        )?;
        Ok(Plan::Store {
            key: format!("hold_expired:{}", expired.reservation_id),
            kind: "hold_expired",
            message,
        })
    }

    /// What `d` asks for, composed outside the writer's transaction (PDFs are read and
    /// rendered here).
    async fn plan(&self, d: &Delivery) -> anyhow::Result<Plan> {
        match d.topic.as_str() {
            "ticket-issued" => self.on_tickets(d).await,
            "waitlist-offered" => Self::on_offered(d),
            "waitlist-offer-ended" => Self::on_offer_ended(d),
            "order-refunded" => Self::on_refunded(d),
            _ => Self::on_expired(d),
        }
    }
}

/// What one event asks of notification.
enum Plan {
    /// Keep this message for sending (under `key`, so it is sent once).
    Store {
        key: String,
        kind: &'static str,
        message: compose::Composed,
    },
    /// Record that there was nobody to send it to.
    Skip {
        key: String,
        kind: &'static str,
        subject: String,
    },
    /// Nothing to write (the recipient is not an e-mail address).
    Nothing,
}

impl Plan {
    /// The message to store, if any.
    fn message(&self) -> Option<NewMessage<'_>> {
        match self {
            Self::Store { key, kind, message } => Some(NewMessage {
                dedup_key: key,
                kind,
                recipient: &message.recipient,
                subject: &message.subject,
                raw: &message.raw,
                status: "pending",
            }),
            Self::Skip { key, kind, subject } => Some(NewMessage {
                dedup_key: key,
                kind,
                recipient: "",
                subject,
                raw: &[],
                status: "skipped",
            }),
            Self::Nothing => None,
        }
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
            "order-refunded",
            "event-rescheduled",
        ]
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        self.handle_batch(&[d]).await
    }

    /// Every message is composed first, then all are stored in one transaction.
    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        let mut plans = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            if d.topic == "event-rescheduled" {
                self.rescheduled(d).await?;
                continue;
            }
            let plan = self.plan(d).await?;
            if !matches!(plan, Plan::Nothing) {
                plans.push((d.message_id, plan));
            }
        }
        if plans.is_empty() {
            return Ok(());
        }
        let service = &self.service;
        // No writer lock: the transaction only inserts rows that unique keys decide on (the
        // processed marks, each message's `dedup_key`), safe beside any other transaction, and
        // a batch of e-mails then never holds up a buyer (docs/performance.md).
        let mut tx = service.db().begin_unlocked().await?;
        let stored: Vec<_> = plans
            .iter()
            .filter_map(|(id, plan)| plan.message().map(|m| (*id, m)))
            .collect();
        let ids: Vec<_> = stored.iter().map(|(id, _)| *id).collect();
        let fresh = storage::mark_all_processed(tx.conn(), self.name(), &ids).await?;
        for ((_, message), fresh) in stored.iter().zip(fresh) {
            if fresh {
                service.store(&mut tx, message).await?;
            }
        }
        tx.commit().await?;
        service.wake();
        Ok(())
    }
}
