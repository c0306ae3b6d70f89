//! Who is visiting: cookies in, [`Visitor`] out, and the cookies a page sets.
//!
//! * `bo_session`: the JWT of a signed-in person (identity issues it; verified on every request).
//! * `bo_guest`: a guest token from identity, issued on a guest's first hold. It is the guest's
//!   customer id for holds, carts and orders, exactly as a guest of the JSON API would send it.
//! * `bo_email`: the address a guest gave at checkout (where tickets go), remembered for the next
//!   purchase.
//!
//! All are `HttpOnly` and `SameSite=Lax`; [`same_origin_posts`] refuses form posts from other
//! sites as a second line against cross-site request forgery.

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::header::{COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;

use api::{Claims, Role};
use ordering::Buyer;

use crate::WebState;

const SESSION: &str = "bo_session";
const GUEST: &str = "bo_guest";
const EMAIL: &str = "bo_email";

/// The person behind a request, as far as the cookies tell.
#[derive(Debug, Clone, Default)]
pub(crate) struct Visitor {
    /// A signed-in person (a valid, unexpired JWT).
    pub(crate) claims: Option<Claims>,
    /// A guest's token.
    pub(crate) guest: Option<String>,
    /// A guest's e-mail address.
    pub(crate) email: Option<String>,
}

impl<S> FromRequestParts<S> for Visitor
where
    S: Send + Sync,
    WebState: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let web = WebState::from_ref(state);
        let claims = cookie(&parts.headers, SESSION).and_then(|t| web.auth.keys().verify(&t));
        // A removed staff or administrator account is signed out at its next page.
        let claims = match claims {
            Some(claims) => web.auth.still_valid(claims).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e.message(), "cannot check a session's account; treated as signed out");
                None
            }),
            None => None,
        };
        Ok(Self {
            claims,
            guest: cookie(&parts.headers, GUEST).filter(|t| t.len() <= 256),
            email: cookie(&parts.headers, EMAIL).filter(|e| e.len() <= 320),
        })
    }
}

impl Visitor {
    /// The id holds and orders are kept under: the user id, else the guest token.
    pub(crate) fn customer_id(&self) -> Option<String> {
        self.claims
            .as_ref()
            .map(|c| c.sub.clone())
            .or_else(|| self.guest.clone())
    }

    /// The buyer for ordering, with the address tickets go to.
    pub(crate) fn buyer(&self) -> Option<Buyer> {
        let buyer = match &self.claims {
            Some(c) => Buyer::parse(Some(&c.sub), None).ok()?,
            None => Buyer::parse(None, self.guest.as_deref()).ok()?,
        };
        Some(buyer.with_email(self.ticket_email()))
    }

    /// Every identity the visitor can act as: the account first, then a guest token the browser
    /// also holds (a signed-in person who follows a waiting-list offer link).
    pub(crate) fn buyers(&self) -> Vec<Buyer> {
        let email = self.ticket_email();
        let account = self
            .claims
            .as_ref()
            .and_then(|c| Buyer::parse(Some(&c.sub), None).ok());
        let guest = self
            .guest
            .as_deref()
            .and_then(|g| Buyer::parse(None, Some(g)).ok());
        account
            .into_iter()
            .chain(guest)
            .map(|b| b.with_email(email.clone()))
            .collect()
    }

    /// Where tickets go: the account's address, else the one a guest gave.
    pub(crate) fn ticket_email(&self) -> Option<String> {
        self.claims
            .as_ref()
            .map(|c| c.email.clone())
            .or_else(|| self.email.clone())
    }

    /// The signed-in person's role.
    pub(crate) fn role(&self) -> Option<Role> {
        self.claims.as_ref().map(Claims::role)
    }

    /// Whether an administrator is signed in.
    pub(crate) fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// Whether door staff (or an administrator) is signed in.
    pub(crate) fn is_staff(&self) -> bool {
        matches!(self.role(), Some(Role::Admin | Role::Staff))
    }
}

/// The value of cookie `name`, if sent.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for `name`; `None` deletes the cookie.
fn set_cookie(name: &str, value: Option<&str>, max_age_secs: i64) -> Option<HeaderValue> {
    let text = match value {
        // Values are JWTs, base64url tokens or e-mail addresses: no `;`, `,` or spaces, which
        // `cookie_safe` makes sure of.
        Some(v) if cookie_safe(v) => {
            format!("{name}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}")
        }
        Some(_) => return None,
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    HeaderValue::from_str(&text).ok()
}

fn cookie_safe(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\'))
}

/// Cookies a response sets.
#[derive(Debug, Default)]
pub(crate) struct SetCookies(Vec<HeaderValue>);

impl SetCookies {
    /// Signs a person in (two hours, as the JWT).
    pub(crate) fn signed_in(mut self, jwt: &str) -> Self {
        self.0.extend(set_cookie(SESSION, Some(jwt), 2 * 3600));
        self
    }

    /// A guest's token (30 days, as identity keeps it).
    pub(crate) fn guest(mut self, token: &str) -> Self {
        self.0.extend(set_cookie(GUEST, Some(token), 30 * 86_400));
        self
    }

    /// A guest's e-mail address.
    pub(crate) fn email(mut self, email: &str) -> Self {
        self.0.extend(set_cookie(EMAIL, Some(email), 30 * 86_400));
        self
    }

    /// Forgets everything.
    pub(crate) fn signed_out(mut self) -> Self {
        for name in [SESSION, GUEST, EMAIL] {
            self.0.extend(set_cookie(name, None, 0));
        }
        self
    }

    /// `response` with these cookies.
    pub(crate) fn on(self, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        for value in self.0 {
            response.headers_mut().append(SET_COOKIE, value);
        }
        response
    }
}

/// Refuses a form post sent from another site: by `Sec-Fetch-Site` where the browser sends it
/// (all current ones do), else by comparing `Origin` with `Host`. Clients without either header
/// (curl, scripts) are not browsers acting for someone and pass.
pub(crate) async fn same_origin_posts(request: Request, next: Next) -> Response {
    if request.method() == Method::POST && !same_origin(request.headers()) {
        return (
            StatusCode::FORBIDDEN,
            "This form was sent from another site and was refused.",
        )
            .into_response();
    }
    next.run(request).await
}

fn same_origin(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (text(ORIGIN.as_str()), text(HOST.as_str())) {
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .split_once("://")
                .map_or(origin, |(_, rest)| rest)
                .trim_end_matches('/');
            origin_host.eq_ignore_ascii_case(host)
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("a=1; bo_guest=tok; b=2"));
        assert_eq!(cookie(&headers, GUEST).as_deref(), Some("tok"));
        assert_eq!(cookie(&headers, SESSION), None);
    }

    #[test]
    fn posts_from_other_sites_are_told_apart() {
        let with = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            same_origin(&h)
        };
        assert!(with(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "null")
        ]));
        assert!(!with(&[("sec-fetch-site", "cross-site")]));
        assert!(with(&[
            ("origin", "http://a.test:8080"),
            ("host", "a.test:8080")
        ]));
        assert!(!with(&[
            ("origin", "http://evil.test"),
            ("host", "a.test:8080")
        ]));
        assert!(with(&[]));
    }

    #[test]
    fn refuses_values_that_would_break_the_header() {
        assert!(set_cookie(EMAIL, Some("a@b.co"), 10).is_some());
        assert!(set_cookie(EMAIL, Some("a@b.co; Domain=evil"), 10).is_none());
        assert!(set_cookie(EMAIL, Some("a b@c.co"), 10).is_none());
    }
}
