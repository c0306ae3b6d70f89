//! Holds and the buyers who place them.

pub(crate) mod best;

use chrono::{DateTime, Utc};
use kernel::{EventId, ReservationId, SeatId};

use crate::InventoryError;

/// The opaque buyer identity of a hold: a user id, a guest token or any client-chosen string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerId(String);

impl CustomerId {
    /// A non-blank identity of at most 256 characters, without control characters.
    ///
    /// # Errors
    /// [`InventoryError::Invalid`] otherwise.
    pub fn parse(value: &str) -> Result<Self, InventoryError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(InventoryError::Invalid(
                "CustomerId must not be empty".into(),
            ));
        }
        if trimmed.chars().count() > 256 {
            return Err(InventoryError::Invalid(
                "customerId must be at most 256 characters.".into(),
            ));
        }
        if kernel::has_control_chars(trimmed) {
            return Err(InventoryError::Invalid(
                "customerId must not contain control characters.".into(),
            ));
        }
        Ok(Self(trimmed.to_string()))
    }

    /// The identity as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a hold is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldStatus {
    /// Holding the seat until `expires_at`.
    Active,
    /// Lapsed without purchase.
    Expired,
    /// Given up early (by the buyer, or because its order was cancelled).
    Released,
    /// Paid for: the seat is sold.
    Confirmed,
}

impl HoldStatus {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Released => "released",
            Self::Confirmed => "confirmed",
        }
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "expired" => Some(Self::Expired),
            "released" => Some(Self::Released),
            "confirmed" => Some(Self::Confirmed),
            _ => None,
        }
    }
}

/// A hold of one seat by one buyer.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    /// Identifier (the reservation id).
    pub id: ReservationId,
    /// The seat held.
    pub seat_id: SeatId,
    /// The seat's event.
    pub event_id: EventId,
    /// Who holds it.
    pub customer_id: String,
    /// Stored status.
    pub status: HoldStatus,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it lapses.
    pub expires_at: DateTime<Utc>,
}

impl Hold {
    /// The status at `now`: an active hold past `expires_at` is expired, even before the sweep.
    pub fn status_at(&self, now: DateTime<Utc>) -> HoldStatus {
        if self.status == HoldStatus::Active && self.expires_at <= now {
            HoldStatus::Expired
        } else {
            self.status
        }
    }
}

/// Whether a seat of the catalogue may be held now: `event_id` (when the buyer names one) must be
/// the seat's event, and the event must be active and still to come.
///
/// # Errors
/// [`InventoryError::Invalid`] for another event, [`InventoryError::NotOnSale`] otherwise.
pub(crate) fn check_on_sale(
    listing: &crate::ports::SeatListing,
    event_id: Option<EventId>,
    now: DateTime<Utc>,
) -> Result<(), InventoryError> {
    if event_id.is_some_and(|e| e != listing.event_id) {
        return Err(InventoryError::Invalid(format!(
            "eventId does not match the event of seat {}.",
            listing.seat_id
        )));
    }
    if !listing.is_active
        || listing.event_date <= now
        || !kernel::in_sales_window(listing.sales_start, listing.sales_end, now)
    {
        return Err(InventoryError::NotOnSale(listing.event_id));
    }
    Ok(())
}

/// Why a hold was refused: the seat is taken (held or sold), or else the buyer is at `limit`.
pub(crate) fn refusal(seat_id: SeatId, taken: SeatTakenBy, limit: u32) -> InventoryError {
    match taken {
        SeatTakenBy::Hold => InventoryError::SeatAlreadyReserved(seat_id),
        SeatTakenBy::Block => InventoryError::SeatHeldBack(seat_id),
        SeatTakenBy::Nobody => InventoryError::HoldLimitReached { limit },
    }
}

/// What keeps a seat from a new hold, when its insert was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SeatTakenBy {
    /// A live hold or a sale.
    Hold,
    /// The organiser's block.
    Block,
    /// Nothing: the buyer's hold limit refused it.
    Nobody,
}

/// A seat an organiser holds back from sale, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The seat.
    pub seat_id: SeatId,
    /// Its event.
    pub event_id: EventId,
    /// Why (house seats, production hold), as the organiser wrote it.
    pub reason: String,
    /// Who blocked it (the administrator's e-mail).
    pub blocked_by: String,
    /// When.
    pub blocked_at: DateTime<Utc>,
}

/// A seat that is not free, for an organiser's error message.
#[derive(Debug, Clone, PartialEq)]
pub struct TakenSeat {
    /// The seat.
    pub seat_id: SeatId,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// `held` (a hold or a cart), `sold` or `held back`.
    pub state: &'static str,
}

/// The longest reason a block keeps.
pub const MAX_BLOCK_REASON: usize = 200;

/// A block's reason, trimmed: 1 to [`MAX_BLOCK_REASON`] characters.
///
/// # Errors
/// [`InventoryError::Invalid`] otherwise.
pub(crate) fn block_reason(reason: &str) -> Result<String, InventoryError> {
    let reason = reason.trim();
    if reason.is_empty()
        || reason.chars().count() > MAX_BLOCK_REASON
        || kernel::has_control_chars(reason)
    {
        return Err(InventoryError::Invalid(format!(
            "reason is required: 1 to {MAX_BLOCK_REASON} characters (\"house seats\", \"production hold\")."
        )));
    }
    Ok(reason.to_string())
}

impl Hold {
    /// A new active hold of `seat_id` (of `event_id`) for `customer`, from `now` for `duration`.
    pub fn active(
        seat_id: SeatId,
        event_id: EventId,
        customer: &CustomerId,
        now: DateTime<Utc>,
        duration: chrono::Duration,
    ) -> Self {
        Self {
            id: ReservationId::new(),
            seat_id,
            event_id,
            customer_id: customer.as_str().to_string(),
            status: HoldStatus::Active,
            created_at: now,
            expires_at: now + duration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_hold_stops_counting_at_its_expiry_instant() {
        let now = Utc::now();
        let hold = Hold {
            id: ReservationId::new(),
            seat_id: SeatId::new(),
            event_id: EventId::new(),
            customer_id: "c".into(),
            status: HoldStatus::Active,
            created_at: now - Duration::minutes(15),
            expires_at: now,
        };
        assert_eq!(
            hold.status_at(now - Duration::microseconds(1)),
            HoldStatus::Active
        );
        assert_eq!(hold.status_at(now), HoldStatus::Expired);
        let sold = Hold {
            status: HoldStatus::Confirmed,
            ..hold
        };
        assert_eq!(
            sold.status_at(now + Duration::days(1)),
            HoldStatus::Confirmed
        );
    }

    #[test]
    fn customer_ids_are_non_blank_and_bounded() {
        assert!(CustomerId::parse("  ").is_err());
        assert!(CustomerId::parse(&"x".repeat(257)).is_err());
        assert_eq!(
            CustomerId::parse(" user-123 ").expect("valid").as_str(),
            "user-123"
        );
    }

    #[test]
    fn a_seat_is_on_sale_only_for_its_own_active_event_in_its_window_before_it_starts() {
        let (event, other) = (EventId::new(), EventId::new());
        let now = Utc::now();
        let later = now + chrono::Duration::days(1);
        let listing =
            |is_active: bool, event_date, sales_start, sales_end| crate::ports::SeatListing {
                seat_id: SeatId::new(),
                event_id: event,
                section_code: "A".into(),
                row_number: 1,
                seat_number: 1,
                price: kernel::Money::from_cents(100),
                is_active,
                event_date,
                sales_start,
                sales_end,
                accessible: false,
                hold_extension: false,
                category: None,
                position: None,
                stage: None,
            };
        let on_sale = listing(true, later, None, None);
        assert!(check_on_sale(&on_sale, None, now).is_ok());
        assert!(check_on_sale(&on_sale, Some(event), now).is_ok());
        assert!(matches!(
            check_on_sale(&on_sale, Some(other), now),
            Err(InventoryError::Invalid(m)) if m.contains("eventId does not match")
        ));
        assert!(matches!(
            check_on_sale(&listing(false, later, None, None), None, now),
            Err(InventoryError::NotOnSale(e)) if e == event
        ));
        // The instant the event starts, its seats are off sale.
        assert!(matches!(
            check_on_sale(&listing(true, now, None, None), None, now),
            Err(InventoryError::NotOnSale(_))
        ));
        // Before the window opens and from the instant it closes, too.
        let hour = chrono::Duration::hours(1);
        assert!(check_on_sale(&listing(true, later, Some(now + hour), None), None, now).is_err());
        assert!(check_on_sale(&listing(true, later, None, Some(now)), None, now).is_err());
        assert!(
            check_on_sale(
                &listing(true, later, Some(now - hour), Some(now + hour)),
                None,
                now
            )
            .is_ok()
        );
    }

    #[test]
    fn a_refused_hold_blames_the_seat_when_taken_else_the_limit() {
        let seat = SeatId::new();
        assert!(matches!(
            refusal(seat, SeatTakenBy::Hold, 4),
            InventoryError::SeatAlreadyReserved(s) if s == seat
        ));
        assert!(matches!(
            refusal(seat, SeatTakenBy::Nobody, 4),
            InventoryError::HoldLimitReached { limit: 4 }
        ));
    }

    #[test]
    fn a_new_hold_is_active_for_its_duration() -> Result<(), InventoryError> {
        let now = Utc::now();
        let buyer = CustomerId::parse("buyer-1")?;
        let hold = Hold::active(
            SeatId::new(),
            EventId::new(),
            &buyer,
            now,
            chrono::Duration::minutes(15),
        );
        assert_eq!(hold.status, HoldStatus::Active);
        assert_eq!(hold.customer_id, "buyer-1");
        assert_eq!(
            hold.expires_at - hold.created_at,
            chrono::Duration::minutes(15)
        );
        assert_eq!(
            hold.status_at(now + chrono::Duration::minutes(15)),
            HoldStatus::Expired
        );
        Ok(())
    }
}
