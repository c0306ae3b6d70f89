//! Signing in, registering and signing out.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use api::Role;

use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::{SetCookies, Visitor};
use crate::view::Nav;

#[derive(Template, WebTemplate)]
#[template(path = "signin.html")]
pub(crate) struct SignInPage {
    nav: Nav,
    register: bool,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Next {
    #[serde(default)]
    next: String,
}

/// Only a path of this site is a place to return to (no open redirect): it starts with one
/// `/`, and holds visible ASCII only. Browsers drop tabs and line breaks from a `Location`
/// (`/<TAB>/evil.example` would read as `//evil.example`) and read `\` as `/`, and anything but
/// visible ASCII cannot be a header value at all; such a `next` is ignored.
fn local(next: &str) -> String {
    let visible = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if visible && next.starts_with('/') && !next.starts_with("//") {
        next.to_owned()
    } else {
        String::new()
    }
}

fn form_page(
    visitor: &Visitor,
    register: bool,
    email: String,
    next: &str,
    error: Option<String>,
) -> SignInPage {
    SignInPage {
        nav: Nav::of(visitor),
        register,
        email,
        next: local(next),
        error,
    }
}

/// `GET /ui/signin`.
pub(crate) async fn show_sign_in(visitor: Visitor, Query(q): Query<Next>) -> SignInPage {
    form_page(&visitor, false, String::new(), &q.next, None)
}

/// `GET /ui/register`.
pub(crate) async fn show_register(visitor: Visitor, Query(q): Query<Next>) -> SignInPage {
    form_page(&visitor, true, String::new(), &q.next, None)
}

#[derive(Deserialize)]
pub(crate) struct Credentials {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /ui/signin`: administrators land on the admin pages, door staff on the scanner.
pub(crate) async fn sign_in(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<Credentials>,
) -> PageResult<Response> {
    match web.identity.login(&form.email, &form.password).await {
        Ok(outcome) => {
            let next = local(&form.next);
            let to = match outcome.role {
                _ if !next.is_empty() => next,
                Role::Admin => "/ui/admin".into(),
                Role::Staff => "/ui/checkin".into(),
                Role::User => "/".into(),
            };
            adopt_guest_cart(&web, &visitor, &outcome.token).await;
            Ok(SetCookies::default()
                .signed_in(&outcome.token)
                .on(Redirect::to(&to)))
        }
        Err(e) => {
            let e = PageError::from(e);
            let page = form_page(&visitor, false, form.email, &form.next, Some(e.message));
            Ok((e.status, page).into_response())
        }
    }
}

/// `POST /ui/register`: creates a buyer account and signs it in.
pub(crate) async fn register(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<Credentials>,
) -> PageResult<Response> {
    if let Err(e) = web
        .identity
        .register(&form.email, &form.password, Role::User, false)
        .await
    {
        let e = PageError::from(e);
        let page = form_page(&visitor, true, form.email, &form.next, Some(e.message));
        return Ok((e.status, page).into_response());
    }
    let outcome = web.identity.login(&form.email, &form.password).await?;
    adopt_guest_cart(&web, &visitor, &outcome.token).await;
    let next = local(&form.next);
    let to = if next.is_empty() {
        "/".to_owned()
    } else {
        next
    };
    Ok(SetCookies::default()
        .signed_in(&outcome.token)
        .on(Redirect::to(&to)))
}

/// A guest who signs in or registers keeps the cart: it becomes the account's, holds and all
/// (`OrderingService::adopt_cart`). A failure is logged, never in the way of signing in: the
/// guest's cart then stays the guest's, as it was.
async fn adopt_guest_cart(web: &WebState, visitor: &Visitor, token: &str) {
    let (Some(guest), Some(claims)) = (visitor.guest.as_deref(), web.auth.keys().verify(token))
    else {
        return;
    };
    let (Ok(guest), Ok(account)) = (
        ordering::Buyer::parse(None, Some(guest)),
        ordering::Buyer::parse(Some(&claims.sub), None),
    ) else {
        return;
    };
    let account = account.with_email(Some(claims.email.clone()));
    if let Err(e) = web.ordering.adopt_cart(&guest, &account).await {
        tracing::warn!(error = %e, "a guest's cart could not become the account's");
    }
}

/// `POST /ui/signout`: forgets the session (and a guest's token).
pub(crate) async fn sign_out() -> Response {
    SetCookies::default().signed_out().on(Redirect::to("/"))
}

#[cfg(test)]
mod tests {
    use super::local;

    #[test]
    fn only_a_path_of_this_site_is_kept() {
        for kept in ["/", "/ui/orders", "/ui/events/1?x=a%2Fb#top"] {
            assert_eq!(local(kept), kept);
        }
        for refused in [
            "//evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/ui/orders\r\nSet-Cookie: x=1",
            "/caf\u{e9}",
            "/a b",
            "",
        ] {
            assert_eq!(local(refused), "", "{refused:?}");
        }
    }
}
