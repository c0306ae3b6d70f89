//! Buying: the event list, an event's live seat map, and holding or letting go of a seat.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

use catalog::EventSummary;
use inventory::{BestRequest, CustomerId, HoldRequest};
use kernel::{EventId, SeatId};
use ordering::{AddToCart, Order, OrderState};

use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::seatmap::{self, SeatMapView, SeatSpec};
use crate::session::{SetCookies, Visitor};
use crate::view::{self, Nav};

/// An event as a card on the list.
pub(crate) struct EventCard {
    id: String,
    name: String,
    date: String,
    venue: String,
    from: Option<String>,
    seats_left: i64,
    sold_out: bool,
}

impl EventCard {
    fn of(s: &EventSummary) -> Self {
        Self {
            id: s.event.id.to_string(),
            name: s.event.name.clone(),
            date: s.event.local_time(s.event.event_date),
            venue: s.event.venue.clone(),
            from: s.lowest_price.map(|p| view::price(p, &s.event.currency)),
            seats_left: s.available_seats,
            sold_out: s.total_seats > 0 && s.available_seats == 0,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events.html")]
pub(crate) struct EventsPage {
    nav: Nav,
    events: Vec<EventCard>,
}

/// `GET /`: the events on sale.
pub(crate) async fn list_events(
    State(web): State<WebState>,
    visitor: Visitor,
) -> PageResult<EventsPage> {
    let mut events = web.catalog.list_public_events().await?;
    events.sort_by_key(|s| s.event.event_date);
    Ok(EventsPage {
        nav: Nav::of(&visitor),
        events: events.iter().map(EventCard::of).collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "event.html")]
pub(crate) struct EventPage {
    nav: Nav,
    id: String,
    name: String,
    description: String,
    date: String,
    venue: String,
    on_sale: bool,
    sold_out: bool,
    seats_left: i64,
    waiting: i64,
    in_cart: usize,
    map: SeatMapView,
    /// The section shown alone (`?section=`), if any.
    section: Option<String>,
    /// Whether any seat is a wheelchair space or companion seat (the map then offers a filter).
    has_access: bool,
    /// Quantities best-available offers (1 up to the hold limit).
    quantities: Vec<u32>,
    /// Sections to choose best-available seats from: (code, words with the price range).
    sections: Vec<(String, String)>,
    /// The price categories, the legend: (name, colour, "Stalls · $80.00 · 12 free").
    categories: Vec<(String, String, String)>,
    /// The layout version of the live stream's compact form: how many seats the event has.
    layout_version: usize,
}

#[derive(Deserialize)]
pub(crate) struct MapQuery {
    /// Show only this section's seats.
    section: Option<String>,
}

/// `GET /ui/events/{id}`: the event with its seat map; `?section=A` shows one section's seats
/// (a large venue first shows its sections: `seatmap::OVERVIEW_ABOVE`).
pub(crate) async fn show_event(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<MapQuery>,
) -> PageResult<EventPage> {
    let id = event_id(&id)?;
    let summary = web.catalog.event_summary(id).await?;
    let seat_map = web.catalog.seat_map(id).await?;
    let draft = draft_of(&web, &visitor).await?;
    let mine = seats_of(draft.as_ref(), id);
    let colours: HashMap<&str, &str> = seat_map
        .categories
        .iter()
        .map(|c| (c.name.as_str(), c.colour.as_str()))
        .collect();
    let specs: Vec<SeatSpec> = seat_map
        .seats
        .iter()
        .enumerate()
        .map(|(index, s)| SeatSpec {
            index,
            id: Some(s.seat.id),
            section: s.seat.section_code.clone(),
            row: s.seat.row_number,
            number: s.seat.seat_number,
            price: s.seat.price,
            status: seatmap::status_of(s.status, s.seat.id, &mine),
            access: s.seat.access.map(catalog::SeatAccess::as_str),
            category: s.seat.category.as_ref().map(|name| {
                let colour = colours.get(name.as_str()).copied().unwrap_or("#2e90fa");
                (name.clone(), colour.to_string())
            }),
            position: s.seat.position,
        })
        .collect();
    let stage = inventory::stage_point(
        specs.iter().filter_map(|s| s.position),
        seat_map.event.stage,
    );
    let section = query
        .section
        .filter(|code| specs.iter().any(|s| &s.section == code));
    let has_access = specs.iter().any(|s| s.access.is_some());
    let currency = &summary.event.currency;
    let map = match &section {
        Some(code) => {
            let shown: Vec<SeatSpec> = specs
                .iter()
                .filter(|s| &s.section == code)
                .cloned()
                .collect();
            seatmap::layout(&shown, currency, stage)
        }
        None if specs.len() > seatmap::OVERVIEW_ABOVE => seatmap::overview(&specs, currency, stage),
        None => seatmap::layout(&specs, currency, stage),
    };
    let on_sale = summary.event.is_on_sale(chrono::Utc::now());
    let sold_out = on_sale && summary.total_seats > 0 && summary.available_seats == 0;
    let waiting = if sold_out {
        web.waitlist.pending_count(id).await?
    } else {
        0
    };
    let sections = seatmap::sections(&specs, &summary.event.currency);
    let categories = seatmap::categories(&seat_map.categories, &specs, currency);
    Ok(EventPage {
        layout_version: specs.len(),
        categories,
        quantities: (1..=web.inventory.hold_limit()).collect(),
        sections,
        nav: Nav::of(&visitor),
        id: id.to_string(),
        name: summary.event.name.clone(),
        description: summary.event.description.clone(),
        date: summary.event.local_time(summary.event.event_date),
        venue: summary.event.venue.clone(),
        on_sale,
        sold_out,
        seats_left: summary.available_seats,
        waiting,
        in_cart: draft.map_or(0, |d| d.items.len()),
        map,
        section,
        has_access,
    })
}

/// `GET /ui/events/{id}/live`: every seat that is not free (and the visitor's own), for the
/// map's periodic refresh; `?section=` only that section's (what a large venue's map shows).
pub(crate) async fn live_seats(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<MapQuery>,
) -> PageResult<Response> {
    let id = event_id(&id)?;
    let seat_map = web.catalog.seat_map(id).await?;
    let draft = draft_of(&web, &visitor).await?;
    let mine = seats_of(draft.as_ref(), id);
    let mut taken = serde_json::Map::new();
    let mut available = 0;
    for s in &seat_map.seats {
        match seatmap::status_of(s.status, s.seat.id, &mine) {
            "available" => available += 1,
            _ if query
                .section
                .as_ref()
                .is_some_and(|c| &s.seat.section_code != c) => {}
            status => {
                taken.insert(s.seat.id.to_string(), status.into());
            }
        }
    }
    let body = json!({ "available": available, "seats": taken, "inCart": draft.map_or(0, |d| d.items.len()) });
    Ok(([("cache-control", "no-store")], Json(body)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct SeatForm {
    seat: String,
}

/// `POST /ui/events/{id}/hold`: holds the seat and puts it in the cart, in one click. A guest
/// gets a guest token on the first hold.
pub(crate) async fn hold_seat(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<SeatForm>,
) -> Response {
    let (visitor, cookies) = match as_buyer(&web, visitor).await {
        Ok(buyer) => buyer,
        Err(e) => return answer(Err(e)),
    };
    cookies.on(answer(
        hold_into_cart(&web, &visitor, &id, &form.seat).await,
    ))
}

async fn hold_into_cart(
    web: &WebState,
    visitor: &Visitor,
    event: &str,
    seat: &str,
) -> Result<serde_json::Value, PageError> {
    let event_id = event_id(event)?;
    let seat_id: SeatId = seat
        .parse()
        .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "That is not a seat of this map."))?;
    let (Some(customer), Some(buyer)) = (visitor.customer_id(), visitor.buyer()) else {
        return Err(PageError::new(
            StatusCode::UNAUTHORIZED,
            "Please sign in again.",
        ));
    };
    let customer = CustomerId::parse(&customer)?;
    let hold = web
        .inventory
        .hold(HoldRequest {
            seat_id,
            customer_id: customer.clone(),
            event_id: Some(event_id),
        })
        .await?;
    let cart = web
        .ordering
        .add_to_cart(AddToCart {
            reservation_id: Some(hold.id),
            seat_id,
            price: None,
            buyer,
        })
        .await;
    let cart = match cart {
        Ok(cart) => cart,
        Err(e) => {
            // Nothing half-done: without a cart line the hold would only block the seat.
            if let Err(release) = web.inventory.release(hold.id, Some(&customer)).await {
                tracing::warn!(error = %release, "releasing a hold that could not be carted");
            }
            return Err(e.into());
        }
    };
    let item = cart.item_for(seat_id);
    let label = item.map_or_else(String::new, |i| {
        view::seat_label(&i.section_code, i.row_number, i.seat_number)
    });
    Ok(json!({
        "ok": true,
        "message": format!("{label} is yours until {} — it is in your cart.", hold.expires_at.format("%H:%M:%S UTC")),
        "expiresAt": view::iso(hold.expires_at),
        "inCart": cart.items.len(),
    }))
}

#[derive(Deserialize)]
pub(crate) struct BestForm {
    quantity: u32,
    #[serde(default)]
    section: String,
    #[serde(default)]
    category: String,
}

/// `POST /ui/events/{id}/best`: holds the best `quantity` seats (of `section`, if chosen) and
/// puts them all in the cart, or none. The map's script asks for JSON and marks the seats as
/// the visitor's; without the script the form lands on the cart.
pub(crate) async fn hold_best(
    State(web): State<WebState>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BestForm>,
) -> Response {
    let (visitor, cookies) = match as_buyer(&web, visitor).await {
        Ok(buyer) => buyer,
        Err(e) => return answer(Err(e)),
    };
    let result = best_into_cart(&web, &visitor, &id, &form).await;
    let wants_json = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return cookies.on(answer(result));
    }
    cookies.on(match result {
        Ok(_) => axum::response::Redirect::to("/ui/cart").into_response(),
        Err(e) => e.into_response(),
    })
}

async fn best_into_cart(
    web: &WebState,
    visitor: &Visitor,
    event: &str,
    form: &BestForm,
) -> Result<serde_json::Value, PageError> {
    let event_id = event_id(event)?;
    let (Some(customer), Some(buyer)) = (visitor.customer_id(), visitor.buyer()) else {
        return Err(PageError::new(
            StatusCode::UNAUTHORIZED,
            "Please sign in again.",
        ));
    };
    let customer = CustomerId::parse(&customer)?;
    let best = web
        .inventory
        .hold_best(BestRequest {
            event_id,
            quantity: form.quantity,
            section_code: Some(form.section.clone()).filter(|s| !s.trim().is_empty()),
            category: Some(form.category.clone()).filter(|s| !s.trim().is_empty()),
            customer_id: customer.clone(),
        })
        .await?;
    let mut carted = Vec::new();
    let mut cart = None;
    for (hold, _) in &best.holds {
        let added = web
            .ordering
            .add_to_cart(AddToCart {
                reservation_id: Some(hold.id),
                seat_id: hold.seat_id,
                price: None,
                buyer: buyer.clone(),
            })
            .await;
        match added {
            Ok(order) => {
                carted.push(hold.seat_id);
                cart = Some(order);
            }
            Err(e) => {
                // All or none: what was carted leaves the cart (releasing its hold), the rest
                // is released.
                for &seat in &carted {
                    if let Err(undo) = super::cart::remove_seat(web, visitor, seat).await {
                        tracing::warn!(error = %undo.message, "taking a best-available seat back out of the cart");
                    }
                }
                for (other, _) in best
                    .holds
                    .iter()
                    .filter(|(h, _)| !carted.contains(&h.seat_id))
                {
                    if let Err(undo) = web.inventory.release(other.id, Some(&customer)).await {
                        tracing::warn!(error = %undo, "releasing a best-available hold that could not be carted");
                    }
                }
                return Err(e.into());
            }
        }
    }
    let places: Vec<(String, i64, i64)> = best
        .holds
        .iter()
        .map(|(_, at)| (at.section_code.clone(), at.row_number, at.seat_number))
        .collect();
    let until = best
        .holds
        .first()
        .map(|(h, _)| h.expires_at.format("%H:%M:%S UTC").to_string())
        .unwrap_or_default();
    let together = if best.split {
        format!(
            "No row had {} seats side by side, so they are split: ",
            best.holds.len()
        )
    } else {
        String::new()
    };
    Ok(json!({
        "ok": true,
        "message": format!("{together}{} — yours until {until}, in your cart.", view::seats_label(&places)),
        "seats": best.holds.iter().map(|(h, _)| h.seat_id.to_string()).collect::<Vec<_>>(),
        "split": best.split,
        "expiresAt": best.holds.first().map(|(h, _)| view::iso(h.expires_at)),
        "inCart": cart.map_or(0, |c| c.items.len()),
    }))
}

/// `POST /ui/events/{id}/release`: gives a seat of the cart back.
pub(crate) async fn release_seat(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<SeatForm>,
) -> Response {
    let result = async {
        let seat: SeatId = form
            .seat
            .parse()
            .map_err(|_| PageError::new(StatusCode::BAD_REQUEST, "That is not a seat."))?;
        let order = super::cart::remove_seat(&web, &visitor, seat).await?;
        Ok(json!({ "ok": true, "message": "The seat is free again.", "inCart": order.items.len() }))
    }
    .await;
    answer(result)
}

/// The visitor as a buyer: a guest gets a guest token (and its cookie) on the first hold.
async fn as_buyer(
    web: &WebState,
    mut visitor: Visitor,
) -> Result<(Visitor, SetCookies), PageError> {
    let mut cookies = SetCookies::default();
    if visitor.customer_id().is_none() {
        let (token, _) = web.identity.issue_guest_token().await?;
        cookies = cookies.guest(&token);
        visitor.guest = Some(token);
    }
    Ok((visitor, cookies))
}

/// The JSON answer of a map action: `{ok, message, …}` with the error's status.
fn answer(result: Result<serde_json::Value, PageError>) -> Response {
    match result {
        Ok(body) => Json(body).into_response(),
        Err(e) => (
            e.status,
            Json(json!({ "ok": false, "message": e.message, "code": e.code })),
        )
            .into_response(),
    }
}

/// The event id in a path; anything else is "not found".
pub(crate) fn event_id(text: &str) -> Result<EventId, PageError> {
    text.parse().map_err(|_| PageError::not_found("event"))
}

/// The visitor's cart, if any.
pub(crate) async fn draft_of(
    web: &WebState,
    visitor: &Visitor,
) -> Result<Option<Order>, PageError> {
    let Some(buyer) = visitor.buyer() else {
        return Ok(None);
    };
    let orders = web.ordering.list(&buyer).await?;
    Ok(orders.into_iter().find(|o| o.state == OrderState::Draft))
}

fn seats_of(draft: Option<&Order>, event: EventId) -> HashSet<SeatId> {
    draft
        .map(|d| {
            d.items
                .iter()
                .filter(|i| i.event_id == event)
                .map(|i| i.seat_id)
                .collect()
        })
        .unwrap_or_default()
}
