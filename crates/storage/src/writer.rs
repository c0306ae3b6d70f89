//! The SQLite writer: one connection, one write transaction at a time, shared by the requests
//! that arrive together (group commit).
//!
//! # The contract
//!
//! * **Who writes.** Every SQLite write transaction runs on this one connection; there is no
//!   other writer of the file. [`Database::begin`](crate::Database::begin) is the door: it
//!   hands out a [`SqliteTx`], a *member* of the batch, which holds the connection until it
//!   commits or rolls back and may await between its statements (a port's answer, say).
//! * **How a batch forms.** Members take the connection in the order they asked for it (a fair
//!   queue). The first to take it when no batch is open is the batch's *opener*: it runs
//!   `BEGIN IMMEDIATE`. Each member works inside a savepoint of its own in the batch's one
//!   transaction; those that queued while a batch was open join it when their turn comes.
//! * **How a batch ends.** When the opener has finished its own work, it gives the connection
//!   to those queued behind it, so that they join, and asks for it once more: then it commits
//!   the batch — one `COMMIT`, one WAL append, for every member. Those who asked after the
//!   opener find no batch and open the next one. An opener that is dropped or cancelled
//!   commits the batch at once if it holds the connection, and otherwise leaves the commit to
//!   whoever holds it next ([`State::close_pending`]), before that one does anything else.
//! * **What a caller gets back.** [`SqliteTx::commit`] answers once the batch is committed:
//!   `Ok` means the member's writes are durable. [`SqliteTx::rollback`] undoes the member's
//!   writes and also answers after the commit, because a refusal may rest on another member's
//!   write.
//! * **What a failure does to the others.** A member that fails, panics or is dropped has its
//!   savepoint rolled back; the other members are untouched. A failed `COMMIT` undoes the
//!   whole batch and every member gets the error: nothing any of them wrote was kept.
//!
//! A member holds the writer while it runs, as a single writer connection always did: its work
//! must be short. And since a commit waits for the members that joined after its opener, a
//! member must not wait, while it holds the writer, for another write transaction to end (that
//! one's commit may be waiting for it): one task ends its transaction before it waits for
//! another's. Tests: `crates/storage/tests/writer.rs`, `locks.rs`.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

/// Where a batch is.
#[derive(Debug, Clone)]
enum Phase {
    /// Open: members join by taking the connection.
    Open,
    /// Committed (or not, with the reason).
    Done(Result<(), String>),
}

/// A batch's phase, watched by its members.
type Epoch = tokio::sync::watch::Sender<Phase>;

/// The writer connection, taken in turn, and the batch it may be running.
#[derive(Debug)]
pub struct Writer {
    /// Holding it is the turn to write (a fair queue).
    conn: Arc<tokio::sync::Mutex<rusqlite::Connection>>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The batch open on the connection.
    open: Option<Arc<Epoch>>,
    /// The open batch's opener is gone without committing it: the next holder of the
    /// connection commits it first.
    close_pending: bool,
}

impl Writer {
    pub(crate) fn new(conn: rusqlite::Connection) -> Self {
        Self {
            conn: Arc::new(tokio::sync::Mutex::new(conn)),
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The turn to write, once those who asked before have had theirs.
    async fn turn(self: &Arc<Self>) -> Turn {
        let guard = self.conn.clone().lock_owned().await;
        let turn = Turn {
            writer: self.clone(),
            guard: Some(guard),
        };
        turn.settle();
        turn
    }

    /// A member of the open batch, or the opener of a new one.
    ///
    /// # Errors
    /// When `BEGIN` or the savepoint fails.
    pub(crate) async fn begin(self: &Arc<Self>) -> rusqlite::Result<SqliteTx> {
        let turn = self.turn().await;
        let (epoch, opener) = {
            let mut state = self.state();
            match &state.open {
                Some(epoch) => (epoch.clone(), false),
                None => {
                    turn.conn().execute_batch("begin immediate")?;
                    let epoch = Arc::new(Epoch::new(Phase::Open));
                    state.open = Some(epoch.clone());
                    (epoch, true)
                }
            }
        };
        let mut tx = SqliteTx {
            writer: self.clone(),
            turn: Some(turn),
            epoch,
            opener,
            in_savepoint: false,
        };
        tx.connection().execute_batch("savepoint member")?;
        tx.in_savepoint = true;
        metrics::counter!("db_group_commit_members_total").increment(1);
        Ok(tx)
    }

    /// Runs `work` on the connection outside any batch (the migrations at start-up), once
    /// those queued first have had their turn.
    ///
    /// # Errors
    /// What `work` returns.
    pub(crate) async fn alone<R>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut rusqlite::Connection) -> Result<R, crate::Error>,
    ) -> Result<R, crate::Error> {
        let mut turn = self.turn().await;
        if self.state().open.is_some() {
            // Its opener is still at work; it only ever runs at start-up, before any request.
            turn.end_batch();
        }
        work(turn.guard.as_deref_mut().expect("held until dropped"))
    }

    /// Waits for the connection (those queued first), then closes the open batch.
    pub(crate) async fn close(self: &Arc<Self>) {
        drop(self.turn().await);
    }
}

/// The turn to write: the connection, held. Letting it go first commits a batch whose opener
/// is gone ([`State::close_pending`]).
#[derive(Debug)]
struct Turn {
    writer: Arc<Writer>,
    guard: Option<OwnedMutexGuard<rusqlite::Connection>>,
}

impl Turn {
    fn conn(&self) -> &rusqlite::Connection {
        self.guard.as_deref().expect("held until dropped")
    }

    /// Commits the open batch if its opener asked for that and is gone.
    fn settle(&self) {
        let pending = {
            let state = self.writer.state();
            state.close_pending
        };
        if pending {
            self.end_batch();
        }
    }

    /// Commits the open batch (rolling back if the commit fails) and tells its members.
    fn end_batch(&self) {
        let epoch = {
            let mut state = self.writer.state();
            state.close_pending = false;
            state.open.take()
        };
        let Some(epoch) = epoch else { return };
        let conn = self.conn();
        let committed = conn.execute_batch("commit");
        if !conn.is_autocommit() {
            // A failed COMMIT can leave the transaction open; the next batch must not inherit it.
            let _ = conn.execute_batch("rollback");
        }
        metrics::counter!("db_group_commits_total").increment(1);
        epoch.send_replace(Phase::Done(committed.map_err(|e| e.to_string())));
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.settle();
        drop(self.guard.take());
        // An opener that gave up after this holder's check above, while it still held the
        // connection, left the commit to it: take the connection back if free, and settle.
        let pending = self.writer.state().close_pending;
        if pending && let Ok(guard) = self.writer.conn.clone().try_lock_owned() {
            drop(Turn {
                writer: self.writer.clone(),
                guard: Some(guard),
            });
        }
    }
}

/// A SQLite write transaction: a member of the writer's batch (the module's contract).
#[derive(Debug)]
pub struct SqliteTx {
    writer: Arc<Writer>,
    /// The connection, while this member runs.
    turn: Option<Turn>,
    epoch: Arc<Epoch>,
    /// Whether this member opened the batch, and so commits it.
    opener: bool,
    /// Whether its savepoint is open (undone if it is dropped).
    in_savepoint: bool,
}

impl SqliteTx {
    /// The writer connection, for this member's statements.
    pub(crate) fn connection(&mut self) -> &mut rusqlite::Connection {
        self.turn
            .as_mut()
            .and_then(|t| t.guard.as_deref_mut())
            .expect("a member holds the connection until it ends")
    }

    /// Ends the savepoint, keeping (`keep`) or undoing the member's writes.
    fn end_savepoint(&mut self, keep: bool) -> rusqlite::Result<()> {
        self.in_savepoint = false;
        let conn = self.connection();
        if keep {
            let released = conn.execute_batch("release member");
            if released.is_err() {
                let _ = conn.execute_batch("rollback to member; release member");
            }
            released
        } else {
            conn.execute_batch("rollback to member; release member")
        }
    }

    /// Keeps this member's writes; answers once the batch is committed.
    ///
    /// # Errors
    /// When the savepoint or the batch's commit fails (then nothing of it was kept).
    pub(crate) async fn commit(mut self) -> Result<(), crate::Error> {
        self.end_savepoint(true)?;
        self.leave().await
    }

    /// Undoes this member's writes; answers once the batch is committed.
    ///
    /// # Errors
    /// When the rollback or the batch's commit fails.
    pub(crate) async fn rollback(mut self) -> Result<(), crate::Error> {
        self.end_savepoint(false)?;
        self.leave().await
    }

    /// Gives the connection on and waits for the batch's commit; the opener first lets those
    /// queued join, then commits.
    async fn leave(&mut self) -> Result<(), crate::Error> {
        let mut phase = self.epoch.subscribe();
        drop(self.turn.take());
        if self.opener {
            let turn = self.writer.turn().await;
            turn.end_batch();
            // Committed: nothing left for `Drop` to end.
            self.opener = false;
        }
        let done = phase
            .wait_for(|p| matches!(p, Phase::Done(_)))
            .await
            .map_err(|_| crate::Error::unsupported("the writer's batch ended without a commit"))?
            .clone();
        match done {
            Phase::Done(Err(e)) => Err(crate::Error::driver(e)),
            _ => Ok(()),
        }
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        if self.turn.is_some() && self.in_savepoint {
            let _ = self.end_savepoint(false);
        }
        if !self.opener {
            return;
        }
        match self.turn.take() {
            // Still holding the connection: commit what the others wrote now.
            Some(turn) => turn.end_batch(),
            // Cancelled while waiting to commit: whoever holds the connection commits.
            None => {
                self.writer.state().close_pending = true;
                if let Ok(guard) = self.writer.conn.clone().try_lock_owned() {
                    drop(Turn {
                        writer: self.writer.clone(),
                        guard: Some(guard),
                    });
                }
            }
        }
    }
}
