//! Payment: charges for pending orders through a [`PaymentProvider`].
//!
//! Tables: `payment_payments`, `payment_refunds`.
//! Events out: `payment-succeeded` (ordering completes the order, inventory confirms the holds),
//! `payment-failed`, `payment-refunded` (ordering marks the seats refunded, inventory frees
//! them). Events in: none.
//!
//! Unlike the original (§8.3), a payment is checked against the real order: it must exist, be
//! pending, belong to the payer, match the total to the cent and still hold every seat. A success
//! is recorded in a write transaction that re-checks the order and its holds, so a payment can
//! never complete an order whose seats were lost or that was cancelled meanwhile.

mod domain;
mod error;
mod events;
mod http;
mod ports;
mod provider;
mod service;
mod store;

pub use domain::{Payment, PaymentStatus, Refund, RefundStatus, RefundedSeat};
pub use error::PaymentError;
pub use events::{PaymentFailed, PaymentRefunded, PaymentSucceeded};
pub use http::{RefundDto, openapi, router};
pub use ports::{
    HoldsOfOrder, OrderForPayment, PaidHolds, PaidItem, PayableOrders, RefundedTickets,
};
pub use provider::{
    Charge, ChargeOutcome, PaymentProvider, RefundOrder, RefundOutcome, SimulatedProcessor,
};
pub use service::{PayRequest, PaymentPorts, PaymentQueries, PaymentService, RefundRequest};
