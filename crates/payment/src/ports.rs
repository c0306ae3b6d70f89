//! What payment asks other contexts: the order (ordering) and its holds (inventory).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, ReservationId, SeatId};

/// An order as payment needs to see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OrderForPayment {
    /// The order.
    pub order_id: OrderId,
    /// `draft`, `pending`, `completed` or `cancelled`.
    pub state: String,
    /// Owner's user id.
    pub user_id: Option<String>,
    /// Owner's guest token.
    pub guest_token: Option<String>,
    /// Sum of the items.
    pub total: Money,
    /// Currency.
    pub currency: String,
    /// The holds of its items.
    pub reservation_ids: Vec<ReservationId>,
    /// Its seats and what each cost (what a refund may give back).
    #[serde(default)]
    pub items: Vec<PaidItem>,
}

/// One seat of an order, as a refund sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaidItem {
    /// The seat.
    pub seat_id: SeatId,
    /// Its hold (confirmed once paid).
    pub reservation_id: ReservationId,
    /// Its event.
    pub event_id: EventId,
    /// What it cost.
    pub price: Money,
}

impl OrderForPayment {
    /// Whether `customer` owns the order.
    pub fn is_owned_by(&self, customer: &str) -> bool {
        self.user_id.as_deref() == Some(customer) || self.guest_token.as_deref() == Some(customer)
    }
}

/// Ordering's orders.
#[async_trait::async_trait]
pub trait PayableOrders: Send + Sync + 'static {
    /// The order, if it exists.
    ///
    /// # Errors
    /// When ordering cannot be asked.
    async fn order(&self, id: OrderId) -> anyhow::Result<Option<OrderForPayment>>;

    /// The same question inside the payment's write transaction `tx`, so that the answer
    /// includes what the writes ordered before it wrote (on SQLite, the members of its batch,
    /// not yet committed); `None` when this port cannot read there (ordering in another
    /// process): the caller then asks [`PayableOrders::order`].
    async fn order_in(
        &self,
        _tx: &mut storage::Tx,
        _id: OrderId,
    ) -> Option<anyhow::Result<Option<OrderForPayment>>> {
        None
    }
}

/// Inventory's holds.
#[async_trait::async_trait]
pub trait HoldsOfOrder: Send + Sync + 'static {
    /// The earliest expiry among `ids` if every one of them is active now; `None` otherwise.
    ///
    /// # Errors
    /// When inventory cannot be asked.
    async fn all_active_until(
        &self,
        ids: &[ReservationId],
    ) -> anyhow::Result<Option<DateTime<Utc>>>;

    /// The same question inside the payment's write transaction, as
    /// [`PayableOrders::order_in`].
    async fn all_active_until_in(
        &self,
        _tx: &mut storage::Tx,
        _ids: &[ReservationId],
    ) -> Option<anyhow::Result<Option<DateTime<Utc>>>> {
        None
    }
}

/// Inventory's confirmation of paid holds, written inside the payment's own write transaction
/// (every process shares the database): a seat is `sold` the instant its payment succeeds, so
/// no release or expiry can come between the charge and the confirmation.
#[async_trait::async_trait]
pub trait PaidHolds: Send + Sync + 'static {
    /// Confirms every one of `ids` inside `tx`; `false` if one of them could not be (the
    /// caller then rolls back).
    ///
    /// # Errors
    /// When the database fails.
    async fn confirm_in(
        &self,
        tx: &mut storage::Tx,
        ids: &[ReservationId],
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool>;
}

/// Fulfillment's tickets, voided inside the refund's own write transaction (every process shares
/// the database): the instant a refund is recorded, its seats' tickets no longer admit, at every
/// door of every process.
#[async_trait::async_trait]
pub trait RefundedTickets: Send + Sync + 'static {
    /// Voids the tickets of `seats` of `order` inside `tx` (and those issued later for them).
    ///
    /// # Errors
    /// When the database fails.
    async fn void_in(
        &self,
        tx: &mut storage::Tx,
        order: OrderId,
        seats: &[SeatId],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()>;
}
