//! The statements of the waitlist, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::{EventId, OrderId, ReservationId, SeatId, WaitlistEntryId, from_micros, to_micros};
use storage::{Conn, Statement};
use uuid::Uuid;

use crate::domain::{Entry, EntryStatus, Offer};

const ENTRY_COLUMNS: &str = "entry_id, event_id, email, status, registered_at, seat_id, order_id,
    reservation_id, assigned_at, expires_at, ended_at";

storage::row! {
    struct EntryRow {
        entry_id: Uuid,
        event_id: Uuid,
        email: String,
        status: String,
        registered_at: i64,
        seat_id: Option<Uuid>,
        order_id: Option<Uuid>,
        reservation_id: Option<Uuid>,
        assigned_at: Option<i64>,
        expires_at: Option<i64>,
        ended_at: Option<i64>,
    }
}

impl EntryRow {
    fn into_entry(self) -> Entry {
        let offer = match (
            self.seat_id,
            self.order_id,
            self.reservation_id,
            self.assigned_at,
            self.expires_at,
        ) {
            (Some(seat), Some(order), Some(hold), Some(at), Some(until)) => Some(Offer {
                seat_id: SeatId(seat),
                order_id: OrderId(order),
                reservation_id: ReservationId(hold),
                assigned_at: from_micros(at),
                expires_at: from_micros(until),
            }),
            _ => None,
        };
        Entry {
            id: WaitlistEntryId(self.entry_id),
            event_id: EventId(self.event_id),
            email: self.email,
            // The column has a CHECK constraint; anything else would be a manual edit.
            status: EntryStatus::parse(&self.status).unwrap_or(EntryStatus::Cancelled),
            registered_at: from_micros(self.registered_at),
            offer,
            ended_at: self.ended_at.map(from_micros),
        }
    }
}

storage::row! {
    /// What the waitlist keeps of an event.
    #[derive(Debug, Clone)]
    pub(crate) struct EventRow {
        pub(crate) event_name: String,
        pub(crate) currency: String,
        pub(crate) is_active: bool,
    }
}

/// Records (or refreshes) the facts of an event someone joins the line for.
pub(crate) async fn upsert_event(
    mut conn: Conn<'_>,
    event: EventId,
    name: &str,
    currency: &str,
) -> Result<(), storage::Error> {
    Statement::new(
        "insert into waitlist_events (event_id, event_name, currency, is_active) values ($1, $2, $3, true)
         on conflict (event_id) do update set event_name = $2, currency = $3, is_active = true",
    )
    .bind(event.uuid())
    .bind(name)
    .bind(currency)
    .execute(conn.reborrow())
        .await?;
    Ok(())
}

pub(crate) async fn event(
    mut conn: Conn<'_>,
    event: EventId,
) -> Result<Option<EventRow>, storage::Error> {
    Statement::new(
        "select event_name, currency, is_active from waitlist_events where event_id = $1",
    )
    .bind(event.uuid())
    .fetch_optional(conn.reborrow())
    .await
}

/// Pauses or resumes hand-overs for an event the waitlist knows; false if it knows none.
pub(crate) async fn set_event_active(
    mut conn: Conn<'_>,
    event: EventId,
    active: bool,
) -> Result<bool, storage::Error> {
    let done = Statement::new("update waitlist_events set is_active = $2 where event_id = $1")
        .bind(event.uuid())
        .bind(active)
        .execute(conn.reborrow())
        .await?;
    Ok(done == 1)
}

/// Adds a pending entry; false when the e-mail already has an open entry for the event.
pub(crate) async fn insert_entry(
    mut conn: Conn<'_>,
    id: WaitlistEntryId,
    event: EventId,
    email: &str,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "insert into waitlist_entries (entry_id, seq, event_id, email, email_key, status, registered_at)
         values ($1, (select coalesce(max(seq), 0) + 1 from waitlist_entries), $2, $3, lower($3), 'pending', $4)
         on conflict do nothing",
    )
    .bind(id.uuid())
    .bind(event.uuid())
    .bind(email)
    .bind(to_micros(now))
    .execute(conn.reborrow())
        .await?;
    Ok(done == 1)
}

pub(crate) async fn entry(
    mut conn: Conn<'_>,
    id: WaitlistEntryId,
) -> Result<Option<Entry>, storage::Error> {
    let sql = format!("select {ENTRY_COLUMNS} from waitlist_entries where entry_id = $1");
    let row: Option<EntryRow> = Statement::new(sql)
        .bind(id.uuid())
        .fetch_optional(conn.reborrow())
        .await?;
    Ok(row.map(EntryRow::into_entry))
}

/// Place in line of a pending entry (1 = next), counting only people still waiting.
pub(crate) async fn position_of(
    mut conn: Conn<'_>,
    id: WaitlistEntryId,
) -> Result<Option<i64>, storage::Error> {
    let found: Option<(i64,)> = Statement::new(
        "select (select count(*) from waitlist_entries o
                 where o.event_id = e.event_id and o.status = 'pending' and o.seq <= e.seq)
         from waitlist_entries e where e.entry_id = $1 and e.status = 'pending'",
    )
    .bind(id.uuid())
    .fetch_optional(conn.reborrow())
    .await?;
    Ok(found.map(|(n,)| n))
}

pub(crate) async fn pending_count(
    mut conn: Conn<'_>,
    event: EventId,
) -> Result<i64, storage::Error> {
    let found: (i64,) = Statement::new(
        "select count(*) from waitlist_entries where event_id = $1 and status = 'pending'",
    )
    .bind(event.uuid())
    .fetch_one(conn.reborrow())
    .await?;
    Ok(found.0)
}

/// The first person waiting for the event.
pub(crate) async fn first_pending(
    mut conn: Conn<'_>,
    event: EventId,
) -> Result<Option<Entry>, storage::Error> {
    let sql = format!(
        "select {ENTRY_COLUMNS} from waitlist_entries
         where event_id = $1 and status = 'pending' order by seq limit 1"
    );
    let row: Option<EntryRow> = Statement::new(sql)
        .bind(event.uuid())
        .fetch_optional(conn.reborrow())
        .await?;
    Ok(row.map(EntryRow::into_entry))
}

/// `pending → assigned` with the offer; false if the entry was no longer pending.
pub(crate) async fn assign(
    mut conn: Conn<'_>,
    id: WaitlistEntryId,
    offer: &Offer,
) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "update waitlist_entries set status = 'assigned', seat_id = $2, order_id = $3,
            reservation_id = $4, assigned_at = $5, expires_at = $6
         where entry_id = $1 and status = 'pending'",
    )
    .bind(id.uuid())
    .bind(offer.seat_id.uuid())
    .bind(offer.order_id.uuid())
    .bind(offer.reservation_id.uuid())
    .bind(to_micros(offer.assigned_at))
    .bind(to_micros(offer.expires_at))
    .execute(conn.reborrow())
    .await?;
    Ok(done == 1)
}

/// The assigned entry whose offer is held by `reservation`.
pub(crate) async fn assigned_by_reservation(
    mut conn: Conn<'_>,
    reservation: ReservationId,
) -> Result<Option<Entry>, storage::Error> {
    let sql = format!(
        "select {ENTRY_COLUMNS} from waitlist_entries
         where reservation_id = $1 and status = 'assigned'"
    );
    let row: Option<EntryRow> = Statement::new(sql)
        .bind(reservation.uuid())
        .fetch_optional(conn.reborrow())
        .await?;
    Ok(row.map(EntryRow::into_entry))
}

/// Assigned entries of an event.
pub(crate) async fn open_offers_of_event(
    mut conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<Entry>, storage::Error> {
    let sql = format!(
        "select {ENTRY_COLUMNS} from waitlist_entries
         where event_id = $1 and status = 'assigned' order by seq"
    );
    let rows: Vec<EntryRow> = Statement::new(sql)
        .bind(event.uuid())
        .fetch_all(conn.reborrow())
        .await?;
    Ok(rows.into_iter().map(EntryRow::into_entry).collect())
}

/// Ends an open entry with `status`; false if it was not open any more.
pub(crate) async fn end_entry(
    mut conn: Conn<'_>,
    id: WaitlistEntryId,
    status: EntryStatus,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "update waitlist_entries set status = $2, ended_at = $3
         where entry_id = $1 and status in ('pending', 'assigned')",
    )
    .bind(id.uuid())
    .bind(status.as_str())
    .bind(to_micros(now))
    .execute(conn.reborrow())
    .await?;
    Ok(done == 1)
}

/// `exists` is a boolean on both backends (a bare `select 1` is int4 on PostgreSQL).
const IS_OFFER: &str =
    "select exists (select 1 from waitlist_entries where order_id = $1 and status = 'assigned')";

/// Whether `order` is the order of a standing offer (an entry `assigned` to it).
pub(crate) async fn is_offer(conn: Conn<'_>, order: OrderId) -> Result<bool, storage::Error> {
    let (offer,): (bool,) = is_offer_statement(order).fetch_one(conn).await?;
    Ok(offer)
}

fn is_offer_statement<'a>(order: OrderId) -> Statement<'a> {
    Statement::new(IS_OFFER).bind(order.uuid())
}

/// `assigned → completed` for the entry whose offer is `order`; false if there is none.
pub(crate) async fn complete_by_order(
    mut conn: Conn<'_>,
    order: OrderId,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "update waitlist_entries set status = 'completed', ended_at = $2
         where order_id = $1 and status = 'assigned'",
    )
    .bind(order.uuid())
    .bind(to_micros(now))
    .execute(conn.reborrow())
    .await?;
    Ok(done == 1)
}
