//! Orders: paying a checked-out order, the order page with its tickets, the PDF download.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use inventory::HoldStatus;
use kernel::OrderId;
use ordering::{Buyer, Order, OrderState};
use payment::{PayRequest, PaymentStatus};

use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::qr;
use crate::session::Visitor;
use crate::view::{self, Nav};

/// One seat of an order.
pub(crate) struct Line {
    event_name: String,
    label: String,
    price: String,
}

fn lines(order: &Order) -> Vec<Line> {
    order
        .items
        .iter()
        .map(|i| Line {
            event_name: i.event_name.clone(),
            label: view::seat_label(&i.section_code, i.row_number, i.seat_number),
            price: view::price(i.price, &order.currency),
        })
        .collect()
}

/// An order in the visitor's list.
pub(crate) struct OrderRow {
    id: String,
    state: &'static str,
    seats: usize,
    total: String,
    created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "orders.html")]
pub(crate) struct OrdersPage {
    nav: Nav,
    orders: Vec<OrderRow>,
}

/// `GET /ui/orders`: the visitor's orders (carts aside).
pub(crate) async fn list_orders(
    State(web): State<WebState>,
    visitor: Visitor,
) -> PageResult<OrdersPage> {
    let orders = match visitor.buyer() {
        Some(buyer) => web.ordering.list(&buyer).await?,
        None => Vec::new(),
    };
    Ok(OrdersPage {
        nav: Nav::of(&visitor),
        orders: orders
            .iter()
            .filter(|o| o.state != OrderState::Draft)
            .map(|o| OrderRow {
                id: o.id.to_string(),
                state: o.state.as_str(),
                seats: o.items.len(),
                total: view::price(o.total(), &o.currency),
                created: view::date(o.created_at),
            })
            .collect(),
    })
}

/// A ticket on the order page.
pub(crate) struct TicketView {
    id: String,
    label: String,
    event_name: String,
    date: String,
    venue: String,
    checked_in: bool,
    qr_svg: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "order.html")]
pub(crate) struct OrderPage {
    nav: Nav,
    id: String,
    state: &'static str,
    lines: Vec<Line>,
    total: String,
    email: Option<String>,
    tickets: Vec<TicketView>,
    issuing: bool,
    /// Just paid (`?paid=1`, where the payment lands): the page thanks the buyer.
    confirmation: bool,
}

#[derive(Deserialize)]
pub(crate) struct OrderQuery {
    #[serde(default)]
    paid: Option<String>,
}

/// `GET /ui/orders/{id}`: the order and, once issued, its tickets with their QR codes.
pub(crate) async fn show_order(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<OrderQuery>,
) -> PageResult<OrderPage> {
    let (mut order, buyer) = owned_order(&web, &visitor, &id).await?;
    let tickets = web
        .fulfillment
        .tickets_of_order(order.id, buyer.user_id(), buyer.guest_token())
        .await?;
    // Tickets exist only once the order completed; if they appeared between the two reads, the
    // order read first is stale: read it again rather than show "paid" beside its tickets.
    if order.state == OrderState::Pending && !tickets.is_empty() {
        order = web.ordering.get(order.id, Some(&buyer)).await?;
    }
    let tickets: Vec<TicketView> = tickets
        .iter()
        .map(|t| TicketView {
            id: t.id.to_string(),
            label: view::seat_label(&t.section_code, t.row_number, t.seat_number),
            event_name: t.event_name.clone(),
            date: view::date(t.event_date),
            venue: t.venue.clone(),
            checked_in: t.checked_in_at.is_some(),
            qr_svg: qr::svg(&t.qr).unwrap_or_default(),
        })
        .collect();
    // The order completes when ordering hears of the payment (an event, moments later); until
    // then a paid order shows as being finished rather than as still to pay.
    let paid = order.state == OrderState::Completed
        || (order.state == OrderState::Pending
            && web
                .payment
                .of_order(order.id)
                .await?
                .iter()
                .any(|p| p.status == PaymentStatus::Succeeded));
    Ok(OrderPage {
        nav: Nav::of(&visitor),
        id: order.id.to_string(),
        state: if paid && order.state == OrderState::Pending {
            "paid"
        } else {
            order.state.as_str()
        },
        lines: lines(&order),
        total: view::price(order.total(), &order.currency),
        email: order.customer_email.clone(),
        issuing: paid && tickets.len() < order.items.len(),
        confirmation: paid && query.paid.is_some(),
        tickets,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "pay.html")]
pub(crate) struct PayPage {
    nav: Nav,
    id: String,
    lines: Vec<Line>,
    total: String,
    cents: String,
    expires_at: String,
    expired: bool,
    cancelled: bool,
    error: Option<String>,
    /// Whether the order's event lets the buyer keep the seats once for another hold time.
    extendable: bool,
    /// Just extended (`?extended=1`).
    extended: bool,
}

#[derive(Deserialize)]
pub(crate) struct PayQuery {
    #[serde(default)]
    extended: Option<String>,
}

/// `GET /ui/orders/{id}/pay`: the payment step, with a countdown to the first hold's end.
pub(crate) async fn show_payment(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<PayQuery>,
) -> PageResult<Response> {
    let (order, _) = owned_order(&web, &visitor, &id).await?;
    if order.state == OrderState::Completed {
        return Ok(Redirect::to(&format!("/ui/orders/{}", order.id)).into_response());
    }
    let mut page = pay_page(&web, &visitor, &order, None).await?;
    page.extended = query.extended.is_some();
    Ok(page.into_response())
}

async fn pay_page(
    web: &WebState,
    visitor: &Visitor,
    order: &Order,
    error: Option<String>,
) -> PageResult<PayPage> {
    // Ownership of the order was checked; its holds are read as the order's.
    let mut first_end = None;
    let mut expired = false;
    for item in &order.items {
        match web.inventory.get(item.reservation_id, None).await {
            Ok(hold) if hold.status == HoldStatus::Active => {
                let end = hold.expires_at;
                first_end =
                    Some(first_end.map_or(end, |e: chrono::DateTime<chrono::Utc>| e.min(end)));
            }
            _ => expired = true,
        }
    }
    let total = order.total();
    Ok(PayPage {
        nav: Nav::of(visitor),
        id: order.id.to_string(),
        lines: lines(order),
        total: view::price(total, &order.currency),
        cents: format!("{:02}", total.cents() % 100),
        expires_at: first_end.map(view::iso).unwrap_or_default(),
        expired: expired && order.state == OrderState::Pending,
        cancelled: order.state == OrderState::Cancelled,
        error,
        extendable: match order.items.first() {
            Some(item) => {
                web.catalog
                    .event_summary(item.event_id)
                    .await?
                    .event
                    .hold_extension
            }
            None => false,
        },
        extended: false,
    })
}

/// `POST /ui/orders/{id}/extend`: keeps the order's seats once for another hold time, where
/// its event allows it, and shows the payment step again.
pub(crate) async fn extend_order(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let (order, buyer) = owned_order(&web, &visitor, &id).await?;
    let customer = buyer.user_id().or(buyer.guest_token()).unwrap_or_default();
    let customer = inventory::CustomerId::parse(customer)?;
    let mut refused = None;
    for item in &order.items {
        if let Err(e) = web.inventory.extend(item.reservation_id, &customer).await {
            refused = Some(PageError::from(e).message);
        }
    }
    match refused {
        None => {
            Ok(Redirect::to(&format!("/ui/orders/{}/pay?extended=1", order.id)).into_response())
        }
        Some(message) => {
            let page = pay_page(&web, &visitor, &order, Some(message)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct PayForm {
    #[serde(default)]
    method: String,
}

/// `POST /ui/orders/{id}/pay`: charges the order's total with the simulated processor.
pub(crate) async fn pay_order(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<PayForm>,
) -> PageResult<Response> {
    let (order, buyer) = owned_order(&web, &visitor, &id).await?;
    let method = match form.method.as_str() {
        "debit_card" => "debit_card",
        _ => "credit_card",
    };
    let request = PayRequest {
        order_id: order.id,
        customer_id: buyer
            .user_id()
            .or(buyer.guest_token())
            .unwrap_or_default()
            .to_owned(),
        reservation_id: None,
        amount: order.total(),
        currency: None,
        payment_method: Some(method.into()),
    };
    let error = match web.payment.pay(request).await {
        Ok(p) if p.status == PaymentStatus::Succeeded => {
            return Ok(Redirect::to(&format!("/ui/orders/{}?paid=1", order.id)).into_response());
        }
        Ok(p) => format!(
            "The payment was declined: {}. Nothing was charged.",
            p.error_message.unwrap_or_else(|| "no reason given".into())
        ),
        Err(e) => PageError::from(e).message,
    };
    // Read again: a lapsed hold may have cancelled the order meanwhile.
    let (order, _) = owned_order(&web, &visitor, &id).await?;
    let page = pay_page(&web, &visitor, &order, Some(error)).await?;
    Ok((StatusCode::CONFLICT, page).into_response())
}

/// `POST /ui/orders/{id}/cancel`: the buyer gives up an order that is not paid (a declined
/// card, a change of mind): it is cancelled and its seats go back on sale.
pub(crate) async fn cancel_order(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let (order, buyer) = owned_order(&web, &visitor, &id).await?;
    match web.ordering.cancel(order.id, Some(&buyer)).await {
        Ok(_) => Ok(Redirect::to(&format!("/ui/orders/{}", order.id)).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let page = pay_page(&web, &visitor, &order, Some(e.message)).await?;
            Ok((e.status, page).into_response())
        }
    }
}

/// `GET /ui/tickets/{id}/pdf`: the ticket as a PDF, for its owner.
pub(crate) async fn download_ticket(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult<Response> {
    let id: uuid::Uuid = id.parse().map_err(|_| PageError::not_found("ticket"))?;
    let ticket = web.fulfillment.ticket(id).await?;
    let owned = visitor
        .buyers()
        .iter()
        .any(|b| ticket.is_owned_by(b.user_id(), b.guest_token()));
    if !owned {
        return Err(PageError::not_found("ticket"));
    }
    let pdf = web.fulfillment.pdf(id).await?;
    let disposition = format!("attachment; filename=\"ticket-{id}.pdf\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

/// The order `id` if the visitor owns it; anyone else's is "not found".
async fn owned_order(
    web: &WebState,
    visitor: &Visitor,
    id: &str,
) -> Result<(Order, Buyer), PageError> {
    let id: OrderId = id.parse().map_err(|_| PageError::not_found("order"))?;
    for buyer in visitor.buyers() {
        if let Ok(order) = web.ordering.get(id, Some(&buyer)).await {
            return Ok((order, buyer));
        }
    }
    Err(PageError::not_found("order"))
}
