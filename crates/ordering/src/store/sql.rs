//! SQLite statements of ordering.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, OrderItemId, ReservationId, SeatId, from_micros, to_micros};
use sqlx::FromRow;
use storage::{Conn, on_conn};
use uuid::Uuid;

use crate::domain::{Buyer, Order, OrderItem, OrderState, Sale};

#[derive(FromRow)]
struct OrderRow {
    order_id: Uuid,
    user_id: Option<String>,
    guest_token: Option<String>,
    state: String,
    currency: String,
    created_at: i64,
    paid_at: Option<i64>,
    customer_email: Option<String>,
}

#[derive(FromRow)]
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
}

/// A row of [`ORDER_WITH_ITEMS`].
#[derive(FromRow)]
struct OrderLineRow {
    #[sqlx(flatten)]
    order: OrderRow,
    #[sqlx(flatten)]
    item: OptionalItemRow,
}

/// An [`ItemRow`] from an outer join: all `None` when the order has no line.
#[derive(FromRow)]
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
        })
    }
}

macro_rules! order_columns {
    () => {
        "order_id, user_id, guest_token, state, currency, created_at, paid_at, customer_email"
    };
}

const ORDER_COLUMNS: &str = order_columns!();

const ORDER_BY_ID: &str = concat!(
    "select ",
    order_columns!(),
    " from ordering_orders where order_id = $1"
);

/// An order with its lines, one row per line (one row with no line for an empty order).
const ORDER_WITH_ITEMS: &str = "select o.order_id, o.user_id, o.guest_token, o.state, o.currency,
        o.created_at, o.paid_at, o.customer_email, i.item_id, i.seat_id, i.reservation_id,
        i.price_cents, i.event_id, i.event_name, i.section_code, i.row_number, i.seat_number
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
        row_number, seat_number
     from ordering_order_items where order_id = $1 order by position";

const INSERT_ORDER: &str = "insert into ordering_orders (order_id, user_id, guest_token, state, currency, total_cents, created_at,
        updated_at, customer_email)
     values ($1, $2, $3, $4, $5, $8, $6, $6, $7)";

const INSERT_ITEM: &str = "insert into ordering_order_items (item_id, order_id, seat_id, reservation_id, price_cents, event_id,
        event_name, section_code, row_number, seat_number, position)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
        (select coalesce(max(position), 0) + 1 from ordering_order_items where order_id = $2))";

const REFRESH_TOTAL: &str = "update ordering_orders set updated_at = $2, total_cents =
        (select coalesce(sum(price_cents), 0) from ordering_order_items where order_id = $1)
     where order_id = $1";

async fn with_items(mut conn: Conn<'_>, row: OrderRow) -> Result<Order, sqlx::Error> {
    let items: Vec<ItemRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(ITEMS_OF_ORDER)
    .bind(row.order_id)
    .fetch_all(c)
    .await)?;
    Ok(assemble(row, items))
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
            })
            .collect(),
        created_at: from_micros(row.created_at),
        paid_at: row.paid_at.map(from_micros),
        customer_email: row.customer_email,
    }
}

pub(crate) async fn order(mut conn: Conn<'_>, id: OrderId) -> Result<Option<Order>, sqlx::Error> {
    // The order and its lines in one statement: on PostgreSQL each statement is a round trip,
    // and payment and the completion of a paid order read the order under the writer lock.
    let rows: Vec<OrderLineRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(ORDER_WITH_ITEMS)
        .bind(id.uuid())
        .fetch_all(c)
        .await)?;
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

/// The buyer's draft: found by user id when one is given, else by guest token.
pub(crate) async fn draft_of(
    mut conn: Conn<'_>,
    buyer: &Buyer,
) -> Result<Option<Order>, sqlx::Error> {
    let row: Option<OrderRow> = match (buyer.user_id(), buyer.guest_token()) {
        (Some(user), _) => on_conn!(conn.reborrow(), c => sqlx::query_as(DRAFT_OF_USER)
                .bind(user)
                .fetch_optional(c)
                .await)?,
        (None, Some(token)) => on_conn!(conn.reborrow(), c => sqlx::query_as(DRAFT_OF_GUEST)
                .bind(token)
                .fetch_optional(c)
                .await)?,
        (None, None) => None,
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
) -> Result<Vec<Order>, sqlx::Error> {
    let rows: Vec<OrderRow> = match (buyer.user_id(), buyer.guest_token()) {
        (Some(user), _) => {
            let sql = sqlx::AssertSqlSafe(format!(
                "select {ORDER_COLUMNS} from ordering_orders where user_id = $1 order by created_at desc"
            ));
            on_conn!(conn.reborrow(), c => sqlx::query_as(sql).bind(user).fetch_all(c).await)?
        }
        (None, Some(token)) => {
            let sql = sqlx::AssertSqlSafe(format!(
                "select {ORDER_COLUMNS} from ordering_orders
                 where user_id is null and guest_token = $1 order by created_at desc"
            ));
            on_conn!(conn.reborrow(), c => sqlx::query_as(sql)
                .bind(token)
                .fetch_all(c)
                .await)?
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
) -> Result<Vec<Order>, sqlx::Error> {
    let ids: Vec<Uuid> = on_conn!(conn.reborrow(), c => sqlx::query_scalar(
        "select distinct o.order_id from ordering_orders o
         join ordering_order_items i on i.order_id = o.order_id
         where i.reservation_id = $1 and o.state in ('draft', 'pending')",
    )
    .bind(reservation.uuid())
    .fetch_all(c)
    .await)?;
    let mut orders = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(o) = order(conn.reborrow(), OrderId(id)).await? {
            orders.push(o);
        }
    }
    Ok(orders)
}

pub(crate) async fn insert_order(mut conn: Conn<'_>, o: &Order) -> Result<(), sqlx::Error> {
    on_conn!(conn.reborrow(), c => sqlx::query(INSERT_ORDER)
    .bind(o.id.uuid())
    .bind(&o.user_id)
    .bind(&o.guest_token)
    .bind(o.state.as_str())
    .bind(&o.currency)
    .bind(to_micros(o.created_at))
    .bind(&o.customer_email)
    .bind(o.total().cents())
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Adds a line and refreshes the stored total.
pub(crate) async fn insert_item(
    mut conn: Conn<'_>,
    order: OrderId,
    item: &OrderItem,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    insert_line(conn.reborrow(), order, item).await?;
    refresh_total(conn.reborrow(), order, now).await
}

/// Adds a line, leaving the stored total as it is: for an order written with its total.
pub(crate) async fn insert_line(
    mut conn: Conn<'_>,
    order: OrderId,
    item: &OrderItem,
) -> Result<(), sqlx::Error> {
    on_conn!(conn.reborrow(), c => sqlx::query(INSERT_ITEM)
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
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Removes a line and refreshes the stored total.
pub(crate) async fn delete_item(
    mut conn: Conn<'_>,
    order: OrderId,
    item: OrderItemId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_conn!(conn.reborrow(), c => sqlx::query("delete from ordering_order_items where item_id = $1")
        .bind(item.uuid())
        .execute(c)
        .await.map(|r| r.rows_affected()))?;
    refresh_total(conn.reborrow(), order, now).await
}

async fn refresh_total(
    mut conn: Conn<'_>,
    order: OrderId,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on_conn!(conn.reborrow(), c => sqlx::query(REFRESH_TOTAL)
    .bind(order.uuid())
    .bind(to_micros(now))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Moves an order from `from` to `to`; returns false if it was not in `from` any more.
const SET_STATE: &str = "update ordering_orders set state = $3, updated_at = $4,
        cancelled_at = case when $3 = 'cancelled' then $4 else cancelled_at end
     where order_id = $1 and state = $2";

pub(crate) async fn set_state(
    mut conn: Conn<'_>,
    order: OrderId,
    from: OrderState,
    to: OrderState,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = on_conn!(conn.reborrow(), c => sqlx::query(SET_STATE)
    .bind(order.uuid())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(to_micros(now))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
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
    mut conn: Conn<'_>,
    order: OrderId,
    lines: &Lines,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = on_conn!(conn.reborrow(), c => sqlx::query(CHECK_OUT)
    .bind(order.uuid())
    .bind(to_micros(now))
    .bind(lines.count)
    .bind(lines.newest)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// `pending → completed` with the payment instant; returns false if the order was not pending.
/// `pending → completed` with `paidAt`.
const MARK_PAID: &str =
    "update ordering_orders set state = 'completed', paid_at = $2, updated_at = $2
     where order_id = $1 and state = 'pending'";

pub(crate) async fn mark_paid(
    mut conn: Conn<'_>,
    order: OrderId,
    paid_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = on_conn!(conn.reborrow(), c => sqlx::query(MARK_PAID)
    .bind(order.uuid())
    .bind(to_micros(paid_at))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Sets the address tickets go to (a guest's, given at checkout) when the order has none.
const SET_EMAIL_IF_MISSING: &str =
    "update ordering_orders set customer_email = $2 where order_id = $1 and customer_email is null";

pub(crate) async fn set_email_if_missing(
    mut conn: Conn<'_>,
    order: OrderId,
    email: &str,
) -> Result<(), sqlx::Error> {
    on_conn!(conn.reborrow(), c => sqlx::query(SET_EMAIL_IF_MISSING)
    .bind(order.uuid())
    .bind(email)
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every seat sold for `event`: when it was paid, its section and price, oldest first.
pub(crate) async fn sales_of_event(
    mut conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<Sale>, sqlx::Error> {
    let rows: Vec<(i64, String, i64)> = on_conn!(conn.reborrow(), c => sqlx::query_as(
        "select o.paid_at, i.section_code, i.price_cents
         from ordering_order_items i join ordering_orders o on o.order_id = i.order_id
         where i.event_id = $1 and o.state = 'completed' and o.paid_at is not null
         order by o.paid_at",
    )
    .bind(event.uuid())
    .fetch_all(c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(paid_at, section_code, cents)| Sale {
            paid_at: from_micros(paid_at),
            section_code,
            price: Money::from_cents(cents),
        })
        .collect())
}

/// Twins of the cart's statements for [`storage::Database::write_direct`] (SQLite).
pub(crate) mod direct {
    use chrono::{DateTime, Utc};
    use kernel::{OrderId, to_micros};
    use rusqlite::{Connection, Result, Row};
    use storage::sqlite::{execute, query, uuid_at};

    use super::{
        CHECK_OUT, DRAFT_OF_GUEST, DRAFT_OF_USER, INSERT_ITEM, INSERT_ORDER, ITEMS_OF_ORDER,
        ItemRow, Lines, MARK_PAID, ORDER_BY_ID, OrderRow, REFRESH_TOTAL, SET_EMAIL_IF_MISSING,
        assemble,
    };

    use crate::domain::{Buyer, Order, OrderItem};

    /// [`super::mark_paid`].
    pub(crate) fn mark_paid(
        c: &Connection,
        order: OrderId,
        paid_at: DateTime<Utc>,
    ) -> Result<bool> {
        let changed = execute(
            c,
            MARK_PAID,
            &[&order.uuid().as_bytes(), &to_micros(paid_at)],
        )?;
        Ok(changed == 1)
    }

    /// [`super::check_out`].
    pub(crate) fn check_out(
        c: &Connection,
        order: OrderId,
        lines: &Lines,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let changed = execute(
            c,
            CHECK_OUT,
            &[
                &order.uuid().as_bytes(),
                &to_micros(now),
                &lines.count,
                &lines.newest.as_bytes(),
            ],
        )?;
        Ok(changed == 1)
    }

    /// [`super::set_email_if_missing`].
    pub(crate) fn set_email_if_missing(c: &Connection, order: OrderId, email: &str) -> Result<()> {
        execute(c, SET_EMAIL_IF_MISSING, &[&order.uuid().as_bytes(), &email]).map(drop)
    }

    fn order_row(r: &Row<'_>) -> Result<OrderRow> {
        Ok(OrderRow {
            order_id: uuid_at(r, 0)?,
            user_id: r.get(1)?,
            guest_token: r.get(2)?,
            state: r.get(3)?,
            currency: r.get(4)?,
            created_at: r.get(5)?,
            paid_at: r.get(6)?,
            customer_email: r.get(7)?,
        })
    }

    fn item_row(r: &Row<'_>) -> Result<ItemRow> {
        Ok(ItemRow {
            item_id: uuid_at(r, 0)?,
            seat_id: uuid_at(r, 1)?,
            reservation_id: uuid_at(r, 2)?,
            price_cents: r.get(3)?,
            event_id: uuid_at(r, 4)?,
            event_name: r.get(5)?,
            section_code: r.get(6)?,
            row_number: r.get(7)?,
            seat_number: r.get(8)?,
        })
    }

    /// [`super::draft_of`].
    pub(crate) fn draft_of(c: &Connection, buyer: &Buyer) -> Result<Option<Order>> {
        let rows = match (buyer.user_id(), buyer.guest_token()) {
            (Some(user), _) => query(c, DRAFT_OF_USER, &[&user], order_row)?,
            (None, Some(token)) => query(c, DRAFT_OF_GUEST, &[&token], order_row)?,
            (None, None) => Vec::new(),
        };
        with_items(c, rows)
    }

    /// [`super::order`].
    pub(crate) fn order(c: &Connection, id: OrderId) -> Result<Option<Order>> {
        let rows = query(c, ORDER_BY_ID, &[&id.uuid().as_bytes()], order_row)?;
        with_items(c, rows)
    }

    fn with_items(c: &Connection, rows: Vec<OrderRow>) -> Result<Option<Order>> {
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let items = query(c, ITEMS_OF_ORDER, &[&row.order_id.as_bytes()], item_row)?;
        Ok(Some(assemble(row, items)))
    }

    /// [`super::insert_order`].
    pub(crate) fn insert_order(c: &Connection, o: &Order) -> Result<()> {
        execute(
            c,
            INSERT_ORDER,
            &[
                &o.id.uuid().as_bytes(),
                &o.user_id,
                &o.guest_token,
                &o.state.as_str(),
                &o.currency,
                &to_micros(o.created_at),
                &o.customer_email,
                &o.total().cents(),
            ],
        )
        .map(drop)
    }

    /// [`super::insert_item`].
    pub(crate) fn insert_item(
        c: &Connection,
        order: OrderId,
        item: &OrderItem,
        now: DateTime<Utc>,
    ) -> Result<()> {
        execute(
            c,
            INSERT_ITEM,
            &[
                &item.id.uuid().as_bytes(),
                &order.uuid().as_bytes(),
                &item.seat_id.uuid().as_bytes(),
                &item.reservation_id.uuid().as_bytes(),
                &item.price.cents(),
                &item.event_id.uuid().as_bytes(),
                &item.event_name,
                &item.section_code,
                &item.row_number,
                &item.seat_number,
            ],
        )?;
        execute(
            c,
            REFRESH_TOTAL,
            &[&order.uuid().as_bytes(), &to_micros(now)],
        )
        .map(drop)
    }
}
