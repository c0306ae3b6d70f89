//! Payments and their states.

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId, SeatId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::PaymentError;

/// Where a payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Claimed; the provider is being asked.
    Processing,
    /// Charged.
    Succeeded,
    /// Declined (or voided because a hold lapsed during the charge).
    Failed,
}

impl PaymentStatus {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "processing" => Some(Self::Processing),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One attempt to pay an order.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// Identifier.
    pub id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// The payer (the order's user id or guest token).
    pub customer_id: String,
    /// The hold the client named, if any.
    pub reservation_id: Option<ReservationId>,
    /// Amount charged.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// Free-text method (`credit_card`).
    pub payment_method: String,
    /// State.
    pub status: PaymentStatus,
    /// Provider's transaction id on success.
    pub transaction_id: Option<String>,
    /// Provider's code on failure (`CARD_DECLINED`).
    pub error_code: Option<String>,
    /// Provider's sentence on failure.
    pub error_message: Option<String>,
    /// Reason on failure (`card_declined`).
    pub failure_reason: Option<String>,
    /// Provider's raw answer.
    pub simulated_response: Option<String>,
    /// Whether the simulated processor handled it.
    pub is_simulated: bool,
    /// When it was claimed.
    pub created_at: DateTime<Utc>,
    /// When the provider answered.
    pub processed_at: Option<DateTime<Utc>>,
}
/// Where a refund is: `processing` (the provider is being asked), `succeeded` (given back: its
/// seats' tickets are void) or `failed` (declined: nothing changed) — a payment's states.
pub type RefundStatus = PaymentStatus;

/// One seat a refund gives back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundedSeat {
    /// The seat.
    pub seat_id: SeatId,
    /// Its (confirmed) hold, released once the refund is applied.
    pub reservation_id: ReservationId,
    /// What it cost.
    pub price: Money,
}

/// Money given back on a paid order, for some or all of its seats.
#[derive(Debug, Clone, PartialEq)]
pub struct Refund {
    /// Identifier, and the provider's idempotency reference.
    pub id: Uuid,
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
    /// Why, as the organiser wrote it.
    pub reason: String,
    /// Who asked (the administrator's e-mail).
    pub requested_by: String,
    /// State.
    pub status: RefundStatus,
    /// The provider's reference on success.
    pub provider_reference: Option<String>,
    /// The provider's code on decline.
    pub error_code: Option<String>,
    /// The provider's sentence on decline.
    pub error_message: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When the provider answered.
    pub processed_at: Option<DateTime<Utc>>,
}

/// What a refund asks for, checked against the order and its earlier refunds by [`plan_refund`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RefundAsk<'a> {
    /// Seats to give back; `None`: every seat not refunded yet.
    pub(crate) seats: Option<&'a [SeatId]>,
    /// Amount to give back; `None`: what the seats cost.
    pub amount: Option<Money>,
}

/// The seats and the amount of a refund of `order` (paid by `paid`), after `earlier` refunds.
///
/// # Errors
/// The order is not paid or has nothing left to refund, a seat is named twice or is not in the
/// order or was refunded already, or the amount is not positive or exceeds what the seats cost.
pub(crate) fn plan_refund(
    order: &crate::ports::OrderForPayment,
    earlier: &[Refund],
    ask: &RefundAsk<'_>,
) -> Result<(Vec<RefundedSeat>, Money), PaymentError> {
    if !matches!(order.state.as_str(), "completed" | "partially_refunded") {
        return Err(PaymentError::NotRefundable(format!(
            "Order {} is {}: only a paid order can be refunded.",
            order.order_id, order.state
        )));
    }
    if earlier.iter().any(|r| r.status == RefundStatus::Processing) {
        return Err(PaymentError::RefundInProgress);
    }
    let refunded: std::collections::HashSet<SeatId> = earlier
        .iter()
        .filter(|r| r.status == RefundStatus::Succeeded)
        .flat_map(|r| r.seats.iter().map(|s| s.seat_id))
        .collect();
    let seats: Vec<RefundedSeat> = match ask.seats {
        None => order
            .items
            .iter()
            .filter(|i| !refunded.contains(&i.seat_id))
            .map(seat_of)
            .collect(),
        Some(named) => {
            let mut seats = Vec::with_capacity(named.len());
            for seat in named {
                if seats.iter().any(|s: &RefundedSeat| s.seat_id == *seat) {
                    return Err(PaymentError::Invalid(format!(
                        "Seat {seat} is named twice."
                    )));
                }
                let item = order
                    .items
                    .iter()
                    .find(|i| i.seat_id == *seat)
                    .ok_or(PaymentError::SeatNotInOrder(*seat))?;
                if refunded.contains(seat) {
                    return Err(PaymentError::SeatAlreadyRefunded(*seat));
                }
                seats.push(seat_of(item));
            }
            seats
        }
    };
    if seats.is_empty() {
        return Err(PaymentError::NotRefundable(format!(
            "Every seat of order {} is refunded already.",
            order.order_id
        )));
    }
    let cost: Money = seats.iter().map(|s| s.price).sum();
    let amount = ask.amount.unwrap_or(cost);
    // Seats that cost nothing (comp tickets) are given back for nothing; otherwise a refund
    // gives something back.
    if amount.cents() < 0 || (amount.cents() == 0 && cost.cents() > 0) {
        return Err(PaymentError::Invalid(format!(
            "amount must be greater than zero, got {amount}."
        )));
    }
    if amount > cost {
        return Err(PaymentError::RefundExceedsPaid {
            asked: amount.to_string(),
            paid: cost.to_string(),
        });
    }
    Ok((seats, amount))
}

fn seat_of(item: &crate::ports::PaidItem) -> RefundedSeat {
    RefundedSeat {
        seat_id: item.seat_id,
        reservation_id: item.reservation_id,
        price: item.price,
    }
}

/// Holds must outlive the charge by this much: a hold about to lapse is not worth charging for.
const HOLD_MARGIN_SECONDS: i64 = 2;

/// Whether holds active until `until` (the earliest; `None`: not all active) outlast the
/// payment recorded at `now`.
pub(crate) fn holds_last(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    until.is_some_and(|until| until > now + chrono::Duration::seconds(HOLD_MARGIN_SECONDS))
}

/// Whether an approved charge stands: its order is still pending and every hold outlasts the
/// payment. Otherwise the charge is refunded and the payment recorded as failed.
pub(crate) fn approval_stands(
    order_pending: bool,
    holds_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    order_pending && holds_last(holds_until, now)
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn an_approval_stands_only_for_a_pending_order_whose_holds_outlast_it() {
        let now = Utc::now();
        let later = now + chrono::Duration::minutes(5);
        assert!(approval_stands(true, Some(later), now));
        assert!(
            !approval_stands(false, Some(later), now),
            "the order moved on"
        );
        assert!(
            !approval_stands(true, None, now),
            "a hold is no longer active"
        );
        // A hold about to lapse within the margin does not count as lasting.
        let soon = now + chrono::Duration::seconds(HOLD_MARGIN_SECONDS);
        assert!(!approval_stands(true, Some(soon), now));
        assert!(holds_last(
            Some(soon + chrono::Duration::milliseconds(1)),
            now
        ));
    }
}
