//! Storage of idempotency keys (`api_idempotency_keys`).

use chrono::{Duration, Utc};
use kernel::to_micros;
use storage::{Database, Statement};

/// How long a key is remembered.
const RETENTION_HOURS: i64 = 24;

/// What a new request with a key may do.
pub(crate) enum Claim {
    /// First use: go ahead.
    Fresh,
    /// Same request seen before: answer this.
    Replay {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    },
    /// Same key, different request.
    Mismatch,
    /// Same request still running.
    InProgress,
}

storage::row! {
    /// A remembered key.
    struct KeyRow {
        fingerprint: Vec<u8>,
        status_code: Option<i64>,
        content_type: Option<String>,
        body: Option<Vec<u8>>,
        lease_until: Option<i64>,
    }
}

/// Remembered idempotency keys and their responses.
#[derive(Debug, Clone)]
pub struct IdempotencyStore {
    db: Database,
    /// This process, as the owner of the claims it makes.
    owner: String,
    /// How long a claim keeps a retry out: the longest a request may run (the edge's timeout
    /// answers by then, and the work itself runs to its end detached from the client).
    lease: Duration,
}

impl IdempotencyStore {
    /// A store over `db` whose claims last `lease`.
    pub fn new(db: Database, lease: std::time::Duration) -> Self {
        Self {
            db,
            owner: kernel::new_uuid().to_string(),
            lease: Duration::from_std(lease).unwrap_or(Duration::seconds(30)),
        }
    }

    pub(crate) async fn claim(
        &self,
        key: &str,
        fingerprint: &[u8],
    ) -> Result<Claim, storage::Error> {
        let now = Utc::now();
        let cutoff = to_micros(now - Duration::hours(RETENTION_HOURS));
        let mut tx = self.db.begin().await?;
        Statement::new(
            "delete from api_idempotency_keys where idempotency_key = $1 and created_at < $2",
        )
        .bind(key)
        .bind(cutoff)
        .execute(tx.conn())
        .await?;
        let row: Option<KeyRow> = Statement::new(
            "select fingerprint, status_code, content_type, body, lease_until from api_idempotency_keys
             where idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(tx.conn())
        .await?;
        let claim = match row {
            None => {
                Statement::new(
                    "insert into api_idempotency_keys (idempotency_key, fingerprint, created_at, owner, lease_until)
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(key)
                .bind(fingerprint)
                .bind(to_micros(now))
                .bind(&self.owner)
                .bind(to_micros(now + self.lease))
                .execute(tx.conn())
        .await?;
                Claim::Fresh
            }
            Some(row) if row.fingerprint != fingerprint => Claim::Mismatch,
            Some(row) => match row.status_code {
                // The first request's process died, or lost its answer: this one takes over.
                None if row.lease_until.is_none_or(|until| until <= to_micros(now)) => {
                    Statement::new(
                        "update api_idempotency_keys set owner = $2, lease_until = $3
                         where idempotency_key = $1",
                    )
                    .bind(key)
                    .bind(&self.owner)
                    .bind(to_micros(now + self.lease))
                    .execute(tx.conn())
                    .await?;
                    tracing::warn!("an idempotency key's claim lapsed; running its request again");
                    Claim::Fresh
                }
                None => Claim::InProgress,
                Some(status) => Claim::Replay {
                    status: u16::try_from(status).unwrap_or(200),
                    content_type: row.content_type,
                    body: row.body.unwrap_or_default(),
                },
            },
        };
        tx.commit().await?;
        Ok(claim)
    }

    pub(crate) async fn complete(
        &self,
        key: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), storage::Error> {
        Statement::new(
            "update api_idempotency_keys set status_code = $2, content_type = $3, body = $4
             where idempotency_key = $1",
        )
        .bind(key)
        .bind(i64::from(status))
        .bind(content_type)
        .bind(body)
        .execute_alone(&self.db)
        .await?;
        Ok(())
    }

    pub(crate) async fn forget(&self, key: &str) -> Result<(), storage::Error> {
        Statement::new("delete from api_idempotency_keys where idempotency_key = $1")
            .bind(key)
            .execute_alone(&self.db)
            .await?;
        Ok(())
    }
}

/// Forgets every claim whose request never finished: at the start of a process that runs
/// every service (no other process can be answering them); returns how many.
///
/// # Errors
/// When the delete fails.
pub async fn forget_unfinished_keys(db: &Database) -> Result<u64, storage::Error> {
    let done = Statement::new("delete from api_idempotency_keys where status_code is null")
        .execute_alone(db)
        .await?;
    Ok(done)
}

/// Deletes keys older than the retention period; returns how many.
///
/// # Errors
/// When the delete fails.
pub async fn purge_expired_keys(db: &Database) -> Result<u64, storage::Error> {
    let cutoff = to_micros(Utc::now() - Duration::hours(RETENTION_HOURS));
    let done = Statement::new("delete from api_idempotency_keys where created_at < $1")
        .bind(cutoff)
        .execute_alone(db)
        .await?;
    Ok(done)
}
