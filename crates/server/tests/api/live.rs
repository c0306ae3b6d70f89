//! The live seat map (`GET /events/{id}/seatmap/stream`): a snapshot, then each change, and a
//! dropped stream that resumes with `Last-Event-ID` misses nothing.

use serde_json::Value;
use std::time::Duration;
use testkit::TestServer;

use crate::helpers::{create_event, hold, spawn_with};

/// One Server-Sent Event.
#[derive(Debug)]
struct Sse {
    event: String,
    id: String,
    data: Value,
}

/// An open stream and what it has received but not yet read.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestServer, event: &str, last_id: Option<&str>) -> anyhow::Result<Self> {
        Self::open_as(app, &format!("/events/{event}/seatmap/stream"), last_id).await
    }

    async fn open_as(app: &TestServer, path: &str, last_id: Option<&str>) -> anyhow::Result<Self> {
        let mut request = app
            .client()
            .get(format!("{}{path}", app.base("gateway")))
            .header("accept", "text/event-stream");
        if let Some(id) = last_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await?;
        anyhow::ensure!(response.status() == 200, "status {}", response.status());
        let kind = response.headers()["content-type"].to_str()?.to_string();
        anyhow::ensure!(kind.starts_with("text/event-stream"), "{kind}");
        Ok(Self {
            response,
            buffer: String::new(),
        })
    }

    /// The next event (keep-alive comments skipped), waiting at most 10 s.
    async fn next(&mut self) -> anyhow::Result<Sse> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data += v.trim();
                    }
                }
                if event.is_empty() {
                    continue;
                }
                return Ok(Sse {
                    event,
                    id,
                    data: serde_json::from_str(&data)?,
                });
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .map_err(|_| anyhow::anyhow!("no event within 10 s; have {:?}", self.buffer))??
                .ok_or_else(|| anyhow::anyhow!("the stream ended"))?;
            self.buffer += std::str::from_utf8(&chunk)?;
        }
    }
}

/// The state an event gives `seat` (its data groups seat ids by state).
fn state_of(e: &Sse, seat: &str) -> Option<String> {
    ["available", "reserved", "sold", "unavailable"]
        .into_iter()
        .find(|state| {
            e.data[state]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|id| id == seat))
        })
        .map(str::to_string)
}

/// Every seat an event names.
fn named(e: &Sse) -> Vec<String> {
    e.data
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, ids)| ids.as_array())
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn an_open_seat_map_hears_each_change_and_a_resumed_stream_misses_nothing()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let (event, seats) = create_event(&app, 1, 5).await;
    let seat = |i: usize| seats[i]["id"].as_str().unwrap_or_default().to_string();
    let (one, two, three) = (seat(0), seat(1), seat(2));
    assert_eq!(hold(&app, &three, "early").await.status, 201);

    let mut first = Stream::open(&app, &event, None).await?;
    let snapshot = first.next().await?;
    assert_eq!(snapshot.event, "snapshot");
    assert_eq!(snapshot.data["reset"], true);
    assert_eq!(
        state_of(&snapshot, &three).as_deref(),
        Some("reserved"),
        "{:?}",
        snapshot.data
    );
    assert_eq!(named(&snapshot), vec![three.clone()]);

    let held = hold(&app, &one, "ana").await;
    assert_eq!(held.status, 201);
    let change = first.next().await?;
    assert_eq!(change.event, "seats");
    assert_eq!(
        state_of(&change, &one).as_deref(),
        Some("reserved"),
        "{:?}",
        change.data
    );
    assert_ne!(change.id, snapshot.id);

    // The first stream drops; a second keeps the event watched. A change meanwhile…
    let mut second = Stream::open(&app, &event, None).await?;
    second.next().await?;
    let last_seen = change.id.clone();
    drop(first);
    let reservation = held.json["reservationId"].as_str().expect("id").to_string();
    let released = app
        .call(
            "DELETE",
            &format!("/reservations/{reservation}?customerId=ana"),
            None,
        )
        .await?;
    assert_eq!(released.status, 200, "{}", released.text);
    assert_eq!(hold(&app, &two, "ben").await.status, 201);
    // (the second stream sees them, in one change or two)
    let mut seen = second.next().await?;
    if state_of(&seen, &two).is_none() {
        seen = second.next().await?;
    }
    assert_eq!(state_of(&seen, &two).as_deref(), Some("reserved"));

    // …reaches the first when it comes back with the id of the last event it had.
    let mut resumed = Stream::open(&app, &event, Some(&last_seen)).await?;
    let missed = resumed.next().await?;
    assert_eq!(
        missed.event, "seats",
        "a replay, not a snapshot: {:?}",
        missed.data
    );
    assert_eq!(
        state_of(&missed, &one).as_deref(),
        Some("available"),
        "{:?}",
        missed.data
    );
    assert_eq!(
        state_of(&missed, &two).as_deref(),
        Some("reserved"),
        "{:?}",
        missed.data
    );

    // An id the server does not know gets a snapshot, which is complete.
    let mut stranger = Stream::open(&app, &event, Some("unknown-7")).await?;
    let fresh = stranger.next().await?;
    assert_eq!(fresh.event, "snapshot");
    let mut taken = named(&fresh);
    taken.sort();
    let mut want = vec![two.clone(), three.clone()];
    want.sort();
    assert_eq!(taken, want, "{:?}", fresh.data);

    let unknown = app
        .get("/events/11111111-1111-1111-1111-111111111111/seatmap/stream")
        .await?;
    assert_eq!(unknown.status, 404);
    let spec = app.get("/openapi.json").await?;
    assert!(spec.json["paths"]["/events/{id}/seatmap/stream"]["get"].is_object());
    Ok(())
}

/// Each seat's state in a compact event: the whole state from `bits` (2 bits per seat, in
/// the seat map's order), or the seats an index list names (others `None`).
fn compact_states(e: &Sse, seats: usize) -> Vec<Option<&'static str>> {
    use base64::Engine;
    const CODES: [&str; 4] = ["available", "reserved", "sold", "unavailable"];
    if let Some(bits) = e.data["bits"].as_str() {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(bits)
            .unwrap_or_default();
        return (0..seats)
            .map(|i| Some(CODES[usize::from((bytes[i / 4] >> ((i % 4) * 2)) & 3)]))
            .collect();
    }
    let mut out = vec![None; seats];
    for state in CODES {
        for i in e.data[state].as_array().into_iter().flatten() {
            if let Some(i) = i.as_u64() {
                out[i as usize] = Some(state);
            }
        }
    }
    out
}

#[tokio::test]
async fn the_compact_form_numbers_seats_in_the_maps_order_and_resumes_with_the_whole_state()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let (event, seats) = create_event(&app, 2, 5).await;
    let seat = |i: usize| seats[i]["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(hold(&app, &seat(7), "early").await.status, 201);
    let path = format!("/events/{event}/seatmap/stream?form=compact");

    let mut stream = Stream::open_as(&app, &path, None).await?;
    let snapshot = stream.next().await?;
    assert_eq!(snapshot.event, "snapshot");
    assert_eq!(
        snapshot.data["v"], 10,
        "the layout version: the event's seats"
    );
    let states = compact_states(&snapshot, 10);
    assert_eq!(states[7], Some("reserved"), "{:?}", snapshot.data);
    assert!(
        states
            .iter()
            .enumerate()
            .all(|(i, s)| i == 7 || *s == Some("available"))
    );

    // A change names the seat by its place in the seat map (10 seats: the bitmap is shorter).
    assert_eq!(hold(&app, &seat(2), "ana").await.status, 201);
    let change = stream.next().await?;
    assert_eq!(change.event, "seats");
    assert_eq!(
        compact_states(&change, 10)[2],
        Some("reserved"),
        "{:?}",
        change.data
    );

    // Resuming after a drop: the whole state again, with what happened meanwhile.
    let last = change.id.clone();
    drop(stream);
    assert_eq!(hold(&app, &seat(9), "ben").await.status, 201);
    let mut resumed = Stream::open_as(&app, &path, Some(&last)).await?;
    let whole = resumed.next().await?;
    assert_eq!(whole.event, "snapshot");
    let states = compact_states(&whole, 10);
    assert_eq!(
        (states[2], states[7], states[9]),
        (Some("reserved"), Some("reserved"), Some("reserved")),
        "{:?}",
        whole.data
    );
    let bad = app
        .get(&format!("/events/{event}/seatmap/stream?form=tiny"))
        .await?;
    assert_eq!(bad.status, 400, "{}", bad.text);
    Ok(())
}

#[tokio::test]
async fn an_open_seat_map_is_not_closed_as_an_idle_connection() -> anyhow::Result<()> {
    // Connections without a request in progress for 1 s are closed; a stream is one request
    // in progress for as long as it is open.
    let app = spawn_with(&["--no-demo", "--header-timeout-secs", "1"]).await;
    let (event, seats) = create_event(&app, 1, 3).await;
    let mut stream = Stream::open(&app, &event, None).await?;
    assert_eq!(stream.next().await?.event, "snapshot");
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let seat = seats[1]["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(hold(&app, &seat, "ana").await.status, 201);
    let change = stream.next().await?;
    assert_eq!(state_of(&change, &seat).as_deref(), Some("reserved"));
    // An idle keep-alive connection is still closed (the limit is not lifted for all).
    let mut idle =
        tokio::net::TcpStream::connect(app.base("gateway").trim_start_matches("http://")).await?;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let mut byte = [0_u8; 1];
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read(&mut idle, &mut byte),
    )
    .await?;
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "an idle connection was closed"
    );
    Ok(())
}
