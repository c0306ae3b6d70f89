//! The payment storage API. The SQL in `store/sql.rs` runs on SQLite and PostgreSQL alike
//! (`$n` placeholders, portable types); the few dialect differences are `match` arms on the
//! connection, next to the statement they concern.

mod sql;

pub(crate) use sql::{
    claim, claim_refund, finish, finish_refund, insert_settled, payment, payments_of_order,
    processing_before, refund, refunds_of_order, refunds_processing_before, succeeded_for_order,
};
