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
    /// What holding the lapsed seats again did.
    notice: Option<String>,
    /// Seats whose hold ran out and whose line has already left the cart.
    lapsed: Vec<String>,
    /// Whether an event of the cart lets a buyer keep the seats once for another hold time.
    extendable: bool,
}

impl CartPage {
    /// Lines whose hold ran out (still in the cart, or gone from it).
    fn expired_count(&self) -> usize {
        self.lines.iter().filter(|l| l.expired).count() + self.lapsed.len()
    }

    /// Whether some line still in the cart has run out (the cart cannot be checked out).
    fn blocked(&self) -> bool {
        self.lines.iter().any(|l| l.expired)
    }
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
    cart_page_with(web, visitor, error, None).await
}

async fn cart_page_with(
    web: &WebState,
    visitor: &Visitor,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult<CartPage> {
    let orders = match visitor.buyer() {
        Some(buyer) => web.ordering.list(&buyer).await?,
        None => Vec::new(),
    };
    let mut lines = Vec::new();
    let mut lapsed = Vec::new();
    let mut extendable = false;
    let mut total = Money::ZERO;
    let mut currency = String::new();
    if let Some(draft) = orders.iter().find(|o| o.state == OrderState::Draft) {
        lapsed = web
            .ordering
            .lapsed_of_cart(draft.id)
            .await?
            .iter()
            .filter(|l| draft.item_for(l.seat_id).is_none())
            .map(|l| view::seat_label(&l.section_code, l.row_number, l.seat_number))
            .collect();
        let mut events: Vec<kernel::EventId> = draft.items.iter().map(|i| i.event_id).collect();
        events.dedup();
        for event in events {
            extendable |= web.catalog.event_summary(event).await?.event.hold_extension;
        }
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
        notice,
        lapsed,
        extendable,
    })
}

/// `POST /ui/cart/extend`: keeps the cart's seats once for another hold time, where their
/// event allows it.
pub(crate) async fn extend_holds(
    State(web): State<WebState>,
    visitor: Visitor,
) -> PageResult<Response> {
    let (Some(draft), Some(customer)) = (draft_of(&web, &visitor).await?, visitor.customer_id())
    else {
        return Ok(Redirect::to("/ui/cart").into_response());
    };
    let customer = inventory::CustomerId::parse(&customer)?;
    let mut until = None;
    let mut refused = None;
    for item in &draft.items {
        match web.inventory.extend(item.reservation_id, &customer).await {
            Ok(hold) => until = until.max(Some(hold.expires_at)),
            Err(e) => refused = Some(PageError::from(e).message),
        }
    }
    let (error, notice) = match (until, refused) {
        (Some(until), None) => (
            None,
            Some(format!(
                "Your seats are held until {}.",
                until.format("%H:%M:%S UTC")
            )),
        ),
        (_, refused) => (refused, None),
    };
    Ok(cart_page_with(&web, &visitor, error, notice)
        .await?
        .into_response())
}

/// `POST /ui/cart/hold-again`: the seats of the cart whose hold ran out are held again where
/// they are still free (the cart line then carries the new hold); the others leave the cart.
/// The page says which is which.
pub(crate) async fn hold_again(
    State(web): State<WebState>,
    visitor: Visitor,
) -> PageResult<Response> {
    let (Some(draft), Some(buyer), Some(customer)) = (
        draft_of(&web, &visitor).await?,
        visitor.buyer(),
        visitor.customer_id(),
    ) else {
        return Ok(Redirect::to("/ui/cart").into_response());
    };
    let customer = inventory::CustomerId::parse(&customer)?;
    // (seat, its event, its words, whether its line is still in the cart)
    let mut ran_out = Vec::new();
    for item in &draft.items {
        let live = web
            .inventory
            .get(item.reservation_id, None)
            .await
            .is_ok_and(|h| h.status == HoldStatus::Active);
        if !live {
            let label = view::seat_label(&item.section_code, item.row_number, item.seat_number);
            ran_out.push((item.seat_id, item.event_id, label, true));
        }
    }
    for l in web.ordering.lapsed_of_cart(draft.id).await? {
        if draft.item_for(l.seat_id).is_none() {
            let label = view::seat_label(&l.section_code, l.row_number, l.seat_number);
            ran_out.push((l.seat_id, l.event_id, label, false));
        }
    }
    let (mut again, mut gone) = (Vec::new(), Vec::new());
    for (seat, event, label, in_cart) in ran_out {
        let held = web
            .inventory
            .hold(inventory::HoldRequest {
                seat_id: seat,
                customer_id: customer.clone(),
                event_id: Some(event),
            })
            .await;
        let carted = match held {
            Ok(hold) => {
                let added = web
                    .ordering
                    .add_to_cart(ordering::AddToCart {
                        reservation_id: Some(hold.id),
                        seat_id: seat,
                        price: None,
                        buyer: buyer.clone(),
                    })
                    .await;
                if added.is_err()
                    && let Err(e) = web.inventory.release(hold.id, Some(&customer)).await
                {
                    tracing::warn!(error = %e, "releasing a hold that could not be carted");
                }
                added.is_ok()
            }
            Err(_) => false,
        };
        if carted {
            again.push(label);
        } else {
            if in_cart {
                web.ordering
                    .remove_from_cart(draft.id, seat, &buyer)
                    .await?;
            }
            gone.push(label);
        }
    }
    web.ordering.forget_lapsed(draft.id).await?;
    let mut notice = String::new();
    if !again.is_empty() {
        notice += &format!("Held again for you: {}. ", again.join(", "));
    }
    if !gone.is_empty() {
        notice += &format!(
            "Taken by someone else meanwhile, so removed from your cart: {}.",
            gone.join(", ")
        );
    }
    let notice = Some(notice.trim().to_string()).filter(|n| !n.is_empty());
    Ok(cart_page_with(&web, &visitor, None, notice)
        .await?
        .into_response())
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
