//! Tickets and check-in outcomes.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, SeatId};
use uuid::Uuid;

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatus {
    /// Valid, not yet used.
    Issued,
    /// Used at the door.
    CheckedIn,
    /// Cancelled.
    Void,
}

impl TicketStatus {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::CheckedIn => "checked_in",
            Self::Void => "void",
        }
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "issued" => Some(Self::Issued),
            "checked_in" => Some(Self::CheckedIn),
            "void" => Some(Self::Void),
            _ => None,
        }
    }
}

/// A ticket for one seat.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// Identifier.
    pub id: Uuid,
    /// The order that bought it.
    pub order_id: OrderId,
    /// The event.
    pub event_id: EventId,
    /// The event's name.
    pub event_name: String,
    /// The venue.
    pub venue: String,
    /// When the event takes place.
    pub event_date: DateTime<Utc>,
    /// The seat.
    pub seat_id: SeatId,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// Price paid.
    pub price: Money,
    /// Currency.
    pub currency: String,
    /// The name on the ticket: the buyer's e-mail, user id or guest token.
    pub holder: String,
    /// Owner's user id.
    pub user_id: Option<String>,
    /// Owner's guest token.
    pub guest_token: Option<String>,
    /// Where tickets are e-mailed, if known.
    pub customer_email: Option<String>,
    /// State.
    pub status: TicketStatus,
    /// The signed token printed as the QR code.
    pub qr: String,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was used.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Why it is void (`refunded`), when it is.
    pub void_reason: Option<String>,
}

impl Ticket {
    /// Whether the caller identified by `user_id` / `guest_token` owns the ticket (the user id
    /// decides when given, as for orders).
    pub fn is_owned_by(&self, user_id: Option<&str>, guest_token: Option<&str>) -> bool {
        match (user_id, guest_token) {
            (Some(user), _) => self.user_id.as_deref() == Some(user),
            (None, Some(token)) => self.guest_token.as_deref() == Some(token),
            (None, None) => false,
        }
    }
}

/// The answer of the door scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInResult {
    /// Valid and now used.
    Admitted,
    /// Used before.
    AlreadyCheckedIn,
    /// Not a ticket of ours (bad signature, unknown ticket, malformed).
    Invalid,
    /// Cancelled.
    Void,
    /// For another event than the door's.
    WrongEvent,
}

impl CheckInResult {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admitted => "admitted",
            Self::AlreadyCheckedIn => "already_checked_in",
            Self::Invalid => "invalid",
            Self::Void => "void",
            Self::WrongEvent => "wrong_event",
        }
    }
}

/// What a door scanner shows for a ticket void for `reason`.
pub fn void_sentence(reason: &str) -> &'static str {
    match reason {
        "refunded" => "This ticket was refunded and no longer admits.",
        _ => "This ticket was cancelled and no longer admits.",
    }
}
