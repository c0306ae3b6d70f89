//! The buyers' HTTP client: one keep-alive HTTP/1.1 connection per buyer task.
//!
//! The load generator shares the machine's two cores with the server, so every microsecond it
//! spends per request is taken from the server it measures (`benchCpuMsPerPurchase` in the
//! report). A pooled general-purpose client parses the URL, looks up the pool and builds a
//! header map for every request; here a task owns its connection and sends prepared bytes.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

/// Where the server listens, taken apart once.
#[derive(Clone)]
pub(crate) struct Target {
    /// `host:port`, to connect to and to send as `Host`.
    authority: String,
    host: HeaderValue,
    /// The path `base` ends with (empty for a server at the root), put before every path.
    prefix: String,
}

impl Target {
    /// `base` is the server's `http://host:port` (the bench speaks plain HTTP on loopback).
    pub(crate) fn new(base: &str) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(base)?;
        anyhow::ensure!(
            url.scheme() == "http",
            "the bench speaks plain HTTP: {base}"
        );
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("no host in {base}"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = format!("{host}:{port}");
        Ok(Self {
            host: HeaderValue::from_str(&authority)?,
            authority,
            prefix: url.path().trim_end_matches('/').to_string(),
        })
    }

    /// `host:port`.
    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// The path the server's base ends with (empty at the root).
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// One connection, opened on first use and again after the server closed it.
pub(crate) struct Conn {
    target: Target,
    send: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    pub(crate) fn new(target: Target) -> Self {
        Self { target, send: None }
    }

    /// `GET path`: whether the answer was a success, body read. `false` on transport errors.
    pub(crate) async fn get_ok(&mut self, path: &str) -> bool {
        matches!(self.request(Method::GET, path, None).await, Some((s, _)) if (200..300).contains(&s))
    }

    /// `POST path` with a JSON body: the status and the body, `None` on transport errors.
    pub(crate) async fn post(&mut self, path: &str, json: Vec<u8>) -> Option<(u16, Bytes)> {
        self.request(Method::POST, path, Some(json)).await
    }

    async fn request(
        &mut self,
        method: Method,
        path: &str,
        json: Option<Vec<u8>>,
    ) -> Option<(u16, Bytes)> {
        let mut request = Request::builder()
            .method(method)
            .uri(if self.target.prefix.is_empty() {
                path.to_string()
            } else {
                format!("{}{path}", self.target.prefix)
            })
            .header(HOST, self.target.host.clone());
        if json.is_some() {
            request = request.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let request = request
            .body(Full::new(json.map(Bytes::from).unwrap_or_default()))
            .ok()?;
        let send = self.connected().await?;
        let outcome = async {
            let answer = send.send_request(request).await.ok()?;
            let status = answer.status().as_u16();
            let body = answer.into_body().collect().await.ok()?.to_bytes();
            Some((status, body))
        }
        .await;
        if outcome.is_none() {
            // The connection is gone or broken: the next request opens a new one.
            self.send = None;
        }
        outcome
    }

    async fn connected(&mut self) -> Option<&mut SendRequest<Full<Bytes>>> {
        if self.send.as_ref().is_none_or(SendRequest::is_closed) {
            let stream = tokio::net::TcpStream::connect(&self.target.authority)
                .await
                .ok()?;
            stream.set_nodelay(true).ok()?;
            let (send, connection) = http1::handshake(TokioIo::new(stream)).await.ok()?;
            tokio::spawn(connection);
            self.send = Some(send);
        }
        let send = self.send.as_mut()?;
        send.ready().await.ok()?;
        Some(send)
    }
}
