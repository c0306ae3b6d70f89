//! Why a payment was refused before reaching the provider.

use kernel::ErrorCode;

/// A payment refused by our checks (a provider decline is an outcome, not an error).
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Input failed validation.
    #[error("{0}")]
    Invalid(String),
    /// No such order.
    #[error("Order not found")]
    OrderNotFound,
    /// The order is not awaiting payment.
    #[error("Order is {0}, not pending: only a checked-out order can be paid.")]
    OrderNotPending(String),
    /// The payer does not own the order.
    #[error("Unauthorized")]
    Unauthorized,
    /// The amount differs from the order total.
    #[error("The amount {given} does not match the order total {total}.")]
    AmountMismatch { given: String, total: String },
    /// A hold of the order lapsed.
    #[error("A seat hold of this order has expired; the order can no longer be paid.")]
    HoldExpired,
    /// Another payment of this order is being processed.
    #[error("A payment of this order is already being processed.")]
    InProgress,
    /// No such payment.
    #[error("Payment not found")]
    PaymentNotFound,
    /// The order is not paid, or nothing of it is left to refund.
    #[error("{0}")]
    NotRefundable(String),
    /// A refund names a seat the order does not have.
    #[error("Seat {0} is not in this order.")]
    SeatNotInOrder(kernel::SeatId),
    /// A refund names a seat refunded before.
    #[error("Seat {0} was refunded already.")]
    SeatAlreadyRefunded(kernel::SeatId),
    /// A refund asks for more than its seats cost.
    #[error("The refund of {asked} exceeds the {paid} paid for its seats.")]
    RefundExceedsPaid { asked: String, paid: String },
    /// Another refund of the order is being processed.
    #[error("A refund of this order is already being processed; try again in a moment.")]
    RefundInProgress,
    /// The provider declined the refund; nothing changed.
    #[error(
        "The refund was declined by the payment provider: {message} ({code}). Nothing was changed."
    )]
    RefundDeclined { code: String, message: String },
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl PaymentError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::OrderNotFound => ErrorCode::OrderNotFound,
            Self::OrderNotPending(_) => ErrorCode::OrderNotPending,
            Self::Unauthorized => ErrorCode::Unauthorized,
            Self::AmountMismatch { .. } => ErrorCode::AmountMismatch,
            Self::HoldExpired => ErrorCode::HoldExpired,
            Self::InProgress => ErrorCode::PaymentInProgress,
            Self::PaymentNotFound => ErrorCode::PaymentNotFound,
            Self::NotRefundable(_) => ErrorCode::OrderNotRefundable,
            Self::SeatNotInOrder(_) => ErrorCode::SeatNotInOrder,
            Self::SeatAlreadyRefunded(_) => ErrorCode::SeatAlreadyRefunded,
            Self::RefundExceedsPaid { .. } => ErrorCode::RefundExceedsPaid,
            Self::RefundInProgress => ErrorCode::RefundInProgress,
            Self::RefundDeclined { .. } => ErrorCode::RefundDeclined,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<storage::Error> for PaymentError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(PaymentError);
