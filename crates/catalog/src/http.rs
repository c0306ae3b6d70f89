//! Catalog routes (port 50001 and the gateway): public browsing and the admin API.

mod admin;
mod dto;
mod layout;

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
        .route(
            "/admin/events/{id}/categories",
            get(layout::get_categories).put(layout::set_categories),
        )
        .route("/admin/events/{id}/layout", post(layout::import_layout))
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

/// Seat changes of an event as Server-Sent Events, within a second of each: first a
/// `snapshot` (every seat that is not available, grouped by state: `{"reset": true,
/// "reserved": ["<seatId>", …], "sold": […], "unavailable": […]}`; the others are available),
/// then `seats` events with the seats that changed, grouped the same way
/// (`{"available": [...], "sold": [...]}`). Each event has an id; a client that reconnects
/// with `Last-Event-ID` gets what it missed, or a new snapshot when that is no longer known.
/// The polling of `GET /events/{id}/seatmap` remains the fallback. `?form=compact` names seats
/// by index instead (the event page's form; `live.rs`).
#[utoipa::path(get, path = "/events/{id}/seatmap/stream", tag = "catalog", params(("id" = uuid::Uuid, Path, description = "Identifier"), ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume after it"), ("form" = Option<String>, Query, description = "`ids` (default): seats by id; `compact`: by index in the seat map's order under a layout version `v`, or the whole state as 2 bits per seat (`bits`, base64: 0 available, 1 reserved, 2 sold, 3 unavailable) when shorter; a compact stream opens and resumes with the whole state")), responses((status = 200, description = "`text/event-stream`: `snapshot`, then `seats` events", content_type = "text/event-stream", body = String), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn stream_seatmap(
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    api::AppQuery(query): api::AppQuery<StreamQuery>,
    headers: axum::http::HeaderMap,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let form = match query.form.as_deref().unwrap_or("ids") {
        "ids" => crate::live::Form::Ids,
        "compact" => crate::live::Form::Compact,
        other => {
            return Err(ApiError::validation(format!(
                "form must be ids or compact, not {other:?}."
            )));
        }
    };
    let subscription = svc.watch_seats(id, last.as_deref(), form).await?;
    let body = axum::body::Body::from_stream(live_frames(subscription));
    Ok((
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        body,
    ))
}

/// `?form=` of `GET /events/{id}/seatmap/stream`.
#[derive(Debug, serde::Deserialize)]
struct StreamQuery {
    /// `ids` (default) or `compact`.
    form: Option<String>,
}

/// The frames of one stream: the opening, then each change not already in it (its frame is
/// shared with every other stream), and the watch's comment when nothing happened for 15 s
/// (so that proxies keep the connection).
fn live_frames(
    subscription: crate::live::Subscription,
) -> impl futures::Stream<Item = Result<axum::body::Bytes, std::convert::Infallible>> {
    use crate::live::{Change, Opening, data_of, frame};
    use axum::body::Bytes;
    use tokio::sync::broadcast::error::RecvError;

    fn opening(epoch: &str, opening: Opening) -> Option<(Bytes, u64)> {
        match opening {
            Opening::Snapshot { seq, seats } => Some((
                frame(
                    "snapshot",
                    &format!("{epoch}-{seq}"),
                    &data_of(&seats, true),
                ),
                seq,
            )),
            Opening::Replay(changes) => {
                let last = changes.last()?.seq;
                // Later changes of a seat override earlier ones.
                let mut merged: std::collections::HashMap<kernel::SeatId, &'static str> =
                    std::collections::HashMap::new();
                for Change { seats, .. } in changes {
                    merged.extend(seats);
                }
                let seats: Vec<_> = merged.into_iter().collect();
                Some((
                    frame("seats", &format!("{epoch}-{last}"), &data_of(&seats, false)),
                    last,
                ))
            }
        }
    }
    let epoch = subscription.watch.epoch.clone();
    let compact = subscription.form == crate::live::Form::Compact;
    // A compact stream opens (and resumes, and catches up) with the whole state.
    let first = if compact {
        Some(subscription.watch.compact_snapshot())
    } else {
        opening(&epoch, subscription.opening.clone())
    };
    let state = (subscription, epoch, first, 0_u64);
    futures::stream::unfold(state, |(mut sub, epoch, first, mut sent)| async move {
        if let Some((bytes, seq)) = first {
            return Some((Ok(bytes), (sub, epoch, None, seq)));
        }
        loop {
            // (No timer per stream: the watch sends keep-alives on every lane.)
            match sub.changes.recv().await {
                Ok(change) if change.is_keep_alive() => {
                    return Some((Ok(change.frame.clone()), (sub, epoch, None, sent)));
                }
                Ok(change) if change.seq <= sent => {}
                Ok(change) => {
                    sent = change.seq;
                    let bytes = if sub.form == crate::live::Form::Compact {
                        change.compact.clone()
                    } else {
                        change.frame.clone()
                    };
                    return Some((Ok(bytes), (sub, epoch, None, sent)));
                }
                Err(RecvError::Lagged(_)) => {
                    // Too far behind to catch up change by change: a new picture.
                    if sub.form == crate::live::Form::Compact {
                        let (bytes, seq) = sub.watch.compact_snapshot();
                        return Some((Ok(bytes), (sub, epoch, None, seq)));
                    }
                    if let Some((bytes, seq)) = opening(&epoch, sub.watch.snapshot()) {
                        return Some((Ok(bytes), (sub, epoch, None, seq)));
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
        admin::get_sales,
        layout::get_categories,
        layout::set_categories,
        layout::import_layout
    ))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
