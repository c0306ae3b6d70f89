//! The bench's report: a readable summary, or one JSON object (`--json`).

use serde::Serialize;
use std::io::Write;
use std::time::Duration;

use super::BenchArgs;
use super::load::{Health, Sale, StepStats};
use super::server::{Invariants, Lag};

/// What the run measured, for [`Report::new`].
pub(crate) struct Measured {
    pub(crate) health: Health,
    pub(crate) sale: Sale,
    /// CPU time the server used during the sale.
    pub(crate) server_cpu: Option<Duration>,
    /// CPU time the server used from the sale's start until its last e-mail was handed over.
    pub(crate) server_cpu_all: Option<Duration>,
    /// CPU time this load generator used during the sale (it shares the machine's cores).
    pub(crate) bench_cpu: Option<Duration>,
    /// Context switches of the server's threads during the sale.
    pub(crate) server_switches: Option<u64>,
    pub(crate) server_peak_rss_mib: Option<f64>,
    pub(crate) invariants: Option<Invariants>,
    /// Write transactions during the sale and its backlog, and their total queueing seconds.
    pub(crate) writes: Option<super::server::WriterStats>,
    /// What `--chaos` killed, and how soon each came back.
    pub(crate) chaos: Option<Vec<super::chaos::Round>>,
    /// `--streams`: the open seat maps.
    pub(crate) streams: Option<StreamsSeen>,
}

/// What `--streams` measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StreamsSeen {
    /// Streams asked for.
    pub(crate) requested: u32,
    /// Streams that received their snapshot.
    pub(crate) open: u64,
    /// Streams that could not connect or were refused.
    pub(crate) failed: u64,
    /// Events the streams received, snapshots included.
    pub(crate) events: u64,
    /// Bytes the streams received, headers included.
    pub(crate) bytes: u64,
    /// `--stream-form`.
    pub(crate) form: String,
    /// The server's resident memory before the streams opened (MiB).
    pub(crate) server_rss_before_mib: Option<f64>,
    /// …and with them open, before the sale (MiB).
    pub(crate) server_rss_with_mib: Option<f64>,
    /// In the compact form: how soon each granted hold reached the decoding streams.
    pub(crate) delivery: Option<DeliverySeen>,
}

/// From a granted hold's request to a decoding stream seeing the seat taken.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliverySeen {
    /// Streams that decoded what they received.
    pub(crate) streams: usize,
    /// (hold, stream) pairs measured.
    pub(crate) measured: usize,
    /// Held seats a decoding stream never saw taken (should be none).
    pub(crate) unseen: u64,
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
}

/// Latency of one step.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Latency {
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
}

impl From<&StepStats> for Latency {
    fn from(s: &StepStats) -> Self {
        Self {
            requests: s.count(),
            p50_ms: round(s.quantile_ms(0.50)),
            p99_ms: round(s.quantile_ms(0.99)),
            p999_ms: round(s.quantile_ms(0.999)),
        }
    }
}

/// One delay after payment, as the server's own timestamps show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LagMs {
    count: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl From<Lag> for LagMs {
    fn from(l: Lag) -> Self {
        let ms = |d: Duration| round(d.as_secs_f64() * 1000.0);
        Self {
            count: l.count,
            p50_ms: ms(l.p50),
            p99_ms: ms(l.p99),
            max_ms: ms(l.max),
        }
    }
}

/// What followed each payment, and how late: the relay's lag as buyers feel it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AfterPayment {
    /// The paid seat confirmed (inventory handled `payment-succeeded`).
    seat_confirmed: LagMs,
    /// The ticket issued (fulfillment handled `order-completed`).
    ticket_issued: LagMs,
}

/// Latency per step of the purchase.
#[derive(Debug, Serialize)]
struct Steps {
    hold: Latency,
    cart: Latency,
    checkout: Latency,
    pay: Latency,
}

/// The settings the numbers were measured with.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Settings {
    target: String,
    own_server: bool,
    seats: usize,
    buyers: u32,
    concurrency: u32,
    /// `--rate`: buyers started per second at most (none: as fast as they finish).
    rate: Option<u32>,
    mode: &'static str,
    /// Seats each buyer asks for in best mode (one otherwise): a purchase is that many seats.
    seats_per_purchase: u32,
    hot_seats: u32,
    attempts: u32,
    health_secs: u64,
    max_secs: u64,
    cpus: usize,
    split: bool,
}

/// What `boxoffice bench` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Report {
    holds_per_sec: f64,
    purchases_per_sec: f64,
    health_per_sec: f64,
    /// Holds per second as a share of `/health` per second (the target is ≥ 0.5).
    hold_to_health_ratio: f64,
    steps: Steps,
    /// The hold step's p50, p99 and p99.9 again at the top level.
    p50_ms: f64,
    p99_ms: f64,
    p999_ms: f64,
    holds: u64,
    purchases: u64,
    conflicts: u64,
    buyers_served: u64,
    buyers_without_seat: u64,
    http_errors: u64,
    health_errors: u64,
    elapsed_secs: f64,
    timed_out: bool,
    server_cpu_ms_per_purchase: Option<f64>,
    /// Server CPU per purchase including the work the sale left behind (events, tickets and
    /// e-mails finished after the last purchase): what a purchase costs in all. Work deferred
    /// past the sale lowers `serverCpuMsPerPurchase` but not this.
    server_cpu_ms_per_purchase_all: Option<f64>,
    /// The load generator's own CPU per purchase during the sale: on one machine it takes
    /// cores from the server, so a cheaper client leaves more to the server.
    bench_cpu_ms_per_purchase: Option<f64>,
    /// Times a server thread went to sleep or was preempted during the sale, per purchase: a
    /// thread asleep on a lock leaves its core idle although requests wait, which CPU time
    /// does not show.
    server_context_switches_per_purchase: Option<f64>,
    server_peak_rss_mib: Option<f64>,
    /// Write transactions per purchase, the request's and the event consumers' (from the
    /// server's `/metrics`, over the sale and its backlog).
    write_transactions_per_purchase: Option<f64>,
    /// Mean wait of a write transaction for the writer, in ms.
    writer_wait_mean_ms: Option<f64>,
    /// Direct (SQLite) write transactions per commit: how many requests a group commit served.
    transactions_per_group_commit: Option<f64>,
    seats_sold_twice: Option<i64>,
    orders_without_tickets: Option<i64>,
    completed_orders: Option<i64>,
    /// Seconds after the sale until every ticket was issued and every event delivered.
    backlog_drain_secs: Option<f64>,
    /// Seconds after the sale until its last e-mail was handed over.
    mail_drain_secs: Option<f64>,
    /// How long after each payment its seat was confirmed and its ticket issued.
    after_payment: Option<AfterPayment>,
    /// `--chaos`: each process killed, and how soon it answered and consumed again.
    chaos: Option<Vec<super::chaos::Round>>,
    /// `--streams`: the open seat maps and the memory they cost.
    streams: Option<StreamsSeen>,
    settings: Settings,
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Report {
    pub(crate) fn new(args: &BenchArgs, seats: usize, base: &str, m: Measured) -> Self {
        let Measured {
            health,
            sale,
            server_cpu: cpu,
            server_cpu_all: cpu_all,
            bench_cpu,
            server_switches,
            server_peak_rss_mib,
            invariants,
            writes,
            chaos,
            streams,
        } = m;
        let secs = sale.elapsed.as_secs_f64().max(1e-9);
        let t = sale.totals;
        let holds_per_sec = t.holds as f64 / secs;
        let health_per_sec = health.per_sec();
        let hold = Latency::from(&sale.hold);
        Self {
            holds_per_sec: round(holds_per_sec),
            purchases_per_sec: round(t.purchases as f64 / secs),
            health_per_sec: round(health_per_sec),
            hold_to_health_ratio: round(holds_per_sec / health_per_sec.max(1e-9)),
            p50_ms: hold.p50_ms,
            p99_ms: hold.p99_ms,
            p999_ms: hold.p999_ms,
            steps: Steps {
                hold,
                cart: (&sale.cart).into(),
                checkout: (&sale.checkout).into(),
                pay: (&sale.pay).into(),
            },
            holds: t.holds,
            purchases: t.purchases,
            conflicts: t.conflicts,
            buyers_served: t.buyers,
            buyers_without_seat: t.gave_up,
            http_errors: t.http_errors,
            health_errors: health.errors,
            elapsed_secs: round(secs),
            timed_out: sale.timed_out,
            server_cpu_ms_per_purchase: cpu
                .filter(|_| t.purchases > 0)
                .map(|c| round(c.as_secs_f64() * 1000.0 / t.purchases as f64)),
            server_cpu_ms_per_purchase_all: cpu_all
                .filter(|_| t.purchases > 0)
                .map(|c| round(c.as_secs_f64() * 1000.0 / t.purchases as f64)),
            bench_cpu_ms_per_purchase: bench_cpu
                .filter(|_| t.purchases > 0)
                .map(|c| round(c.as_secs_f64() * 1000.0 / t.purchases as f64)),
            server_context_switches_per_purchase: server_switches
                .filter(|_| t.purchases > 0)
                .map(|n| round(n as f64 / t.purchases as f64)),
            server_peak_rss_mib: server_peak_rss_mib.map(round),
            write_transactions_per_purchase: writes
                .filter(|_| t.purchases > 0)
                .map(|w| round(w.transactions / t.purchases as f64)),
            writer_wait_mean_ms: writes
                .filter(|w| w.waits > 0.0)
                .map(|w| round(w.wait_secs * 1000.0 / w.waits)),
            transactions_per_group_commit: writes
                .filter(|w| w.group_commits > 0.0)
                .map(|w| round(w.members / w.group_commits)),
            seats_sold_twice: invariants.map(|i| i.seats_sold_twice),
            orders_without_tickets: invariants.map(|i| i.orders_without_tickets),
            completed_orders: invariants.map(|i| i.completed_orders),
            backlog_drain_secs: invariants
                .and_then(|i| i.backlog_drain)
                .map(|d| round(d.as_secs_f64())),
            mail_drain_secs: invariants
                .and_then(|i| i.mail_drain)
                .map(|d| round(d.as_secs_f64())),
            after_payment: invariants.map(|i| AfterPayment {
                seat_confirmed: i.seat_confirmed_after_pay.into(),
                ticket_issued: i.ticket_issued_after_pay.into(),
            }),
            chaos,
            streams,
            settings: Settings {
                target: base.to_string(),
                own_server: args.target.is_none(),
                split: args.split,
                seats,
                buyers: args.buyers(),
                concurrency: args.concurrency,
                rate: args.rate,
                mode: args.mode.as_str(),
                seats_per_purchase: if args.mode == super::Mode::Best {
                    args.group
                } else {
                    1
                },
                hot_seats: args.hot_seats,
                attempts: args.attempts,
                health_secs: args.health_secs,
                max_secs: args.max_secs,
                cpus: std::thread::available_parallelism().map_or(1, usize::from),
            },
        }
    }

    /// Writes the report to stdout.
    pub(crate) fn print(&self, json: bool) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if json {
            serde_json::to_writer(&mut out, self)?;
            writeln!(out)?;
        } else {
            out.write_all(self.summary().as_bytes())?;
        }
        Ok(())
    }

    fn summary(&self) -> String {
        let s = &self.settings;
        let step = |name: &str, l: &Latency| {
            format!(
                "  {name:<9} {:>7} requests   p50 {:>8.2} ms   p99 {:>8.2} ms   p99.9 {:>8.2} ms\n",
                l.requests, l.p50_ms, l.p99_ms, l.p999_ms
            )
        };
        let count =
            |v: Option<i64>| v.map_or("not checked (--target)".to_string(), |n| n.to_string());
        let mut text = format!(
            "Flash sale: {} seats, {} buyers, {} at once{}, {} mode{}, {} ({} CPUs)\n\n",
            s.seats,
            s.buyers,
            s.concurrency,
            s.rate.map_or(String::new(), |rate| format!(
                ", {rate} starting per second at most"
            )),
            s.mode,
            if s.seats_per_purchase > 1 {
                format!(" ({} seats per buyer in one request)", s.seats_per_purchase)
            } else {
                String::new()
            },
            if s.own_server {
                "own server"
            } else {
                s.target.as_str()
            },
            s.cpus
        );
        text += &format!(
            "  {} purchases in {:.1} s{}: {:.0} purchases/s, {:.0} holds/s\n",
            self.purchases,
            self.elapsed_secs,
            if self.timed_out {
                " (stopped by --max-secs)"
            } else {
                ""
            },
            self.purchases_per_sec,
            self.holds_per_sec
        );
        text += &format!(
            "  GET /health in the same run: {:.0}/s, so holds reach {:.1} % of it\n",
            self.health_per_sec,
            self.hold_to_health_ratio * 100.0
        );
        text += &format!(
            "  {} seats lost to another buyer, {} buyers left without a seat, {} HTTP errors\n",
            self.conflicts, self.buyers_without_seat, self.http_errors
        );
        if let Some(cpu) = self.server_cpu_ms_per_purchase {
            text += &format!("  server CPU: {cpu:.2} ms per purchase during the sale");
            if let Some(all) = self.server_cpu_ms_per_purchase_all {
                text += &format!(", {all:.2} ms with the work it left (events, tickets, e-mails)");
            }
            text += "\n";
        }
        if let Some(cpu) = self.bench_cpu_ms_per_purchase {
            text += &format!("  load generator CPU: {cpu:.2} ms per purchase during the sale\n");
        }
        if let Some(switches) = self.server_context_switches_per_purchase {
            text += &format!(
                "  server threads slept or were preempted {switches:.1} times per purchase\n"
            );
        }
        if let (Some(per), Some(wait)) = (
            self.write_transactions_per_purchase,
            self.writer_wait_mean_ms,
        ) {
            text += &format!(
                "  database: {per:.1} write transactions per purchase, each waiting {wait:.2} ms for the writer on average\n"
            );
        }
        if let Some(group) = self.transactions_per_group_commit {
            text += &format!("  group commit: {group:.1} request transactions per commit\n");
        }
        if let Some(rss) = self.server_peak_rss_mib {
            text += &format!("  server memory: {rss:.0} MiB at its peak\n");
        }
        text += "\n";
        text += &step("hold", &self.steps.hold);
        text += &step("cart", &self.steps.cart);
        text += &step("checkout", &self.steps.checkout);
        text += &step("pay", &self.steps.pay);
        text += &format!(
            "\n  invariants: seats sold twice {}, completed orders without tickets {}\n",
            count(self.seats_sold_twice),
            count(self.orders_without_tickets)
        );
        if let Some(secs) = self.backlog_drain_secs {
            text +=
                &format!("  the last tickets were issued {secs:.1} s after the last purchase\n");
        } else if self.settings.own_server {
            text += "  the event backlog had not drained 120 s after the sale\n";
        }
        if let Some(secs) = self.mail_drain_secs {
            text += &format!("  the last e-mail was sent {secs:.1} s after the last purchase\n");
        }
        if let Some(after) = &self.after_payment {
            let lag = |what: &str, l: &LagMs| {
                format!(
                    "  {what} after its payment: p50 {:.0} ms, p99 {:.0} ms, at most {:.0} ms ({} measured)\n",
                    l.p50_ms, l.p99_ms, l.max_ms, l.count
                )
            };
            text += &lag("a seat was confirmed", &after.seat_confirmed);
            text += &lag("a ticket was issued", &after.ticket_issued);
        }
        if let Some(s) = &self.streams {
            text += &format!(
                "  seat-map streams ({} form): {} of {} open ({} failed), {} events, {:.1} MB received\n",
                s.form,
                s.open,
                s.requested,
                s.failed,
                s.events,
                s.bytes as f64 / 1e6
            );
            if let (Some(before), Some(with)) = (s.server_rss_before_mib, s.server_rss_with_mib) {
                text += &format!(
                    "  server memory: {before:.0} MiB before the streams, {with:.0} MiB with them ({:+.0} MiB)\n",
                    with - before
                );
            }
            if let Some(d) = &s.delivery {
                text += &format!(
                    "  a hold reached the open maps: p50 {:.0} ms, p99 {:.0} ms, at most {:.0} ms ({} measured on {} decoding streams, {} never seen)\n",
                    d.p50_ms, d.p99_ms, d.max_ms, d.measured, d.streams, d.unseen
                );
            }
        }
        for round in self.chaos.iter().flatten() {
            text += &format!("  chaos: {}\n", round.summary());
        }
        text
    }
}
