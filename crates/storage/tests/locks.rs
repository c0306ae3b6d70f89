//! Who waits for whom among write transactions, on the backend the tests run on: `begin_beside`
//! transactions of different keys run side by side on PostgreSQL (one after the other on
//! SQLite's single writer), one key's wait for each other, and no other write transaction runs
//! beside any of them.
//!
//! On SQLite a transaction that waited for the writer joins the batch of the one it waited
//! for, which commits both (group commit, `writer.rs`): the two are ended together here, as
//! two requests would be, not one after the other by one task.

use std::time::Duration;

use storage::{Backend, LockKey, Tx};

/// Long enough for a transaction that could start to have started.
const PATIENCE: Duration = Duration::from_millis(500);

/// Starts `begin` and reports whether it was granted within [`PATIENCE`]; if not, the returned
/// handle finishes it once the way is clear.
async fn starts_at_once<F>(
    begin: F,
) -> anyhow::Result<(bool, tokio::task::JoinHandle<Result<Tx, storage::Error>>)>
where
    F: std::future::Future<Output = Result<Tx, storage::Error>> + Send + 'static,
{
    let mut task = tokio::spawn(begin);
    match tokio::time::timeout(PATIENCE, &mut task).await {
        Ok(done) => {
            let tx = done??;
            Ok((true, tokio::spawn(async move { Ok(tx) })))
        }
        Err(_) => Ok((false, task)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beside_transactions_wait_only_for_their_key_and_for_exclusive_ones() -> anyhow::Result<()>
{
    let test = testkit::TestDatabase::open().await?;
    let db = test.db.clone();
    let postgres = db.backend() == Backend::Postgres;
    let (alice, bob) = (
        LockKey::new("cart-of-user", "alice"),
        LockKey::new("cart-of-user", "bob"),
    );

    // Different keys: side by side on PostgreSQL, one after the other on SQLite.
    let first = db.begin_beside(alice).await?;
    let other = db.clone();
    let (at_once, second) = starts_at_once(async move { other.begin_beside(bob).await }).await?;
    assert_eq!(
        at_once, postgres,
        "a second key starts at once only on PostgreSQL"
    );
    end_both(first, second).await?;

    // The same key: the second waits until the first ends, on both backends.
    let first = db.begin_beside(alice).await?;
    let other = db.clone();
    let (at_once, second) = starts_at_once(async move { other.begin_beside(alice).await }).await?;
    assert!(!at_once, "one key's transactions run one after the other");
    end_both(first, second).await?;

    // An exclusive transaction waits for a beside one, and a beside one for an exclusive one.
    let beside = db.begin_beside(alice).await?;
    let other = db.clone();
    let (at_once, exclusive) = starts_at_once(async move { other.begin().await }).await?;
    assert!(!at_once, "an exclusive transaction waits for a beside one");
    let beside_ended = tokio::spawn(beside.commit());
    let exclusive = exclusive.await??;
    let other = db.clone();
    let (at_once, beside) = starts_at_once(async move { other.begin_beside(bob).await }).await?;
    assert!(!at_once, "a beside transaction waits for an exclusive one");
    end_both(exclusive, beside).await?;
    beside_ended.await??;
    Ok(())
}

/// Commits `first`, and `second` once it has begun, side by side.
async fn end_both(
    first: Tx,
    second: tokio::task::JoinHandle<Result<Tx, storage::Error>>,
) -> anyhow::Result<()> {
    let (first, second) = tokio::join!(first.commit(), async move {
        second.await?.map_err(anyhow::Error::from)?.commit().await?;
        anyhow::Ok(())
    });
    first?;
    second
}

#[test]
fn a_lock_key_is_the_same_in_every_build_and_tells_kinds_apart() {
    // Processes of different builds share one database: the hash must never change
    // (FNV-1a of the kind, a zero byte and the id).
    assert_eq!(
        LockKey::new("cart-of-user", "alice").id(),
        5_122_554_123_783_473_333
    );
    assert_ne!(
        LockKey::new("cart-of-user", "alice"),
        LockKey::new("cart-of-guest", "alice")
    );
    assert_ne!(LockKey::new("ab", "c"), LockKey::new("a", "bc"));
}
