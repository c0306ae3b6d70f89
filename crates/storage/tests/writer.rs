//! The SQLite writer (`crates/storage/src/writer.rs`) alone, on a real database file: each
//! member's outcome is its own (kept, undone, failed, panicked), a row many members race for goes
//! to exactly one, members waiting for the writer leave their threads to other tasks, a member
//! cancelled while it waits leaves nothing stuck, and a failed commit fails every member and
//! keeps nothing. Members are write transactions (`Database::begin`), as the stores use them.

use std::sync::Arc;
use std::time::Duration;

use storage::{Database, Statement, Tx};

async fn database(dir: &tempfile::TempDir) -> anyhow::Result<Arc<Database>> {
    let db = Database::open_in_dir(dir.path()).await?;
    let mut tx = db.begin().await?;
    Statement::new("create table t (k integer primary key, who integer not null)")
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(Arc::new(db))
}

/// A member that inserts the row `(k, who)` and is left open for the caller to end.
async fn insert(db: &Database, k: i64, who: i64) -> Result<Tx, storage::Error> {
    let mut tx = db.begin().await?;
    Statement::new("insert into t (k, who) values ($1, $2)")
        .bind(k)
        .bind(who)
        .execute(tx.conn())
        .await?;
    Ok(tx)
}

async fn count(db: &Database, sql: &'static str) -> anyhow::Result<i64> {
    let (n,): (i64,) = Statement::new(sql)
        .fetch_one(db.read().await?.conn())
        .await?;
    Ok(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_member_of_a_group_commit_keeps_its_own_outcome() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300_i64 {
        let db = db.clone();
        tasks.spawn(async move {
            let outcome = async {
                let tx = insert(&db, i, i).await?;
                match i % 3 {
                    0 => tx.commit().await?,
                    1 => tx.rollback().await?,
                    // A failure after a write: the member is dropped, its savepoint undone.
                    _ => anyhow::bail!("member {i} fails"),
                }
                anyhow::Ok(())
            }
            .await;
            (i, outcome.is_ok())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (i, ok) = done?;
        assert_eq!(
            ok,
            i % 3 != 2,
            "member {i}: only the failing ones report an error"
        );
    }
    assert_eq!(count(&db, "select count(*) from t").await?, 100);
    assert_eq!(
        count(&db, "select count(*) from t where k % 3 != 0").await?,
        0
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_many_members_race_for_goes_to_exactly_one() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for who in 0..200_i64 {
        let db = db.clone();
        tasks.spawn(async move {
            let mut tx = db.begin().await?;
            let won =
                Statement::new("insert into t (k, who) values (1, $1) on conflict do nothing")
                    .bind(who)
                    .execute(tx.conn())
                    .await?
                    == 1;
            if won {
                tx.commit().await?;
                anyhow::Ok(who)
            } else {
                tx.rollback().await?;
                anyhow::Ok(-1)
            }
        });
    }
    let mut winners = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let who = done??;
        if who >= 0 {
            winners.push(who);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one member wins the row");
    assert_eq!(
        count(&db, "select who from t where k = 1").await?,
        winners[0]
    );
    Ok(())
}

/// While one member's work runs, others that arrive wait for the batch without blocking their
/// async worker threads: here, with both workers of the runtime busy (one running a slow member,
/// the other given twenty members to run), a plain task still gets to run and lets the slow
/// member finish. A member blocking its thread on the batch's lock would leave no worker for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_waiting_for_the_batch_leave_their_threads_to_other_tasks() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (started, has_started) = tokio::sync::oneshot::channel::<()>();
    let slow = {
        let db = db.clone();
        tokio::spawn(async move {
            let tx = insert(&db, 0, 0).await?;
            let _ = started.send(());
            // Blocks this worker thread, holding the writer, until the plain task below has run.
            let let_go = released.recv_timeout(Duration::from_secs(5)).is_ok();
            tx.commit().await?;
            anyhow::Ok(let_go)
        })
    };
    has_started.await?;
    let mut others = tokio::task::JoinSet::new();
    for i in 1..=20_i64 {
        let db = db.clone();
        others.spawn(async move { insert(&db, i, i).await?.commit().await });
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::spawn(async move { release.send(()) });
    assert!(
        slow.await??,
        "the plain task ran while members waited for the batch"
    );
    while let Some(done) = others.join_next().await {
        done??;
    }
    assert_eq!(count(&db, "select count(*) from t").await?, 21);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_opener_hands_its_waiters_on_and_leaves_the_writer_free() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    // The writer is held by a member: the next ones must wait for their turn.
    let blocker = db.begin().await?;
    let opener = {
        let db = db.clone();
        tokio::spawn(async move { insert(&db, 1, 1).await?.commit().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waiter = {
        let db = db.clone();
        tokio::spawn(async move { insert(&db, 2, 2).await?.commit().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The first waiter's request goes away while it waits for the turn (a client hanging up).
    opener.abort();
    assert!(opener.await.is_err_and(|e| e.is_cancelled()));
    drop(blocker);
    // The blocker's batch ends with it; the waiter opens a batch of its own and commits.
    tokio::time::timeout(Duration::from_secs(5), waiter).await???;
    assert_eq!(count(&db, "select count(*) from t where k = 2").await?, 1);
    assert_eq!(count(&db, "select count(*) from t where k = 1").await?, 0);
    // Nothing was left open: an ordinary transaction gets the writer at once.
    let tx = tokio::time::timeout(Duration::from_secs(2), db.begin()).await??;
    tx.commit().await?;
    Ok(())
}

/// A member's work that panics is undone alone: its own savepoint is rolled back, its task gets
/// the panic, and the writer goes on. Here the panicking member is a batch's opener (nothing else
/// is in flight when it arrives) and then a member that joined an open batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_member_is_undone_alone_and_the_writer_goes_on() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    let panicking = |db: Arc<Database>, k: i64| {
        tokio::spawn(async move {
            let _member = insert(&db, k, 0).await?;
            if k > 0 {
                panic!("member {k} fails halfway");
            }
            Ok::<(), storage::Error>(())
        })
    };
    let alone = panicking(db.clone(), 1).await;
    assert!(
        alone.is_err_and(|e| e.is_panic()),
        "the opener's task gets its panic"
    );

    let mut tasks = tokio::task::JoinSet::new();
    for k in 10..60_i64 {
        let db = db.clone();
        tasks.spawn(async move { insert(&db, k, k).await?.commit().await });
    }
    let among = panicking(db.clone(), 2).await;
    assert!(among.is_err_and(|e| e.is_panic()));
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    // Nothing of either panicking member was kept; everything of the others was.
    assert_eq!(count(&db, "select count(*) from t where k < 10").await?, 0);
    assert_eq!(count(&db, "select count(*) from t").await?, 50);
    tokio::time::timeout(Duration::from_secs(5), async {
        insert(&db, 100, 100).await?.commit().await?;
        anyhow::Ok(())
    })
    .await??;
    Ok(())
}

/// A batch whose `COMMIT` fails keeps nothing, and every member is told: here one member's row
/// breaks a foreign key checked only at commit (deferred), in a batch it shares with the members
/// that waited to join it. The writer is then free for the next batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_fails_every_member_and_keeps_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    let mut tx = db.begin().await?;
    Statement::new("create table parent (id integer primary key)")
        .execute(tx.conn())
        .await?;
    Statement::new(
        "create table child (id integer primary key,
             parent integer references parent (id) deferrable initially deferred)",
    )
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    // An ordinary transaction opens the batch and holds the writer: the orphan's writer and
    // the members queue for their turn, and join the batch when it lets the writer go.
    let blocker = db.begin().await?;
    let orphan = {
        let db = db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await?;
            // An orphan: accepted now, refused by the commit.
            Statement::new("insert into child (id, parent) values (1, 404)")
                .execute(tx.conn())
                .await?;
            tx.commit().await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut members = tokio::task::JoinSet::new();
    for k in 10..20_i64 {
        let db = db.clone();
        members.spawn(async move { insert(&db, k, k).await?.commit().await });
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        blocker.rollback().await.is_err(),
        "the opener, though it kept nothing itself, is told the batch's commit failed"
    );
    assert!(
        orphan.await?.is_err(),
        "the member whose row broke the commit is told"
    );
    let mut failed = 0;
    while let Some(done) = members.join_next().await {
        failed += usize::from(done?.is_err());
    }
    assert_eq!(failed, 10, "every member of the failed batch is told");
    assert_eq!(count(&db, "select count(*) from t").await?, 0);
    assert_eq!(count(&db, "select count(*) from child").await?, 0);
    insert(&db, 100, 100).await?.commit().await?;
    assert_eq!(count(&db, "select count(*) from t").await?, 1);
    Ok(())
}
