//! Accounts and the rules their fields follow.

use api::Role;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::IdentityError;

/// A normalised e-mail address (trimmed, lower-case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// A plausible address: one `@`, a non-empty local part of at most 64 characters, a domain
    /// with a dot, no spaces, at most 254 characters.
    ///
    /// # Errors
    /// [`IdentityError::Invalid`] naming the field.
    pub fn parse(value: &str) -> Result<Self, IdentityError> {
        let email = value.trim().to_ascii_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Self(email))
        } else {
            Err(IdentityError::Invalid(
                "email must be a valid e-mail address.".into(),
            ))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password of 8 to 128 characters.
pub(crate) fn valid_password(password: &str) -> Result<&str, IdentityError> {
    let n = password.chars().count();
    if (8..=128).contains(&n) {
        Ok(password)
    } else {
        Err(IdentityError::Invalid(
            "password must be 8 to 128 characters.".into(),
        ))
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Identifier (the JWT subject).
    pub id: Uuid,
    /// E-mail, unique.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ana@Example.COM ").expect("valid").as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
            "ana@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_length_range() {
        assert!(valid_password("short").is_err());
        assert!(valid_password("Admin123!").is_ok());
        assert!(valid_password(&"x".repeat(129)).is_err());
    }
}
