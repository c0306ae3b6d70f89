//! The statements of ordering, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, OrderItemId, ReservationId, SeatId, from_micros, to_micros};
use storage::{Conn, FromRow, Row, RowError, Statement, Value};
use uuid::Uuid;

use crate::domain::{
    Buyer, EventOrder, LapsedLine, Order, OrderItem, OrderSearch, OrderState, Sale,
};

storage::row! {
    struct OrderRow {
        order_id: Uuid,
        user_id: Option<String>,
        guest_token: Option<String>,
        state: String,
        currency: String,
        created_at: i64,
        paid_at: Option<i64>,
        customer_email: Option<String>,
        buyer_name: Option<String>,
    }
}

storage::row! {
    struct ItemRow {
        item_id: Uuid,
        seat_id: Uuid,
        reservation_id: Uuid,
        price_cents: i64,
        event_id: Uuid,
        event_name: String,
        section_code: String,
        row_number: i64,
        seat_number: i64,
        refunded_at: Option<i64>,
    }
}

storage::row! {
    struct EventOrderRow {
        order_id: Uuid,
        user_id: Option<String>,
        guest_token: Option<String>,
        buyer_name: Option<String>,
        customer_email: Option<String>,
        state: String,
        currency: String,
        created_at: i64,
        paid_at: Option<i64>,
        seats: i64,
        amount_cents: i64,
    }
}

impl EventOrderRow {
    fn into_order(self) -> EventOrder {
        EventOrder {
            id: OrderId(self.order_id),
            buyer: self
                .buyer_name
                .or(self.user_id)
                .or(self.guest_token)
                .unwrap_or_default(),
            email: self.customer_email,
            state: OrderState::parse(&self.state).unwrap_or(OrderState::Cancelled),
            seats: self.seats,
            amount: Money::from_cents(self.amount_cents),
            currency: self.currency,
            created_at: from_micros(self.created_at),
            paid_at: self.paid_at.map(from_micros),
        }
    }
}

/// One page of an event's orders for its export: those after `after` in id order (drafts
/// left out), each with the count and sum of its seats of that event
/// (`ordering_order_items_by_event` reads the lines in that order).
pub(crate) async fn orders_of_event_after(
    conn: Conn<'_>,
    event: EventId,
    after: Uuid,
    limit: i64,
) -> Result<Vec<EventOrder>, storage::Error> {
    let rows: Vec<EventOrderRow> = Statement::new(
        // The page is cut from the event's lines in index order (grouped by order as they
        // come), and only then joined to the orders: grouping the joined rows by the orders'
        // columns sorted every remaining line for each page (3.9 s for 100,000 orders on
        // SQLite, docs/performance.md).
        "select o.order_id, o.user_id, o.guest_token, o.buyer_name, o.customer_email, o.state,
                o.currency, o.created_at, o.paid_at, p.seats, p.amount_cents
         from (select i.order_id, count(*) as seats, cast(sum(i.price_cents) as bigint) as amount_cents
               from ordering_order_items i
               where i.event_id = $1 and i.order_id > $2
                 and exists (select 1 from ordering_orders d
                             where d.order_id = i.order_id and d.state <> 'draft')
               group by i.order_id
               order by i.order_id
               limit $3) p
         join ordering_orders o on o.order_id = p.order_id
         order by o.order_id",
    )
    .bind(event.uuid())
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(EventOrderRow::into_order).collect())
}

/// A page of the orders `search` finds (drafts never: carts are not orders yet), newest first
/// (ids are time-ordered), and one more when there is a next page. Only the filters asked for
/// are in the SQL, so that each can use its index (`0016_exports.sql`): a text through the
/// e-mail, user, guest and primary-key indexes, an event through its lines' index, a state
/// through `(state, order_id)`; a scan newest first stops at the page's end.
pub(crate) async fn search_orders(
    conn: Conn<'_>,
    search: &OrderSearch,
) -> Result<Vec<EventOrder>, storage::Error> {
    let mut params = Params::default();
    let mut sql = String::from(
        "select o.order_id, o.user_id, o.guest_token, o.buyer_name, o.customer_email, o.state,
                o.currency, o.created_at, o.paid_at,
                (select count(*) from ordering_order_items c where c.order_id = o.order_id) as seats,
                o.total_cents as amount_cents
         from ordering_orders o",
    );
    if let Some(text) = search.text.as_deref() {
        // The few orders the text names, found through their indexes, then sorted: scanning
        // every order newest first for them took 24 ms at 100,000 orders, and grows with them.
        let n = params.add(text);
        sql.push_str(&format!(
            " join (select order_id from ordering_orders where customer_email = {n}
                    union select order_id from ordering_orders where user_id = {n}
                    union select order_id from ordering_orders where guest_token = {n}
                    union select order_id from ordering_orders where lower(buyer_name) = lower({n})"
        ));
        let ids = Uuid::parse_str(text)
            .ok()
            .into_iter()
            .chain(search.ticket_order.map(OrderId::uuid));
        for id in ids {
            let m = params.add(id);
            sql.push_str(&format!(
                " union select order_id from ordering_orders where order_id = {m}"
            ));
        }
        sql.push_str(") named on named.order_id = o.order_id");
    }
    // A state asked for is never a draft (`OrderSearch::new`); alone in the condition it lets
    // the `(state, order_id)` index give the rows in order.
    match search.state {
        Some(state) => {
            let n = params.add(state.as_str());
            sql.push_str(&format!(" where o.state = {n}"));
        }
        None => sql.push_str(" where o.state <> 'draft'"),
    }
    if let Some(event) = search.event {
        // Orders newest first, each kept if it has a line of the event: the first page of an
        // event of 100,000 orders in 1 ms (a distinct list of the event's orders to join with
        // took 78 ms, whichever the page).
        let n = params.add(event.uuid());
        sql.push_str(&format!(
            " and exists (select 1 from ordering_order_items i
                          where i.order_id = o.order_id and i.event_id = {n})"
        ));
    }
    let size = i64::from(OrderSearch::PAGE_SIZE);
    let limit = params.add(size + 1);
    let offset = params.add(i64::from(search.page.max(1) - 1) * size);
    sql.push_str(&format!(
        " order by o.order_id desc limit {limit} offset {offset}"
    ));
    let rows: Vec<EventOrderRow> = params
        .0
        .into_iter()
        .fold(Statement::new(sql), Statement::bind)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(EventOrderRow::into_order).collect())
}

/// The values of a statement built piece by piece, each named `$n` as it is added.
#[derive(Default)]
struct Params<'a>(Vec<Value<'a>>);

impl<'a> Params<'a> {
    fn add(&mut self, value: impl Into<Value<'a>>) -> String {
        self.0.push(value.into());
        format!("${}", self.0.len())
    }
}

/// A row of [`ORDER_WITH_ITEMS`]: the order's columns and a line's (no column name is in both).
struct OrderLineRow {
    order: OrderRow,
    item: OptionalItemRow,
}

impl FromRow for OrderLineRow {
    fn from_row(row: &Row<'_, '_>) -> Result<Self, RowError> {
        Ok(Self {
            order: OrderRow::from_row(row)?,
            item: OptionalItemRow::from_row(row)?,
        })
    }
}

storage::row! {
    /// An [`ItemRow`] from an outer join: all `None` when the order has no line.
    struct OptionalItemRow {
        item_id: Option<Uuid>,
        seat_id: Option<Uuid>,
        reservation_id: Option<Uuid>,
        price_cents: Option<i64>,
        event_id: Option<Uuid>,
        event_name: Option<String>,
        section_code: Option<String>,
        row_number: Option<i64>,
        seat_number: Option<i64>,
        refunded_at: Option<i64>,
    }
}

impl OptionalItemRow {
    fn into_item(self) -> Option<ItemRow> {
        Some(ItemRow {
            item_id: self.item_id?,
            seat_id: self.seat_id?,
            reservation_id: self.reservation_id?,
            price_cents: self.price_cents?,
            event_id: self.event_id?,
            event_name: self.event_name?,
            section_code: self.section_code?,
            row_number: self.row_number?,
            seat_number: self.seat_number?,
            refunded_at: self.refunded_at,
        })
    }
}

macro_rules! order_columns {
    () => {
        "order_id, user_id, guest_token, state, currency, created_at, paid_at, customer_email, buyer_name"
    };
}

const ORDER_COLUMNS: &str = order_columns!();

/// An order with its lines, one row per line (one row with no line for an empty order).
const ORDER_WITH_ITEMS: &str = "select o.order_id, o.user_id, o.guest_token, o.state, o.currency,
        o.created_at, o.paid_at, o.customer_email, o.buyer_name, i.item_id, i.seat_id, i.reservation_id,
        i.price_cents, i.event_id, i.event_name, i.section_code, i.row_number, i.seat_number,
        i.refunded_at
     from ordering_orders o left join ordering_order_items i on i.order_id = o.order_id
     where o.order_id = $1 order by i.position";

const DRAFT_OF_USER: &str = concat!(
    "select ",
    order_columns!(),
    " from ordering_orders where user_id = $1 and state = 'draft'"
);

const DRAFT_OF_GUEST: &str = concat!(
    "select ",
    order_columns!(),
    " from ordering_orders where user_id is null and guest_token = $1 and state = 'draft'"
);

const ITEMS_OF_ORDER: &str =
    "select item_id, seat_id, reservation_id, price_cents, event_id, event_name, section_code,
        row_number, seat_number, refunded_at
     from ordering_order_items where order_id = $1 order by position";

const INSERT_ORDER: &str = "insert into ordering_orders (order_id, user_id, guest_token, state, currency, total_cents, created_at,
        updated_at, customer_email, buyer_name)
     values ($1, $2, $3, $4, $5, $8, $6, $6, $7, $9)";

const INSERT_ITEM: &str = "insert into ordering_order_items (item_id, order_id, seat_id, reservation_id, price_cents, event_id,
        event_name, section_code, row_number, seat_number, position)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
        (select coalesce(max(position), 0) + 1 from ordering_order_items where order_id = $2))";

const REFRESH_TOTAL: &str = "update ordering_orders set updated_at = $2, total_cents =
        (select coalesce(sum(price_cents), 0) from ordering_order_items where order_id = $1)
     where order_id = $1";

async fn with_items(conn: Conn<'_>, row: OrderRow) -> Result<Order, storage::Error> {
    let items: Vec<ItemRow> = items_statement(row.order_id).fetch_all(conn).await?;
    Ok(assemble(row, items))
}

fn items_statement<'a>(order: Uuid) -> Statement<'a> {
    Statement::new(ITEMS_OF_ORDER).bind(order)
}

/// An order from its row and its lines' rows.
fn assemble(row: OrderRow, items: Vec<ItemRow>) -> Order {
    Order {
        id: OrderId(row.order_id),
        user_id: row.user_id,
        guest_token: row.guest_token,
        // The column has a CHECK constraint; anything else would be a manual edit.
        state: OrderState::parse(&row.state).unwrap_or(OrderState::Cancelled),
        currency: row.currency,
        items: items
            .into_iter()
            .map(|i| OrderItem {
                id: OrderItemId(i.item_id),
                seat_id: SeatId(i.seat_id),
                reservation_id: ReservationId(i.reservation_id),
                price: Money::from_cents(i.price_cents),
                event_id: EventId(i.event_id),
                event_name: i.event_name,
                section_code: i.section_code,
                row_number: i.row_number,
                seat_number: i.seat_number,
                refunded_at: i.refunded_at.map(from_micros),
            })
            .collect(),
        created_at: from_micros(row.created_at),
        paid_at: row.paid_at.map(from_micros),
        customer_email: row.customer_email,
        buyer_name: row.buyer_name,
    }
}

pub(crate) async fn order(
    mut conn: Conn<'_>,
    id: OrderId,
) -> Result<Option<Order>, storage::Error> {
    // The order and its lines in one statement: on PostgreSQL each statement is a round trip,
    // and payment and the completion of a paid order read the order under the writer lock.
    let rows: Vec<OrderLineRow> = Statement::new(ORDER_WITH_ITEMS)
        .bind(id.uuid())
        .fetch_all(conn.reborrow())
        .await?;
    let mut rows = rows.into_iter();
    let Some(first) = rows.next() else {
        return Ok(None);
    };
    let items = std::iter::once(first.item)
        .chain(rows.map(|r| r.item))
        .filter_map(OptionalItemRow::into_item)
        .collect();
    Ok(Some(assemble(first.order, items)))
}

/// The buyer's draft: by user id when one is given, else by guest token (`None`: neither).
fn draft_statement(buyer: &Buyer) -> Option<Statement<'_>> {
    match (buyer.user_id(), buyer.guest_token()) {
        (Some(user), _) => Some(Statement::new(DRAFT_OF_USER).bind(user)),
        (None, Some(token)) => Some(Statement::new(DRAFT_OF_GUEST).bind(token)),
        (None, None) => None,
    }
}

/// The buyer's draft: found by user id when one is given, else by guest token.
pub(crate) async fn draft_of(
    mut conn: Conn<'_>,
    buyer: &Buyer,
) -> Result<Option<Order>, storage::Error> {
    let row: Option<OrderRow> = match draft_statement(buyer) {
        Some(draft) => draft.fetch_optional(conn.reborrow()).await?,
        None => None,
    };
    match row {
        Some(row) => Ok(Some(with_items(conn.reborrow(), row).await?)),
        None => Ok(None),
    }
}

/// The buyer's orders, newest first.
pub(crate) async fn orders_of(
    mut conn: Conn<'_>,
    buyer: &Buyer,
) -> Result<Vec<Order>, storage::Error> {
    let rows: Vec<OrderRow> = match (buyer.user_id(), buyer.guest_token()) {
        (Some(user), _) => {
            Statement::new(format!(
                "select {ORDER_COLUMNS} from ordering_orders where user_id = $1 order by created_at desc"
            ))
            .bind(user)
            .fetch_all(conn.reborrow())
            .await?
        }
        (None, Some(token)) => {
            Statement::new(format!(
                "select {ORDER_COLUMNS} from ordering_orders
                 where user_id is null and guest_token = $1 order by created_at desc"
            ))
            .bind(token)
            .fetch_all(conn.reborrow())
            .await?
        }
        (None, None) => Vec::new(),
    };
    let mut orders = Vec::with_capacity(rows.len());
    for row in rows {
        orders.push(with_items(conn.reborrow(), row).await?);
    }
    Ok(orders)
}

/// Draft or pending orders that contain the hold `reservation`.
pub(crate) async fn open_orders_with_reservation(
    mut conn: Conn<'_>,
    reservation: ReservationId,
) -> Result<Vec<Order>, storage::Error> {
    let ids: Vec<(Uuid,)> = Statement::new(
        "select distinct o.order_id from ordering_orders o
         join ordering_order_items i on i.order_id = o.order_id
         where i.reservation_id = $1 and o.state in ('draft', 'pending')",
    )
    .bind(reservation.uuid())
    .fetch_all(conn.reborrow())
    .await?;
    let mut orders = Vec::with_capacity(ids.len());
    for (id,) in ids {
        if let Some(o) = order(conn.reborrow(), OrderId(id)).await? {
            orders.push(o);
        }
    }
    Ok(orders)
}

fn insert_order_statement(o: &Order) -> Statement<'_> {
    Statement::new(INSERT_ORDER)
        .bind(o.id.uuid())
        .bind(o.user_id.as_ref())
        .bind(o.guest_token.as_ref())
        .bind(o.state.as_str())
        .bind(&o.currency)
        .bind(to_micros(o.created_at))
        .bind(o.customer_email.as_ref())
        .bind(o.total().cents())
        .bind(o.buyer_name.as_ref())
}

pub(crate) async fn insert_order(conn: Conn<'_>, o: &Order) -> Result<(), storage::Error> {
    insert_order_statement(o).execute(conn).await.map(drop)
}

/// Adds a line and refreshes the stored total.
pub(crate) async fn insert_item(
    mut conn: Conn<'_>,
    order: OrderId,
    item: &OrderItem,
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    insert_line(conn.reborrow(), order, item).await?;
    refresh_total(conn.reborrow(), order, now).await
}

/// Adds a line, leaving the stored total as it is: for an order written with its total.
pub(crate) async fn insert_line(
    conn: Conn<'_>,
    order: OrderId,
    item: &OrderItem,
) -> Result<(), storage::Error> {
    insert_line_statement(order, item)
        .execute(conn)
        .await
        .map(drop)
}

fn insert_line_statement(order: OrderId, item: &OrderItem) -> Statement<'_> {
    Statement::new(INSERT_ITEM)
        .bind(item.id.uuid())
        .bind(order.uuid())
        .bind(item.seat_id.uuid())
        .bind(item.reservation_id.uuid())
        .bind(item.price.cents())
        .bind(item.event_id.uuid())
        .bind(&item.event_name)
        .bind(&item.section_code)
        .bind(item.row_number)
        .bind(item.seat_number)
}

/// Removes a line and refreshes the stored total.
pub(crate) async fn delete_item(
    mut conn: Conn<'_>,
    order: OrderId,
    item: OrderItemId,
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    Statement::new("delete from ordering_order_items where item_id = $1")
        .bind(item.uuid())
        .execute(conn.reborrow())
        .await?;
    refresh_total(conn.reborrow(), order, now).await
}

async fn refresh_total(
    conn: Conn<'_>,
    order: OrderId,
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    refresh_total_statement(order, now)
        .execute(conn)
        .await
        .map(drop)
}

fn refresh_total_statement<'a>(order: OrderId, now: DateTime<Utc>) -> Statement<'a> {
    Statement::new(REFRESH_TOTAL)
        .bind(order.uuid())
        .bind(to_micros(now))
}

/// Makes a guest's draft the account `user`'s (its e-mail the account's when given).
pub(crate) async fn give_draft(
    conn: Conn<'_>,
    order: OrderId,
    user: &str,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "update ordering_orders set user_id = $2, guest_token = null,
             customer_email = coalesce($3, customer_email), updated_at = $4
         where order_id = $1 and state = 'draft' and user_id is null",
    )
    .bind(order.uuid())
    .bind(user)
    .bind(email)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done == 1)
}

/// Moves every line of draft `from` to draft `to` (and the seats that lapsed in it) and
/// refreshes both totals.
pub(crate) async fn move_lines(
    mut conn: Conn<'_>,
    from: OrderId,
    to: OrderId,
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    for sql in [
        "update ordering_order_items set order_id = $2 where order_id = $1",
        "update ordering_lapsed_lines set order_id = $2 where order_id = $1
           and seat_id not in (select seat_id from ordering_lapsed_lines where order_id = $2)",
    ] {
        Statement::new(sql)
            .bind(from.uuid())
            .bind(to.uuid())
            .execute(conn.reborrow())
            .await?;
    }
    refresh_total(conn.reborrow(), from, now).await?;
    refresh_total(conn, to, now).await
}

/// Remembers that `item`'s hold ran out in cart `order` (a later lapse of the seat replaces it).
pub(crate) async fn remember_lapsed(
    conn: Conn<'_>,
    order: OrderId,
    item: &OrderItem,
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    Statement::new(
        "insert into ordering_lapsed_lines
            (order_id, seat_id, event_id, section_code, row_number, seat_number, lapsed_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (order_id, seat_id) do update set lapsed_at = excluded.lapsed_at",
    )
    .bind(order.uuid())
    .bind(item.seat_id.uuid())
    .bind(item.event_id.uuid())
    .bind(&item.section_code)
    .bind(item.row_number)
    .bind(item.seat_number)
    .bind(to_micros(now))
    .execute(conn)
    .await
    .map(drop)
}

storage::row! {
    struct LapsedRow {
        seat_id: Uuid,
        event_id: Uuid,
        section_code: String,
        row_number: i64,
        seat_number: i64,
        lapsed_at: i64,
    }
}

/// The seats whose hold ran out in cart `order`, in place order.
pub(crate) async fn lapsed_lines(
    conn: Conn<'_>,
    order: OrderId,
) -> Result<Vec<LapsedLine>, storage::Error> {
    let rows: Vec<LapsedRow> = Statement::new(
        "select seat_id, event_id, section_code, row_number, seat_number, lapsed_at
         from ordering_lapsed_lines where order_id = $1
         order by section_code, row_number, seat_number",
    )
    .bind(order.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LapsedLine {
            seat_id: SeatId(r.seat_id),
            event_id: EventId(r.event_id),
            section_code: r.section_code,
            row_number: r.row_number,
            seat_number: r.seat_number,
            lapsed_at: from_micros(r.lapsed_at),
        })
        .collect())
}

/// Forgets the lapsed lines of cart `order`: all of them, or only `seat`'s.
pub(crate) async fn forget_lapsed(
    conn: Conn<'_>,
    order: OrderId,
    seat: Option<SeatId>,
) -> Result<(), storage::Error> {
    Statement::new(
        "delete from ordering_lapsed_lines where order_id = $1 and ($2 is null or seat_id = $2)",
    )
    .bind(order.uuid())
    .bind(seat.map(|s| s.uuid()))
    .execute(conn)
    .await
    .map(drop)
}

/// Moves an order from `from` to `to`; returns false if it was not in `from` any more.
const SET_STATE: &str = "update ordering_orders set state = $3, updated_at = $4,
        cancelled_at = case when $3 = 'cancelled' then $4 else cancelled_at end
     where order_id = $1 and state = $2";

pub(crate) async fn set_state(
    conn: Conn<'_>,
    order: OrderId,
    from: OrderState,
    to: OrderState,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    let done = Statement::new(SET_STATE)
        .bind(order.uuid())
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    Ok(done == 1)
}

/// `draft → pending`, only while the draft's lines are the ones the checkout read: as many, with
/// the same newest line. Line ids are time-ordered (UUIDv7), so a line added since the read is the
/// newest and changes the last; a line removed changes the count. Without this guard a line added
/// between the checkout's read and its write was checked out unseen: not in the answer's items
/// and total, and its hold never checked.
const CHECK_OUT: &str = "update ordering_orders set state = 'pending', updated_at = $2
     where order_id = $1 and state = 'draft'
       and (select count(*) from ordering_order_items where order_id = $1) = $3
       and (select item_id from ordering_order_items where order_id = $1
            order by item_id desc limit 1) = $4";

/// The lines a checkout read, as [`CHECK_OUT`] compares them.
pub(crate) struct Lines {
    count: i64,
    newest: Uuid,
}

impl Lines {
    /// `None` for an order without lines (nothing to check out).
    pub(crate) fn of(order: &Order) -> Option<Self> {
        Some(Self {
            count: i64::try_from(order.items.len()).ok()?,
            newest: order.items.iter().map(|i| i.id.uuid()).max()?,
        })
    }
}

/// [`CHECK_OUT`]: false if the order is no longer a draft or its lines changed since `lines`.
pub(crate) async fn check_out(
    conn: Conn<'_>,
    order: OrderId,
    lines: &Lines,
    now: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    Ok(check_out_statement(order, lines, now).execute(conn).await? == 1)
}

fn check_out_statement<'a>(order: OrderId, lines: &Lines, now: DateTime<Utc>) -> Statement<'a> {
    Statement::new(CHECK_OUT)
        .bind(order.uuid())
        .bind(to_micros(now))
        .bind(lines.count)
        .bind(lines.newest)
}

/// `pending → completed` with the payment instant; returns false if the order was not pending.
/// `pending → completed` with `paidAt`.
const MARK_PAID: &str =
    "update ordering_orders set state = 'completed', paid_at = $2, updated_at = $2
     where order_id = $1 and state = 'pending'";

pub(crate) async fn mark_paid(
    conn: Conn<'_>,
    order: OrderId,
    paid_at: DateTime<Utc>,
) -> Result<bool, storage::Error> {
    Ok(mark_paid_statement(order, paid_at).execute(conn).await? == 1)
}

fn mark_paid_statement<'a>(order: OrderId, paid_at: DateTime<Utc>) -> Statement<'a> {
    Statement::new(MARK_PAID)
        .bind(order.uuid())
        .bind(to_micros(paid_at))
}

/// Sets the address tickets go to (a guest's, given at checkout) when the order has none.
const SET_EMAIL_IF_MISSING: &str =
    "update ordering_orders set customer_email = $2 where order_id = $1 and customer_email is null";

pub(crate) async fn set_email_if_missing(
    conn: Conn<'_>,
    order: OrderId,
    email: &str,
) -> Result<(), storage::Error> {
    set_email_statement(order, email)
        .execute(conn)
        .await
        .map(drop)
}

fn set_email_statement(order: OrderId, email: &str) -> Statement<'_> {
    Statement::new(SET_EMAIL_IF_MISSING)
        .bind(order.uuid())
        .bind(email)
}

/// Every seat sold for `event`: when it was paid, its section and price, and when it was
/// refunded, oldest first.
pub(crate) async fn sales_of_event(
    conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<Sale>, storage::Error> {
    let rows: Vec<(i64, String, i64, Option<i64>)> = Statement::new(
        "select o.paid_at, i.section_code, i.price_cents, i.refunded_at
         from ordering_order_items i join ordering_orders o on o.order_id = i.order_id
         where i.event_id = $1 and o.state in ('completed', 'partially_refunded', 'refunded')
           and o.paid_at is not null
         order by o.paid_at",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(paid_at, section_code, cents, refunded_at)| Sale {
            paid_at: from_micros(paid_at),
            section_code,
            price: Money::from_cents(cents),
            refunded_at: refunded_at.map(from_micros),
        })
        .collect())
}

/// Marks the lines of `seats` of `order` refunded by `refund` (those not refunded before; the
/// count marked), adds `amount` to the order's refunded sum and moves a paid order to
/// `refunded` when no line is left, else `partially_refunded`. Returns the new state's name, or
/// `None` when nothing was marked (the refund was applied before).
pub(crate) async fn mark_refunded(
    mut conn: Conn<'_>,
    order: OrderId,
    refund: Uuid,
    seats: &[SeatId],
    amount: Money,
    now: DateTime<Utc>,
) -> Result<Option<OrderState>, storage::Error> {
    let mut marked = 0;
    for seat in seats {
        marked += Statement::new(
            "update ordering_order_items set refund_id = $3, refunded_at = $4
             where order_id = $1 and seat_id = $2 and refunded_at is null",
        )
        .bind(order.uuid())
        .bind(seat.uuid())
        .bind(refund)
        .bind(to_micros(now))
        .execute(conn.reborrow())
        .await?;
    }
    if marked == 0 {
        return Ok(None);
    }
    let (left,): (i64,) = Statement::new(
        "select count(*) from ordering_order_items where order_id = $1 and refunded_at is null",
    )
    .bind(order.uuid())
    .fetch_one(conn.reborrow())
    .await?;
    let state = if left == 0 {
        OrderState::Refunded
    } else {
        OrderState::PartiallyRefunded
    };
    Statement::new(
        "update ordering_orders set state = $2, refunded_cents = refunded_cents + $3,
            refunded_at = $4, updated_at = $4
         where order_id = $1 and state in ('completed', 'partially_refunded')",
    )
    .bind(order.uuid())
    .bind(state.as_str())
    .bind(amount.cents())
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(Some(state))
}
