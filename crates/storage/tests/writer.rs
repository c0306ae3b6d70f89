//! The SQLite writer (`crates/storage/src/writer.rs`) alone, on a real database file: each
//! member's outcome is its own (kept, undone, failed, panicked), a row many members race for goes
//! to exactly one, members waiting for the batch leave their threads to other tasks, an opener
//! cancelled before its batch opened leaves nothing stuck, a failed commit fails every member and
//! keeps nothing, and a consumer's messages are applied once each across a refusal and a
//! redelivery.

use std::sync::Arc;
use std::time::Duration;

use storage::{Database, Direct};

async fn database(dir: &tempfile::TempDir) -> anyhow::Result<Arc<Database>> {
    let db = Database::open_in_dir(dir.path()).await?;
    db.write_direct(|c| {
        c.execute_batch("create table t (k integer primary key, who integer not null)")?;
        Ok(Direct::Commit(()))
    })
    .await?;
    Ok(Arc::new(db))
}

fn count(db: &Database, sql: &str) -> anyhow::Result<i64> {
    let found = db
        .read_direct(|c| c.query_row(sql, [], |r| r.get(0)))
        .ok_or_else(|| anyhow::anyhow!("a SQLite database has direct readers"))??;
    Ok(found)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_member_of_a_group_commit_keeps_its_own_outcome() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300_i64 {
        let db = db.clone();
        tasks.spawn(async move {
            let outcome = db
                .write_direct(|c| {
                    c.execute("insert into t (k, who) values (?1, ?1)", [i])?;
                    Ok(match i % 3 {
                        0 => Direct::Commit(i),
                        1 => Direct::Rollback(i),
                        // A failure after a write: the member's savepoint undoes it.
                        _ => return Err(rusqlite::Error::QueryReturnedNoRows),
                    })
                })
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
    assert_eq!(count(&db, "select count(*) from t")?, 100);
    assert_eq!(count(&db, "select count(*) from t where k % 3 != 0")?, 0);
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
            db.write_direct(|c| {
                let won = c.execute(
                    "insert into t (k, who) values (1, ?1) on conflict do nothing",
                    [who],
                )? == 1;
                Ok(if won {
                    Direct::Commit(who)
                } else {
                    Direct::Rollback(-1)
                })
            })
            .await
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
    assert_eq!(count(&db, "select who from t where k = 1")?, winners[0]);
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
            db.write_direct(move |c| {
                let _ = started.send(());
                // Blocks this worker thread until the plain task below has run.
                let let_go = released.recv_timeout(Duration::from_secs(5)).is_ok();
                c.execute("insert into t (k, who) values (0, 0)", [])?;
                Ok(Direct::Commit(let_go))
            })
            .await
        })
    };
    has_started.await?;
    let mut others = tokio::task::JoinSet::new();
    for i in 1..=20_i64 {
        let db = db.clone();
        others.spawn(async move {
            db.write_direct(move |c| {
                c.execute("insert into t (k, who) values (?1, ?1)", [i])?;
                Ok(Direct::Commit(()))
            })
            .await
        });
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
    assert_eq!(count(&db, "select count(*) from t")?, 21);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_opener_hands_its_waiters_on_and_leaves_the_writer_free() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    // Hold the writer's turn with an ordinary transaction: the next direct write must wait.
    let blocker = db.begin().await?;
    let opener = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write_direct(|c| {
                c.execute("insert into t (k, who) values (1, 1)", [])?;
                Ok(Direct::Commit(()))
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waiter = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write_direct(|c| {
                c.execute("insert into t (k, who) values (2, 2)", [])?;
                Ok(Direct::Commit(()))
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The opener's request goes away while it waits for the turn (a client hanging up).
    opener.abort();
    assert!(opener.await.is_err_and(|e| e.is_cancelled()));
    drop(blocker);
    // The waiter opens a batch of its own and commits.
    tokio::time::timeout(Duration::from_secs(5), waiter).await???;
    assert_eq!(count(&db, "select count(*) from t where k = 2")?, 1);
    assert_eq!(count(&db, "select count(*) from t where k = 1")?, 0);
    // Nothing was left open: an ordinary transaction gets the writer at once.
    let tx = tokio::time::timeout(Duration::from_secs(2), db.begin()).await??;
    tx.commit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_on_the_direct_writer_applies_each_message_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    db.migrate().await?;
    let messages: Vec<(kernel::MessageId, i64)> =
        (0..40).map(|i| (kernel::MessageId::new(), i)).collect();
    // Applying a message inserts its row: applying it twice would break the primary key.
    let apply = |refuse: Option<i64>| {
        move |c: &rusqlite::Connection, &i: &i64| {
            c.execute("insert into t (k, who) values (?1, 0)", [i])?;
            anyhow::ensure!(Some(i) != refuse, "message {i} refused");
            Ok(())
        }
    };
    let first = storage::consume_direct(&db, "test", &messages, apply(Some(20)))
        .await
        .ok_or_else(|| anyhow::anyhow!("a SQLite database has a direct writer"))?;
    assert!(first.is_err(), "the refusal is reported");
    // The pieces before the refused message are kept; its own piece (with the rows it wrote
    // before the refusal) is undone; nothing after it ran.
    assert_eq!(count(&db, "select count(*) from t where k = 0")?, 1);
    assert_eq!(count(&db, "select count(*) from t where k >= 20")?, 0);
    let kept = count(&db, "select count(*) from t")?;
    assert_eq!(
        count(
            &db,
            "select count(*) from outbox_processed where consumer = 'test'"
        )?,
        kept,
        "exactly the kept messages are marked handled"
    );

    // The relay hands everything over again: the kept ones are skipped by their marks.
    storage::consume_direct(&db, "test", &messages, apply(None))
        .await
        .ok_or_else(|| anyhow::anyhow!("a SQLite database has a direct writer"))??;
    assert_eq!(count(&db, "select count(*) from t")?, 40);
    assert_eq!(
        count(
            &db,
            "select count(*) from outbox_processed where consumer = 'test'"
        )?,
        40
    );
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
            db.write_direct(|c| {
                c.execute("insert into t (k, who) values (?1, 0)", [k])?;
                panic!("member {k} fails halfway");
                #[allow(unreachable_code)]
                Ok(Direct::Commit(()))
            })
            .await
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
        tasks.spawn(async move {
            db.write_direct(|c| {
                c.execute("insert into t (k, who) values (?1, ?1)", [k])?;
                Ok(Direct::Commit(()))
            })
            .await
        });
    }
    let among = panicking(db.clone(), 2).await;
    assert!(among.is_err_and(|e| e.is_panic()));
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    // Nothing of either panicking member was kept; everything of the others was.
    assert_eq!(count(&db, "select count(*) from t where k < 10")?, 0);
    assert_eq!(count(&db, "select count(*) from t")?, 50);
    let after = tokio::time::timeout(
        Duration::from_secs(5),
        db.write_direct(|c| {
            c.execute("insert into t (k, who) values (100, 100)", [])?;
            Ok(Direct::Commit(()))
        }),
    )
    .await?;
    after?;
    Ok(())
}

/// A batch whose `COMMIT` fails keeps nothing, and every member is told: here one member's row
/// breaks a foreign key checked only at commit (deferred), in a batch it shares with the members
/// that waited to join it. The writer is then free for the next batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_fails_every_member_and_keeps_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = database(&dir).await?;
    db.write_direct(|c| {
        c.execute_batch(
            "create table parent (id integer primary key);
             create table child (id integer primary key,
                 parent integer references parent (id) deferrable initially deferred)",
        )?;
        Ok(Direct::Commit(()))
    })
    .await?;
    // An ordinary transaction opens the batch and holds the writer: the orphan's writer and
    // the members queue for their turn, and join the batch when it lets the writer go.
    let blocker = db.begin().await?;
    let orphan = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write_direct(|c| {
                // An orphan: accepted now, refused by the commit.
                c.execute("insert into child (id, parent) values (1, 404)", [])?;
                Ok(Direct::Commit(()))
            })
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut members = tokio::task::JoinSet::new();
    for k in 10..20_i64 {
        let db = db.clone();
        members.spawn(async move {
            db.write_direct(|c| {
                c.execute("insert into t (k, who) values (?1, ?1)", [k])?;
                Ok(Direct::Commit(()))
            })
            .await
        });
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
    assert_eq!(count(&db, "select count(*) from t")?, 0);
    assert_eq!(count(&db, "select count(*) from child")?, 0);
    db.write_direct(|c| {
        c.execute("insert into t (k, who) values (100, 100)", [])?;
        Ok(Direct::Commit(()))
    })
    .await?;
    assert_eq!(count(&db, "select count(*) from t")?, 1);
    Ok(())
}
