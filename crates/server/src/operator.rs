//! The operator's view of events that could not be applied: `GET /admin/outbox/parked` lists
//! the parked messages (a consumer failed on each `outbox::MAX_ATTEMPTS` times) with their
//! errors, and `POST /admin/outbox/parked/{id}/retry` puts one back in the queue once the
//! cause is fixed. `GET /admin/outbox/consumers` shows how far each consumer of a split
//! deployment has read. Administrators only; on the gateway.

use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use kernel::ErrorCode;
use outbox::{ConsumerProgress, Operator, ParkedMessage};

use api::{Admin, ApiError, AppPath, Auth};

#[derive(Clone)]
struct OperatorState {
    outbox: Operator,
    auth: Auth,
}

impl FromRef<OperatorState> for Auth {
    fn from_ref(state: &OperatorState) -> Self {
        state.auth.clone()
    }
}

/// The routes, over `outbox`, for administrators of `auth`.
pub(crate) fn router<S: Clone + Send + Sync + 'static>(outbox: Operator, auth: Auth) -> Router<S> {
    Router::new()
        .route("/admin/outbox/parked", get(list_parked))
        .route("/admin/outbox/parked/{id}/retry", post(retry_parked))
        .route("/admin/outbox/consumers", get(list_consumers))
        .with_state(OperatorState { outbox, auth })
}

/// Each consumer's progress in a split deployment (empty in one process).
#[utoipa::path(get, path = "/admin/outbox/consumers", tag = "operations", security(("bearer" = [])), responses((status = 200, body = Vec<ConsumerProgress>), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
async fn list_consumers(
    _admin: Admin,
    State(state): State<OperatorState>,
) -> Result<Json<Vec<ConsumerProgress>>, ApiError> {
    Ok(Json(
        state.outbox.consumers().await.map_err(ApiError::internal)?,
    ))
}

/// The newest 500 parked messages.
#[utoipa::path(get, path = "/admin/outbox/parked", tag = "operations", security(("bearer" = [])), responses((status = 200, body = Vec<ParkedMessage>), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
async fn list_parked(
    _admin: Admin,
    State(state): State<OperatorState>,
) -> Result<Json<Vec<ParkedMessage>>, ApiError> {
    Ok(Json(
        state.outbox.parked(500).await.map_err(ApiError::internal)?,
    ))
}

/// Puts a parked message back in the queue, due now.
#[utoipa::path(post, path = "/admin/outbox/parked/{id}/retry", tag = "operations", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "Message id")), responses((status = 204, description = "Queued again"), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No such parked message", body = api::ErrorResponse)))]
async fn retry_parked(
    _admin: Admin,
    State(state): State<OperatorState>,
    AppPath(id): AppPath<uuid::Uuid>,
) -> Result<axum::http::StatusCode, ApiError> {
    let queued = state
        .outbox
        .retry(id, chrono::Utc::now())
        .await
        .map_err(ApiError::internal)?;
    if queued {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::new(
            ErrorCode::MessageNotFound,
            format!("No parked message {id}."),
        ))
    }
}

/// The OpenAPI paths of these routes.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(list_parked, retry_parked, list_consumers))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
