//! Why a fulfillment request failed.

use kernel::ErrorCode;

/// A fulfillment failure.
#[derive(Debug, thiserror::Error)]
pub enum FulfillmentError {
    /// No such ticket (or not the caller's).
    #[error("Ticket not found")]
    TicketNotFound,
    /// No event with that id (an export).
    #[error("Event {0} not found")]
    EventNotFound(kernel::EventId),
    /// Input failed validation.
    #[error("{0}")]
    Invalid(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl FulfillmentError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TicketNotFound => ErrorCode::TicketNotFound,
            Self::EventNotFound(_) => ErrorCode::EventNotFound,
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<storage::Error> for FulfillmentError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(FulfillmentError);
