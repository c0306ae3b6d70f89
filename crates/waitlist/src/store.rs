//! The waitlist storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    assign, assigned_by_reservation, complete_by_order, end_entry, entry, event, first_pending,
    insert_entry, is_offer, open_offers_of_event, pending_count, position_of, set_event_active,
    upsert_event,
};
