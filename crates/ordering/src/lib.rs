//! Ordering: carts (draft orders) and orders.
//!
//! Tables: `ordering_orders`, `ordering_order_items`.
//! Events out: `cart-item-removed`, `order-cancelled` (inventory releases the holds),
//! `order-completed` (fulfillment issues the tickets).
//! Events in: `reservation-expired`, `reservation-released` (an item whose hold ended leaves
//! its draft; a pending order whose hold ended is cancelled), `payment-succeeded` (the order is
//! completed).
//!
//! Holds are checked synchronously through the [`Holds`] port, so a seat can be added to the cart
//! the instant its hold is granted — no waiting for events (the original's bug §8.1). Prices come
//! from the catalog through the [`SeatPrices`] port, never from the client (§8.4).

mod domain;
mod error;
mod events;
mod http;
mod ports;
mod service;
mod store;

pub use domain::{
    BoxOfficeSale, Buyer, EventOrder, LapsedLine, Order, OrderItem, OrderSearch, OrderState, Sale,
};
pub use error::OrderingError;
pub use events::{
    CartItemRemoved, CompletedItem, OrderCancelled, OrderCompleted, OrderRefunded,
    OrderingSubscriber,
};
pub use http::{openapi, orders_download, router};
pub use ports::{
    BoxOffice, BoxOfficePayment, CartHolds, HoldState, HoldView, Holds, PaymentLedger, PricedSeat,
    SeatPrices, TicketOrders,
};
pub use service::{AddToCart, OfferOrder, OrderingPorts, OrderingQueries, OrderingService};
