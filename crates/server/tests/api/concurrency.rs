//! Invariant 1 under contention: a seat has at most one active hold, however many buyers race.

use futures::future::join_all;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use testkit::Reply;

use kernel::ManualClock;
use server::{Application, CreateAdminArgs, ServeArgs};

use crate::helpers::{add_to_cart, create_event, create_priced_event, hold, spawn_with};

#[tokio::test]
async fn hundreds_of_buyers_racing_for_one_seat_produce_exactly_one_hold() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let (_, seats) = create_event(&app, 1, 1).await;
    let seat = seats[0]["id"].as_str().expect("seat");
    let url = format!("{}/reservations", app.base("inventory"));

    let attempts = (0..300).map(|i| {
        let req = app
            .client()
            .post(url.clone())
            .json(&json!({"seatId": seat, "customerId": format!("buyer-{i}")}));
        async move { testkit::read(req.send().await?).await }
    });
    let replies: Vec<Reply> = join_all(attempts)
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    let created = replies.iter().filter(|r| r.status == 201).count();
    let refused = replies
        .iter()
        .filter(|r| r.status == 409 && r.code() == "seat_already_reserved")
        .count();
    assert_eq!(
        (created, refused),
        (1, 299),
        "statuses: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    Ok(())
}

#[tokio::test]
async fn concurrent_buyers_over_a_few_seats_never_share_one() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let (event, seats) = create_event(&app, 1, 5).await;
    let url = format!("{}/reservations", app.base("gateway"));

    let attempts = (0..200).map(|i| {
        let seat = seats[i % seats.len()]["id"].clone();
        let req = app
            .client()
            .post(url.clone())
            .json(&json!({"seatId": seat, "customerId": format!("buyer-{i}")}));
        async move { testkit::read(req.send().await?).await }
    });
    let replies: Vec<Reply> = join_all(attempts)
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    let mut winners: HashMap<String, usize> = HashMap::new();
    for r in replies.iter().filter(|r| r.status == 201) {
        *winners
            .entry(r.json["seatId"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    assert_eq!(winners.len(), 5);
    assert!(winners.values().all(|n| *n == 1), "{winners:?}");
    let details = app.get(&format!("/events/{event}")).await?;
    assert_eq!(
        (
            details.json["reservedSeats"].as_i64(),
            details.json["availableSeats"].as_i64()
        ),
        (Some(5), Some(0))
    );
    Ok(())
}

/// Buyers' holds run side by side on PostgreSQL, but each buyer's limit is decided under that
/// buyer's own lock: bursts of many buyers' holds at once get each of them exactly the limit.
#[tokio::test]
async fn buyers_holding_many_seats_at_once_get_exactly_the_limit() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0", "--hold-limit", "2"]).await;
    let (_, seats) = create_event(&app, 4, 50).await;
    let attempts = seats.iter().enumerate().map(|(i, seat)| {
        let seat = seat["id"].as_str().unwrap_or_default().to_string();
        let app = &app;
        async move {
            (
                i % 25,
                hold(app, &seat, &format!("greedy-{}", i % 25)).await,
            )
        }
    });
    let replies = join_all(attempts).await;
    let mut granted = [0usize; 25];
    for (buyer, reply) in &replies {
        match (reply.status, reply.code()) {
            (201, _) => granted[*buyer] += 1,
            (409, "hold_limit_reached") => {}
            _ => panic!("buyer {buyer}: {}", reply.text),
        }
    }
    assert_eq!(granted, [2; 25], "holds granted per buyer");
    Ok(())
}

/// Many buyers adding their seats to their carts at once: each ends with one draft holding every
/// one of their seats, at their total.
#[tokio::test]
async fn buyers_adding_seats_at_once_each_fill_one_draft() -> anyhow::Result<()> {
    const BUYERS: usize = 20;
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0", "--hold-limit", "5"]).await;
    let (_, seats) = create_priced_event(&app, "10.00", 2, 50).await;
    let mut held = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        let (id, buyer) = (seat["id"].as_str().unwrap_or_default(), i % BUYERS);
        let reply = hold(&app, id, &format!("eager-{buyer}")).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        held.push((buyer, id.to_string(), reply.json["reservationId"].clone()));
    }
    let adds = held.iter().map(|(buyer, seat, reservation)| {
        let app = &app;
        async move {
            let user = format!("eager-{buyer}");
            let reply = add_to_cart(app, reservation, seat, json!(10.0), &user).await;
            (*buyer, reply)
        }
    });
    let replies = join_all(adds).await;
    let mut drafts: Vec<std::collections::HashSet<String>> = vec![Default::default(); BUYERS];
    for (buyer, reply) in &replies {
        assert_eq!(reply.status, 200, "buyer {buyer}: {}", reply.text);
        drafts[*buyer].insert(reply.json["id"].as_str().unwrap_or_default().to_string());
    }
    for (buyer, ids) in drafts.iter().enumerate() {
        assert_eq!(ids.len(), 1, "buyer {buyer} has one draft: {ids:?}");
        let checkout = json!({"orderId": ids.iter().next(), "userId": format!("eager-{buyer}")});
        let done = app.post("/orders/checkout", checkout).await?;
        assert_eq!(done.status, 200, "{}", done.text);
        let items = done.json["items"].as_array().map(Vec::len);
        assert_eq!(items, Some(5), "buyer {buyer}: {}", done.text);
        assert_eq!(done.json["totalAmount"], json!(50.0), "{}", done.text);
    }
    Ok(())
}

/// One step of a buyer's random walk.
#[derive(Debug, Clone)]
enum Step {
    Hold { buyer: usize, seat: usize },
    Release { buyer: usize, seat: usize },
    AddToCart { buyer: usize, seat: usize },
    Advance { secs: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..3usize).prop_map(|(buyer, seat)| Step::Hold { buyer, seat }),
        1 => (0..3usize, 0..3usize).prop_map(|(buyer, seat)| Step::Release { buyer, seat }),
        2 => (0..3usize, 0..3usize).prop_map(|(buyer, seat)| Step::AddToCart { buyer, seat }),
        2 => (0..50i64).prop_map(|secs| Step::Advance { secs }),
    ]
}

/// The model: who holds each seat until when, and the buyer's latest reservation per seat.
#[derive(Default)]
struct Model {
    now: i64,
    holder: HashMap<usize, (usize, i64, String)>,
    latest: HashMap<(usize, usize), String>,
    carted: std::collections::HashSet<String>,
}

impl Model {
    fn active(&self, seat: usize) -> Option<&(usize, i64, String)> {
        self.holder
            .get(&seat)
            .filter(|(_, expires, _)| *expires > self.now)
    }

    fn held_by(&self, buyer: usize) -> usize {
        (0..3)
            .filter(|s| self.active(*s).is_some_and(|(b, _, _)| *b == buyer))
            .count()
    }
}

const HOLD_SECS: i64 = 60;
const LIMIT: usize = 2;

/// Runs `steps` against an in-process server whose clock the test moves, checking every answer
/// against the model and the seat map against the model after every step.
async fn run_walk(steps: Vec<Step>) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut args = ServeArgs::ephemeral(dir.path());
    args.no_demo = true;
    args.hold_minutes = 1;
    args.hold_limit = LIMIT as u32;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let admin = CreateAdminArgs {
        storage: args.storage.clone(),
        email: testkit::ADMIN_EMAIL.into(),
        password: testkit::ADMIN_PASSWORD.into(),
        staff: false,
    };
    server::create_account(&admin).await?;
    let app = Application::build_with_clock(&args, clock.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.ports()["gateway"]);
    let stop = app.shutdown_handle();
    let running = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let call = |path: &str, body: Value| {
        let req = http.post(format!("{base}{path}")).json(&body);
        async move { testkit::read(req.send().await?).await }
    };
    let login = json!({"email": testkit::ADMIN_EMAIL, "password": testkit::ADMIN_PASSWORD});
    let token = call("/token", login).await?.json["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let admin_call = |path: &str, body: Value| {
        let req = http
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body);
        async move { testkit::read(req.send().await?).await }
    };
    let event = admin_call(
        "/admin/events",
        json!({"name": "Walk", "description": "d", "eventDate": "2099-01-01T00:00:00Z",
        "venue": "v", "maxCapacity": 10, "basePrice": 10}),
    )
    .await?
    .json["id"]
        .clone();
    let path = format!("/admin/events/{}/seats", event.as_str().unwrap_or_default());
    admin_call(&path, json!({"sectionConfigurations": [{"sectionCode": "A", "rows": 1, "seatsPerRow": 3, "priceMultiplier": 1}]})).await?;
    let map_url = format!(
        "{base}/events/{}/seatmap",
        event.as_str().unwrap_or_default()
    );
    let seat_ids: Vec<String> =
        testkit::read(http.get(&map_url).send().await?).await?.json["seats"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s["id"].as_str().map(str::to_owned))
            .collect();

    let mut model = Model::default();
    for step in steps {
        match step {
            Step::Hold { buyer, seat } => {
                let reply = call(
                    "/reservations",
                    json!({"seatId": seat_ids[seat], "customerId": format!("b{buyer}")}),
                )
                .await?;
                let expected = if model.active(seat).is_some() {
                    "seat_already_reserved"
                } else if model.held_by(buyer) >= LIMIT {
                    "hold_limit_reached"
                } else {
                    ""
                };
                let got = if reply.status == 201 {
                    ""
                } else {
                    reply.code()
                };
                anyhow::ensure!(
                    got == expected,
                    "hold {buyer}/{seat}: {got:?} vs {expected:?}: {}",
                    reply.text
                );
                if reply.status == 201 {
                    let id = reply.json["reservationId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    model
                        .holder
                        .insert(seat, (buyer, model.now + HOLD_SECS, id.clone()));
                    model.latest.insert((buyer, seat), id);
                }
            }
            Step::Release { buyer, seat } => {
                let Some(id) = model.latest.get(&(buyer, seat)).cloned() else {
                    continue;
                };
                let url = format!("{base}/reservations/{id}?customerId=b{buyer}");
                let reply = testkit::read(http.delete(url).send().await?).await?;
                let active_mine = model.active(seat).is_some_and(|(_, _, r)| *r == id);
                anyhow::ensure!(
                    (reply.status == 200) == active_mine,
                    "release {buyer}/{seat}: {}",
                    reply.text
                );
                if active_mine {
                    model.holder.remove(&seat);
                }
            }
            Step::AddToCart { buyer, seat } => {
                let Some(id) = model.latest.get(&(buyer, seat)).cloned() else {
                    continue;
                };
                let reply = call("/cart/add", json!({"reservationId": id, "seatId": seat_ids[seat], "price": 10, "userId": format!("b{buyer}")})).await?;
                let ok = model.active(seat).is_some_and(|(_, _, r)| *r == id)
                    && !model.carted.contains(&id);
                anyhow::ensure!(
                    (reply.status == 200) == ok,
                    "cart {buyer}/{seat}: {}",
                    reply.text
                );
                if ok {
                    model.carted.insert(id);
                }
            }
            Step::Advance { secs } => {
                clock.advance(chrono::Duration::seconds(secs));
                model.now += secs;
            }
        }
        let map = testkit::read(http.get(&map_url).send().await?).await?.json;
        for (i, id) in seat_ids.iter().enumerate() {
            let status = map["seats"]
                .as_array()
                .and_then(|s| s.iter().find(|x| x["id"] == id.as_str()))
                .map(|s| s["status"].clone());
            let expected = if model.active(i).is_some() {
                "reserved"
            } else {
                "available"
            };
            anyhow::ensure!(
                status == Some(json!(expected)),
                "seat {i}: {status:?} vs {expected}"
            );
        }
    }
    stop.stop();
    running.await??;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_interleavings_of_hold_release_expiry_and_cart_never_double_hold(steps in prop::collection::vec(step(), 1..40)) {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let outcome = runtime.block_on(run_walk(steps));
        prop_assert!(outcome.is_ok(), "{:?}", outcome);
    }
}

/// A buyer who adds a seat in one tab while checking out in another: the checkout's answer is
/// the order as it was checked out (every line it moved to `pending`, and their total), never
/// an older read of the draft. Without the guard on the draft's lines, an add landing between
/// the checkout's read and its write was checked out without showing in the answer.
#[tokio::test]
async fn a_checkout_answers_with_every_line_it_checked_out() -> anyhow::Result<()> {
    const BUYERS: usize = 40;
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0", "--hold-limit", "2"]).await;
    let (_, seats) = create_priced_event(&app, "10.00", 2, BUYERS as u32).await;
    let mut buyers = Vec::new();
    for b in 0..BUYERS {
        let user = format!("two-tabs-{b}");
        let mut lines = Vec::new();
        for seat in &seats[2 * b..2 * b + 2] {
            let id = seat["id"].as_str().unwrap_or_default().to_string();
            let reply = hold(&app, &id, &user).await;
            assert_eq!(reply.status, 201, "{}", reply.text);
            lines.push((id, reply.json["reservationId"].clone()));
        }
        let (seat, reservation) = &lines[0];
        let first = add_to_cart(&app, reservation, seat, json!(10.0), &user).await;
        assert_eq!(first.status, 200, "{}", first.text);
        buyers.push((user, first.json["id"].clone(), lines.pop()));
    }
    // Every buyer's second add and checkout at once, all buyers together.
    let races = buyers.iter().map(|(user, order, second)| {
        let app = &app;
        async move {
            let (seat, reservation) = second.as_ref().expect("a second seat");
            let add = add_to_cart(app, reservation, seat, json!(10.0), user);
            let checkout = app.post(
                "/orders/checkout",
                json!({"orderId": order, "userId": user}),
            );
            let (added, done) = futures::join!(add, checkout);
            (user, order, added, done)
        }
    });
    let mut after_read = 0;
    for (user, order, added, done) in join_all(races).await {
        let done = done?;
        assert_eq!(done.status, 200, "{user}: {}", done.text);
        assert_eq!(added.status, 200, "{user}: {}", added.text);
        let order = order.as_str().unwrap_or_default();
        let stored = app.get(&format!("/orders/{order}?userId={user}")).await?;
        assert_eq!(stored.status, 200, "{}", stored.text);
        assert_eq!(stored.json["state"], "pending", "{}", stored.text);
        assert_eq!(
            done.json["items"], stored.json["items"],
            "{user}: the checkout's answer is the order checked out"
        );
        assert_eq!(done.json["totalAmount"], stored.json["totalAmount"]);
        if stored.json["items"].as_array().map(Vec::len) == Some(2) {
            after_read += 1;
        }
    }
    // Both orders of events happened: some adds joined the draft before its checkout.
    assert!(after_read > 0, "no add reached a draft before its checkout");
    Ok(())
}
