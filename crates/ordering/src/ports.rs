//! What ordering asks other contexts, synchronously: holds (inventory) and prices (catalog).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, ReservationId, SeatId};

/// A hold's state as of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HoldState {
    /// Holding the seat.
    Active,
    /// Lapsed.
    Expired,
    /// Given up.
    Released,
    /// Paid for.
    Confirmed,
}

impl HoldState {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Released => "released",
            Self::Confirmed => "confirmed",
        }
    }
}

/// A hold as ordering needs to see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HoldView {
    /// The hold.
    pub reservation_id: ReservationId,
    /// Its seat.
    pub seat_id: SeatId,
    /// Who holds it.
    pub customer_id: String,
    /// State now.
    pub state: HoldState,
    /// When it lapses.
    pub expires_at: DateTime<Utc>,
}

/// Inventory's holds.
#[async_trait::async_trait]
pub trait Holds: Send + Sync + 'static {
    /// The holds among `ids` that exist, as of now.
    ///
    /// # Errors
    /// When inventory cannot be asked.
    async fn holds(&self, ids: &[ReservationId]) -> anyhow::Result<Vec<HoldView>>;
}

/// A seat with its catalogue price and descriptive facts for order lines.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PricedSeat {
    /// The seat.
    pub seat_id: SeatId,
    /// Its event.
    pub event_id: EventId,
    /// The event's name.
    pub event_name: String,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// Price.
    pub price: Money,
    /// Currency.
    pub currency: String,
}

/// The catalog's prices.
#[async_trait::async_trait]
pub trait SeatPrices: Send + Sync + 'static {
    /// The seat with its price, if it exists.
    ///
    /// # Errors
    /// When the catalog cannot be asked.
    async fn seat(&self, seat: SeatId) -> anyhow::Result<Option<PricedSeat>>;

    /// Whether the catalog knows `event`.
    ///
    /// # Errors
    /// When the catalog cannot be asked.
    async fn event_exists(&self, event: EventId) -> anyhow::Result<bool>;
}

/// Payment's ledger.
#[async_trait::async_trait]
pub trait PaymentLedger: Send + Sync + 'static {
    /// Whether the order has a payment in flight or succeeded.
    ///
    /// # Errors
    /// When payment cannot be asked.
    async fn has_live_payment(&self, order: kernel::OrderId) -> anyhow::Result<bool>;
}

/// A payment taken at the box office (cash, a card terminal, or nothing for a comp ticket).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxOfficePayment {
    /// The order it pays.
    pub order_id: kernel::OrderId,
    /// The order's owner (its guest token).
    pub customer_id: String,
    /// Amount taken (0 for a comp).
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// `cash`, `card` or `comp`.
    pub method: String,
    /// The sold seats' holds.
    pub reservation_ids: Vec<ReservationId>,
}

/// What a box-office sale asks of inventory and payment, inside ordering's own write
/// transaction (every process shares the database): the seats are sold and the payment
/// recorded exactly when the order exists, or none of it.
#[async_trait::async_trait]
pub trait BoxOffice: Send + Sync + 'static {
    /// Sells `seats` to `customer` inside `tx`: lifts the organiser's blocks on them and records
    /// each as sold. `Ok(Err(sentence))` when one is held, in a cart or sold (the caller rolls
    /// back), naming each.
    ///
    /// # Errors
    /// When the database fails.
    async fn take_seats_in(
        &self,
        tx: &mut storage::Tx,
        seats: &[SeatId],
        customer: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<Vec<ReservationId>, String>>;

    /// Records `payment` as succeeded inside `tx` and announces it (`payment-succeeded`), which
    /// completes the order and issues its tickets as for any paid order.
    ///
    /// # Errors
    /// When the database fails.
    async fn record_payment_in(
        &self,
        tx: &mut storage::Tx,
        payment: &BoxOfficePayment,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()>;
}

/// Fulfillment's tickets, asked which order a ticket belongs to (looking an order up by the
/// ticket id a buyer reads out at the door).
#[async_trait::async_trait]
pub trait TicketOrders: Send + Sync + 'static {
    /// The order of ticket `ticket`, if there is such a ticket.
    ///
    /// # Errors
    /// When fulfillment cannot be asked.
    async fn order_of_ticket(&self, ticket: uuid::Uuid) -> anyhow::Result<Option<kernel::OrderId>>;
}

/// Inventory's holds of a cart, inside ordering's own write transaction: when a guest signs in,
/// the cart and its holds become the account's together, or neither does.
#[async_trait::async_trait]
pub trait CartHolds: Send + Sync + 'static {
    /// Gives the holds `ids` of buyer `from` to buyer `to` inside `tx`; how many moved.
    ///
    /// # Errors
    /// When the database fails.
    async fn give_holds_in(
        &self,
        tx: &mut storage::Tx,
        ids: &[ReservationId],
        from: &str,
        to: &str,
    ) -> anyhow::Result<usize>;
}
