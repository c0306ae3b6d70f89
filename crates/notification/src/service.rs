//! Storing composed messages and delivering them.

use chrono::{DateTime, Duration, Utc};
use kernel::Clock;
use outbox::{Database, Tx};
use std::sync::Arc;
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
        }
    }

    pub(crate) fn db(&self) -> &Database {
        &self.db
    }

    /// Stores `message` (once per its key) inside `tx`.
    pub(crate) async fn store(&self, tx: &mut Tx, message: &NewMessage<'_>) -> anyhow::Result<()> {
        store::insert(tx.conn(), message, self.clock.now()).await?;
        Ok(())
    }

    /// [`NotificationService::store`] in a direct write transaction (SQLite).
    pub(crate) fn store_direct(
        &self,
        c: &rusqlite::Connection,
        message: &NewMessage<'_>,
    ) -> anyhow::Result<()> {
        store::direct::insert(c, message, self.clock.now())?;
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
            for message in due {
                // Senders in other processes (split deployments) see the same due messages.
                let now = self.clock.now();
                let lease = now + self.mailer.lease();
                let mine = store::claim(
                    self.db.write().await?.conn(),
                    message.message_id,
                    now,
                    lease,
                )
                .await?;
                if !mine {
                    continue;
                }
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
                        store::mark_sent(
                            self.db.write().await?.conn(),
                            message.message_id,
                            self.clock.now(),
                        )
                        .await?;
                        sent += 1;
                    }
                    Err(e) => {
                        let attempts = message.attempts + 1;
                        let next = (attempts < MAX_ATTEMPTS).then(|| {
                            self.clock.now()
                                + Duration::seconds(2_i64.pow(attempts.clamp(0, 10) as u32))
                        });
                        tracing::warn!(notification.id = %message.message_id, attempts, error = %format!("{e:#}"), "e-mail delivery failed");
                        store::mark_failed_attempt(
                            self.db.write().await?.conn(),
                            message.message_id,
                            &format!("{e:#}"),
                            next,
                        )
                        .await?;
                    }
                }
            }
            if (count as i64) < BATCH {
                return Ok(sent);
            }
        }
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
        Ok(rows
            .into_iter()
            .map(|r| NotificationRecord {
                id: r.message_id,
                kind: r.kind,
                recipient: r.recipient,
                subject: r.subject,
                status: r.status,
                attempts: r.attempts,
                last_error: r.last_error,
                created_at: store::instant(r.created_at),
                sent_at: r.sent_at.map(store::instant),
            })
            .collect())
    }
}
