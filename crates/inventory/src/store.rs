//! The inventory storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    SeatRecord, blocked_seats, blocks_of_event, confirm_hold, delete_block, event_counts,
    expire_lapsed, expire_lapsed_of_event, expire_lapsed_on_seat, extend_hold, give_hold,
    has_lapsed_hold, hold, holds, insert_block, insert_hold, insert_sold, live_holds_of,
    live_state, mark_offer, release_confirmed, release_hold, seat, seat_state, seat_taken,
    seats_of_event, set_seat_prices, set_section_price, taken_seats, upsert_seat,
};
