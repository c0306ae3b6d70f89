//! Events the catalog publishes.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, SeatId};
use serde::{Deserialize, Serialize};

/// Seats were laid out for an event (topic `seats-generated`, the reference's shape plus
/// `price`, `eventDate` and `isActive` so inventory can sell them without asking back).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsGenerated {
    /// The event.
    pub event_id: EventId,
    /// The new seats.
    pub seats: Vec<GeneratedSeat>,
    /// How many seats this message carries (a large venue comes in several messages).
    pub total_seats: usize,
    /// When.
    pub generated_at: DateTime<Utc>,
    /// When the event takes place (sales end then).
    pub event_date: DateTime<Utc>,
    /// Whether the event is on sale.
    pub is_active: bool,
}

/// One generated seat.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneratedSeat {
    /// Seat id.
    pub seat_id: SeatId,
    /// Section code.
    pub section: String,
    /// Row number, as a string (the reference's wire format).
    pub row: String,
    /// Seat number.
    pub number: i64,
    /// Price.
    pub price: Money,
}

impl storage::Event for SeatsGenerated {
    const TOPIC: &'static str = "seats-generated";
    fn key(&self) -> String {
        self.event_id.to_string()
    }
}

/// An event was deactivated or reactivated (topic `event-status-changed`, ours).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventStatusChanged {
    /// The event.
    pub event_id: EventId,
    /// `active`, `inactive` or `deleted`.
    pub status: String,
    /// Whether it is on sale.
    pub is_active: bool,
    /// When the event takes place.
    pub event_date: DateTime<Utc>,
}

impl storage::Event for EventStatusChanged {
    const TOPIC: &'static str = "event-status-changed";
    fn key(&self) -> String {
        self.event_id.to_string()
    }
}

/// The price of a section's seats changed (topic `seat-prices-changed`, ours): inventory keeps
/// its copy of the prices in step (a waitlist offer is priced from it). Orders keep the price
/// each line was added at.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatPricesChanged {
    /// The event.
    pub event_id: EventId,
    /// The section.
    pub section_code: String,
    /// Every seat's price now.
    pub price: kernel::Money,
    /// Only these seats of the section (a price category's), when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_ids: Option<Vec<kernel::SeatId>>,
}

impl storage::Event for SeatPricesChanged {
    const TOPIC: &'static str = "seat-prices-changed";
    fn key(&self) -> String {
        self.event_id.to_string()
    }
}

/// An event moved: a new date or venue (topic `event-rescheduled`, ours). Fulfillment updates
/// the tickets; notification e-mails every ticket holder when `notifyHolders`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRescheduled {
    /// The event.
    pub event_id: EventId,
    /// Its name.
    pub event_name: String,
    /// Its venue now.
    pub venue: String,
    /// The date before.
    pub previous_date: DateTime<Utc>,
    /// The date now.
    pub event_date: DateTime<Utc>,
    /// The date now on the event's clock, for people (`Sat 12 Dec 2026, 20:00 CET`).
    pub local_date: String,
    /// Whether ticket holders are to be told.
    pub notify_holders: bool,
}

impl storage::Event for EventRescheduled {
    const TOPIC: &'static str = "event-rescheduled";
    fn key(&self) -> String {
        self.event_id.to_string()
    }
}
