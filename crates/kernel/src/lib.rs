//! Shared vocabulary of every Boxoffice context: identifiers, money, time, error codes and the
//! envelope of events. No I/O lives here, so every context can depend on it.

mod clock;
mod error_code;
mod ids;
mod money;
mod peer;
mod schema;
mod text;
mod time;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error_code::ErrorCode;
pub use ids::{
    EventId, MessageId, OrderId, OrderItemId, ReservationId, SeatId, WaitlistEntryId, new_uuid,
};
pub use money::{Money, MoneyError};
pub use peer::PeerUnavailable;
pub use text::has_control_chars;
pub use time::{from_micros, in_sales_window, to_micros};

/// The name of every Boxoffice service and the port it listens on by default (SPEC §2).
pub const SERVICES: [(&str, u16); 9] = [
    ("identity", 50000),
    ("catalog", 50001),
    ("inventory", 50002),
    ("ordering", 5003),
    ("payment", 5004),
    ("fulfillment", 50004),
    ("notification", 50005),
    ("waitlist", 5006),
    ("gateway", 8080),
];
