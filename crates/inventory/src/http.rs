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

use api::{Admin, ApiError, AppJson, AppPath, AppQuery, Auth, Caller};

use crate::domain::{CustomerId, Hold};
use crate::{BestRequest, HoldRequest, InventoryService, SeatSelection};

/// The inventory's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<InventoryService>: FromRef<S>,
    Auth: FromRef<S>,
{
    Router::new()
        .route("/reservations", post(create_reservation))
        .route("/reservations/best-available", post(hold_best_available))
        .route("/reservations/{id}/extend", post(extend_reservation))
        .route(
            "/reservations/{id}",
            get(get_reservation).delete(delete_reservation),
        )
        .route(
            "/admin/events/{id}/held-back",
            get(list_held_back).post(hold_back),
        )
        .route(
            "/admin/events/{id}/held-back/release",
            post(release_held_back),
        )
}

/// Which seats a hold-back or release means: `seatIds`, or a `sectionCode` (and `rowNumber`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HoldBackRequest {
    #[serde(default)]
    seat_ids: Vec<SeatId>,
    section_code: Option<String>,
    row_number: Option<i64>,
    /// Why (`house seats`, `production hold`); required to hold back, ignored on release.
    reason: Option<String>,
}

impl HoldBackRequest {
    fn selection(&self) -> SeatSelection {
        SeatSelection {
            seat_ids: self.seat_ids.clone(),
            section_code: self.section_code.clone(),
            row_number: self.row_number,
        }
    }
}

/// What a hold-back or a release changed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct HeldBackChange {
    /// How many seats changed.
    changed: usize,
    /// Which.
    seat_ids: Vec<SeatId>,
}

/// A held-back seat.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct HeldBackResponse {
    seat_id: SeatId,
    section_code: String,
    row_number: i64,
    seat_number: i64,
    reason: String,
    blocked_by: String,
    blocked_at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/admin/events/{id}/held-back", tag = "inventory", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), responses((status = 200, body = Vec<HeldBackResponse>), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
async fn list_held_back(
    _admin: Admin,
    State(svc): State<Arc<InventoryService>>,
    AppPath(event): AppPath<EventId>,
) -> Result<Json<Vec<HeldBackResponse>>, ApiError> {
    Ok(Json(
        svc.held_back(event)
            .await?
            .into_iter()
            .map(|s| HeldBackResponse {
                seat_id: s.block.seat_id,
                section_code: s.section_code,
                row_number: s.row_number,
                seat_number: s.seat_number,
                reason: s.block.reason,
                blocked_by: s.block.blocked_by,
                blocked_at: s.block.blocked_at,
            })
            .collect(),
    ))
}

/// Holds seats back from sale (house seats, production holds): buyers cannot hold them and see
/// them as unavailable. All or nothing: a seat that is held, in a cart or sold refuses the
/// call (409 `seats_not_free`, naming each).
#[utoipa::path(post, path = "/admin/events/{id}/held-back", tag = "inventory", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), request_body = HoldBackRequest, responses((status = 200, body = HeldBackChange), (status = 400, description = "No seats named, a seat of another event, or no reason", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No such seat", body = api::ErrorResponse), (status = 409, description = "Seats held, in a cart or sold (`seats_not_free`); nothing changed", body = api::ErrorResponse)))]
async fn hold_back(
    Admin(admin): Admin,
    State(svc): State<Arc<InventoryService>>,
    AppPath(event): AppPath<EventId>,
    AppJson(body): AppJson<HoldBackRequest>,
) -> Result<Json<HeldBackChange>, ApiError> {
    let reason = body.reason.clone().unwrap_or_default();
    let seat_ids = svc
        .hold_back(event, &body.selection(), &reason, &admin.email)
        .await?;
    Ok(Json(HeldBackChange {
        changed: seat_ids.len(),
        seat_ids,
    }))
}

/// Puts held-back seats back on sale (the event's waitlist is offered each first).
#[utoipa::path(post, path = "/admin/events/{id}/held-back/release", tag = "inventory", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), request_body = HoldBackRequest, responses((status = 200, body = HeldBackChange), (status = 400, description = "No seats named, or a seat of another event", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No such seat", body = api::ErrorResponse)))]
async fn release_held_back(
    _admin: Admin,
    State(svc): State<Arc<InventoryService>>,
    AppPath(event): AppPath<EventId>,
    AppJson(body): AppJson<HoldBackRequest>,
) -> Result<Json<HeldBackChange>, ApiError> {
    let seat_ids = svc.release_held_back(event, &body.selection()).await?;
    Ok(Json(HeldBackChange {
        changed: seat_ids.len(),
        seat_ids,
    }))
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

/// Body of `POST /reservations/best-available`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct BestAvailableRequest {
    event_id: Option<EventId>,
    /// How many seats, 1 up to the hold limit (6 by default).
    quantity: Option<u32>,
    /// Only seats of this section.
    section_code: Option<String>,
    /// Only seats of this price category, by name (events without categories refuse it).
    category: Option<String>,
    /// The buyer: a user id or guest token (or a JWT).
    customer_id: Option<String>,
}

/// A seat held by best available.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct BestSeat {
    reservation_id: ReservationId,
    seat_id: SeatId,
    section_code: String,
    row_number: i64,
    seat_number: i64,
    price: kernel::Money,
}

/// The seats best available held: all asked for, side by side in one row unless `split`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct BestAvailableResponse {
    event_id: EventId,
    customer_id: String,
    /// `true` when no row had the seats side by side: the seats are in more than one group.
    split: bool,
    expires_at: DateTime<Utc>,
    status: &'static str,
    /// The holds, in place order (section, row, seat).
    reservations: Vec<BestSeat>,
}

/// Holds the best `quantity` free seats of an event in one step, all or none: side by side in
/// one row nearest the stage when any row has them (never leaving a lone free seat beside a
/// taken one when that can be avoided), else the fewest groups with `split: true`. Wheelchair
/// spaces and companion seats are left to those who pick them.
#[utoipa::path(post, path = "/reservations/best-available", tag = "inventory", request_body = BestAvailableRequest, responses((status = 201, body = BestAvailableResponse), (status = 400, description = "Invalid input (quantity out of range, unknown section)", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "No such event", body = api::ErrorResponse), (status = 409, description = "Not enough free seats (`not_enough_seats`), the hold limit (`hold_limit_reached`), or the event is not on sale; nothing was held", body = api::ErrorResponse), (status = 429, description = "Too many holds from this address", body = api::ErrorResponse)))]
async fn hold_best_available(
    caller: Caller,
    State(svc): State<Arc<InventoryService>>,
    AppJson(body): AppJson<BestAvailableRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let event_id = body
        .event_id
        .filter(|id| !id.uuid().is_nil())
        .ok_or_else(|| ApiError::validation("eventId must not be empty"))?;
    let quantity = body
        .quantity
        .ok_or_else(|| ApiError::validation("quantity must not be empty"))?;
    let customer = caller.customer(body.customer_id.as_deref()).await?;
    let customer_id = CustomerId::parse(customer.as_deref().unwrap_or(""))?;
    let best = svc
        .hold_best(BestRequest {
            event_id,
            quantity,
            section_code: body.section_code,
            category: body.category,
            customer_id,
        })
        .await?;
    let expires_at = best.holds.first().map(|(h, _)| h.expires_at);
    let response = BestAvailableResponse {
        event_id,
        customer_id: best
            .holds
            .first()
            .map(|(h, _)| h.customer_id.clone())
            .unwrap_or_default(),
        split: best.split,
        expires_at: expires_at.unwrap_or_default(),
        status: "active",
        reservations: best
            .holds
            .into_iter()
            .map(|(h, at)| BestSeat {
                reservation_id: h.id,
                seat_id: h.seat_id,
                section_code: at.section_code,
                row_number: at.row_number,
                seat_number: at.seat_number,
                price: at.price,
            })
            .collect(),
    };
    Ok((StatusCode::CREATED, Json(response)))
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

/// Keeps a held seat once for another hold time (15 minutes by default), where the event allows
/// it (`holdExtension`): answers the hold with its new `expiresAt`. 409 `hold_not_extendable`
/// when it was extended before or the event does not allow it.
#[utoipa::path(post, path = "/reservations/{id}/extend", tag = "inventory", params(("id" = uuid::Uuid, Path, description = "Reservation id"), ("customerId" = Option<String>, Query, description = "The holder (or a JWT)")), responses((status = 200, body = ReservationResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Not active, or not extendable (`hold_not_extendable`)", body = api::ErrorResponse)))]
async fn extend_reservation(
    caller: Caller,
    State(svc): State<Arc<InventoryService>>,
    AppPath(id): AppPath<ReservationId>,
    AppQuery(q): AppQuery<OwnerQuery>,
) -> Result<Json<ReservationResponse>, ApiError> {
    let customer = caller.customer(q.customer_id.as_deref()).await?;
    let owner = CustomerId::parse(customer.as_deref().unwrap_or(""))?;
    Ok(Json(svc.extend(id, &owner).await?.into()))
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
    #[openapi(paths(
        create_reservation,
        hold_best_available,
        extend_reservation,
        get_reservation,
        delete_reservation,
        list_held_back,
        hold_back,
        release_held_back
    ))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
