//! Business outcomes of ordering commands. The seed page's sentences are kept verbatim.

use kernel::{ErrorCode, OrderId, SeatId};

/// Why an ordering command failed.
#[derive(Debug, thiserror::Error)]
pub enum OrderingError {
    /// Neither a user id nor a guest token.
    #[error("Either UserId or GuestToken must be provided")]
    MissingBuyer,
    /// No such order (or not the caller's, on reads).
    #[error("Order not found")]
    OrderNotFound(OrderId),
    /// The caller does not own the order or hold.
    #[error("Unauthorized")]
    Unauthorized,
    /// Checkout of an order that is not a draft.
    #[error("Order is not in draft state")]
    NotDraft,
    /// Checkout of an empty order.
    #[error("Order is empty")]
    Empty,
    /// Cancel of a completed order.
    #[error("Order {0} is completed and cannot be cancelled.")]
    NotCancellable(OrderId),
    /// Cancel of an order whose payment is being processed or succeeded.
    #[error("Order {0} has a payment in progress and cannot be cancelled now.")]
    PaymentUnderway(OrderId),
    /// No such reservation.
    #[error("Reservation not found")]
    ReservationNotFound,
    /// The hold was placed by another buyer.
    #[error("The reservation belongs to another buyer.")]
    HoldNotOwned,
    /// The reservation is for another seat.
    #[error("Reservation is for a different seat")]
    ReservationForOtherSeat,
    /// The reservation has lapsed.
    #[error("Reservation has expired")]
    ReservationExpired,
    /// The reservation is released or confirmed.
    #[error("Reservation is {0}")]
    ReservationNotActive(&'static str),
    /// A hold of the order lapsed before checkout.
    #[error("The hold on seat {0} has expired; the seat is no longer reserved for you.")]
    HoldExpired(SeatId),
    /// The seat is in the draft already.
    #[error("Seat is already in the cart")]
    SeatAlreadyInCart,
    /// The seat is not in the draft.
    #[error("Seat is not in the cart")]
    SeatNotInCart,
    /// The seat does not exist in the catalogue.
    #[error("Seat {0} not found")]
    SeatNotFound(SeatId),
    /// The client's price is not the catalogue's.
    #[error("The price {given} does not match the seat's price {actual}.")]
    PriceMismatch { given: String, actual: String },
    /// No event with that id (an export).
    #[error("Event {0} not found")]
    EventNotFound(kernel::EventId),
    /// Input failed validation.
    #[error("{0}")]
    Invalid(String),
    /// Seats a box-office sale names are held, in a cart or sold (inventory's sentence).
    #[error("{0}")]
    SeatsNotFree(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl OrderingError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingBuyer => ErrorCode::MissingBuyer,
            Self::OrderNotFound(_) => ErrorCode::OrderNotFound,
            Self::Unauthorized | Self::HoldNotOwned => ErrorCode::Unauthorized,
            Self::NotDraft => ErrorCode::OrderNotDraft,
            Self::Empty => ErrorCode::OrderEmpty,
            Self::NotCancellable(_) | Self::PaymentUnderway(_) => ErrorCode::OrderNotCancellable,
            Self::ReservationNotFound => ErrorCode::ReservationNotFound,
            Self::ReservationForOtherSeat => ErrorCode::ReservationMismatch,
            Self::ReservationExpired | Self::HoldExpired(_) => ErrorCode::HoldExpired,
            Self::ReservationNotActive(_) => ErrorCode::ReservationNotActive,
            Self::SeatAlreadyInCart => ErrorCode::SeatAlreadyInCart,
            Self::SeatNotInCart => ErrorCode::SeatNotInCart,
            Self::SeatNotFound(_) => ErrorCode::SeatNotFound,
            Self::PriceMismatch { .. } => ErrorCode::PriceMismatch,
            Self::EventNotFound(_) => ErrorCode::EventNotFound,
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::SeatsNotFree(_) => ErrorCode::SeatsNotFree,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<storage::Error> for OrderingError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(OrderingError);
