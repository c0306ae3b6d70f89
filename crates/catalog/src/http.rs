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
            axum::routing::put(admin::update_event).get(admin::get_event),
        )
        .route("/admin/events/{id}/seats", post(admin::generate_seats))
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

async fn list_events(
    State(svc): State<Arc<CatalogService>>,
) -> Result<Json<Vec<EventListItem>>, ApiError> {
    let events = svc.list_public_events().await?;
    Ok(Json(events.into_iter().map(EventListItem::from).collect()))
}

async fn get_event(
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<EventDetailsResponse>, ApiError> {
    Ok(Json(svc.event_summary(id).await?.into()))
}

async fn get_seatmap(
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<SeatMapResponse>, ApiError> {
    Ok(Json(svc.seat_map(id).await?.into()))
}
