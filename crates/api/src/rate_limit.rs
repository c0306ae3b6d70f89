//! Per-IP token buckets on chosen routes (holds, sign-in): 429 with `Retry-After` when empty.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kernel::ErrorCode;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::ApiError;

/// Forgets addresses idle this long, so the table cannot grow without bound.
const IDLE_SECS: f64 = 60.0;

/// One limited route: at most `per_second` requests per second from one address, with bursts of
/// twice that.
#[derive(Debug, Clone)]
pub struct RateRule {
    /// Method.
    pub method: Method,
    /// Normalised path; a `*` segment matches any one segment (`/ui/events/*/hold`).
    pub path: &'static str,
    /// Sustained requests per second (0: unlimited).
    pub per_second: u32,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The rate limits of a deployment.
#[derive(Debug, Clone, Default)]
pub struct RateLimits {
    rules: Arc<Vec<RateRule>>,
    buckets: Arc<Mutex<HashMap<(usize, IpAddr), Bucket>>>,
}

impl RateLimits {
    /// Limits for `rules` (rules with 0 per second are ignored).
    pub fn new(rules: Vec<RateRule>) -> Self {
        Self {
            rules: Arc::new(rules.into_iter().filter(|r| r.per_second > 0).collect()),
            buckets: Arc::default(),
        }
    }

    /// Takes a token; `Err(seconds to wait)` when none is left.
    fn take(&self, rule: usize, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let rate = f64::from(self.rules[rule].per_second);
        let capacity = rate * 2.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() < IDLE_SECS);
        }
        let bucket = buckets.entry((rule, ip)).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}

/// Whether `path` matches `pattern`, segment by segment, `*` matching any one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || a == b => {}
            _ => return false,
        }
    }
}

/// Middleware applying the limits.
pub(crate) async fn rate_limit(
    State(limits): State<RateLimits>,
    req: Request,
    next: Next,
) -> Response {
    let rule = limits
        .rules
        .iter()
        .position(|r| r.method == *req.method() && path_matches(r.path, req.uri().path()));
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let (Some(rule), Some(ip)) = (rule, ip)
        && let Err(wait) = limits.take(rule, ip, Instant::now())
    {
        let mut response = ApiError::new(
            ErrorCode::RateLimited,
            "Too many requests; please wait a moment and try again.",
        )
        .into_response();
        if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_star_matches_one_segment() {
        assert!(path_matches("/ui/events/*/hold", "/ui/events/abc/hold"));
        assert!(!path_matches("/ui/events/*/hold", "/ui/events/abc/release"));
        assert!(!path_matches("/ui/events/*/hold", "/ui/events/hold"));
        assert!(path_matches("/token", "/token"));
    }

    #[test]
    fn a_bucket_allows_a_burst_then_refills() {
        let limits = RateLimits::new(vec![RateRule {
            method: Method::POST,
            path: "/token",
            per_second: 2,
        }]);
        let ip: IpAddr = [127, 0, 0, 1].into();
        let start = Instant::now();
        for _ in 0..4 {
            assert!(limits.take(0, ip, start).is_ok());
        }
        assert_eq!(limits.take(0, ip, start), Err(1));
        assert!(
            limits
                .take(0, ip, start + Duration::from_millis(600))
                .is_ok()
        );
        let other: IpAddr = [10, 0, 0, 1].into();
        assert!(limits.take(0, other, start).is_ok(), "per address");
    }
}
