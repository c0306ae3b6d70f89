//! Payment routes (port 5004 and the gateway).

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use kernel::{Money, OrderId, ReservationId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use uuid::Uuid;

use api::{Admin, ApiError, AppJson, AppPath, AppQuery, Auth, Caller, status_of};
use kernel::SeatId;

use crate::domain::{Payment, PaymentStatus, Refund, RefundedSeat};
use crate::{PayRequest, PaymentError, PaymentService, RefundRequest};

/// The payment routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<PaymentService>: FromRef<S>,
    Auth: FromRef<S>,
{
    Router::new()
        .route("/payments", post(create_payment).get(list_payments))
        .route("/payments/{id}", get(get_payment))
        .route("/admin/orders/{id}/refund", post(refund_order))
}

/// Body of `POST /admin/orders/{id}/refund`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RefundBody {
    /// Seats to give back; absent: every seat not refunded yet.
    seat_ids: Option<Vec<SeatId>>,
    /// Why (the buyer reads it in the e-mail).
    reason: Option<String>,
    /// Amount to give back; absent: what the seats cost. Never more than that.
    amount: Option<Money>,
}

/// A refund as the API shows it (and the back office's order page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundDto {
    /// The refund.
    pub id: Uuid,
    /// The order.
    pub order_id: OrderId,
    /// The payment refunded.
    pub payment_id: Uuid,
    /// `processing`, `succeeded` or `failed`.
    pub status: &'static str,
    /// Amount given back.
    pub amount: Money,
    /// Currency.
    pub currency: String,
    /// Why.
    pub reason: String,
    /// The seats given back: `seatId`, `reservationId`, `price`.
    #[schema(value_type = Vec<Object>)]
    pub seats: Vec<RefundedSeat>,
    /// The administrator who asked.
    pub requested_by: String,
    /// The provider's reference of the refund.
    pub provider_reference: Option<String>,
    /// The provider's code on a decline.
    pub error_code: Option<String>,
    /// The provider's sentence on a decline.
    pub error_message: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When the provider answered.
    pub processed_at: Option<DateTime<Utc>>,
}

impl From<Refund> for RefundDto {
    fn from(r: Refund) -> Self {
        Self {
            id: r.id,
            order_id: r.order_id,
            payment_id: r.payment_id,
            status: r.status.as_str(),
            amount: r.amount,
            currency: r.currency,
            reason: r.reason,
            seats: r.seats,
            requested_by: r.requested_by,
            provider_reference: r.provider_reference,
            error_code: r.error_code,
            error_message: r.error_message,
            created_at: r.created_at,
            processed_at: r.processed_at,
        }
    }
}

/// Refunds a paid order, in whole or the seats named (administrators). Send an
/// `Idempotency-Key`: a repeat answers the first refund instead of refunding again.
#[utoipa::path(post, path = "/admin/orders/{id}/refund", tag = "payment", security(("bearer" = [])), params(("id" = OrderId, Path, description = "Order id")), request_body = RefundBody, responses((status = 200, description = "Refunded: the seats' tickets are void; the seats go back on sale (waitlist first)", body = RefundDto), (status = 400, description = "Invalid input, a seat not in the order, or more than was paid (`seat_not_in_order`, `refund_exceeds_paid`)", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No such order", body = api::ErrorResponse), (status = 409, description = "Not paid, refunded already, or another refund in flight (`order_not_refundable`, `seat_already_refunded`, `refund_in_progress`)", body = api::ErrorResponse), (status = 422, description = "Declined by the payment provider; nothing changed (`refund_declined`)", body = api::ErrorResponse)))]
async fn refund_order(
    Admin(admin): Admin,
    State(svc): State<Arc<PaymentService>>,
    AppPath(order_id): AppPath<OrderId>,
    AppJson(body): AppJson<RefundBody>,
) -> Result<Json<RefundDto>, ApiError> {
    let refund = svc
        .refund(RefundRequest {
            order_id,
            seats: body.seat_ids,
            amount: body.amount,
            reason: body.reason.unwrap_or_default(),
            requested_by: admin.email,
        })
        .await?;
    Ok(Json(refund.into()))
}

/// Body of `POST /payments`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreatePaymentRequest {
    order_id: Option<Uuid>,
    customer_id: Option<String>,
    reservation_id: Option<ReservationId>,
    amount: Option<Money>,
    currency: Option<String>,
    payment_method: Option<String>,
}

/// A payment as the API shows it (the reference's shape).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct PaymentDto {
    id: Uuid,
    order_id: OrderId,
    customer_id: String,
    reservation_id: Option<ReservationId>,
    amount: Money,
    currency: String,
    payment_method: String,
    status: &'static str,
    transaction_id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    failure_reason: Option<String>,
    created_at: DateTime<Utc>,
    processed_at: Option<DateTime<Utc>>,
    is_simulated: bool,
    simulated_response: Option<String>,
}

impl From<Payment> for PaymentDto {
    fn from(p: Payment) -> Self {
        Self {
            id: p.id,
            order_id: p.order_id,
            customer_id: p.customer_id,
            reservation_id: p.reservation_id,
            amount: p.amount,
            currency: p.currency,
            payment_method: p.payment_method,
            status: p.status.as_str(),
            transaction_id: p.transaction_id,
            error_code: p.error_code,
            error_message: p.error_message,
            failure_reason: p.failure_reason,
            created_at: p.created_at,
            processed_at: p.processed_at,
            is_simulated: p.is_simulated,
            simulated_response: p.simulated_response,
        }
    }
}

/// The reference's envelope, plus our `error`/`code` on failures so every error reads alike.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    success: bool,
    error_message: Option<String>,
    payment: Option<PaymentDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
}

fn refused(error: PaymentError) -> Response {
    if let PaymentError::Internal(_) = error {
        return ApiError::from(error).into_response();
    }
    let code = error.code();
    let sentence = error.to_string();
    let body = Envelope {
        success: false,
        error_message: Some(sentence.clone()),
        payment: None,
        error: Some(sentence),
        code: Some(code.as_str()),
    };
    (status_of(code), Json(body)).into_response()
}

fn parse(body: CreatePaymentRequest) -> Result<PayRequest, PaymentError> {
    let order_id = body
        .order_id
        .filter(|id| !id.is_nil())
        .ok_or_else(|| PaymentError::Invalid("Valid OrderId is required".into()))?;
    let customer_id = body
        .customer_id
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty() && c.chars().count() <= 256)
        .ok_or_else(|| PaymentError::Invalid("Valid CustomerId is required".into()))?;
    let amount = body
        .amount
        .filter(|a| a.is_positive())
        .ok_or_else(|| PaymentError::Invalid("Amount must be greater than zero".into()))?;
    if body
        .payment_method
        .as_ref()
        .is_some_and(|m| m.chars().count() > 50)
    {
        return Err(PaymentError::Invalid(
            "paymentMethod must be at most 50 characters.".into(),
        ));
    }
    Ok(PayRequest {
        order_id: OrderId(order_id),
        customer_id,
        reservation_id: body.reservation_id,
        amount,
        currency: body.currency,
        payment_method: body.payment_method.filter(|m| !m.trim().is_empty()),
    })
}

#[utoipa::path(post, path = "/payments", tag = "payment", request_body = CreatePaymentRequest, responses((status = 200, body = Envelope), (status = 422, description = "Declined", body = Envelope), (status = 400, body = Envelope), (status = 401, body = Envelope), (status = 404, body = Envelope), (status = 409, body = Envelope)))]
async fn create_payment(
    caller: Caller,
    State(svc): State<Arc<PaymentService>>,
    AppJson(mut body): AppJson<CreatePaymentRequest>,
) -> Response {
    body.customer_id = match caller.customer(body.customer_id.as_deref()).await {
        Ok(customer) => customer,
        Err(e) => return e.into_response(),
    };
    let request = match parse(body) {
        Ok(r) => r,
        Err(e) => return refused(e),
    };
    match svc.pay(request).await {
        Ok(payment) if payment.status == PaymentStatus::Succeeded => Json(Envelope {
            success: true,
            error_message: None,
            payment: Some(payment.into()),
            error: None,
            code: None,
        })
        .into_response(),
        Ok(payment) => {
            let sentence = format!(
                "Payment failed: {}",
                payment.error_message.as_deref().unwrap_or("declined")
            );
            let body = Envelope {
                success: false,
                error_message: Some(sentence.clone()),
                payment: Some(payment.into()),
                error: Some(sentence),
                code: Some(kernel::ErrorCode::PaymentDeclined.as_str()),
            };
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
        Err(e) => refused(e),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct PaymentQuery {
    order_id: Option<OrderId>,
    customer_id: Option<String>,
}

/// The payer a read acts for; `None` for an administrator who names nobody.
async fn payer(caller: &Caller, q: &PaymentQuery) -> Result<Option<String>, ApiError> {
    if caller.is_admin() && q.customer_id.is_none() {
        return Ok(None);
    }
    let customer = caller.customer(q.customer_id.as_deref()).await?;
    customer
        .map(Some)
        .ok_or_else(|| ApiError::validation("customerId is required."))
}

#[utoipa::path(get, path = "/payments/{id}", tag = "payment", params(("id" = uuid::Uuid, Path, description = "Payment id"), ("customerId" = Option<String>, Query, description = "The payer (or a JWT)")), responses((status = 200, body = PaymentDto), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 404, description = "Not found", body = api::ErrorResponse)))]
async fn get_payment(
    caller: Caller,
    State(svc): State<Arc<PaymentService>>,
    AppPath(id): AppPath<Uuid>,
    AppQuery(q): AppQuery<PaymentQuery>,
) -> Result<Json<PaymentDto>, ApiError> {
    let payer = payer(&caller, &q).await?;
    let payment = svc.get(id).await?;
    if payer.as_deref().is_some_and(|p| p != payment.customer_id) {
        return Err(PaymentError::PaymentNotFound.into());
    }
    Ok(Json(payment.into()))
}

#[utoipa::path(get, path = "/payments", tag = "payment", params(("orderId" = Option<uuid::Uuid>, Query, description = "The order"), ("customerId" = Option<String>, Query, description = "The payer (or a JWT)")), responses((status = 200, body = Vec<PaymentDto>), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse)))]
async fn list_payments(
    caller: Caller,
    State(svc): State<Arc<PaymentService>>,
    AppQuery(q): AppQuery<PaymentQuery>,
) -> Result<Json<Vec<PaymentDto>>, ApiError> {
    let order = q
        .order_id
        .ok_or_else(|| ApiError::validation("orderId is required."))?;
    let payer = payer(&caller, &q).await?;
    let payments = svc.of_order(order).await?;
    Ok(Json(
        payments
            .into_iter()
            .filter(|p| payer.as_deref().is_none_or(|c| c == p.customer_id))
            .map(PaymentDto::from)
            .collect(),
    ))
}

/// The payment part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(create_payment, get_payment, list_payments, refund_order))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
