//! A person's place in an event's waitlist, and the seat offered to them.

use chrono::{DateTime, Utc};
use kernel::{EventId, OrderId, ReservationId, SeatId, WaitlistEntryId};

/// The life of a waitlist entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    /// Waiting in line.
    Pending,
    /// Offered a seat, which is held for them until the offer lapses.
    Assigned,
    /// Paid for the offered seat.
    Completed,
    /// The offer lapsed unpaid (or its order was cancelled).
    Expired,
    /// The person left the line.
    Left,
    /// The event was deactivated while the offer stood.
    Cancelled,
}

impl EntryStatus {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Assigned => "assigned",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Left => "left",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "assigned" => Self::Assigned,
            "completed" => Self::Completed,
            "expired" => Self::Expired,
            "left" => Self::Left,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Whether the entry still waits or holds an offer.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Pending | Self::Assigned)
    }
}

/// The seat handed to an entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Offer {
    /// The seat.
    pub seat_id: SeatId,
    /// The pending order to pay.
    pub order_id: OrderId,
    /// The hold keeping the seat.
    pub reservation_id: ReservationId,
    /// When the seat was handed over.
    pub assigned_at: DateTime<Utc>,
    /// When the offer lapses.
    pub expires_at: DateTime<Utc>,
}

/// One person waiting for one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Identifier (returned to the person when they join).
    pub id: WaitlistEntryId,
    /// The event.
    pub event_id: EventId,
    /// Who waits, as they typed it.
    pub email: String,
    /// State.
    pub status: EntryStatus,
    /// When they joined.
    pub registered_at: DateTime<Utc>,
    /// The offer, once assigned (kept after it ends).
    pub offer: Option<Offer>,
    /// When the entry ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A plausible e-mail address: one `@` with text on both sides, no spaces, at most 320
/// characters. (Deliverability is the mail server's to judge.)
pub(crate) fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 320
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_checked_for_shape() {
        assert!(valid_email("jostin@example.com"));
        assert!(!valid_email("jostin@example"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("a@b@example.com"));
        assert!(!valid_email(&format!("{}@example.com", "x".repeat(320))));
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            EntryStatus::Pending,
            EntryStatus::Assigned,
            EntryStatus::Completed,
            EntryStatus::Expired,
            EntryStatus::Left,
            EntryStatus::Cancelled,
        ] {
            assert_eq!(EntryStatus::parse(s.as_str()), Some(s));
        }
        assert!(EntryStatus::Assigned.is_open());
        assert!(!EntryStatus::Left.is_open());
    }
}
