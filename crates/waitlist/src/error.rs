//! Why a waitlist request was refused.

use kernel::{ErrorCode, EventId, WaitlistEntryId};

/// A refused waitlist request.
#[derive(Debug, thiserror::Error)]
pub enum WaitlistError {
    /// Input failed validation.
    #[error("{0}")]
    Invalid(String),
    /// No such event.
    #[error("Event {0} not found")]
    EventNotFound(EventId),
    /// The event is inactive or over.
    #[error("Event {0} is not on sale.")]
    NotOnSale(EventId),
    /// Seats can still be bought.
    #[error("Seats are still available for this event; the waitlist opens once it is sold out.")]
    SeatsAvailable,
    /// The e-mail already waits or holds an offer.
    #[error("This e-mail is already on the waitlist for this event.")]
    AlreadyWaiting,
    /// No such entry.
    #[error("Waitlist entry {0} not found")]
    EntryNotFound(WaitlistEntryId),
    /// The entry is over.
    #[error("This waitlist entry is already {0}.")]
    Closed(&'static str),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl WaitlistError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::EventNotFound(_) => ErrorCode::EventNotFound,
            Self::NotOnSale(_) => ErrorCode::EventNotOnSale,
            Self::SeatsAvailable => ErrorCode::SeatsAvailable,
            Self::AlreadyWaiting => ErrorCode::AlreadyWaiting,
            Self::EntryNotFound(_) => ErrorCode::WaitlistEntryNotFound,
            Self::Closed(_) => ErrorCode::WaitlistEntryClosed,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<storage::Error> for WaitlistError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(WaitlistError);
