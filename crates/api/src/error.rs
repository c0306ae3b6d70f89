//! `ApiError`: the one error type handlers return, rendered as `{"error","code"}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kernel::ErrorCode;

/// An error answered to the client: a sentence for a person and a stable code.
/// A 5xx keeps its cause for the log and answers only `Internal error`.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    cause: Option<anyhow::Error>,
}

impl ApiError {
    /// An error with a business code and a sentence.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            cause: None,
        }
    }

    /// A validation failure naming the offending field.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message)
    }

    /// An unexpected failure; the cause is logged, never sent. A service of a split deployment
    /// that did not answer ([`kernel::PeerUnavailable`]) is a 503: trying again may succeed.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let cause = cause.into();
        let (code, message) = if cause.chain().any(|e| e.is::<kernel::PeerUnavailable>()) {
            (
                ErrorCode::ServiceUnavailable,
                "A service this request needs is not answering; please try again.",
            )
        } else {
            (ErrorCode::Internal, "Internal error")
        };
        Self {
            code,
            message: message.into(),
            cause: Some(cause),
        }
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The error's sentence.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The underlying failure of an internal error (for logs, never for clients).
    pub fn cause(&self) -> Option<&anyhow::Error> {
        self.cause.as_ref()
    }
}

impl From<storage::Error> for ApiError {
    fn from(e: storage::Error) -> Self {
        Self::internal(e)
    }
}

/// The HTTP status of each error code: the single place where codes meet HTTP.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::ValidationFailed
        | C::InvalidJson
        | C::MissingBuyer
        | C::OrderNotDraft
        | C::OrderEmpty
        | C::SeatAlreadyInCart
        | C::SeatNotInCart
        | C::PriceMismatch
        | C::ReservationMismatch
        | C::CapacityExceeded
        | C::AmountMismatch
        | C::SeatNotInOrder
        | C::RefundExceedsPaid => StatusCode::BAD_REQUEST,
        C::Unauthorized | C::InvalidCredentials => StatusCode::UNAUTHORIZED,
        C::Forbidden => StatusCode::FORBIDDEN,
        C::RouteNotFound
        | C::EventNotFound
        | C::SeatNotFound
        | C::ReservationNotFound
        | C::OrderNotFound
        | C::PaymentNotFound
        | C::MessageNotFound
        | C::TicketNotFound
        | C::AccountNotFound
        | C::WaitlistEntryNotFound => StatusCode::NOT_FOUND,
        C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        C::SeatAlreadyReserved
        | C::SeatHeldBack
        | C::SeatsNotFree
        | C::NotEnoughSeats
        | C::HoldNotExtendable
        | C::HoldLimitReached
        | C::HoldExpired
        | C::ReservationNotActive
        | C::EventNotOnSale
        | C::OrderNotCancellable
        | C::SeatAlreadyExists
        | C::EventStateConflict
        | C::IdempotencyKeyInProgress
        | C::OrderNotPending
        | C::PaymentInProgress
        | C::EmailTaken
        | C::SeatsAvailable
        | C::AlreadyWaiting
        | C::WaitlistEntryClosed
        | C::OrderNotRefundable
        | C::SeatAlreadyRefunded
        | C::RefundInProgress => StatusCode::CONFLICT,
        C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::IdempotencyKeyReused | C::PaymentDeclined | C::RefundDeclined => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        C::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        C::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The wire form: `error` first, as the seed page shows it.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    code: &'static str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        if let Some(cause) = &self.cause {
            tracing::error!(error.code = %self.code, error = %format!("{cause:#}"), "request failed");
        }
        (
            status,
            Json(ErrorBody {
                error: &self.message,
                code: self.code.as_str(),
            }),
        )
            .into_response()
    }
}

/// The error body as the OpenAPI document describes it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    /// One sentence for a person.
    pub error: String,
    /// A stable snake_case code.
    pub code: String,
}

/// Implements `From<$error> for ApiError` for a context's error enum that has a
/// `code() -> ErrorCode` method and an `Internal(anyhow::Error)` variant: the sentence of every
/// other variant is shown as is, an internal cause only logged.
#[macro_export]
macro_rules! api_error_from {
    ($error:ident) => {
        impl From<$error> for $crate::ApiError {
            fn from(e: $error) -> Self {
                match e {
                    $error::Internal(cause) => $crate::ApiError::internal(cause),
                    other => $crate::ApiError::new(other.code(), other.to_string()),
                }
            }
        }
    };
}
