//! Storing composed messages and delivering them.

use chrono::{DateTime, Duration, Utc};
use kernel::Clock;
use std::sync::Arc;
use storage::{Database, Tx};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::mailer::Mailer;
use crate::ports::TicketDocuments;
use crate::store::NewMessage;
use crate::{NotificationError, store};

const FROM: &str = "tickets@boxoffice.local";
const MAX_ATTEMPTS: i64 = 8;
const BATCH: i64 = 20;

/// A message as the admin API lists it.
#[derive(Debug, Clone)]
pub struct NotificationRecord {
    /// Identifier.
    pub id: Uuid,
    /// `tickets` or `hold_expired`.
    pub kind: String,
    /// Address.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Last delivery error.
    pub last_error: Option<String>,
    /// When it was composed.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// The notification context.
pub struct NotificationService {
    db: Database,
    clock: Arc<dyn Clock>,
    mailer: Mailer,
    pub(crate) documents: Arc<dyn TicketDocuments>,
    wake: Notify,
    /// Where people reach the web pages, for links (`--public-url`).
    pub(crate) public_url: String,
}

impl NotificationService {
    /// Notification over `db`, delivering through `mailer`, attaching `documents`.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        mailer: Mailer,
        documents: Arc<dyn TicketDocuments>,
    ) -> Self {
        Self {
            db,
            clock,
            mailer,
            documents,
            wake: Notify::new(),
            public_url: "http://localhost:8080".into(),
        }
    }

    /// The same service, linking e-mails to pages at `url` (no trailing slash needed).
    #[must_use]
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.trim_end_matches('/').to_string();
        self
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    /// Stores `message` (once per its key) inside `tx`.
    pub(crate) async fn store(&self, tx: &mut Tx, message: &NewMessage<'_>) -> anyhow::Result<()> {
        store::insert(tx.conn(), message, self.clock.now()).await?;
        Ok(())
    }

    /// Asks the sender to look for messages now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits until a message is stored or `period` passes.
    pub async fn wait_for_work(&self, period: std::time::Duration) {
        let wait = tokio::time::sleep(period);
        tokio::select! {
            () = self.wake.notified() => {}
            () = wait => {}
        }
    }

    /// Delivers every due message; failures are retried with exponential backoff, up to
    /// 8 attempts. Returns how many were sent.
    ///
    /// # Errors
    /// When the database fails (delivery failures are recorded, not returned).
    pub async fn deliver_due(&self) -> Result<usize, NotificationError> {
        let mut sent = 0;
        loop {
            let due = store::due(self.db.read().await?.conn(), self.clock.now(), BATCH).await?;
            let count = due.len();
            // Senders in other processes (split deployments) see the same due messages.
            let now = self.clock.now();
            let mine = self.claim(&due, now, now + self.mailer.lease()).await?;
            // Marks of files wait for the end of the batch (writing one again is harmless);
            // an e-mail sent by SMTP is marked at once, so a crash resends as few as possible.
            let mut unmarked = Vec::new();
            for message in due
                .into_iter()
                .zip(mine)
                .filter_map(|(m, mine)| mine.then_some(m))
            {
                match self
                    .mailer
                    .deliver(
                        &message.message_id.to_string(),
                        FROM,
                        &message.recipient,
                        &message.raw,
                    )
                    .await
                {
                    Ok(()) => {
                        unmarked.push(message.message_id);
                        if !self.mailer.resending_is_harmless() {
                            self.mark_sent(&mut unmarked).await?;
                        }
                        sent += 1;
                    }
                    Err(e) => {
                        let attempts = message.attempts + 1;
                        let next = (attempts < MAX_ATTEMPTS).then(|| {
                            self.clock.now()
                                + Duration::seconds(2_i64.pow(attempts.clamp(0, 10) as u32))
                        });
                        tracing::warn!(notification.id = %message.message_id, attempts, error = %format!("{e:#}"), "e-mail delivery failed");
                        let mut tx = self.db.begin_unlocked().await?;
                        store::mark_failed_attempt(
                            tx.conn(),
                            message.message_id,
                            &format!("{e:#}"),
                            next,
                        )
                        .await?;
                        tx.commit().await?;
                    }
                }
            }
            self.mark_sent(&mut unmarked).await?;
            if (count as i64) < BATCH {
                return Ok(sent);
            }
        }
    }

    /// Leases `due` for one sending attempt each, until `lease_until`; false where another
    /// sender took the message first. All of them in one transaction: one write transaction
    /// per message, each with its own commit, used to take the writer's turn from the sale's
    /// requests once for every e-mail (docs/performance.md).
    async fn claim(
        &self,
        due: &[store::Due],
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<bool>, NotificationError> {
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.db.begin_unlocked().await?;
        let mut mine = Vec::with_capacity(due.len());
        for m in due {
            mine.push(store::claim(tx.conn(), m.message_id, now, lease_until).await?);
        }
        tx.commit().await?;
        Ok(mine)
    }

    /// Records the delivery of `ids` (and empties it), in one transaction.
    async fn mark_sent(&self, ids: &mut Vec<Uuid>) -> Result<(), NotificationError> {
        if ids.is_empty() {
            return Ok(());
        }
        let now = self.clock.now();
        let mut tx = self.db.begin_unlocked().await?;
        for id in ids.iter() {
            store::mark_sent(tx.conn(), *id, now).await?;
        }
        tx.commit().await?;
        ids.clear();
        Ok(())
    }

    /// Messages to `email` (all when `None`), newest first.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn list(
        &self,
        email: Option<&str>,
    ) -> Result<Vec<NotificationRecord>, NotificationError> {
        let rows = store::list_for(self.db.read().await?.conn(), email).await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// The messages about one order: its tickets, its refunds, its lapsed holds, the waitlist
    /// offer that created it and its event's moves, oldest first. Keys are matched with `like` (the offer's
    /// entry id is not known here: `%`); ids hold no `%`, and a `_` matches itself too.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn about_order(
        &self,
        order: kernel::OrderId,
        refunds: &[Uuid],
        holds: &[kernel::ReservationId],
    ) -> Result<Vec<NotificationRecord>, NotificationError> {
        let keys: Vec<String> = [
            format!("tickets:{order}"),
            format!("waitlist_offer:%:{order}"),
            format!("rescheduled:%:{order}"),
        ]
        .into_iter()
        .chain(refunds.iter().map(|r| format!("refund:{r}")))
        .chain(holds.iter().map(|h| format!("hold_expired:{h}")))
        .collect();
        let rows = store::with_keys(self.db.read().await?.conn(), &keys).await?;
        Ok(rows.into_iter().map(record).collect())
    }
}

fn record(r: store::Stored) -> NotificationRecord {
    NotificationRecord {
        id: r.message_id,
        kind: r.kind,
        recipient: r.recipient,
        subject: r.subject,
        status: r.status,
        attempts: r.attempts,
        last_error: r.last_error,
        created_at: store::instant(r.created_at),
        sent_at: r.sent_at.map(store::instant),
    }
}
