//! Events ordering publishes, and its consumer of inventory's hold events.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, ReservationId, SeatId};
use outbox::{Delivery, Subscriber};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use storage::Event;

use crate::OrderingService;

/// A seat was taken out of a cart (topic `cart-item-removed`, ours): its hold is to be released.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartItemRemoved {
    /// The draft order.
    pub order_id: OrderId,
    /// The hold to release.
    pub reservation_id: ReservationId,
    /// The seat.
    pub seat_id: SeatId,
}

impl Event for CartItemRemoved {
    const TOPIC: &'static str = "cart-item-removed";
    fn key(&self) -> String {
        self.seat_id.to_string()
    }
}

/// An order was cancelled (topic `order-cancelled`, ours): its holds are to be released.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    /// The order.
    pub order_id: OrderId,
    /// Its holds.
    pub reservation_ids: Vec<ReservationId>,
    /// Its seats.
    pub seat_ids: Vec<SeatId>,
    /// `cancelled_by_buyer`, `hold_expired` or `hold_released`.
    pub reason: String,
}

impl Event for OrderCancelled {
    const TOPIC: &'static str = "order-cancelled";
    fn key(&self) -> String {
        self.order_id.to_string()
    }
}

/// An order was paid (topic `order-completed`, ours): everything fulfillment needs to issue one
/// ticket per seat.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCompleted {
    /// The order.
    pub order_id: OrderId,
    /// The payment that completed it.
    pub payment_id: uuid::Uuid,
    /// Owner's user id.
    pub user_id: Option<String>,
    /// Owner's guest token.
    pub guest_token: Option<String>,
    /// Where to send the tickets, if known.
    pub customer_email: Option<String>,
    /// Total paid.
    pub total_amount: Money,
    /// Currency.
    pub currency: String,
    /// When it was paid.
    pub paid_at: DateTime<Utc>,
    /// The seats bought.
    pub items: Vec<CompletedItem>,
}

/// One seat of a completed order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletedItem {
    /// The seat.
    pub seat_id: SeatId,
    /// Its hold, now confirmed.
    pub reservation_id: ReservationId,
    /// The event.
    pub event_id: EventId,
    /// The event's name.
    pub event_name: String,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// Price paid.
    pub price: Money,
}

impl Event for OrderCompleted {
    const TOPIC: &'static str = "order-completed";
    // Tickets and their e-mail may follow a rush (the payment is confirmed and the seats are
    // sold without it), and no later event of an order follows its completion.
    const DEFERRABLE: bool = true;
    fn key(&self) -> String {
        self.order_id.to_string()
    }
}

/// Seats of a paid order were refunded (topic `order-refunded`, ours): the buyer is told. The
/// tickets were voided and the seats are freed on `payment-refunded`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefunded {
    /// The order.
    pub order_id: OrderId,
    /// The refund (payment's).
    pub refund_id: uuid::Uuid,
    /// The order's state now: `partially_refunded` or `refunded`.
    pub state: String,
    /// Where to tell the buyer, if known.
    pub customer_email: Option<String>,
    /// Amount given back.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// Why, as the organiser wrote it.
    pub reason: String,
    /// The seats given back.
    pub items: Vec<CompletedItem>,
    /// When ordering applied it.
    pub refunded_at: DateTime<Utc>,
}

impl Event for OrderRefunded {
    const TOPIC: &'static str = "order-refunded";
    fn key(&self) -> String {
        self.order_id.to_string()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentRefundedIn {
    refund_id: uuid::Uuid,
    order_id: OrderId,
    seats: Vec<RefundedSeatIn>,
    amount: Money,
    reason: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundedSeatIn {
    seat_id: kernel::SeatId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentSucceededIn {
    payment_id: uuid::Uuid,
    order_id: OrderId,
    processed_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HoldEndedIn {
    reservation_id: ReservationId,
}

/// Ordering's consumer of `reservation-expired`, `reservation-released`, `payment-succeeded`
/// and `payment-refunded`.
pub struct OrderingSubscriber {
    service: Arc<OrderingService>,
}

impl OrderingSubscriber {
    /// A consumer applying hold events to `service`.
    pub fn new(service: Arc<OrderingService>) -> Self {
        Self { service }
    }
}

#[async_trait::async_trait]
impl Subscriber for OrderingSubscriber {
    fn name(&self) -> &'static str {
        "ordering"
    }

    fn topics(&self) -> &'static [&'static str] {
        &[
            "reservation-expired",
            "reservation-released",
            "payment-succeeded",
            "payment-refunded",
        ]
    }

    fn records_every_message(&self) -> bool {
        true
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        self.handle_batch(&[d]).await
    }

    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        let mut tx = self.service.db().begin().await?;
        let ids: Vec<_> = deliveries.iter().map(|d| d.message_id).collect();
        let fresh = storage::mark_all_processed(tx.conn(), self.name(), &ids).await?;
        for (d, fresh) in deliveries.iter().zip(fresh) {
            if fresh {
                self.apply(&mut tx, d).await?;
            }
        }
        tx.commit().await?;
        self.service.relay.wake();
        Ok(())
    }
}

impl OrderingSubscriber {
    async fn apply(&self, tx: &mut storage::Tx, d: &Delivery) -> anyhow::Result<()> {
        if d.topic == "payment-refunded" {
            let refund: PaymentRefundedIn = d.parse()?;
            let applied = crate::service::RefundApplied {
                refund_id: refund.refund_id,
                order_id: refund.order_id,
                seat_ids: refund.seats.iter().map(|s| s.seat_id).collect(),
                amount: refund.amount,
                reason: refund.reason,
            };
            self.service.refunded(tx, &applied).await?;
        } else if d.topic == "payment-succeeded" {
            let paid: PaymentSucceededIn = d.parse()?;
            self.service
                .complete(tx, paid.order_id, paid.payment_id, paid.processed_at)
                .await?;
        } else {
            let ended: HoldEndedIn = d.parse()?;
            let reason = if d.topic == "reservation-expired" {
                "hold_expired"
            } else {
                "hold_released"
            };
            self.service
                .hold_ended(tx, ended.reservation_id, reason)
                .await?;
        }
        Ok(())
    }
}
