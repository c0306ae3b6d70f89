//! Notification routes (port 50005 and the gateway).

use axum::extract::{FromRef, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

use api::{Admin, ApiError, AppQuery, Auth};

use crate::{NotificationRecord, NotificationService};

/// The notification routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<NotificationService>: FromRef<S>,
    Auth: FromRef<S>,
{
    Router::new().route("/notifications", get(list_notifications))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct EmailQuery {
    email: Option<String>,
}

/// A message as the admin API lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct NotificationResponse {
    id: Uuid,
    kind: String,
    recipient: String,
    subject: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<NotificationRecord> for NotificationResponse {
    fn from(r: NotificationRecord) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            recipient: r.recipient,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
        }
    }
}

#[utoipa::path(get, path = "/notifications", tag = "notification", security(("bearer" = [])), params(("email" = Option<String>, Query, description = "Recipient")), responses((status = 200, body = Vec<NotificationResponse>), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse)))]
async fn list_notifications(
    _admin: Admin,
    State(svc): State<Arc<NotificationService>>,
    AppQuery(q): AppQuery<EmailQuery>,
) -> Result<Json<Vec<NotificationResponse>>, ApiError> {
    let email = q.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let records = svc.list(email).await?;
    Ok(Json(
        records
            .into_iter()
            .map(NotificationResponse::from)
            .collect(),
    ))
}

/// The notification part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list_notifications))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
