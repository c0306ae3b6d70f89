//! Catalog routes (port 50001 and the gateway): public browsing and the admin API.

mod admin;
mod dto;

use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

use api::{ApiError, AppPath, Auth};
use kernel::EventId;

use crate::CatalogService;
use dto::{EventDetailsResponse, EventListItem, SeatMapResponse};

/// The catalog's routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<CatalogService>: FromRef<S>,
    Auth: FromRef<S>,
{
    Router::new()
        .route("/events", get(list_events))
        .route("/events/{id}", get(get_event))
        .route("/events/{id}/seatmap", get(get_seatmap))
        .route(
            "/admin/events",
            post(admin::create_event).get(admin::list_all_events),
        )
        .route(
            "/admin/events/{id}",
            axum::routing::put(admin::update_event)
                .get(admin::get_event)
                .delete(admin::delete_event),
        )
        .route("/admin/events/{id}/seats", post(admin::generate_seats))
        .route("/admin/events/{id}/seats/access", post(admin::mark_access))
        .route(
            "/admin/events/{id}/prices",
            axum::routing::put(admin::set_prices),
        )
        .route(
            "/admin/events/{id}/deactivate",
            post(admin::deactivate_event),
        )
        .route(
            "/admin/events/{id}/reactivate",
            post(admin::reactivate_event),
        )
        .route("/admin/events/{id}/sales", get(admin::get_sales))
}

#[utoipa::path(get, path = "/events", tag = "catalog", responses((status = 200, body = Vec<EventListItem>)))]
async fn list_events(
    State(svc): State<Arc<CatalogService>>,
) -> Result<Json<Vec<EventListItem>>, ApiError> {
    let events = svc.list_public_events().await?;
    Ok(Json(events.into_iter().map(EventListItem::from).collect()))
}

#[utoipa::path(get, path = "/events/{id}", tag = "catalog", params(("id" = uuid::Uuid, Path, description = "Identifier")), responses((status = 200, body = EventDetailsResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn get_event(
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<EventDetailsResponse>, ApiError> {
    Ok(Json(svc.event_summary(id).await?.into()))
}

#[utoipa::path(get, path = "/events/{id}/seatmap", tag = "catalog", params(("id" = uuid::Uuid, Path, description = "Identifier")), responses((status = 200, body = SeatMapResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn get_seatmap(
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<SeatMapResponse>, ApiError> {
    Ok(Json(svc.seat_map(id).await?.into()))
}

/// The catalog's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        list_events,
        get_event,
        get_seatmap,
        admin::create_event,
        admin::list_all_events,
        admin::get_event,
        admin::mark_access,
        admin::delete_event,
        admin::set_prices,
        admin::generate_seats,
        admin::update_event,
        admin::deactivate_event,
        admin::reactivate_event,
        admin::get_sales
    ))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
