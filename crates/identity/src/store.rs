//! The identity store API. SQL lives in `store/sqlite.rs`; the PostgreSQL twin arrives with the
//! distributed-mode issue (#5) behind the same functions.

mod sqlite;

pub(crate) use sqlite::{
    UserRow, guest_token_exists, insert_guest_token, insert_user, user_by_email, user_by_id,
};
