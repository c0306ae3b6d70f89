//! The middleware stack every port shares, and path normalization.

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, Uri, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use kernel::ErrorCode;
use std::time::Duration;
use tower::Layer;
use tower::util::{MapRequest, MapRequestLayer};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::ApiError;
use crate::idempotency::{IdempotencyStore, idempotency};
use crate::rate_limit::{RateLimits, rate_limit};

/// Settings of the HTTP edge.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    /// Origins allowed by CORS.
    pub cors_origins: Vec<HeaderValue>,
    /// Longest time a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Where idempotency keys are kept.
    pub idempotency: IdempotencyStore,
    /// Per-IP limits on chosen routes.
    pub rate_limits: RateLimits,
}

/// A router wrapped in the edge stack, ready for `axum::serve`.
pub type EdgeService = MapRequest<Router, fn(Request) -> Request>;

/// Wraps `router` of `service` with the JSON 404/405 fallbacks, idempotency keys, a timeout,
/// CORS, request logging and metrics, and case-insensitive paths with an optional trailing slash.
pub fn finish(router: Router, config: &EdgeConfig, service: &'static str) -> EdgeService {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(config.cors_origins.clone()))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::HeaderName::from_static("idempotency-key"),
        ]);
    let router = router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(config.idempotency.clone(), idempotency))
        .layer(from_fn_with_state(service, measure))
        .layer(from_fn_with_state(config.request_timeout, timeout))
        .layer(from_fn_with_state(config.rate_limits.clone(), rate_limit))
        .layer(cors)
        .layer(TraceLayer::new_for_http());
    MapRequestLayer::new(normalize_path as fn(Request) -> Request).layer(router)
}

/// Lower-cases the path and drops one trailing slash, so `/Orders/checkout/` routes like
/// `/orders/checkout` (the original's ASP.NET routing). Every path parameter of the API is a
/// UUID or a file name, for which case does not matter; the query string is left untouched.
fn normalize_path(mut req: Request) -> Request {
    let path = req.uri().path();
    let trimmed = if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    };
    if trimmed.len() == path.len() && !path.bytes().any(|b| b.is_ascii_uppercase()) {
        return req;
    }
    let mut new_path = trimmed.to_ascii_lowercase();
    if let Some(q) = req.uri().query() {
        new_path.push('?');
        new_path.push_str(q);
    }
    let mut parts = req.uri().clone().into_parts();
    if let Ok(pq) = new_path.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(uri) = Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Counts each request by service, method, route template and status (`http_requests_total`)
/// and times it by service, method and route (`http_request_duration_seconds`); the gateway
/// serves both at `/metrics`.
/// The route is the template (`/orders/{order_id}`), never the concrete path, so the number of
/// series stays bounded.
async fn measure(State(service): State<&'static str>, req: Request, next: Next) -> Response {
    let _in_flight = InFlight::start();
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    let labels = [
        ("service", service.to_owned()),
        ("method", method),
        ("route", route),
    ];
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    let [service, method, route] = labels;
    let status = ("status", response.status().as_u16().to_string());
    metrics::counter!("http_requests_total", &[service, method, route, status]).increment(1);
    response
}

/// Requests being answered by every server of this process at this instant.
static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many requests this process is answering right now: the outbox relay's sign of a rush.
pub fn requests_in_flight() -> usize {
    IN_FLIGHT.load(std::sync::atomic::Ordering::Relaxed)
}

/// One request counted in [`IN_FLIGHT`] until dropped (also when the client hangs up).
struct InFlight;

impl InFlight {
    fn start() -> Self {
        IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::ServiceUnavailable,
            "The request took too long; please try again.",
        )
        .into_response(),
    }
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::RouteNotFound,
        format!("No route for {method} {}.", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{method} is not allowed on {}.", uri.path()),
    )
}
