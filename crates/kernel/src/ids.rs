//! Newtype identifiers, so an order id can never be passed where a seat id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A fresh identifier for a new row: a UUIDv7, a millisecond timestamp followed by a counter
/// (randomly seeded each millisecond) and random bits, so one process's ids sort by creation.
///
/// Rows are keyed and indexed by these ids. Random (v4) keys land each insert on a random leaf
/// page of every index, so a commit rewrote one 4 KiB page per index per row, and the pages had
/// to be read back from disk first. Time-ordered keys put a moment's inserts on the same few
/// right-hand pages, for SQLite's WAL and PostgreSQL's B-trees alike (docs/performance.md).
/// The time a v7 id carries is no secret here: every record also shows its creation time.
pub fn new_uuid() -> Uuid {
    Uuid::now_v7()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh identifier ([`new_uuid`]).
            pub fn new() -> Self {
                Self(new_uuid())
            }

            /// The underlying UUID.
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// An event (concert, match, play) in the catalogue.
    EventId
);
id_type!(
    /// A physical seat of an event.
    SeatId
);
id_type!(
    /// A hold on one seat (the original's "reservation").
    ReservationId
);
id_type!(
    /// An order (a draft order is the cart).
    OrderId
);
id_type!(
    /// One line of an order.
    OrderItemId
);
id_type!(
    /// A person's place in an event's waitlist.
    WaitlistEntryId
);
id_type!(
    /// The identity of one event message, used by consumers to ignore redeliveries.
    MessageId
);
