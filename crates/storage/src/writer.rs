//! The SQLite writer: one connection, one write transaction at a time, shared by the requests
//! that arrive together (group commit).
//!
//! # The contract
//!
//! * **Who writes.** Every SQLite write transaction runs on this one connection; there is no
//!   other writer of the file. [`Database::write_direct`] is the door: a caller hands over its
//!   work, a synchronous closure over the connection, and gets the closure's answer back.
//!   (sqlx's writer connection is the turn: while a batch holds it, no `Database::begin`
//!   transaction runs, so there is still one writer.)
//! * **How a batch forms.** The first caller to arrive when no batch exists becomes its
//!   *opener*: it waits for the writer's turn, runs `BEGIN IMMEDIATE` and its own work. Callers
//!   that arrive while the batch is open run their work in it at once; callers that arrive while
//!   it waits for the turn wait to join it rather than queueing a batch of their own. Work runs
//!   one closure at a time, each in its own savepoint.
//! * **How a batch ends.** Once the callers that waited for it have joined (the opener yields
//!   at most [`JOIN_WINDOW_YIELDS`] times for them), the opener commits: one `COMMIT`, one WAL
//!   append, for every member. Callers arriving during the commit find no batch and open the
//!   next one. An opener cancelled before its batch opened (a client that hung up) hands its
//!   waiters on: they arrive again and one of them opens a batch. An opener cancelled after
//!   its batch opened still commits it before the turn is given back.
//! * **What a caller gets back.** Its closure's answer, and only after the batch's commit:
//!   [`Direct::Commit`] keeps its writes, [`Direct::Rollback`] undoes them (a refusal); both
//!   answer after the commit, because a refusal may rest on another member's write.
//! * **What a failure does to the others.** A closure that fails (an error) or panics has its
//!   savepoint rolled back; its caller gets the error (or the panic) and the other members are
//!   untouched. A failed `COMMIT` undoes the whole batch and every member gets the error:
//!   nothing any of them wrote was kept.
//!
//! The closures must be short and must not block: they run on an async worker thread while
//! every other writer waits. Tests: `crates/storage/tests/writer.rs`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use crate::Database;
use crate::sqlite::driver_error;

/// How a direct transaction ends.
#[derive(Debug)]
pub enum Direct<R> {
    /// Commit what was written, then answer `R`.
    Commit(R),
    /// Undo what this work wrote, answer `R` (a refusal, or a case left to the general path).
    Rollback(R),
}

impl Database {
    /// Runs `work` as a write transaction on the SQLite writer, in the single writer's queue like
    /// [`Database::begin`], without a hand-off per statement: in a savepoint of a batch that
    /// several requests share and commit together (the module's contract). Its writes are kept if it
    /// returns [`Direct::Commit`] and undone otherwise; either way the answer comes after the
    /// batch's commit. `work` must be short and must not block: it runs on an async worker
    /// thread while every other writer waits.
    ///
    /// # Errors
    /// On PostgreSQL (use the sqlx path; see [`Database::has_direct_writer`]), or when the
    /// connection, a statement or the commit fails (then nothing was written).
    pub async fn write_direct<R>(
        &self,
        work: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<Direct<R>>,
    ) -> Result<R, crate::Error> {
        let Self::Sqlite { writer, direct, .. } = self else {
            return Err(sqlx::Error::Configuration(
                "direct write transactions exist only on SQLite".into(),
            )
            .into());
        };
        let started = Instant::now();
        metrics::counter!("db_direct_transactions_total").increment(1);
        metrics::counter!("db_write_transactions_total").increment(1);
        let mut work = work;
        let mut waited = false;
        let leading = loop {
            match direct.arrive(work, waited).await {
                Arrival::Joined(epoch, mine) => {
                    metrics::histogram!("db_write_wait_seconds")
                        .record(started.elapsed().as_secs_f64());
                    return finish(mine, &epoch).await;
                }
                Arrival::Wait(epoch, w) => {
                    // Another request is taking the writer's turn for a batch: join it once open.
                    work = w;
                    waited = true;
                    let mut phase = epoch.subscribe();
                    let _ = phase.wait_for(|p| !matches!(p, Phase::Opening)).await;
                }
                Arrival::Lead(epoch, w) => {
                    work = w;
                    break Leading {
                        writer: direct,
                        epoch,
                        turn: None,
                    };
                }
            }
        };
        let mut leading = leading;
        // The sqlx writer is the turn: while it is held, no other write transaction runs.
        leading.turn = Some(writer.acquire().await?);
        metrics::histogram!("db_write_wait_seconds").record(started.elapsed().as_secs_f64());
        let mine = direct
            .begin(&leading.epoch, work)
            .await
            .map_err(driver_error)?;
        // Those who waited for this batch join it now; give them the moment it takes.
        for _ in 0..JOIN_WINDOW_YIELDS {
            // (Locked means someone is joining right now.)
            if direct.try_lock().is_some_and(|batch| batch.waiting == 0) {
                break;
            }
            tokio::task::yield_now().await;
        }
        let epoch = leading.epoch.clone();
        drop(leading);
        finish(mine, &epoch).await
    }
}

/// At most how many times the opener of a batch lets other tasks run before committing, while
/// requests that waited for the batch have not joined it yet.
const JOIN_WINDOW_YIELDS: usize = 8;

/// Where a batch is.
#[derive(Debug, Clone)]
enum Phase {
    /// Its opener waits for the writer's turn; others wait to join.
    Opening,
    /// Open: requests join by running their work in it.
    Open,
    /// Committed (or not, with the reason).
    Done(Result<(), String>),
    /// Its opener gave up before it opened (cancelled, or no turn): waiters try again.
    Abandoned,
}

/// A batch's phase, watched by its members.
type Epoch = tokio::sync::watch::Sender<Phase>;

/// What an arriving request does.
enum Arrival<R, W> {
    /// It ran in the open batch.
    Joined(Arc<Epoch>, rusqlite::Result<Direct<R>>),
    /// A batch is opening: wait, then arrive again.
    Wait(Arc<Epoch>, W),
    /// No batch: open one.
    Lead(Arc<Epoch>, W),
}

/// The direct writer connection and the batch (one transaction) it may be running.
///
/// Group commit: every request's work runs inside its own savepoint of the batch's transaction,
/// so a refusal or a failure undoes only that request's writes, and one `COMMIT` (one WAL
/// append, the larger part of a small transaction's cost) serves every member. A request that
/// arrives while a batch is open runs in it at once; one that arrives while a batch waits for
/// the writer's turn waits to join it rather than queueing a batch of its own. No member answers
/// before the commit: not even a refusal, which may rest on another member's write.
#[derive(Debug)]
pub struct DirectWriter {
    batch: Mutex<Batch>,
    /// Signalled whenever [`DirectWriter::lock_async`]'s guard is let go.
    released: tokio::sync::Notify,
}

#[derive(Debug)]
struct Batch {
    /// The connection; taken out while a batch commits (see [`DirectWriter::close`]).
    conn: Option<rusqlite::Connection>,
    /// The batch being opened or open, and whether it is open.
    current: Option<(Arc<Epoch>, bool)>,
    /// Requests waiting to join the current batch.
    waiting: usize,
}

impl DirectWriter {
    pub(crate) fn new(conn: rusqlite::Connection) -> Self {
        Self {
            batch: Mutex::new(Batch {
                conn: Some(conn),
                current: None,
                waiting: 0,
            }),
            released: tokio::sync::Notify::new(),
        }
    }

    /// The batch, waited for by blocking the thread: only where a batch ends, from `Drop`, which
    /// cannot wait asynchronously. It waits at most for one member's work.
    fn lock(&self) -> Held<'_> {
        Held::new(
            self,
            self.batch.lock().unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// The batch, waited for without blocking the thread. A member runs its work under this
    /// lock; with a blocking lock, an async worker that arrived meanwhile slept on the mutex
    /// (a quarter of the server's context switches in a sale, with a core left idle) instead of
    /// serving other requests. A running thread still takes a free lock at once.
    async fn lock_async(&self) -> Held<'_> {
        loop {
            // Registered before trying, so a release between the try and the wait is not missed.
            let released = self.released.notified();
            let mut released = std::pin::pin!(released);
            released.as_mut().enable();
            if let Some(held) = self.try_lock() {
                return held;
            }
            released.await;
        }
    }

    /// The batch if nobody holds it.
    fn try_lock(&self) -> Option<Held<'_>> {
        match self.batch.try_lock() {
            Ok(guard) => Some(Held::new(self, guard)),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(Held::new(self, p.into_inner())),
            Err(std::sync::TryLockError::WouldBlock) => None,
        }
    }

    async fn arrive<R, W: Work<R>>(&self, work: W, waited: bool) -> Arrival<R, W> {
        let mut batch = self.lock_async().await;
        if waited {
            batch.waiting = batch.waiting.saturating_sub(1);
        }
        match batch.current.clone() {
            // An open batch has its connection: `close` takes it only as the batch ends.
            Some((epoch, true)) => match &batch.conn {
                Some(conn) => Arrival::Joined(epoch, in_savepoint(conn, work)),
                None => Arrival::Joined(epoch, Err(connection_away())),
            },
            Some((epoch, false)) => {
                batch.waiting += 1;
                Arrival::Wait(epoch, work)
            }
            None => {
                let epoch = Arc::new(Epoch::new(Phase::Opening));
                batch.current = Some((epoch.clone(), false));
                Arrival::Lead(epoch, work)
            }
        }
    }

    /// Opens the batch `epoch` (its opener holds the writer's turn) and runs `work` in it; the
    /// outer error is the batch's (it did not open), the inner one the work's.
    async fn begin<R>(
        &self,
        epoch: &Arc<Epoch>,
        work: impl Work<R>,
    ) -> rusqlite::Result<rusqlite::Result<Direct<R>>> {
        let mut batch = self.lock_async().await;
        // The turn is handed on only after the previous batch's commit put the connection back.
        let conn = batch.conn.as_ref().ok_or_else(connection_away)?;
        conn.execute_batch("begin immediate")?;
        // Open before the opener's own work runs (nobody joins before this lock is let go): if
        // that work panics, the batch is still ended by the opener's `Leading`, which commits
        // what else joined and leaves no transaction open on the connection for the next one.
        batch.current = Some((epoch.clone(), true));
        epoch.send_replace(Phase::Open);
        let conn = batch.conn.as_ref().ok_or_else(connection_away)?;
        Ok(in_savepoint(conn, work))
    }

    /// Ends the batch `epoch`: commits it if it opened (rolling back if the commit fails),
    /// and tells its members.
    fn close(&self, epoch: &Arc<Epoch>) {
        let mut batch = self.lock();
        let opened = match &batch.current {
            Some((current, open)) if Arc::ptr_eq(current, epoch) => *open,
            _ => return,
        };
        batch.current = None;
        batch.waiting = 0;
        if !opened {
            epoch.send_replace(Phase::Abandoned);
            return;
        }
        // The commit (the WAL write) runs without the lock: requests arriving meanwhile find no
        // batch and wait for the turn asynchronously instead of blocking their threads here.
        let Some(conn) = batch.conn.take() else {
            epoch.send_replace(Phase::Done(Err(connection_away().to_string())));
            return;
        };
        drop(batch);
        let committed = conn.execute_batch("commit");
        if !conn.is_autocommit() {
            // A failed COMMIT can leave the transaction open; the next batch must not inherit it.
            let _ = conn.execute_batch("rollback");
        }
        self.lock().conn = Some(conn);
        metrics::counter!("db_direct_commits_total").increment(1);
        epoch.send_replace(Phase::Done(committed.map_err(|e| e.to_string())));
    }
}

/// [`DirectWriter`]'s batch, locked; letting it go wakes a task waiting in
/// [`DirectWriter::lock_async`].
struct Held<'a> {
    writer: &'a DirectWriter,
    guard: Option<std::sync::MutexGuard<'a, Batch>>,
}

impl<'a> Held<'a> {
    fn new(writer: &'a DirectWriter, guard: std::sync::MutexGuard<'a, Batch>) -> Self {
        Self {
            writer,
            guard: Some(guard),
        }
    }
}

impl std::ops::Deref for Held<'_> {
    type Target = Batch;
    fn deref(&self) -> &Batch {
        self.guard.as_deref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Held<'_> {
    fn deref_mut(&mut self) -> &mut Batch {
        self.guard.as_deref_mut().expect("held until dropped")
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        self.writer.released.notify_one();
    }
}

/// The direct writer's connection is not where it should be: only while a batch commits is it
/// out of [`Batch`], and then nobody holds the turn to use it. Never expected.
fn connection_away() -> rusqlite::Error {
    rusqlite::Error::InvalidParameterName("direct writer connection in use by a commit".into())
}

/// The opener of a batch. Dropping it ends the batch, also when the request is cancelled
/// halfway (a client that hangs up): the commit happens before the turn is given back.
struct Leading<'a> {
    writer: &'a DirectWriter,
    epoch: Arc<Epoch>,
    turn: Option<sqlx::pool::PoolConnection<sqlx::Sqlite>>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.writer.close(&self.epoch);
        drop(self.turn.take());
    }
}

/// The work of one request in a direct transaction.
trait Work<R>: FnOnce(&rusqlite::Connection) -> rusqlite::Result<Direct<R>> {}

impl<R, F: FnOnce(&rusqlite::Connection) -> rusqlite::Result<Direct<R>>> Work<R> for F {}

/// Runs `work` inside a savepoint: kept if it asks to commit, undone otherwise.
fn in_savepoint<R>(c: &rusqlite::Connection, work: impl Work<R>) -> rusqlite::Result<Direct<R>> {
    c.execute_batch("savepoint member")?;
    // A panic in the work must not leave its half-done writes in the batch for others' commit.
    let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(c))) {
        Ok(outcome) => outcome,
        Err(panic) => {
            let _ = c.execute_batch("rollback to member; release member");
            std::panic::resume_unwind(panic);
        }
    };
    let keep = matches!(outcome, Ok(Direct::Commit(_)));
    let end = if keep {
        "release member"
    } else {
        "rollback to member; release member"
    };
    c.execute_batch(end)?;
    outcome
}

/// A member's answer once its batch is committed; a failed member answers at once.
async fn finish<R>(mine: rusqlite::Result<Direct<R>>, epoch: &Epoch) -> Result<R, crate::Error> {
    let mine = mine.map_err(driver_error)?;
    let mut phase = epoch.subscribe();
    let done = phase
        .wait_for(|p| matches!(p, Phase::Done(_)))
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
        .clone();
    if let Phase::Done(Err(e)) = done {
        return Err(sqlx::Error::AnyDriverError(e.into()).into());
    }
    Ok(match mine {
        Direct::Commit(r) | Direct::Rollback(r) => r,
    })
}
