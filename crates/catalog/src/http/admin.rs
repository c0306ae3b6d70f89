//! Admin handlers. Every one takes the [`Admin`] extractor.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use std::sync::Arc;

use api::{Admin, ApiError, AppJson, AppPath};
use kernel::EventId;

use super::dto::{
    AdminEventResponse, EventDetailsResponse, GenerationResponse, SalesResponse,
    StatusChangeResponse,
};
use crate::{CatalogService, EventInput, EventUpdate, SectionConfiguration};

/// Body of `POST /admin/events/{id}/seats`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerateSeatsRequest {
    section_configurations: Vec<SectionConfiguration>,
}

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

pub(crate) async fn list_all_events(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
) -> Result<Json<Vec<EventDetailsResponse>>, ApiError> {
    let events = svc.list_all_events().await?;
    Ok(Json(
        events.into_iter().map(EventDetailsResponse::from).collect(),
    ))
}

pub(crate) async fn get_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<EventDetailsResponse>, ApiError> {
    Ok(Json(svc.event_summary(id).await?.into()))
}

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

pub(crate) async fn update_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    AppJson(update): AppJson<EventUpdate>,
) -> Result<Json<AdminEventResponse>, ApiError> {
    let event = svc.update_event(id, update).await?;
    Ok(Json(AdminEventResponse::from(&event)))
}

pub(crate) async fn deactivate_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<StatusChangeResponse>, ApiError> {
    Ok(Json(StatusChangeResponse::from(&svc.deactivate(id).await?)))
}

pub(crate) async fn reactivate_event(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<StatusChangeResponse>, ApiError> {
    Ok(Json(StatusChangeResponse::from(&svc.reactivate(id).await?)))
}

pub(crate) async fn get_sales(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<SalesResponse>, ApiError> {
    Ok(Json(svc.sales(id).await?.into()))
}
