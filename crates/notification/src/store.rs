//! The notification store API. SQL lives in `store/sqlite.rs`; the PostgreSQL twin arrives with
//! the distributed-mode issue (#5) behind the same functions.

mod sqlite;

pub(crate) use sqlite::{due, insert, instant, list_for, mark_failed_attempt, mark_sent};
