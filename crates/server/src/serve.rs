//! The HTTP server loop of every port: the edge's service on hyper's HTTP/1 connections, each
//! watched so that a client cannot hold one for ever: a connection that has been without a
//! request in progress for `--header-timeout-secs` is closed, whether it sends nothing (idle
//! keep-alive) or never finishes a request's head (slowloris). `axum::serve` closes neither.
//! One periodic check per connection rather than hyper's header-read timer, which arms a timer
//! for every request: that cost a sixth of `/health`'s throughput (docs/performance.md).
//! On stop, accepting ends and open connections finish their current request.
//! A request counts as in progress until its response's body is sent: a seat-map stream
//! (Server-Sent Events that stay open) is not closed as idle.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Serves `service` on `listener` until `stop` turns true, then waits for open connections to
/// finish their current request.
pub(crate) async fn serve(
    listener: TcpListener,
    service: api::EdgeService,
    idle_limit: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let (closing, closed) = watch::channel(false);
    let mut connections = JoinSet::new();
    let stopping = async move {
        // Only the moment matters, not the value (a held `Ref` would not be `Send`).
        let _stopped = stop.wait_for(|stopped| *stopped).await.is_ok();
    };
    tokio::pin!(stopping);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, mostly: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopping => break,
        };
        let service = service.clone();
        let closed = closed.clone();
        connections.spawn(connection(stream, remote, service, idle_limit, closed));
        while connections.try_join_next().is_some() {}
    }
    closing.send_replace(true);
    while connections.join_next().await.is_some() {}
}

/// When a connection last had a request in progress, and how many it has now.
struct Activity {
    since: Instant,
    /// Milliseconds after `since` when the last request ended (or the connection opened).
    last_ms: AtomicU64,
    in_progress: AtomicUsize,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            since: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_progress: AtomicUsize::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A request has begun (hyper has read its head); it ends when the guard is dropped.
    fn begin(self: &Arc<Self>) -> InProgress {
        self.in_progress.fetch_add(1, Ordering::Relaxed);
        InProgress(self.clone())
    }

    /// Whether no request has been in progress for `limit`.
    fn is_idle_for(&self, limit: Duration) -> bool {
        self.in_progress.load(Ordering::Relaxed) == 0
            && self
                .now_ms()
                .saturating_sub(self.last_ms.load(Ordering::Relaxed))
                >= u64::try_from(limit.as_millis()).unwrap_or(u64::MAX)
    }
}

struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        self.0.last_ms.store(self.0.now_ms(), Ordering::Relaxed);
        self.0.in_progress.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    service: api::EdgeService,
    idle_limit: Duration,
    mut closed: watch::Receiver<bool>,
) {
    let activity = Activity::new();
    let requests = {
        let activity = activity.clone();
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let in_progress = activity.begin();
            request.extensions_mut().insert(ConnectInfo(remote));
            let answer = service.clone().oneshot(request.map(Body::new));
            async move {
                answer.await.map(|response| {
                    if axum::body::HttpBody::size_hint(response.body())
                        .exact()
                        .is_some()
                    {
                        drop(in_progress);
                        return response;
                    }
                    // A streamed body: in progress until it ends (hyper drops it then).
                    response.map(|body| {
                        Body::new(http_body_util::BodyExt::map_frame(body, move |frame| {
                            let _in_progress = &in_progress;
                            frame
                        }))
                    })
                })
            }
        })
    };
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), requests);
    tokio::pin!(conn);
    let closing = async move {
        let _closed = closed.wait_for(|closed| *closed).await.is_ok();
    };
    tokio::pin!(closing);
    let mut watchdog = tokio::time::interval((idle_limit / 2).max(Duration::from_millis(100)));
    watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let outcome = loop {
        tokio::select! {
            outcome = conn.as_mut() => break outcome,
            _ = watchdog.tick() => {
                if activity.is_idle_for(idle_limit) {
                    // Dropping the connection closes its socket; nothing is in progress on it.
                    tracing::debug!(client = %remote, "closing a connection idle or slow for {idle_limit:?}");
                    return;
                }
            }
            () = &mut closing => {
                conn.as_mut().graceful_shutdown();
                break conn.await;
            }
        }
    };
    if let Err(e) = outcome {
        tracing::debug!(error = %e, client = %remote, "connection ended");
    }
}
