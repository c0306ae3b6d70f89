//! Why an identity request failed.

use kernel::ErrorCode;

/// An identity failure.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Input failed validation.
    #[error("{0}")]
    Invalid(String),
    /// The e-mail is taken.
    #[error("User with email {0} already exists")]
    EmailTaken(String),
    /// Wrong e-mail or password.
    #[error("Invalid email or password")]
    InvalidCredentials,
    /// Not signed in.
    #[error("Sign in first.")]
    Unauthenticated,
    /// Signed in without the right role.
    #[error("Only an administrator can create staff or administrator accounts.")]
    Forbidden,
    /// No door-staff account with that id.
    #[error("There is no door-staff account {0}.")]
    StaffNotFound(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl IdentityError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::EmailTaken(_) => ErrorCode::EmailTaken,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::Unauthenticated => ErrorCode::Unauthorized,
            Self::Forbidden => ErrorCode::Forbidden,
            Self::StaffNotFound(_) => ErrorCode::AccountNotFound,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<storage::Error> for IdentityError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(IdentityError);
