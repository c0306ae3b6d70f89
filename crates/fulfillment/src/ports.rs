//! What fulfillment asks the catalog: where and when an event takes place.

use chrono::{DateTime, Utc};
use kernel::EventId;

/// Facts printed on a ticket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EventFacts {
    /// Name.
    pub name: String,
    /// Venue.
    pub venue: String,
    /// Date and time.
    pub event_date: DateTime<Utc>,
}

/// The catalog's events.
#[async_trait::async_trait]
pub trait EventDetails: Send + Sync + 'static {
    /// The event, if it exists.
    ///
    /// # Errors
    /// When the catalog cannot be asked.
    async fn event(&self, id: EventId) -> anyhow::Result<Option<EventFacts>>;
}
