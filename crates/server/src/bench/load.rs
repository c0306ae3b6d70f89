//! The load: `GET /health` as the ceiling, then the buyers.

use bytes::Bytes;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::conn::{Conn, Target};
use super::{BenchArgs, Mode, progress};

/// Latencies of one step, in microseconds.
#[derive(Debug, Default, Clone)]
pub(crate) struct StepStats {
    samples: Vec<u32>,
}

impl StepStats {
    fn record(&mut self, since: Instant) {
        let micros = since.elapsed().as_micros();
        self.samples.push(u32::try_from(micros).unwrap_or(u32::MAX));
    }

    fn merge(&mut self, other: StepStats) {
        self.samples.extend(other.samples);
    }

    /// Requests measured.
    pub(crate) fn count(&self) -> usize {
        self.samples.len()
    }

    /// The `q` quantile (0..=1) in milliseconds; 0 without samples.
    pub(crate) fn quantile_ms(&self, q: f64) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        nearest_rank(&sorted, q).map_or(0.0, |us| f64::from(us) / 1000.0)
    }
}

/// The `q` quantile (0..=1) of `sorted` by nearest rank; `None` when it is empty.
pub(crate) fn nearest_rank<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    let rank = ((sorted.len() as f64) * q).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
}

/// Throughput of `GET /health`.
pub(crate) struct Health {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) elapsed: Duration,
}

impl Health {
    pub(crate) fn per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Hammers `GET /health` with the sale's concurrency for `--health-secs`.
pub(crate) async fn health(target: &Target, args: &BenchArgs) -> Health {
    let until = Instant::now() + Duration::from_secs(args.health_secs);
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let mut conn = Conn::new(target.clone());
        let (requests, errors) = (requests.clone(), errors.clone());
        tasks.spawn(async move {
            while Instant::now() < until {
                let counter = if conn.get_ok("/health").await {
                    &requests
                } else {
                    &errors
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Health {
        requests: requests.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        elapsed: started.elapsed(),
    }
}

/// Counts of the sale.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Totals {
    /// Holds granted (seats: a best-available answer holds `--group` of them).
    pub(crate) holds: u64,
    /// Holds refused because someone else had the seat (409).
    pub(crate) conflicts: u64,
    /// Orders paid.
    pub(crate) purchases: u64,
    /// Answers that are neither success nor an expected conflict, and transport errors.
    pub(crate) http_errors: u64,
    /// Buyers who found no seat in their attempts (or came after the sell-out).
    pub(crate) gave_up: u64,
    /// Buyers who started.
    pub(crate) buyers: u64,
}

/// What the sale measured.
pub(crate) struct Sale {
    pub(crate) totals: Totals,
    pub(crate) hold: StepStats,
    pub(crate) cart: StepStats,
    pub(crate) checkout: StepStats,
    pub(crate) pay: StepStats,
    pub(crate) elapsed: Duration,
    pub(crate) timed_out: bool,
}

/// State shared by the buyers.
struct Shared {
    event: String,
    seats: Vec<Value>,
    /// Told of each granted hold, when streams measure how soon it reached them.
    delivery: Option<Arc<super::streams::Delivery>>,
    /// Seats per buyer in best mode.
    group: u32,
    /// Best mode: the server said fewer seats than a group are left.
    sold_out: AtomicBool,
    /// Seats a buyer of this run has bought or is buying (what a fresh seat map would show).
    taken: Vec<AtomicBool>,
    taken_count: AtomicUsize,
    next_buyer: AtomicU64,
    holds: AtomicU64,
    conflicts: AtomicU64,
    purchases: AtomicU64,
    errors: AtomicU64,
    gave_up: AtomicU64,
    mode: Mode,
    hot: usize,
    attempts: u32,
    buyers: u64,
    deadline: Instant,
    /// `--rate`: buyers started per second at most.
    rate: Option<u32>,
}

impl Shared {
    /// A seat that looks free, as a buyer looking at the seat map would choose it.
    fn pick(&self) -> Option<usize> {
        let total = self.seats.len();
        if self.taken_count.load(Ordering::Relaxed) >= total {
            return None;
        }
        let mut rng = rand::rng();
        let hot = self.mode == Mode::Hotspot && rng.random_bool(0.9);
        let range = if hot { self.hot.min(total) } else { total };
        for _ in 0..16 {
            let i = rng.random_range(0..range);
            if !self.taken[i].load(Ordering::Relaxed) {
                return Some(i);
            }
        }
        // The sampled block is (nearly) sold out: scan from a random point for a free seat.
        let start = rng.random_range(0..total);
        (0..total)
            .map(|k| (start + k) % total)
            .find(|&i| !self.taken[i].load(Ordering::Relaxed))
    }

    /// Seats one purchase buys.
    fn seats_per_purchase(&self) -> u64 {
        if self.mode == Mode::Best {
            u64::from(self.group)
        } else {
            1
        }
    }

    fn mark_taken(&self, i: usize) {
        if !self.taken[i].swap(true, Ordering::Relaxed) {
            self.taken_count.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Per-buyer-task latencies, merged at the end.
#[derive(Default)]
struct Local {
    hold: StepStats,
    cart: StepStats,
    checkout: StepStats,
    pay: StepStats,
}

/// Runs the buyers until every buyer has had a turn, the seats are sold, or `--max-secs`.
/// `delivery` (with open compact streams) is told of each granted hold (spread and hotspot
/// modes).
pub(crate) async fn sale(
    target: &Target,
    event: &str,
    seats: &[Value],
    args: &BenchArgs,
    delivery: Option<Arc<super::streams::Delivery>>,
) -> Sale {
    let started = Instant::now();
    let shared = Arc::new(Shared {
        delivery,
        event: event.to_string(),
        seats: seats.to_vec(),
        group: args.group,
        sold_out: AtomicBool::new(false),
        taken: seats.iter().map(|_| AtomicBool::new(false)).collect(),
        taken_count: AtomicUsize::new(0),
        next_buyer: AtomicU64::new(0),
        holds: AtomicU64::new(0),
        conflicts: AtomicU64::new(0),
        purchases: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        gave_up: AtomicU64::new(0),
        mode: args.mode,
        hot: args.hot_seats as usize,
        attempts: args.attempts,
        buyers: u64::from(args.buyers()),
        deadline: started + Duration::from_secs(args.max_secs),
        rate: args.rate,
    });
    let reporter = tokio::spawn(report_progress(shared.clone(), started));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (mut conn, shared) = (Conn::new(target.clone()), shared.clone());
        tasks.spawn(async move {
            let mut local = Local::default();
            loop {
                let n = shared.next_buyer.fetch_add(1, Ordering::Relaxed);
                if n >= shared.buyers || Instant::now() > shared.deadline {
                    break;
                }
                if let Some(rate) = shared.rate {
                    // Buyer n starts n / rate seconds into the sale, not before.
                    let due = started + Duration::from_secs_f64(n as f64 / f64::from(rate));
                    tokio::time::sleep_until(due.into()).await;
                }
                if shared.mode == Mode::Best {
                    buy_best(&mut conn, &shared, n, &mut local).await;
                } else {
                    buy(&mut conn, &shared, n, &mut local).await;
                }
            }
            local
        });
    }
    let mut all = Local::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(local) = done {
            all.hold.merge(local.hold);
            all.cart.merge(local.cart);
            all.checkout.merge(local.checkout);
            all.pay.merge(local.pay);
        }
    }
    reporter.abort();
    let elapsed = started.elapsed();
    progress(&format!(
        "done: {} of {} seats sold in {:.1}s",
        shared.purchases.load(Ordering::Relaxed) * shared.seats_per_purchase(),
        shared.seats.len(),
        elapsed.as_secs_f64()
    ));
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    Sale {
        totals: Totals {
            holds: load(&shared.holds),
            conflicts: load(&shared.conflicts),
            purchases: load(&shared.purchases),
            http_errors: load(&shared.errors),
            gave_up: load(&shared.gave_up),
            buyers: load(&shared.next_buyer).min(shared.buyers),
        },
        hold: all.hold,
        cart: all.cart,
        checkout: all.checkout,
        pay: all.pay,
        elapsed,
        timed_out: Instant::now() > shared.deadline,
    }
}

async fn report_progress(shared: Arc<Shared>, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let secs = started.elapsed().as_secs_f64();
        let purchases = shared.purchases.load(Ordering::Relaxed);
        progress(&format!(
            "{secs:5.1}s  {} of {} seats sold  {:.0} purchases/s  {} conflicts  {} errors",
            purchases * shared.seats_per_purchase(),
            shared.seats.len(),
            purchases as f64 / secs,
            shared.conflicts.load(Ordering::Relaxed),
            shared.errors.load(Ordering::Relaxed),
        ));
    }
}

/// What a buyer sends: the seed page's request bodies, serialized straight from borrowed
/// fields (no `Value` tree per request).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HoldRequest<'a> {
    seat_id: &'a Value,
    customer_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CartRequest<'a> {
    reservation_id: &'a str,
    seat_id: &'a Value,
    price: &'a Value,
    user_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckoutRequest<'a> {
    order_id: &'a str,
    user_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PayRequest<'a> {
    order_id: &'a str,
    customer_id: &'a str,
    amount: &'a Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BestRequest<'a> {
    event_id: &'a str,
    quantity: u32,
    customer_id: &'a str,
}

/// What a buyer needs from a best-available answer.
#[derive(Deserialize)]
struct BestHeld {
    reservations: Vec<BestSeat>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BestSeat {
    reservation_id: String,
    seat_id: Value,
    price: Value,
}

/// The one field a buyer needs from the hold's answer.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Held {
    reservation_id: String,
}

/// The one field a buyer needs from the cart's answer (the draft order).
#[derive(Deserialize)]
struct Draft {
    id: String,
}

/// One buyer: hold (another seat after a conflict), cart, checkout, pay.
async fn buy(conn: &mut Conn, shared: &Shared, n: u64, local: &mut Local) {
    let customer = format!("bench-buyer-{n}");
    let mut held = None;
    for _ in 0..shared.attempts {
        let Some(i) = shared.pick() else { break };
        let seat = &shared.seats[i];
        let body = HoldRequest {
            seat_id: &seat["id"],
            customer_id: &customer,
        };
        let t = Instant::now();
        let reply = post(conn, "/reservations", &body).await;
        local.hold.record(t);
        shared.mark_taken(i);
        match reply {
            Some((201, answer)) => {
                let Ok(answer) = serde_json::from_slice::<Held>(&answer) else {
                    shared.errors.fetch_add(1, Ordering::Relaxed);
                    return;
                };
                shared.holds.fetch_add(1, Ordering::Relaxed);
                if let Some(delivery) = &shared.delivery {
                    delivery.held(i, t);
                }
                held = Some((seat, answer.reservation_id));
                break;
            }
            Some((409, _)) => {
                shared.conflicts.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                shared.errors.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }
    let Some((seat, reservation)) = held else {
        shared.gave_up.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let cart = CartRequest {
        reservation_id: &reservation,
        seat_id: &seat["id"],
        price: &seat["price"],
        user_id: &customer,
    };
    let t = Instant::now();
    let reply = post(conn, "/cart/add", &cart).await;
    local.cart.record(t);
    let order = match reply {
        Some((200, answer)) => serde_json::from_slice::<Draft>(&answer).ok(),
        _ => None,
    };
    let Some(Draft { id: order }) = order else {
        shared.errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if checkout_and_pay(conn, local, &order, &customer, &seat["price"]).await {
        shared.purchases.fetch_add(1, Ordering::Relaxed);
    } else {
        shared.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// One buyer of best mode: the best `--group` seats in one request, each carted, one checkout,
/// one payment of their sum.
async fn buy_best(conn: &mut Conn, shared: &Shared, n: u64, local: &mut Local) {
    if shared.sold_out.load(Ordering::Relaxed) {
        shared.gave_up.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let customer = format!("bench-buyer-{n}");
    let body = BestRequest {
        event_id: &shared.event,
        quantity: shared.group,
        customer_id: &customer,
    };
    let t = Instant::now();
    let reply = post(conn, "/reservations/best-available", &body).await;
    local.hold.record(t);
    let held = match reply {
        Some((201, answer)) => serde_json::from_slice::<BestHeld>(&answer).ok(),
        Some((409, _)) => {
            // Too few seats left for a group: the buyers after this one do not ask.
            shared.sold_out.store(true, Ordering::Relaxed);
            shared.gave_up.fetch_add(1, Ordering::Relaxed);
            return;
        }
        _ => None,
    };
    let Some(held) = held else {
        shared.errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    shared
        .holds
        .fetch_add(held.reservations.len() as u64, Ordering::Relaxed);
    let mut order = None;
    let mut total = 0.0;
    for seat in &held.reservations {
        let cart = CartRequest {
            reservation_id: &seat.reservation_id,
            seat_id: &seat.seat_id,
            price: &seat.price,
            user_id: &customer,
        };
        total += seat.price.as_f64().unwrap_or_default();
        let t = Instant::now();
        let reply = post(conn, "/cart/add", &cart).await;
        local.cart.record(t);
        order = match reply {
            Some((200, answer)) => serde_json::from_slice::<Draft>(&answer).ok(),
            _ => None,
        };
        if order.is_none() {
            shared.errors.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    let Some(Draft { id: order }) = order else {
        return;
    };
    // Two decimals, as the server writes money (the prices are exact in cents).
    let amount: Value = serde_json::from_str(&format!("{total:.2}")).unwrap_or_default();
    if checkout_and_pay(conn, local, &order, &customer, &amount).await {
        shared.purchases.fetch_add(1, Ordering::Relaxed);
    } else {
        shared.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// Checks the order out and pays `amount` for it; whether both succeeded.
async fn checkout_and_pay(
    conn: &mut Conn,
    local: &mut Local,
    order: &str,
    customer: &str,
    amount: &Value,
) -> bool {
    let checkout = CheckoutRequest {
        order_id: order,
        user_id: customer,
    };
    let pay = PayRequest {
        order_id: order,
        customer_id: customer,
        amount,
    };
    let steps: [(&mut StepStats, &str, Vec<u8>); 2] = [
        (&mut local.checkout, "/orders/checkout", to_json(&checkout)),
        (&mut local.pay, "/payments", to_json(&pay)),
    ];
    for (stats, path, body) in steps {
        let t = Instant::now();
        let reply = conn.post(path, body).await;
        stats.record(t);
        if !matches!(reply, Some((200, _))) {
            return false;
        }
    }
    true
}

fn to_json(body: &impl Serialize) -> Vec<u8> {
    // Serializing borrowed strings and JSON values cannot fail.
    serde_json::to_vec(body).unwrap_or_default()
}

/// POSTs a JSON body: the status and body, or `None` when the request failed in transport.
async fn post(conn: &mut Conn, path: &str, body: &impl Serialize) -> Option<(u16, Bytes)> {
    conn.post(path, to_json(body)).await
}
