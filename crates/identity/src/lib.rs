//! Identity: accounts, passwords (Argon2id), JWTs (HS256) and server-issued guest tokens.
//!
//! Tables: `identity_users`, `identity_guest_tokens` (SHA-256 of each token, never the token).
//! Events: none.

mod domain;
mod error;
mod http;
mod password;
mod service;
mod store;

pub use domain::{Email, User};
pub use error::IdentityError;
pub use http::{openapi, router};
pub use service::{IdentityService, LoginOutcome};
