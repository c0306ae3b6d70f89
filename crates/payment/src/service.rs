//! Paying an order: checks, claim, charge, record — and the queries other contexts use.

use chrono::{DateTime, Duration, Utc};
use kernel::{Clock, Money, OrderId, ReservationId};
use outbox::{Database, RelayHandle};
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
            id: Uuid::new_v4(),
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
        match self.holds.all_active_until(&order.reservation_ids).await? {
            Some(until) if until > now + Duration::seconds(HOLD_MARGIN_SECONDS) => Ok(()),
            _ => Err(PaymentError::HoldExpired),
        }
    }

    async fn claim(&self, payment: &Payment) -> Result<bool, PaymentError> {
        let mut tx = self.db.begin().await?;
        let claimed = store::claim(tx.conn(), payment).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records the provider's answer. A success is kept only if, inside this write transaction
    /// (which no other write can interleave with), the order is still pending and every hold
    /// still active; otherwise the charge is voided and recorded as failed.
    async fn record(
        &self,
        payment: &mut Payment,
        outcome: ChargeOutcome,
        order: &OrderForPayment,
    ) -> Result<(), PaymentError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let outcome = match outcome {
            ChargeOutcome::Approved { .. } => {
                let still_pending = self
                    .orders
                    .order(order.order_id)
                    .await?
                    .is_some_and(|o| o.state == "pending");
                let holds_ok = self.check_holds(order, now).await.is_ok();
                if still_pending && holds_ok {
                    outcome
                } else {
                    declined(
                        "HOLD_EXPIRED",
                        "The seats were released before the payment completed; nothing was charged",
                        "hold_expired",
                    )
                }
            }
            declined @ ChargeOutcome::Declined { .. } => declined,
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
                store::finish(tx.conn(), payment).await?;
                outbox::enqueue(
                    tx.conn(),
                    &PaymentSucceeded::new(payment, order.reservation_ids.clone(), now),
                    now,
                )
                .await?;
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
                store::finish(tx.conn(), payment).await?;
                outbox::enqueue(tx.conn(), &PaymentFailed::new(payment, now), now).await?;
            }
        }
        tx.commit().await?;
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
