//! The web UI on the gateway (SPEC §7): server-rendered pages for buyers, administrators and
//! door staff.
//!
//! Pages live under `/ui/…` (the JSON API already owns `/events`, `/orders`, `/checkin`, …) and
//! `/` shows the event list. Handlers call the context services directly, never the JSON API
//! (STYLE §3). Templates are askama files in `templates/`, checked at compile time; the few
//! scripts and the stylesheet in `assets/` are embedded in the binary, so nothing is loaded from
//! the internet.
//!
//! Who is visiting is kept in cookies (module `session`): a signed-in person's JWT, or a guest token
//! issued by identity on a guest's first hold, plus the e-mail a guest gives at checkout.

mod assets;
mod chart;
pub mod dossier;
mod error;
mod pages;
mod qr;
mod seatmap;
mod session;
mod view;

use axum::Router;
use axum::extract::FromRef;
use std::sync::Arc;

use api::Auth;
use catalog::CatalogService;
use fulfillment::FulfillmentService;
use identity::IdentityService;
use inventory::InventoryService;
use notification::NotificationService;
use ordering::OrderingService;
use payment::PaymentService;
use waitlist::WaitlistService;

/// The services the pages use.
#[derive(Clone)]
pub struct WebState {
    /// Events and seats.
    pub catalog: Arc<CatalogService>,
    /// Holds.
    pub inventory: Arc<InventoryService>,
    /// Carts and orders.
    pub ordering: Arc<OrderingService>,
    /// Payments.
    pub payment: Arc<PaymentService>,
    /// Tickets and check-in.
    pub fulfillment: Arc<FulfillmentService>,
    /// Accounts and guest tokens.
    pub identity: Arc<IdentityService>,
    /// Waiting lists.
    pub waitlist: Arc<WaitlistService>,
    /// E-mail (what was sent about an order).
    pub notification: Arc<NotificationService>,
    /// JWT verification.
    pub auth: Auth,
    /// Event delivery as the operator sees it.
    pub outbox: outbox::Operator,
}

/// The pages, for any router state the [`WebState`] can be taken from.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    WebState: FromRef<S>,
{
    pages::routes()
        .merge(assets::routes())
        .layer(axum::middleware::from_fn(session::same_origin_posts))
        // A 5,000-seat map is ~1 MB of SVG and shrinks about tenfold.
        .layer(tower_http::compression::CompressionLayer::new())
}
