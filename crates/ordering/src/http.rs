//! Ordering routes (port 5003 and the gateway): cart, checkout, orders.

mod dto;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use kernel::{Money, OrderId, ReservationId, SeatId};
use serde::Deserialize;
use std::sync::Arc;

use api::{ApiError, AppJson, AppPath, AppQuery};

use crate::{AddToCart, Buyer, OrderingError, OrderingService};
use dto::OrderResponse;

/// The ordering routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<OrderingService>: FromRef<S>,
{
    Router::new()
        .route("/cart/add", post(add_to_cart))
        .route("/cart/remove", post(remove_from_cart))
        .route("/orders/checkout", post(checkout_order))
        .route("/orders", get(list_orders))
        .route("/orders/{id}", get(get_order))
        .route("/orders/{id}/cancel", patch(cancel_order))
}

/// Body of `POST /cart/add`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddToCartRequest {
    reservation_id: Option<ReservationId>,
    seat_id: Option<SeatId>,
    price: Option<Money>,
    user_id: Option<String>,
    guest_token: Option<String>,
}

/// Body of `POST /cart/remove`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RemoveFromCartRequest {
    order_id: Option<OrderId>,
    seat_id: Option<SeatId>,
    user_id: Option<String>,
    guest_token: Option<String>,
}

/// Body of `POST /orders/checkout` (the seed page's).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckoutRequest {
    order_id: Option<OrderId>,
    user_id: Option<String>,
    guest_token: Option<String>,
}

/// `?userId=` / `?guestToken=` of reads and cancel.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BuyerQuery {
    user_id: Option<String>,
    guest_token: Option<String>,
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, OrderingError> {
    value.ok_or_else(|| OrderingError::Invalid(format!("{field} is required.")))
}

async fn add_to_cart(
    State(svc): State<Arc<OrderingService>>,
    AppJson(body): AppJson<AddToCartRequest>,
) -> Result<Json<OrderResponse>, ApiError> {
    let buyer = Buyer::parse(body.user_id.as_deref(), body.guest_token.as_deref())?;
    let request = AddToCart {
        reservation_id: body.reservation_id,
        seat_id: required(body.seat_id, "seatId")?,
        price: body.price,
        buyer,
    };
    Ok(Json(svc.add_to_cart(request).await?.into()))
}

async fn remove_from_cart(
    State(svc): State<Arc<OrderingService>>,
    AppJson(body): AppJson<RemoveFromCartRequest>,
) -> Result<Json<OrderResponse>, ApiError> {
    let buyer = Buyer::parse(body.user_id.as_deref(), body.guest_token.as_deref())?;
    let order_id = required(body.order_id, "orderId")?;
    let seat_id = required(body.seat_id, "seatId")?;
    Ok(Json(
        svc.remove_from_cart(order_id, seat_id, &buyer)
            .await?
            .into(),
    ))
}

async fn checkout_order(
    State(svc): State<Arc<OrderingService>>,
    AppJson(body): AppJson<CheckoutRequest>,
) -> Result<Json<OrderResponse>, ApiError> {
    let buyer = Buyer::parse(body.user_id.as_deref(), body.guest_token.as_deref())?;
    let order_id = required(body.order_id, "orderId")?;
    Ok(Json(svc.checkout(order_id, &buyer).await?.into()))
}

async fn get_order(
    State(svc): State<Arc<OrderingService>>,
    AppPath(id): AppPath<OrderId>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<Json<OrderResponse>, ApiError> {
    let buyer = Buyer::parse(q.user_id.as_deref(), q.guest_token.as_deref())?;
    Ok(Json(svc.get(id, &buyer).await?.into()))
}

async fn list_orders(
    State(svc): State<Arc<OrderingService>>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<Json<Vec<OrderResponse>>, ApiError> {
    let buyer = Buyer::parse(q.user_id.as_deref(), q.guest_token.as_deref())?;
    let orders = svc.list(&buyer).await?;
    Ok(Json(orders.into_iter().map(OrderResponse::from).collect()))
}

async fn cancel_order(
    State(svc): State<Arc<OrderingService>>,
    AppPath(id): AppPath<OrderId>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<StatusCode, ApiError> {
    let buyer = Buyer::parse(q.user_id.as_deref(), q.guest_token.as_deref())?;
    svc.cancel(id, &buyer).await?;
    Ok(StatusCode::NO_CONTENT)
}
