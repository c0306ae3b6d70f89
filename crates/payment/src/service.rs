//! Paying an order: checks, claim, charge, record — and the queries other contexts use.
//! Refunds are in `service/refund.rs`.

mod refund;

pub use refund::RefundRequest;

use chrono::{DateTime, Utc};
use kernel::{Clock, Money, OrderId, ReservationId};
use outbox::RelayHandle;
use std::sync::Arc;
use storage::{Database, LockKey};
use uuid::Uuid;

use crate::domain::{Payment, PaymentStatus, approval_stands, holds_last};
use crate::events::{PaymentFailed, PaymentSucceeded};
use crate::ports::{HoldsOfOrder, OrderForPayment, PaidHolds, PayableOrders, RefundedTickets};
use crate::provider::{Charge, ChargeOutcome, PaymentProvider, RefundOrder, RefundOutcome};
use crate::{PaymentError, store};

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

/// What payment asks of others: the order, its holds, and the provider that charges.
pub struct PaymentPorts {
    /// Ordering's orders.
    pub orders: Arc<dyn PayableOrders>,
    /// Inventory's holds, as questions.
    pub holds: Arc<dyn HoldsOfOrder>,
    /// Inventory's holds, confirmed inside the payment's transaction.
    pub paid_holds: Arc<dyn PaidHolds>,
    /// The processor.
    pub provider: Arc<dyn PaymentProvider>,
    /// Fulfillment's tickets, voided inside a refund's transaction.
    pub tickets: Arc<dyn RefundedTickets>,
}

/// The payment context.
pub struct PaymentService {
    db: Database,
    clock: Arc<dyn Clock>,
    orders: Arc<dyn PayableOrders>,
    holds: Arc<dyn HoldsOfOrder>,
    paid_holds: Arc<dyn PaidHolds>,
    provider: Arc<dyn PaymentProvider>,
    tickets: Arc<dyn RefundedTickets>,
    relay: RelayHandle,
}

/// What became of an attempt to record a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorded {
    /// Written, with the holds confirmed.
    Succeeded,
    /// Nothing written: the payment was settled by someone else meanwhile.
    AlreadySettled,
    /// Nothing written: the order moved or a hold ended while the card was charged.
    SeatsLost,
}

impl PaymentService {
    /// Payment over `db`, asking and charging through `ports`.
    pub fn new(
        db: Database,
        clock: Arc<dyn Clock>,
        ports: PaymentPorts,
        relay: RelayHandle,
    ) -> Self {
        Self {
            db,
            clock,
            orders: ports.orders,
            holds: ports.holds,
            paid_holds: ports.paid_holds,
            provider: ports.provider,
            tickets: ports.tickets,
            relay,
        }
    }

    /// Settles the payments still `processing` that were claimed before `cutoff` (their process
    /// died, or their answer was lost): asks the provider what became of each and records it as
    /// [`PaymentService::pay`] would have (a charge whose seats are gone is refunded). Then
    /// finishes the refunds left `processing` the same way. Run at start-up and periodically;
    /// returns how many were settled.
    ///
    /// # Errors
    /// When the database or the provider fails (the rest are tried on the next round).
    pub async fn resolve_stale(&self, cutoff: DateTime<Utc>) -> Result<usize, PaymentError> {
        let stale = {
            let mut conn = self.db.read().await?;
            store::processing_before(conn.conn(), cutoff).await?
        };
        let mut settled = 0;
        for mut payment in stale {
            let outcome = match self.provider.lookup(&charge_of(&payment)).await? {
                Some(outcome) => outcome,
                None => declined(
                    "INTERRUPTED",
                    "The payment was interrupted before the card was charged; nothing was charged",
                    "interrupted",
                ),
            };
            let Some(order) = self.orders.order(payment.order_id).await? else {
                tracing::error!(payment.id = %payment.id, order.id = %payment.order_id, "a processing payment's order is gone");
                continue;
            };
            tracing::warn!(payment.id = %payment.id, order.id = %order.order_id, "settling a payment left processing");
            self.record(&mut payment, outcome, &order).await?;
            metrics::counter!("payment_stale_settled_total").increment(1);
            settled += 1;
        }
        Ok(settled + self.resolve_stale_refunds(cutoff).await?)
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
        let outcome = match self.provider.charge(&charge_of(&payment)).await {
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
        // One guarded insert (the partial unique index decides between concurrent claims), so
        // it needs neither a transaction nor the writer lock: on PostgreSQL that is four round
        // trips fewer under the lock per payment.
        Ok(store::claim(&self.db, payment).await?)
    }

    /// Records the provider's answer. An approval is kept only if, inside one write transaction
    /// (which no write that ends a hold or moves an order can interleave with), the order is
    /// still pending and every hold still active: the holds are then confirmed in that same
    /// transaction, so a paid seat is never free. Otherwise the charge is refunded through the
    /// provider before the payment is recorded as failed; if the refund fails the payment stays
    /// `processing`, and [`PaymentService::resolve_stale`] tries again.
    async fn record(
        &self,
        payment: &mut Payment,
        outcome: ChargeOutcome,
        order: &OrderForPayment,
    ) -> Result<(), PaymentError> {
        let outcome = match outcome {
            ChargeOutcome::Approved {
                transaction_id,
                response,
            } => {
                let mut paid = payment.clone();
                settle(
                    &mut paid,
                    approved(&transaction_id, &response),
                    self.clock.now(),
                );
                match self.record_success(&paid, order).await? {
                    Recorded::Succeeded => {
                        *payment = paid;
                        return Ok(());
                    }
                    Recorded::AlreadySettled => {
                        *payment = self.get(payment.id).await?;
                        return Ok(());
                    }
                    Recorded::SeatsLost => {}
                }
                let whole = RefundOrder {
                    reference: payment.id,
                    transaction_id: transaction_id.clone(),
                    amount: payment.amount,
                    currency: payment.currency.clone(),
                };
                let refunded = match self.provider.refund(&whole).await {
                    Ok(RefundOutcome::Refunded { .. }) => Ok(()),
                    Ok(RefundOutcome::Declined { code, message }) => {
                        Err(anyhow::anyhow!("declined: {message} ({code})"))
                    }
                    Err(e) => Err(e),
                };
                refunded.map_err(|e| {
                    PaymentError::Internal(e.context(format!(
                        "refund of payment {} (transaction {transaction_id})",
                        payment.id
                    )))
                })?;
                metrics::counter!("payment_refunds_total", "reason" => "seats_lost").increment(1);
                declined(
                    "HOLD_EXPIRED",
                    "The seats were released before the payment completed; the charge was refunded",
                    "hold_expired",
                )
            }
            declined => declined,
        };
        settle(payment, outcome, self.clock.now());
        self.record_failure(payment).await
    }

    /// Writes the succeeded `paid` if it is still processing, its order still pending and its
    /// holds still active ([`approval_stands`]), confirming the holds in the same transaction.
    async fn record_success(
        &self,
        paid: &Payment,
        order: &OrderForPayment,
    ) -> Result<Recorded, PaymentError> {
        let now = self.clock.now();
        let event = PaymentSucceeded::new(paid, order.reservation_ids.clone(), now);
        let recorded = self.record_success_in_tx(paid, order, &event, now).await?;
        if recorded == Recorded::Succeeded {
            self.relay.wake();
        }
        Ok(recorded)
    }

    /// [`PaymentService::record_success`] in a write transaction beside the other purchase
    /// steps only (`Database::begin_beside`): none of them ends a hold or moves a pending order,
    /// so what is checked here holds until the commit.
    async fn record_success_in_tx(
        &self,
        paid: &Payment,
        order: &OrderForPayment,
        event: &PaymentSucceeded,
        now: DateTime<Utc>,
    ) -> Result<Recorded, PaymentError> {
        let ids = &order.reservation_ids;
        let key = LockKey::new("payment-of-order", &order.order_id.to_string());
        let mut tx = self.db.begin_beside(key).await?;
        if !store::finish(tx.conn(), paid).await? {
            tx.rollback().await?;
            return Ok(Recorded::AlreadySettled);
        }
        let (pending, until) = self.order_and_holds(&mut tx, order).await?;
        if !(approval_stands(pending, until, now)
            && self.paid_holds.confirm_in(&mut tx, ids, now).await?)
        {
            tx.rollback().await?;
            return Ok(Recorded::SeatsLost);
        }
        storage::enqueue(tx.conn(), event, now).await?;
        tx.commit().await?;
        Ok(Recorded::Succeeded)
    }

    /// Whether `order` is pending and, only if it is, until when all its holds last (`None`:
    /// not all active, or inventory cannot vouch for them), as seen inside `tx`.
    async fn order_and_holds(
        &self,
        tx: &mut storage::Tx,
        order: &OrderForPayment,
    ) -> Result<(bool, Option<DateTime<Utc>>), PaymentError> {
        let current = match self.orders.order_in(tx, order.order_id).await {
            Some(current) => current?,
            None => self.orders.order(order.order_id).await?,
        };
        if current.is_none_or(|o| o.state != "pending") {
            return Ok((false, None));
        }
        let ids = &order.reservation_ids;
        let until = match self.holds.all_active_until_in(tx, ids).await {
            Some(until) => until,
            None => self.holds.all_active_until(ids).await,
        };
        // Holds inventory cannot vouch for are not known to last: the approval does not stand.
        let until = until.unwrap_or_else(|e| {
            tracing::warn!(error = %e, order = %order.order_id, "cannot ask for the holds of a paid order");
            None
        });
        Ok((true, until))
    }

    /// Writes the failed `payment` and announces it, unless it was settled meanwhile.
    async fn record_failure(&self, payment: &Payment) -> Result<(), PaymentError> {
        let now = self.clock.now();
        let event = PaymentFailed::new(payment, now);
        let key = LockKey::new("payment-of-order", &payment.order_id.to_string());
        let mut tx = self.db.begin_beside(key).await?;
        if store::finish(tx.conn(), payment).await? {
            storage::enqueue(tx.conn(), &event, now).await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        self.relay.wake();
        Ok(())
    }

    async fn succeeded_for(&self, order: OrderId) -> Result<Option<Payment>, PaymentError> {
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

impl PaymentService {
    /// Records a payment taken at the box office (cash, a card terminal, or a comp at 0) as
    /// succeeded inside the caller's transaction `tx`, and announces it (`payment-succeeded`):
    /// ordering completes the order, fulfillment issues the tickets. No provider is asked.
    ///
    /// # Errors
    /// When the database fails, or the order already has a live payment.
    pub async fn record_box_office_in(
        tx: &mut storage::Tx,
        payment: &Payment,
        reservation_ids: Vec<ReservationId>,
        now: DateTime<Utc>,
    ) -> Result<(), PaymentError> {
        if !store::insert_settled(tx.conn(), payment).await? {
            return Err(PaymentError::InProgress);
        }
        let event = PaymentSucceeded::new(payment, reservation_ids, now);
        storage::enqueue(tx.conn(), &event, now).await?;
        Ok(())
    }
}

/// Writes the provider's answer into `payment`.
fn settle(payment: &mut Payment, outcome: ChargeOutcome, now: DateTime<Utc>) {
    payment.processed_at = Some(now);
    match outcome {
        ChargeOutcome::Approved {
            transaction_id,
            response,
        } => {
            payment.status = PaymentStatus::Succeeded;
            payment.transaction_id = Some(transaction_id);
            payment.simulated_response = Some(response);
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
        }
    }
}

fn approved(transaction_id: &str, response: &str) -> ChargeOutcome {
    ChargeOutcome::Approved {
        transaction_id: transaction_id.into(),
        response: response.into(),
    }
}

/// The charge a payment makes (or made).
fn charge_of(payment: &Payment) -> Charge {
    Charge {
        reference: payment.id,
        amount: payment.amount,
        currency: payment.currency.clone(),
        payment_method: payment.payment_method.clone(),
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
