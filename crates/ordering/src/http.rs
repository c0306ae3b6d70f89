//! Ordering routes (port 5003 and the gateway): cart, checkout, orders.

mod dto;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use kernel::{Money, OrderId, ReservationId, SeatId};
use serde::Deserialize;
use std::sync::Arc;

use api::{ApiError, AppJson, AppPath, AppQuery, Auth, Caller};

use crate::{AddToCart, Buyer, OrderingError, OrderingService};
use dto::OrderResponse;

/// The ordering routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<OrderingService>: FromRef<S>,
    Auth: FromRef<S>,
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

/// The buyer a request acts for, after authentication (a JWT's subject wins).
async fn buyer(
    caller: &Caller,
    user_id: Option<&str>,
    guest_token: Option<&str>,
) -> Result<Buyer, ApiError> {
    let who = caller.buyer(user_id, guest_token).await?;
    Ok(Buyer::parse(
        who.user_id.as_deref(),
        who.guest_token.as_deref(),
    )?)
}

/// For reads and cancel: the owner, or `None` for an administrator who names no buyer.
async fn owner_or_admin(caller: &Caller, q: &BuyerQuery) -> Result<Option<Buyer>, ApiError> {
    if caller.is_admin() && q.user_id.is_none() && q.guest_token.is_none() {
        return Ok(None);
    }
    Ok(Some(
        buyer(caller, q.user_id.as_deref(), q.guest_token.as_deref()).await?,
    ))
}

async fn add_to_cart(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppJson(body): AppJson<AddToCartRequest>,
) -> Result<Json<OrderResponse>, ApiError> {
    let buyer = buyer(
        &caller,
        body.user_id.as_deref(),
        body.guest_token.as_deref(),
    )
    .await?;
    let request = AddToCart {
        reservation_id: body.reservation_id,
        seat_id: required(body.seat_id, "seatId")?,
        price: body.price,
        buyer,
    };
    Ok(Json(svc.add_to_cart(request).await?.into()))
}

async fn remove_from_cart(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppJson(body): AppJson<RemoveFromCartRequest>,
) -> Result<Json<OrderResponse>, ApiError> {
    let buyer = buyer(
        &caller,
        body.user_id.as_deref(),
        body.guest_token.as_deref(),
    )
    .await?;
    let order_id = required(body.order_id, "orderId")?;
    let seat_id = required(body.seat_id, "seatId")?;
    Ok(Json(
        svc.remove_from_cart(order_id, seat_id, &buyer)
            .await?
            .into(),
    ))
}

async fn checkout_order(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppJson(body): AppJson<CheckoutRequest>,
) -> Result<Json<OrderResponse>, ApiError> {
    let buyer = buyer(
        &caller,
        body.user_id.as_deref(),
        body.guest_token.as_deref(),
    )
    .await?;
    let order_id = required(body.order_id, "orderId")?;
    Ok(Json(svc.checkout(order_id, &buyer).await?.into()))
}

async fn get_order(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppPath(id): AppPath<OrderId>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<Json<OrderResponse>, ApiError> {
    let owner = owner_or_admin(&caller, &q).await?;
    Ok(Json(svc.get(id, owner.as_ref()).await?.into()))
}

async fn list_orders(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<Json<Vec<OrderResponse>>, ApiError> {
    let buyer = buyer(&caller, q.user_id.as_deref(), q.guest_token.as_deref()).await?;
    let orders = svc.list(&buyer).await?;
    Ok(Json(orders.into_iter().map(OrderResponse::from).collect()))
}

async fn cancel_order(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppPath(id): AppPath<OrderId>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<StatusCode, ApiError> {
    let owner = owner_or_admin(&caller, &q).await?;
    svc.cancel(id, owner.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}
