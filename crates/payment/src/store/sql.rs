//! The statements of payment, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId, from_micros, to_micros};
use storage::{Conn, Database, Statement};
use uuid::Uuid;

use crate::domain::{Payment, PaymentStatus, Refund, RefundStatus};

storage::row! {
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

pub(crate) async fn payment(conn: Conn<'_>, id: Uuid) -> Result<Option<Payment>, storage::Error> {
    let sql = format!("select {COLUMNS} from payment_payments where payment_id = $1");
    let row: Option<PaymentRow> = Statement::new(sql).bind(id).fetch_optional(conn).await?;
    Ok(row.map(PaymentRow::into_payment))
}

fn succeeded_for_order_statement<'a>(order: OrderId) -> Statement<'a> {
    Statement::new(SUCCEEDED_FOR_ORDER).bind(order.uuid())
}

pub(crate) async fn succeeded_for_order(
    conn: Conn<'_>,
    order: OrderId,
) -> Result<Option<Payment>, storage::Error> {
    let row: Option<PaymentRow> = succeeded_for_order_statement(order)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(PaymentRow::into_payment))
}

pub(crate) async fn payments_of_order(
    conn: Conn<'_>,
    order: OrderId,
) -> Result<Vec<Payment>, storage::Error> {
    let sql =
        format!("select {COLUMNS} from payment_payments where order_id = $1 order by created_at");
    let rows: Vec<PaymentRow> = Statement::new(sql)
        .bind(order.uuid())
        .fetch_all(conn)
        .await?;
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

fn claim_statement(p: &Payment) -> Statement<'_> {
    Statement::new(CLAIM)
        .bind(p.id)
        .bind(p.order_id.uuid())
        .bind(&p.customer_id)
        .bind(p.reservation_id.map(ReservationId::uuid))
        .bind(p.amount.cents())
        .bind(&p.currency)
        .bind(&p.payment_method)
        .bind(p.is_simulated)
        .bind(to_micros(p.created_at))
}

fn finish_statement(p: &Payment) -> Statement<'_> {
    Statement::new(FINISH)
        .bind(p.id)
        .bind(p.status.as_str())
        .bind(p.transaction_id.as_ref())
        .bind(p.error_code.as_ref())
        .bind(p.error_message.as_ref())
        .bind(p.failure_reason.as_ref())
        .bind(p.simulated_response.as_ref())
        .bind(p.processed_at.map(to_micros))
}

/// Claims the payment (a guarded insert: the partial unique index decides between concurrent
/// claims), as a statement of its own, outside any transaction (`Statement::execute_alone`): on PostgreSQL
/// one round trip, without `BEGIN` and `COMMIT`.
pub(crate) async fn claim(db: &Database, p: &Payment) -> Result<bool, storage::Error> {
    Ok(claim_statement(p).execute_alone(db).await? == 1)
}

/// Inserts a payment already settled (the box office's); `false` if the order has a live one.
pub(crate) async fn insert_settled(conn: Conn<'_>, p: &Payment) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "insert into payment_payments (payment_id, order_id, customer_id, reservation_id, amount_cents,
            currency, payment_method, status, transaction_id, provider_response, is_simulated,
            created_at, processed_at)
         values ($1, $2, $3, null, $4, $5, $6, $7, $8, $9, false, $10, $10) on conflict do nothing",
    )
    .bind(p.id)
    .bind(p.order_id.uuid())
    .bind(&p.customer_id)
    .bind(p.amount.cents())
    .bind(&p.currency)
    .bind(&p.payment_method)
    .bind(p.status.as_str())
    .bind(p.transaction_id.as_ref())
    .bind(p.simulated_response.as_ref())
    .bind(to_micros(p.created_at))
    .execute(conn)
    .await?;
    Ok(done == 1)
}

/// Records the provider's answer on a processing payment; `false` if it was no longer
/// processing (another process or the stale-payment resolver settled it first).
pub(crate) async fn finish(conn: Conn<'_>, p: &Payment) -> Result<bool, storage::Error> {
    Ok(finish_statement(p).execute(conn).await? == 1)
}

const PROCESSING_BEFORE: &str = concat!(
    "select ",
    columns!(),
    " from payment_payments where status = 'processing' and created_at < $1 order by created_at limit 100"
);

/// Payments still `processing` that were claimed before `cutoff` (oldest first, at most 100).
pub(crate) async fn processing_before(
    conn: Conn<'_>,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Payment>, storage::Error> {
    let rows: Vec<PaymentRow> = Statement::new(PROCESSING_BEFORE)
        .bind(to_micros(cutoff))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(PaymentRow::into_payment).collect())
}

storage::row! {
    struct RefundRow {
        refund_id: Uuid,
        payment_id: Uuid,
        order_id: Uuid,
        seats: String,
        amount_cents: i64,
        currency: String,
        reason: String,
        requested_by: String,
        status: String,
        provider_reference: Option<String>,
        error_code: Option<String>,
        error_message: Option<String>,
        created_at: i64,
        processed_at: Option<i64>,
    }
}

impl RefundRow {
    fn into_refund(self) -> Result<Refund, storage::Error> {
        Ok(Refund {
            id: self.refund_id,
            payment_id: self.payment_id,
            order_id: OrderId(self.order_id),
            seats: serde_json::from_str(&self.seats).map_err(storage::Error::decode)?,
            amount: Money::from_cents(self.amount_cents),
            currency: self.currency,
            reason: self.reason,
            requested_by: self.requested_by,
            // The column has a CHECK constraint; anything else would be a manual edit.
            status: RefundStatus::parse(&self.status).unwrap_or(RefundStatus::Failed),
            provider_reference: self.provider_reference,
            error_code: self.error_code,
            error_message: self.error_message,
            created_at: from_micros(self.created_at),
            processed_at: self.processed_at.map(from_micros),
        })
    }
}

const REFUND_COLUMNS: &str = "refund_id, payment_id, order_id, seats, amount_cents, currency, reason, requested_by, \
     status, provider_reference, error_code, error_message, created_at, processed_at";

fn refunds(rows: Vec<RefundRow>) -> Result<Vec<Refund>, storage::Error> {
    rows.into_iter().map(RefundRow::into_refund).collect()
}

/// Every refund of `order`, oldest first.
pub(crate) async fn refunds_of_order(
    conn: Conn<'_>,
    order: OrderId,
) -> Result<Vec<Refund>, storage::Error> {
    let sql = format!(
        "select {REFUND_COLUMNS} from payment_refunds where order_id = $1 order by created_at, refund_id"
    );
    refunds(
        Statement::new(sql)
            .bind(order.uuid())
            .fetch_all(conn)
            .await?,
    )
}

/// A refund by id.
pub(crate) async fn refund(conn: Conn<'_>, id: Uuid) -> Result<Option<Refund>, storage::Error> {
    let sql = format!("select {REFUND_COLUMNS} from payment_refunds where refund_id = $1");
    let row: Option<RefundRow> = Statement::new(sql).bind(id).fetch_optional(conn).await?;
    row.map(RefundRow::into_refund).transpose()
}

/// Refunds still `processing` that were claimed before `cutoff` (oldest first, at most 100).
pub(crate) async fn refunds_processing_before(
    conn: Conn<'_>,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Refund>, storage::Error> {
    let sql = format!(
        "select {REFUND_COLUMNS} from payment_refunds where status = 'processing' and created_at < $1 order by created_at limit 100"
    );
    refunds(
        Statement::new(sql)
            .bind(to_micros(cutoff))
            .fetch_all(conn)
            .await?,
    )
}

/// Inserts a `processing` refund unless the order has one processing (the partial unique index
/// decides); returns whether it was inserted.
pub(crate) async fn claim_refund(conn: Conn<'_>, r: &Refund) -> Result<bool, storage::Error> {
    let seats = serde_json::to_string(&r.seats).map_err(storage::Error::decode)?;
    let inserted = Statement::new(
        "insert into payment_refunds (refund_id, payment_id, order_id, seats, amount_cents, currency, reason,
            requested_by, status, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 'processing', $9) on conflict do nothing",
    )
    .bind(r.id)
    .bind(r.payment_id)
    .bind(r.order_id.uuid())
    .bind(seats.as_str())
    .bind(r.amount.cents())
    .bind(&r.currency)
    .bind(&r.reason)
    .bind(&r.requested_by)
    .bind(to_micros(r.created_at))
    .execute(conn)
    .await?;
    Ok(inserted == 1)
}

/// Records the provider's answer on a processing refund; `false` if it was no longer
/// processing (settled by another process or the stale-refund resolver first).
pub(crate) async fn finish_refund(conn: Conn<'_>, r: &Refund) -> Result<bool, storage::Error> {
    let done = Statement::new(
        "update payment_refunds set status = $2, provider_reference = $3, error_code = $4,
            error_message = $5, processed_at = $6
         where refund_id = $1 and status = 'processing'",
    )
    .bind(r.id)
    .bind(r.status.as_str())
    .bind(r.provider_reference.as_ref())
    .bind(r.error_code.as_ref())
    .bind(r.error_message.as_ref())
    .bind(r.processed_at.map(to_micros))
    .execute(conn)
    .await?;
    Ok(done == 1)
}
