//! Fault injection for the crash tests, chosen by the environment variable
//! `BOXOFFICE_TEST_FAULT` (never set in a real deployment; the process says so loudly when it is):
//!
//! * `abort-after-refund`: the payment provider refunds, then the process dies at once
//!   (`abort`, as a kill -9 would), before the refund is recorded — the case a restart must
//!   finish without refunding twice.

use std::sync::Arc;

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
