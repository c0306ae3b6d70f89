//! The payment store API. SQL lives in `store/sqlite.rs`; the PostgreSQL twin arrives with the
//! distributed-mode issue (#5) behind the same functions.

mod sqlite;

pub(crate) use sqlite::{claim, finish, payment, payments_of_order, succeeded_for_order};
