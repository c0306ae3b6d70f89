//! Wiring: which service gets which adapter, and which routes listen on which port.

use axum::Router;
use std::sync::Arc;

use anyhow::Context;
use api::{Auth, EdgeConfig, IdempotencyStore, JwtKeys, RateLimits, RateRule, health_router};
use axum::http::{HeaderValue, Method};
use catalog::{CatalogQueries, CatalogService};
use fulfillment::FulfillmentSubscriber;
use fulfillment::{FulfillmentService, TicketSigner};
use identity::IdentityService;
use inventory::InventorySubscriber;
use inventory::{HoldSettings, InventoryQueries, InventoryService};
use kernel::Clock;
use notification::NotificationSubscriber;
use notification::{Mailer, NotificationService};
use ordering::OrderingSubscriber;
use ordering::{OrderingPorts, OrderingQueries, OrderingService};
use outbox::{Database, RelayHandle, Subscriber};
use payment::{PaymentQueries, PaymentService, SimulatedProcessor};
use std::time::Duration;

use waitlist::{Succession, WaitlistService, WaitlistSettings};

use crate::adapters::{
    AvailabilityFromInventory, DirectoryFromCatalog, DocumentsFromFulfillment, EventsForWaitlist,
    EventsFromCatalog, HoldsForOffers, HoldsForPayment, HoldsFromInventory, LedgerFromPayment,
    OrdersForOffers, OrdersForPayment, PricesFromCatalog, SuccessionFromWaitlist,
    TokensFromIdentity,
};
use crate::config::ServeArgs;
use crate::secrets;
use crate::state::AppState;

/// Builds every service of the process with in-process adapters for their ports.
pub(crate) fn services(
    db: &Database,
    clock: &Arc<dyn Clock>,
    relay: &RelayHandle,
    args: &ServeArgs,
) -> anyhow::Result<AppState> {
    let inventory_queries = InventoryQueries::new(db.clone(), clock.clone());
    let catalog_queries = CatalogQueries::new(db.clone());
    let hold_duration = match args.hold_seconds {
        Some(secs) => chrono::Duration::seconds(i64::from(secs)),
        None => chrono::Duration::minutes(i64::from(args.hold_minutes)),
    };
    let catalog = Arc::new(CatalogService::new(
        db.clone(),
        clock.clone(),
        Arc::new(AvailabilityFromInventory(inventory_queries.clone())),
        relay.clone(),
    ));
    let waitlist_settings = WaitlistSettings {
        offer_duration: match args.offer_seconds {
            Some(secs) => chrono::Duration::seconds(i64::from(secs)),
            None => chrono::Duration::minutes(i64::from(args.offer_minutes)),
        },
        public_url: args
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://localhost:{}", args.gateway_port)),
    };
    let succession = Succession::new(
        Arc::new(TokensFromIdentity),
        Arc::new(OrdersForOffers),
        waitlist_settings,
    );
    let inventory = Arc::new(
        InventoryService::new(
            db.clone(),
            clock.clone(),
            Arc::new(DirectoryFromCatalog(catalog_queries.clone())),
            relay.clone(),
            HoldSettings {
                hold_duration,
                max_holds_per_customer: args.hold_limit,
            },
        )
        .with_succession(Arc::new(SuccessionFromWaitlist(Arc::new(succession)))),
    );
    let waitlist = Arc::new(WaitlistService::new(
        db.clone(),
        clock.clone(),
        Arc::new(EventsForWaitlist {
            catalog: catalog.clone(),
            clock: clock.clone(),
        }),
        Arc::new(HoldsForOffers(inventory.clone())),
        relay.clone(),
    ));
    let ordering_ports = OrderingPorts {
        holds: Arc::new(HoldsFromInventory(inventory_queries.clone())),
        prices: Arc::new(PricesFromCatalog(catalog_queries.clone())),
        payments: Arc::new(LedgerFromPayment(PaymentQueries::new(db.clone()))),
    };
    let ordering = Arc::new(OrderingService::new(
        db.clone(),
        clock.clone(),
        ordering_ports,
        relay.clone(),
    ));
    let payment = Arc::new(PaymentService::new(
        db.clone(),
        clock.clone(),
        Arc::new(OrdersForPayment(OrderingQueries::new(db.clone()))),
        Arc::new(HoldsForPayment(inventory_queries)),
        Arc::new(SimulatedProcessor),
        relay.clone(),
    ));
    let signer = TicketSigner::from_secret(secrets::load_or_create(
        &args.storage.data_dir.join("ticket-signing.key"),
    )?);
    let fulfillment = Arc::new(FulfillmentService::new(
        db.clone(),
        clock.clone(),
        signer,
        Arc::new(EventsFromCatalog(catalog_queries)),
        relay.clone(),
    ));
    let mailer = Mailer::new(args.smtp_url.as_deref(), args.storage.data_dir.join("mail"))?;
    let notification = Arc::new(NotificationService::new(
        db.clone(),
        clock.clone(),
        mailer,
        Arc::new(DocumentsFromFulfillment(fulfillment.clone())),
    ));
    let keys = jwt_keys(args)?;
    let identity = Arc::new(IdentityService::new(
        db.clone(),
        clock.clone(),
        keys.clone(),
    )?);
    let auth = Auth::new(keys, identity.clone(), args.require_auth);
    Ok(AppState {
        catalog,
        inventory,
        ordering,
        payment,
        fulfillment,
        notification,
        identity,
        waitlist,
        auth,
    })
}

/// The JWT keys: from `--jwt-secret`, or a secret generated once in the data directory.
pub(crate) fn jwt_keys(args: &ServeArgs) -> anyhow::Result<JwtKeys> {
    match &args.jwt_secret {
        Some(secret) => Ok(JwtKeys::from_secret(secret.as_bytes())),
        None => {
            let secret: [u8; 32] =
                secrets::load_or_create(&args.storage.data_dir.join("jwt-secret"))?;
            Ok(JwtKeys::from_secret(&secret))
        }
    }
}

/// One router per service port, plus the gateway serving all of them.
pub(crate) fn routers(
    state: &AppState,
    db: &Database,
    args: &ServeArgs,
) -> anyhow::Result<Vec<(&'static str, u16, Router)>> {
    let openapi = crate::openapi::router()?;
    let services: [(&'static str, u16, Router<AppState>); 8] = [
        ("identity", args.identity_port, identity::router()),
        ("catalog", args.catalog_port, catalog::router()),
        ("inventory", args.inventory_port, inventory::router()),
        ("ordering", args.ordering_port, ordering::router()),
        ("payment", args.payment_port, payment::router()),
        ("fulfillment", args.fulfillment_port, fulfillment::router()),
        (
            "notification",
            args.notification_port,
            notification::router(),
        ),
        ("waitlist", args.waitlist_port, waitlist::router()),
    ];
    let gateway = services.iter().fold(Router::new(), |all, (_, _, router)| {
        all.merge(router.clone())
    });
    let routes = services
        .into_iter()
        .chain([(
            "gateway",
            args.gateway_port,
            gateway.merge(openapi).merge(web::router()),
        )])
        .map(|(name, port, router)| {
            let router = router
                .merge(health_router(name, db.clone()))
                .with_state(state.clone());
            (name, port, router)
        })
        .collect::<Vec<_>>();
    Ok(routes)
}

/// Every event consumer, with the service it belongs to.
pub(crate) fn subscribers(state: &AppState) -> [(&'static str, Arc<dyn Subscriber>); 5] {
    [
        (
            "inventory",
            Arc::new(InventorySubscriber::new(state.inventory.clone())),
        ),
        (
            "ordering",
            Arc::new(OrderingSubscriber::new(state.ordering.clone())),
        ),
        (
            "waitlist",
            Arc::new(waitlist::WaitlistSubscriber::new(state.waitlist.clone())),
        ),
        (
            "fulfillment",
            Arc::new(FulfillmentSubscriber::new(state.fulfillment.clone())),
        ),
        (
            "notification",
            Arc::new(NotificationSubscriber::new(state.notification.clone())),
        ),
    ]
}

/// The HTTP edge: CORS, timeout, idempotency keys and per-address rate limits.
pub(crate) fn edge_config(args: &ServeArgs, db: &Database) -> anyhow::Result<EdgeConfig> {
    Ok(EdgeConfig {
        cors_origins: args
            .cors_origin
            .iter()
            .map(|o| HeaderValue::from_str(o).with_context(|| format!("invalid CORS origin {o:?}")))
            .collect::<anyhow::Result<_>>()?,
        request_timeout: Duration::from_secs(args.request_timeout_secs),
        idempotency: IdempotencyStore::new(db.clone()),
        rate_limits: RateLimits::new(vec![
            RateRule {
                method: Method::POST,
                path: "/reservations",
                per_second: args.hold_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/token",
                per_second: args.login_rate_limit,
            },
            // The web UI's doors to the same actions.
            RateRule {
                method: Method::POST,
                path: "/ui/events/*/hold",
                per_second: args.hold_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/ui/signin",
                per_second: args.login_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/ui/register",
                per_second: args.login_rate_limit,
            },
        ]),
    })
}
