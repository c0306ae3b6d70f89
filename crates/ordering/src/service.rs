//! Ordering commands and queries. Each command owns its transaction and writes its events to the
//! outbox inside it.

mod cart;
mod lifecycle;

pub use cart::AddToCart;

use chrono::{DateTime, Utc};
use kernel::{Clock, OrderId};
use outbox::{Database, RelayHandle};
use std::sync::Arc;

use crate::domain::{Buyer, Order};
use crate::ports::{Holds, SeatPrices};
use crate::{OrderingError, store};

/// The ordering context.
pub struct OrderingService {
    db: Database,
    clock: Arc<dyn Clock>,
    holds: Arc<dyn Holds>,
    prices: Arc<dyn SeatPrices>,
    pub(crate) relay: RelayHandle,
}

impl OrderingService {
    /// Ordering over `db`, checking holds with `holds` and prices with `prices`.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        holds: Arc<dyn Holds>,
        prices: Arc<dyn SeatPrices>,
        relay: RelayHandle,
    ) -> Self {
        Self {
            db,
            clock,
            holds,
            prices,
            relay,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    /// An order, for its owner. Someone else's order is reported as not found.
    ///
    /// # Errors
    /// [`OrderingError::OrderNotFound`].
    pub async fn get(&self, id: OrderId, buyer: &Buyer) -> Result<Order, OrderingError> {
        let mut conn = self.db.reader().acquire().await?;
        store::order(&mut conn, id)
            .await?
            .filter(|o| buyer.owns(o))
            .ok_or(OrderingError::OrderNotFound(id))
    }

    /// The buyer's orders, newest first.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list(&self, buyer: &Buyer) -> Result<Vec<Order>, OrderingError> {
        let mut conn = self.db.reader().acquire().await?;
        Ok(store::orders_of(&mut conn, buyer).await?)
    }
}
