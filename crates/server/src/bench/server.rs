//! The server under test: one the bench starts (and can look inside), or `--target`.

use anyhow::Context;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use storage::Statement;
use tokio::process::Command;

use super::deployment::Processes;
use super::progress;

const ADMIN_EMAIL: &str = "bench@boxoffice.local";

/// What the bench knows of the server.
pub(crate) struct Server {
    /// The gateway's base URL.
    pub(crate) base: String,
    own: Option<Own>,
    /// The database of a server someone else runs (`--database-url`), to read invariants from.
    remote_database: Option<String>,
}

/// A server the bench started.
struct Own {
    processes: Processes,
    dir: tempfile::TempDir,
    password: String,
    /// The throwaway PostgreSQL database it runs on, if any.
    postgres: Option<ScratchDatabase>,
}

/// A database the bench created on a PostgreSQL server, dropped when the bench ends.
struct ScratchDatabase {
    /// The server as the user named it (the database to connect to for `create`/`drop`).
    admin_url: String,
    name: String,
    /// The URL of the new database.
    url: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str) -> anyhow::Result<Self> {
        let name = format!("boxoffice_bench_{}", uuid::Uuid::new_v4().simple());
        // The name is ours: a prefix and a UUID in hex.
        storage::create_postgres_database(admin_url, &name)
            .await
            .context("cannot create the bench database on the PostgreSQL server of --postgres")?;
        let mut url = reqwest::Url::parse(admin_url)?;
        url.set_path(&format!("/{name}"));
        Ok(Self {
            admin_url: admin_url.to_string(),
            name,
            url: url.to_string(),
        })
    }

    async fn drop_database(&self) -> anyhow::Result<()> {
        storage::drop_postgres_database(&self.admin_url, &self.name).await?;
        Ok(())
    }
}

/// Invariants read back from the server's database.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Invariants {
    /// Seats confirmed (or ticketed) more than once.
    pub(crate) seats_sold_twice: i64,
    /// Completed orders with fewer valid tickets than seats.
    pub(crate) orders_without_tickets: i64,
    /// Completed orders in the database.
    pub(crate) completed_orders: i64,
    /// How long after the last purchase the event backlog took to drain (every ticket issued,
    /// every message delivered); `None` when it had not drained within the bench's wait.
    pub(crate) backlog_drain: Option<Duration>,
    /// How long after the last purchase its last e-mail was handed over (none pending); `None`
    /// when the backlog or the e-mails had not drained within the bench's wait.
    pub(crate) mail_drain: Option<Duration>,
    /// How long after its payment each paid seat was confirmed (the relay's `payment-succeeded`
    /// reaching inventory).
    pub(crate) seat_confirmed_after_pay: Lag,
    /// How long after its payment each ticket was issued (`order-completed` reaching
    /// fulfillment, which may wait out a rush).
    pub(crate) ticket_issued_after_pay: Lag,
}

/// The distribution of one delay after payment, from the server's own timestamps.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Lag {
    /// How many were measured.
    pub(crate) count: usize,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) max: Duration,
}

impl Lag {
    /// From delays in microseconds (negative ones, a clock step, count as zero).
    fn from_micros(mut delays: Vec<i64>) -> Self {
        delays.sort_unstable();
        let at = |q: f64| {
            let us = super::load::nearest_rank(&delays, q).unwrap_or(0);
            Duration::from_micros(u64::try_from(us).unwrap_or(0))
        };
        if delays.is_empty() {
            return Self::default();
        }
        Self {
            count: delays.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: at(1.0),
        }
    }
}

impl Server {
    /// A server someone else runs, on the PostgreSQL database `database` if given.
    pub(crate) fn remote(url: &str, database: Option<&str>) -> Self {
        Self {
            base: url.trim_end_matches('/').to_string(),
            own: None,
            remote_database: database.map(str::to_owned),
        }
    }

    /// Starts this binary as a server in a temporary directory, without demo data or rate
    /// limits, on ports the system picks; with `postgres`, on a fresh database of that server;
    /// with `split` too, as a split deployment of five processes ([`Processes`]).
    pub(crate) async fn start(postgres: Option<&str>, split: bool) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let password = format!("bench-{}", uuid::Uuid::new_v4());
        let postgres = match postgres {
            Some(url) => Some(ScratchDatabase::create(url).await?),
            None => None,
        };
        let url = postgres.as_ref().map(|db| db.url.as_str());
        let created = Command::new(std::env::current_exe()?)
            .args(["admin", "create", "--email", ADMIN_EMAIL])
            .args(url.iter().flat_map(|url| ["--database-url", url]))
            .arg("--data-dir")
            .arg(dir.path())
            .env("BOXOFFICE_ADMIN_PASSWORD", &password)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .status()
            .await?;
        anyhow::ensure!(
            created.success(),
            "could not create the bench administrator"
        );
        let (processes, port) = Processes::start(dir.path(), url, split).await?;
        progress(&format!(
            "started a server ({} process{}, pids {:?}) on 127.0.0.1:{port}, data in {}",
            processes.pids().len(),
            if split { "es" } else { "" },
            processes.pids(),
            dir.path().display()
        ));
        Ok(Self {
            base: format!("http://127.0.0.1:{port}"),
            own: Some(Own {
                processes,
                dir,
                password,
                postgres,
            }),
            remote_database: None,
        })
    }

    /// The processes the bench started (none for `--target`).
    pub(crate) fn processes(&self) -> Option<&Processes> {
        self.own.as_ref().map(|own| &own.processes)
    }

    /// Signs in as the administrator: the bench's own, or the one named for `--target`.
    pub(crate) async fn admin_token(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> anyhow::Result<String> {
        let (email, password) = match &self.own {
            Some(own) => (ADMIN_EMAIL, own.password.as_str()),
            None => (email, password),
        };
        let reply: Value = client
            .post(format!("{}/token", self.base))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?
            .error_for_status()
            .context("the administrator cannot sign in (see --admin-email/--admin-password)")?
            .json()
            .await?;
        reply["token"]
            .as_str()
            .map(str::to_owned)
            .context("no token in the sign-in answer")
    }

    /// CPU time (user + system) the server's processes have used, when they are ours (Linux).
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        self.own.as_ref()?.processes.cpu_time()
    }

    /// Context switches of all the server's threads so far (voluntary: a thread went to sleep;
    /// involuntary: it was preempted), when it is ours (Linux). Threads that ended are not
    /// counted; the server's threads live as long as it does.
    pub(crate) fn context_switches(&self) -> Option<u64> {
        let own = self.own.as_ref()?;
        let mut total = 0;
        for pid in own.processes.pids() {
            total += thread_switches(pid)?;
        }
        Some(total)
    }

    /// The server's peak resident memory in MiB (`VmHWM`; the largest process's), when it is
    /// ours (Linux).
    pub(crate) fn peak_rss_mib(&self) -> Option<f64> {
        let own = self.own.as_ref()?;
        own.processes
            .pids()
            .into_iter()
            .map(peak_rss_mib)
            .try_fold(0.0_f64, |most, rss| Some(most.max(rss?)))
    }

    /// The server's resident memory now in MiB (`VmRSS`, summed over its processes), when it
    /// is ours (Linux).
    pub(crate) fn rss_mib(&self) -> Option<f64> {
        let own = self.own.as_ref()?;
        own.processes
            .pids()
            .into_iter()
            .map(|pid| status_mib(pid, "VmRSS:"))
            .try_fold(0.0_f64, |sum, rss| Some(sum + rss?))
    }

    /// Waits (up to 120 s) for the event backlog to drain — every outbox message delivered and
    /// a ticket for each purchase — then counts invariant breaches in the database. `None` for
    /// `--target`: its database is not ours to open.
    pub(crate) async fn invariants(&self, purchases: u64) -> anyhow::Result<Option<Invariants>> {
        let db = match (&self.own, &self.remote_database) {
            (Some(own), _) => match &own.postgres {
                Some(pg) => storage::Database::open_postgres(&pg.url, 1).await?,
                None => storage::Database::open_in_dir(own.dir.path()).await?,
            },
            (None, Some(url)) => storage::Database::open_postgres(url, 1)
                .await
                .context("cannot open the database of --database-url")?,
            (None, None) => return Ok(None),
        };
        let mut conn = db.read().await?;
        let started = tokio::time::Instant::now();
        let deadline = started + Duration::from_secs(120);
        let mut announced = false;
        let backlog_drain = loop {
            // In a split deployment also what the consumers have not passed or wait to retry
            // (the Kafka feed aside: the public stream is not our services' backlog).
            let (tickets, undelivered): (i64, i64) = Statement::new(
                "select (select count(*) from fulfillment_tickets where status != 'void'),
                        (select count(*) from outbox_messages where published_at is null)
                        + coalesce((select max(delivery_seq) from outbox_messages)
                            - (select min(position) from outbox_consumers where consumer <> 'kafka'), 0)
                        + (select count(*) from outbox_consumer_retries where parked_at is null)",
            )
            .fetch_one(conn.conn())
            .await?;
            if u64::try_from(tickets).unwrap_or(0) >= purchases && undelivered == 0 {
                break Some(started.elapsed());
            }
            if tokio::time::Instant::now() > deadline {
                break None;
            }
            if !announced {
                progress(&format!(
                    "waiting for the backlog: {tickets} tickets issued, {undelivered} events to deliver"
                ));
                announced = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        // Then the e-mails (tickets, notices), which the sender delivers after the events.
        let mut mail_drain = None;
        while backlog_drain.is_some() {
            let (pending,): (i64,) = Statement::new(
                "select count(*) from notification_messages where status = 'pending'",
            )
            .fetch_one(conn.conn())
            .await?;
            if pending == 0 {
                mail_drain = Some(started.elapsed());
                break;
            }
            if tokio::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (sold_twice,): (i64,) = Statement::new(
            "select (select count(*) from (select seat_id from inventory_reservations
                       where status = 'confirmed' group by seat_id having count(*) > 1) twice_held)
                  + (select count(*) from (select seat_id from fulfillment_tickets
                       where status != 'void' group by seat_id having count(*) > 1) twice_ticketed)",
        )
        .fetch_one(conn.conn())
        .await?;
        let (without_tickets,): (i64,) = Statement::new(
            "select count(*) from ordering_orders o where o.state = 'completed'
               and (select count(*) from fulfillment_tickets t
                    where t.order_id = o.order_id and t.status != 'void')
                 < (select count(*) from ordering_order_items i where i.order_id = o.order_id)",
        )
        .fetch_one(conn.conn())
        .await?;
        let (completed,): (i64,) =
            Statement::new("select count(*) from ordering_orders where state = 'completed'")
                .fetch_one(conn.conn())
                .await?;
        // Both backends keep instants as microseconds since the epoch, stamped by the server.
        let confirmed: Vec<i64> = Statement::new(
            "select r.ended_at - p.processed_at from payment_payments p
               join ordering_order_items i on i.order_id = p.order_id
               join inventory_reservations r on r.reservation_id = i.reservation_id
              where p.status = 'succeeded' and r.status = 'confirmed'",
        )
        .fetch_all::<(i64,)>(conn.conn())
        .await?
        .into_iter()
        .map(|(v,)| v)
        .collect();
        let issued: Vec<i64> = Statement::new(
            "select t.issued_at - p.processed_at from payment_payments p
               join fulfillment_tickets t on t.order_id = p.order_id
              where p.status = 'succeeded' and t.status != 'void'",
        )
        .fetch_all::<(i64,)>(conn.conn())
        .await?
        .into_iter()
        .map(|(v,)| v)
        .collect();
        drop(conn);
        db.close().await;
        Ok(Some(Invariants {
            seats_sold_twice: sold_twice,
            orders_without_tickets: without_tickets,
            completed_orders: completed,
            backlog_drain,
            mail_drain,
            seat_confirmed_after_pay: Lag::from_micros(confirmed),
            ticket_issued_after_pay: Lag::from_micros(issued),
        }))
    }

    /// Stops the server the bench started (its directory goes with it).
    pub(crate) async fn stop(self) {
        if let Some(own) = self.own {
            own.processes.stop().await;
            if let Some(pg) = own.postgres
                && let Err(e) = pg.drop_database().await
            {
                progress(&format!(
                    "could not drop the bench database {}: {e:#}",
                    pg.name
                ));
            }
        }
    }
}

/// Creates an upcoming event with `seats` seats (sections of up to 100 rows of 50, the rest in a
/// short section `R`) and
/// returns its seats as the seat map lists them.
pub(crate) async fn create_event(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    seats: u32,
) -> anyhow::Result<(String, Vec<Value>)> {
    let per_row = seats.min(50);
    let rows = seats / per_row;
    let section = |code: String, rows: u32, per_row: u32| json!({"sectionCode": code, "rows": rows, "seatsPerRow": per_row, "priceMultiplier": 1});
    let mut sections: Vec<Value> = (0..rows.div_ceil(100))
        .map(|s| section(format!("S{}", s + 1), (rows - s * 100).min(100), per_row))
        .collect();
    if !seats.is_multiple_of(per_row) {
        sections.push(section("R".into(), 1, seats % per_row));
    }
    let event: Value = client
        .post(format!("{base}/admin/events"))
        .bearer_auth(token)
        .json(&json!({
            "name": "Flash Sale", "description": "boxoffice bench", "eventDate": "2099-01-01T20:00:00Z",
            "venue": "Bench Arena", "maxCapacity": seats, "basePrice": "40.00"
        }))
        .send()
        .await?
        .error_for_status()
        .context("cannot create the event")?
        .json()
        .await?;
    let id = event["id"].as_str().context("no event id")?.to_string();
    client
        .post(format!("{base}/admin/events/{id}/seats"))
        .bearer_auth(token)
        .json(&json!({ "sectionConfigurations": sections }))
        .send()
        .await?
        .error_for_status()
        .context("cannot generate the seats")?;
    let map: Value = client
        .get(format!("{base}/events/{id}/seatmap"))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let seats = map["seats"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(!seats.is_empty(), "the event has no seats");
    Ok((id, seats))
}

/// Context switches of all of process `pid`'s threads so far.
fn thread_switches(pid: u32) -> Option<u64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut total = 0;
    for task in tasks.flatten() {
        // A thread may end between the listing and the read: skip it.
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        total += status
            .lines()
            .filter_map(|l| {
                l.strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
            })
            .filter_map(|n| n.trim().parse::<u64>().ok())
            .sum::<u64>();
    }
    Some(total)
}

/// Process `pid`'s peak resident memory in MiB (`VmHWM`).
fn peak_rss_mib(pid: u32) -> Option<f64> {
    status_mib(pid, "VmHWM:")
}

/// A memory line (`VmHWM:`, `VmRSS:`) of process `pid`'s status, in MiB.
fn status_mib(pid: u32, line: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(line))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

/// The server's writer so far, from its `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WriterStats {
    /// Write transactions (`db_write_transactions_total`; a counter, exact where the wait
    /// histogram's count is not).
    pub(crate) transactions: f64,
    /// Seconds they queued for the writer (`db_write_wait_seconds_sum`)…
    pub(crate) wait_secs: f64,
    /// …over this many waits (`db_write_wait_seconds_count`).
    pub(crate) waits: f64,
    /// Of them, members of SQLite's group commits (`db_group_commit_members_total`).
    pub(crate) members: f64,
    /// The group commits they shared (`db_group_commits_total`).
    pub(crate) group_commits: f64,
}

impl std::ops::Sub for WriterStats {
    type Output = Self;
    fn sub(self, before: Self) -> Self {
        Self {
            transactions: self.transactions - before.transactions,
            wait_secs: self.wait_secs - before.wait_secs,
            waits: self.waits - before.waits,
            members: self.members - before.members,
            group_commits: self.group_commits - before.group_commits,
        }
    }
}

/// The server's writer statistics; `None` when it does not serve `/metrics`.
pub(crate) async fn writer_queue(client: &reqwest::Client, base: &str) -> Option<WriterStats> {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .error_for_status()
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
    };
    Some(WriterStats {
        transactions: value("db_write_transactions_total ")?,
        wait_secs: value("db_write_wait_seconds_sum ")?,
        waits: value("db_write_wait_seconds_count ")?,
        members: value("db_group_commit_members_total ").unwrap_or(0.0),
        group_commits: value("db_group_commits_total ").unwrap_or(0.0),
    })
}

/// CPU time (user + system) a process has used (Linux): `pid` is a number or `self`.
pub(crate) fn process_cpu_time(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    use super::Lag;
    use std::time::Duration;

    #[test]
    fn a_lag_is_read_off_the_sorted_delays() {
        let lag = Lag::from_micros((1..=200).rev().map(|ms| ms * 1000).collect());
        assert_eq!(lag.count, 200);
        assert_eq!(lag.p50, Duration::from_millis(100));
        assert_eq!(lag.p99, Duration::from_millis(198));
        assert_eq!(lag.max, Duration::from_millis(200));
        // A clock stepped back between the two stamps is no delay, not a panic.
        assert_eq!(Lag::from_micros(vec![-5]).max, Duration::ZERO);
        assert_eq!(Lag::from_micros(Vec::new()), Lag::default());
    }
}
