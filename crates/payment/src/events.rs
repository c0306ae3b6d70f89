//! Events payment publishes (the reference's shapes, plus every hold of the order).

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId};
use serde::{Deserialize, Serialize};
use storage::Event;
use uuid::Uuid;

use crate::domain::{Payment, Refund, RefundedSeat};

/// An order was paid (topic `payment-succeeded`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSucceeded {
    /// The payment.
    pub payment_id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// The payer.
    pub customer_id: String,
    /// The hold named by the client, if any.
    pub reservation_id: Option<ReservationId>,
    /// Every hold of the order (to confirm them all, not only the first: bug §8.9).
    pub reservation_ids: Vec<ReservationId>,
    /// Amount.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// Method.
    pub payment_method: String,
    /// Provider reference.
    pub transaction_id: String,
    /// When.
    pub processed_at: DateTime<Utc>,
    /// Always `succeeded`.
    pub status: String,
}

impl PaymentSucceeded {
    pub(crate) fn new(
        p: &Payment,
        reservation_ids: Vec<ReservationId>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            payment_id: p.id,
            order_id: p.order_id,
            customer_id: p.customer_id.clone(),
            reservation_id: p.reservation_id,
            reservation_ids,
            amount: p.amount,
            currency: p.currency.clone(),
            payment_method: p.payment_method.clone(),
            transaction_id: p.transaction_id.clone().unwrap_or_default(),
            processed_at: p.processed_at.unwrap_or(now),
            status: "succeeded".into(),
        }
    }
}

impl Event for PaymentSucceeded {
    const TOPIC: &'static str = "payment-succeeded";
    fn key(&self) -> String {
        self.order_id.to_string()
    }
}

/// A charge was declined (topic `payment-failed`); the order stays pending and can be retried.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFailed {
    /// The payment.
    pub payment_id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// The payer.
    pub customer_id: String,
    /// The hold named by the client, if any.
    pub reservation_id: Option<ReservationId>,
    /// Amount.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// Method.
    pub payment_method: String,
    /// Provider code.
    pub error_code: String,
    /// Provider sentence.
    pub error_message: String,
    /// Reason.
    pub failure_reason: String,
    /// When.
    pub attempted_at: DateTime<Utc>,
    /// Always `failed`.
    pub status: String,
}

impl PaymentFailed {
    pub(crate) fn new(p: &Payment, now: DateTime<Utc>) -> Self {
        Self {
            payment_id: p.id,
            order_id: p.order_id,
            customer_id: p.customer_id.clone(),
            reservation_id: p.reservation_id,
            amount: p.amount,
            currency: p.currency.clone(),
            payment_method: p.payment_method.clone(),
            error_code: p.error_code.clone().unwrap_or_default(),
            error_message: p.error_message.clone().unwrap_or_default(),
            failure_reason: p.failure_reason.clone().unwrap_or_default(),
            attempted_at: p.processed_at.unwrap_or(now),
            status: "failed".into(),
        }
    }
}

impl Event for PaymentFailed {
    const TOPIC: &'static str = "payment-failed";
    fn key(&self) -> String {
        self.order_id.to_string()
    }
}

/// Money was given back on a paid order (topic `payment-refunded`, ours): ordering marks the
/// seats refunded and moves the order on; inventory puts the seats back on sale (waitlist first).
/// Their tickets were voided in the same transaction that recorded the refund.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefunded {
    /// The refund.
    pub refund_id: Uuid,
    /// The payment refunded.
    pub payment_id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// The seats given back.
    pub seats: Vec<RefundedSeat>,
    /// Amount given back.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// Why.
    pub reason: String,
    /// The provider's reference of the refund.
    pub provider_reference: String,
    /// When.
    pub refunded_at: DateTime<Utc>,
}

impl PaymentRefunded {
    pub(crate) fn new(r: &Refund, now: DateTime<Utc>) -> Self {
        Self {
            refund_id: r.id,
            payment_id: r.payment_id,
            order_id: r.order_id,
            seats: r.seats.clone(),
            amount: r.amount,
            currency: r.currency.clone(),
            reason: r.reason.clone(),
            provider_reference: r.provider_reference.clone().unwrap_or_default(),
            refunded_at: r.processed_at.unwrap_or(now),
        }
    }
}

impl Event for PaymentRefunded {
    const TOPIC: &'static str = "payment-refunded";
    fn key(&self) -> String {
        self.order_id.to_string()
    }
}
