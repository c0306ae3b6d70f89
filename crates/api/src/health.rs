//! `GET /health` (the process answers) and `GET /ready` (the database answers and the events
//! left from before a restart are delivered; in a split deployment it also shows how each of
//! the process's event consumers stands: lag, retries, last progress) on every port.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use kernel::ErrorCode;
use outbox::RelayHandle;
use serde_json::{Value, json};
use storage::{Database, Statement};

use crate::ApiError;

#[derive(Clone)]
struct HealthState {
    service: &'static str,
    db: Database,
    relay: RelayHandle,
}

/// The health routes of one service, over `db` and the process's outbox `relay`.
pub fn health_router<S: Clone + Send + Sync + 'static>(
    service: &'static str,
    db: Database,
    relay: RelayHandle,
) -> Router<S> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(HealthState { service, db, relay })
}

async fn health(State(state): State<HealthState>) -> Json<Value> {
    Json(json!({ "status": "healthy", "service": state.service }))
}

async fn ready(State(state): State<HealthState>) -> Result<Json<Value>, ApiError> {
    let probe = match state.db.read().await {
        Ok(mut conn) => {
            Statement::new("select 1")
                .fetch_one::<(i32,)>(conn.conn())
                .await
        }
        Err(e) => Err(e),
    };
    match probe {
        Ok(_) if !state.relay.has_caught_up() => Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            "Starting: the events left from before the restart are still being delivered.",
        )),
        Ok(_) => {
            let mut body = json!({ "status": "ready", "service": state.service, "database": "ok" });
            let consumers = state.relay.consumers().statuses();
            if !consumers.is_empty() {
                body["consumers"] = json!(consumers);
            }
            Ok(Json(body))
        }
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            Err(ApiError::new(
                ErrorCode::ServiceUnavailable,
                "The database is not reachable.",
            ))
        }
    }
}
