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
use outbox::{RelayHandle, Subscriber};
use payment::{PaymentPorts, PaymentQueries, PaymentService};
use std::time::Duration;
use storage::Database;

use waitlist::{Succession, WaitlistService, WaitlistSettings};

use crate::adapters::{
    AvailabilityFromInventory, BoxOfficeOfInventoryAndPayment, CartHoldsOfInventory,
    DirectoryFromCatalog, EventsForWaitlist, EventsFromCatalog, HoldsForOffers, HoldsForPayment,
    HoldsFromInventory, LedgerFromPayment, OrdersForOffers, OrdersForPayment,
    PaidHoldsFromInventory, PaymentsOfHold, PricesFromCatalog, SuccessionFromWaitlist,
    TicketsOfFulfillment, TicketsVoidedByRefund, TokensFromIdentity,
};
use crate::config::ServeArgs;
use crate::internal::LocalPorts;
use crate::remote::{
    PeerClient, RemoteCatalog, RemoteFulfillment, RemoteIdentity, RemoteInventory, RemoteOrdering,
    RemotePayment,
};
use crate::secrets;
use crate::state::AppState;

/// The other processes' services this one asks over HTTP: one client per service that has a
/// URL (`--<service>-url`) and does not run here. Without a URL, a port reads the owner's
/// tables in the shared database instead.
#[derive(Default)]
struct Peers {
    identity: Option<Arc<RemoteIdentity>>,
    catalog: Option<Arc<RemoteCatalog>>,
    inventory: Option<Arc<RemoteInventory>>,
    ordering: Option<Arc<RemoteOrdering>>,
    payment: Option<Arc<RemotePayment>>,
    fulfillment: Option<Arc<RemoteFulfillment>>,
}

impl Peers {
    fn new(args: &ServeArgs, keys: &JwtKeys) -> anyhow::Result<Self> {
        let caller = args.services.join(",");
        let timeout = Duration::from_millis(args.peer_timeout_ms);
        let mut clients = Vec::new();
        for (service, urls) in args.peer_urls() {
            if urls.is_empty() || args.runs(service) {
                continue;
            }
            tracing::info!(peer = service, urls = ?urls, "asking {service} over HTTP");
            clients.push(PeerClient::new(
                service,
                urls,
                timeout,
                keys.clone(),
                caller.clone(),
            )?);
        }
        let mut peers = Self::default();
        for client in clients {
            match client.service() {
                "identity" => peers.identity = Some(Arc::new(RemoteIdentity(client))),
                "catalog" => peers.catalog = Some(Arc::new(RemoteCatalog(client))),
                "inventory" => peers.inventory = Some(Arc::new(RemoteInventory(client))),
                "ordering" => peers.ordering = Some(Arc::new(RemoteOrdering(client))),
                "payment" => peers.payment = Some(Arc::new(RemotePayment(client))),
                _ => peers.fulfillment = Some(Arc::new(RemoteFulfillment(client))),
            }
        }
        Ok(peers)
    }
}

/// A port answered by another process: `Some` when the service that owns the port's data
/// runs elsewhere and has a URL.
trait Remote<P: ?Sized> {
    fn remote(&self) -> Option<Arc<P>>;
}

/// Which service owns each port's answers: the table [`Remote`] is implemented from.
macro_rules! owners {
    ($($port:path => $owner:ident),* $(,)?) => {
        $(impl Remote<dyn $port> for Peers {
            fn remote(&self) -> Option<Arc<dyn $port>> {
                self.$owner.clone().map(|p| p as Arc<dyn $port>)
            }
        })*
    };
}

owners! {
    catalog::SeatAvailability => inventory,
    ordering::Holds => inventory,
    payment::HoldsOfOrder => inventory,
    inventory::SeatDirectory => catalog,
    ordering::SeatPrices => catalog,
    fulfillment::EventDetails => catalog,
    waitlist::EventFacts => catalog,
    payment::PayableOrders => ordering,
    ordering::PaymentLedger => payment,
    notification::TicketDocuments => fulfillment,
    ordering::TicketOrders => fulfillment,
    api::GuestTokens => identity,
    api::Accounts => identity,
}

impl Peers {
    /// The port `local` answers here, unless its owner runs in another process.
    fn port<P: ?Sized>(&self, local: &Arc<P>) -> Arc<P>
    where
        Self: Remote<P>,
    {
        self.remote().unwrap_or_else(|| local.clone())
    }
}

/// Builds every service of the process, each port plugged into the in-process adapter or, in a
/// split deployment with a URL for its owner, the HTTP one ([`owners!`]). Services come in the
/// order their ports need them: a port answered by a service here is built after it.
pub(crate) fn services(
    db: &Database,
    clock: &Arc<dyn Clock>,
    relay: &RelayHandle,
    args: &ServeArgs,
) -> anyhow::Result<AppState> {
    let keys = jwt_keys(args)?;
    let peers = Peers::new(args, &keys)?;
    let (inventory_q, catalog_q) = (
        InventoryQueries::new(db.clone(), clock.clone()),
        CatalogQueries::new(db.clone()),
    );
    let (ordering_q, payment_q) = (
        OrderingQueries::new(db.clone()),
        PaymentQueries::new(db.clone()),
    );

    // The in-process answer of every port (crate::adapters), also served to peers
    // (crate::internal); the three that wrap a service follow it below.
    let availability: Arc<dyn catalog::SeatAvailability> =
        Arc::new(AvailabilityFromInventory(inventory_q.clone()));
    let holds: Arc<dyn ordering::Holds> = Arc::new(HoldsFromInventory(inventory_q.clone()));
    let holds_of_order: Arc<dyn payment::HoldsOfOrder> = Arc::new(HoldsForPayment(inventory_q));
    let directory: Arc<dyn inventory::SeatDirectory> =
        Arc::new(DirectoryFromCatalog(catalog_q.clone()));
    let prices: Arc<dyn ordering::SeatPrices> = Arc::new(PricesFromCatalog(catalog_q.clone()));
    let event_details: Arc<dyn fulfillment::EventDetails> = Arc::new(EventsFromCatalog(catalog_q));
    let payable: Arc<dyn payment::PayableOrders> = Arc::new(OrdersForPayment(ordering_q.clone()));
    let ledger: Arc<dyn ordering::PaymentLedger> = Arc::new(LedgerFromPayment(payment_q.clone()));

    let identity = Arc::new(IdentityService::new(
        db.clone(),
        clock.clone(),
        keys.clone(),
    )?);
    let guest_tokens: Arc<dyn api::GuestTokens> = identity.clone();
    let accounts: Arc<dyn api::Accounts> = identity.clone();
    let catalog = Arc::new(CatalogService::new(
        db.clone(),
        clock.clone(),
        peers.port(&availability),
        relay.clone(),
    ));
    let waitlist_events: Arc<dyn waitlist::EventFacts> = Arc::new(EventsForWaitlist {
        catalog: catalog.clone(),
        clock: clock.clone(),
    });
    let signer = TicketSigner::from_secret(secrets::load_or_create(
        &args.storage.data_dir.join("ticket-signing.key"),
    )?);
    let fulfillment = Arc::new(FulfillmentService::new(
        db.clone(),
        clock.clone(),
        signer,
        peers.port(&event_details),
        relay.clone(),
    ));
    let documents: Arc<dyn notification::TicketDocuments> =
        Arc::new(TicketsOfFulfillment(fulfillment.clone()));
    let ticket_orders: Arc<dyn ordering::TicketOrders> =
        Arc::new(TicketsOfFulfillment(fulfillment.clone()));
    // The waitlist's hand-over runs inside inventory's transaction: always in this process.
    let succession = Succession::new(
        Arc::new(TokensFromIdentity),
        Arc::new(OrdersForOffers),
        waitlist_settings(args),
    );
    let inventory = Arc::new(
        InventoryService::new(
            db.clone(),
            clock.clone(),
            peers.port(&directory),
            relay.clone(),
            hold_settings(args),
        )
        .with_succession(Arc::new(SuccessionFromWaitlist(Arc::new(succession))))
        .with_payments(Arc::new(PaymentsOfHold {
            orders: ordering_q,
            payments: payment_q,
        })),
    );
    let waitlist = Arc::new(WaitlistService::new(
        db.clone(),
        clock.clone(),
        peers.port(&waitlist_events),
        Arc::new(HoldsForOffers(inventory.clone())),
        relay.clone(),
    ));
    let ordering = Arc::new(OrderingService::new(
        db.clone(),
        clock.clone(),
        OrderingPorts {
            holds: peers.port(&holds),
            prices: peers.port(&prices),
            payments: peers.port(&ledger),
            // Written inside ordering's own transaction: always in this process.
            box_office: Arc::new(BoxOfficeOfInventoryAndPayment(inventory.clone())),
            cart_holds: Arc::new(CartHoldsOfInventory),
            tickets: peers.port(&ticket_orders),
        },
        relay.clone(),
    ));
    let payment = Arc::new(PaymentService::new(
        db.clone(),
        clock.clone(),
        PaymentPorts {
            orders: peers.port(&payable),
            holds: peers.port(&holds_of_order),
            // Confirmed inside the payment's own transaction: always in this process.
            paid_holds: Arc::new(PaidHoldsFromInventory),
            provider: crate::fault::payment_provider(),
            // Voided inside the refund's own transaction: always in this process.
            tickets: Arc::new(TicketsVoidedByRefund),
        },
        relay.clone(),
    ));
    let mailer = Mailer::new(args.smtp_url.as_deref(), args.storage.data_dir.join("mail"))?;
    let notification = Arc::new(
        NotificationService::new(db.clone(), clock.clone(), mailer, peers.port(&documents))
            .with_public_url(&public_url(args)),
    );
    let auth = Auth::new(
        keys,
        peers.port(&guest_tokens),
        peers.port(&accounts),
        args.require_auth,
    );
    let local_ports = Arc::new(LocalPorts {
        availability,
        holds,
        holds_of_order,
        directory,
        prices,
        event_details,
        waitlist_events,
        payable,
        ledger,
        documents,
        ticket_orders,
        guest_tokens,
        accounts,
    });
    Ok(AppState::new(crate::state::Services {
        catalog,
        inventory,
        ordering,
        payment,
        fulfillment,
        notification,
        identity,
        waitlist,
        auth,
        local_ports,
        outbox: outbox::Operator::new(db.clone()),
    }))
}

/// How long a hold lasts, and how many a buyer may have.
fn hold_settings(args: &ServeArgs) -> HoldSettings {
    HoldSettings {
        hold_duration: match args.hold_seconds {
            Some(secs) => chrono::Duration::seconds(i64::from(secs)),
            None => chrono::Duration::minutes(i64::from(args.hold_minutes)),
        },
        max_holds_per_customer: args.hold_limit,
    }
}

/// How long a waitlist offer lasts, and where its e-mail links to.
fn waitlist_settings(args: &ServeArgs) -> WaitlistSettings {
    WaitlistSettings {
        offer_duration: match args.offer_seconds {
            Some(secs) => chrono::Duration::seconds(i64::from(secs)),
            None => chrono::Duration::minutes(i64::from(args.offer_minutes)),
        },
        public_url: public_url(args),
    }
}

/// Where people reach the gateway, for links in e-mails.
fn public_url(args: &ServeArgs) -> String {
    args.public_url
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{}", args.gateway_port))
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
    relay: &RelayHandle,
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
            gateway
                .merge(openapi)
                .merge(crate::metrics::router())
                .merge(crate::operator::router(
                    state.outbox.clone(),
                    state.auth.clone(),
                ))
                .merge(web::dossier::router())
                .merge(web::router()),
        )])
        .map(|(name, port, router)| {
            let router = router
                .merge(health_router(name, db.clone(), relay.clone()))
                .with_state(state.clone())
                .merge(crate::internal::router(
                    name,
                    state.local_ports.clone(),
                    state.auth.clone(),
                ));
            (name, port, router)
        })
        .collect::<Vec<_>>();
    Ok(routes)
}

/// Every event consumer, with the service it belongs to.
pub(crate) fn subscribers(state: &AppState) -> [(&'static str, Arc<dyn Subscriber>); 5] {
    let subscribers: [(&'static str, Arc<dyn Subscriber>); 5] = [
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
    ];
    subscribers.map(|(service, subscriber)| (service, crate::fault::subscriber(subscriber)))
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
        idempotency: IdempotencyStore::new(
            db.clone(),
            Duration::from_secs(args.request_timeout_secs),
        ),
        rate_limits: RateLimits::new(vec![
            RateRule {
                method: Method::POST,
                path: "/reservations",
                per_second: args.hold_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/reservations/best-available",
                per_second: args.hold_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/token",
                per_second: args.login_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/users",
                per_second: args.signup_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/guest-tokens",
                per_second: args.signup_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/ui/register",
                per_second: args.signup_rate_limit,
            },
            // The web UI's doors to the same actions.
            RateRule {
                method: Method::POST,
                path: "/ui/events/*/hold",
                per_second: args.hold_rate_limit,
            },
            RateRule {
                method: Method::POST,
                path: "/ui/events/*/best",
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
