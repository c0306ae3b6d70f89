//! SQLite statements of payment.

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId, from_micros, to_micros};
use sqlx::FromRow;
use storage::{Conn, on_conn};
use uuid::Uuid;

use crate::domain::{Payment, PaymentStatus};

#[derive(FromRow)]
struct PaymentRow {
    payment_id: Uuid,
    order_id: Uuid,
    customer_id: String,
    reservation_id: Option<Uuid>,
    amount_cents: i64,
    currency: String,
    payment_method: String,
    status: String,
    transaction_id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    failure_reason: Option<String>,
    provider_response: Option<String>,
    is_simulated: bool,
    created_at: i64,
    processed_at: Option<i64>,
}

impl PaymentRow {
    fn into_payment(self) -> Payment {
        Payment {
            id: self.payment_id,
            order_id: OrderId(self.order_id),
            customer_id: self.customer_id,
            reservation_id: self.reservation_id.map(ReservationId),
            amount: Money::from_cents(self.amount_cents),
            currency: self.currency,
            payment_method: self.payment_method,
            // The column has a CHECK constraint; anything else would be a manual edit.
            status: PaymentStatus::parse(&self.status).unwrap_or(PaymentStatus::Failed),
            transaction_id: self.transaction_id,
            error_code: self.error_code,
            error_message: self.error_message,
            failure_reason: self.failure_reason,
            simulated_response: self.provider_response,
            is_simulated: self.is_simulated,
            created_at: from_micros(self.created_at),
            processed_at: self.processed_at.map(from_micros),
        }
    }
}

macro_rules! columns {
    () => {
        "payment_id, order_id, customer_id, reservation_id, amount_cents, currency, payment_method, \
         status, transaction_id, error_code, error_message, failure_reason, provider_response, \
         is_simulated, created_at, processed_at"
    };
}

const COLUMNS: &str = columns!();

const SUCCEEDED_FOR_ORDER: &str = concat!(
    "select ",
    columns!(),
    " from payment_payments where order_id = $1 and status = 'succeeded'"
);

pub(crate) async fn payment(mut conn: Conn<'_>, id: Uuid) -> Result<Option<Payment>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from payment_payments where payment_id = $1"
    ));
    let row: Option<PaymentRow> =
        on_conn!(conn.reborrow(), c => sqlx::query_as(sql).bind(id).fetch_optional(c).await)?;
    Ok(row.map(PaymentRow::into_payment))
}

pub(crate) async fn succeeded_for_order(
    mut conn: Conn<'_>,
    order: OrderId,
) -> Result<Option<Payment>, sqlx::Error> {
    let row: Option<PaymentRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(SUCCEEDED_FOR_ORDER)
        .bind(order.uuid())
        .fetch_optional(c)
        .await)?;
    Ok(row.map(PaymentRow::into_payment))
}

pub(crate) async fn payments_of_order(
    mut conn: Conn<'_>,
    order: OrderId,
) -> Result<Vec<Payment>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "select {COLUMNS} from payment_payments where order_id = $1 order by created_at"
    ));
    let rows: Vec<PaymentRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(sql)
        .bind(order.uuid())
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(PaymentRow::into_payment).collect())
}

/// Inserts a `processing` payment unless the order already has one processing or succeeded
/// (the partial unique index decides); returns whether it was inserted.
const CLAIM: &str = "insert into payment_payments (payment_id, order_id, customer_id, reservation_id, amount_cents, currency,
        payment_method, status, is_simulated, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, 'processing', $8, $9) on conflict do nothing";

const FINISH: &str = "update payment_payments set status = $2, transaction_id = $3, error_code = $4, error_message = $5,
        failure_reason = $6, provider_response = $7, processed_at = $8
     where payment_id = $1 and status = 'processing'";

pub(crate) async fn claim(mut conn: Conn<'_>, p: &Payment) -> Result<bool, sqlx::Error> {
    let done = on_conn!(conn.reborrow(), c => sqlx::query(CLAIM)
    .bind(p.id)
    .bind(p.order_id.uuid())
    .bind(&p.customer_id)
    .bind(p.reservation_id.map(ReservationId::uuid))
    .bind(p.amount.cents())
    .bind(&p.currency)
    .bind(&p.payment_method)
    .bind(p.is_simulated)
    .bind(to_micros(p.created_at))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Records the provider's answer on a processing payment; `false` if it was no longer
/// processing (another process or the stale-payment resolver settled it first).
pub(crate) async fn finish(mut conn: Conn<'_>, p: &Payment) -> Result<bool, sqlx::Error> {
    let done = on_conn!(conn.reborrow(), c => sqlx::query(FINISH)
    .bind(p.id)
    .bind(p.status.as_str())
    .bind(&p.transaction_id)
    .bind(&p.error_code)
    .bind(&p.error_message)
    .bind(&p.failure_reason)
    .bind(&p.simulated_response)
    .bind(p.processed_at.map(to_micros))
    .execute(c)
    .await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

const PROCESSING_BEFORE: &str = concat!(
    "select ",
    columns!(),
    " from payment_payments where status = 'processing' and created_at < $1 order by created_at limit 100"
);

/// Payments still `processing` that were claimed before `cutoff` (oldest first, at most 100).
pub(crate) async fn processing_before(
    mut conn: Conn<'_>,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Payment>, sqlx::Error> {
    let rows: Vec<PaymentRow> = on_conn!(conn.reborrow(), c => sqlx::query_as(PROCESSING_BEFORE)
        .bind(to_micros(cutoff))
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(PaymentRow::into_payment).collect())
}

/// Twins of the payment's writes for [`storage::Database::write_direct`] (SQLite).
pub(crate) mod direct {
    use kernel::to_micros;
    use rusqlite::{Connection, Result};
    use storage::sqlite::execute;

    use kernel::OrderId;
    use storage::sqlite::{query_optional, uuid_at};

    use super::{CLAIM, FINISH, PaymentRow, SUCCEEDED_FOR_ORDER};
    use crate::domain::Payment;

    /// [`super::succeeded_for_order`].
    pub(crate) fn succeeded_for_order(c: &Connection, order: OrderId) -> Result<Option<Payment>> {
        let row = query_optional(c, SUCCEEDED_FOR_ORDER, &[&order.uuid().as_bytes()], |r| {
            Ok(PaymentRow {
                payment_id: uuid_at(r, 0)?,
                order_id: uuid_at(r, 1)?,
                customer_id: r.get(2)?,
                reservation_id: match r.get::<_, Option<Vec<u8>>>(3)? {
                    Some(_) => Some(uuid_at(r, 3)?),
                    None => None,
                },
                amount_cents: r.get(4)?,
                currency: r.get(5)?,
                payment_method: r.get(6)?,
                status: r.get(7)?,
                transaction_id: r.get(8)?,
                error_code: r.get(9)?,
                error_message: r.get(10)?,
                failure_reason: r.get(11)?,
                provider_response: r.get(12)?,
                is_simulated: r.get(13)?,
                created_at: r.get(14)?,
                processed_at: r.get(15)?,
            })
        })?;
        Ok(row.map(PaymentRow::into_payment))
    }

    /// [`super::claim`].
    pub(crate) fn claim(c: &Connection, p: &Payment) -> Result<bool> {
        let done = execute(
            c,
            CLAIM,
            &[
                &p.id.as_bytes(),
                &p.order_id.uuid().as_bytes(),
                &p.customer_id,
                &p.reservation_id.map(|r| *r.uuid().as_bytes()),
                &p.amount.cents(),
                &p.currency,
                &p.payment_method,
                &p.is_simulated,
                &to_micros(p.created_at),
            ],
        )?;
        Ok(done == 1)
    }

    /// [`super::finish`].
    pub(crate) fn finish(c: &Connection, p: &Payment) -> Result<bool> {
        let done = execute(
            c,
            FINISH,
            &[
                &p.id.as_bytes(),
                &p.status.as_str(),
                &p.transaction_id,
                &p.error_code,
                &p.error_message,
                &p.failure_reason,
                &p.simulated_response,
                &p.processed_at.map(to_micros),
            ],
        )?;
        Ok(done == 1)
    }
}
