//! Inventory routes (port 50002 and the gateway): holds.

use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use kernel::{EventId, ReservationId, SeatId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

use api::{ApiError, AppJson, AppPath, AppQuery, Auth, Caller};

use crate::domain::{CustomerId, Hold};
use crate::{HoldRequest, InventoryService};

/// The inventory's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<InventoryService>: FromRef<S>,
    Auth: FromRef<S>,
{
    Router::new()
        .route("/reservations", post(create_reservation))
        .route(
            "/reservations/{id}",
            get(get_reservation).delete(delete_reservation),
        )
}

/// Body of `POST /reservations`. Fields are optional here so that a missing one gets the
/// original's sentence rather than a parser message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreateReservationRequest {
    seat_id: Option<Uuid>,
    customer_id: Option<String>,
    event_id: Option<EventId>,
}

/// A hold as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ReservationResponse {
    reservation_id: ReservationId,
    seat_id: SeatId,
    customer_id: String,
    event_id: EventId,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    status: &'static str,
}

impl From<Hold> for ReservationResponse {
    fn from(h: Hold) -> Self {
        Self {
            reservation_id: h.id,
            seat_id: h.seat_id,
            customer_id: h.customer_id,
            event_id: h.event_id,
            created_at: h.created_at,
            expires_at: h.expires_at,
            status: h.status.as_str(),
        }
    }
}

#[utoipa::path(post, path = "/reservations", tag = "inventory", request_body = CreateReservationRequest, responses((status = 201, body = ReservationResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse), (status = 429, description = "Too many holds from this address", body = api::ErrorResponse)))]
async fn create_reservation(
    caller: Caller,
    State(svc): State<Arc<InventoryService>>,
    AppJson(body): AppJson<CreateReservationRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let seat_id = body
        .seat_id
        .filter(|id| !id.is_nil())
        .map(SeatId)
        .ok_or_else(|| ApiError::validation("SeatId must not be empty"))?;
    let customer = caller.customer(body.customer_id.as_deref()).await?;
    let customer_id = CustomerId::parse(customer.as_deref().unwrap_or(""))?;
    let hold = svc
        .hold(HoldRequest {
            seat_id,
            customer_id,
            event_id: body.event_id,
        })
        .await?;
    let location = format!("/reservations/{}", hold.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ReservationResponse::from(hold)),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct OwnerQuery {
    customer_id: Option<String>,
}

/// The owner a read or release acts for: the JWT's subject or `?customerId=`; administrators
/// may act on any hold.
async fn owner(caller: &Caller, q: &OwnerQuery) -> Result<Option<CustomerId>, ApiError> {
    if caller.is_admin() && q.customer_id.is_none() {
        return Ok(None);
    }
    let customer = caller.customer(q.customer_id.as_deref()).await?;
    Ok(Some(CustomerId::parse(customer.as_deref().unwrap_or(""))?))
}

#[utoipa::path(get, path = "/reservations/{id}", tag = "inventory", params(("id" = uuid::Uuid, Path, description = "Reservation id"), ("customerId" = Option<String>, Query, description = "The holder (or a JWT)")), responses((status = 200, body = ReservationResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn get_reservation(
    caller: Caller,
    State(svc): State<Arc<InventoryService>>,
    AppPath(id): AppPath<ReservationId>,
    AppQuery(q): AppQuery<OwnerQuery>,
) -> Result<Json<ReservationResponse>, ApiError> {
    let owner = owner(&caller, &q).await?;
    Ok(Json(svc.get(id, owner.as_ref()).await?.into()))
}

#[utoipa::path(delete, path = "/reservations/{id}", tag = "inventory", params(("id" = uuid::Uuid, Path, description = "Reservation id"), ("customerId" = Option<String>, Query, description = "The holder (or a JWT)")), responses((status = 200, body = ReservationResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse)))]
async fn delete_reservation(
    caller: Caller,
    State(svc): State<Arc<InventoryService>>,
    AppPath(id): AppPath<ReservationId>,
    AppQuery(q): AppQuery<OwnerQuery>,
) -> Result<Json<ReservationResponse>, ApiError> {
    let owner = owner(&caller, &q).await?;
    Ok(Json(svc.release(id, owner.as_ref()).await?.into()))
}

/// The inventory's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(create_reservation, get_reservation, delete_reservation))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
