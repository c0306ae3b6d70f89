//! The door: paste or type a ticket's QR token, get a big green or red answer.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use serde::Deserialize;

use fulfillment::CheckInResult;

use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::Visitor;
use crate::view::{self, Nav};

#[derive(Template, WebTemplate)]
#[template(path = "checkin.html")]
pub(crate) struct ScannerPage {
    nav: Nav,
    /// `ok` (green) or `refused` (red), after a scan.
    verdict: Option<&'static str>,
    headline: String,
    detail: String,
}

fn staff_only(visitor: &Visitor) -> Result<(), PageError> {
    super::staff_only(visitor, "/ui/checkin")
}

/// `GET /ui/checkin`.
pub(crate) async fn show_scanner(visitor: Visitor) -> PageResult<ScannerPage> {
    staff_only(&visitor)?;
    Ok(ScannerPage {
        nav: Nav::of(&visitor),
        verdict: None,
        headline: String::new(),
        detail: String::new(),
    })
}

#[derive(Deserialize)]
pub(crate) struct ScanForm {
    #[serde(default)]
    token: String,
}

/// `POST /ui/checkin`: admits a ticket once.
pub(crate) async fn check_in(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<ScanForm>,
) -> PageResult<ScannerPage> {
    staff_only(&visitor)?;
    let (result, ticket) = web.fulfillment.check_in(form.token.trim(), None).await?;
    let seat = ticket.as_ref().map_or_else(String::new, |t| {
        format!(
            "{} — {}",
            t.event_name,
            view::seat_label(&t.section_code, t.row_number, t.seat_number)
        )
    });
    let (verdict, headline, detail) = match result {
        CheckInResult::Admitted => ("ok", "Welcome in", seat),
        CheckInResult::AlreadyCheckedIn => {
            let when = ticket
                .as_ref()
                .and_then(|t| t.checked_in_at)
                .map(view::date)
                .unwrap_or_default();
            (
                "refused",
                "Already used",
                format!("{seat} — checked in {when}"),
            )
        }
        CheckInResult::Void => {
            let reason = ticket.as_ref().and_then(|t| t.void_reason.as_deref());
            let headline = if reason == Some("refunded") {
                "Ticket refunded"
            } else {
                "Ticket cancelled"
            };
            let why = fulfillment::void_sentence(reason.unwrap_or_default());
            ("refused", headline, format!("{seat} — {why}"))
        }
        CheckInResult::WrongEvent => ("refused", "Wrong event", seat),
        CheckInResult::Invalid => (
            "refused",
            "Not a valid ticket",
            "The code is not one of our tickets.".to_owned(),
        ),
    };
    Ok(ScannerPage {
        nav: Nav::of(&visitor),
        verdict: Some(verdict),
        headline: headline.into(),
        detail,
    })
}
