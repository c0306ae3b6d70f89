//! The notification storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    Due, NewMessage, Stored, claim, due, insert, instant, list_for, mark_failed_attempt, mark_sent,
    with_keys,
};
