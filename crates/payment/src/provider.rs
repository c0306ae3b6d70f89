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

/// Money to give back on an approved charge.
#[derive(Debug, Clone)]
pub struct RefundOrder {
    /// Our refund's id, given to the provider as its idempotency reference: asking again with
    /// the same reference (after a crash or a lost answer) never refunds twice.
    pub reference: uuid::Uuid,
    /// The provider's transaction of the charge.
    pub transaction_id: String,
    /// Amount to give back (at most what the charge took).
    pub amount: Money,
    /// Currency.
    pub currency: String,
}

/// What the provider answered to a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Given back.
    Refunded {
        /// The provider's reference of the refund.
        provider_reference: String,
    },
    /// Refused; nothing was given back.
    Declined {
        /// Provider code (`CARD_DECLINED`).
        code: String,
        /// Sentence (`Your card was declined`).
        message: String,
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

    /// Gives back `refund.amount` of an approved charge, once per `refund.reference` however
    /// often it is asked (asking again is how a refund whose answer was lost is finished).
    ///
    /// # Errors
    /// When the provider cannot be reached (ask again later).
    async fn refund(&self, refund: &RefundOrder) -> anyhow::Result<RefundOutcome>;

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

impl SimulatedProcessor {
    /// The outcome of refunding `amount` as `reference`: declined by the cents rule of charges
    /// ([`SimulatedProcessor::outcome`]: `.13`, `.66`, `.99`, too large), so that a declined
    /// refund can be tried; a pure function, so that asking again answers the same.
    pub fn refund_outcome(amount: Money, reference: uuid::Uuid) -> RefundOutcome {
        match Self::outcome(amount, reference) {
            ChargeOutcome::Approved { .. } => RefundOutcome::Refunded {
                provider_reference: format!("re_{}", &reference.simple().to_string()[16..]),
            },
            ChargeOutcome::Declined { code, message, .. } => {
                RefundOutcome::Declined { code, message }
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

    async fn refund(&self, refund: &RefundOrder) -> anyhow::Result<RefundOutcome> {
        tracing::info!(payment.transaction_id = %refund.transaction_id, refund.amount = %refund.amount, "simulated refund");
        Ok(Self::refund_outcome(refund.amount, refund.reference))
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
    fn a_refund_is_declined_by_the_cents_of_its_amount_and_answers_the_same_when_asked_again() {
        let reference = kernel::new_uuid();
        let refunded = SimulatedProcessor::refund_outcome(Money::from_cents(5_000), reference);
        assert!(
            matches!(&refunded, RefundOutcome::Refunded { provider_reference } if provider_reference.starts_with("re_"))
        );
        assert_eq!(
            SimulatedProcessor::refund_outcome(Money::from_cents(5_000), reference),
            refunded
        );
        assert!(matches!(
            SimulatedProcessor::refund_outcome(Money::from_cents(1_013), reference),
            RefundOutcome::Declined { code, .. } if code == "CARD_DECLINED"
        ));
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
