//! Ordering routes (port 5003 and the gateway): cart, checkout, orders.

mod dto;

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use kernel::{EventId, Money, OrderId, ReservationId, SeatId};
use serde::Deserialize;
use std::sync::Arc;

use api::{Admin, ApiError, AppJson, AppPath, AppQuery, Auth, Caller, Staff};

use crate::{AddToCart, Buyer, EventOrder, OrderSearch, OrderingError, OrderingService};
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
        .route("/admin/events/{id}/orders.csv", get(orders_csv))
        .route("/admin/orders", get(search_orders))
        .route("/admin/events/{id}/box-office", post(sell_at_box_office))
}

/// Body of `POST /admin/events/{id}/box-office`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BoxOfficeRequest {
    /// Free or held-back seats of the event (1 to 50).
    seat_ids: Vec<SeatId>,
    /// The buyer's name (searchable in the order lookup).
    buyer_name: String,
    /// Where the tickets are e-mailed.
    email: String,
    /// Each seat's price when not the catalogue's; 0 or absent for `comp`.
    price: Option<Money>,
    /// `cash`, `card` or `comp` (a free ticket).
    payment_method: String,
}

/// Sells or gives seats at the box office to a named buyer (administrators): free seats and
/// seats held back alike; tickets and their e-mail follow as for any paid order. All or nothing:
/// a seat held, in a cart or sold refuses the sale (409 `seats_not_free`, naming each).
#[utoipa::path(post, path = "/admin/events/{id}/box-office", tag = "ordering", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), request_body = BoxOfficeRequest, responses((status = 201, description = "The order (pending for a moment, until its payment event completes it)", body = OrderResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No such seat", body = api::ErrorResponse), (status = 409, description = "Seats held, in a cart or sold (`seats_not_free`); nothing changed", body = api::ErrorResponse)))]
async fn sell_at_box_office(
    _admin: Admin,
    State(svc): State<Arc<OrderingService>>,
    AppPath(event): AppPath<EventId>,
    AppJson(body): AppJson<BoxOfficeRequest>,
) -> Result<(StatusCode, Json<OrderResponse>), ApiError> {
    let sale = crate::BoxOfficeSale::new(
        body.seat_ids,
        &body.buyer_name,
        &body.email,
        body.price,
        &body.payment_method,
    )?;
    let order = svc.sell_at_box_office(event, &sale).await?;
    Ok((StatusCode::CREATED, Json(order.into())))
}

/// Query of `GET /admin/orders`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct OrderSearchQuery {
    /// Orders with a seat of this event.
    event_id: Option<EventId>,
    /// An e-mail address, a user id, a guest token, a box-office buyer's name, an order id or a
    /// ticket id (exact; names in any case).
    q: Option<String>,
    /// `pending`, `completed`, `partially_refunded`, `refunded` or `cancelled`.
    state: Option<String>,
    /// Page from 1 (50 orders a page, newest first).
    page: Option<u32>,
}

/// One order found.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct FoundOrder {
    order_id: OrderId,
    buyer: String,
    email: Option<String>,
    state: &'static str,
    seats: i64,
    total_amount: Money,
    currency: String,
    created_at: chrono::DateTime<chrono::Utc>,
    paid_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A page of `GET /admin/orders`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct OrderSearchPage {
    orders: Vec<FoundOrder>,
    page: u32,
    page_size: u32,
    has_more: bool,
}

/// Orders looked up by an organiser or door staff: by event, state, and an e-mail address, user
/// id, guest token or order id; newest first, 50 a page. Carts (drafts) are not orders yet and
/// never listed.
#[utoipa::path(get, path = "/admin/orders", tag = "ordering", params(OrderSearchQuery), responses((status = 200, body = OrderSearchPage), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Neither staff nor an administrator", body = api::ErrorResponse)))]
async fn search_orders(
    State(svc): State<Arc<OrderingService>>,
    _staff: Staff,
    AppQuery(q): AppQuery<OrderSearchQuery>,
) -> Result<Json<OrderSearchPage>, ApiError> {
    let search = OrderSearch::new(q.event_id, q.q, q.state.as_deref(), q.page)?;
    let (orders, has_more) = svc.search(&search).await?;
    Ok(Json(OrderSearchPage {
        orders: orders
            .into_iter()
            .map(|o| FoundOrder {
                order_id: o.id,
                buyer: o.buyer,
                email: o.email,
                state: o.state.as_str(),
                seats: o.seats,
                total_amount: o.amount,
                currency: o.currency,
                created_at: o.created_at,
                paid_at: o.paid_at,
            })
            .collect(),
        page: search.page,
        page_size: OrderSearch::PAGE_SIZE,
        has_more,
    }))
}

/// The columns of `orders.csv`, one row an order (its seats of the event only).
const ORDER_COLUMNS: [&str; 9] = [
    "order",
    "buyer",
    "email",
    "state",
    "seats",
    "amount",
    "currency",
    "created at",
    "paid at",
];

/// Every order of an event as CSV (drafts, which are carts, left out), one row an order with
/// the count and sum of its seats of that event; administrators only. Streamed a page at a
/// time (`api::csv::paged_download`).
#[utoipa::path(get, path = "/admin/events/{id}/orders.csv", tag = "ordering", params(("id" = EventId, Path, description = "Event id")), responses((status = 200, description = "CSV (RFC 4180, UTF-8 with BOM): order, buyer, email, state, seats, amount, currency, created at, paid at", content_type = "text/csv"), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No such event", body = api::ErrorResponse)))]
async fn orders_csv(
    State(svc): State<Arc<OrderingService>>,
    _admin: Admin,
    AppPath(event): AppPath<EventId>,
) -> Result<Response, ApiError> {
    Ok(orders_download(svc, event).await?)
}

/// `orders.csv` of `event` as a streamed download (the API's route and the admin pages').
///
/// # Errors
/// [`OrderingError::EventNotFound`] when the catalogue does not know the event.
pub async fn orders_download(
    svc: Arc<OrderingService>,
    event: EventId,
) -> Result<Response, OrderingError> {
    if !svc.event_exists(event).await? {
        return Err(OrderingError::EventNotFound(event));
    }
    Ok(api::csv::paged_download(
        &format!("orders-{event}.csv"),
        &ORDER_COLUMNS,
        uuid::Uuid::nil(),
        move |after, limit| {
            let svc = svc.clone();
            async move { svc.orders_of_event_after(event, after, limit).await }
        },
        |o: &EventOrder| o.id.uuid(),
        order_record,
    ))
}

fn order_record(o: &EventOrder) -> Vec<String> {
    vec![
        o.id.to_string(),
        o.buyer.clone(),
        o.email.clone().unwrap_or_default(),
        o.state.as_str().to_string(),
        o.seats.to_string(),
        o.amount.to_string(),
        o.currency.clone(),
        api::csv::time(o.created_at),
        o.paid_at.map(api::csv::time).unwrap_or_default(),
    ]
}

/// Body of `POST /cart/add`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct AddToCartRequest {
    reservation_id: Option<ReservationId>,
    seat_id: Option<SeatId>,
    price: Option<Money>,
    user_id: Option<String>,
    guest_token: Option<String>,
}

/// Body of `POST /cart/remove`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct RemoveFromCartRequest {
    order_id: Option<OrderId>,
    seat_id: Option<SeatId>,
    user_id: Option<String>,
    guest_token: Option<String>,
}

/// Body of `POST /orders/checkout` (the seed page's).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CheckoutRequest {
    order_id: Option<OrderId>,
    user_id: Option<String>,
    guest_token: Option<String>,
}

/// `?userId=` / `?guestToken=` of reads and cancel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
    Ok(Buyer::parse(who.user_id.as_deref(), who.guest_token.as_deref())?.with_email(who.email))
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

#[utoipa::path(post, path = "/cart/add", tag = "ordering", request_body = AddToCartRequest, responses((status = 200, body = OrderResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse)))]
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

#[utoipa::path(post, path = "/cart/remove", tag = "ordering", request_body = RemoveFromCartRequest, responses((status = 200, body = OrderResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
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

#[utoipa::path(post, path = "/orders/checkout", tag = "ordering", request_body = CheckoutRequest, responses((status = 200, body = OrderResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse)))]
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

#[utoipa::path(get, path = "/orders/{id}", tag = "ordering", params(("id" = uuid::Uuid, Path, description = "Order id"), ("userId" = Option<String>, Query, description = "Owner user id (or a JWT)"), ("guestToken" = Option<String>, Query, description = "Owner guest token")), responses((status = 200, body = OrderResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn get_order(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppPath(id): AppPath<OrderId>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<Json<OrderResponse>, ApiError> {
    let owner = owner_or_admin(&caller, &q).await?;
    Ok(Json(svc.get(id, owner.as_ref()).await?.into()))
}

#[utoipa::path(get, path = "/orders", tag = "ordering", params(("userId" = Option<String>, Query, description = "Owner user id (or a JWT)"), ("guestToken" = Option<String>, Query, description = "Owner guest token")), responses((status = 200, body = Vec<OrderResponse>), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse)))]
async fn list_orders(
    caller: Caller,
    State(svc): State<Arc<OrderingService>>,
    AppQuery(q): AppQuery<BuyerQuery>,
) -> Result<Json<Vec<OrderResponse>>, ApiError> {
    let buyer = buyer(&caller, q.user_id.as_deref(), q.guest_token.as_deref()).await?;
    let orders = svc.list(&buyer).await?;
    Ok(Json(orders.into_iter().map(OrderResponse::from).collect()))
}

#[utoipa::path(patch, path = "/orders/{id}/cancel", tag = "ordering", params(("id" = uuid::Uuid, Path, description = "Order id"), ("userId" = Option<String>, Query, description = "Owner user id (or a JWT)"), ("guestToken" = Option<String>, Query, description = "Owner guest token")), responses((status = 204, description = "Cancelled"), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse)))]
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

/// The ordering part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        add_to_cart,
        remove_from_cart,
        checkout_order,
        sell_at_box_office,
        get_order,
        list_orders,
        cancel_order,
        orders_csv,
        search_orders
    ))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
