//! What notification asks fulfillment: the PDFs to attach, and whom to tell when an event moves.

use kernel::{EventId, OrderId};

/// Fulfillment's ticket documents.
#[async_trait::async_trait]
pub trait TicketDocuments: Send + Sync + 'static {
    /// `(file name, PDF bytes)` of every ticket of an order.
    ///
    /// # Errors
    /// When fulfillment cannot be asked.
    async fn pdfs(&self, order: OrderId) -> anyhow::Result<Vec<(String, Vec<u8>)>>;

    /// The orders holding valid tickets of `event`, with the address of each.
    ///
    /// # Errors
    /// When fulfillment cannot be asked.
    async fn holders(&self, event: EventId) -> anyhow::Result<Vec<(OrderId, String)>>;
}
