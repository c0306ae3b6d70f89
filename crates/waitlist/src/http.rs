//! Waitlist routes (port 5006 and the gateway).

use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use kernel::{EventId, OrderId, ReservationId, SeatId, WaitlistEntryId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

use api::{ApiError, AppJson, AppPath, AppQuery};

use crate::WaitlistService;
use crate::domain::Entry;

/// The waitlist's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<WaitlistService>: FromRef<S>,
{
    Router::new()
        .route("/api/v1/waitlist/join", post(join))
        .route("/api/v1/waitlist/has-pending", get(has_pending))
        .route("/api/v1/waitlist/{entry_id}", get(get_entry).delete(leave))
}

/// Body of `POST /api/v1/waitlist/join`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct JoinRequest {
    email: Option<String>,
    event_id: Option<Uuid>,
}

/// The reference's answer to a join.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct JoinResponse {
    entry_id: WaitlistEntryId,
    position: i64,
}

/// Whether anyone waits for an event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct HasPendingResponse {
    has_pending: bool,
    pending_count: i64,
}

/// The seat offered to an entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct OfferDto {
    seat_id: SeatId,
    order_id: OrderId,
    reservation_id: ReservationId,
    assigned_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

/// An entry with its live position (`null` unless it is waiting).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct EntryResponse {
    entry_id: WaitlistEntryId,
    event_id: EventId,
    email: String,
    /// `pending`, `assigned`, `completed`, `expired`, `left` or `cancelled`.
    status: &'static str,
    position: Option<i64>,
    registered_at: DateTime<Utc>,
    offer: Option<OfferDto>,
    ended_at: Option<DateTime<Utc>>,
}

impl EntryResponse {
    fn new(e: Entry, position: Option<i64>) -> Self {
        Self {
            entry_id: e.id,
            event_id: e.event_id,
            email: e.email,
            status: e.status.as_str(),
            position,
            registered_at: e.registered_at,
            offer: e.offer.map(|o| OfferDto {
                seat_id: o.seat_id,
                order_id: o.order_id,
                reservation_id: o.reservation_id,
                assigned_at: o.assigned_at,
                expires_at: o.expires_at,
            }),
            ended_at: e.ended_at,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/waitlist/join", tag = "waitlist", request_body = JoinRequest, responses((status = 201, body = JoinResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Unknown event", body = api::ErrorResponse), (status = 409, description = "Seats still available, event not on sale, or already waiting", body = api::ErrorResponse)))]
async fn join(
    State(svc): State<Arc<WaitlistService>>,
    AppJson(body): AppJson<JoinRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let email = body
        .email
        .ok_or_else(|| ApiError::validation("Email is required."))?;
    let event_id = body
        .event_id
        .filter(|id| !id.is_nil())
        .map(EventId)
        .ok_or_else(|| ApiError::validation("EventId is required."))?;
    let (entry, position) = svc.join(&email, event_id).await?;
    let location = format!("/api/v1/waitlist/{}", entry.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(JoinResponse {
            entry_id: entry.id,
            position,
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct EventQuery {
    event_id: Option<Uuid>,
}

#[utoipa::path(get, path = "/api/v1/waitlist/has-pending", tag = "waitlist", params(("eventId" = uuid::Uuid, Query, description = "The event")), responses((status = 200, body = HasPendingResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse)))]
async fn has_pending(
    State(svc): State<Arc<WaitlistService>>,
    AppQuery(q): AppQuery<EventQuery>,
) -> Result<Json<HasPendingResponse>, ApiError> {
    let event_id = q
        .event_id
        .filter(|id| !id.is_nil())
        .map(EventId)
        .ok_or_else(|| ApiError::validation("eventId is required."))?;
    let pending_count = svc.pending_count(event_id).await?;
    Ok(Json(HasPendingResponse {
        has_pending: pending_count > 0,
        pending_count,
    }))
}

#[utoipa::path(get, path = "/api/v1/waitlist/{entryId}", tag = "waitlist", params(("entryId" = uuid::Uuid, Path, description = "The entry id returned by join")), responses((status = 200, body = EntryResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn get_entry(
    State(svc): State<Arc<WaitlistService>>,
    AppPath(id): AppPath<WaitlistEntryId>,
) -> Result<Json<EntryResponse>, ApiError> {
    let (entry, position) = svc.entry(id).await?;
    Ok(Json(EntryResponse::new(entry, position)))
}

#[utoipa::path(delete, path = "/api/v1/waitlist/{entryId}", tag = "waitlist", params(("entryId" = uuid::Uuid, Path, description = "The entry id returned by join")), responses((status = 200, body = EntryResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Already over", body = api::ErrorResponse)))]
async fn leave(
    State(svc): State<Arc<WaitlistService>>,
    AppPath(id): AppPath<WaitlistEntryId>,
) -> Result<Json<EntryResponse>, ApiError> {
    let entry = svc.leave(id).await?;
    Ok(Json(EntryResponse::new(entry, None)))
}

/// The waitlist's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(join, has_pending, get_entry, leave))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
