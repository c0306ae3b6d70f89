//! SQLite statements of ordering.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, OrderItemId, ReservationId, SeatId, from_micros, to_micros};
use outbox::{Conn, on_conn};
use sqlx::FromRow;
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

const ORDER_COLUMNS: &str =
    "order_id, user_id, guest_token, state, currency, created_at, paid_at, customer_email";

async fn with_items(mut conn: Conn<'_>, row: OrderRow) -> Result<Order, sqlx::Error> {
    let items: Vec<ItemRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(
        "select item_id, seat_id, reservation_id, price_cents, event_id, event_name, section_code,
                row_number, seat_number
         from ordering_order_items where order_id = $1 order by position",
    )
    .bind(row.order_id)
    .fetch_all(c)
    .await)?;
    Ok(Order {
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
    })
}

pub(crate) async fn order(mut conn: Conn<'_>, id: OrderId) -> Result<Option<Order>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {ORDER_COLUMNS} from ordering_orders where order_id = $1"
    ));
    let row: Option<OrderRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(sql)
        .bind(id.uuid())
        .fetch_optional(c)
        .await)?;
    match row {
        Some(row) => Ok(Some(with_items(conn.reborrow(), row).await?)),
        None => Ok(None),
    }
}

/// The buyer's draft: found by user id when one is given, else by guest token.
pub(crate) async fn draft_of(
    mut conn: Conn<'_>,
    buyer: &Buyer,
) -> Result<Option<Order>, sqlx::Error> {
    let row: Option<OrderRow> = match (buyer.user_id(), buyer.guest_token()) {
        (Some(user), _) => {
            let sql = sqlx::AssertSqlSafe(format!(
                "select {ORDER_COLUMNS} from ordering_orders where user_id = $1 and state = 'draft'"
            ));
            on_conn!(conn.reborrow(), c => sqlx::query_as(sql)
                .bind(user)
                .fetch_optional(c)
                .await)?
        }
        (None, Some(token)) => {
            let sql = sqlx::AssertSqlSafe(format!(
                "select {ORDER_COLUMNS} from ordering_orders
                 where user_id is null and guest_token = $1 and state = 'draft'"
            ));
            on_conn!(conn.reborrow(), c => sqlx::query_as(sql)
                .bind(token)
                .fetch_optional(c)
                .await)?
        }
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
    on_conn!(conn.reborrow(), c => sqlx::query(
        "insert into ordering_orders (order_id, user_id, guest_token, state, currency, total_cents, created_at,
            updated_at, customer_email)
         values ($1, $2, $3, $4, $5, 0, $6, $6, $7)",
    )
    .bind(o.id.uuid())
    .bind(&o.user_id)
    .bind(&o.guest_token)
    .bind(o.state.as_str())
    .bind(&o.currency)
    .bind(to_micros(o.created_at))
    .bind(&o.customer_email)
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
    on_conn!(conn.reborrow(), c => sqlx::query(
        "insert into ordering_order_items (item_id, order_id, seat_id, reservation_id, price_cents, event_id,
            event_name, section_code, row_number, seat_number, position)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
            (select coalesce(max(position), 0) + 1 from ordering_order_items where order_id = $2))",
    )
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
    refresh_total(conn.reborrow(), order, now).await
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
    on_conn!(conn.reborrow(), c => sqlx::query(
        "update ordering_orders set updated_at = $2, total_cents =
            (select coalesce(sum(price_cents), 0) from ordering_order_items where order_id = $1)
         where order_id = $1",
    )
    .bind(order.uuid())
    .bind(to_micros(now))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Moves an order from `from` to `to`; returns false if it was not in `from` any more.
pub(crate) async fn set_state(
    mut conn: Conn<'_>,
    order: OrderId,
    from: OrderState,
    to: OrderState,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = on_conn!(conn.reborrow(), c => sqlx::query(
        "update ordering_orders set state = $3, updated_at = $4,
            cancelled_at = case when $3 = 'cancelled' then $4 else cancelled_at end
         where order_id = $1 and state = $2",
    )
    .bind(order.uuid())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(to_micros(now))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// `pending → completed` with the payment instant; returns false if the order was not pending.
pub(crate) async fn mark_paid(
    mut conn: Conn<'_>,
    order: OrderId,
    paid_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = on_conn!(conn.reborrow(), c => sqlx::query(
        "update ordering_orders set state = 'completed', paid_at = $2, updated_at = $2
         where order_id = $1 and state = 'pending'",
    )
    .bind(order.uuid())
    .bind(to_micros(paid_at))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Sets the address tickets go to (a guest's, given at checkout) when the order has none.
pub(crate) async fn set_email_if_missing(
    mut conn: Conn<'_>,
    order: OrderId,
    email: &str,
) -> Result<(), sqlx::Error> {
    on_conn!(conn.reborrow(), c => sqlx::query(
        "update ordering_orders set customer_email = $2
         where order_id = $1 and customer_email is null",
    )
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
