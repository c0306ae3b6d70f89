//! Read-only answers inventory gives to other contexts (through adapters in `server`), always
//! as of the instant of the call.

use kernel::{Clock, EventId, Money, ReservationId, SeatId};
use std::collections::HashMap;
use std::sync::Arc;
use storage::Database;

use crate::domain::Hold;
use crate::store;

/// Why a seat cannot be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatTaken {
    /// Under an unexpired hold.
    Reserved,
    /// Sold.
    Sold,
    /// Held back by the organiser.
    Blocked,
}

/// Taken seats of one event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounts {
    /// Seats under an unexpired hold.
    pub reserved: u64,
    /// Of those, seats held for someone on the waitlist.
    pub offered: u64,
    /// Seats sold.
    pub sold: u64,
    /// Sum of sold seats' prices.
    pub revenue: Money,
    /// Seats held back by the organiser.
    pub blocked: u64,
}

/// Read access to holds that needs no other context.
#[derive(Clone)]
pub struct InventoryQueries {
    db: Database,
    clock: Arc<dyn Clock>,
}

impl InventoryQueries {
    /// Queries over `db`, judging expiry by `clock`.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Held, sold and held-back seats of an event right now.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn taken_seats(&self, event: EventId) -> anyhow::Result<HashMap<SeatId, SeatTaken>> {
        let mut conn = self.db.read().await?;
        let rows = store::taken_seats(conn.conn(), event, self.clock.now()).await?;
        let blocked = store::blocked_seats(conn.conn(), event).await?;
        Ok(rows
            .into_iter()
            .map(|(id, sold)| {
                (
                    id,
                    if sold {
                        SeatTaken::Sold
                    } else {
                        SeatTaken::Reserved
                    },
                )
            })
            .chain(blocked.into_iter().map(|id| (id, SeatTaken::Blocked)))
            .collect())
    }

    /// Counts of taken seats for each event.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn counts(
        &self,
        events: &[EventId],
    ) -> anyhow::Result<HashMap<EventId, EventCounts>> {
        let now = self.clock.now();
        let mut out = HashMap::with_capacity(events.len());
        for event in events {
            let (held, offered, sold, revenue, blocked) =
                store::event_counts(self.db.read().await?.conn(), *event, now).await?;
            out.insert(
                *event,
                EventCounts {
                    reserved: held as u64,
                    offered: offered as u64,
                    sold: sold as u64,
                    revenue,
                    blocked: blocked as u64,
                },
            );
        }
        Ok(out)
    }

    /// The holds among `ids` that exist, each with its status as of now.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn holds(&self, ids: &[ReservationId]) -> anyhow::Result<Vec<Hold>> {
        let holds = store::holds(self.db.read().await?.conn(), ids).await?;
        Ok(self.as_of_now(holds))
    }

    /// [`InventoryQueries::holds`] inside another context's write transaction `tx` (the
    /// database is shared), for a context that must decide on what it reads.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn holds_in(
        &self,
        tx: &mut storage::Tx,
        ids: &[ReservationId],
    ) -> anyhow::Result<Vec<Hold>> {
        Ok(self.as_of_now(store::holds(tx.conn(), ids).await?))
    }

    fn as_of_now(&self, mut holds: Vec<Hold>) -> Vec<Hold> {
        let now = self.clock.now();
        for h in &mut holds {
            h.status = h.status_at(now);
        }
        holds
    }
}
