//! `Application`: builds every service of the process, binds their ports, and runs them with
//! the outbox relay and the expiry sweeper until stopped.

use crate::Background;
use anyhow::Context;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use api::Role;
use identity::IdentityService;
use inventory::InventoryService;
use kernel::{Clock, SystemClock};
use notification::NotificationService;
use outbox::{CursorConsumer, DeploymentRush, KafkaPublisher, Relay, RelayHandle, RushPolicy};
use storage::Database;

use crate::background::{keep_metrics, send_mail, settle_payments, sweep_holds, wait_for_signal};
use crate::config::{ServeArgs, StorageArgs};
use crate::wiring::{edge_config, jwt_keys, routers, services, subscribers};

/// Requests in flight from which the server counts as in a rush (its tickets and e-mails then
/// wait, `--rush-ticket-delay-secs`). A browsing crowd keeps a handful in flight; a queue of
/// this length means requests are waiting for the cores.
const RUSH_IN_FLIGHT: usize = 16;

/// The longest start-up waits for a Kafka broker's first answer.
const KAFKA_FIRST_ANSWER: Duration = Duration::from_secs(10);

/// The original's documented administrator, created in demo mode only.
const DEMO_ADMIN: (&str, &str) = ("admin@ticketing.com", "Admin123!");

/// Every service of one process, bound and ready to run.
pub struct Application {
    listeners: Vec<(&'static str, TcpListener, api::EdgeService)>,
    ports: BTreeMap<&'static str, u16>,
    /// The outbox relay; `None` once [`Application::take_background`] took it.
    relay: Option<Relay>,
    /// Consumers reading the outbox from their cursors (split mode).
    consumers: Vec<Arc<CursorConsumer>>,
    /// A split deployment's rush, told and read through the database.
    rush: Option<DeploymentRush>,
    /// The expiry sweeper, when this process runs inventory.
    inventory: Option<Arc<InventoryService>>,
    /// The e-mail sender, when this process runs notification.
    notification: Option<Arc<NotificationService>>,
    /// The payment service with when this process started (a process running every service
    /// settles all payments claimed before then) and the request timeout (any older claim).
    payment: Option<(
        Arc<payment::PaymentService>,
        Option<chrono::DateTime<chrono::Utc>>,
        Duration,
    )>,
    /// How long a connection may stay without a request in progress.
    header_timeout: Duration,
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

/// Opens the database (PostgreSQL at `--database-url`, else SQLite in the data directory) and
/// applies pending migrations.
///
/// # Errors
/// When the directory, the database or a migration fails.
pub async fn migrate(storage: &StorageArgs) -> anyhow::Result<Database> {
    let data_dir = &storage.data_dir;
    let unusable = |e: std::io::Error| {
        anyhow::anyhow!(
            "the data directory {} cannot be created or written ({e}); choose another with \
             --data-dir (BOXOFFICE_DATA_DIR, data-dir in boxoffice.toml)",
            data_dir.display()
        )
    };
    std::fs::create_dir_all(data_dir).map_err(unusable)?;
    // The keys and the mail folder are written here whatever the database.
    tempfile::tempfile_in(data_dir).map_err(unusable)?;
    let db = match &storage.database_url {
        Some(url) => Database::open_postgres(url, storage.database_connections)
            .await
            .map_err(|e| {
                // sqlx's error repeats its own cause, so only the first level is shown.
                let cause = std::error::Error::source(&e).map(ToString::to_string);
                anyhow::anyhow!(
                    "{e} ({}); check that PostgreSQL runs there and lets this user in, or \
                     correct --database-url (BOXOFFICE_DATABASE_URL, database-url in \
                     boxoffice.toml)",
                    cause.unwrap_or_default()
                )
            })?,
        None => Database::open_in_dir(data_dir).await?,
    };
    db.migrate().await.context("migration failed")?;
    Ok(db)
}

/// `boxoffice admin create`: an administrator (or door staff) account; returns whether it was
/// created (false when the e-mail exists).
///
/// # Errors
/// When the database fails or the e-mail or password is invalid.
pub async fn create_account(args: &crate::CreateAdminArgs) -> anyhow::Result<bool> {
    let db = migrate(&args.storage).await?;
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
        // Before anything is recorded: metrics recorded without a recorder are lost.
        let _recorder = crate::metrics::handle();
        let db = migrate(&args.storage).await?;
        let relay_handle = RelayHandle::default();
        // A split deployment's consumers read messages by the positions given at commit.
        storage::position_at_commit(&db, args.is_split()).await?;
        let state = services(&db, &clock, &relay_handle, args)?;
        let mut relay = Relay::new(db.clone(), clock.clone(), relay_handle.clone());
        let locally_busy: Arc<dyn Fn() -> bool + Send + Sync> =
            Arc::new(|| api::requests_in_flight() >= RUSH_IN_FLIGHT);
        // Split: the processes serving buyers tell the one issuing tickets of a rush.
        let rush = (args.is_split() && args.rush_ticket_delay_secs > 0)
            .then(|| DeploymentRush::new(db.clone(), locally_busy.clone()));
        let rush_policy = (args.rush_ticket_delay_secs > 0).then(|| RushPolicy {
            busy: rush.as_ref().map_or(locally_busy, DeploymentRush::signal),
            max_wait: Duration::from_secs(u64::from(args.rush_ticket_delay_secs)),
        });
        let mut consumers = Vec::new();
        for (service, subscriber) in subscribers(&state) {
            match (args.is_split(), args.runs(service)) {
                // One process: events go straight from the outbox to every consumer.
                (false, _) => relay.subscribe(subscriber),
                // Split: this process's services read the outbox from their cursors.
                (true, true) => {
                    let waits = subscriber.waits_in_rush();
                    let mut consumer = CursorConsumer::new(
                        db.clone(),
                        clock.clone(),
                        subscriber,
                        relay_handle.consumers().clone(),
                    );
                    if let Some(policy) = rush_policy.clone().filter(|_| waits) {
                        consumer.defer_in_rush(policy);
                    }
                    consumers.push(Arc::new(consumer));
                }
                (true, false) => {}
            }
        }
        if !args.is_split()
            && let Some(policy) = rush_policy
        {
            relay.defer_in_rush(policy);
        }
        if args.is_split() {
            relay.sequence_for_consumers();
        }
        if let Some(brokers) = &args.kafka_brokers {
            outbox::check_brokers(brokers, KAFKA_FIRST_ANSWER).await?;
            let publisher = Arc::new(KafkaPublisher::new(brokers)?);
            if args.is_split() {
                // One more consumer of the outbox, in whichever process holds its lock.
                consumers.push(Arc::new(CursorConsumer::to_kafka(
                    db.clone(),
                    clock.clone(),
                    publisher,
                    relay_handle.consumers().clone(),
                )));
            } else {
                relay
                    .publish_to(publisher)
                    .await
                    .with_context(|| format!("preparing the Kafka topics on {brokers}"))?;
            }
            tracing::info!(kafka.brokers = %brokers, "publishing every event to Kafka");
        }

        // In split mode the process running the catalog loads the demo (it writes the admin too:
        // every process shares the database).
        if !args.no_demo && args.runs("catalog") {
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
        // The events left from before a crash are delivered by the relay once the ports are
        // open (`/ready` answers 503 until then): after kill -9 the server answers in a moment
        // whatever the backlog. Claims of idempotency keys whose requests died with the last
        // process are dropped, so their retries run.
        if !args.is_split() {
            let forgotten = api::forget_unfinished_keys(&db).await?;
            if forgotten > 0 {
                tracing::warn!(
                    keys = forgotten,
                    "dropped the claims of idempotency keys whose requests never finished"
                );
            }
        }

        let edge = edge_config(args, &db)?;
        let mut listeners = Vec::new();
        let mut ports = BTreeMap::new();
        for (name, port, router) in routers(&state, &db, &relay_handle, args)?
            .into_iter()
            .filter(|(name, _, _)| args.runs(name))
        {
            let listener = TcpListener::bind((args.bind.as_str(), port))
                .await
                .with_context(|| {
                    format!(
                        "the {name} service cannot listen on {}:{port}; if another program holds \
                         the port, choose another with --{name}-port (BOXOFFICE_{}_PORT, \
                         {name}-port in boxoffice.toml)",
                        args.bind,
                        name.to_ascii_uppercase()
                    )
                })?;
            ports.insert(name, listener.local_addr()?.port());
            listeners.push((name, listener, api::finish(router, &edge, name)));
        }
        if let Some(path) = &args.ports_file {
            std::fs::write(path, serde_json::to_vec(&ports)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        let (shutdown, _) = watch::channel(false);
        Ok(Self {
            listeners,
            ports,
            relay: Some(relay),
            consumers,
            rush,
            inventory: args.runs("inventory").then(|| state.inventory.clone()),
            notification: args
                .runs("notification")
                .then(|| state.notification.clone()),
            payment: args.runs("payment").then(|| {
                let started = (!args.is_split()).then(|| clock.now());
                (
                    state.payment.clone(),
                    started,
                    Duration::from_secs(args.request_timeout_secs),
                )
            }),
            header_timeout: Duration::from_secs(args.header_timeout_secs),
            db,
            shutdown,
        })
    }

    /// The port each service listens on, by service name (`catalog`, …, `gateway`).
    pub fn ports(&self) -> &BTreeMap<&'static str, u16> {
        &self.ports
    }

    /// Takes the background work out of [`Application::run_until_stopped`] — relaying events,
    /// expiring holds, sending e-mail — to be done on demand ([`Background::settle`]): the
    /// in-process test harness decides when time passes and events arrive instead of waiting.
    pub fn take_background(&mut self) -> Background {
        Background::new(
            self.relay.take(),
            self.inventory.take(),
            self.notification.take(),
        )
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
        for (_name, listener, service) in self.listeners {
            let stop = self.shutdown.subscribe();
            let header_timeout = self.header_timeout;
            tasks.spawn(async move {
                crate::serve::serve(listener, service, header_timeout, stop).await;
                Ok(())
            });
        }
        tasks.spawn(keep_metrics(self.shutdown.subscribe()));
        if let Some(inventory) = self.inventory {
            tasks.spawn(sweep_holds(
                inventory,
                self.db.clone(),
                self.shutdown.subscribe(),
            ));
        }
        if let Some((payment, started, lease)) = self.payment {
            tasks.spawn(settle_payments(
                payment,
                lease,
                started,
                self.shutdown.subscribe(),
            ));
        }
        if let Some(notification) = self.notification {
            tasks.spawn(send_mail(notification, self.shutdown.subscribe()));
        }
        if let Some(rush) = self.rush {
            let stop = self.shutdown.subscribe();
            tasks.spawn(async move {
                rush.run(stop).await;
                Ok(())
            });
        }
        if !self.consumers.is_empty() {
            tasks.spawn(outbox::run_all(
                self.db.clone(),
                self.consumers,
                self.shutdown.subscribe(),
            ));
        }
        if let Some(relay) = self.relay {
            let relay_stop = self.shutdown.subscribe();
            tasks.spawn(async move {
                relay.run(relay_stop).await;
                Ok(())
            });
        }
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
