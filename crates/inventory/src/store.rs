//! The inventory's storage API. SQL lives in `store/sqlite.rs`; the PostgreSQL twin arrives with
//! the distributed-mode issue (#5) behind the same functions.

mod sqlite;

pub(crate) use sqlite::{
    SeatRecord, confirm_hold, event_counts, expire_lapsed, expire_lapsed_on_seat, hold, holds,
    insert_hold, mark_offer, release_hold, seat, seat_known, seat_taken, taken_seats, upsert_seat,
};
