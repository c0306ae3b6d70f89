//! Event delivery for the operator (administrators): how far each consumer of a split
//! deployment has read the outbox, and the messages parked after failing `outbox::MAX_ATTEMPTS`
//! times, each with its error and a button that puts it back once the cause is fixed. The same
//! facts as `GET /admin/outbox/consumers` and `GET /admin/outbox/parked`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use api::ApiError;

use super::admin_only;
use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::Visitor;
use crate::view::{self, Nav};

/// A consumer's row.
pub(crate) struct ConsumerRow {
    name: String,
    behind: i64,
    retrying: i64,
    parked: i64,
    moved: String,
    moved_iso: String,
    /// Behind, or holding messages to retry: worth a look.
    attention: bool,
}

/// A parked message's row.
pub(crate) struct ParkedRow {
    id: String,
    topic: String,
    key: String,
    consumer: String,
    attempts: i64,
    error: String,
    parked: String,
    parked_iso: String,
    payload: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_outbox.html")]
pub(crate) struct OutboxPage {
    nav: Nav,
    consumers: Vec<ConsumerRow>,
    parked: Vec<ParkedRow>,
    notice: Option<String>,
}

/// To the second: delivery happens in seconds, not minutes.
fn seconds(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %b %Y, %H:%M:%S UTC").to_string()
}

#[derive(Deserialize)]
pub(crate) struct Shown {
    retried: Option<String>,
}

/// `GET /ui/admin/outbox`.
pub(crate) async fn show(
    State(web): State<WebState>,
    visitor: Visitor,
    Query(shown): Query<Shown>,
) -> PageResult<OutboxPage> {
    admin_only(&visitor, "/ui/admin/outbox")?;
    let consumers = web
        .outbox
        .consumers()
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|c| ConsumerRow {
            attention: c.behind > 0 || c.retrying > 0 || c.parked > 0,
            name: c.consumer,
            behind: c.behind,
            retrying: c.retrying,
            parked: c.parked,
            moved: seconds(c.moved_at),
            moved_iso: view::iso(c.moved_at),
        })
        .collect();
    let parked = web
        .outbox
        .parked(200)
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(|m| ParkedRow {
            id: m.message_id.to_string(),
            topic: m.topic,
            key: m.key,
            consumer: m.consumer.unwrap_or_else(|| "every consumer".into()),
            attempts: m.attempts,
            error: m.last_error.unwrap_or_default(),
            parked: seconds(m.parked_at),
            parked_iso: view::iso(m.parked_at),
            payload: m.payload.to_string(),
        })
        .collect();
    Ok(OutboxPage {
        nav: Nav::of(&visitor),
        consumers,
        parked,
        notice: shown
            .retried
            .map(|id| format!("Message {id} is queued again; it is tried within a second.")),
    })
}

/// `POST /ui/admin/outbox/{id}/retry`: puts a parked message back.
pub(crate) async fn retry(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin/outbox")?;
    let message = uuid::Uuid::parse_str(&id).map_err(|_| PageError::not_found("message"))?;
    let queued = web
        .outbox
        .retry(message, chrono::Utc::now())
        .await
        .map_err(ApiError::internal)?;
    if !queued {
        return Err(PageError::not_found("parked message"));
    }
    Ok(Redirect::to(&format!("/ui/admin/outbox?retried={message}")).into_response())
}
