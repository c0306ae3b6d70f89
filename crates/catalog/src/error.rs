//! Business outcomes of catalog commands.

use kernel::{ErrorCode, EventId};

/// Why a catalog command failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// No event with that id.
    #[error("Event {0} not found")]
    EventNotFound(EventId),
    /// Input failed validation; the sentence names the field.
    #[error("{0}")]
    Invalid(String),
    /// Seat generation would exceed the event's capacity.
    #[error(
        "Generating {requested} seats would exceed the event's capacity of {capacity} ({existing} seats already exist)."
    )]
    CapacityExceeded {
        requested: u64,
        existing: u64,
        capacity: u64,
    },
    /// A seat with the same section, row and number exists.
    #[error("Seat {section}-{row}-{seat} already exists for this event.")]
    SeatAlreadyExists {
        section: String,
        row: i64,
        seat: i64,
    },
    /// The event cannot change state now.
    #[error("{0}")]
    StateConflict(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl CatalogError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::EventNotFound(_) => ErrorCode::EventNotFound,
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::CapacityExceeded { .. } => ErrorCode::CapacityExceeded,
            Self::SeatAlreadyExists { .. } => ErrorCode::SeatAlreadyExists,
            Self::StateConflict(_) => ErrorCode::EventStateConflict,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<storage::Error> for CatalogError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(CatalogError);
