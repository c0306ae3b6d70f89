//! The identity storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    UserRow, delete_user_with_role, guest_token_exists, insert_guest_token, insert_user,
    user_by_email, user_by_id, users_with_role,
};
