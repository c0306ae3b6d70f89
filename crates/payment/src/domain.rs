//! Payments and their states.

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId};
use uuid::Uuid;

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
