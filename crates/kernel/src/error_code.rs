//! Stable, machine-readable error codes shared by every context. The HTTP status of each code is
//! decided in one place, in the `api` crate.

use std::fmt;

/// A stable snake_case code naming why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request is well-formed JSON but a field is missing or invalid.
    ValidationFailed,
    /// The body is not JSON, or a field has the wrong type.
    InvalidJson,
    /// The body exceeds the size limit.
    PayloadTooLarge,
    /// No route matches the path.
    RouteNotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// No event with that id.
    EventNotFound,
    /// No seat with that id.
    SeatNotFound,
    /// No reservation (hold) with that id visible to the caller.
    ReservationNotFound,
    /// No order with that id visible to the caller.
    OrderNotFound,
    /// Someone already holds or bought the seat.
    SeatAlreadyReserved,
    /// The buyer holds the maximum number of seats for this event.
    HoldLimitReached,
    /// The organiser holds the seat back (house seats, production holds): not on sale.
    SeatHeldBack,
    /// Seats to hold back or sell at the box office are held, in a cart or sold.
    SeatsNotFree,
    /// Best available: fewer free seats than asked for.
    NotEnoughSeats,
    /// A hold that may not be extended (again, or at all for its event).
    HoldNotExtendable,
    /// A hold lapsed before the step that needed it.
    HoldExpired,
    /// The hold is not active any more (released, expired or confirmed).
    ReservationNotActive,
    /// The hold does not match the request (other seat or other buyer).
    ReservationMismatch,
    /// The event is inactive or over: its seats cannot be held.
    EventNotOnSale,
    /// Neither a user id nor a guest token was given.
    MissingBuyer,
    /// The caller is not the owner.
    Unauthorized,
    /// The caller is known but not allowed.
    Forbidden,
    /// Checkout of an order that is not a draft.
    OrderNotDraft,
    /// Checkout of an order without items.
    OrderEmpty,
    /// The order cannot be cancelled in its current state.
    OrderNotCancellable,
    /// The seat is already in the buyer's cart.
    SeatAlreadyInCart,
    /// The seat is not in the cart.
    SeatNotInCart,
    /// The client's price differs from the catalogue's.
    PriceMismatch,
    /// Generating seats would exceed the event's capacity.
    CapacityExceeded,
    /// A seat of that section, row and number already exists.
    SeatAlreadyExists,
    /// The event cannot change state now (holds outstanding, date passed).
    EventStateConflict,
    /// An `Idempotency-Key` was reused with a different request.
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still being processed.
    IdempotencyKeyInProgress,
    /// The payment amount differs from the order total.
    AmountMismatch,
    /// The order is not awaiting payment.
    OrderNotPending,
    /// A payment of this order is being processed.
    PaymentInProgress,
    /// The payment provider declined the charge.
    PaymentDeclined,
    /// No payment with that id.
    PaymentNotFound,
    /// A refund of an order that was never paid, or is already refunded in full.
    OrderNotRefundable,
    /// A refund names a seat the order does not have.
    SeatNotInOrder,
    /// A refund names a seat that was refunded before.
    SeatAlreadyRefunded,
    /// A refund asks for more than was paid for its seats.
    RefundExceedsPaid,
    /// Another refund of this order is being processed.
    RefundInProgress,
    /// The payment provider declined the refund.
    RefundDeclined,
    /// No parked event message with that id.
    MessageNotFound,
    /// No ticket with that id visible to the caller.
    TicketNotFound,
    /// An account with that e-mail exists.
    EmailTaken,
    /// No door-staff account with that id.
    AccountNotFound,
    /// E-mail and password do not match an account.
    InvalidCredentials,
    /// Joining a waitlist while seats can still be bought.
    SeatsAvailable,
    /// The e-mail is already waiting (or holds an offer) for this event.
    AlreadyWaiting,
    /// No waitlist entry with that id.
    WaitlistEntryNotFound,
    /// The waitlist entry is over (completed, expired, left or cancelled).
    WaitlistEntryClosed,
    /// Too many requests from one address.
    RateLimited,
    /// A dependency (database, other service) is unavailable.
    ServiceUnavailable,
    /// Anything unexpected; details are only logged.
    Internal,
}

impl ErrorCode {
    /// The wire form of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValidationFailed => "validation_failed",
            Self::InvalidJson => "invalid_json",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RouteNotFound => "route_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::EventNotFound => "event_not_found",
            Self::SeatNotFound => "seat_not_found",
            Self::ReservationNotFound => "reservation_not_found",
            Self::OrderNotFound => "order_not_found",
            Self::SeatAlreadyReserved => "seat_already_reserved",
            Self::HoldLimitReached => "hold_limit_reached",
            Self::SeatHeldBack => "seat_held_back",
            Self::SeatsNotFree => "seats_not_free",
            Self::NotEnoughSeats => "not_enough_seats",
            Self::HoldNotExtendable => "hold_not_extendable",
            Self::HoldExpired => "hold_expired",
            Self::ReservationNotActive => "reservation_not_active",
            Self::ReservationMismatch => "reservation_mismatch",
            Self::EventNotOnSale => "event_not_on_sale",
            Self::MissingBuyer => "missing_buyer",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::OrderNotDraft => "order_not_draft",
            Self::OrderEmpty => "order_empty",
            Self::OrderNotCancellable => "order_not_cancellable",
            Self::SeatAlreadyInCart => "seat_already_in_cart",
            Self::SeatNotInCart => "seat_not_in_cart",
            Self::PriceMismatch => "price_mismatch",
            Self::CapacityExceeded => "capacity_exceeded",
            Self::SeatAlreadyExists => "seat_already_exists",
            Self::EventStateConflict => "event_state_conflict",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyKeyInProgress => "idempotency_key_in_progress",
            Self::AmountMismatch => "amount_mismatch",
            Self::OrderNotPending => "order_not_pending",
            Self::PaymentInProgress => "payment_in_progress",
            Self::PaymentDeclined => "payment_declined",
            Self::PaymentNotFound => "payment_not_found",
            Self::OrderNotRefundable => "order_not_refundable",
            Self::SeatNotInOrder => "seat_not_in_order",
            Self::SeatAlreadyRefunded => "seat_already_refunded",
            Self::RefundExceedsPaid => "refund_exceeds_paid",
            Self::RefundInProgress => "refund_in_progress",
            Self::RefundDeclined => "refund_declined",
            Self::MessageNotFound => "message_not_found",
            Self::TicketNotFound => "ticket_not_found",
            Self::EmailTaken => "email_taken",
            Self::AccountNotFound => "account_not_found",
            Self::InvalidCredentials => "invalid_credentials",
            Self::SeatsAvailable => "seats_available",
            Self::AlreadyWaiting => "already_waiting",
            Self::WaitlistEntryNotFound => "waitlist_entry_not_found",
            Self::WaitlistEntryClosed => "waitlist_entry_closed",
            Self::RateLimited => "rate_limited",
            Self::ServiceUnavailable => "service_unavailable",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
