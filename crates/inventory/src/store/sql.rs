//! The statements of the inventory, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, ReservationId, SeatId, from_micros, to_micros};
use storage::{Conn, Statement};

use crate::ports::SeatListing;
use uuid::Uuid;

use crate::domain::{Block, SeatTakenBy};
use crate::domain::{Hold, HoldStatus};

/// A seat as inventory records it (for hold details and revenue).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SeatRecord {
    pub(crate) seat_id: SeatId,
    pub(crate) event_id: EventId,
    pub(crate) section_code: String,
    pub(crate) row_number: i64,
    pub(crate) seat_number: i64,
    pub(crate) price: Money,
}

const UPSERT_SEAT: &str = "insert into inventory_seats (seat_id, event_id, section_code, row_number, seat_number, price_cents)
     values ($1, $2, $3, $4, $5, $6) on conflict (seat_id) do nothing";

fn upsert_seat_statement(s: &SeatRecord) -> Statement<'_> {
    Statement::new(UPSERT_SEAT)
        .bind(s.seat_id.uuid())
        .bind(s.event_id.uuid())
        .bind(&s.section_code)
        .bind(s.row_number)
        .bind(s.seat_number)
        .bind(s.price.cents())
}

/// Records a seat; a seat already known is left as it is.
pub(crate) async fn upsert_seat(conn: Conn<'_>, s: &SeatRecord) -> Result<(), storage::Error> {
    upsert_seat_statement(s).execute(conn).await.map(drop)
}

/// A seat inventory has recorded.
pub(crate) async fn seat(conn: Conn<'_>, id: SeatId) -> Result<Option<SeatRecord>, storage::Error> {
    let row: Option<(Uuid, String, i64, i64, i64)> = Statement::new(
        "select event_id, section_code, row_number, seat_number, price_cents
         from inventory_seats where seat_id = $1",
    )
    .bind(id.uuid())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(event, section_code, row_number, seat_number, cents)| SeatRecord {
            seat_id: id,
            event_id: EventId(event),
            section_code,
            row_number,
            seat_number,
            price: Money::from_cents(cents),
        },
    ))
}

impl From<SeatListing> for SeatRecord {
    fn from(l: SeatListing) -> Self {
        Self {
            seat_id: l.seat_id,
            event_id: l.event_id,
            section_code: l.section_code,
            row_number: l.row_number,
            seat_number: l.seat_number,
            price: l.price,
        }
    }
}

storage::row! {
    struct HoldRow {
        reservation_id: Uuid,
        seat_id: Uuid,
        event_id: Uuid,
        customer_id: String,
        status: String,
        created_at: i64,
        expires_at: i64,
    }
}

impl HoldRow {
    fn into_hold(self) -> Hold {
        Hold {
            id: ReservationId(self.reservation_id),
            seat_id: SeatId(self.seat_id),
            event_id: EventId(self.event_id),
            customer_id: self.customer_id,
            // The column has a CHECK constraint; anything else would be a manual edit.
            status: HoldStatus::parse(&self.status).unwrap_or(HoldStatus::Expired),
            created_at: from_micros(self.created_at),
            expires_at: from_micros(self.expires_at),
        }
    }
}

/// The columns of [`HoldRow`], for `select` and `returning`.
macro_rules! hold_columns {
    () => {
        "reservation_id, seat_id, event_id, customer_id, status, created_at, expires_at"
    };
}

const HOLD_BY_ID: &str = concat!(
    "select ",
    hold_columns!(),
    " from inventory_reservations where reservation_id = $1"
);

pub(crate) async fn hold(
    conn: Conn<'_>,
    id: ReservationId,
) -> Result<Option<Hold>, storage::Error> {
    let row: Option<HoldRow> = Statement::new(HOLD_BY_ID)
        .bind(id.uuid())
        .fetch_optional(conn)
        .await?;
    Ok(row.map(HoldRow::into_hold))
}

pub(crate) async fn holds(
    mut conn: Conn<'_>,
    ids: &[ReservationId],
) -> Result<Vec<Hold>, storage::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(h) = hold(conn.reborrow(), *id).await? {
            out.push(h);
        }
    }
    Ok(out)
}

const INSERT_HOLD: &str = "insert into inventory_reservations
        (reservation_id, seat_id, event_id, customer_id, status, created_at, expires_at)
     select $1, $2, $3, $4, 'active', $5, $6
     where ($7 is null or (select count(*) from inventory_reservations
         where customer_id = $4 and event_id = $3 and status = 'active' and expires_at > $5) < $7)
       and not exists (select 1 from inventory_blocks where seat_id = $2)
     on conflict do nothing";

fn insert_hold_statement(h: &Hold, limit: Option<i64>) -> Statement<'_> {
    Statement::new(INSERT_HOLD)
        .bind(h.id.uuid())
        .bind(h.seat_id.uuid())
        .bind(h.event_id.uuid())
        .bind(&h.customer_id)
        .bind(to_micros(h.created_at))
        .bind(to_micros(h.expires_at))
        .bind(limit)
}

/// Inserts an active hold unless the seat already has an active or confirmed one (the partial
/// unique index decides), the organiser holds it back (a block: only written by transactions
/// that run alone, so this check and a block never interleave), or, with `limit`, the customer
/// already holds that many unexpired seats of the event; returns whether it was inserted. One statement for both checks: the hold path
/// runs on the single writer, where every statement costs a round trip.
pub(crate) async fn insert_hold(
    conn: Conn<'_>,
    h: &Hold,
    limit: Option<i64>,
) -> Result<bool, storage::Error> {
    Ok(insert_hold_statement(h, limit).execute(conn).await? == 1)
}

/// Sets the recorded price of a section's seats (the catalog changed it).
pub(crate) async fn set_section_price(
    conn: Conn<'_>,
    event: EventId,
    section: &str,
    price: Money,
) -> Result<(), storage::Error> {
    Statement::new(
        "update inventory_seats set price_cents = $3 where event_id = $1 and section_code = $2",
    )
    .bind(event.uuid())
    .bind(section)
    .bind(price.cents())
    .execute(conn)
    .await
    .map(drop)
}

/// Sets the recorded price of `seats` (the catalog changed their category's price).
pub(crate) async fn set_seat_prices(
    mut conn: Conn<'_>,
    seats: &[SeatId],
    price: Money,
) -> Result<(), storage::Error> {
    for seat in seats {
        Statement::new("update inventory_seats set price_cents = $2 where seat_id = $1")
            .bind(seat.uuid())
            .bind(price.cents())
            .execute(conn.reborrow())
            .await?;
    }
    Ok(())
}

/// Records a seat sold outright (the box office: no hold before it); `false` if the seat has
/// an active or confirmed hold (the partial unique index decides).
pub(crate) async fn insert_sold(conn: Conn<'_>, h: &Hold) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "insert into inventory_reservations
            (reservation_id, seat_id, event_id, customer_id, status, created_at, expires_at, ended_at)
         values ($1, $2, $3, $4, 'confirmed', $5, $5, $5)
         on conflict do nothing",
    )
    .bind(h.id.uuid())
    .bind(h.seat_id.uuid())
    .bind(h.event_id.uuid())
    .bind(&h.customer_id)
    .bind(to_micros(h.created_at))
    .execute(conn)
    .await?;
    Ok(done == 1)
}

fn seat_taken_statement<'a>(seat: SeatId) -> Statement<'a> {
    Statement::new(
        "select 1 from inventory_reservations where seat_id = $1 and status in ('active', 'confirmed')",
    )
    .bind(seat.uuid())
}

/// What keeps the seat from a new hold (after lapsed holds were expired): a hold or sale, the
/// organiser's block, or nothing.
pub(crate) async fn seat_taken(
    mut conn: Conn<'_>,
    seat: SeatId,
) -> Result<SeatTakenBy, storage::Error> {
    let found: Option<(i32,)> = seat_taken_statement(seat)
        .fetch_optional(conn.reborrow())
        .await?;
    if found.is_some() {
        return Ok(SeatTakenBy::Hold);
    }
    Ok(if seat_blocked(conn, seat).await? {
        SeatTakenBy::Block
    } else {
        SeatTakenBy::Nobody
    })
}

/// What takes the seat now, for an organiser: `held` (an active hold, a cart's or a waitlist
/// offer's) or `sold`, or `None` when it is free (lapsed holds expired first).
pub(crate) async fn live_state(
    conn: Conn<'_>,
    seat: SeatId,
) -> Result<Option<&'static str>, storage::Error> {
    let found: Option<(String,)> = Statement::new(
        "select status from inventory_reservations where seat_id = $1 and status in ('active', 'confirmed')",
    )
    .bind(seat.uuid())
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|(status,)| {
        if status == "confirmed" {
            "sold"
        } else {
            "held"
        }
    }))
}

/// Whether the organiser holds the seat back.
pub(crate) async fn seat_blocked(conn: Conn<'_>, seat: SeatId) -> Result<bool, storage::Error> {
    let found: Option<(i32,)> = Statement::new("select 1 from inventory_blocks where seat_id = $1")
        .bind(seat.uuid())
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

storage::row! {
    struct BlockRow {
        seat_id: Uuid,
        event_id: Uuid,
        reason: String,
        blocked_by: String,
        blocked_at: i64,
    }
}

/// The blocks of `event`, by seat.
pub(crate) async fn blocks_of_event(
    conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<Block>, storage::Error> {
    let rows: Vec<BlockRow> = Statement::new(
        "select seat_id, event_id, reason, blocked_by, blocked_at from inventory_blocks
         where event_id = $1 order by seat_id",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Block {
            seat_id: SeatId(r.seat_id),
            event_id: EventId(r.event_id),
            reason: r.reason,
            blocked_by: r.blocked_by,
            blocked_at: from_micros(r.blocked_at),
        })
        .collect())
}

/// Blocks a seat (a block already there keeps its reason); returns whether it was new.
pub(crate) async fn insert_block(conn: Conn<'_>, b: &Block) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "insert into inventory_blocks (seat_id, event_id, reason, blocked_by, blocked_at)
         values ($1, $2, $3, $4, $5) on conflict (seat_id) do nothing",
    )
    .bind(b.seat_id.uuid())
    .bind(b.event_id.uuid())
    .bind(&b.reason)
    .bind(&b.blocked_by)
    .bind(to_micros(b.blocked_at))
    .execute(conn)
    .await?;
    Ok(done == 1)
}

/// Lifts the block of a seat; returns whether there was one.
pub(crate) async fn delete_block(conn: Conn<'_>, seat: SeatId) -> Result<bool, storage::Error> {
    let done = Statement::new("delete from inventory_blocks where seat_id = $1")
        .bind(seat.uuid())
        .execute(conn)
        .await?;
    Ok(done == 1)
}

/// The recorded seats of `event`, optionally only of `section` (and `row`), in place order.
pub(crate) async fn seats_of_event(
    conn: Conn<'_>,
    event: EventId,
    section: Option<&str>,
    row: Option<i64>,
) -> Result<Vec<SeatRecord>, storage::Error> {
    let rows: Vec<SeatRow> = Statement::new(
        "select seat_id, event_id, section_code, row_number, seat_number, price_cents
         from inventory_seats
         where event_id = $1 and ($2 is null or section_code = $2) and ($3 is null or row_number = $3)
         order by section_code, row_number, seat_number",
    )
    .bind(event.uuid())
    .bind(section)
    .bind(row)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SeatRecord {
            seat_id: SeatId(r.seat_id),
            event_id: EventId(r.event_id),
            section_code: r.section_code,
            row_number: r.row_number,
            seat_number: r.seat_number,
            price: Money::from_cents(r.price_cents),
        })
        .collect())
}

storage::row! {
    struct SeatRow {
        seat_id: Uuid,
        event_id: Uuid,
        section_code: String,
        row_number: i64,
        seat_number: i64,
        price_cents: i64,
    }
}

fn has_lapsed_hold_statement<'a>(seat: SeatId, now: DateTime<Utc>) -> Statement<'a> {
    Statement::new(
        "select 1 from inventory_reservations
         where seat_id = $1 and status in ('active', 'confirmed') and status = 'active'
           and expires_at <= $2",
    )
    .bind(seat.uuid())
    .bind(to_micros(now))
}

/// Whether the seat has an active hold past its end, which the general path expires (and may
/// hand to the waitlist) before a new hold.
pub(crate) async fn has_lapsed_hold(
    conn: Conn<'_>,
    seat: SeatId,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let found: Option<(i32,)> = has_lapsed_hold_statement(seat, now)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Whether inventory has recorded the seat, and whether a live hold or a sale takes it now
/// (a lapsed hold does not: the writer expires it and the seat is free). The `status in` term
/// repeats the partial unique index's condition, without which SQLite scans every hold.
fn seat_state_statement<'a>(seat: SeatId, now: DateTime<Utc>) -> Statement<'a> {
    Statement::new(
        "select exists(select 1 from inventory_seats where seat_id = $1),
            exists(select 1 from inventory_reservations where seat_id = $1
                and status in ('active', 'confirmed')
                and (status = 'confirmed' or expires_at > $2)),
            exists(select 1 from inventory_blocks where seat_id = $1)",
    )
    .bind(seat.uuid())
    .bind(to_micros(now))
}

/// [`seat_state_statement`]: (recorded, taken by a live hold or a sale, held back).
pub(crate) async fn seat_state(
    conn: Conn<'_>,
    seat: SeatId,
    now: DateTime<Utc>,
) -> Result<(bool, bool, bool), storage::Error> {
    seat_state_statement(seat, now).fetch_one(conn).await
}

/// Marks the lapsed active hold of one seat expired; returns it if there was one.
pub(crate) async fn expire_lapsed_on_seat(
    conn: Conn<'_>,
    seat: SeatId,
    now: DateTime<Utc>,
) -> Result<Vec<Hold>, storage::Error> {
    const SQL: &str = concat!(
        "update inventory_reservations set status = 'expired', ended_at = $2
         where seat_id = $1 and status = 'active' and expires_at <= $2
         returning ",
        hold_columns!()
    );
    expire_where(conn, SQL, seat.uuid(), now).await
}

/// Runs `sql`, an update of the lapsed holds of `key` (a seat or an event, `$1`) to expired at
/// `now` (`$2`) returning their columns.
async fn expire_where(
    conn: Conn<'_>,
    sql: &'static str,
    key: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Hold>, storage::Error> {
    let rows: Vec<HoldRow> = Statement::new(sql)
        .bind(key)
        .bind(to_micros(now))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(HoldRow::into_hold).collect())
}

/// Marks up to `limit` lapsed active holds expired; returns them.
pub(crate) async fn expire_lapsed(
    conn: Conn<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Hold>, storage::Error> {
    let rows: Vec<HoldRow> = Statement::new(concat!(
        "update inventory_reservations set status = 'expired', ended_at = $1
         where reservation_id in (
             select reservation_id from inventory_reservations
             where status = 'active' and expires_at <= $1 order by expires_at limit $2)
         returning ",
        hold_columns!()
    ))
    .bind(to_micros(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(HoldRow::into_hold).collect())
}

/// Marks the lapsed active holds of one event expired; returns them.
pub(crate) async fn expire_lapsed_of_event(
    conn: Conn<'_>,
    event: EventId,
    now: DateTime<Utc>,
) -> Result<Vec<Hold>, storage::Error> {
    const SQL: &str = concat!(
        "update inventory_reservations set status = 'expired', ended_at = $2
         where event_id = $1 and status = 'active' and expires_at <= $2
         returning ",
        hold_columns!()
    );
    expire_where(conn, SQL, event.uuid(), now).await
}

/// How many unexpired holds `customer` has for `event` at `now` (what the hold limit counts).
pub(crate) async fn live_holds_of(
    conn: Conn<'_>,
    customer: &str,
    event: EventId,
    now: DateTime<Utc>,
) -> Result<i64, storage::Error> {
    let (count,): (i64,) = Statement::new(
        "select cast(count(*) as bigint) from inventory_reservations
         where customer_id = $1 and event_id = $2 and status = 'active' and expires_at > $3",
    )
    .bind(customer)
    .bind(event.uuid())
    .bind(to_micros(now))
    .fetch_one(conn)
    .await?;
    Ok(count)
}

/// Gives the active hold `id` of `from` to `to` (a guest who signed in); whether it moved (or
/// was `to`'s already).
pub(crate) async fn give_hold(
    conn: Conn<'_>,
    id: ReservationId,
    from: &str,
    to: &str,
) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "update inventory_reservations set customer_id = $3
         where reservation_id = $1 and customer_id in ($2, $3) and status = 'active'",
    )
    .bind(id.uuid())
    .bind(from)
    .bind(to)
    .execute(conn)
    .await?;
    Ok(done == 1)
}

/// Extends the active, unexpired hold `id` of `customer` by `by`, once; returns it extended.
pub(crate) async fn extend_hold(
    conn: Conn<'_>,
    id: ReservationId,
    customer: &str,
    by: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Option<Hold>, storage::Error> {
    let row: Option<HoldRow> = Statement::new(concat!(
        "update inventory_reservations set expires_at = expires_at + $3, extended = true
         where reservation_id = $1 and customer_id = $2 and status = 'active' and expires_at > $4
           and not extended
         returning ",
        hold_columns!()
    ))
    .bind(id.uuid())
    .bind(customer)
    .bind(by.num_microseconds().unwrap_or(i64::MAX))
    .bind(to_micros(now))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(HoldRow::into_hold))
}

/// Releases an active, unexpired hold; returns it if it was released.
pub(crate) async fn release_hold(
    conn: Conn<'_>,
    id: ReservationId,
    now: DateTime<Utc>,
) -> Result<Option<Hold>, storage::Error> {
    released(
        conn,
        concat!(
            "update inventory_reservations set status = 'released', ended_at = $2
             where reservation_id = $1 and status = 'active' and expires_at > $2
             returning ",
            hold_columns!()
        ),
        id,
        now,
    )
    .await
}

/// Runs `sql`, an update of hold `id` to `released` at `now` returning its columns.
async fn released(
    conn: Conn<'_>,
    sql: &'static str,
    id: ReservationId,
    now: DateTime<Utc>,
) -> Result<Option<Hold>, storage::Error> {
    let row: Option<HoldRow> = Statement::new(sql)
        .bind(id.uuid())
        .bind(to_micros(now))
        .fetch_optional(conn)
        .await?;
    Ok(row.map(HoldRow::into_hold))
}

/// `confirmed → released` (the sale was refunded); the hold as it was, `None` if it was not
/// confirmed.
pub(crate) async fn release_confirmed(
    conn: Conn<'_>,
    id: ReservationId,
    now: DateTime<Utc>,
) -> Result<Option<Hold>, storage::Error> {
    released(
        conn,
        concat!(
            "update inventory_reservations set status = 'released', ended_at = $2
             where reservation_id = $1 and status = 'confirmed'
             returning ",
            hold_columns!()
        ),
        id,
        now,
    )
    .await
}

/// The blocked seats of an event.
pub(crate) async fn blocked_seats(
    conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<SeatId>, storage::Error> {
    let rows: Vec<(Uuid,)> =
        Statement::new("select seat_id from inventory_blocks where event_id = $1")
            .bind(event.uuid())
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id,)| SeatId(id)).collect())
}

/// Seats of an event that are held (unexpired) or sold at `now`, with whether they are sold.
pub(crate) async fn taken_seats(
    conn: Conn<'_>,
    event: EventId,
    now: DateTime<Utc>,
) -> Result<Vec<(SeatId, bool)>, storage::Error> {
    let rows: Vec<(Uuid, String)> = Statement::new(
        "select seat_id, status from inventory_reservations
         where event_id = $1 and (status = 'confirmed' or (status = 'active' and expires_at > $2))",
    )
    .bind(event.uuid())
    .bind(to_micros(now))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, status)| (SeatId(id), status == "confirmed"))
        .collect())
}

/// Marks a hold as a waitlist offer.
pub(crate) async fn mark_offer(conn: Conn<'_>, id: ReservationId) -> Result<(), storage::Error> {
    Statement::new("update inventory_reservations set is_offer = true where reservation_id = $1")
        .bind(id.uuid())
        .execute(conn)
        .await
        .map(drop)
}

/// (held, of which waitlist offers, sold, revenue of sold seats, held back) of an event at
/// `now`.
pub(crate) async fn event_counts(
    mut conn: Conn<'_>,
    event: EventId,
    now: DateTime<Utc>,
) -> Result<(i64, i64, i64, Money, i64), storage::Error> {
    let (held, offered, sold, revenue): (i64, i64, i64, i64) = Statement::new(
        "select cast(coalesce(sum(case when r.status = 'active' then 1 else 0 end), 0) as bigint),
                cast(coalesce(sum(case when r.status = 'active' and r.is_offer then 1 else 0 end), 0) as bigint),
                cast(coalesce(sum(case when r.status = 'confirmed' then 1 else 0 end), 0) as bigint),
                cast(coalesce(sum(case when r.status = 'confirmed' then s.price_cents else 0 end), 0) as bigint)
         from inventory_reservations r left join inventory_seats s on s.seat_id = r.seat_id
         where r.event_id = $1 and (r.status = 'confirmed' or (r.status = 'active' and r.expires_at > $2))",
    )
    .bind(event.uuid())
    .bind(to_micros(now))
    .fetch_one(conn.reborrow())
    .await?;
    let (blocked,): (i64,) =
        Statement::new("select cast(count(*) as bigint) from inventory_blocks where event_id = $1")
            .bind(event.uuid())
            .fetch_one(conn)
            .await?;
    Ok((held, offered, sold, Money::from_cents(revenue), blocked))
}

/// Confirms a paid hold: the seat is sold. A hold that lapsed after the payment was recorded is
/// confirmed too, provided nobody else holds the seat. Returns false when the seat went to
/// someone else (or the hold does not exist).
/// `active → confirmed` (or a lapsed hold whose seat nobody took since).
const CONFIRM_HOLD: &str = "update inventory_reservations set status = 'confirmed', ended_at = $2
     where reservation_id = $1 and (status = 'active' or (status = 'expired' and not exists (
         select 1 from inventory_reservations other
         where other.seat_id = inventory_reservations.seat_id and other.status in ('active', 'confirmed'))))";

/// A hold's status.
const HOLD_STATUS: &str = "select status from inventory_reservations where reservation_id = $1";

fn confirm_hold_statement<'a>(id: ReservationId, now: DateTime<Utc>) -> Statement<'a> {
    Statement::new(CONFIRM_HOLD)
        .bind(id.uuid())
        .bind(to_micros(now))
}

fn hold_status_statement<'a>(id: ReservationId) -> Statement<'a> {
    Statement::new(HOLD_STATUS).bind(id.uuid())
}

pub(crate) async fn confirm_hold(
    mut conn: Conn<'_>,
    id: ReservationId,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    if confirm_hold_statement(id, now)
        .execute(conn.reborrow())
        .await?
        == 1
    {
        return Ok(true);
    }
    let status: Option<(String,)> = hold_status_statement(id).fetch_optional(conn).await?;
    Ok(status.is_some_and(|(s,)| s == "confirmed"))
}
