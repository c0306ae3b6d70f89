//! Admin handlers. Every one takes the [`Admin`] extractor.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use std::sync::Arc;

use api::{Admin, ApiError, AppJson, AppPath};
use kernel::{EventId, SeatId};

use super::dto::{
    AdminEventResponse, EventDetailsResponse, GenerationResponse, SalesResponse,
    StatusChangeResponse,
};
use crate::{CatalogService, EventInput, EventUpdate, SectionConfiguration};

/// Body of `POST /admin/events/{id}/seats`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateSeatsRequest {
    section_configurations: Vec<SectionConfiguration>,
}

#[utoipa::path(post, path = "/admin/events", tag = "catalog-admin", security(("bearer" = [])), request_body = EventInput, responses((status = 201, body = AdminEventResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn create_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppJson(input): AppJson<EventInput>,
) -> Result<impl IntoResponse, ApiError> {
    let event = svc.create_event(input).await?;
    let location = format!("/events/{}", event.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(AdminEventResponse::from(&event)),
    ))
}

#[utoipa::path(get, path = "/admin/events", tag = "catalog-admin", security(("bearer" = [])), responses((status = 200, body = Vec<EventDetailsResponse>), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn list_all_events(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
) -> Result<Json<Vec<EventDetailsResponse>>, ApiError> {
    let events = svc.list_all_events().await?;
    Ok(Json(
        events.into_iter().map(EventDetailsResponse::from).collect(),
    ))
}

#[utoipa::path(get, path = "/admin/events/{id}", tag = "catalog-admin", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Identifier")), responses((status = 200, body = EventDetailsResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn get_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<EventDetailsResponse>, ApiError> {
    Ok(Json(svc.event_summary(id).await?.into()))
}

#[utoipa::path(post, path = "/admin/events/{id}/seats", tag = "catalog-admin", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Identifier")), request_body = GenerateSeatsRequest, responses((status = 200, body = GenerationResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn generate_seats(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    AppJson(body): AppJson<GenerateSeatsRequest>,
) -> Result<Json<GenerationResponse>, ApiError> {
    Ok(Json(
        svc.generate_seats(id, body.section_configurations)
            .await?
            .into(),
    ))
}

/// Deletes an event taken off sale, with no sold ticket and no seat on hold (administrators).
#[utoipa::path(delete, path = "/admin/events/{id}", tag = "catalog-admin", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), responses((status = 204, description = "Deleted"), (status = 404, description = "No such event", body = api::ErrorResponse), (status = 409, description = "On sale, sold tickets, or seats on hold (`event_state_conflict`)", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
pub(crate) async fn delete_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<StatusCode, ApiError> {
    svc.delete_event(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `PUT /admin/events/{id}/prices`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PricesRequest {
    sections: Vec<crate::SectionPrice>,
}

/// Sets the price of the seats of each section named. Seats already in carts or orders keep
/// the price they were added at.
#[utoipa::path(put, path = "/admin/events/{id}/prices", tag = "catalog-admin", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), request_body = PricesRequest, responses((status = 200, description = "`{\"changed\": seats}`"), (status = 400, description = "No section, an unknown one, or a price out of range", body = api::ErrorResponse), (status = 404, description = "No such event", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
pub(crate) async fn set_prices(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    AppJson(body): AppJson<PricesRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let changed = svc.set_prices(id, &body.sections).await?;
    Ok(Json(serde_json::json!({ "changed": changed })))
}

/// Body of `POST /admin/events/{id}/seats/access`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AccessRequest {
    seat_ids: Vec<SeatId>,
    /// `wheelchair`, `companion`, or `none` to clear the mark.
    access: String,
}

/// Marks seats as wheelchair spaces or companion seats (or clears the mark): the seat map
/// carries it as `access`.
#[utoipa::path(post, path = "/admin/events/{id}/seats/access", tag = "catalog-admin", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), request_body = AccessRequest, responses((status = 200, description = "`{\"changed\": n}`"), (status = 400, description = "No seat, a seat of another event, or an unknown mark", body = api::ErrorResponse), (status = 404, description = "No such event", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
pub(crate) async fn mark_access(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    AppJson(body): AppJson<AccessRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let access = crate::SeatAccess::parse(&body.access)?;
    let changed = svc.mark_access(id, &body.seat_ids, access).await?;
    Ok(Json(serde_json::json!({ "changed": changed })))
}

#[utoipa::path(put, path = "/admin/events/{id}", tag = "catalog-admin", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Identifier")), request_body = EventUpdate, responses((status = 200, body = AdminEventResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn update_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    AppJson(update): AppJson<EventUpdate>,
) -> Result<Json<AdminEventResponse>, ApiError> {
    let event = svc.update_event(id, update).await?;
    Ok(Json(AdminEventResponse::from(&event)))
}

#[utoipa::path(post, path = "/admin/events/{id}/deactivate", tag = "catalog-admin", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Identifier")), responses((status = 200, body = StatusChangeResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn deactivate_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<StatusChangeResponse>, ApiError> {
    Ok(Json(StatusChangeResponse::from(&svc.deactivate(id).await?)))
}

#[utoipa::path(post, path = "/admin/events/{id}/reactivate", tag = "catalog-admin", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Identifier")), responses((status = 200, body = StatusChangeResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn reactivate_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<StatusChangeResponse>, ApiError> {
    Ok(Json(StatusChangeResponse::from(&svc.reactivate(id).await?)))
}

#[utoipa::path(get, path = "/admin/events/{id}/sales", tag = "catalog-admin", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Identifier")), responses((status = 200, body = SalesResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
pub(crate) async fn get_sales(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<SalesResponse>, ApiError> {
    Ok(Json(svc.sales(id).await?.into()))
}
