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

impl From<sqlx::Error> for NotificationError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(NotificationError);
