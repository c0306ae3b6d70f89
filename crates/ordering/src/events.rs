//! Events ordering publishes, and its consumer of inventory's hold events.

use kernel::{OrderId, ReservationId, SeatId};
use outbox::{Delivery, Event, Subscriber};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HoldEndedIn {
    reservation_id: ReservationId,
}

/// Ordering's consumer of `reservation-expired` and `reservation-released`.
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
        &["reservation-expired", "reservation-released"]
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        let ended: HoldEndedIn = serde_json::from_value(d.payload.clone())?;
        let reason = if d.topic == "reservation-expired" {
            "hold_expired"
        } else {
            "hold_released"
        };
        let mut tx = self.service.db().begin().await?;
        if !outbox::mark_processed(&mut tx, self.name(), d.message_id).await? {
            return Ok(());
        }
        self.service
            .hold_ended(&mut tx, ended.reservation_id, reason)
            .await?;
        tx.commit().await?;
        self.service.relay.wake();
        Ok(())
    }
}
