//! Ordering commands and queries. Each command owns its transaction and writes its events to the
//! outbox inside it.

mod box_office;
mod cart;
mod lifecycle;

pub use cart::AddToCart;
pub use lifecycle::OfferOrder;
pub(crate) use lifecycle::RefundApplied;

use chrono::{DateTime, Utc};
use kernel::{Clock, EventId, OrderId};
use outbox::RelayHandle;
use std::sync::Arc;
use storage::Database;

use crate::domain::{Buyer, EventOrder, Order, OrderSearch, Sale};
use crate::ports::{BoxOffice, CartHolds, Holds, PaymentLedger, SeatPrices, TicketOrders};
use crate::{OrderingError, store};

/// The ordering context.
pub struct OrderingService {
    db: Database,
    clock: Arc<dyn Clock>,
    holds: Arc<dyn Holds>,
    prices: Arc<dyn SeatPrices>,
    payments: Arc<dyn PaymentLedger>,
    box_office: Arc<dyn BoxOffice>,
    cart_holds: Arc<dyn CartHolds>,
    tickets: Arc<dyn TicketOrders>,
    pub(crate) relay: RelayHandle,
}

/// The ports ordering asks through.
pub struct OrderingPorts {
    /// Inventory's holds.
    pub holds: Arc<dyn Holds>,
    /// The catalog's prices.
    pub prices: Arc<dyn SeatPrices>,
    /// Payment's ledger.
    pub payments: Arc<dyn PaymentLedger>,
    /// Inventory and payment, inside a box-office sale's transaction.
    pub box_office: Arc<dyn BoxOffice>,
    /// Fulfillment's tickets (an order looked up by a ticket id).
    pub tickets: Arc<dyn TicketOrders>,
    /// Inventory's holds of a cart, inside ordering's transaction (a guest signing in).
    pub cart_holds: Arc<dyn CartHolds>,
}

impl OrderingService {
    /// Ordering over `db`, asking other contexts through `ports`.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        ports: OrderingPorts,
        relay: RelayHandle,
    ) -> Self {
        Self {
            db,
            clock,
            holds: ports.holds,
            prices: ports.prices,
            payments: ports.payments,
            box_office: ports.box_office,
            cart_holds: ports.cart_holds,
            tickets: ports.tickets,
            relay,
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    /// An order, for its owner (`None`: an administrator). Someone else's order is reported as
    /// not found.
    ///
    /// # Errors
    /// [`OrderingError::OrderNotFound`].
    pub async fn get(&self, id: OrderId, owner: Option<&Buyer>) -> Result<Order, OrderingError> {
        let mut conn = self.db.read().await?;
        store::order(conn.conn(), id)
            .await?
            .filter(|o| owner.is_none_or(|b| b.owns(o)))
            .ok_or(OrderingError::OrderNotFound(id))
    }

    /// Every seat sold for an event, oldest sale first (the sales dashboard's timeline).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn sales_of_event(&self, event: EventId) -> Result<Vec<Sale>, OrderingError> {
        let mut conn = self.db.read().await?;
        Ok(store::sales_of_event(conn.conn(), event).await?)
    }

    /// Whether the catalogue knows `event` (an export of an unknown event is a 404, of an
    /// event without orders an empty file).
    ///
    /// # Errors
    /// When the catalogue cannot be asked.
    pub async fn event_exists(&self, event: EventId) -> Result<bool, OrderingError> {
        Ok(self.prices.event_exists(event).await?)
    }

    /// One page of `event`'s orders for an export: those after `after` in id order (start from
    /// `Uuid::nil()`), at most `limit`; drafts (carts) are left out.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn orders_of_event_after(
        &self,
        event: EventId,
        after: uuid::Uuid,
        limit: i64,
    ) -> Result<Vec<EventOrder>, OrderingError> {
        let mut conn = self.db.read().await?;
        Ok(store::orders_of_event_after(conn.conn(), event, after, limit).await?)
    }

    /// A page of the orders `search` finds, newest first, and whether a next page exists
    /// (organisers and door staff looking an order up).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn search(
        &self,
        search: &OrderSearch,
    ) -> Result<(Vec<EventOrder>, bool), OrderingError> {
        let mut search = search.clone();
        if let Some(ticket) = search
            .text
            .as_deref()
            .and_then(|t| uuid::Uuid::parse_str(t).ok())
        {
            search.ticket_order = self.tickets.order_of_ticket(ticket).await?;
        }
        let mut conn = self.db.read().await?;
        let mut found = store::search_orders(conn.conn(), &search).await?;
        let more = found.len() > OrderSearch::PAGE_SIZE as usize;
        found.truncate(OrderSearch::PAGE_SIZE as usize);
        Ok((found, more))
    }

    /// The buyer's orders, newest first.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list(&self, buyer: &Buyer) -> Result<Vec<Order>, OrderingError> {
        let mut conn = self.db.read().await?;
        Ok(store::orders_of(conn.conn(), buyer).await?)
    }
}

/// Read access other contexts use (through adapters): an order's state, owner, total and holds.
#[derive(Debug, Clone)]
pub struct OrderingQueries {
    db: Database,
}

impl OrderingQueries {
    /// Queries over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The order, whoever owns it.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn order(&self, id: OrderId) -> anyhow::Result<Option<Order>> {
        let mut conn = self.db.read().await?;
        Ok(store::order(conn.conn(), id).await?)
    }

    /// [`OrderingQueries::order`] inside another context's write transaction `tx` (the
    /// database is shared), for a context that must decide on what it reads.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn order_in(
        &self,
        tx: &mut storage::Tx,
        id: OrderId,
    ) -> anyhow::Result<Option<Order>> {
        Ok(store::order(tx.conn(), id).await?)
    }

    /// The draft and pending orders that hold `reservation` among their items.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn open_orders_with_reservation(
        &self,
        reservation: kernel::ReservationId,
    ) -> anyhow::Result<Vec<Order>> {
        let mut conn = self.db.read().await?;
        Ok(store::open_orders_with_reservation(conn.conn(), reservation).await?)
    }
}
