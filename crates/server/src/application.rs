//! `Application`: builds every service of the process, binds their ports, and runs them with
//! the outbox relay and the expiry sweeper until stopped.

use anyhow::Context;
use axum::Router;
use axum::http::HeaderValue;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use api::{Auth, EdgeConfig, IdempotencyStore, JwtKeys, RateLimits, RateRule, Role, health_router};
use axum::http::Method;
use catalog::{CatalogQueries, CatalogService};
use fulfillment::{FulfillmentService, FulfillmentSubscriber, TicketSigner};
use identity::IdentityService;
use inventory::{HoldSettings, InventoryQueries, InventoryService, InventorySubscriber};
use kernel::{Clock, SystemClock};
use notification::{Mailer, NotificationService, NotificationSubscriber};
use ordering::{OrderingPorts, OrderingQueries, OrderingService, OrderingSubscriber};
use outbox::{Database, Relay, RelayHandle};
use payment::{PaymentQueries, PaymentService, SimulatedProcessor};

use crate::adapters::{
    AvailabilityFromInventory, DirectoryFromCatalog, DocumentsFromFulfillment, EventsFromCatalog,
    HoldsForPayment, HoldsFromInventory, LedgerFromPayment, OrdersForPayment, PricesFromCatalog,
};
use crate::config::ServeArgs;
use crate::secrets;
use crate::state::AppState;

/// The original's documented administrator, created in demo mode only.
const DEMO_ADMIN: (&str, &str) = ("admin@ticketing.com", "Admin123!");

/// Every service of one process, bound and ready to run.
pub struct Application {
    listeners: Vec<(&'static str, TcpListener, api::EdgeService)>,
    ports: BTreeMap<&'static str, u16>,
    relay: Relay,
    inventory: Arc<InventoryService>,
    notification: Arc<NotificationService>,
    db: Database,
    shutdown: watch::Sender<bool>,
}

/// Stops a running [`Application`].
#[derive(Debug, Clone)]
pub struct ShutdownHandle(watch::Sender<bool>);

impl ShutdownHandle {
    /// Asks the application to stop (in-flight requests finish first).
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// Opens the database in `data_dir` and applies pending migrations.
///
/// # Errors
/// When the directory, the database or a migration fails.
pub async fn migrate(data_dir: &Path) -> anyhow::Result<Database> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let db = Database::open_in_dir(data_dir).await?;
    sqlx::migrate!("../../migrations/sqlite")
        .run(db.writer())
        .await
        .context("migration failed")?;
    Ok(db)
}

/// `boxoffice admin create`: an administrator (or door staff) account; returns whether it was
/// created (false when the e-mail exists).
///
/// # Errors
/// When the database fails or the e-mail or password is invalid.
pub async fn create_account(args: &crate::CreateAdminArgs) -> anyhow::Result<bool> {
    let db = migrate(&args.storage.data_dir).await?;
    let mut serve = ServeArgs::ephemeral(&args.storage.data_dir);
    serve.jwt_secret = None;
    let identity = IdentityService::new(db.clone(), Arc::new(SystemClock), jwt_keys(&serve)?)?;
    let role = if args.staff { Role::Staff } else { Role::Admin };
    let created = identity
        .ensure_user(&args.email, &args.password, role)
        .await?;
    db.close().await;
    Ok(created)
}

/// Installs the log subscriber: human-readable, filtered by `RUST_LOG` (default `info`).
pub fn telemetry() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let installed = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    if installed.is_err() {
        tracing::debug!("a log subscriber was already installed");
    }
}

impl Application {
    /// Builds the services, loads the demo catalogue on first start and binds every port.
    ///
    /// # Errors
    /// When the database cannot be prepared or a port cannot be bound.
    pub async fn build(args: &ServeArgs) -> anyhow::Result<Self> {
        Self::build_with_clock(args, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`], with time read from `clock` (tests move it by hand).
    ///
    /// # Errors
    /// When the database cannot be prepared or a port cannot be bound.
    pub async fn build_with_clock(args: &ServeArgs, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let db = migrate(&args.storage.data_dir).await?;
        let relay_handle = RelayHandle::default();
        let state = services(&db, &clock, &relay_handle, args)?;
        let mut relay = Relay::new(db.clone(), clock.clone(), relay_handle);
        relay.subscribe(Arc::new(InventorySubscriber::new(state.inventory.clone())));
        relay.subscribe(Arc::new(OrderingSubscriber::new(state.ordering.clone())));
        relay.subscribe(Arc::new(FulfillmentSubscriber::new(
            state.fulfillment.clone(),
        )));
        relay.subscribe(Arc::new(NotificationSubscriber::new(
            state.notification.clone(),
        )));

        if !args.no_demo {
            if catalog::load_demo_catalogue(&state.catalog).await? {
                tracing::info!(
                    "loaded the demo catalogue (SPEC §9); start with --no-demo to skip it"
                );
            }
            state
                .identity
                .ensure_user(DEMO_ADMIN.0, DEMO_ADMIN.1, Role::Admin)
                .await?;
            tracing::warn!(
                "DEMO MODE: administrator {} with the original's documented password {} exists; \
                 never run demo mode in production (--no-demo, --require-auth, boxoffice admin create)",
                DEMO_ADMIN.0,
                DEMO_ADMIN.1
            );
        }
        relay
            .drain()
            .await
            .context("delivering pending events at start-up")?;

        let edge = EdgeConfig {
            cors_origins: args
                .cors_origin
                .iter()
                .map(|o| {
                    HeaderValue::from_str(o).with_context(|| format!("invalid CORS origin {o:?}"))
                })
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
            ]),
        };
        let mut listeners = Vec::new();
        let mut ports = BTreeMap::new();
        for (name, port, router) in routers(&state, &db, args)? {
            let listener = TcpListener::bind((args.bind.as_str(), port))
                .await
                .with_context(|| format!("cannot listen on {}:{port} for {name}", args.bind))?;
            ports.insert(name, listener.local_addr()?.port());
            listeners.push((name, listener, api::finish(router, &edge)));
        }
        if let Some(path) = &args.ports_file {
            std::fs::write(path, serde_json::to_vec(&ports)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let (shutdown, _) = watch::channel(false);
        Ok(Self {
            listeners,
            ports,
            relay,
            inventory: state.inventory,
            notification: state.notification,
            db,
            shutdown,
        })
    }

    /// The port each service listens on, by service name (`catalog`, …, `gateway`).
    pub fn ports(&self) -> &BTreeMap<&'static str, u16> {
        &self.ports
    }

    /// A handle that stops the application.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.shutdown.clone())
    }

    /// Serves every port, relays events and expires holds until SIGINT, SIGTERM or
    /// [`ShutdownHandle::stop`].
    ///
    /// # Errors
    /// When a server fails.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        for (name, port) in &self.ports {
            tracing::info!(service = name, port, "listening on http://127.0.0.1:{port}");
        }
        let signal_tx = self.shutdown.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            signal_tx.send_replace(true);
        });
        let mut tasks = tokio::task::JoinSet::new();
        for (name, listener, service) in self.listeners {
            let mut stop = self.shutdown.subscribe();
            tasks.spawn(async move {
                axum::serve(
                    listener,
                    axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<std::net::SocketAddr>(service),
                )
                .with_graceful_shutdown(async move {
                    let _stopped = stop.wait_for(|s| *s).await;
                })
                .await
                .with_context(|| format!("{name} server failed"))
            });
        }
        tasks.spawn(sweep_holds(
            self.inventory,
            self.db.clone(),
            self.shutdown.subscribe(),
        ));
        tasks.spawn(send_mail(self.notification, self.shutdown.subscribe()));
        let relay_stop = self.shutdown.subscribe();
        tasks.spawn(async move {
            self.relay.run(relay_stop).await;
            Ok(())
        });
        let mut outcome = Ok(());
        while let Some(joined) = tasks.join_next().await {
            let result = joined.context("a task panicked").and_then(|r| r);
            if let Err(e) = result {
                tracing::error!(error = %format!("{e:#}"), "stopping");
                self.shutdown.send_replace(true);
                outcome = Err(e);
            }
        }
        self.db.close().await;
        outcome
    }
}

fn services(
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
    let inventory = Arc::new(InventoryService::new(
        db.clone(),
        clock.clone(),
        Arc::new(DirectoryFromCatalog(catalog_queries.clone())),
        relay.clone(),
        HoldSettings {
            hold_duration,
            max_holds_per_customer: args.hold_limit,
        },
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
fn routers(
    state: &AppState,
    db: &Database,
    args: &ServeArgs,
) -> anyhow::Result<Vec<(&'static str, u16, Router)>> {
    let openapi = crate::openapi::router()?;
    let services: [(&'static str, u16, Router<AppState>); 7] = [
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
    ];
    let gateway = services.iter().fold(Router::new(), |all, (_, _, router)| {
        all.merge(router.clone())
    });
    let routes = services
        .into_iter()
        .chain([("gateway", args.gateway_port, gateway.merge(openapi))])
        .map(|(name, port, router)| {
            let router = router
                .merge(health_router(name, db.clone()))
                .with_state(state.clone());
            (name, port, router)
        })
        .collect::<Vec<_>>();
    Ok(routes)
}

/// Expires lapsed holds every second (SPEC §4: `reservation-expired` within 5 s) and purges
/// old idempotency keys every hour.
async fn sweep_holds(
    inventory: Arc<InventoryService>,
    db: Database,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
        if let Err(e) = inventory.sweep_expired().await {
            tracing::error!(error = %e, "hold expiry sweep failed; retrying");
        }
        ticks += 1;
        if ticks % 3600 == 1
            && let Err(e) = api::purge_expired_keys(&db).await
        {
            tracing::error!(error = %e, "idempotency key purge failed");
        }
    }
}

/// Delivers stored e-mail as soon as it is stored, and retries failures when they are due.
async fn send_mail(
    notification: Arc<NotificationService>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    loop {
        if let Err(e) = notification.deliver_due().await {
            tracing::error!(error = %e, "e-mail delivery round failed; retrying");
        }
        tokio::select! {
            () = notification.wait_for_work(Duration::from_secs(1)) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
