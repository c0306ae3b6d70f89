//! `--streams N`: N open seat maps. Each is one connection to the event's
//! `GET /events/{id}/seatmap/stream` (Server-Sent Events) that reads and counts events during
//! the sale, with a 2 KiB buffer: what the server pays for open maps, not what a browser does.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::conn::Target;
use super::progress;

/// Connections opened at once while the streams are set up (the server's accept backlog).
const OPENING_AT_ONCE: usize = 256;

/// The open streams and what they received.
pub(crate) struct Streams {
    tasks: tokio::task::JoinSet<()>,
    /// Streams that received their first event (the snapshot).
    pub(crate) open: Arc<AtomicU64>,
    /// Events received by all streams, snapshots included.
    pub(crate) events: Arc<AtomicU64>,
    /// Bytes received by all streams.
    pub(crate) bytes: Arc<AtomicU64>,
    /// Streams that could not connect or were refused.
    pub(crate) failed: Arc<AtomicU64>,
}

impl Streams {
    /// Opens `n` streams of `event`'s seat map and waits (up to a minute) until each has its
    /// snapshot or failed.
    pub(crate) async fn open(target: &Target, event: &str, n: u32, form: &str) -> Self {
        let mut streams = Self {
            tasks: tokio::task::JoinSet::new(),
            open: Arc::new(AtomicU64::new(0)),
            events: Arc::new(AtomicU64::new(0)),
            bytes: Arc::new(AtomicU64::new(0)),
            failed: Arc::new(AtomicU64::new(0)),
        };
        let request = format!(
            "GET {}/events/{event}/seatmap/stream?form={form} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            target.prefix(),
            target.authority()
        );
        let request: Arc<[u8]> = request.into_bytes().into();
        let started = tokio::time::Instant::now();
        for i in 0..n as usize {
            let (open, events, bytes, failed) = (
                streams.open.clone(),
                streams.events.clone(),
                streams.bytes.clone(),
                streams.failed.clone(),
            );
            let (authority, request) = (target.authority().to_string(), request.clone());
            streams.tasks.spawn(async move {
                let seen = Seen {
                    open: &open,
                    events: &events,
                    bytes: &bytes,
                };
                if read(&authority, &request, seen).await.is_err() {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            });
            // A few at a time: the server accepts from a bounded backlog.
            if i % OPENING_AT_ONCE == OPENING_AT_ONCE - 1 {
                while streams.settled() + OPENING_AT_ONCE as u64 / 2 < i as u64
                    && started.elapsed() < Duration::from_secs(60)
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        }
        while streams.settled() < u64::from(n) && started.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        progress(&format!(
            "{} seat-map streams open ({} failed) in {:.1} s",
            streams.open.load(Ordering::Relaxed),
            streams.failed.load(Ordering::Relaxed),
            started.elapsed().as_secs_f64()
        ));
        streams
    }

    fn settled(&self) -> u64 {
        self.open.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }

    /// Closes every stream.
    pub(crate) async fn close(mut self) {
        self.tasks.shutdown().await;
    }
}

/// What the streams count.
struct Seen<'a> {
    open: &'a AtomicU64,
    events: &'a AtomicU64,
    bytes: &'a AtomicU64,
}

/// One stream: sends the request, then counts `event:` lines until the server closes it.
async fn read(authority: &str, request: &[u8], seen_by: Seen<'_>) -> anyhow::Result<()> {
    let Seen {
        open,
        events,
        bytes,
    } = seen_by;
    let mut socket = TcpStream::connect(authority).await?;
    socket.write_all(request).await?;
    // A change's frame in the compact form is at most about 1.4 KB for these sales: one read.
    let mut buffer = [0_u8; 2048];
    // The end of the previous read, so that a marker split between two reads still counts.
    let mut tail: Vec<u8> = Vec::with_capacity(16);
    let (mut first, mut answered) = (true, false);
    loop {
        let n = socket.read(&mut buffer).await?;
        if n == 0 {
            anyhow::ensure!(!first, "closed before the first event");
            return Ok(());
        }
        bytes.fetch_add(n as u64, Ordering::Relaxed);
        if !answered {
            anyhow::ensure!(buffer[..n].starts_with(b"HTTP/1.1 200"), "refused");
            answered = true;
        }
        let mut seen = std::mem::take(&mut tail);
        seen.extend_from_slice(&buffer[..n]);
        let found = seen.windows(7).filter(|w| w == b"\nevent:").count() as u64;
        if found > 0 {
            events.fetch_add(found, Ordering::Relaxed);
            if first {
                open.fetch_add(1, Ordering::Relaxed);
                first = false;
            }
        }
        tail.extend_from_slice(&seen[seen.len().saturating_sub(6)..]);
    }
}
