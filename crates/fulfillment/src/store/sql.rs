//! The statements of fulfillment, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, SeatId, from_micros, to_micros};
use storage::{Conn, Statement};
use uuid::Uuid;

use crate::domain::{Ticket, TicketStatus};

storage::row! {
    struct TicketRow {
        ticket_id: Uuid,
        order_id: Uuid,
        event_id: Uuid,
        event_name: String,
        venue: String,
        event_date: i64,
        seat_id: Uuid,
        section_code: String,
        row_number: i64,
        seat_number: i64,
        price_cents: i64,
        currency: String,
        holder: String,
        user_id: Option<String>,
        guest_token: Option<String>,
        customer_email: Option<String>,
        status: String,
        qr: String,
        issued_at: i64,
        checked_in_at: Option<i64>,
        void_reason: Option<String>,
    }
}

impl TicketRow {
    fn into_ticket(self) -> Ticket {
        Ticket {
            id: self.ticket_id,
            order_id: OrderId(self.order_id),
            event_id: EventId(self.event_id),
            event_name: self.event_name,
            venue: self.venue,
            event_date: from_micros(self.event_date),
            seat_id: SeatId(self.seat_id),
            section_code: self.section_code,
            row_number: self.row_number,
            seat_number: self.seat_number,
            price: Money::from_cents(self.price_cents),
            currency: self.currency,
            holder: self.holder,
            user_id: self.user_id,
            guest_token: self.guest_token,
            customer_email: self.customer_email,
            // The column has a CHECK constraint; anything else would be a manual edit.
            status: TicketStatus::parse(&self.status).unwrap_or(TicketStatus::Void),
            qr: self.qr,
            issued_at: from_micros(self.issued_at),
            checked_in_at: self.checked_in_at.map(from_micros),
            void_reason: self.void_reason,
        }
    }
}

const COLUMNS: &str = "ticket_id, order_id, event_id, event_name, venue, event_date, seat_id, section_code, \
     row_number, seat_number, price_cents, currency, holder, user_id, guest_token, customer_email, status, qr, \
     issued_at, checked_in_at, void_reason";

pub(crate) async fn ticket(mut conn: Conn<'_>, id: Uuid) -> Result<Option<Ticket>, storage::Error> {
    let sql = format!("select {COLUMNS} from fulfillment_tickets where ticket_id = $1");
    let row: Option<TicketRow> = Statement::new(sql)
        .bind(id)
        .fetch_optional(conn.reborrow())
        .await?;
    Ok(row.map(TicketRow::into_ticket))
}

pub(crate) async fn tickets_of_order(
    mut conn: Conn<'_>,
    order: OrderId,
) -> Result<Vec<Ticket>, storage::Error> {
    let sql = format!(
        "select {COLUMNS} from fulfillment_tickets where order_id = $1 order by section_code, row_number, seat_number"
    );
    let rows: Vec<TicketRow> = Statement::new(sql)
        .bind(order.uuid())
        .fetch_all(conn.reborrow())
        .await?;
    Ok(rows.into_iter().map(TicketRow::into_ticket).collect())
}

/// The tickets of `event` after `after` in id order, at most `limit` (one page of an export;
/// the index `fulfillment_tickets_by_event` reads them in that order).
pub(crate) async fn tickets_of_event_after(
    conn: Conn<'_>,
    event: EventId,
    after: Uuid,
    limit: i64,
) -> Result<Vec<Ticket>, storage::Error> {
    let sql = format!(
        "select {COLUMNS} from fulfillment_tickets where event_id = $1 and ticket_id > $2 order by ticket_id limit $3"
    );
    let rows: Vec<TicketRow> = Statement::new(sql)
        .bind(event.uuid())
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(TicketRow::into_ticket).collect())
}

/// Inserts a ticket unless its order has one for the seat; void from the start when the seat
/// was refunded before the ticket was issued (`fulfillment_voided_seats`).
const INSERT_TICKET: &str = "insert into fulfillment_tickets (ticket_id, order_id, event_id, event_name, venue, event_date, seat_id,
        section_code, row_number, seat_number, price_cents, currency, holder, user_id, guest_token,
        customer_email, status, qr, issued_at, void_reason)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
        case when exists (select 1 from fulfillment_voided_seats v where v.order_id = $2 and v.seat_id = $7)
             then 'void' else 'issued' end,
        $17, $18,
        (select v.reason from fulfillment_voided_seats v where v.order_id = $2 and v.seat_id = $7))
     on conflict (order_id, seat_id) do nothing";

/// Inserts a ticket unless the order already has one for that seat; returns whether it did.
pub(crate) async fn insert_ticket(conn: Conn<'_>, t: &Ticket) -> Result<bool, storage::Error> {
    Ok(insert_ticket_statement(t).execute(conn).await? == 1)
}

fn insert_ticket_statement(t: &Ticket) -> Statement<'_> {
    Statement::new(INSERT_TICKET)
        .bind(t.id)
        .bind(t.order_id.uuid())
        .bind(t.event_id.uuid())
        .bind(&t.event_name)
        .bind(&t.venue)
        .bind(to_micros(t.event_date))
        .bind(t.seat_id.uuid())
        .bind(&t.section_code)
        .bind(t.row_number)
        .bind(t.seat_number)
        .bind(t.price.cents())
        .bind(&t.currency)
        .bind(&t.holder)
        .bind(t.user_id.as_ref())
        .bind(t.guest_token.as_ref())
        .bind(t.customer_email.as_ref())
        .bind(&t.qr)
        .bind(to_micros(t.issued_at))
}

/// `issued → checked_in`; returns whether this call admitted the ticket.
pub(crate) async fn check_in(
    mut conn: Conn<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "update fulfillment_tickets set status = 'checked_in', checked_in_at = $2 where ticket_id = $1 and status = 'issued'",
    )
    .bind(id)
    .bind(to_micros(now))
    .execute(conn.reborrow())
        .await?;
    Ok(done == 1)
}

/// Voids the ticket of `seat` of `order` for `reason`, and remembers the seat as void so that a
/// ticket issued later for it is void too (the refund may come before the ticket).
pub(crate) async fn void_seat(
    mut conn: Conn<'_>,
    order: OrderId,
    seat: SeatId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    Statement::new(
        "insert into fulfillment_voided_seats (order_id, seat_id, reason, voided_at)
         values ($1, $2, $3, $4) on conflict (order_id, seat_id) do nothing",
    )
    .bind(order.uuid())
    .bind(seat.uuid())
    .bind(reason)
    .bind(to_micros(now))
    .execute(conn.reborrow())
    .await?;
    Statement::new(
        "update fulfillment_tickets set status = 'void', void_reason = $3
         where order_id = $1 and seat_id = $2 and status <> 'void'",
    )
    .bind(order.uuid())
    .bind(seat.uuid())
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives every ticket of `event` its new date and venue.
pub(crate) async fn reschedule(
    conn: Conn<'_>,
    event: EventId,
    date: DateTime<Utc>,
    venue: &str,
) -> Result<(), storage::Error> {
    Statement::new("update fulfillment_tickets set event_date = $2, venue = $3 where event_id = $1")
        .bind(event.uuid())
        .bind(to_micros(date))
        .bind(venue)
        .execute(conn)
        .await
        .map(drop)
}

/// The orders holding valid tickets of `event`, each with the address its tickets went to.
pub(crate) async fn holders_of_event(
    conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<(OrderId, String)>, storage::Error> {
    let rows: Vec<(Uuid, String)> = Statement::new(
        "select distinct order_id, customer_email from fulfillment_tickets
         where event_id = $1 and status <> 'void' and customer_email is not null
         order by order_id",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(o, e)| (OrderId(o), e)).collect())
}

/// When each ticket of `event` was checked in, oldest first.
pub(crate) async fn check_ins_of_event(
    conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<DateTime<Utc>>, storage::Error> {
    let rows: Vec<(i64,)> = Statement::new(
        "select checked_in_at from fulfillment_tickets
         where event_id = $1 and checked_in_at is not null order by checked_in_at",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(t,)| from_micros(t)).collect())
}
