//! The ordering store API. SQL lives in `store/sqlite.rs`; the PostgreSQL twin arrives with the
//! distributed-mode issue (#5) behind the same functions.

mod sqlite;

pub(crate) use sqlite::{
    delete_item, draft_of, insert_item, insert_order, mark_paid, open_orders_with_reservation,
    order, orders_of, sales_of_event, set_email_if_missing, set_state,
};
