//! Events inventory publishes, and its consumer of other contexts' events.
//!
//! Incoming payloads are declared here with only the fields inventory reads, so inventory does
//! not depend on the crates that publish them.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, ReservationId, SeatId};
use outbox::{Delivery, Subscriber};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use storage::Event;

use crate::InventoryService;
use crate::domain::Hold;
use crate::store::{self, SeatRecord};

/// A seat was held (topic `reservation-created`; the reference's shape with the real event id
/// and seat price).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationCreated {
    /// The seat's event.
    pub event_id: EventId,
    /// The hold.
    pub reservation_id: ReservationId,
    /// The buyer.
    pub customer_id: String,
    /// The seat.
    pub seat_id: SeatId,
    /// `{section}-{row}-{number}`.
    pub seat_number: String,
    /// Section code.
    pub section: String,
    /// The seat's price.
    pub base_price: Money,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it lapses.
    pub expires_at: DateTime<Utc>,
    /// Always `active`.
    pub status: String,
}

impl ReservationCreated {
    pub(crate) fn new(hold: &Hold, seat: &SeatRecord) -> Self {
        Self {
            event_id: hold.event_id,
            reservation_id: hold.id,
            customer_id: hold.customer_id.clone(),
            seat_id: hold.seat_id,
            seat_number: format!(
                "{}-{}-{}",
                seat.section_code, seat.row_number, seat.seat_number
            ),
            section: seat.section_code.clone(),
            base_price: seat.price,
            created_at: hold.created_at,
            expires_at: hold.expires_at,
            status: "active".into(),
        }
    }
}

impl Event for ReservationCreated {
    const TOPIC: &'static str = "reservation-created";
    fn key(&self) -> String {
        self.seat_id.to_string()
    }
}

/// A hold lapsed (topic `reservation-expired`; the reference's v3 shape with a real
/// `concertEventId`, plus `eventId` and `expiredAt`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationExpired {
    /// The hold.
    pub reservation_id: ReservationId,
    /// The seat.
    pub seat_id: SeatId,
    /// The buyer.
    pub customer_id: String,
    /// The event (the reference's name).
    pub concert_event_id: EventId,
    /// The event.
    pub event_id: EventId,
    /// When it was found lapsed.
    pub expired_at: DateTime<Utc>,
}

impl ReservationExpired {
    pub(crate) fn from_hold(hold: &Hold, now: DateTime<Utc>) -> Self {
        Self {
            reservation_id: hold.id,
            seat_id: hold.seat_id,
            customer_id: hold.customer_id.clone(),
            concert_event_id: hold.event_id,
            event_id: hold.event_id,
            expired_at: now,
        }
    }
}

impl Event for ReservationExpired {
    const TOPIC: &'static str = "reservation-expired";
    fn key(&self) -> String {
        self.seat_id.to_string()
    }
}

/// A hold was given up before its expiry (topic `reservation-released`, ours).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationReleased {
    /// The hold.
    pub reservation_id: ReservationId,
    /// The seat.
    pub seat_id: SeatId,
    /// The buyer.
    pub customer_id: String,
    /// The event.
    pub event_id: EventId,
    /// `released_by_customer`, `cart_item_removed` or `order_cancelled`.
    pub reason: String,
    /// When.
    pub released_at: DateTime<Utc>,
}

impl ReservationReleased {
    pub(crate) fn from_hold(hold: &Hold, reason: &str, now: DateTime<Utc>) -> Self {
        Self {
            reservation_id: hold.id,
            seat_id: hold.seat_id,
            customer_id: hold.customer_id.clone(),
            event_id: hold.event_id,
            reason: reason.into(),
            released_at: now,
        }
    }
}

impl Event for ReservationReleased {
    const TOPIC: &'static str = "reservation-released";
    fn key(&self) -> String {
        self.seat_id.to_string()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeatsGeneratedIn {
    event_id: EventId,
    seats: Vec<GeneratedSeatIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GeneratedSeatIn {
    seat_id: SeatId,
    section: String,
    row: String,
    number: i64,
    price: Money,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentSucceededIn {
    order_id: kernel::OrderId,
    reservation_ids: Vec<ReservationId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeatPricesChangedIn {
    event_id: EventId,
    section_code: String,
    price: Money,
    #[serde(default)]
    seat_ids: Option<Vec<SeatId>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PaymentRefundedIn {
    seats: Vec<RefundedSeatIn>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefundedSeatIn {
    reservation_id: ReservationId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HoldsToReleaseIn {
    #[serde(default)]
    reservation_id: Option<ReservationId>,
    #[serde(default)]
    reservation_ids: Vec<ReservationId>,
}

/// Inventory's consumer: records generated seats and their price changes, confirms paid holds
/// (the seats are sold),
/// releases holds of removed cart items and cancelled orders, and puts refunded seats back on
/// sale (waitlist first).
pub struct InventorySubscriber {
    service: Arc<InventoryService>,
}

impl InventorySubscriber {
    /// A consumer applying events to `service`.
    pub fn new(service: Arc<InventoryService>) -> Self {
        Self { service }
    }
}

#[async_trait::async_trait]
impl Subscriber for InventorySubscriber {
    fn name(&self) -> &'static str {
        "inventory"
    }

    fn topics(&self) -> &'static [&'static str] {
        &[
            "seats-generated",
            "cart-item-removed",
            "order-cancelled",
            "payment-succeeded",
            "payment-refunded",
            "seat-prices-changed",
        ]
    }

    fn records_every_message(&self) -> bool {
        true
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        self.handle_batch(&[d]).await
    }

    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        let now = self.service.now();
        let mut tx = self.service.db().begin().await?;
        let ids: Vec<_> = deliveries.iter().map(|d| d.message_id).collect();
        let fresh = storage::mark_all_processed(tx.conn(), self.name(), &ids).await?;
        for (d, fresh) in deliveries.iter().zip(fresh) {
            if fresh {
                self.apply(&mut tx, d, now).await?;
            }
        }
        tx.commit().await?;
        self.service.relay_wake();
        Ok(())
    }
}

impl InventorySubscriber {
    async fn apply(
        &self,
        tx: &mut storage::Tx,
        d: &Delivery,
        now: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<()> {
        match d.topic.as_str() {
            "seats-generated" => {
                let e: SeatsGeneratedIn = d.parse()?;
                for s in e.seats {
                    let record = SeatRecord {
                        seat_id: s.seat_id,
                        event_id: e.event_id,
                        section_code: s.section,
                        row_number: s.row.parse().unwrap_or(0),
                        seat_number: s.number,
                        price: s.price,
                    };
                    store::upsert_seat(tx.conn(), &record).await?;
                }
            }
            "payment-succeeded" => {
                let e: PaymentSucceededIn = d.parse()?;
                for id in e.reservation_ids {
                    if !store::confirm_hold(tx.conn(), id, now).await? {
                        unconfirmable(e.order_id, id);
                    }
                }
            }
            "seat-prices-changed" => {
                let e: SeatPricesChangedIn = d.parse()?;
                match e.seat_ids {
                    None => {
                        store::set_section_price(tx.conn(), e.event_id, &e.section_code, e.price)
                            .await?;
                    }
                    Some(seats) => store::set_seat_prices(tx.conn(), &seats, e.price).await?,
                }
            }
            "payment-refunded" => {
                let e: PaymentRefundedIn = d.parse()?;
                for seat in e.seats {
                    self.service
                        .free_sold_in(tx, seat.reservation_id, now)
                        .await?;
                }
            }
            topic => {
                let e: HoldsToReleaseIn = d.parse()?;
                let reason = if topic == "order-cancelled" {
                    "order_cancelled"
                } else {
                    "cart_item_removed"
                };
                for id in e.reservation_id.into_iter().chain(e.reservation_ids) {
                    self.service.release_in(tx, id, reason, now).await?;
                }
            }
        }
        Ok(())
    }
}

/// A paid hold whose seat belongs to someone else. Cannot happen while payments re-check holds
/// in their own write transaction; if it does, a person must refund this order.
fn unconfirmable(order: kernel::OrderId, hold: ReservationId) {
    tracing::error!(order.id = %order, reservation.id = %hold, "paid hold could not be confirmed: its seat belongs to someone else");
}
