//! The ordering storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    Lines, check_out, delete_item, draft_of, forget_lapsed, give_draft, insert_item, insert_line,
    insert_order, lapsed_lines, mark_paid, mark_refunded, move_lines, open_orders_with_reservation,
    order, orders_of, orders_of_event_after, remember_lapsed, sales_of_event, search_orders,
    set_email_if_missing, set_state,
};
