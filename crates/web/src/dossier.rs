//! One order as the back office sees it (`GET /admin/orders/{id}` and its page): the order and
//! its lines from ordering, payments and refunds from payment, tickets with their check-in from
//! fulfillment, the e-mails from notification, and a timeline made of all their instants.
//! Nothing is stored for it: each context stays the owner of its facts.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, OrderId, ReservationId, SeatId};
use serde::Serialize;
use uuid::Uuid;

use api::ApiError;

use crate::WebState;

/// An order, everything about it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderDossier {
    /// The order.
    pub id: OrderId,
    /// `pending`, `completed`, `partially_refunded`, `refunded`, `cancelled` (or `draft`).
    pub state: &'static str,
    /// The buyer's user id, if any.
    pub user_id: Option<String>,
    /// The buyer's guest token, if a guest.
    pub guest_token: Option<String>,
    /// Where tickets and notices go.
    pub email: Option<String>,
    /// The buyer's name, when the box office took it.
    pub buyer_name: Option<String>,
    /// Currency.
    pub currency: String,
    /// Sum of the lines.
    pub total: Money,
    /// Given back so far (succeeded refunds).
    pub refunded: Money,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// Its seats.
    pub lines: Vec<DossierLine>,
    /// Every attempt to pay it.
    pub payments: Vec<DossierPayment>,
    /// Every refund asked for.
    pub refunds: Vec<payment::RefundDto>,
    /// Its tickets.
    pub tickets: Vec<DossierTicket>,
    /// The e-mails about it.
    pub emails: Vec<DossierEmail>,
    /// What happened, oldest first.
    pub timeline: Vec<Moment>,
}

/// One seat of the order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DossierLine {
    /// The seat.
    pub seat_id: SeatId,
    /// Its hold.
    pub reservation_id: ReservationId,
    /// The event.
    pub event_id: EventId,
    /// The event's name.
    pub event_name: String,
    /// Section code.
    pub section_code: String,
    /// Row.
    pub row_number: i64,
    /// Seat number.
    pub seat_number: i64,
    /// Price paid.
    pub price: Money,
    /// When it was refunded, if it was.
    pub refunded_at: Option<DateTime<Utc>>,
}

/// One attempt to pay.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DossierPayment {
    /// The payment.
    pub id: Uuid,
    /// `processing`, `succeeded` or `failed`.
    pub status: &'static str,
    /// Amount.
    pub amount: Money,
    /// The provider's transaction.
    pub transaction_id: Option<String>,
    /// The provider's code on a decline.
    pub error_code: Option<String>,
    /// The provider's sentence on a decline.
    pub error_message: Option<String>,
    /// When it was claimed.
    pub created_at: DateTime<Utc>,
    /// When the provider answered.
    pub processed_at: Option<DateTime<Utc>>,
}

/// One ticket and its use at the door.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DossierTicket {
    /// The ticket.
    pub id: Uuid,
    /// Its seat.
    pub seat_id: SeatId,
    /// Section, row and seat, for people.
    pub seat: String,
    /// `issued`, `checked_in` or `void`.
    pub status: &'static str,
    /// Why it is void (`refunded`).
    pub void_reason: Option<String>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// One e-mail.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DossierEmail {
    /// The message.
    pub id: Uuid,
    /// `tickets`, `refund`, `hold_expired`, `waitlist_offer`.
    pub kind: String,
    /// To whom.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub status: String,
    /// When it was composed.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub sent_at: Option<DateTime<Utc>>,
}

/// One thing that happened to the order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Moment {
    /// When.
    pub at: DateTime<Utc>,
    /// What, in a few words (`Paid`, `Refund declined`, `Ticket checked in`).
    pub what: String,
    /// The detail a person needs.
    pub detail: String,
}

/// Everything about order `id` (administrators and staff).
///
/// # Errors
/// 404 for an unknown order or a cart (a draft is the buyer's business), or when a context
/// cannot be asked.
pub async fn order_dossier(web: &WebState, id: OrderId) -> Result<OrderDossier, ApiError> {
    let order = web.ordering.get(id, None).await?;
    if order.state == ordering::OrderState::Draft {
        return Err(ordering::OrderingError::OrderNotFound(id).into());
    }
    let payments = web.payment.of_order(id).await?;
    let refunds = web.payment.refunds_of(id).await?;
    let tickets = web.fulfillment.all_tickets_of_order(id).await?;
    let holds: Vec<ReservationId> = order.items.iter().map(|i| i.reservation_id).collect();
    let refund_ids: Vec<Uuid> = refunds.iter().map(|r| r.id).collect();
    let emails = web
        .notification
        .about_order(id, &refund_ids, &holds)
        .await?;
    let refunded = refunds
        .iter()
        .filter(|r| r.status == payment::RefundStatus::Succeeded)
        .map(|r| r.amount)
        .sum();
    let mut dossier = OrderDossier {
        id,
        state: order.state.as_str(),
        email: order.customer_email.clone(),
        buyer_name: order.buyer_name.clone(),
        user_id: order.user_id.clone(),
        guest_token: order.guest_token.clone(),
        currency: order.currency.clone(),
        total: order.total(),
        refunded,
        created_at: order.created_at,
        paid_at: order.paid_at,
        lines: order
            .items
            .iter()
            .map(|i| DossierLine {
                seat_id: i.seat_id,
                reservation_id: i.reservation_id,
                event_id: i.event_id,
                event_name: i.event_name.clone(),
                section_code: i.section_code.clone(),
                row_number: i.row_number,
                seat_number: i.seat_number,
                price: i.price,
                refunded_at: i.refunded_at,
            })
            .collect(),
        payments: payments
            .into_iter()
            .map(|p| DossierPayment {
                id: p.id,
                status: p.status.as_str(),
                amount: p.amount,
                transaction_id: p.transaction_id,
                error_code: p.error_code,
                error_message: p.error_message,
                created_at: p.created_at,
                processed_at: p.processed_at,
            })
            .collect(),
        refunds: refunds
            .iter()
            .cloned()
            .map(payment::RefundDto::from)
            .collect(),
        tickets: tickets
            .into_iter()
            .map(|t| DossierTicket {
                id: t.id,
                seat_id: t.seat_id,
                seat: crate::view::seat_label(&t.section_code, t.row_number, t.seat_number),
                status: t.status.as_str(),
                void_reason: t.void_reason,
                issued_at: t.issued_at,
                checked_in_at: t.checked_in_at,
            })
            .collect(),
        emails: emails
            .into_iter()
            .map(|m| DossierEmail {
                id: m.id,
                kind: m.kind,
                recipient: m.recipient,
                subject: m.subject,
                status: m.status,
                created_at: m.created_at,
                sent_at: m.sent_at,
            })
            .collect(),
        timeline: Vec::new(),
    };
    dossier.timeline = timeline(&dossier, &refunds);
    Ok(dossier)
}

/// The instants of a dossier's parts, oldest first.
fn timeline(d: &OrderDossier, refunds: &[payment::Refund]) -> Vec<Moment> {
    let mut moments = vec![moment(
        d.created_at,
        "Order created",
        format!("{} seat(s), {} {}", d.lines.len(), d.total, d.currency),
    )];
    for p in &d.payments {
        moments.push(moment(
            p.created_at,
            "Payment started",
            format!("{} {}", p.amount, d.currency),
        ));
        if let Some(at) = p.processed_at {
            let (what, detail) = match p.status {
                "succeeded" => (
                    "Paid",
                    format!("transaction {}", p.transaction_id.as_deref().unwrap_or("—")),
                ),
                _ => (
                    "Payment declined",
                    p.error_message.clone().unwrap_or_default(),
                ),
            };
            moments.push(moment(at, what, detail));
        }
    }
    for r in refunds {
        moments.push(moment(
            r.created_at,
            "Refund asked",
            format!(
                "{} {} by {}: {}",
                r.amount, r.currency, r.requested_by, r.reason
            ),
        ));
        if let Some(at) = r.processed_at {
            let (what, detail) = match r.status {
                payment::RefundStatus::Succeeded => (
                    "Refunded",
                    format!("{} seat(s); their tickets are void", r.seats.len()),
                ),
                _ => (
                    "Refund declined",
                    r.error_message.clone().unwrap_or_default(),
                ),
            };
            moments.push(moment(at, what, detail));
        }
    }
    for t in &d.tickets {
        moments.push(moment(t.issued_at, "Ticket issued", t.seat.clone()));
        if let Some(at) = t.checked_in_at {
            moments.push(moment(at, "Ticket checked in", t.seat.clone()));
        }
    }
    for m in &d.emails {
        moments.push(moment(
            m.sent_at.unwrap_or(m.created_at),
            if m.sent_at.is_some() {
                "E-mail sent"
            } else {
                "E-mail queued"
            },
            format!("{} to {} ({})", m.subject, m.recipient, m.status),
        ));
    }
    moments.sort_by_key(|m| m.at);
    moments
}

fn moment(at: DateTime<Utc>, what: &str, detail: String) -> Moment {
    Moment {
        at,
        what: what.into(),
        detail,
    }
}

/// `GET /admin/orders/{id}` (JSON), for any router state the [`WebState`] can be taken from.
pub fn router<S>() -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
    WebState: axum::extract::FromRef<S>,
    api::Auth: axum::extract::FromRef<S>,
{
    axum::Router::new().route("/admin/orders/{id}", axum::routing::get(get_order))
}

/// Everything about one order: lines, payments, refunds, tickets with their check-in, the
/// e-mails sent, and a timeline (administrators and door staff).
#[utoipa::path(get, path = "/admin/orders/{id}", tag = "ordering", security(("bearer" = [])), params(("id" = OrderId, Path, description = "Order id")), responses((status = 200, body = OrderDossier), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Neither staff nor an administrator", body = api::ErrorResponse), (status = 404, description = "No such order", body = api::ErrorResponse)))]
async fn get_order(
    _staff: api::Staff,
    axum::extract::State(web): axum::extract::State<WebState>,
    api::AppPath(id): api::AppPath<OrderId>,
) -> Result<axum::Json<OrderDossier>, ApiError> {
    Ok(axum::Json(order_dossier(&web, id).await?))
}

/// The OpenAPI paths of these routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(get_order))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
