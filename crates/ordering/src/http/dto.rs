//! The order as the API shows it: the reference's `OrderDto`, with its enrichment fields
//! (`orderId`, `customerEmail`, `eventId`, `eventName`, `seatNumber`, `price`, `currency`)
//! filled with real values instead of the original's placeholders.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, OrderItemId, ReservationId, SeatId};
use serde::Serialize;

use crate::domain::Order;

/// An order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderResponse {
    id: OrderId,
    user_id: Option<String>,
    guest_token: Option<String>,
    total_amount: Money,
    currency: String,
    state: &'static str,
    created_at: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
    items: Vec<OrderItemResponse>,
    order_id: OrderId,
    customer_email: Option<String>,
    event_id: Option<EventId>,
    event_name: Option<String>,
    seat_number: Option<String>,
    price: Money,
}

/// One line of an order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderItemResponse {
    id: OrderItemId,
    seat_id: SeatId,
    price: Money,
    reservation_id: ReservationId,
    event_id: EventId,
    event_name: String,
    section_code: String,
    row_number: i64,
    seat_number: i64,
}

impl From<Order> for OrderResponse {
    fn from(o: Order) -> Self {
        let total = o.total();
        let first = o.items.first();
        let customer_email = crate::domain::email_of(&o);
        Self {
            id: o.id,
            order_id: o.id,
            event_id: first.map(|i| i.event_id),
            event_name: first.map(|i| i.event_name.clone()),
            seat_number: first
                .map(|i| format!("{}-{}-{}", i.section_code, i.row_number, i.seat_number)),
            customer_email,
            user_id: o.user_id,
            guest_token: o.guest_token,
            total_amount: total,
            price: total,
            currency: o.currency,
            state: o.state.as_str(),
            created_at: o.created_at,
            paid_at: o.paid_at,
            items: o
                .items
                .into_iter()
                .map(|i| OrderItemResponse {
                    id: i.id,
                    seat_id: i.seat_id,
                    price: i.price,
                    reservation_id: i.reservation_id,
                    event_id: i.event_id,
                    event_name: i.event_name,
                    section_code: i.section_code,
                    row_number: i.row_number,
                    seat_number: i.seat_number,
                })
                .collect(),
        }
    }
}
