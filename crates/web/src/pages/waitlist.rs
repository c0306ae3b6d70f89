//! The waiting list: joining on a sold-out event, and the entry page an offer e-mail links to.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use kernel::WaitlistEntryId;
use waitlist::EntryStatus;

use super::shop::event_id;
use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::{SetCookies, Visitor};
use crate::view::{self, Nav};

#[derive(Deserialize)]
pub(crate) struct JoinForm {
    #[serde(default)]
    email: String,
}

/// `POST /ui/events/{id}/waitlist`.
pub(crate) async fn join_waitlist(
    State(web): State<WebState>,
    Path(id): Path<String>,
    Form(form): Form<JoinForm>,
) -> PageResult<Response> {
    let event = event_id(&id)?;
    let (entry, _) = web.waitlist.join(&form.email, event).await?;
    Ok(Redirect::to(&format!("/ui/waitlist/{}", entry.id)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "waitlist.html")]
pub(crate) struct EntryPage {
    nav: Nav,
    id: String,
    event_id: String,
    event_name: String,
    email: String,
    status: &'static str,
    position: Option<i64>,
    offer_seat: Option<String>,
    offer_ends: String,
    pay_link: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    token: Option<String>,
}

/// `GET /ui/waitlist/{id}`: where the person stands, or the seat offered to them. With the
/// e-mail's `?token=` the browser becomes that guest and the address bar loses the token.
pub(crate) async fn show_entry(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Query(q): Query<TokenQuery>,
) -> PageResult<Response> {
    let entry_id: WaitlistEntryId = id
        .parse()
        .map_err(|_| PageError::not_found("place in line"))?;
    if let Some(token) = q.token.filter(|t| !t.is_empty())
        && web.identity.is_guest_token(&token).await?
    {
        return Ok(SetCookies::default()
            .guest(&token)
            .on(Redirect::to(&format!("/ui/waitlist/{entry_id}"))));
    }
    let (entry, position) = web.waitlist.entry(entry_id).await?;
    let event = web.catalog.event_summary(entry.event_id).await?;
    let mut offer_seat = None;
    let mut offer_ends = String::new();
    let mut pay_link = None;
    if let (EntryStatus::Assigned, Some(offer)) = (entry.status, &entry.offer) {
        offer_ends = view::date(offer.expires_at);
        let mut guest = visitor.clone();
        guest.claims = None;
        if let Some(buyer) = guest.buyer()
            && let Ok(order) = web.ordering.get(offer.order_id, Some(&buyer)).await
        {
            offer_seat = order.items.first().map(|i| {
                format!(
                    "{} — {}",
                    view::seat_label(&i.section_code, i.row_number, i.seat_number),
                    view::price(i.price, &order.currency)
                )
            });
            pay_link = Some(format!("/ui/orders/{}/pay", order.id));
        }
    }
    Ok(EntryPage {
        nav: Nav::of(&visitor),
        id: entry.id.to_string(),
        event_id: entry.event_id.to_string(),
        event_name: event.event.name,
        email: entry.email.clone(),
        status: entry.status.as_str(),
        position,
        offer_seat,
        offer_ends,
        pay_link,
    }
    .into_response())
}

/// `POST /ui/waitlist/{id}`: leaves the line.
pub(crate) async fn leave_waitlist(
    State(web): State<WebState>,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let entry_id: WaitlistEntryId = id
        .parse()
        .map_err(|_| PageError::not_found("place in line"))?;
    web.waitlist.leave(entry_id).await?;
    Ok(Redirect::to(&format!("/ui/waitlist/{entry_id}")).into_response())
}
