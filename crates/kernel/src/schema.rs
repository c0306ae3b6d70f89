//! OpenAPI schemas of the shared types: ids are UUID strings, money a decimal number.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::{
    EventId, MessageId, Money, OrderId, OrderItemId, ReservationId, SeatId, WaitlistEntryId,
};

fn uuid_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .build()
        .into()
}

macro_rules! uuid_schemas {
    ($($name:ident),*) => {
        $(
            impl utoipa::PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    uuid_schema()
                }
            }
            impl utoipa::ToSchema for $name {}
        )*
    };
}

uuid_schemas!(
    EventId,
    SeatId,
    ReservationId,
    OrderId,
    OrderItemId,
    MessageId,
    WaitlistEntryId
);

impl utoipa::PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .description(Some(
                "An exact amount with at most two decimals, written as 50.00 (a string such as \"50.00\" is also accepted).",
            ))
            .examples([serde_json::json!(50.0)])
            .build()
            .into()
    }
}

impl utoipa::ToSchema for Money {}
