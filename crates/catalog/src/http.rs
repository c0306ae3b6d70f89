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
        .route("/events/{id}/seatmap/stream", get(stream_seatmap))
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

/// Seat changes of an event as Server-Sent Events, within about half a second of each: first a
/// `snapshot` (every seat that is not available, grouped by state: `{"reset": true,
/// "reserved": ["<seatId>", …], "sold": […], "unavailable": […]}`; the others are available),
/// then `seats` events with the seats that changed, grouped the same way
/// (`{"available": [...], "sold": [...]}`). Each event has an id; a client that reconnects
/// with `Last-Event-ID` gets what it missed, or a new snapshot when that is no longer known.
/// The polling of `GET /events/{id}/seatmap` remains the fallback.
#[utoipa::path(get, path = "/events/{id}/seatmap/stream", tag = "catalog", params(("id" = uuid::Uuid, Path, description = "Identifier"), ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume after it")), responses((status = 200, description = "`text/event-stream`: `snapshot`, then `seats` events", content_type = "text/event-stream", body = String), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn stream_seatmap(
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    headers: axum::http::HeaderMap,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let subscription = svc.watch_seats(id, last.as_deref()).await?;
    let epoch = subscription.watch.epoch.clone();
    Ok(
        axum::response::sse::Sse::new(live_events(subscription, epoch))
            .keep_alive(axum::response::sse::KeepAlive::default()),
    )
}

/// The events of one stream: the opening, then each change not already in it.
fn live_events(
    subscription: crate::live::Subscription,
    epoch: String,
) -> impl futures::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>> {
    use crate::live::{Change, Opening};
    use axum::response::sse::Event;
    use tokio::sync::broadcast::error::RecvError;

    fn render(kind: &str, epoch: &str, seq: u64, data: &str) -> Event {
        Event::default()
            .event(kind)
            .id(format!("{epoch}-{seq}"))
            .data(data)
    }
    fn opening(epoch: &str, opening: Opening) -> Option<(Event, u64)> {
        match opening {
            Opening::Snapshot { seq, seats } => {
                let data = crate::live::data_of(&seats, true);
                Some((render("snapshot", epoch, seq, &data), seq))
            }
            Opening::Replay(changes) => {
                let last = changes.last()?.seq;
                // Later changes of a seat override earlier ones.
                let mut merged: std::collections::HashMap<kernel::SeatId, &'static str> =
                    std::collections::HashMap::new();
                for Change { seats, .. } in changes {
                    merged.extend(seats);
                }
                let seats: Vec<_> = merged.into_iter().collect();
                let data = crate::live::data_of(&seats, false);
                Some((render("seats", epoch, last, &data), last))
            }
        }
    }
    let first = opening(&epoch, subscription.opening.clone());
    let state = (subscription, epoch, first, 0_u64);
    futures::stream::unfold(state, |(mut sub, epoch, first, mut sent)| async move {
        if let Some((event, seq)) = first {
            return Some((Ok(event), (sub, epoch, None, seq)));
        }
        loop {
            match sub.changes.recv().await {
                Ok(change) if change.seq <= sent => {}
                Ok(change) => {
                    sent = change.seq;
                    let event = render("seats", &epoch, change.seq, &change.data);
                    return Some((Ok(event), (sub, epoch, None, sent)));
                }
                Err(RecvError::Lagged(_)) => {
                    // Too far behind to catch up change by change: a new picture.
                    if let Some((event, seq)) = opening(&epoch, sub.watch.snapshot()) {
                        return Some((Ok(event), (sub, epoch, None, seq)));
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// The catalog's part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        list_events,
        get_event,
        get_seatmap,
        stream_seatmap,
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
