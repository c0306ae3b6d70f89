//! Internal routes: the ports other processes of a split deployment ask over HTTP
//! ([`crate::remote`]), answered by this process's in-process adapters. Only callers with a
//! service token get an answer ([`api::Peer`]); people's tokens get 403.

use axum::extract::{FromRef, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use std::sync::Arc;

use api::{ApiError, AppJson, Auth, Peer};
use kernel::{EventId, OrderId, ReservationId, SeatId};

use crate::remote::{PdfFile, paths};

/// Every port this process can answer from its own data: always the in-process adapters, never
/// remote ones (a process only answers for the services it runs).
pub(crate) struct LocalPorts {
    pub(crate) availability: Arc<dyn catalog::SeatAvailability>,
    pub(crate) holds: Arc<dyn ordering::Holds>,
    pub(crate) holds_of_order: Arc<dyn payment::HoldsOfOrder>,
    pub(crate) directory: Arc<dyn inventory::SeatDirectory>,
    pub(crate) prices: Arc<dyn ordering::SeatPrices>,
    pub(crate) event_details: Arc<dyn fulfillment::EventDetails>,
    pub(crate) waitlist_events: Arc<dyn waitlist::EventFacts>,
    pub(crate) payable: Arc<dyn payment::PayableOrders>,
    pub(crate) ledger: Arc<dyn ordering::PaymentLedger>,
    pub(crate) documents: Arc<dyn notification::TicketDocuments>,
    pub(crate) ticket_orders: Arc<dyn ordering::TicketOrders>,
    pub(crate) guest_tokens: Arc<dyn api::GuestTokens>,
    pub(crate) accounts: Arc<dyn api::Accounts>,
}

#[derive(Clone)]
struct InternalState {
    ports: Arc<LocalPorts>,
    auth: Auth,
}

impl FromRef<InternalState> for Auth {
    fn from_ref(state: &InternalState) -> Self {
        state.auth.clone()
    }
}

/// One handler per port method: a service token, the port's argument as JSON, its answer as
/// JSON (a failure is logged here and answered 500, which the caller treats as unavailable).
macro_rules! port_handler {
    ($name:ident($arg:ident: $ty:ty) => |$ports:ident| $call:expr) => {
        async fn $name(
            _peer: Peer,
            State(state): State<InternalState>,
            AppJson($arg): AppJson<$ty>,
        ) -> Result<Response, ApiError> {
            let $ports = &state.ports;
            let answer = $call.await.map_err(ApiError::internal)?;
            Ok(Json(answer).into_response())
        }
    };
}

port_handler!(taken_seats(event: EventId) => |p| p.availability.taken_seats(event));
port_handler!(event_counts(events: Vec<EventId>) => |p| p.availability.counts(&events));
port_handler!(holds(ids: Vec<ReservationId>) => |p| p.holds.holds(&ids));
port_handler!(holds_active_until(ids: Vec<ReservationId>) => |p| p.holds_of_order.all_active_until(&ids));
port_handler!(seat_listing(seat: SeatId) => |p| p.directory.locate(seat));
port_handler!(seats_of_event(query: inventory::SeatsQuery) => |p| p.directory.seats_of_event(&query));
port_handler!(seat_price(seat: SeatId) => |p| p.prices.seat(seat));
port_handler!(event_facts(event: EventId) => |p| p.event_details.event(event));
port_handler!(waitlist_event(event: EventId) => |p| p.waitlist_events.event(event));
port_handler!(payable_order(order: OrderId) => |p| p.payable.order(order));
port_handler!(live_payment(order: OrderId) => |p| p.ledger.has_live_payment(order));
port_handler!(guest_token(token: String) => |p| p.guest_tokens.is_issued(&token));
port_handler!(account_active(user_id: String) => |p| p.accounts.is_active(&user_id));
port_handler!(ticket_holders(event: EventId) => |p| p.documents.holders(event));
port_handler!(ticket_order(ticket: uuid::Uuid) => |p| p.ticket_orders.order_of_ticket(ticket));
port_handler!(ticket_pdfs(order: OrderId) => |p| async {
    let pdfs = p.documents.pdfs(order).await?;
    anyhow::Ok(
        pdfs.into_iter()
            .map(|(name, bytes)| PdfFile {
                name,
                base64: base64::engine::general_purpose::STANDARD.encode(bytes),
            })
            .collect::<Vec<_>>(),
    )
});

/// The internal routes of `service`: what other services ask the owner of that data.
pub(crate) fn router(service: &str, ports: Arc<LocalPorts>, auth: Auth) -> Router {
    let routes = Router::new();
    let routes = match service {
        "inventory" => routes
            .route(paths::TAKEN_SEATS, post(taken_seats))
            .route(paths::EVENT_COUNTS, post(event_counts))
            .route(paths::HOLDS, post(holds))
            .route(paths::HOLDS_ACTIVE_UNTIL, post(holds_active_until)),
        "catalog" => routes
            .route(paths::SEAT_LISTING, post(seat_listing))
            .route(paths::SEATS_OF_EVENT, post(seats_of_event))
            .route(paths::SEAT_PRICE, post(seat_price))
            .route(paths::EVENT_FACTS, post(event_facts))
            .route(paths::WAITLIST_EVENT, post(waitlist_event)),
        "ordering" => routes.route(paths::PAYABLE_ORDER, post(payable_order)),
        "payment" => routes.route(paths::LIVE_PAYMENT, post(live_payment)),
        "fulfillment" => routes
            .route(paths::TICKET_PDFS, post(ticket_pdfs))
            .route(paths::TICKET_ORDER, post(ticket_order))
            .route(paths::TICKET_HOLDERS, post(ticket_holders)),
        "identity" => routes
            .route(paths::GUEST_TOKEN, post(guest_token))
            .route(paths::ACCOUNT_ACTIVE, post(account_active)),
        _ => routes,
    };
    routes.with_state(InternalState { ports, auth })
}
