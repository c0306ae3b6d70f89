//! Paying an order: checks, claim, charge, record — and the queries other contexts use.

use chrono::{DateTime, Duration, Utc};
use kernel::{Clock, Money, OrderId, ReservationId};
use outbox::{Database, Direct, LockKey, RelayHandle};
use std::sync::Arc;
use uuid::Uuid;

use crate::domain::{Payment, PaymentStatus};
use crate::events::{PaymentFailed, PaymentSucceeded};
use crate::ports::{HoldsOfOrder, OrderForPayment, PayableOrders};
use crate::provider::{Charge, ChargeOutcome, PaymentProvider};
use crate::{PaymentError, store};

/// Holds must outlive the charge by this much: a hold about to lapse is not worth charging for.
const HOLD_MARGIN_SECONDS: i64 = 2;

/// A request to pay an order.
#[derive(Debug, Clone)]
pub struct PayRequest {
    /// The order.
    pub order_id: OrderId,
    /// The payer: the order's user id or guest token.
    pub customer_id: String,
    /// A hold the client names (optional, informative).
    pub reservation_id: Option<ReservationId>,
    /// The amount the client agrees to pay.
    pub amount: Money,
    /// Currency (the order's when absent).
    pub currency: Option<String>,
    /// Method (`credit_card` when absent).
    pub payment_method: Option<String>,
}

/// The payment context.
pub struct PaymentService {
    db: Database,
    clock: Arc<dyn Clock>,
    orders: Arc<dyn PayableOrders>,
    holds: Arc<dyn HoldsOfOrder>,
    provider: Arc<dyn PaymentProvider>,
    relay: RelayHandle,
}

impl PaymentService {
    /// Payment over `db`, asking `orders` and `holds`, charging through `provider`.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        orders: Arc<dyn PayableOrders>,
        holds: Arc<dyn HoldsOfOrder>,
        provider: Arc<dyn PaymentProvider>,
        relay: RelayHandle,
    ) -> Self {
        Self {
            db,
            clock,
            orders,
            holds,
            provider,
            relay,
        }
    }

    /// Pays an order. A second payment of a paid order returns the first. A decline is returned
    /// as a failed payment; the order stays pending and may be paid again.
    ///
    /// # Errors
    /// Unknown order, not pending, not the payer's, wrong amount, lapsed hold, or a payment of
    /// the same order in flight.
    pub async fn pay(&self, request: PayRequest) -> Result<Payment, PaymentError> {
        if let Some(paid) = self.succeeded_for(request.order_id).await? {
            return Ok(paid);
        }
        let order = self
            .orders
            .order(request.order_id)
            .await?
            .ok_or(PaymentError::OrderNotFound)?;
        if let Err(refusal) = self.check(&order, &request).await {
            // A payment of the same order racing this one may have succeeded since the first
            // look, and completed the order: answer it, as a repeat after it would get.
            return match self.succeeded_for(request.order_id).await? {
                Some(paid) => Ok(paid),
                None => Err(refusal),
            };
        }
        let now = self.clock.now();
        let mut payment = Payment {
            id: kernel::new_uuid(),
            order_id: order.order_id,
            customer_id: request.customer_id.clone(),
            reservation_id: request.reservation_id,
            amount: request.amount,
            currency: order.currency.clone(),
            payment_method: request
                .payment_method
                .clone()
                .unwrap_or_else(|| "credit_card".into()),
            status: PaymentStatus::Processing,
            transaction_id: None,
            error_code: None,
            error_message: None,
            failure_reason: None,
            simulated_response: None,
            is_simulated: self.provider.is_simulated(),
            created_at: now,
            processed_at: None,
        };
        if !self.claim(&payment).await? {
            // Another payment of the order is live: answer the paid one, or refuse while in flight.
            return self
                .succeeded_for(request.order_id)
                .await?
                .ok_or(PaymentError::InProgress);
        }
        let charge = Charge {
            amount: payment.amount,
            currency: payment.currency.clone(),
            payment_method: payment.payment_method.clone(),
        };
        let outcome = match self.provider.charge(&charge).await {
            Ok(outcome) => outcome,
            Err(e) => {
                self.record(
                    &mut payment,
                    declined(
                        "PROVIDER_UNAVAILABLE",
                        "The payment provider could not be reached",
                        "processor_error",
                    ),
                    &order,
                )
                .await?;
                return Err(PaymentError::Internal(e.context("payment provider failed")));
            }
        };
        self.record(&mut payment, outcome, &order).await?;
        Ok(payment)
    }

    async fn check(
        &self,
        order: &OrderForPayment,
        request: &PayRequest,
    ) -> Result<(), PaymentError> {
        if order.state != "pending" {
            return Err(PaymentError::OrderNotPending(order.state.clone()));
        }
        if !order.is_owned_by(&request.customer_id) {
            return Err(PaymentError::Unauthorized);
        }
        if let Some(currency) = request
            .currency
            .as_deref()
            .filter(|c| !c.eq_ignore_ascii_case(&order.currency))
        {
            return Err(PaymentError::Invalid(format!(
                "currency {currency} differs from the order's {}.",
                order.currency
            )));
        }
        if request.amount != order.total {
            return Err(PaymentError::AmountMismatch {
                given: request.amount.to_string(),
                total: order.total.to_string(),
            });
        }
        self.check_holds(order, self.clock.now()).await
    }

    async fn check_holds(
        &self,
        order: &OrderForPayment,
        now: DateTime<Utc>,
    ) -> Result<(), PaymentError> {
        let until = self.holds.all_active_until(&order.reservation_ids).await?;
        if holds_last(until, now) {
            Ok(())
        } else {
            Err(PaymentError::HoldExpired)
        }
    }

    async fn claim(&self, payment: &Payment) -> Result<bool, PaymentError> {
        if self.db.has_direct_writer() {
            let claimed = self
                .db
                .write_direct(|c| store::direct::claim(c, payment).map(Direct::Commit))
                .await?;
            return Ok(claimed);
        }
        // One guarded insert (the partial unique index decides between concurrent claims), so
        // it needs neither a transaction nor the writer lock: on PostgreSQL that is four round
        // trips fewer under the lock per payment.
        let mut conn = self.db.write().await?;
        Ok(store::claim(conn.conn(), payment).await?)
    }

    /// Records the provider's answer. A success is kept only if, inside this write transaction
    /// (which no write that ends a hold or moves an order can interleave with), the order is
    /// still pending and every hold still active; otherwise the charge is voided and recorded
    /// as failed.
    async fn record(
        &self,
        payment: &mut Payment,
        outcome: ChargeOutcome,
        order: &OrderForPayment,
    ) -> Result<(), PaymentError> {
        let now = self.clock.now();
        if self.db.has_direct_writer() {
            // SQLite, ordering and inventory in this process: the checks and the writes in one
            // go on the writer (outbox::direct), without holding it across reads elsewhere.
            let done = self
                .db
                .write_direct(|c| {
                    let still_valid = match &outcome {
                        ChargeOutcome::Approved { .. } => {
                            let (Some(current), Some(until)) = (
                                self.orders.order_direct(c, order.order_id),
                                self.holds
                                    .all_active_until_direct(c, &order.reservation_ids),
                            ) else {
                                return Ok(Direct::Rollback(false));
                            };
                            current?.is_some_and(|o| o.state == "pending")
                                && holds_last(until?, now)
                        }
                        ChargeOutcome::Declined { .. } => true,
                    };
                    let succeeded = settle(payment, outcome.clone(), still_valid, now);
                    store::direct::finish(c, payment)?;
                    if succeeded {
                        let event =
                            PaymentSucceeded::new(payment, order.reservation_ids.clone(), now);
                        outbox::enqueue_direct(c, &event, now)?;
                    } else {
                        outbox::enqueue_direct(c, &PaymentFailed::new(payment, now), now)?;
                    }
                    Ok(Direct::Commit(true))
                })
                .await?;
            if done {
                self.relay.wake();
                return Ok(());
            }
        }
        // Beside the other purchase steps only (`Database::begin_beside`): none of them ends a
        // hold or moves a pending order, so what is checked here holds until the commit.
        let key = LockKey::new("payment-of-order", &order.order_id.to_string());
        let mut tx = self.db.begin_beside(key).await?;
        let still_valid = match &outcome {
            ChargeOutcome::Approved { .. } => {
                let still_pending = self
                    .orders
                    .order(order.order_id)
                    .await?
                    .is_some_and(|o| o.state == "pending");
                still_pending && self.check_holds(order, now).await.is_ok()
            }
            ChargeOutcome::Declined { .. } => true,
        };
        let succeeded = settle(payment, outcome, still_valid, now);
        store::finish(tx.conn(), payment).await?;
        if succeeded {
            let event = PaymentSucceeded::new(payment, order.reservation_ids.clone(), now);
            outbox::enqueue(tx.conn(), &event, now).await?;
        } else {
            outbox::enqueue(tx.conn(), &PaymentFailed::new(payment, now), now).await?;
        }
        tx.commit().await?;
        self.relay.wake();
        Ok(())
    }

    async fn succeeded_for(&self, order: OrderId) -> Result<Option<Payment>, PaymentError> {
        if let Some(found) = self
            .db
            .read_direct(|c| store::direct::succeeded_for_order(c, order))
        {
            return Ok(found?);
        }
        let mut conn = self.db.read().await?;
        Ok(store::succeeded_for_order(conn.conn(), order).await?)
    }

    /// A payment by id.
    ///
    /// # Errors
    /// [`PaymentError::PaymentNotFound`].
    pub async fn get(&self, id: Uuid) -> Result<Payment, PaymentError> {
        let mut conn = self.db.read().await?;
        store::payment(conn.conn(), id)
            .await?
            .ok_or(PaymentError::PaymentNotFound)
    }

    /// Every payment attempt of an order, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn of_order(&self, order: OrderId) -> Result<Vec<Payment>, PaymentError> {
        let mut conn = self.db.read().await?;
        Ok(store::payments_of_order(conn.conn(), order).await?)
    }
}

/// Whether holds active until `until` (the earliest; `None`: not all active) outlast the payment.
fn holds_last(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    until.is_some_and(|until| until > now + Duration::seconds(HOLD_MARGIN_SECONDS))
}

/// Writes the provider's answer into `payment`; an approval is kept only if the order and its
/// holds are `still_valid` (otherwise the charge is voided and recorded as failed). Returns
/// whether the payment succeeded.
fn settle(
    payment: &mut Payment,
    outcome: ChargeOutcome,
    still_valid: bool,
    now: DateTime<Utc>,
) -> bool {
    let outcome = match outcome {
        ChargeOutcome::Approved { .. } if !still_valid => declined(
            "HOLD_EXPIRED",
            "The seats were released before the payment completed; nothing was charged",
            "hold_expired",
        ),
        outcome => outcome,
    };
    payment.processed_at = Some(now);
    match outcome {
        ChargeOutcome::Approved {
            transaction_id,
            response,
        } => {
            payment.status = PaymentStatus::Succeeded;
            payment.transaction_id = Some(transaction_id);
            payment.simulated_response = Some(response);
            true
        }
        ChargeOutcome::Declined {
            code,
            message,
            reason,
            response,
        } => {
            payment.status = PaymentStatus::Failed;
            payment.error_code = Some(code);
            payment.error_message = Some(message);
            payment.failure_reason = Some(reason);
            payment.simulated_response = Some(response);
            false
        }
    }
}

fn declined(code: &str, message: &str, reason: &str) -> ChargeOutcome {
    ChargeOutcome::Declined {
        code: code.into(),
        message: message.into(),
        reason: reason.into(),
        response: format!("Failed - {code}: {message}"),
    }
}

/// Read access other contexts use (through adapters): whether an order has a live payment.
#[derive(Debug, Clone)]
pub struct PaymentQueries {
    db: Database,
}

impl PaymentQueries {
    /// Queries over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Whether the order has a payment in flight or succeeded (then it must not be cancelled).
    ///
    /// # Errors
    /// When the database fails.
    pub async fn has_live_payment(&self, order: OrderId) -> anyhow::Result<bool> {
        let mut conn = self.db.read().await?;
        let payments = store::payments_of_order(conn.conn(), order).await?;
        Ok(payments.iter().any(|p| p.status != PaymentStatus::Failed))
    }
}
