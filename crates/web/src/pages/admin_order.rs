//! One order in the back office: everything about it (`crate::dossier`), and a refund of some
//! or all of its seats, asked to confirm first.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use kernel::{OrderId, SeatId};
use payment::RefundRequest;

use crate::WebState;
use crate::dossier::{self, OrderDossier};
use crate::error::{PageError, PageResult};
use crate::session::Visitor;
use crate::view::{self, Nav};

/// A seat of the order as the page lists it.
pub(crate) struct LineRow {
    seat_id: String,
    event: String,
    seat: String,
    price: String,
    refunded: bool,
    refundable: bool,
    ticket: String,
}

/// A payment or a refund, one row of the money table.
pub(crate) struct MoneyRow {
    when: String,
    what: &'static str,
    amount: String,
    state: &'static str,
    detail: String,
}

/// An e-mail about the order.
pub(crate) struct EmailRow {
    subject: String,
    recipient: String,
    status: String,
    when: String,
}

/// A moment of the timeline.
pub(crate) struct MomentRow {
    when: String,
    what: String,
    detail: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_order.html")]
pub(crate) struct OrderPage {
    nav: Nav,
    d: OrderDossier,
    buyer: String,
    email: String,
    total: String,
    refunded: String,
    lines: Vec<LineRow>,
    money: Vec<MoneyRow>,
    emails: Vec<EmailRow>,
    timeline: Vec<MomentRow>,
    /// An administrator looking at a paid order with seats left to refund.
    can_refund: bool,
    notice: Option<String>,
    error: Option<String>,
}

/// The question before a refund.
#[derive(Template, WebTemplate)]
#[template(path = "admin_refund_confirm.html")]
pub(crate) struct ConfirmRefundPage {
    nav: Nav,
    order_id: String,
    amount: String,
    count: usize,
    seats: Vec<String>,
    seat_ids: Vec<String>,
    reason: String,
}

/// `GET /ui/admin/orders/{id}`, for door staff and administrators (only the latter refund).
pub(crate) async fn show_order(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ShownQuery>,
) -> PageResult<OrderPage> {
    super::staff_only(&visitor, &format!("/ui/admin/orders/{id}"))?;
    let id = order_id(&id)?;
    let notice = if query.refunded.is_some() {
        Some("Refunded. The tickets no longer admit; the buyer gets an e-mail.".to_string())
    } else {
        query
            .sold
            .is_some()
            .then(|| "Sold at the box office. The tickets are on their way by e-mail.".to_string())
    };
    page(&web, &visitor, id, notice, None).await
}

#[derive(Deserialize)]
pub(crate) struct ShownQuery {
    refunded: Option<String>,
    sold: Option<String>,
}

async fn page(
    web: &WebState,
    visitor: &Visitor,
    id: OrderId,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult<OrderPage> {
    let d = dossier::order_dossier(web, id).await?;
    let paid = matches!(d.state, "completed" | "partially_refunded");
    let lines: Vec<LineRow> = d
        .lines
        .iter()
        .map(|l| {
            let ticket = d.tickets.iter().find(|t| t.seat_id == l.seat_id);
            LineRow {
                seat_id: l.seat_id.to_string(),
                event: l.event_name.clone(),
                seat: view::seat_label(&l.section_code, l.row_number, l.seat_number),
                price: view::price(l.price, &d.currency),
                refunded: l.refunded_at.is_some(),
                refundable: paid && l.refunded_at.is_none(),
                ticket: ticket.map_or_else(
                    || "not issued yet".to_string(),
                    |t| match t.checked_in_at {
                        Some(at) => format!("checked in {}", view::date(at)),
                        None => t.status.replace('_', " "),
                    },
                ),
            }
        })
        .collect();
    let mut money: Vec<MoneyRow> = d
        .payments
        .iter()
        .map(|p| MoneyRow {
            when: view::date(p.created_at),
            what: "Payment",
            amount: view::price(p.amount, &d.currency),
            state: p.status,
            detail: p
                .error_message
                .clone()
                .or_else(|| p.transaction_id.clone())
                .unwrap_or_default(),
        })
        .collect();
    money.extend(d.refunds.iter().map(|r| MoneyRow {
        when: view::date(r.created_at),
        what: "Refund",
        amount: view::price(r.amount, &r.currency),
        state: match r.status {
            "succeeded" => "refunded",
            "processing" => "processing",
            _ => "failed",
        },
        detail: match &r.error_message {
            Some(m) => format!("{} — declined: {m}", r.reason),
            None => r.reason.clone(),
        },
    }));
    Ok(OrderPage {
        nav: Nav::of(visitor),
        buyer: d
            .buyer_name
            .clone()
            .or_else(|| d.user_id.clone())
            .or_else(|| d.guest_token.clone())
            .unwrap_or_default(),
        email: d.email.clone().unwrap_or_default(),
        total: view::price(d.total, &d.currency),
        refunded: view::price(d.refunded, &d.currency),
        can_refund: visitor.is_admin() && lines.iter().any(|l| l.refundable),
        lines,
        money,
        emails: d
            .emails
            .iter()
            .map(|e| EmailRow {
                subject: e.subject.clone(),
                recipient: e.recipient.clone(),
                status: e.status.clone(),
                when: view::date(e.sent_at.unwrap_or(e.created_at)),
            })
            .collect(),
        timeline: d
            .timeline
            .iter()
            .map(|m| MomentRow {
                when: view::date(m.at),
                what: m.what.clone(),
                detail: m.detail.clone(),
            })
            .collect(),
        d,
        notice,
        error,
    })
}

/// `POST /ui/admin/orders/{id}/refund` (administrators): the confirmation page first, then, with
/// `confirmed=yes`, the refund; back on the order page with what happened.
pub(crate) async fn refund(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    super::admin_only(&visitor, &format!("/ui/admin/orders/{id}"))?;
    let id = order_id(&id)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let reason = field("reason");
    let seats: Vec<SeatId> = super::seat_fields(&fields);
    if reason.is_empty() {
        let message = "Give a reason: the buyer reads it in the e-mail.".to_string();
        let page = page(&web, &visitor, id, None, Some(message)).await?;
        return Ok((axum::http::StatusCode::BAD_REQUEST, page).into_response());
    }
    if field("confirmed") != "yes" {
        let d = dossier::order_dossier(&web, id).await?;
        let chosen: Vec<_> = d
            .lines
            .iter()
            .filter(|l| l.refunded_at.is_none())
            .filter(|l| seats.is_empty() || seats.contains(&l.seat_id))
            .collect();
        let amount: kernel::Money = chosen.iter().map(|l| l.price).sum();
        return Ok(ConfirmRefundPage {
            nav: Nav::of(&visitor),
            order_id: id.to_string(),
            amount: view::price(amount, &d.currency),
            count: chosen.len(),
            seats: chosen
                .iter()
                .map(|l| {
                    format!(
                        "{} — {}",
                        l.event_name,
                        view::seat_label(&l.section_code, l.row_number, l.seat_number)
                    )
                })
                .collect(),
            seat_ids: chosen.iter().map(|l| l.seat_id.to_string()).collect(),
            reason,
        }
        .into_response());
    }
    let request = RefundRequest {
        order_id: id,
        seats: (!seats.is_empty()).then_some(seats),
        amount: None,
        reason,
        requested_by: visitor
            .claims
            .as_ref()
            .map(|c| c.email.clone())
            .unwrap_or_default(),
    };
    match web.payment.refund(request).await {
        Ok(_) => Ok(Redirect::to(&format!("/ui/admin/orders/{id}?refunded=1")).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let page = page(&web, &visitor, id, None, Some(e.message.clone())).await?;
            Ok((e.status, page).into_response())
        }
    }
}

fn order_id(raw: &str) -> Result<OrderId, PageError> {
    raw.parse()
        .map(OrderId)
        .map_err(|_| PageError::not_found("order"))
}
