//! Why a notification request failed.

use kernel::ErrorCode;

/// A notification failure.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// Input failed validation.
    #[error("{0}")]
    Invalid(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl NotificationError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<storage::Error> for NotificationError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(NotificationError);
