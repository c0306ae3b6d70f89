//! The waitlist's storage API. SQL lives in `store/sqlite.rs`.

mod sqlite;

pub(crate) use sqlite::{
    assign, assigned_by_reservation, complete_by_order, end_entry, entry, event, first_pending,
    insert_entry, open_offers_of_event, pending_count, position_of, set_event_active, upsert_event,
};
