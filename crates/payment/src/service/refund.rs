//! Refunding a paid order, in whole or seat by seat: plan and claim in one write transaction,
//! ask the provider outside any, then record the answer, void the tickets and announce the
//! refund in a second one. A refund whose answer never came back (the process died, the
//! provider did not answer) stays `processing` and is finished by
//! [`PaymentService::resolve_stale`], which asks the provider again under the same reference.

use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, SeatId};
use storage::LockKey;
use uuid::Uuid;

use super::PaymentService;
use crate::domain::{Refund, RefundAsk, RefundStatus, plan_refund};
use crate::events::PaymentRefunded;
use crate::provider::{RefundOrder, RefundOutcome};
use crate::{PaymentError, store};

/// The longest reason a refund keeps.
const MAX_REASON_CHARS: usize = 500;

/// A refund an organiser asks for.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    /// The order.
    pub order_id: OrderId,
    /// Seats to give back; `None`: every seat not refunded yet.
    pub seats: Option<Vec<SeatId>>,
    /// Amount to give back; `None`: what the seats cost.
    pub amount: Option<Money>,
    /// Why (shown to the buyer in the e-mail).
    pub reason: String,
    /// Who asks (the administrator's e-mail).
    pub requested_by: String,
}

impl PaymentService {
    /// Refunds a paid order's seats: their tickets are void the instant the refund is recorded,
    /// and the seats go back on sale (waitlist first) once `payment-refunded` is applied.
    ///
    /// # Errors
    /// Unknown order; not paid or nothing left to refund; a seat not in the order or refunded
    /// before; an amount above what the seats cost; another refund in flight; the provider's
    /// decline ([`PaymentError::RefundDeclined`], nothing changed).
    pub async fn refund(&self, request: RefundRequest) -> Result<Refund, PaymentError> {
        let reason = request.reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
            return Err(PaymentError::Invalid(format!(
                "reason is required, at most {MAX_REASON_CHARS} characters."
            )));
        }
        let order = self
            .orders
            .order(request.order_id)
            .await?
            .ok_or(PaymentError::OrderNotFound)?;
        let paid = self.succeeded_for(order.order_id).await?.ok_or_else(|| {
            PaymentError::NotRefundable(format!(
                "Order {} is {}: only a paid order can be refunded.",
                order.order_id, order.state
            ))
        })?;
        let now = self.clock.now();
        let mut tx = self.db.begin_beside(refund_lock(order.order_id)).await?;
        let earlier = store::refunds_of_order(tx.conn(), order.order_id).await?;
        let ask = RefundAsk {
            seats: request.seats.as_deref(),
            amount: request.amount,
        };
        let (seats, amount) = match plan_refund(&order, &earlier, &ask) {
            Ok(plan) => plan,
            Err(refusal) => {
                tx.rollback().await?;
                return Err(refusal);
            }
        };
        let mut refund = Refund {
            id: kernel::new_uuid(),
            payment_id: paid.id,
            order_id: order.order_id,
            seats,
            amount,
            currency: paid.currency.clone(),
            reason: reason.to_string(),
            requested_by: request.requested_by,
            status: RefundStatus::Processing,
            provider_reference: None,
            error_code: None,
            error_message: None,
            created_at: now,
            processed_at: None,
        };
        if !store::claim_refund(tx.conn(), &refund).await? {
            tx.rollback().await?;
            return Err(PaymentError::RefundInProgress);
        }
        tx.commit().await?;
        self.ask_and_record(&mut refund, &paid.transaction_id.unwrap_or_default())
            .await?;
        match refund.status {
            RefundStatus::Succeeded => Ok(refund),
            RefundStatus::Failed => Err(PaymentError::RefundDeclined {
                code: refund.error_code.unwrap_or_default(),
                message: refund.error_message.unwrap_or_default(),
            }),
            RefundStatus::Processing => Err(PaymentError::RefundInProgress),
        }
    }

    /// Asks the provider for `refund` (again, when it was asked before: the reference makes it
    /// once) and records the answer. When the provider cannot be reached the refund stays
    /// `processing` for [`PaymentService::resolve_stale`].
    pub(super) async fn ask_and_record(
        &self,
        refund: &mut Refund,
        transaction_id: &str,
    ) -> Result<(), PaymentError> {
        let order = RefundOrder {
            reference: refund.id,
            transaction_id: transaction_id.to_string(),
            amount: refund.amount,
            currency: refund.currency.clone(),
        };
        // Nothing was charged for comp tickets: there is nothing to ask the provider for.
        let outcome = if refund.amount.cents() == 0 {
            RefundOutcome::Refunded {
                provider_reference: "none (nothing was charged)".into(),
            }
        } else {
            self.provider.refund(&order).await.map_err(|e| {
                PaymentError::Internal(e.context(format!(
                    "refund {} could not be asked for; it will be finished when the provider answers",
                    refund.id
                )))
            })?
        };
        self.record_refund(refund, outcome).await
    }

    /// Writes the provider's answer on the processing `refund`; on success, voids its seats'
    /// tickets and announces it in the same transaction. If it was settled meanwhile, `refund`
    /// becomes what was recorded.
    async fn record_refund(
        &self,
        refund: &mut Refund,
        outcome: RefundOutcome,
    ) -> Result<(), PaymentError> {
        let now = self.clock.now();
        let mut answered = refund.clone();
        settle_refund(&mut answered, outcome, now);
        let mut tx = self.db.begin_beside(refund_lock(refund.order_id)).await?;
        if !store::finish_refund(tx.conn(), &answered).await? {
            tx.rollback().await?;
            let mut conn = self.db.read().await?;
            if let Some(recorded) = store::refund(conn.conn(), refund.id).await? {
                *refund = recorded;
            }
            return Ok(());
        }
        if answered.status == RefundStatus::Succeeded {
            let seats: Vec<SeatId> = answered.seats.iter().map(|s| s.seat_id).collect();
            self.tickets
                .void_in(&mut tx, answered.order_id, &seats, now)
                .await?;
            storage::enqueue(tx.conn(), &PaymentRefunded::new(&answered, now), now).await?;
        }
        tx.commit().await?;
        metrics::counter!("payment_order_refunds_total", "status" => answered.status.as_str())
            .increment(1);
        self.relay.wake();
        *refund = answered;
        Ok(())
    }

    /// Finishes the refunds left `processing` before `cutoff`; returns how many.
    pub(super) async fn resolve_stale_refunds(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<usize, PaymentError> {
        let stale = {
            let mut conn = self.db.read().await?;
            store::refunds_processing_before(conn.conn(), cutoff).await?
        };
        let mut settled = 0;
        for mut refund in stale {
            let paid = self.get(refund.payment_id).await?;
            tracing::warn!(refund.id = %refund.id, order.id = %refund.order_id, "finishing a refund left processing");
            self.ask_and_record(
                &mut refund,
                paid.transaction_id.as_deref().unwrap_or_default(),
            )
            .await?;
            settled += 1;
        }
        Ok(settled)
    }

    /// Every refund of an order, oldest first.
    ///
    /// # Errors
    /// When the database fails.
    pub async fn refunds_of(&self, order: OrderId) -> Result<Vec<Refund>, PaymentError> {
        let mut conn = self.db.read().await?;
        Ok(store::refunds_of_order(conn.conn(), order).await?)
    }

    /// A refund by id.
    ///
    /// # Errors
    /// [`PaymentError::PaymentNotFound`] when there is none.
    pub async fn refund_by_id(&self, id: Uuid) -> Result<Refund, PaymentError> {
        let mut conn = self.db.read().await?;
        store::refund(conn.conn(), id)
            .await?
            .ok_or(PaymentError::PaymentNotFound)
    }
}

/// Refunds of one order are planned and recorded one at a time (on PostgreSQL; SQLite's writer
/// runs one write at a time anyway).
fn refund_lock(order: OrderId) -> LockKey {
    LockKey::new("refund-of-order", &order.to_string())
}

/// Writes the provider's answer into `refund`.
fn settle_refund(refund: &mut Refund, outcome: RefundOutcome, now: DateTime<Utc>) {
    refund.processed_at = Some(now);
    match outcome {
        RefundOutcome::Refunded { provider_reference } => {
            refund.status = RefundStatus::Succeeded;
            refund.provider_reference = Some(provider_reference);
        }
        RefundOutcome::Declined { code, message } => {
            refund.status = RefundStatus::Failed;
            refund.error_code = Some(code);
            refund.error_message = Some(message);
        }
    }
}
