//! The cart: held seats with their countdowns, removal, and checkout.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use identity::Email;
use inventory::HoldStatus;
use kernel::{Money, SeatId};
use ordering::{Order, OrderState};

use super::shop::draft_of;
use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::{SetCookies, Visitor};
use crate::view::{self, Nav};

/// One held seat.
pub(crate) struct CartLine {
    seat_id: String,
    event_name: String,
    label: String,
    price: String,
    expires_at: String,
    expired: bool,
}

/// A checked-out order still to pay.
pub(crate) struct PendingLine {
    id: String,
    seats: usize,
    total: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cart.html")]
pub(crate) struct CartPage {
    nav: Nav,
    lines: Vec<CartLine>,
    total: String,
    pending: Vec<PendingLine>,
    email: String,
    signed_in: bool,
    error: Option<String>,
}

/// `GET /ui/cart`.
pub(crate) async fn show_cart(
    State(web): State<WebState>,
    visitor: Visitor,
) -> PageResult<CartPage> {
    cart_page(&web, &visitor, None).await
}

async fn cart_page(
    web: &WebState,
    visitor: &Visitor,
    error: Option<String>,
) -> PageResult<CartPage> {
    let orders = match visitor.buyer() {
        Some(buyer) => web.ordering.list(&buyer).await?,
        None => Vec::new(),
    };
    let mut lines = Vec::new();
    let mut total = Money::ZERO;
    let mut currency = String::new();
    if let Some(draft) = orders.iter().find(|o| o.state == OrderState::Draft) {
        currency.clone_from(&draft.currency);
        total = draft.total();
        for item in &draft.items {
            let hold = web.inventory.get(item.reservation_id, None).await.ok();
            lines.push(CartLine {
                seat_id: item.seat_id.to_string(),
                event_name: item.event_name.clone(),
                label: view::seat_label(&item.section_code, item.row_number, item.seat_number),
                price: view::price(item.price, &draft.currency),
                expires_at: hold
                    .as_ref()
                    .map(|h| view::iso(h.expires_at))
                    .unwrap_or_default(),
                expired: hold.is_none_or(|h| h.status != HoldStatus::Active),
            });
        }
    }
    let pending = orders
        .iter()
        .filter(|o| o.state == OrderState::Pending)
        .map(|o| PendingLine {
            id: o.id.to_string(),
            seats: o.items.len(),
            total: view::price(o.total(), &o.currency),
        })
        .collect();
    Ok(CartPage {
        nav: Nav::of(visitor),
        lines,
        total: view::price(total, &currency),
        pending,
        email: visitor.ticket_email().unwrap_or_default(),
        signed_in: visitor.claims.is_some(),
        error,
    })
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    seat: String,
}

/// `POST /ui/cart/remove`: gives a seat back and shows the cart again.
pub(crate) async fn remove_from_cart(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<RemoveForm>,
) -> PageResult<Response> {
    let seat: SeatId = form
        .seat
        .parse()
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "That is not a seat."))?;
    remove_seat(&web, &visitor, seat).await?;
    Ok(Redirect::to("/ui/cart").into_response())
}

/// Removes `seat` from the visitor's cart (its hold is released through the cart-item event).
pub(crate) async fn remove_seat(
    web: &WebState,
    visitor: &Visitor,
    seat: SeatId,
) -> Result<Order, PageError> {
    let (Some(buyer), Some(draft)) = (visitor.buyer(), draft_of(web, visitor).await?) else {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            "This seat is not in your cart.",
        ));
    };
    Ok(web
        .ordering
        .remove_from_cart(draft.id, seat, &buyer)
        .await?)
}

#[derive(Deserialize)]
pub(crate) struct CheckoutForm {
    #[serde(default)]
    email: String,
}

/// `POST /ui/cart/checkout`: the cart becomes an order awaiting payment. A guest names the
/// address the tickets go to.
pub(crate) async fn checkout(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<CheckoutForm>,
) -> PageResult<Response> {
    let mut visitor = visitor;
    let mut cookies = SetCookies::default();
    if visitor.claims.is_none() {
        match Email::parse(form.email.trim()) {
            Ok(email) => {
                cookies = cookies.email(email.as_str());
                visitor.email = Some(email.as_str().to_owned());
            }
            Err(_) => {
                let message = "Please enter the e-mail address your tickets should go to.";
                let page = cart_page(&web, &visitor, Some(message.into())).await?;
                return Ok((StatusCode::BAD_REQUEST, page).into_response());
            }
        }
    }
    let Some(draft) = draft_of(&web, &visitor).await? else {
        let page = cart_page(&web, &visitor, Some("Your cart is empty.".into())).await?;
        return Ok((StatusCode::CONFLICT, page).into_response());
    };
    let Some(buyer) = visitor.buyer() else {
        return Err(PageError::new(
            StatusCode::UNAUTHORIZED,
            "Please sign in again.",
        ));
    };
    match web.ordering.checkout(draft.id, &buyer).await {
        Ok(order) => Ok(cookies.on(Redirect::to(&format!("/ui/orders/{}/pay", order.id)))),
        Err(e) => {
            let e = PageError::from(e);
            let page = cart_page(&web, &visitor, Some(e.message)).await?;
            Ok(cookies.on((e.status, page)))
        }
    }
}
