//! The HTTP server loop of every port: the edge's service on hyper's HTTP/1 connections, with
//! a timer, so that a client must finish a request's head within `--header-timeout-secs`
//! (hyper applies the same bound to a keep-alive connection waiting for its next request).
//! `axum::serve` installs no timer, so there a slow or idle client holds a connection and its
//! task for ever. On stop, accepting ends and open connections finish their current request.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Serves `service` on `listener` until `stop` turns true, then waits for open connections to
/// finish their current request.
pub(crate) async fn serve(
    listener: TcpListener,
    service: api::EdgeService,
    header_timeout: Duration,
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
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot turn Nagle off");
        }
        let service = service.clone();
        let closed = closed.clone();
        connections.spawn(connection(stream, remote, service, header_timeout, closed));
        while connections.try_join_next().is_some() {}
    }
    closing.send_replace(true);
    while connections.join_next().await.is_some() {}
}

async fn connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    service: api::EdgeService,
    header_timeout: Duration,
    mut closed: watch::Receiver<bool>,
) {
    let requests = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        service.clone().oneshot(request.map(Body::new))
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(stream), requests);
    tokio::pin!(conn);
    let closing = async move {
        // Only the moment matters, not the value (a held `Ref` would not be `Send`).
        let _closed = closed.wait_for(|closed| *closed).await.is_ok();
    };
    let outcome = tokio::select! {
        outcome = conn.as_mut() => outcome,
        () = closing => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = outcome {
        tracing::debug!(error = %e, client = %remote, "connection ended");
    }
}
