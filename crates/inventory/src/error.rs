//! Business outcomes of inventory commands.

use kernel::{ErrorCode, EventId, ReservationId, SeatId};

/// Why an inventory command failed.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// No seat with that id.
    #[error("Seat {0} not found")]
    SeatNotFound(SeatId),
    /// No reservation with that id (or not the caller's).
    #[error("Reservation {0} not found")]
    ReservationNotFound(ReservationId),
    /// Someone holds or bought the seat.
    #[error("Seat {0} is already reserved.")]
    SeatAlreadyReserved(SeatId),
    /// The customer holds the maximum for the event.
    #[error(
        "You already hold {limit} seats for this event, the most one buyer may hold at once. Release one or complete your purchase first."
    )]
    HoldLimitReached { limit: u32 },
    /// Best available: the seats asked for would take the buyer past the hold limit.
    #[error(
        "You may hold at most {limit} seats for this event and already hold {held}, so at most {} more can be held now.", .limit.saturating_sub(*.held)
    )]
    HoldLimitWouldBeExceeded { limit: u32, held: u32 },
    /// Best available: fewer free seats than asked for (none held).
    #[error("{}", not_enough(*.wanted, *.free, .within.as_deref()))]
    NotEnoughSeats {
        wanted: u32,
        free: usize,
        /// Where the buyer asked: `section VIP`, `category Balcony`, `section A, category
        /// Stalls`; `None`: anywhere.
        within: Option<String>,
    },
    /// No event with that id.
    #[error("Event {0} not found")]
    EventNotFound(EventId),
    /// The hold may not be extended: why, in a sentence.
    #[error("{0}")]
    NotExtendable(&'static str),
    /// The organiser holds the seat back.
    #[error("Seat {0} is held back by the organiser and not on sale.")]
    SeatHeldBack(SeatId),
    /// Seats to hold back (or sell at the box office) are held, in a cart or sold: nothing
    /// was changed.
    #[error("{}", seats_not_free(.0))]
    SeatsNotFree(Vec<crate::domain::TakenSeat>),
    /// The event is withdrawn or over.
    #[error("Seats of event {0} are not on sale.")]
    NotOnSale(EventId),
    /// The hold's order is being paid: releasing it would sell the seat twice.
    #[error(
        "Reservation {0} belongs to an order whose payment is in progress or done; it cannot be released."
    )]
    BeingPaid(ReservationId),
    /// The reservation is not active any more.
    #[error("Reservation is {0}")]
    NotActive(&'static str),
    /// Input failed validation.
    #[error("{0}")]
    Invalid(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl InventoryError {
    /// The stable code of this outcome.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::SeatNotFound(_) => ErrorCode::SeatNotFound,
            Self::ReservationNotFound(_) => ErrorCode::ReservationNotFound,
            Self::SeatAlreadyReserved(_) => ErrorCode::SeatAlreadyReserved,
            Self::HoldLimitReached { .. } | Self::HoldLimitWouldBeExceeded { .. } => {
                ErrorCode::HoldLimitReached
            }
            Self::NotEnoughSeats { .. } => ErrorCode::NotEnoughSeats,
            Self::EventNotFound(_) => ErrorCode::EventNotFound,
            Self::NotExtendable(_) => ErrorCode::HoldNotExtendable,
            Self::SeatHeldBack(_) => ErrorCode::SeatHeldBack,
            Self::SeatsNotFree(_) => ErrorCode::SeatsNotFree,
            Self::NotOnSale(_) => ErrorCode::EventNotOnSale,
            Self::NotActive(_) => ErrorCode::ReservationNotActive,
            Self::BeingPaid(_) => ErrorCode::PaymentInProgress,
            Self::Invalid(_) => ErrorCode::ValidationFailed,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

/// "Only 3 seats are free in section VIP, fewer than the 4 asked for; none were held."
fn not_enough(wanted: u32, free: usize, within: Option<&str>) -> String {
    let place = within.map_or("for this event".to_string(), |s| format!("in {s}"));
    let free = match free {
        0 => "No seats are".to_string(),
        1 => "Only 1 seat is".to_string(),
        n => format!("Only {n} seats are"),
    };
    format!("{free} free {place}, fewer than the {wanted} asked for; none were held.")
}

/// "These seats are not free, so nothing was changed: A-1-3 (held), A-1-4 (sold)."
fn seats_not_free(seats: &[crate::domain::TakenSeat]) -> String {
    let list: Vec<String> = seats
        .iter()
        .map(|s| {
            format!(
                "{}-{}-{} ({})",
                s.section_code, s.row_number, s.seat_number, s.state
            )
        })
        .collect();
    format!(
        "These seats are not free, so nothing was changed: {}.",
        list.join(", ")
    )
}

impl From<storage::Error> for InventoryError {
    fn from(e: storage::Error) -> Self {
        Self::Internal(e.into())
    }
}

api::api_error_from!(InventoryError);
