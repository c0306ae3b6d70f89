//! The catalog's storage API. SQL lives in `store/sqlite.rs`; the PostgreSQL twin arrives with
//! the distributed-mode issue (#5) behind the same functions.

mod sqlite;

pub(crate) use sqlite::{
    count_seats, event, insert_event, insert_seats, list_events, seat_listing, seat_totals,
    seats_of, update_event,
};
