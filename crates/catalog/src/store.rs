//! The catalog storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    categories_by_section, categories_of, category_use, count_seats, delete_event, event,
    insert_event, insert_seats, list_events, replace_categories, seat_ids_of, seat_listing,
    seat_totals, seats_of, set_access, set_category_price, set_section_price, set_stage,
    update_event,
};
