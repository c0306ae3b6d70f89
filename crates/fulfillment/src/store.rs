//! The fulfillment storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    check_in, check_ins_of_event, holders_of_event, insert_ticket, reschedule, ticket,
    tickets_of_event_after, tickets_of_order, void_seat,
};
