//! The HTTP edge shared by every context: the `{"error","code"}` envelope, extractors whose
//! rejections use it, path normalization (case-insensitive, one optional trailing slash),
//! `Idempotency-Key` handling, health checks and the middleware stack (SPEC §3).
//!
//! Contexts build their `http.rs` routers from these pieces; the `server` crate assembles them.

mod auth;
pub mod csv;
mod edge;
mod error;
mod extract;
mod health;
mod idempotency;
mod keys;
mod rate_limit;

pub use auth::{
    AUDIENCE, Accounts, Admin, Auth, BuyerIdentity, Caller, Claims, GuestTokens, ISSUER, JwtKeys,
    Peer, Role, SERVICE_TOKEN_SECONDS, Staff, TOKEN_HOURS,
};
pub use edge::{EdgeConfig, EdgeService, finish, requests_in_flight};
pub use error::{ApiError, ErrorResponse, status_of};
pub use extract::{AppJson, AppPath, AppQuery, UPLOAD_LIMIT, Upload, parse_json};
pub use health::health_router;
pub use idempotency::{IdempotencyStore, forget_unfinished_keys, purge_expired_keys};
pub use rate_limit::{RateLimits, RateRule};

/// The request body limit of SPEC §3.
pub const BODY_LIMIT: usize = 64 * 1024;
