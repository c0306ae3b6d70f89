//! The fulfillment store API. SQL lives in `store/sqlite.rs`; the PostgreSQL twin arrives with
//! the distributed-mode issue (#5) behind the same functions.

mod sqlite;

pub(crate) use sqlite::{check_in, insert_ticket, ticket, tickets_of_order};
