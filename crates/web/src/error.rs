//! Errors as pages: a sentence a person understands, never a stack trace.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kernel::ErrorCode;

use api::{ApiError, status_of};

use crate::view::Nav;

/// A failed page: its status and what to tell the visitor.
#[derive(Debug)]
pub(crate) struct PageError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
    /// Where to send the visitor instead of showing the message (sign-in first).
    pub(crate) redirect: Option<String>,
    /// The API's code, when a context refused (the map's script tells a taken seat from the
    /// hold limit by it).
    pub(crate) code: Option<&'static str>,
}

impl PageError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            redirect: None,
            code: None,
        }
    }

    /// A page for someone signed in: the sign-in page, coming back to `path` afterwards.
    pub(crate) fn sign_in(path: &str) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "Please sign in.");
        e.redirect = Some(format!("/ui/signin?next={path}"));
        e
    }

    /// Signed in, but without the role the page needs.
    pub(crate) fn forbidden(who: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: format!("This page is for {who}. Sign in with such an account."),
            redirect: None,
            code: None,
        }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!("We could not find this {what}. The link may be old or mistyped."),
            redirect: None,
            code: None,
        }
    }
}

/// Every context error converts, through the API's mapping, with friendlier words where a
/// buyer meets it.
impl<E> From<E> for PageError
where
    ApiError: From<E>,
{
    fn from(e: E) -> Self {
        let api = ApiError::from(e);
        if let Some(cause) = api.cause() {
            tracing::error!(error = %format!("{cause:#}"), "page failed");
        }
        Self {
            status: status_of(api.code()),
            message: friendly(api.code(), api.message()),
            redirect: None,
            code: Some(api.code().as_str()),
        }
    }
}

/// The sentence for a person: the API's own, except where a buyer needs plainer words.
pub(crate) fn friendly(code: ErrorCode, message: &str) -> String {
    match code {
        ErrorCode::SeatAlreadyReserved => {
            "Sorry, this seat was just taken by someone else. Please pick another one.".into()
        }
        ErrorCode::HoldExpired | ErrorCode::ReservationNotActive => {
            "Your hold on this seat has expired, so it is no longer reserved for you. \
             Pick the seat again if it is still free."
                .into()
        }
        ErrorCode::EventNotOnSale => "Tickets for this event are not on sale right now.".into(),
        ErrorCode::Internal | ErrorCode::ServiceUnavailable => {
            "Something went wrong on our side. Please try again in a moment.".into()
        }
        _ => message.into(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    title: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let Some(to) = &self.redirect {
            return axum::response::Redirect::to(to).into_response();
        }
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "That did not work",
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "Not allowed",
            s if s.is_server_error() => "Something went wrong",
            _ => "Please check",
        };
        let page = ErrorPage {
            nav: Nav::default(),
            title,
            message: self.message,
        };
        (self.status, page).into_response()
    }
}

/// A page handler's result.
pub(crate) type PageResult<T = Response> = Result<T, PageError>;
