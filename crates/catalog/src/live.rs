//! Live seat states for open seat maps (`GET /events/{id}/seatmap/stream`, Server-Sent Events).
//!
//! One watch per event with at least one open stream, per process: a task asks inventory for
//! the event's taken seats every [`POLL`], compares with what it saw last
//! and, when something changed, numbers the change (`<epoch>-<n>`: `epoch` names this watch —
//! the process and the moment it started — and `n` counts its changes) and logs it. Each
//! stream is then sent at most one frame per [`ROUND`], carrying every change since its last
//! (each seat's latest state): open maps cost a write each per round however busy the sale,
//! and a change still reaches every map within [`POLL`] + [`ROUND`] (0.9 s; 1 s is asked).
//! Asking the database rather than listening to events makes the feed the same in every
//! deployment (one process or split, any engine) and lets it see every cause of a change
//! (holds, lapses, releases, sales, refunds, seats held back): what a stream sends is what the
//! seat map would answer at that instant.
//!
//! Nothing missed: a stream that comes back with `Last-Event-ID` gets the changes after it from
//! the watch's log (the last [`LOG`] changes); an id the log no longer has, of another epoch
//! (the process restarted, or the watch ended with its last stream and started again), or a
//! stream that fell behind its buffer gets a `snapshot` instead
//! (every taken seat: authoritative, the client resets to it). A watch ends a moment after
//! its last stream.
//!
//! **The compact form** (`?form=compact`, what the event page uses) names seats by their index
//! in the event's seat order (the seat map's: section, row, seat) under a layout version `v`
//! (the number of seats): a change is `{"v": 4000, "reserved": [12, 57], …}`, or the whole
//! state as 2 bits per seat (`{"v": 4000, "bits": "<base64>"}`: 0 available, 1 reserved,
//! 2 sold, 3 unavailable) when that is shorter — 1 KB for 4,000 seats however busy the sale.
//! Every open map receives every change, so bytes per change are what open maps cost: an id is
//! 39 bytes, an index about 5, and a round's bitmap bounds them all. A compact stream opens, and
//! resumes, with the whole state (authoritative): nothing is missed.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use kernel::{EventId, SeatId};
use tokio::sync::broadcast;

use crate::ports::{SeatAvailability, TakenState};

/// Changes a watch keeps for streams that resume.
const LOG: usize = 4_096;
/// Frames a stream may fall behind before it is sent a snapshot instead (one per [`ROUND`]:
/// about ten seconds).
const BUFFER: usize = 16;

/// One change of some seats of an event.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// Its number in the event's sequence.
    pub(crate) seq: u64,
    /// The seats and their new state (`available`, `reserved`, `sold`, `unavailable`).
    pub(crate) seats: Vec<(SeatId, &'static str)>,
    /// The whole Server-Sent Event (`event: seats`, its id, the data), written once and shared
    /// by every stream: open maps cost the bytes of each change, not a copy per map.
    pub(crate) frame: axum::body::Bytes,
    /// The same change in the compact form.
    pub(crate) compact: axum::body::Bytes,
}

impl Change {
    /// A comment the watch sends on every lane when nothing changed for [`KEEP_ALIVE`], so
    /// that proxies keep idle streams open (numbered 0: never taken for a change).
    fn keep_alive() -> Self {
        Self {
            seq: 0,
            seats: Vec::new(),
            frame: axum::body::Bytes::from_static(b":\n\n"),
            compact: axum::body::Bytes::from_static(b":\n\n"),
        }
    }

    /// Whether this is [`Change::keep_alive`].
    pub(crate) fn is_keep_alive(&self) -> bool {
        self.seq == 0
    }
}

/// How long a stream may stay silent before the watch sends a comment on it.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The 2-bit code of each state in the compact form.
fn code(state: &str) -> u8 {
    match state {
        "reserved" => 1,
        "sold" => 2,
        "unavailable" => 3,
        _ => 0,
    }
}

/// The event's seat order, as the compact form numbers seats.
#[derive(Debug, Default)]
pub(crate) struct SeatOrder {
    /// Each seat's index.
    index: HashMap<SeatId, u32>,
}

impl SeatOrder {
    /// The order of `seats` (as the seat map lists them).
    pub(crate) fn new(seats: Vec<SeatId>) -> Self {
        Self {
            index: seats.into_iter().zip(0..).collect(),
        }
    }

    /// The layout version: how many seats there are (seats are only ever added).
    fn version(&self) -> usize {
        self.index.len()
    }

    /// Whether every seat of `seats` has an index.
    fn knows<'a>(&self, mut seats: impl Iterator<Item = &'a SeatId>) -> bool {
        seats.all(|s| self.index.contains_key(s))
    }

    /// The whole state, 2 bits per seat: `{"v":N,"bits":"…"}` (with `"reset":true` first for
    /// a snapshot).
    fn bits(&self, seen: &HashMap<SeatId, &'static str>, reset: bool) -> String {
        use base64::Engine;
        let mut packed = vec![0_u8; self.version().div_ceil(4)];
        for (seat, state) in seen {
            if let Some(&i) = self.index.get(seat) {
                packed[i as usize / 4] |= code(state) << ((i % 4) * 2);
            }
        }
        format!(
            r#"{{"v":{}{},"bits":"{}"}}"#,
            self.version(),
            if reset { r#","reset":true"# } else { "" },
            base64::engine::general_purpose::STANDARD.encode(packed)
        )
    }

    /// A change as indexes grouped by state (`{"v":N,"reserved":[12,57]}`), or the whole state
    /// when that is shorter.
    fn change(
        &self,
        seats: &[(SeatId, &'static str)],
        seen: &HashMap<SeatId, &'static str>,
    ) -> String {
        let bits = self.bits(seen, false);
        let mut out = format!(r#"{{"v":{}"#, self.version());
        for state in STATES {
            let mut first = true;
            for (seat, _) in seats.iter().filter(|(_, s)| *s == state) {
                let Some(i) = self.index.get(seat) else {
                    continue;
                };
                out.push_str(if first { "," } else { "" });
                if first {
                    out.push('"');
                    out.push_str(state);
                    out.push_str("\":[");
                    first = false;
                } else {
                    out.push(',');
                }
                out.push_str(&i.to_string());
                if out.len() > bits.len() {
                    return bits;
                }
            }
            if !first {
                out.push(']');
            }
        }
        out.push('}');
        if out.len() <= bits.len() { out } else { bits }
    }
}

/// One Server-Sent Event, as sent.
pub(crate) fn frame(kind: &str, id: &str, data: &str) -> axum::body::Bytes {
    format!("event: {kind}\nid: {id}\ndata: {data}\n\n").into()
}

/// The states a stream names, in the order its data lists them.
const STATES: [&str; 4] = ["available", "reserved", "sold", "unavailable"];

/// The data of a `seats` or `snapshot` event: the seats grouped by their new state
/// (`{"reserved": ["<seatId>", …], "sold": […]}`, states without seats left out; a snapshot
/// adds `"reset": true`). Grouped, each seat costs its id and no more: every open map
/// receives every change, so bytes per change are what open maps cost.
pub(crate) fn data_of(seats: &[(SeatId, &'static str)], reset: bool) -> String {
    let mut out = String::with_capacity(16 + seats.len() * 39);
    out.push('{');
    if reset {
        out.push_str(r#""reset":true"#);
    }
    for state in STATES {
        let mut ids = seats.iter().filter(|(_, s)| *s == state).peekable();
        if ids.peek().is_none() {
            continue;
        }
        if out.len() > 1 {
            out.push(',');
        }
        // Seat ids and states are plain ASCII: nothing to escape.
        out.push('"');
        out.push_str(state);
        out.push_str("\":[");
        for (i, (seat, _)) in ids.enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(&seat.to_string());
            out.push('"');
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// What a stream sends first.
#[derive(Debug, Clone)]
pub(crate) enum Opening {
    /// Every taken seat (the others are available), as of `seq`.
    Snapshot {
        /// The change it includes.
        seq: u64,
        /// The taken seats.
        seats: Vec<(SeatId, &'static str)>,
    },
    /// The changes after the client's last id, in order.
    Replay(Vec<Change>),
}

/// Reads an event's seat ids in the seat map's order (for the compact form).
pub(crate) type SeatOrderSource = Arc<
    dyn Fn(EventId) -> futures::future::BoxFuture<'static, anyhow::Result<Vec<SeatId>>>
        + Send
        + Sync,
>;

/// The live seat states of events with open streams, in this process.
pub(crate) struct SeatFeed {
    availability: Arc<dyn SeatAvailability>,
    seat_order: SeatOrderSource,
    watches: Mutex<HashMap<EventId, Weak<Watch>>>,
    /// This process's start, in every watch's epoch.
    started: String,
    /// Watches started so far, in every watch's epoch.
    count: std::sync::atomic::AtomicU64,
    /// Streams subscribed so far (for their offsets in the spread).
    streams: std::sync::atomic::AtomicU64,
}

/// One event's watch.
pub(crate) struct Watch {
    /// The first part of the ids of its changes.
    pub(crate) epoch: String,
    state: Mutex<WatchState>,
    /// The [`LANES`] channels streams listen on, each sent what changed once per [`ROUND`], at
    /// its own moment.
    lanes: Vec<broadcast::Sender<Arc<Change>>>,
}

#[derive(Default)]
struct WatchState {
    /// Each taken seat's state (shared, so that the poll compares against it unlocked).
    seen: Arc<HashMap<SeatId, &'static str>>,
    seq: u64,
    log: VecDeque<Arc<Change>>,
    order: SeatOrder,
    /// The compact snapshot of change `seq`, shared by the streams that open meanwhile.
    compact: Option<(u64, axum::body::Bytes)>,
    /// The last frame made for the lanes: the changes after the first number, up to its own
    /// (successive lanes usually ask for the same).
    since: Option<(u64, Arc<Change>)>,
}

impl WatchState {
    /// Change `seq` of `seats` (now in `seen`), in both forms.
    fn change(&self, epoch: &str, seats: Vec<(SeatId, &'static str)>) -> Change {
        let id = format!("{epoch}-{}", self.seq);
        Change {
            seq: self.seq,
            frame: frame("seats", &id, &data_of(&seats, false)),
            compact: frame("seats", &id, &self.order.change(&seats, &self.seen)),
            seats,
        }
    }
}

/// A stream's subscription: what to send first, then the changes as they come.
pub(crate) struct Subscription {
    /// The watch (kept alive by the stream).
    pub(crate) watch: Arc<Watch>,
    /// What to send first.
    pub(crate) opening: Opening,
    /// The changes after the opening.
    pub(crate) changes: broadcast::Receiver<Arc<Change>>,
    /// How it names seats.
    pub(crate) form: Form,
}

/// How a stream names seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// By id, grouped by state.
    Ids,
    /// By index, or as a bitmap of the whole state (module docs).
    Compact,
}

/// How often a watch asks for the event's taken seats.
const POLL: Duration = Duration::from_millis(200);
/// Each stream is sent at most one frame per round, with everything that changed since its
/// last: 10,000 open maps then cost 10,000 / 0.7 = 14,300 writes a second whatever the rate
/// of changes, where a frame per change (one per [`POLL`]) would cost 50,000.
const ROUND: Duration = Duration::from_millis(700);
/// How many moments a round is spread over: streams are dealt to [`LANES`] channels in turn,
/// and a watch's task serves lane `k` at `k / LANES` of each round, so that the writes go
/// evenly (40 streams every 2.8 ms for 10,000 open maps) rather than in a wall that every
/// request waits behind. Each stream wakes only when its lane is served (no timer of its own).
const LANES: usize = 250;

fn word(state: TakenState) -> &'static str {
    match state {
        TakenState::Reserved => "reserved",
        TakenState::Sold => "sold",
        TakenState::Blocked => "unavailable",
    }
}

impl SeatFeed {
    /// A feed asking `availability` for taken seats and `seat_order` for the order the compact
    /// form numbers seats in.
    pub(crate) fn new(
        availability: Arc<dyn SeatAvailability>,
        seat_order: SeatOrderSource,
    ) -> Self {
        Self {
            availability,
            seat_order,
            watches: Mutex::new(HashMap::new()),
            started: format!("{:x}", chrono::Utc::now().timestamp_millis()),
            count: std::sync::atomic::AtomicU64::new(0),
            streams: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Subscribes a stream to `event`'s changes, resuming after `last_id` when the watch still
    /// has what came after it.
    ///
    /// # Errors
    /// When inventory cannot be asked for the first picture.
    pub(crate) async fn subscribe(
        self: &Arc<Self>,
        event: EventId,
        last_id: Option<&str>,
        form: Form,
    ) -> anyhow::Result<Subscription> {
        let watch = self.watch(event).await?;
        // Subscribed before the opening is read: a change in between is then both in the
        // opening and on the channel, and the stream drops what it already sent by number.
        // Successive streams on successive lanes.
        let n = self
            .streams
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let changes = watch.lanes[n as usize % LANES].subscribe();
        let after = last_id
            .and_then(|id| id.split_once('-'))
            .filter(|(epoch, _)| *epoch == watch.epoch)
            .and_then(|(_, n)| n.parse::<u64>().ok());
        let opening = watch.opening(after);
        Ok(Subscription {
            watch,
            opening,
            changes,
            form,
        })
    }

    /// The event's watch, started (with its first picture) if there is none.
    async fn watch(self: &Arc<Self>, event: EventId) -> anyhow::Result<Arc<Watch>> {
        if let Some(watch) = self.lock().get(&event).and_then(Weak::upgrade) {
            return Ok(watch);
        }
        let first = self.availability.taken_seats(event).await?;
        let order = SeatOrder::new((self.seat_order)(event).await?);
        let seen = Arc::new(
            first
                .into_iter()
                .map(|(seat, state)| (seat, word(state)))
                .collect(),
        );
        let n = self
            .count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fresh = Watch::start(
            format!("{}{n:x}", self.started),
            WatchState {
                seen,
                order,
                ..WatchState::default()
            },
        );
        let watch = {
            let mut watches = self.lock();
            // Another stream may have started one meanwhile: use it.
            match watches.get(&event).and_then(Weak::upgrade) {
                Some(existing) => existing,
                None => {
                    watches.insert(event, Arc::downgrade(&fresh));
                    tokio::spawn(self.clone().poll(event, Arc::downgrade(&fresh)));
                    fresh
                }
            }
        };
        Ok(watch)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EventId, Weak<Watch>>> {
        self.watches
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks for the event's taken seats until the watch has no stream left.
    async fn poll(self: Arc<Self>, event: EventId, watch: Weak<Watch>) {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(live) = watch.upgrade() else { break };
            // On a thread of the blocking pool rather than a request worker: a SQLite read of
            // every taken seat of a big venue holds its thread for tens of milliseconds (31,000
            // taken seats of 100,000: the hold p99 of a sale was 17.7 ms with 16 open maps when
            // it ran on a worker, 12.7 here; docs/performance.md, "The watch off the workers").
            let (feed, runtime) = (self.clone(), tokio::runtime::Handle::current());
            let looked =
                tokio::task::spawn_blocking(move || runtime.block_on(feed.look(event, &live)))
                    .await;
            if let Err(e) = looked {
                tracing::warn!(event.id = %event, error = %e, "the seat feed's read failed");
            }
        }
        let mut watches = self.lock();
        if watches.get(&event).is_some_and(|w| w.upgrade().is_none()) {
            watches.remove(&event);
        }
    }

    /// Reads the event's taken seats once and gives them to its watch.
    async fn look(&self, event: EventId, live: &Watch) {
        match self.availability.taken_seats(event).await {
            Ok(taken) => {
                // A seat laid out since the watch began: number the seats again.
                if !live.state().order.knows(taken.keys()) {
                    match (self.seat_order)(event).await {
                        Ok(seats) => {
                            let mut state = live.state();
                            state.order = SeatOrder::new(seats);
                            state.compact = None;
                            state.since = None;
                        }
                        Err(e) => {
                            tracing::warn!(event.id = %event, error = %e, "the seat feed could not read the seat order");
                        }
                    }
                }
                live.apply(taken);
            }
            Err(e) => {
                tracing::warn!(event.id = %event, error = %e, "the seat feed could not read the taken seats")
            }
        }
    }
}

impl Watch {
    /// A watch named `epoch` starting from `state`, and the task that serves its lanes (it
    /// ends with the watch).
    fn start(epoch: String, state: WatchState) -> Arc<Self> {
        let watch = Arc::new(Self {
            epoch,
            state: Mutex::new(state),
            lanes: (0..LANES).map(|_| broadcast::channel(BUFFER).0).collect(),
        });
        tokio::spawn(Self::serve_lanes(Arc::downgrade(&watch)));
        watch
    }

    /// Serves lane `k` at `k / LANES` of every [`ROUND`]: what changed since the lane's last
    /// frame, or a comment when it was silent for [`KEEP_ALIVE`].
    async fn serve_lanes(watch: Weak<Self>) {
        let began = tokio::time::Instant::now();
        let keep_alive = Arc::new(Change::keep_alive());
        // Per lane: the last change it was sent, and when it was last sent anything.
        let first = watch.upgrade().map_or(0, |w| w.state().seq);
        let mut lanes = vec![(first, began); LANES];
        let mut round = began;
        loop {
            for (k, (last, at)) in lanes.iter_mut().enumerate() {
                tokio::time::sleep_until(round + ROUND * k as u32 / LANES as u32).await;
                // Held for this moment only: the watch ends with its last stream.
                let Some(live) = watch.upgrade() else { return };
                let now = tokio::time::Instant::now();
                // No receiver is not an error: the lane's streams went.
                if let Some(change) = live.since(*last) {
                    (*last, *at) = (change.seq, now);
                    let _ = live.lanes[k].send(change);
                } else if now - *at >= KEEP_ALIVE {
                    *at = now;
                    let _ = live.lanes[k].send(keep_alive.clone());
                }
            }
            round += ROUND;
        }
    }

    /// One frame with every change after `last` (each seat's state now), or none when nothing
    /// changed since. Made once for the lanes that ask for the same.
    fn since(&self, last: u64) -> Option<Arc<Change>> {
        let mut state = self.state();
        if state.seq <= last {
            return None;
        }
        if let Some((from, change)) = &state.since
            && *from == last
            && change.seq == state.seq
        {
            return Some(change.clone());
        }
        let oldest = state.log.front().map_or(state.seq + 1, |c| c.seq);
        let change = if last + 1 == state.seq {
            state.log.back().cloned()?
        } else if last + 1 >= oldest {
            let mut seats: HashMap<SeatId, &'static str> = HashMap::new();
            for change in state.log.iter().filter(|c| c.seq > last) {
                for (seat, _) in &change.seats {
                    seats.insert(*seat, state.seen.get(seat).copied().unwrap_or("available"));
                }
            }
            let seats: Vec<_> = seats.into_iter().collect();
            Arc::new(state.change(&self.epoch, seats))
        } else {
            // Further behind than the log: the whole state.
            let id = format!("{}-{}", self.epoch, state.seq);
            let seats: Vec<_> = state.seen.iter().map(|(&s, &w)| (s, w)).collect();
            Arc::new(Change {
                seq: state.seq,
                frame: frame("snapshot", &id, &data_of(&seats, true)),
                compact: frame("snapshot", &id, &state.order.bits(&state.seen, true)),
                seats,
            })
        };
        state.since = Some((last, change.clone()));
        Some(change)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Compares `taken` with what was seen last; numbers and sends what changed.
    fn apply(&self, taken: HashMap<SeatId, TakenState>) {
        // Compared without the lock, which the lanes' task takes too (tens of thousands of
        // seats in a big venue): only this watch's poll replaces `seen`, so it stays current.
        let before = self.state().seen.clone();
        let mut seats = Vec::new();
        for (&seat, &was) in before.iter() {
            if !taken.contains_key(&seat) {
                seats.push((seat, "available"));
            } else if word(taken[&seat]) != was {
                seats.push((seat, word(taken[&seat])));
            }
        }
        for (&seat, &now) in &taken {
            if !before.contains_key(&seat) {
                seats.push((seat, word(now)));
            }
        }
        if seats.is_empty() {
            return;
        }
        let seen = Arc::new(taken.into_iter().map(|(s, t)| (s, word(t))).collect());
        let mut state = self.state();
        state.seq += 1;
        state.seen = seen;
        let change = Arc::new(state.change(&self.epoch, seats));
        state.log.push_back(change);
        if state.log.len() > LOG {
            state.log.pop_front();
        }
    }

    /// What a stream that saw everything up to `after` is sent first.
    fn opening(&self, after: Option<u64>) -> Opening {
        let state = self.state();
        let oldest = state.log.front().map_or(state.seq + 1, |c| c.seq);
        match after {
            Some(n) if n <= state.seq && n + 1 >= oldest => Opening::Replay(
                state
                    .log
                    .iter()
                    .filter(|c| c.seq > n)
                    .map(|c| Change::clone(c))
                    .collect(),
            ),
            _ => Opening::Snapshot {
                seq: state.seq,
                seats: state.seen.iter().map(|(&s, &w)| (s, w)).collect(),
            },
        }
    }

    /// Every taken seat now, as of the last change (for a stream that fell behind).
    pub(crate) fn snapshot(&self) -> Opening {
        self.opening(None)
    }

    /// The whole state in the compact form, as a `snapshot` event, and its number.
    pub(crate) fn compact_snapshot(&self) -> (axum::body::Bytes, u64) {
        let mut state = self.state();
        let seq = state.seq;
        if let Some((at, bytes)) = &state.compact
            && *at == seq
        {
            return (bytes.clone(), seq);
        }
        let id = format!("{}-{seq}", self.epoch);
        let bytes = frame("snapshot", &id, &state.order.bits(&state.seen, true));
        state.compact = Some((seq, bytes.clone()));
        (bytes, seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch() -> Arc<Watch> {
        Watch::start("test".into(), WatchState::default())
    }

    #[test]
    fn the_compact_form_names_seats_by_index_or_sends_the_whole_state_when_shorter() {
        let seats: Vec<SeatId> = (0..10).map(|_| SeatId::new()).collect();
        let order = SeatOrder::new(seats.clone());
        let seen = HashMap::from([(seats[1], "reserved"), (seats[9], "sold")]);
        let change = order.change(&[(seats[1], "reserved"), (seats[9], "sold")], &seen);
        // 10 seats: three bytes [4, 0, 8] (seat 1 → 01 at bits 2-3 of byte 0; seat 9 → 10 at
        // bits 2-3 of byte 2), base64 "BAAI": shorter than the two lists.
        assert_eq!(change, r#"{"v":10,"bits":"BAAI"}"#);
        let big: Vec<SeatId> = (0..400).map(|_| SeatId::new()).collect();
        let order = SeatOrder::new(big.clone());
        let seen = HashMap::from([(big[1], "reserved"), (big[399], "sold")]);
        let change = order.change(&[(big[1], "reserved"), (big[399], "sold")], &seen);
        assert_eq!(change, r#"{"v":400,"reserved":[1],"sold":[399]}"#);
        assert!(
            order
                .bits(&seen, true)
                .starts_with(r#"{"v":400,"reset":true,"bits":"BA"#)
        );
        assert!(!order.knows([SeatId::new()].iter()));
    }

    #[tokio::test]
    async fn a_lane_is_sent_one_frame_with_each_seats_state_since_its_last() {
        let w = watch();
        let (a, b, c) = (SeatId::new(), SeatId::new(), SeatId::new());
        assert!(w.since(0).is_none(), "nothing changed yet");
        w.apply(HashMap::from([(a, TakenState::Reserved)]));
        let one = w.since(0).expect("change 1");
        assert_eq!((one.seq, one.seats.clone()), (1, vec![(a, "reserved")]));
        w.apply(HashMap::from([
            (a, TakenState::Sold),
            (b, TakenState::Reserved),
        ]));
        w.apply(HashMap::from([
            (a, TakenState::Sold),
            (c, TakenState::Blocked),
        ]));
        // A lane last sent change 1 is sent 2 and 3 as one frame: each seat's state now.
        let merged = w.since(1).expect("changes 2 and 3");
        let mut seats = merged.seats.clone();
        seats.sort();
        let mut expected = vec![(a, "sold"), (b, "available"), (c, "unavailable")];
        expected.sort();
        assert_eq!((merged.seq, seats), (3, expected));
        assert!(merged.frame.starts_with(b"event: seats\nid: test-3\n"));
        // The next lane asking for the same gets the same frame, not another copy.
        assert!(Arc::ptr_eq(&merged, &w.since(1).expect("the same")));
        // A lane that had change 2 is sent change 3 as it was made.
        assert_eq!(w.since(2).expect("change 3").seats.len(), 2);
        assert!(w.since(3).is_none(), "up to date");
    }

    #[tokio::test]
    async fn changes_are_numbered_and_a_resume_gets_what_came_after_or_a_snapshot() {
        let w = watch();
        let (a, b) = (SeatId::new(), SeatId::new());
        w.apply(HashMap::from([(a, TakenState::Reserved)]));
        w.apply(HashMap::from([
            (a, TakenState::Sold),
            (b, TakenState::Reserved),
        ]));
        w.apply(HashMap::from([(a, TakenState::Sold)]));
        w.apply(HashMap::from([(a, TakenState::Sold)]));
        let Opening::Replay(after_1) = w.opening(Some(1)) else {
            panic!("the log has what came after 1");
        };
        assert_eq!(
            after_1.iter().map(|c| c.seq).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(after_1[1].seats.contains(&(b, "available")));
        let Opening::Replay(none) = w.opening(Some(3)) else {
            panic!("up to date");
        };
        assert!(none.is_empty());
        let Opening::Snapshot { seq, seats } = w.opening(Some(9)) else {
            panic!("an id from the future gets a snapshot");
        };
        assert_eq!((seq, seats), (3, vec![(a, "sold")]));
    }
}
