//! What payment asks other contexts: the order (ordering) and its holds (inventory).

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId};

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
}
