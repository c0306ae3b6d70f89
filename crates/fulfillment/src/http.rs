//! Fulfillment routes (port 50004 and the gateway): tickets, their PDFs, check-in.

use axum::extract::{FromRef, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, SeatId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

use api::{Admin, ApiError, AppJson, AppPath, AppQuery, Auth, Caller, Staff};

use crate::domain::Ticket;
use crate::{FulfillmentError, FulfillmentService};

/// The fulfillment routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<FulfillmentService>: FromRef<S>,
    Auth: FromRef<S>,
{
    Router::new()
        .route("/tickets/public-key", get(get_public_key))
        .route("/tickets/{id}", get(get_ticket))
        .route("/orders/{id}/tickets", get(list_order_tickets))
        .route("/checkin", post(check_in_ticket))
        .route("/admin/events/{id}/attendees.csv", get(attendees_csv))
}

/// A ticket as the API shows it (SPEC §4).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TicketResponse {
    id: Uuid,
    order_id: OrderId,
    event_id: EventId,
    event_name: String,
    venue: String,
    event_date: DateTime<Utc>,
    seat_id: SeatId,
    section_code: String,
    row_number: i64,
    seat_number: i64,
    price: Money,
    currency: String,
    holder: String,
    status: &'static str,
    qr: String,
    issued_at: DateTime<Utc>,
    checked_in_at: Option<DateTime<Utc>>,
    /// Why the ticket is void (`refunded`); absent while it is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    void_reason: Option<String>,
    pdf_url: String,
}

impl From<Ticket> for TicketResponse {
    fn from(t: Ticket) -> Self {
        Self {
            pdf_url: format!("/tickets/{}.pdf", t.id),
            id: t.id,
            order_id: t.order_id,
            event_id: t.event_id,
            event_name: t.event_name,
            venue: t.venue,
            event_date: t.event_date,
            seat_id: t.seat_id,
            section_code: t.section_code,
            row_number: t.row_number,
            seat_number: t.seat_number,
            price: t.price,
            currency: t.currency,
            holder: t.holder,
            status: t.status.as_str(),
            qr: t.qr,
            issued_at: t.issued_at,
            checked_in_at: t.checked_in_at,
            void_reason: t.void_reason,
        }
    }
}

#[utoipa::path(get, path = "/tickets/public-key", tag = "fulfillment", responses((status = 200, description = "The Ed25519 public key and token format")))]
async fn get_public_key(State(svc): State<Arc<FulfillmentService>>) -> Json<Value> {
    Json(json!({
        "algorithm": "Ed25519",
        "publicKey": svc.public_key(),
        "encoding": "base64url (no padding)",
        "tokenFormat": "BX1.<base64url(ticketId[16] ‖ eventId[16] ‖ seatId[16] ‖ signature[64])>",
        "signedMessage": "\"boxoffice-ticket-v1\" ‖ ticketId ‖ eventId ‖ seatId (UUID bytes)"
    }))
}

/// `/tickets/{id}` and `/tickets/{id}.pdf` answer the PDF; `/tickets/{id}.json` the JSON; for
/// the ticket's owner (`?userId=` / `?guestToken=` or a JWT) or an administrator.
#[utoipa::path(get, path = "/tickets/{id}", tag = "fulfillment", params(("id" = String, Path, description = "Ticket id, optionally ending in .pdf or .json"), ("userId" = Option<String>, Query, description = "Owner user id (or a JWT)"), ("guestToken" = Option<String>, Query, description = "Owner guest token")), responses((status = 200, description = "The PDF (or the JSON for .json)"), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn get_ticket(
    caller: Caller,
    State(svc): State<Arc<FulfillmentService>>,
    AppPath(raw): AppPath<String>,
    AppQuery(owner): AppQuery<OwnerQuery>,
) -> Result<Response, ApiError> {
    let (id, as_json) = match raw.strip_suffix(".json") {
        Some(id) => (id, true),
        None => (raw.strip_suffix(".pdf").unwrap_or(&raw), false),
    };
    let id = Uuid::parse_str(id).map_err(|_| {
        FulfillmentError::Invalid("Invalid ticket ID format. Expected a GUID.".into())
    })?;
    let ticket = svc.ticket(id).await?;
    if !caller.is_admin() {
        let who = caller
            .buyer(owner.user_id.as_deref(), owner.guest_token.as_deref())
            .await?;
        if !ticket.is_owned_by(who.user_id.as_deref(), who.guest_token.as_deref()) {
            return Err(FulfillmentError::TicketNotFound.into());
        }
    }
    if as_json {
        return Ok(Json(TicketResponse::from(ticket)).into_response());
    }
    let pdf = svc.pdf(id).await?;
    let disposition = format!("inline; filename=\"ticket-{id}.pdf\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct OwnerQuery {
    user_id: Option<String>,
    guest_token: Option<String>,
}

#[utoipa::path(get, path = "/orders/{id}/tickets", tag = "fulfillment", params(("id" = uuid::Uuid, Path, description = "Order id"), ("userId" = Option<String>, Query, description = "Owner user id (or a JWT)"), ("guestToken" = Option<String>, Query, description = "Owner guest token")), responses((status = 200, body = Vec<TicketResponse>), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn list_order_tickets(
    caller: Caller,
    State(svc): State<Arc<FulfillmentService>>,
    AppPath(order): AppPath<OrderId>,
    AppQuery(owner): AppQuery<OwnerQuery>,
) -> Result<Json<Vec<TicketResponse>>, ApiError> {
    let who = caller
        .buyer(owner.user_id.as_deref(), owner.guest_token.as_deref())
        .await?;
    if who.user_id.is_none() && who.guest_token.is_none() && !who.is_admin {
        return Err(ApiError::new(
            kernel::ErrorCode::MissingBuyer,
            "Either UserId or GuestToken must be provided",
        ));
    }
    let tickets = if caller.is_admin() && owner.user_id.is_none() && owner.guest_token.is_none() {
        svc.all_tickets_of_order(order).await?
    } else {
        svc.tickets_of_order(order, who.user_id.as_deref(), who.guest_token.as_deref())
            .await?
    };
    Ok(Json(
        tickets.into_iter().map(TicketResponse::from).collect(),
    ))
}

/// Body of `POST /checkin`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CheckInRequest {
    qr: String,
    event_id: Option<EventId>,
}

#[utoipa::path(post, path = "/checkin", tag = "fulfillment", security(("bearer" = [])), request_body = CheckInRequest, responses((status = 200, description = "`result`: admitted, already_checked_in, invalid, void or wrong_event; a void ticket's `reason` (`refunded`) and `message` say why"), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
async fn check_in_ticket(
    _staff: Staff,
    State(svc): State<Arc<FulfillmentService>>,
    AppJson(body): AppJson<CheckInRequest>,
) -> Result<Json<Value>, ApiError> {
    if body.qr.len() > 1024 {
        return Err(ApiError::validation("qr must be at most 1024 characters."));
    }
    let (result, ticket) = svc.check_in(&body.qr, body.event_id).await?;
    let mut answer = json!({ "result": result.as_str() });
    if let Some(reason) = ticket.as_ref().and_then(|t| t.void_reason.as_deref()) {
        answer["reason"] = json!(reason);
        answer["message"] = json!(crate::domain::void_sentence(reason));
    }
    answer["ticket"] = json!(ticket.map(TicketResponse::from));
    Ok(Json(answer))
}

/// The columns of `attendees.csv`, one row a ticket.
const ATTENDEE_COLUMNS: [&str; 12] = [
    "ticket",
    "order",
    "buyer",
    "email",
    "section",
    "row",
    "seat",
    "price",
    "currency",
    "state",
    "issued at",
    "checked in at",
];

/// Every ticket of an event as CSV, one row a ticket (administrators), streamed a page at a
/// time (`api::csv::paged_download`): flat memory whatever the event's size. Quoting, the byte-order mark and
/// formula neutralising are `api::csv`'s.
#[utoipa::path(get, path = "/admin/events/{id}/attendees.csv", tag = "fulfillment", params(("id" = EventId, Path, description = "Event id")), responses((status = 200, description = "CSV (RFC 4180, UTF-8 with BOM): ticket, order, buyer, email, section, row, seat, price, currency, state, issued at, checked in at", content_type = "text/csv"), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No such event", body = api::ErrorResponse)))]
async fn attendees_csv(
    State(svc): State<Arc<FulfillmentService>>,
    _admin: Admin,
    AppPath(event): AppPath<EventId>,
) -> Result<Response, ApiError> {
    Ok(attendees_download(svc, event).await?)
}

/// `attendees.csv` of `event` as a streamed download (the API's route and the admin pages').
///
/// # Errors
/// [`FulfillmentError::EventNotFound`] when the catalogue does not know the event.
pub async fn attendees_download(
    svc: Arc<FulfillmentService>,
    event: EventId,
) -> Result<Response, FulfillmentError> {
    if !svc.event_exists(event).await? {
        return Err(FulfillmentError::EventNotFound(event));
    }
    Ok(api::csv::paged_download(
        &format!("attendees-{event}.csv"),
        &ATTENDEE_COLUMNS,
        Uuid::nil(),
        move |after, limit| {
            let svc = svc.clone();
            async move { svc.tickets_of_event_after(event, after, limit).await }
        },
        |t: &Ticket| t.id,
        attendee_record,
    ))
}

fn attendee_record(t: &Ticket) -> Vec<String> {
    let time = api::csv::time;
    vec![
        t.id.to_string(),
        t.order_id.to_string(),
        t.holder.clone(),
        t.customer_email.clone().unwrap_or_default(),
        t.section_code.clone(),
        t.row_number.to_string(),
        t.seat_number.to_string(),
        t.price.to_string(),
        t.currency.clone(),
        t.status.as_str().to_string(),
        time(t.issued_at),
        t.checked_in_at.map(time).unwrap_or_default(),
    ]
}

/// The fulfillment part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        get_public_key,
        get_ticket,
        list_order_tickets,
        check_in_ticket,
        attendees_csv
    ))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
