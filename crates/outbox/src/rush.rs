//! Holding work nobody waits for back while buyers rush an on-sale.
//!
//! In one process the relay holds deferrable events back ([`RushPolicy`]); in a split
//! deployment the consumer whose work may wait (fulfillment: tickets, and after them their
//! e-mails) pauses instead ([`crate::CursorConsumer::defer_in_rush`]), and the rush it pauses
//! for is the deployment's: the processes that serve buyers say so through the database
//! ([`DeploymentRush`]), since the one that issues tickets serves none.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

use storage::{Database, Statement};

/// Deferrable work ([`Event::DEFERRABLE`](storage::Event::DEFERRABLE): tickets and their e-mail)
/// waits while the server is in a rush, so that the buyers of an on-sale get the writer and the
/// cores; it goes out once the rush is over, or after [`RushPolicy::max_wait`] whatever happens.
///
/// Measured in a 20,000-seat sale: 6 % more purchases per second, and the work held back
/// costs 6 % less CPU in all, done later in larger batches (docs/performance.md). Only work
/// nobody waits for at that moment may wait: a payment's confirmation of its seats never does,
/// or a hold could lapse under a paid seat.
#[derive(Clone)]
pub struct RushPolicy {
    /// Whether the server is busy at this instant (e.g. many requests in flight).
    pub busy: Arc<dyn Fn() -> bool + Send + Sync>,
    /// The longest deferrable work waits in a rush; then all of it is caught up on, rush or
    /// not, before it is held back again.
    pub max_wait: Duration,
}

/// A rush lasts until the server has not been seen busy for this long: the busy signal flickers
/// between requests, and each flicker would otherwise release the whole backlog at once.
const CALM_AFTER: Duration = Duration::from_secs(1);

/// Where a [`RushGate`] is in a rush.
#[derive(Debug, Default)]
struct Rush {
    /// When the server was last seen busy.
    last_busy: Option<Instant>,
    /// Since when deferrable work has been held back.
    deferring_since: Option<Instant>,
    /// Catching up on the held-back work after [`RushPolicy::max_wait`], until none is left.
    catching_up: bool,
}

/// A [`RushPolicy`] and where it stands: asked before each round whether deferrable work waits.
pub(crate) struct RushGate {
    policy: RushPolicy,
    rush: Mutex<Rush>,
}

impl RushGate {
    pub(crate) fn new(policy: RushPolicy) -> Self {
        Self {
            policy,
            rush: Mutex::new(Rush::default()),
        }
    }

    /// Whether deferrable work waits this round.
    pub(crate) fn holds_back(&self) -> bool {
        let now = Instant::now();
        let mut rush = self.rush.lock().unwrap_or_else(PoisonError::into_inner);
        if (self.policy.busy)() {
            rush.last_busy = Some(now);
        }
        let rushing = rush
            .last_busy
            .is_some_and(|t| now.duration_since(t) < CALM_AFTER);
        if !rushing {
            rush.deferring_since = None;
            rush.catching_up = false;
            return false;
        }
        if rush.catching_up {
            return false;
        }
        let since = *rush.deferring_since.get_or_insert(now);
        if now.duration_since(since) >= self.policy.max_wait {
            rush.catching_up = true;
            return false;
        }
        true
    }

    /// After a round that left nothing to do: nothing is held back any more, so the next rush
    /// round starts a new wait.
    pub(crate) fn caught_up(&self) {
        let mut rush = self.rush.lock().unwrap_or_else(PoisonError::into_inner);
        rush.catching_up = false;
        rush.deferring_since = None;
    }
}

/// How often a process looks at its own load, and at the deployment's.
const LOOK_EVERY: Duration = Duration::from_millis(100);
/// How often a busy process says so (an update of one row).
const MARK_EVERY: Duration = Duration::from_millis(250);
/// A mark younger than this means some process is busy now.
const MARK_LASTS: Duration = Duration::from_millis(500);
/// A process is busy when it was so at [`SAMPLES_BUSY`] of its last [`SAMPLES`] looks (two
/// seconds): a queue that lasts, not a burst. At 80 % of what the split deployment sells,
/// requests in flight pass `RUSH_IN_FLIGHT` now and then; holding tickets back then and
/// catching up later cost buyers more than it saved (hold p50 4 → 20 ms, tickets 0.5 → 11 s
/// at p99: docs/performance.md).
const SAMPLES: u32 = 20;
const SAMPLES_BUSY: u32 = 18;
const SAMPLES_MASK: u32 = (1 << SAMPLES) - 1;

/// A split deployment's rush, for [`RushPolicy::busy`]: true while any of its processes has
/// been busy by its own measure (the ones serving buyers) for the last two seconds, told through the one row of
/// `outbox_rush` (migrations/postgres/0023_outbox_rush.sql), which every process reads. The
/// mark's age is the database's clock against itself: processes on machines whose clocks
/// differ agree. PostgreSQL only (a split deployment).
pub struct DeploymentRush {
    db: Database,
    locally_busy: Arc<dyn Fn() -> bool + Send + Sync>,
    busy: Arc<AtomicBool>,
}

impl DeploymentRush {
    /// The rush of the deployment sharing `db`, this process being busy when `locally_busy`.
    pub fn new(db: Database, locally_busy: Arc<dyn Fn() -> bool + Send + Sync>) -> Self {
        Self {
            db,
            locally_busy,
            busy: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether the deployment is in a rush, as last seen by [`DeploymentRush::run`].
    pub fn signal(&self) -> Arc<dyn Fn() -> bool + Send + Sync> {
        let busy = self.busy.clone();
        Arc::new(move || busy.load(Ordering::Relaxed))
    }

    /// Says when this process is busy and reads whether any is, until `shutdown`.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut marked: Option<Instant> = None;
        let mut read: Option<Instant> = None;
        // The last samples of `locally_busy`, one bit each, the latest lowest.
        let mut samples: u32 = 0;
        loop {
            samples = (samples << 1) | u32::from((self.locally_busy)());
            let local = (samples & SAMPLES_MASK).count_ones() >= SAMPLES_BUSY;
            if local && marked.is_none_or(|at| at.elapsed() >= MARK_EVERY) {
                marked = Some(Instant::now());
                if let Err(error) = Statement::new(MARK).execute_alone(&self.db).await {
                    tracing::warn!(%error, "cannot tell the deployment that this process is busy");
                }
            }
            if read.is_none_or(|at| at.elapsed() >= MARK_EVERY) {
                read = Some(Instant::now());
                match self.mark_age().await {
                    Ok(age) => self.busy.store(
                        u128::try_from(age).is_ok_and(|micros| micros < MARK_LASTS.as_micros()),
                        Ordering::Relaxed,
                    ),
                    Err(error) => {
                        tracing::warn!(%error, "cannot read whether the deployment is busy");
                    }
                }
            }
            // This process's own load counts at once, without the round trip.
            if local {
                self.busy.store(true, Ordering::Relaxed);
            }
            tokio::select! {
                () = tokio::time::sleep(LOOK_EVERY) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Microseconds since a process last said it was busy.
    async fn mark_age(&self) -> Result<i64, storage::Error> {
        let (age,): (i64,) = Statement::new(MARK_AGE)
            .fetch_one(self.db.read().await?.conn())
            .await?;
        Ok(age)
    }
}

/// This process is busy now (the database's clock, in microseconds).
const MARK: &str =
    "update outbox_rush set busy_at = (extract(epoch from clock_timestamp()) * 1e6)::bigint";

/// How long ago a process last said it was busy.
const MARK_AGE: &str =
    "select (extract(epoch from clock_timestamp()) * 1e6)::bigint - busy_at from outbox_rush";
