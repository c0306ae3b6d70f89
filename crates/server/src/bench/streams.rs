//! `--streams N`: N open seat maps. Each is one connection to the event's
//! `GET /events/{id}/seatmap/stream` (Server-Sent Events) that reads and counts events during
//! the sale, with a 2 KiB buffer: what the server pays for open maps, not what a browser does.
//! In the compact form, [`DECODING`] of them also decode what they receive as a page does, so
//! that the bench can say how soon a hold reached the open maps ([`Delivery`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::conn::Target;
use super::progress;

/// Connections opened at once while the streams are set up (the server's accept backlog).
const OPENING_AT_ONCE: usize = 256;

/// Streams that decode the compact form's frames and note when each seat was first seen taken.
const DECODING: usize = 16;

/// How soon holds reached the open maps: when each seat's hold was sent (by the sale) and when
/// each decoding stream first saw the seat taken.
pub(crate) struct Delivery {
    began: tokio::time::Instant,
    /// Per seat (the seat map's order): when its granted hold was sent, in ns from `began` + 1
    /// (0: not held in this sale).
    held: Vec<AtomicU64>,
    /// Per decoding stream, per seat: when it first saw the seat taken (same unit).
    seen: Vec<Arc<Vec<AtomicU64>>>,
}

impl Delivery {
    fn since(&self, at: tokio::time::Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.began).as_nanos()).unwrap_or(u64::MAX - 1)
            + 1
    }

    /// Notes that the hold of seat `index`, sent at `sent`, was granted.
    pub(crate) fn held(&self, index: usize, sent: std::time::Instant) {
        let at = self.since(tokio::time::Instant::from_std(sent));
        if let Some(slot) = self.held.get(index) {
            let _ = slot.compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// From each granted hold's request to each decoding stream seeing the seat taken.
    pub(crate) fn seen(&self) -> super::report::DeliverySeen {
        let mut delays = Vec::new();
        let mut unseen = 0;
        for stream in &self.seen {
            for (held, seen) in self.held.iter().zip(stream.iter()) {
                let (held, seen) = (held.load(Ordering::Relaxed), seen.load(Ordering::Relaxed));
                match (held, seen) {
                    (0, _) => {}
                    (_, 0) => unseen += 1,
                    _ => delays.push(seen.saturating_sub(held)),
                }
            }
        }
        delays.sort_unstable();
        let ms = |q: f64| super::load::nearest_rank(&delays, q).map_or(0.0, |ns| ns as f64 / 1e6);
        super::report::DeliverySeen {
            streams: self.seen.len(),
            measured: delays.len(),
            unseen,
            p50_ms: ms(0.5),
            p99_ms: ms(0.99),
            max_ms: ms(1.0),
        }
    }
}

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
    /// In the compact form: how soon holds reached the maps.
    pub(crate) delivery: Option<Arc<Delivery>>,
}

impl Streams {
    /// Opens `n` streams of the seat map of `event` (with `seats` seats) and waits (up to a
    /// minute) until each has its snapshot or failed.
    pub(crate) async fn open(
        target: &Target,
        event: &str,
        seats: usize,
        n: u32,
        form: &str,
    ) -> anyhow::Result<Self> {
        let decoding = if form == "compact" {
            DECODING.min(n as usize)
        } else {
            0
        };
        let seat_slots = || (0..seats).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        let delivery = (decoding > 0).then(|| {
            Arc::new(Delivery {
                began: tokio::time::Instant::now(),
                held: seat_slots(),
                seen: (0..decoding).map(|_| Arc::new(seat_slots())).collect(),
            })
        });
        let mut streams = Self {
            tasks: tokio::task::JoinSet::new(),
            open: Arc::new(AtomicU64::new(0)),
            events: Arc::new(AtomicU64::new(0)),
            bytes: Arc::new(AtomicU64::new(0)),
            failed: Arc::new(AtomicU64::new(0)),
            delivery,
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
            // Every (n / DECODING)th stream decodes: spread over the server's lanes.
            let decoder = streams
                .delivery
                .as_ref()
                .filter(|_| i % (n as usize / decoding.max(1)).max(1) == 0)
                .and_then(|d| {
                    let k = i / (n as usize / decoding.max(1)).max(1);
                    Some(Decoder::new(d.began, d.seen.get(k)?.clone()))
                });
            streams.tasks.spawn(async move {
                let seen = Seen {
                    open: &open,
                    events: &events,
                    bytes: &bytes,
                    decoder,
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
        Ok(streams)
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
    decoder: Option<Decoder>,
}

/// Reads the compact form as a page does, and notes when each seat was first seen taken.
struct Decoder {
    began: tokio::time::Instant,
    /// What came after the last whole line.
    pending: Vec<u8>,
    /// Each seat's state code (0: available).
    state: Vec<u8>,
    seen: Arc<Vec<AtomicU64>>,
}

impl Decoder {
    fn new(began: tokio::time::Instant, seen: Arc<Vec<AtomicU64>>) -> Self {
        Self {
            began,
            pending: Vec::new(),
            state: vec![0; seen.len()],
            seen,
        }
    }

    /// Takes the `data:` lines of what arrived (chunk sizes and other lines pass by).
    fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        let lines: Vec<u8> = self.pending.drain(..=end).collect();
        for line in lines.split(|&b| b == b'\n') {
            if let Some(data) = line.strip_prefix(b"data: ")
                && let Ok(data) = serde_json::from_slice::<serde_json::Value>(data)
            {
                self.apply(&data);
            }
        }
    }

    /// One frame: the whole state (`bits`) or seats by index grouped by state.
    fn apply(&mut self, data: &serde_json::Value) {
        use base64::Engine;
        let mut next = self.state.clone();
        if let Some(bits) = data["bits"].as_str() {
            let Ok(packed) = base64::engine::general_purpose::STANDARD.decode(bits) else {
                return;
            };
            for (i, code) in next.iter_mut().enumerate() {
                *code = packed.get(i / 4).map_or(0, |b| (b >> ((i % 4) * 2)) & 3);
            }
        }
        for (state, code) in [
            ("available", 0),
            ("reserved", 1),
            ("sold", 2),
            ("unavailable", 3),
        ] {
            for i in data[state].as_array().into_iter().flatten() {
                if let Some(slot) = i.as_u64().and_then(|i| next.get_mut(i as usize)) {
                    *slot = code;
                }
            }
        }
        let now = u64::try_from(self.began.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1;
        for (i, (&was, &is)) in self.state.iter().zip(&next).enumerate() {
            if was == 0 && is != 0 {
                let _ = self.seen[i].compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
            }
        }
        self.state = next;
    }
}

/// One stream: sends the request, then counts `event:` lines until the server closes it.
async fn read(authority: &str, request: &[u8], seen_by: Seen<'_>) -> anyhow::Result<()> {
    let Seen {
        open,
        events,
        bytes,
        mut decoder,
    } = seen_by;
    let mut socket = TcpStream::connect(authority).await?;
    socket.write_all(request).await?;
    // A change's frame in the compact form is at most about 1.4 KB for these sales: one read.
    let mut buffer = [0_u8; 2048];
    // The end of the previous read and this read, so that a marker split between two reads
    // still counts (reused: the readers share the cores with the server they measure).
    let mut seen: Vec<u8> = Vec::with_capacity(buffer.len() + 8);
    let mut tail = ([0_u8; 6], 0_usize);
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
        if let Some(decoder) = &mut decoder {
            decoder.feed(&buffer[..n]);
        }
        seen.clear();
        seen.extend_from_slice(&tail.0[..tail.1]);
        seen.extend_from_slice(&buffer[..n]);
        let found = seen
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' && seen[i + 1..].starts_with(b"event:"))
            .count() as u64;
        if found > 0 {
            events.fetch_add(found, Ordering::Relaxed);
            if first {
                open.fetch_add(1, Ordering::Relaxed);
                first = false;
            }
        }
        let end = &seen[seen.len().saturating_sub(6)..];
        tail.0[..end.len()].copy_from_slice(end);
        tail.1 = end.len();
    }
}
