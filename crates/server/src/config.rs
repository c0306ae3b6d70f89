//! Command line and configuration: flags, then `BOXOFFICE_*` environment variables, then an
//! optional `boxoffice.toml`, then defaults (SPEC §2). Each setting of `serve` is declared once,
//! below, as a field of [`ServeArgs`]; `layers` folds the file and the environment into it.

mod layers;

use anyhow::bail;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

pub use layers::{Effective, Origin, Provenance};
pub use layers::{render_effective, render_example};

/// The services `--services` may name.
pub(crate) const SERVICES: [&str; 9] = [
    "identity",
    "catalog",
    "inventory",
    "ordering",
    "payment",
    "fulfillment",
    "notification",
    "waitlist",
    "gateway",
];

/// Boxoffice: reserved-seating ticketing.
#[derive(Debug, Parser)]
#[command(name = "boxoffice", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the services (all of them in one process by default).
    Serve(Box<ServeArgs>),
    /// Print the settings `serve` would run with, as TOML, with where each comes from.
    Config(Box<ConfigArgs>),
    /// Create or upgrade the database schema, then exit.
    Migrate(StorageArgs),
    /// Administer accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Run a flash sale against a server (one it starts, or `--target`) and report its speed.
    Bench(crate::bench::BenchArgs),
}

/// `boxoffice config`: takes every setting of `serve`, as `serve` does.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Print a commented `boxoffice.toml` listing every setting with its default instead.
    #[arg(long)]
    pub example: bool,
}

/// `boxoffice admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an administrator account (does nothing if the e-mail exists).
    Create(CreateAdminArgs),
}

/// `boxoffice admin create`.
#[derive(Debug, Clone, Args)]
pub struct CreateAdminArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// The administrator's e-mail.
    #[arg(long)]
    pub email: String,
    /// The password (8 to 128 characters); prefer the environment variable to keep it out of
    /// the shell history.
    #[arg(long, env = "BOXOFFICE_ADMIN_PASSWORD", hide_env_values = true)]
    pub password: String,
    /// Create a door-staff account instead.
    #[arg(long)]
    pub staff: bool,
}

/// Where data lives.
#[derive(Debug, Clone, Args)]
pub struct StorageArgs {
    /// Directory of the embedded database, the signing keys and the mail folder.
    #[arg(long, env = "BOXOFFICE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// A PostgreSQL database (`postgres://user:password@host:port/db`) to use instead of the
    /// embedded SQLite file; the keys and the mail folder stay in the data directory. The
    /// variable `DATABASE_URL` is read too, after this one.
    #[arg(long, env = "BOXOFFICE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Most connections to PostgreSQL per process.
    #[arg(long, env = "BOXOFFICE_DATABASE_CONNECTIONS", default_value_t = 16)]
    pub database_connections: u32,
}

impl StorageArgs {
    /// `DATABASE_URL` (SPEC §2), when neither `--database-url` nor `BOXOFFICE_DATABASE_URL` gave
    /// a database.
    fn read_database_url_variable(&mut self) {
        if self.database_url.is_none() {
            self.database_url = std::env::var(layers::DATABASE_URL_VARIABLE).ok();
        }
    }
}

/// Settings of `boxoffice serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Address to listen on.
    #[arg(long, env = "BOXOFFICE_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Port of the gateway (every route).
    #[arg(long, env = "BOXOFFICE_GATEWAY_PORT", default_value_t = 8080)]
    pub gateway_port: u16,
    /// Port of the identity service.
    #[arg(long, env = "BOXOFFICE_IDENTITY_PORT", default_value_t = 50000)]
    pub identity_port: u16,
    /// Port of the catalog service (0 picks a free one).
    #[arg(long, env = "BOXOFFICE_CATALOG_PORT", default_value_t = 50001)]
    pub catalog_port: u16,
    /// Port of the inventory service.
    #[arg(long, env = "BOXOFFICE_INVENTORY_PORT", default_value_t = 50002)]
    pub inventory_port: u16,
    /// Port of the ordering service.
    #[arg(long, env = "BOXOFFICE_ORDERING_PORT", default_value_t = 5003)]
    pub ordering_port: u16,
    /// Port of the payment service.
    #[arg(long, env = "BOXOFFICE_PAYMENT_PORT", default_value_t = 5004)]
    pub payment_port: u16,
    /// Port of the fulfillment service (tickets).
    #[arg(long, env = "BOXOFFICE_FULFILLMENT_PORT", default_value_t = 50004)]
    pub fulfillment_port: u16,
    /// Port of the notification service.
    #[arg(long, env = "BOXOFFICE_NOTIFICATION_PORT", default_value_t = 50005)]
    pub notification_port: u16,
    /// Port of the waitlist service.
    #[arg(long, env = "BOXOFFICE_WAITLIST_PORT", default_value_t = 5006)]
    pub waitlist_port: u16,
    /// The address people reach the gateway at, for links in e-mails
    /// (default `http://localhost:<gateway port>`).
    #[arg(long, env = "BOXOFFICE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Origins allowed by CORS (repeat or separate with commas).
    #[arg(
        long,
        env = "BOXOFFICE_CORS_ORIGIN",
        value_delimiter = ',',
        default_value = "http://localhost:3000"
    )]
    pub cors_origin: Vec<String>,
    /// Skip loading the demo catalogue on first start.
    #[arg(long, env = "BOXOFFICE_NO_DEMO")]
    pub no_demo: bool,
    /// Refuse buyer calls that carry neither a JWT nor a guest token from `POST /guest-tokens`
    /// (off in demo mode; turn it on in production).
    #[arg(long, env = "BOXOFFICE_REQUIRE_AUTH")]
    pub require_auth: bool,
    /// Secret for signing JWTs (at least 32 characters). Without it one is generated once and
    /// kept in `<data-dir>/jwt-secret` (owner-only permissions).
    #[arg(long, env = "BOXOFFICE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Most holds per second from one IP address (0 turns the limit off).
    #[arg(long, env = "BOXOFFICE_HOLD_RATE_LIMIT", default_value_t = 50)]
    pub hold_rate_limit: u32,
    /// Most sign-in attempts per second from one IP address (0 turns the limit off).
    #[arg(long, env = "BOXOFFICE_LOGIN_RATE_LIMIT", default_value_t = 5)]
    pub login_rate_limit: u32,
    /// Most registrations and guest tokens per second from one IP address, each (0 turns the
    /// limit off): every registration costs a password hash, every guest token a new buyer.
    #[arg(long, env = "BOXOFFICE_SIGNUP_RATE_LIMIT", default_value_t = 5)]
    pub signup_rate_limit: u32,
    /// How long a seat hold lasts, in minutes.
    #[arg(long, env = "BOXOFFICE_HOLD_MINUTES", default_value_t = 15)]
    pub hold_minutes: u32,
    /// Hold time in seconds, overriding --hold-minutes (for tests and demos of expiry).
    #[arg(long, env = "BOXOFFICE_HOLD_SECONDS")]
    pub hold_seconds: Option<u32>,
    /// Most seats one buyer may hold at once for one event.
    #[arg(long, env = "BOXOFFICE_HOLD_LIMIT", default_value_t = 6)]
    pub hold_limit: u32,
    /// How long a seat offered to someone on the waitlist is kept for them, in minutes.
    #[arg(long, env = "BOXOFFICE_OFFER_MINUTES", default_value_t = 30)]
    pub offer_minutes: u32,
    /// Offer time in seconds, overriding --offer-minutes (for tests and demos).
    #[arg(long, env = "BOXOFFICE_OFFER_SECONDS")]
    pub offer_seconds: Option<u32>,
    /// The longest tickets and their e-mails may wait while the server is in a rush (many
    /// requests at once), in seconds: the buyers of an on-sale get the cores first. 0 sends
    /// them at once, rush or not. Applies when one process runs every service.
    #[arg(long, env = "BOXOFFICE_RUSH_TICKET_DELAY_SECS", default_value_t = 30)]
    pub rush_ticket_delay_secs: u32,
    /// Longest a connection may stay without a request in progress, in seconds: an idle
    /// keep-alive connection, or a client that never finishes a request's head, is closed after
    /// it (slow or idle clients cannot hold connections).
    #[arg(long, env = "BOXOFFICE_HEADER_TIMEOUT_SECS", default_value_t = 30)]
    pub header_timeout_secs: u64,
    /// Longest a request may take, in seconds.
    #[arg(long, env = "BOXOFFICE_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// SMTP server for e-mail (`smtp://host:port`, `smtps://host:port`); without it each message
    /// is written as an `.eml` file under `<data-dir>/mail/`.
    #[arg(long, env = "BOXOFFICE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Kafka brokers (`host:port[,host:port…]`): every event is also published there, to the
    /// reference's topics, for systems outside Boxoffice (its own services never read them).
    #[arg(long, env = "BOXOFFICE_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// Run only these services (comma-separated, from identity, catalog, inventory, ordering,
    /// payment, fulfillment, notification, waitlist, gateway); the others run elsewhere on the
    /// same PostgreSQL database, and events travel through its outbox. Default: all of them.
    #[arg(long, env = "BOXOFFICE_SERVICES", value_delimiter = ',')]
    pub services: Vec<String>,
    /// Where the identity service runs when this process does not run it (split deployment):
    /// `http://host:port`, several separated by commas for replicas. Without it, guest tokens
    /// are checked in the shared database.
    #[arg(long, env = "BOXOFFICE_IDENTITY_URL", value_delimiter = ',')]
    pub identity_url: Vec<String>,
    /// Where the catalog runs (split deployment; see --identity-url).
    #[arg(long, env = "BOXOFFICE_CATALOG_URL", value_delimiter = ',')]
    pub catalog_url: Vec<String>,
    /// Where inventory runs (split deployment; see --identity-url).
    #[arg(long, env = "BOXOFFICE_INVENTORY_URL", value_delimiter = ',')]
    pub inventory_url: Vec<String>,
    /// Where ordering runs (split deployment; see --identity-url).
    #[arg(long, env = "BOXOFFICE_ORDERING_URL", value_delimiter = ',')]
    pub ordering_url: Vec<String>,
    /// Where payment runs (split deployment; see --identity-url).
    #[arg(long, env = "BOXOFFICE_PAYMENT_URL", value_delimiter = ',')]
    pub payment_url: Vec<String>,
    /// Where fulfillment runs (split deployment; see --identity-url).
    #[arg(long, env = "BOXOFFICE_FULFILLMENT_URL", value_delimiter = ',')]
    pub fulfillment_url: Vec<String>,
    /// Longest wait for another service's answer, in milliseconds, per replica tried.
    #[arg(long, env = "BOXOFFICE_PEER_TIMEOUT_MS", default_value_t = 2000)]
    pub peer_timeout_ms: u64,
    /// Write the bound ports as JSON to this file once listening (for scripts and tests).
    #[arg(long, env = "BOXOFFICE_PORTS_FILE")]
    pub ports_file: Option<PathBuf>,
    /// Configuration file read for settings not given as flags or environment variables.
    #[arg(long, env = "BOXOFFICE_CONFIG", default_value = "boxoffice.toml")]
    pub config: PathBuf,
    /// Where each setting's value came from (filled by [`Cli::load`]).
    #[arg(skip)]
    pub provenance: Provenance,
}

impl Cli {
    /// Parses the command line, the environment and the configuration file.
    ///
    /// # Errors
    /// When the configuration file is unreadable, a file key or `BOXOFFICE_*` variable is
    /// unknown, or a setting is out of range.
    pub fn load() -> anyhow::Result<Self> {
        let mut cli = layers::load()?;
        match &mut cli.command {
            Command::Serve(args) => args.validate()?,
            // `serve` and `config` read `DATABASE_URL` in `layers`, with its origin.
            Command::Migrate(storage) => storage.read_database_url_variable(),
            Command::Admin(AdminCommand::Create(args)) => {
                args.storage.read_database_url_variable();
            }
            // `config` prints the settings first, then says what is wrong with them.
            Command::Config(_) | Command::Bench(_) => {}
        }
        Ok(cli)
    }
}

impl ServeArgs {
    /// Checks ranges once, at start-up.
    ///
    /// # Errors
    /// Naming the setting that is out of range.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !self.require_auth && !is_loopback(&self.bind) {
            bail!(
                "refusing to listen on {} without --require-auth: without it the server takes each \
                 buyer's identity from the request (demo mode), so anyone who can reach it could \
                 read and cancel other buyers' orders. Add --require-auth (and --no-demo), or \
                 listen on 127.0.0.1.",
                self.bind
            );
        }
        if !(1..=1440).contains(&self.hold_minutes) {
            bail!("--hold-minutes must be between 1 and 1440");
        }
        if self.hold_seconds == Some(0) {
            bail!("--hold-seconds must be at least 1");
        }
        if !(1..=10080).contains(&self.offer_minutes) {
            bail!("--offer-minutes must be between 1 and 10080");
        }
        if self.rush_ticket_delay_secs > 3600 {
            bail!("--rush-ticket-delay-secs must be between 0 and 3600");
        }
        if self.offer_seconds == Some(0) {
            bail!("--offer-seconds must be at least 1");
        }
        if self.jwt_secret.as_ref().is_some_and(|s| s.len() < 32) {
            bail!("--jwt-secret must be at least 32 characters");
        }
        if !(1..=100).contains(&self.hold_limit) {
            bail!("--hold-limit must be between 1 and 100");
        }
        if let Some(url) = &self.storage.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            bail!(
                "--database-url must be a postgres:// URL (without it, SQLite in --data-dir is used)"
            );
        }
        if !(1..=1000).contains(&self.storage.database_connections) {
            bail!("--database-connections must be between 1 and 1000");
        }
        if let Some(unknown) = self
            .services
            .iter()
            .find(|s| !SERVICES.contains(&s.as_str()))
        {
            bail!(
                "--services: unknown service {unknown:?} (known: {})",
                SERVICES.join(", ")
            );
        }
        if self.is_split() && self.storage.database_url.is_none() {
            bail!(
                "--services needs --database-url: every process shares one PostgreSQL database, \
                 and events travel between the processes through its outbox"
            );
        }
        for (service, urls) in self.peer_urls() {
            if urls.is_empty() {
                continue;
            }
            if !self.is_split() {
                bail!(
                    "--{service}-url is for split deployments (--services): without --services every service runs in this process"
                );
            }
            if let Some(bad) = urls
                .iter()
                .find(|u| !(u.starts_with("http://") || u.starts_with("https://")))
            {
                bail!("--{service}-url: {bad:?} is not an http:// or https:// URL");
            }
        }
        if !(1..=60_000).contains(&self.peer_timeout_ms) {
            bail!("--peer-timeout-ms must be between 1 and 60000");
        }
        if !(1..=3600).contains(&self.header_timeout_secs) {
            bail!("--header-timeout-secs must be between 1 and 3600");
        }
        if self.request_timeout_secs == 0 {
            bail!("--request-timeout-secs must be at least 1");
        }
        Ok(())
    }

    /// Whether this process runs `service` (`catalog`, …, `gateway`).
    pub fn runs(&self, service: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|s| s == service)
    }

    /// The URLs given for each service other services ask synchronously.
    pub(crate) fn peer_urls(&self) -> [(&'static str, &[String]); 6] {
        [
            ("identity", &self.identity_url),
            ("catalog", &self.catalog_url),
            ("inventory", &self.inventory_url),
            ("ordering", &self.ordering_url),
            ("payment", &self.payment_url),
            ("fulfillment", &self.fulfillment_url),
        ]
    }

    /// Whether the services are split over several processes (`--services`).
    pub fn is_split(&self) -> bool {
        !self.services.is_empty()
    }

    /// Settings for a test or tool: every port picked by the system, data in `data_dir`.
    pub fn ephemeral(data_dir: &Path) -> Self {
        let mut args = Self::try_parse_from_defaults();
        args.storage.data_dir = data_dir.to_path_buf();
        args.catalog_port = 0;
        args.inventory_port = 0;
        args.ordering_port = 0;
        args.gateway_port = 0;
        args.payment_port = 0;
        args.identity_port = 0;
        args.fulfillment_port = 0;
        args.notification_port = 0;
        args.waitlist_port = 0;
        args.config = data_dir.join("boxoffice.toml");
        args
    }

    fn try_parse_from_defaults() -> Self {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: ServeArgs,
        }
        // Defaults only: no argument can fail to parse.
        Wrapper::try_parse_from(["boxoffice"])
            .map(|w| w.args)
            .expect("ServeArgs has a default for every field")
    }
}

/// Whether `bind` reaches this machine only (an address of 127.0.0.0/8 or ::1, or `localhost`).
fn is_loopback(bind: &str) -> bool {
    bind.eq_ignore_ascii_case("localhost")
        || bind
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
