//! Authentication at the edge: HS256 JWTs issued by identity, server-issued guest tokens, and
//! the extractors that make every door lock (`Admin`, `Staff`, `Caller`).
//!
//! Demo mode trusts the `userId`/`guestToken`/`customerId` a buyer sends, as the original did;
//! `--require-auth` refuses buyer calls that carry neither a valid JWT nor a guest token issued by
//! `POST /guest-tokens`. A JWT, when present, always wins: a body's `userId` must equal its subject.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kernel::ErrorCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

use crate::ApiError;

/// The original's issuer and audience, kept so its clients' tokens look the same.
pub const ISSUER: &str = "SpecKit.Identity";
/// See [`ISSUER`].
pub const AUDIENCE: &str = "SpecKit.Services";
/// Lifetime of a service token (see [`JwtKeys::issue_service`]).
pub const SERVICE_TOKEN_SECONDS: i64 = 300;
/// The role of service tokens; [`Role::parse`] never yields it, so no account can have it.
const SERVICE_ROLE: &str = "Service";
/// Lifetime of a JWT.
pub const TOKEN_HOURS: i64 = 2;

/// A person's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A buyer.
    User,
    /// Door staff: may check tickets in.
    Staff,
    /// Runs events.
    Admin,
}

impl Role {
    /// The wire form (`User`, `Staff`, `Admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Staff => "Staff",
            Self::Admin => "Admin",
        }
    }

    /// Parses the wire form, ignoring case, or the original's numbers (`0` user, `1` admin).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "user" | "0" => Some(Self::User),
            "admin" | "1" => Some(Self::Admin),
            "staff" | "2" => Some(Self::Staff),
            _ => None,
        }
    }
}

/// The claims of a Boxoffice JWT.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The user's e-mail.
    pub email: String,
    /// `User`, `Staff` or `Admin`.
    pub role: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
}

impl Claims {
    /// The role, `User` when unknown.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }
}

/// Keys to sign and verify JWTs (HS256). Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    /// Keys from a shared secret (at least 32 bytes are recommended).
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A token for a user, valid [`TOKEN_HOURS`] from `now`.
    ///
    /// # Errors
    /// When signing fails.
    pub fn issue(
        &self,
        user_id: &str,
        email: &str,
        role: Role,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = now + Duration::hours(TOKEN_HOURS);
        let token = self.sign(user_id, email, role.as_str(), now, expires)?;
        Ok((token, expires))
    }

    /// A token with which `service` calls another service's internal routes (split deployment),
    /// valid [`SERVICE_TOKEN_SECONDS`]. Its role is not one a person can be given.
    ///
    /// # Errors
    /// When signing fails.
    pub fn issue_service(&self, service: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
        let expires = now + Duration::seconds(SERVICE_TOKEN_SECONDS);
        self.sign(
            &format!("service:{service}"),
            "",
            SERVICE_ROLE,
            now,
            expires,
        )
    }

    fn sign(
        &self,
        subject: &str,
        email: &str,
        role: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: subject.into(),
            email: email.into(),
            role: role.into(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: expires.timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid token: HS256 only (so `alg: none` and key confusion fail), right
    /// issuer and audience, not expired, and not before its `nbf`.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 0;
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// Whether a guest token was issued by this platform (identity owns them).
#[async_trait::async_trait]
pub trait GuestTokens: Send + Sync + 'static {
    /// Whether `token` was issued by `POST /guest-tokens`.
    ///
    /// # Errors
    /// When identity cannot be asked.
    async fn is_issued(&self, token: &str) -> anyhow::Result<bool>;
}

/// Whether the account behind a JWT still exists (identity owns them). Asked for the tokens of
/// door staff and administrators only: removing such an account takes effect at its next
/// request, not when its token expires. Buyers' tokens are not asked about (no lookup on the
/// purchase path).
#[async_trait::async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Whether the account `user_id` (a JWT subject) exists.
    ///
    /// # Errors
    /// When identity cannot be asked.
    async fn is_active(&self, user_id: &str) -> anyhow::Result<bool>;
}

/// What the edge needs to authenticate: keys, the guest-token and account registries, and the
/// policy.
#[derive(Clone)]
pub struct Auth {
    keys: JwtKeys,
    guests: Arc<dyn GuestTokens>,
    accounts: Arc<dyn Accounts>,
    require_auth: bool,
}

impl Auth {
    /// The authentication of this deployment.
    pub fn new(
        keys: JwtKeys,
        guests: Arc<dyn GuestTokens>,
        accounts: Arc<dyn Accounts>,
        require_auth: bool,
    ) -> Self {
        Self {
            keys,
            guests,
            accounts,
            require_auth,
        }
    }

    /// The claims of a verified JWT if they still hold: a staff or administrator token whose
    /// account was removed is `None` (the web pages then treat the visitor as signed out).
    ///
    /// # Errors
    /// 503 when identity cannot be asked (a privileged request is never let through unasked).
    pub async fn still_valid(&self, claims: Claims) -> Result<Option<Claims>, ApiError> {
        if claims.role() == Role::User {
            return Ok(Some(claims));
        }
        match self.accounts.is_active(&claims.sub).await {
            Ok(true) => Ok(Some(claims)),
            Ok(false) => Ok(None),
            Err(e) => Err(ApiError::internal(
                e.context("cannot ask identity about an account"),
            )),
        }
    }

    /// The signing keys (identity issues tokens with them).
    pub fn keys(&self) -> &JwtKeys {
        &self.keys
    }

    /// Reads `Authorization: Bearer …`: no header is `Ok(None)`; a bad or expired token is 401.
    fn claims(&self, parts: &Parts) -> Result<Option<Claims>, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| unauthorized("The Authorization header must be `Bearer <token>`."))?;
        self.keys
            .verify(token.trim())
            .map(Some)
            .ok_or_else(|| unauthorized("The token is invalid or has expired."))
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthorized, message)
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Forbidden, message)
}

/// The claims of a caller who must be signed in with one of `roles` (401 without a valid
/// token or when its account was removed, 403 with another role).
async fn signed_in_as(
    auth: &Auth,
    parts: &Parts,
    roles: &[Role],
    who: &str,
) -> Result<Claims, ApiError> {
    let claims = auth
        .claims(parts)?
        .ok_or_else(|| unauthorized(&format!("Sign in as {who}.")))?;
    if !roles.contains(&claims.role()) {
        return Err(forbidden(&format!("This needs {who}.")));
    }
    auth.still_valid(claims)
        .await?
        .ok_or_else(|| unauthorized(REMOVED))
}

/// The answer to a token whose account was removed.
const REMOVED: &str = "This account was removed; sign in with another one.";

/// An administrator, proven by a valid JWT with role `Admin` (401 without, 403 with another role).
#[derive(Debug, Clone)]
pub struct Admin(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for Admin
where
    Auth: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        signed_in_as(
            &Auth::from_ref(state),
            parts,
            &[Role::Admin],
            "an administrator",
        )
        .await
        .map(Admin)
    }
}

/// Another service of this deployment, proven by a service token: the only caller the internal
/// routes of a split deployment answer (401 without a token, 403 with a person's token).
#[derive(Debug, Clone)]
pub struct Peer(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for Peer
where
    Auth: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let claims = Auth::from_ref(state)
            .claims(parts)?
            .ok_or_else(|| unauthorized("Internal routes need a service token."))?;
        if claims.role != SERVICE_ROLE {
            return Err(forbidden(
                "Internal routes answer only the services of this deployment.",
            ));
        }
        Ok(Peer(claims))
    }
}

/// Door staff or an administrator.
#[derive(Debug, Clone)]
pub struct Staff(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for Staff
where
    Auth: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        signed_in_as(
            &Auth::from_ref(state),
            parts,
            &[Role::Staff, Role::Admin],
            "door staff or an administrator",
        )
        .await
        .map(Staff)
    }
}

/// Whoever calls a buyer route: maybe signed in (a bad token is 401, never ignored).
#[derive(Clone)]
pub struct Caller {
    claims: Option<Claims>,
    auth: Auth,
}

/// The buyer a request acts for, after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerIdentity {
    /// The user id (a JWT's subject when signed in).
    pub user_id: Option<String>,
    /// The guest token.
    pub guest_token: Option<String>,
    /// Whether the caller is an administrator (may act on any buyer's resources).
    pub is_admin: bool,
    /// The signed-in user's e-mail (where tickets go).
    pub email: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    Auth: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_ref(state);
        let claims = match auth.claims(parts)? {
            Some(claims) => Some(
                auth.still_valid(claims)
                    .await?
                    .ok_or_else(|| unauthorized(REMOVED))?,
            ),
            None => None,
        };
        Ok(Caller { claims, auth })
    }
}

impl Caller {
    /// The signed-in user's claims, if any.
    pub fn claims(&self) -> Option<&Claims> {
        self.claims.as_ref()
    }

    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        self.claims
            .as_ref()
            .is_some_and(|c| c.role() == Role::Admin)
    }

    /// The buyer from a request's `userId` / `guestToken`: with a JWT the user id is its subject
    /// (a different `userId` is 401); without one, `--require-auth` accepts only a guest token
    /// issued by this platform.
    ///
    /// # Errors
    /// 401 as described.
    pub async fn buyer(
        &self,
        user_id: Option<&str>,
        guest_token: Option<&str>,
    ) -> Result<BuyerIdentity, ApiError> {
        let clean = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let (user_id, guest_token) = (clean(user_id), clean(guest_token));
        if let Some(claims) = &self.claims {
            if user_id.as_deref().is_some_and(|u| u != claims.sub) {
                return Err(unauthorized("userId does not match the signed-in user."));
            }
            return Ok(BuyerIdentity {
                user_id: Some(claims.sub.clone()),
                guest_token,
                is_admin: self.is_admin(),
                email: Some(claims.email.clone()),
            });
        }
        if self.auth.require_auth {
            if user_id.is_some() {
                return Err(unauthorized(
                    "Sign in to act as a user (a userId alone is not accepted here).",
                ));
            }
            self.check_guest(guest_token.as_deref()).await?;
        }
        Ok(BuyerIdentity {
            user_id,
            guest_token,
            is_admin: false,
            email: None,
        })
    }

    /// The customer id of a hold or payment: a JWT's subject when signed in (another value is
    /// 401); without one, `--require-auth` accepts only a guest token issued by this platform.
    ///
    /// # Errors
    /// 401 as described.
    pub async fn customer(&self, customer_id: Option<&str>) -> Result<Option<String>, ApiError> {
        let customer = customer_id
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        if let Some(claims) = &self.claims {
            if customer.as_deref().is_some_and(|c| c != claims.sub) && !self.is_admin() {
                return Err(unauthorized(
                    "customerId does not match the signed-in user.",
                ));
            }
            return Ok(Some(customer.unwrap_or_else(|| claims.sub.clone())));
        }
        if self.auth.require_auth {
            self.check_guest(customer.as_deref()).await?;
        }
        Ok(customer)
    }

    async fn check_guest(&self, token: Option<&str>) -> Result<(), ApiError> {
        let issued = match token {
            Some(t) => self
                .auth
                .guests
                .is_issued(t)
                .await
                .map_err(ApiError::internal)?,
            None => false,
        };
        if issued {
            Ok(())
        } else {
            Err(unauthorized(
                "Sign in, or use a guest token from POST /guest-tokens.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_the_right_key_and_algorithm() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let (token, _) = keys
            .issue("u1", "a@b.c", Role::Admin, Utc::now())
            .expect("token");
        assert_eq!(keys.verify(&token).map(|c| c.role()), Some(Role::Admin));
        let other = JwtKeys::from_secret(b"another-secret-another-secret-xx");
        assert!(other.verify(&token).is_none());
        let (expired, _) = keys
            .issue("u1", "a@b.c", Role::Admin, Utc::now() - Duration::hours(3))
            .expect("token");
        assert!(keys.verify(&expired).is_none());
        let none_alg = format!(
            "{}.{}.",
            base64_url(r#"{"alg":"none","typ":"JWT"}"#),
            token.split('.').nth(1).expect("payload")
        );
        assert!(keys.verify(&none_alg).is_none());
    }

    fn base64_url(s: &str) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    }
}
