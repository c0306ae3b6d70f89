//! The failure of a synchronous call to another service of a split deployment.

/// Another service (run by another process) did not answer in time or answered with an error.
/// The edge answers it 503 instead of 500: the request may succeed when retried.
#[derive(Debug, thiserror::Error)]
#[error("the {service} service did not answer: {reason}")]
pub struct PeerUnavailable {
    /// The service asked (`inventory`, `catalog`, …).
    pub service: &'static str,
    /// What went wrong, for the log.
    pub reason: String,
}
