//! What notification asks fulfillment: the PDFs to attach.

use kernel::OrderId;

/// Fulfillment's ticket documents.
#[async_trait::async_trait]
pub trait TicketDocuments: Send + Sync + 'static {
    /// `(file name, PDF bytes)` of every ticket of an order.
    ///
    /// # Errors
    /// When fulfillment cannot be asked.
    async fn pdfs(&self, order: OrderId) -> anyhow::Result<Vec<(String, Vec<u8>)>>;
}
