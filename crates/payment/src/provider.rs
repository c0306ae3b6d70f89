//! The payment provider boundary and the built-in simulated processor.

use kernel::Money;

/// A charge to make.
#[derive(Debug, Clone)]
pub struct Charge {
    /// Our payment's id, given to the provider so that the charge can be looked up by it later
    /// (after a crash or a lost answer) and is never made twice.
    pub reference: uuid::Uuid,
    /// Amount.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// Method as given by the client.
    pub payment_method: String,
}

/// What the provider answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Charged.
    Approved {
        /// Provider reference.
        transaction_id: String,
        /// Raw answer.
        response: String,
    },
    /// Refused.
    Declined {
        /// Provider code (`CARD_DECLINED`).
        code: String,
        /// Sentence (`Your card was declined`).
        message: String,
        /// Reason (`card_declined`).
        reason: String,
        /// Raw answer.
        response: String,
    },
}

/// A payment processor.
#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    /// Charges, or refuses to.
    ///
    /// # Errors
    /// When the provider cannot be reached (nothing was charged).
    async fn charge(&self, charge: &Charge) -> anyhow::Result<ChargeOutcome>;

    /// What became of the charge made (or perhaps never made) for `charge.reference`: asked when
    /// a payment stayed `processing` because its process died or its answer was lost. `None`:
    /// the provider never received it.
    ///
    /// # Errors
    /// When the provider cannot be reached (ask again later).
    async fn lookup(&self, charge: &Charge) -> anyhow::Result<Option<ChargeOutcome>>;

    /// Gives back an approved charge in full (idempotent per transaction).
    ///
    /// # Errors
    /// When the provider cannot be reached or refuses (ask again later).
    async fn refund(&self, transaction_id: &str, charge: &Charge) -> anyhow::Result<()>;

    /// Whether answers come from a simulation.
    fn is_simulated(&self) -> bool;
}

/// The original's simulated processor: the outcome depends only on the amount (reference §5.6).
#[derive(Debug, Clone, Copy, Default)]
pub struct SimulatedProcessor;

impl SimulatedProcessor {
    /// The outcome for `amount` charged as `reference`, as a pure function (the transaction id
    /// comes from the reference, so a lookup answers what the charge answered).
    pub fn outcome(amount: Money, reference: uuid::Uuid) -> ChargeOutcome {
        let cents = amount.cents();
        let declined = |code: &str, message: &str, reason: &str| ChargeOutcome::Declined {
            code: code.into(),
            message: message.into(),
            reason: reason.into(),
            response: format!("Failed - {code}: {message}"),
        };
        if cents < 0 {
            return declined(
                "INVALID_AMOUNT",
                "Amount cannot be negative",
                "invalid_amount",
            );
        }
        if cents == 0 {
            return declined("ZERO_AMOUNT", "Amount cannot be zero", "invalid_amount");
        }
        if cents >= 100_000_000 {
            return declined(
                "AMOUNT_TOO_LARGE",
                "Amount exceeds maximum limit",
                "processor_error",
            );
        }
        match cents % 100 {
            13 => declined("CARD_DECLINED", "Your card was declined", "card_declined"),
            66 => declined(
                "INSUFFICIENT_FUNDS",
                "Insufficient funds on card",
                "insufficient_funds",
            ),
            99 => declined("PROCESSOR_TIMEOUT", "Payment processor timeout", "timeout"),
            _ => {
                // The reference's last 16 hex digits: its random part, also in a UUIDv7.
                let simple = reference.simple().to_string();
                let transaction_id = format!("txn_{}", &simple[16..]);
                ChargeOutcome::Approved {
                    response: format!("Success - TransactionId: {transaction_id}"),
                    transaction_id,
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl PaymentProvider for SimulatedProcessor {
    async fn charge(&self, charge: &Charge) -> anyhow::Result<ChargeOutcome> {
        Ok(Self::outcome(charge.amount, charge.reference))
    }

    async fn lookup(&self, charge: &Charge) -> anyhow::Result<Option<ChargeOutcome>> {
        Ok(Some(Self::outcome(charge.amount, charge.reference)))
    }

    async fn refund(&self, transaction_id: &str, _charge: &Charge) -> anyhow::Result<()> {
        tracing::info!(payment.transaction_id = transaction_id, "simulated refund");
        Ok(())
    }

    fn is_simulated(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(amount: &str) -> Option<String> {
        match SimulatedProcessor::outcome(amount.parse().expect("amount"), uuid::Uuid::nil()) {
            ChargeOutcome::Approved { .. } => None,
            ChargeOutcome::Declined { code, .. } => Some(code),
        }
    }

    #[test]
    fn the_outcome_follows_the_cents() {
        assert_eq!(code("50.00"), None);
        assert_eq!(code("50.13").as_deref(), Some("CARD_DECLINED"));
        assert_eq!(code("50.66").as_deref(), Some("INSUFFICIENT_FUNDS"));
        assert_eq!(code("50.99").as_deref(), Some("PROCESSOR_TIMEOUT"));
        assert_eq!(code("1000000.00").as_deref(), Some("AMOUNT_TOO_LARGE"));
        assert_eq!(code("999999.98"), None);
        assert_eq!(code("0").as_deref(), Some("ZERO_AMOUNT"));
    }

    #[test]
    fn transaction_ids_look_like_the_originals() {
        let ChargeOutcome::Approved {
            transaction_id,
            response,
        } = SimulatedProcessor::outcome(Money::from_cents(100), kernel::new_uuid())
        else {
            panic!("approved");
        };
        assert_eq!(transaction_id.len(), 20);
        assert!(transaction_id.starts_with("txn_"));
        assert_eq!(
            response,
            format!("Success - TransactionId: {transaction_id}")
        );
    }
}
