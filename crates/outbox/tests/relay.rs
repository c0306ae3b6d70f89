//! The relay against a real outbox (the backend of `TEST_DATABASE`): consumers get slices of
//! messages, side by side; a failing message is retried later, and no consumer ever sees a
//! key's messages out of order, in the round of the failure or after it.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kernel::{Clock, ManualClock};
use outbox::{Delivery, Relay, RelayHandle, RushPolicy, Subscriber};
use storage::Event;

#[derive(Serialize, Deserialize)]
struct Numbered {
    n: u32,
    key: String,
}

impl Event for Numbered {
    const TOPIC: &'static str = "numbered";
    fn key(&self) -> String {
        self.key.clone()
    }
}

/// A [`Numbered`] whose consumers may get it after a rush.
#[derive(Serialize)]
#[serde(transparent)]
struct Deferrable(Numbered);

impl Event for Deferrable {
    const TOPIC: &'static str = "numbered-later";
    const DEFERRABLE: bool = true;
    fn key(&self) -> String {
        self.0.key.clone()
    }
}

/// Records the numbers it handled; message 2 fails while `poisoned`. With `batches`, a slice
/// is all or nothing, as a consumer's single transaction is; without, it is the trait's
/// default (one by one, stopping at the first failure).
struct Recorder {
    name: &'static str,
    batches: bool,
    poisoned: Arc<AtomicBool>,
    seen: Mutex<Vec<u32>>,
    slices: Mutex<Vec<usize>>,
}

impl Recorder {
    fn new(name: &'static str, batches: bool, poisoned: &Arc<AtomicBool>) -> Arc<Self> {
        Arc::new(Self {
            name,
            batches,
            poisoned: poisoned.clone(),
            seen: Mutex::new(Vec::new()),
            slices: Mutex::new(Vec::new()),
        })
    }

    fn number(&self, d: &Delivery) -> anyhow::Result<u32> {
        let n = d.parse::<Numbered>()?.n;
        anyhow::ensure!(
            !(n == 2 && self.poisoned.load(Ordering::SeqCst)),
            "message 2 is poisoned"
        );
        Ok(n)
    }

    fn seen(&self) -> Vec<u32> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }

    fn topics(&self) -> &'static [&'static str] {
        &["numbered", "numbered-later"]
    }

    /// Idempotent, as real consumers are (they record message ids in their transaction).
    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        let n = self.number(d)?;
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned lock"))?;
        if !seen.contains(&n) {
            seen.push(n);
        }
        Ok(())
    }

    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        if !self.batches {
            for d in deliveries {
                self.handle(d).await?;
            }
            return Ok(());
        }
        let numbers = deliveries
            .iter()
            .map(|d| self.number(d))
            .collect::<anyhow::Result<Vec<u32>>>()?;
        self.slices
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned lock"))?
            .push(numbers.len());
        self.seen
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned lock"))?
            .extend(numbers);
        Ok(())
    }
}

/// Commits [`Numbered`] events `(n, key)` to the outbox in one transaction.
async fn write(
    db: &storage::Database,
    clock: &ManualClock,
    events: &[(u32, &str)],
) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    for &(n, key) in events {
        let event = Numbered { n, key: key.into() };
        storage::enqueue(tx.conn(), &event, clock.now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[tokio::test]
async fn a_failed_message_holds_back_its_key_for_that_consumer_only() -> anyhow::Result<()> {
    let outbox = testkit::TestDatabase::open().await?;
    let db = &outbox.db;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    write(
        db,
        &clock,
        &[(1, "a"), (2, "b"), (3, "b"), (4, "c"), (5, "a")],
    )
    .await?;

    let poisoned = Arc::new(AtomicBool::new(true));
    let batching = Recorder::new("batching", true, &poisoned);
    let plain = Recorder::new("plain", false, &poisoned);
    let mut relay = Relay::new(db.clone(), clock.clone(), RelayHandle::default());
    relay.subscribe(batching.clone());
    relay.subscribe(plain.clone());

    // The slice fails on 2: one by one, 2 fails and 3 (same key) waits; the others go.
    assert_eq!(
        relay.drain().await?,
        3,
        "1, 4 and 5 are delivered everywhere"
    );
    assert_eq!(batching.seen(), vec![1, 4, 5]);
    assert_eq!(plain.seen(), vec![1, 4, 5]);

    // Still poisoned and not yet due: nothing moves, and 3 does not overtake 2. Nor does 6,
    // of the same key, written after the failure (so not pushed back with 3): it is due now.
    write(db, &clock, &[(6, "b")]).await?;
    assert_eq!(relay.drain().await?, 0);
    assert_eq!(batching.seen(), vec![1, 4, 5]);
    assert_eq!(plain.seen(), vec![1, 4, 5]);

    // A relay that takes over (another process, or this one after a restart) knows it too:
    // it holds back 7, written after that.
    write(db, &clock, &[(7, "b")]).await?;
    let mut successor = Relay::new(db.clone(), clock.clone(), RelayHandle::default());
    successor.subscribe(batching.clone());
    successor.subscribe(plain.clone());
    assert_eq!(successor.drain().await?, 0);
    assert_eq!(batching.seen(), vec![1, 4, 5]);

    // After the backoff, with 2 healed, 2, 3, 6 and 7 arrive in order, in one slice.
    poisoned.store(false, Ordering::SeqCst);
    clock.advance(chrono::Duration::seconds(5));
    assert_eq!(relay.drain().await?, 4);
    assert_eq!(batching.seen(), vec![1, 4, 5, 2, 3, 6, 7]);
    assert_eq!(plain.seen(), vec![1, 4, 5, 2, 3, 6, 7]);
    assert_eq!(
        batching
            .slices
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default(),
        vec![4],
        "the first slice failed whole; the retry is one slice of four"
    );
    Ok(())
}

#[tokio::test]
async fn a_deferrable_message_waits_out_a_rush_but_not_longer_than_its_bound() -> anyhow::Result<()>
{
    let outbox = testkit::TestDatabase::open().await?;
    let db = &outbox.db;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let enqueue = |n: u32, later: bool| {
        let (db, now) = (db.clone(), clock.now());
        async move {
            let event = Numbered {
                n,
                key: format!("k{n}"),
            };
            let mut tx = db.begin().await?;
            if later {
                storage::enqueue(tx.conn(), &Deferrable(event), now).await?;
            } else {
                storage::enqueue(tx.conn(), &event, now).await?;
            }
            tx.commit().await?;
            anyhow::Ok(())
        }
    };
    enqueue(1, false).await?;
    enqueue(2, true).await?;
    enqueue(3, false).await?;

    let busy = Arc::new(AtomicBool::new(true));
    let recorder = Recorder::new("recorder", true, &Arc::new(AtomicBool::new(false)));
    let relay = |max_wait| {
        let mut relay = Relay::new(db.clone(), clock.clone(), RelayHandle::default());
        relay.subscribe(recorder.clone());
        let signal = busy.clone();
        relay.defer_in_rush(RushPolicy {
            busy: Arc::new(move || signal.load(Ordering::SeqCst)),
            max_wait,
        });
        relay
    };

    // In a rush, the deferrable 2 waits; 3, written after it, does not wait behind it.
    let short = std::time::Duration::from_millis(400);
    let relay_short = relay(short);
    assert_eq!(relay_short.drain().await?, 2);
    assert_eq!(recorder.seen(), vec![1, 3]);
    assert_eq!(relay_short.drain().await?, 0, "still within its bound");

    // The rush goes on past the bound: 2 goes anyway.
    tokio::time::sleep(short).await;
    assert_eq!(relay_short.drain().await?, 1);
    assert_eq!(recorder.seen(), vec![1, 3, 2]);

    // Caught up, the next deferrable message waits a bound of its own.
    enqueue(4, true).await?;
    assert_eq!(relay_short.drain().await?, 0);

    // With a long bound, it goes soon after the rush ends.
    let relay_long = relay(std::time::Duration::from_secs(600));
    assert_eq!(relay_long.drain().await?, 0);
    busy.store(false, Ordering::SeqCst);
    let started = std::time::Instant::now();
    while recorder.seen().len() < 4 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "4 was not delivered after the rush: {:?}",
            recorder.seen()
        );
        relay_long.drain().await?;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(recorder.seen(), vec![1, 3, 2, 4]);
    db.close().await;
    Ok(())
}

/// A consumer that handles a slice only once the other one has started on its own: it can
/// finish only if the relay hands the round to both at the same time.
struct Meeting {
    name: &'static str,
    both_started: Arc<tokio::sync::Barrier>,
    handled: Mutex<usize>,
}

#[async_trait::async_trait]
impl Subscriber for Meeting {
    fn name(&self) -> &'static str {
        self.name
    }

    fn topics(&self) -> &'static [&'static str] {
        &["numbered"]
    }

    async fn handle(&self, d: &Delivery) -> anyhow::Result<()> {
        self.handle_batch(&[d]).await
    }

    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.both_started.wait())
            .await
            .map_err(|_| anyhow::anyhow!("{}: the other consumer never started", self.name))?;
        *self
            .handled
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned lock"))? += deliveries.len();
        Ok(())
    }
}

#[tokio::test]
async fn the_consumers_of_a_round_work_side_by_side() -> anyhow::Result<()> {
    let outbox = testkit::TestDatabase::open().await?;
    let db = &outbox.db;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    write(db, &clock, &[(1, "k1"), (2, "k2"), (3, "k3")]).await?;

    let both_started = Arc::new(tokio::sync::Barrier::new(2));
    let meeting = |name| {
        Arc::new(Meeting {
            name,
            both_started: both_started.clone(),
            handled: Mutex::new(0),
        })
    };
    let (first, second) = (meeting("first"), meeting("second"));
    let mut relay = Relay::new(db.clone(), clock.clone(), RelayHandle::default());
    relay.subscribe(first.clone());
    relay.subscribe(second.clone());

    assert_eq!(relay.drain().await?, 3, "one consumer waited for the other");
    for consumer in [&first, &second] {
        assert_eq!(
            *consumer.handled.lock().unwrap_or_else(|e| e.into_inner()),
            3
        );
    }
    db.close().await;
    Ok(())
}

#[tokio::test]
async fn a_message_that_always_fails_is_parked_and_its_key_goes_on() -> anyhow::Result<()> {
    let outbox = testkit::TestDatabase::open().await?;
    let db = &outbox.db;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    write(db, &clock, &[(1, "a"), (2, "b"), (3, "b")]).await?;
    let poisoned = Arc::new(AtomicBool::new(true));
    let recorder = Recorder::new("recorder", true, &poisoned);
    let mut relay = Relay::new(db.clone(), clock.clone(), RelayHandle::default());
    relay.subscribe(recorder.clone());

    // Every round after its backoff, 2 fails again; 3 waits behind it.
    let mut rounds = 0;
    while outbox::parked_messages(db, 10).await?.is_empty() {
        relay.drain().await?;
        clock.advance(chrono::Duration::seconds(61));
        rounds += 1;
        assert!(
            rounds <= outbox::MAX_ATTEMPTS,
            "still retried after {rounds} rounds"
        );
        if rounds < outbox::MAX_ATTEMPTS {
            assert!(
                !recorder.seen().contains(&3),
                "3 overtook 2 in round {rounds}"
            );
        }
    }
    assert_eq!(rounds, outbox::MAX_ATTEMPTS);

    // Parked with its error, out of the queue: the rest of its key goes on.
    let parked = outbox::parked_messages(db, 10).await?;
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].topic, "numbered");
    assert_eq!(parked[0].key, "b");
    assert_eq!(parked[0].payload["n"], 2);
    assert_eq!(parked[0].attempts, outbox::MAX_ATTEMPTS);
    assert!(
        parked[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("message 2 is poisoned")),
        "{:?}",
        parked[0].last_error
    );
    relay.drain().await?;
    assert_eq!(recorder.seen(), vec![1, 3]);
    assert_eq!(relay.drain().await?, 0, "nothing is retried any more");

    // Put back by the operator once healed, it is delivered.
    poisoned.store(false, Ordering::SeqCst);
    assert!(outbox::unpark(db, parked[0].message_id, clock.now()).await?);
    assert_eq!(relay.drain().await?, 1);
    assert_eq!(recorder.seen(), vec![1, 3, 2]);
    assert!(outbox::parked_messages(db, 10).await?.is_empty());
    Ok(())
}
