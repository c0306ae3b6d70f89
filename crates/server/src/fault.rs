//! Fault injection for the crash tests, chosen by the environment variable
//! `BOXOFFICE_TEST_FAULT` (never set in a real deployment; the process says so loudly when it is):
//!
//! * `abort-after-refund`: the payment provider refunds, then the process dies at once
//!   (`abort`, as a kill -9 would), before the refund is recorded — the case a restart must
//!   finish without refunding twice.
//! * `stall-fulfillment-once`: the first batch of events handed to the fulfillment consumer
//!   never finishes (a call that hangs), the case its process must notice and restart the
//!   consumer for.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use outbox::{Delivery, Subscriber};

use payment::{
    Charge, ChargeOutcome, PaymentProvider, RefundOrder, RefundOutcome, SimulatedProcessor,
};

/// The environment variable that names the fault.
pub(crate) const VARIABLE: &str = "BOXOFFICE_TEST_FAULT";

/// The payment provider of this process: the simulated one, wrapped by a fault if asked.
pub(crate) fn payment_provider() -> Arc<dyn PaymentProvider> {
    match std::env::var(VARIABLE).as_deref() {
        Ok("abort-after-refund") => {
            tracing::warn!(
                "BOXOFFICE_TEST_FAULT=abort-after-refund: this process dies after the first refund the provider accepts"
            );
            Arc::new(AbortAfterRefund(SimulatedProcessor))
        }
        _ => Arc::new(SimulatedProcessor),
    }
}

/// The event consumer `subscriber`, wrapped by a fault if asked.
pub(crate) fn subscriber(subscriber: Arc<dyn Subscriber>) -> Arc<dyn Subscriber> {
    match std::env::var(VARIABLE).as_deref() {
        Ok("stall-fulfillment-once") if subscriber.name() == "fulfillment" => {
            tracing::warn!(
                "BOXOFFICE_TEST_FAULT=stall-fulfillment-once: the fulfillment consumer's first batch hangs"
            );
            Arc::new(StallOnce {
                inner: subscriber,
                stalled: AtomicBool::new(false),
            })
        }
        _ => subscriber,
    }
}

/// A consumer whose first call never returns.
struct StallOnce {
    inner: Arc<dyn Subscriber>,
    stalled: AtomicBool,
}

impl StallOnce {
    async fn stall_once(&self) {
        if !self.stalled.swap(true, Ordering::SeqCst) {
            tracing::error!(consumer = self.inner.name(), "test fault: this call hangs");
            std::future::pending::<()>().await;
        }
    }
}

#[async_trait::async_trait]
impl Subscriber for StallOnce {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn topics(&self) -> &'static [&'static str] {
        self.inner.topics()
    }

    fn records_every_message(&self) -> bool {
        self.inner.records_every_message()
    }

    async fn handle(&self, delivery: &Delivery) -> anyhow::Result<()> {
        self.stall_once().await;
        self.inner.handle(delivery).await
    }

    async fn handle_batch(&self, deliveries: &[&Delivery]) -> anyhow::Result<()> {
        self.stall_once().await;
        self.inner.handle_batch(deliveries).await
    }
}

/// The simulated provider, killing the process right after it accepts a refund.
struct AbortAfterRefund(SimulatedProcessor);

#[async_trait::async_trait]
impl PaymentProvider for AbortAfterRefund {
    async fn charge(&self, charge: &Charge) -> anyhow::Result<ChargeOutcome> {
        self.0.charge(charge).await
    }

    async fn lookup(&self, charge: &Charge) -> anyhow::Result<Option<ChargeOutcome>> {
        self.0.lookup(charge).await
    }

    async fn refund(&self, refund: &RefundOrder) -> anyhow::Result<RefundOutcome> {
        let outcome = self.0.refund(refund).await?;
        if matches!(outcome, RefundOutcome::Refunded { .. }) {
            tracing::error!(refund.id = %refund.reference, "test fault: dying after the provider accepted a refund");
            std::process::abort();
        }
        Ok(outcome)
    }

    fn is_simulated(&self) -> bool {
        true
    }
}
