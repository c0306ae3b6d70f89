//! The relay against a real SQLite outbox: consumers get slices of messages, a failing
//! message is retried later, and no consumer ever sees a key's messages out of order, in the
//! round of the failure or after it.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kernel::{Clock, ManualClock};
use outbox::{Database, Delivery, Event, Relay, RelayHandle, Subscriber};

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
        &["numbered"]
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

#[tokio::test]
async fn a_failed_message_holds_back_its_key_for_that_consumer_only() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = Database::open_in_dir(dir.path()).await?;
    db.migrate().await?;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let mut tx = db.begin().await?;
    for (n, key) in [(1, "a"), (2, "b"), (3, "b"), (4, "c"), (5, "a")] {
        let event = Numbered { n, key: key.into() };
        outbox::enqueue(tx.conn(), &event, clock.now()).await?;
    }
    tx.commit().await?;

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

    // Still poisoned and not yet due: nothing moves, and 3 does not overtake 2.
    assert_eq!(relay.drain().await?, 0);
    assert_eq!(batching.seen(), vec![1, 4, 5]);

    // After the backoff, with 2 healed, 2 then 3 arrive, in one slice.
    poisoned.store(false, Ordering::SeqCst);
    clock.advance(chrono::Duration::seconds(5));
    assert_eq!(relay.drain().await?, 2);
    assert_eq!(batching.seen(), vec![1, 4, 5, 2, 3]);
    assert_eq!(plain.seen(), vec![1, 4, 5, 2, 3]);
    assert_eq!(
        batching
            .slices
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default(),
        vec![2],
        "the first slice failed whole; the retry is one slice of two"
    );
    Ok(())
}
