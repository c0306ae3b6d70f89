//! `Idempotency-Key` on state-changing POSTs (SPEC §3): the same key with the same request
//! returns the first response again for 24 hours; the same key with another request is 422;
//! a retry while the first is still running is 409. A 5xx is not remembered, so it can be retried.
//! A claim is leased for the request timeout: a retry after its process died runs again (see
//! `store`), and a client that hangs up does not stop the request (see [`idempotency`]), so its
//! answer is remembered for the retry.

mod store;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, Limited};
use kernel::ErrorCode;
use sha2::{Digest, Sha256};

use store::Claim;
pub use store::{IdempotencyStore, forget_unfinished_keys, purge_expired_keys};

use crate::{ApiError, BODY_LIMIT};

const HEADER: &str = "idempotency-key";
const MAX_KEY_LEN: usize = 255;
/// Stored responses are small JSON documents; anything larger is passed through unremembered.
const MAX_STORED_RESPONSE: usize = 1024 * 1024;

/// Middleware applying idempotency keys to POST requests that carry one, and running every
/// request that must not stop half-way as a task of its own, so that it runs to its end even
/// when the client hangs up or the timeout answers first: one with an `Idempotency-Key` (its
/// outcome is recorded for the retry; stopped, its key would stay "in progress") and a payment
/// (stopped between its claim and its record, it would stay `processing` until settled). Other
/// requests are one transaction each, which a hang-up rolls back or not at all. (One layer for
/// both: each `from_fn` layer clones the layers under it for every request.)
pub(crate) async fn idempotency(
    State(store): State<IdempotencyStore>,
    req: Request,
    next: Next,
) -> Response {
    if !must_finish(&req) {
        return next.run(req).await;
    }
    let work = async move {
        let Some(key) = req.headers().get(HEADER).cloned() else {
            return next.run(req).await;
        };
        match run_idempotent(&store, key, req, next).await {
            Ok(response) | Err(response) => response,
        }
    };
    match tokio::spawn(work).await {
        Ok(response) => response,
        Err(e) => ApiError::internal(anyhow::anyhow!("request task failed: {e}")).into_response(),
    }
}

/// See [`idempotency`]: a POST with a key, or a payment. Paths are normalised (lower case).
fn must_finish(req: &Request) -> bool {
    if req.method() != Method::POST {
        return false;
    }
    let path = req.uri().path();
    req.headers().contains_key(HEADER)
        || path == "/payments"
        || (path.starts_with("/ui/orders/") && path.ends_with("/pay"))
}

async fn run_idempotent(
    store: &IdempotencyStore,
    key: HeaderValue,
    req: Request,
    next: Next,
) -> Result<Response, Response> {
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::validation("The Idempotency-Key header must be 1 to 255 visible characters.")
                .into_response()
        })?;
    let (parts, body) = req.into_parts();
    let bytes = Limited::new(body, BODY_LIMIT)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|_| {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                "The request body is larger than 64 KiB.",
            )
            .into_response()
        })?;
    let fingerprint = fingerprint(parts.method.as_str(), parts.uri.path(), &bytes);
    match store
        .claim(&key, &fingerprint)
        .await
        .map_err(|e| ApiError::internal(e).into_response())?
    {
        Claim::Fresh => {}
        Claim::Replay {
            status,
            content_type,
            body,
        } => return Ok(replay(status, content_type, body)),
        Claim::Mismatch => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was already used with a different request.",
            )
            .into_response());
        }
        Claim::InProgress => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyInProgress,
                "A request with this Idempotency-Key is still being processed.",
            )
            .into_response());
        }
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    Ok(remember(store, &key, response).await)
}

async fn remember(store: &IdempotencyStore, key: &str, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let Ok(collected) = Limited::new(body, MAX_STORED_RESPONSE).collect().await else {
        log_dropped(store.forget(key).await);
        return ApiError::internal(anyhow::anyhow!("response too large to remember"))
            .into_response();
    };
    let bytes = collected.to_bytes();
    if parts.status.is_server_error() {
        log_dropped(store.forget(key).await);
    } else {
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        log_dropped(
            store
                .complete(key, parts.status.as_u16(), content_type.as_deref(), &bytes)
                .await,
        );
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn log_dropped(result: Result<(), storage::Error>) {
    if let Err(e) = result {
        tracing::error!(error = %e, "could not record an idempotency key");
    }
}

fn replay(status: u16, content_type: Option<String>, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

fn fingerprint(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher.finalize().to_vec()
}
