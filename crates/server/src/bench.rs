//! `boxoffice bench`: a flash sale measured end to end (SPEC §11).
//!
//! It starts its own server (this binary, in a temporary directory, every port chosen by the
//! system, rate limits off) unless `--target` names one, creates an event, measures `GET /health`
//! as the ceiling of the machine with the same client and concurrency, then lets the buyers loose:
//! each holds a seat, adds it to the cart, checks out and pays; a buyer who loses a seat tries
//! another. Afterwards it reads the invariants back from the server's own database.

mod chaos;
mod conn;
mod deployment;
mod load;
mod report;
mod server;
mod streams;

use clap::{Args, ValueEnum};
use std::time::Duration;

use report::Report;

/// How buyers choose seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Any free seat of the venue.
    Spread,
    /// Most buyers fight over the first `--hot-seats` seats (the front rows).
    Hotspot,
    /// Each buyer asks for the best `--group` seats in one request
    /// (`POST /reservations/best-available`) and buys them in one order.
    Best,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Spread => "spread",
            Self::Hotspot => "hotspot",
            Self::Best => "best",
        }
    }
}

/// Settings of `boxoffice bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Gateway of a running server (`http://127.0.0.1:8080`); without it the bench starts its own.
    #[arg(long)]
    pub target: Option<String>,
    /// Administrator of `--target` (the demo's by default).
    #[arg(long, default_value = "admin@ticketing.com")]
    pub admin_email: String,
    /// Password of `--admin-email`.
    #[arg(
        long,
        env = "BOXOFFICE_BENCH_ADMIN_PASSWORD",
        default_value = "Admin123!",
        hide_env_values = true
    )]
    pub admin_password: String,
    /// Seats of the event put on sale.
    #[arg(long, default_value_t = 20_000)]
    pub seats: u32,
    /// Buyers (default: twice the seats).
    #[arg(long)]
    pub buyers: Option<u32>,
    /// Buyers active at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: u32,
    /// Buyers who start per second at most (default: each of the `--concurrency` starts the
    /// next buyer as soon as the last is done). Below the server's rate it is a steady load,
    /// not a rush: how the deployment behaves at, say, 80 % of what it can sell.
    #[arg(long)]
    pub rate: Option<u32>,
    /// How buyers choose seats.
    #[arg(long, value_enum, default_value_t = Mode::Spread)]
    pub mode: Mode,
    /// Size of the contested block in hotspot mode.
    #[arg(long, default_value_t = 300)]
    pub hot_seats: u32,
    /// Seats a buyer tries before giving up.
    #[arg(long, default_value_t = 3)]
    pub attempts: u32,
    /// Seat maps open during the sale: connections to the event's live seat map
    /// (`GET /events/{id}/seatmap/stream`) opened before it and read throughout; the report
    /// gives the server's memory before and with them, the events they received, and (compact
    /// form) how soon a granted hold reached 16 of them that decode what they receive.
    #[arg(long, default_value_t = 0)]
    pub streams: u32,
    /// How the streams name seats: `compact` (what the event page asks for: indexes, or a
    /// bitmap of the whole state) or `ids`.
    #[arg(long, default_value = "compact", value_parser = ["compact", "ids"])]
    pub stream_form: String,
    /// Seats each buyer asks for in best mode (at most the server's hold limit).
    #[arg(long, default_value_t = 4)]
    pub group: u32,
    /// Longest the sale may run, in seconds.
    #[arg(long, default_value_t = 120)]
    pub max_secs: u64,
    /// How long `GET /health` is measured, in seconds.
    #[arg(long, default_value_t = 3)]
    pub health_secs: u64,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Run the bench's own server on PostgreSQL: a server URL (`postgres://…/postgres`) on
    /// which the bench creates a fresh database, dropped afterwards.
    #[arg(long, conflicts_with = "target")]
    pub postgres: Option<String>,
    /// The PostgreSQL database of `--target` (`postgres://…`): the bench then reads the
    /// invariants and the delays after payment from it, as it does for its own server. Give
    /// it a deployment started on a fresh database: every order in it counts.
    #[arg(long, requires = "target")]
    pub database_url: Option<String>,
    /// Run the bench's own server as a split deployment on the `--postgres` server: five
    /// processes (identity + catalog + gateway, two inventory replicas, ordering + payment,
    /// fulfillment + notification + waitlist) asking each other through the database. The
    /// server CPU reported is their sum.
    #[arg(long, requires = "postgres")]
    pub split: bool,
    /// With `--split`: kill -9 each process but the gateway's (the buyers' door) in turn during
    /// the sale, the one relaying the outbox first, and start it again on the same ports; the
    /// report says how long each took to answer and to consume events again. Loopback only, as
    /// every process.
    #[arg(long, requires = "split")]
    pub chaos: bool,
    /// With `--chaos`: milliseconds between two kills.
    #[arg(long, default_value_t = 2000, requires = "chaos")]
    pub chaos_every_ms: u64,
}

impl BenchArgs {
    fn buyers(&self) -> u32 {
        self.buyers.unwrap_or(self.seats.saturating_mul(2))
    }

    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=1_000_000).contains(&self.seats),
            "--seats must be between 1 and 1000000"
        );
        anyhow::ensure!(
            (1..=4096).contains(&self.concurrency),
            "--concurrency must be between 1 and 4096"
        );
        anyhow::ensure!(self.attempts >= 1, "--attempts must be at least 1");
        anyhow::ensure!(
            self.rate.is_none_or(|rate| (1..=1_000_000).contains(&rate)),
            "--rate must be between 1 and 1000000"
        );
        anyhow::ensure!(self.streams <= 50_000, "--streams must be at most 50000");
        anyhow::ensure!(
            (1..=100).contains(&self.group),
            "--group must be between 1 and 100"
        );
        anyhow::ensure!(
            (1..=3600).contains(&self.max_secs),
            "--max-secs must be between 1 and 3600"
        );
        anyhow::ensure!(
            (1..=60).contains(&self.health_secs),
            "--health-secs must be between 1 and 60"
        );
        if let Some(target) = &self.target {
            let host = reqwest::Url::parse(target)?
                .host_str()
                .unwrap_or_default()
                .to_string();
            anyhow::ensure!(
                matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"),
                "--target must be a loopback address: the bench is not a tool to load other machines"
            );
        }
        Ok(())
    }
}

/// Runs the bench and prints its report.
///
/// # Errors
/// Invalid settings, a server that does not start, or an event that cannot be created.
pub async fn run_bench(args: &BenchArgs) -> anyhow::Result<()> {
    args.check()?;
    let server = match &args.target {
        Some(url) => server::Server::remote(url, args.database_url.as_deref()),
        None => server::Server::start(args.postgres.as_deref(), args.split).await?,
    };
    let outcome = bench(args, &server).await;
    let report = match outcome {
        Ok(report) => report,
        Err(e) => {
            server.stop().await;
            return Err(e);
        }
    };
    server.stop().await;
    report.print(args.json)
}

async fn bench(args: &BenchArgs, server: &server::Server) -> anyhow::Result<Report> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency as usize)
        .timeout(Duration::from_secs(30))
        .build()?;
    let token = server
        .admin_token(&client, &args.admin_email, &args.admin_password)
        .await?;
    let (event, seats) = server::create_event(&client, &server.base, &token, args.seats).await?;
    progress(&format!("event ready: {} seats", seats.len()));
    let target = conn::Target::new(&server.base)?;
    let rss_before_streams = server.rss_mib();
    let streams = match args.streams {
        0 => None,
        n => {
            Some(streams::Streams::open(&target, &event, seats.len(), n, &args.stream_form).await?)
        }
    };
    let rss_with_streams = server.rss_mib();
    // Right before the sale, with or without open streams, so that every sale starts from a
    // server that was just busy: opening 10,000 streams takes seconds of near idleness, and a
    // sale that starts after 12 s of idleness has a hold p99 twice as high, streams or not
    // (docs/performance.md, "A sale after a pause").
    let health = load::health(&target, args).await;
    progress(&format!("GET /health: {:.0} requests/s", health.per_sec()));
    let cpu_before = server.cpu_time();
    let bench_cpu_before = server::process_cpu_time("self");
    let switches_before = server.context_switches();
    let writes_before = server::writer_queue(&client, &server.base).await;
    let done = std::sync::atomic::AtomicBool::new(false);
    let sale = async {
        let delivery = streams.as_ref().and_then(|s| s.delivery.clone());
        let sale = load::sale(&target, &event, &seats, args, delivery).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        sale
    };
    let chaos = async {
        match (args.chaos, server.processes()) {
            (true, Some(processes)) => {
                let every = Duration::from_millis(args.chaos_every_ms.max(100));
                Some(chaos::run(processes, every, &done).await)
            }
            _ => None,
        }
    };
    let (sale, chaos) = tokio::join!(sale, chaos);
    let streams = match streams {
        Some(s) => {
            // A moment for the last changes to reach the streams.
            tokio::time::sleep(Duration::from_secs(1)).await;
            let seen = report::StreamsSeen {
                requested: args.streams,
                open: s.open.load(std::sync::atomic::Ordering::Relaxed),
                failed: s.failed.load(std::sync::atomic::Ordering::Relaxed),
                events: s.events.load(std::sync::atomic::Ordering::Relaxed),
                bytes: s.bytes.load(std::sync::atomic::Ordering::Relaxed),
                form: args.stream_form.clone(),
                server_rss_before_mib: rss_before_streams,
                server_rss_with_mib: rss_with_streams,
                delivery: s.delivery.as_ref().map(|d| d.seen()),
            };
            s.close().await;
            Some(seen)
        }
        None => None,
    };
    let cpu = server.cpu_time().zip(cpu_before).map(|(a, b)| a - b);
    let bench_cpu = server::process_cpu_time("self")
        .zip(bench_cpu_before)
        .map(|(a, b)| a - b);
    let switches = server
        .context_switches()
        .zip(switches_before)
        .map(|(a, b)| a.saturating_sub(b));
    let invariants = server.invariants(sale.totals.purchases).await?;
    // Up to the moment the last e-mail went: the work the sale left behind counts too.
    let cpu_all = server
        .cpu_time()
        .zip(cpu_before)
        .map(|(a, b)| a - b)
        .filter(|_| invariants.is_some_and(|i| i.mail_drain.is_some()));
    // After the backlog drained: the consumers' transactions count too.
    let writes = server::writer_queue(&client, &server.base)
        .await
        .zip(writes_before)
        .map(|(after, before)| after - before);
    let measured = report::Measured {
        health,
        sale,
        server_cpu: cpu,
        server_cpu_all: cpu_all,
        bench_cpu,
        server_switches: switches,
        server_peak_rss_mib: server.peak_rss_mib(),
        invariants,
        writes,
        chaos,
        streams,
    };
    Ok(Report::new(args, seats.len(), &server.base, measured))
}

/// A line on stderr while the bench runs (the report goes to stdout).
pub(crate) fn progress(line: &str) {
    eprintln!("bench: {line}");
}
