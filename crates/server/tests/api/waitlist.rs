//! The waitlist: a sold-out event queues people, and every seat that frees up is handed to the
//! next person in line atomically — held for them, with a pending order and an e-mailed token
//! to pay it — until the line is empty.

use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use testkit::{SmtpSink, TestServer, eventually};

use crate::harness::InProcess;
use crate::helpers::{create_event, deactivate, hold, pay, pending_order, seat_status, spawn_with};

/// `POST /api/v1/waitlist/join`.
async fn join(app: &TestServer, email: &str, event: &str) -> testkit::Reply {
    app.post(
        "/api/v1/waitlist/join",
        json!({"email": email, "eventId": event}),
    )
    .await
    .expect("join")
}

/// `GET /api/v1/waitlist/{id}`.
async fn entry(app: &TestServer, id: &Value) -> Value {
    let reply = app
        .get(&format!(
            "/api/v1/waitlist/{}",
            id.as_str().expect("entry id")
        ))
        .await
        .expect("entry");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

/// Waits until the entry has `status`, and returns it.
async fn entry_in(app: &TestServer, id: &Value, status: &str, secs: u64) -> Value {
    let what = format!("entry {id} to be {status}");
    eventually(Duration::from_secs(secs), &what, || async move {
        Ok(entry(app, id).await["status"] == status)
    })
    .await
    .expect("entry status");
    entry(app, id).await
}

/// The message of `smtp` to `to` whose subject starts with `subject`, already delivered (the
/// in-process harness sends due e-mail in its settling step).
fn sent(smtp: &SmtpSink, to: &str, subject: &str) -> String {
    smtp.messages()
        .into_iter()
        .find(|m| m.contains(&format!("To: {to}")) && m.contains(&format!("Subject: {subject}")))
        .unwrap_or_else(|| panic!("no e-mail {subject:?} to {to}"))
}

/// The guest token an offer e-mail carries.
fn token_in(mail: &str) -> String {
    mail.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .find(|w| w.starts_with("guest_"))
        .expect("a guest token in the offer e-mail")
        .to_string()
}

#[tokio::test]
async fn a_sold_out_event_hands_freed_seats_down_the_line_until_someone_pays() -> anyhow::Result<()>
{
    // In process, with the clock moved by hand: holds last 4 s and offers 6 s of that clock.
    let smtp = SmtpSink::start().await?;
    let app = InProcess::start(|args| {
        args.smtp_url = Some(smtp.url());
        args.hold_seconds = Some(4);
        args.offer_seconds = Some(6);
    })
    .await?;
    let (event, seats) = create_event(&app, 1, 3).await;
    let seat = |i: usize| seats[i]["id"].as_str().expect("seat").to_string();

    let early = join(&app, "too-early@example.com", &event).await;
    assert_eq!(
        (early.status, early.code()),
        (409, "seats_available"),
        "{}",
        early.text
    );

    // Sell out: one seat bought, one held until it lapses, one held and then given back.
    let sold = pending_order(&app, &seats[..1], "buyer@example.com").await;
    assert_eq!(
        pay(&app, &sold, "buyer@example.com", json!(25.00))
            .await
            .status,
        200
    );
    let given_back = hold(&app, &seat(2), "quitter").await;
    assert_eq!(given_back.status, 201);
    assert_eq!(hold(&app, &seat(1), "lapser").await.status, 201);

    let mut entries = Vec::new();
    for (i, who) in [
        "first@example.com",
        "second@example.com",
        "third@example.com",
    ]
    .iter()
    .enumerate()
    {
        let joined = join(&app, who, &event).await;
        assert_eq!(joined.status, 201, "{}", joined.text);
        assert_eq!(joined.json["position"], i + 1);
        assert_eq!(
            joined.headers["location"],
            format!(
                "/api/v1/waitlist/{}",
                joined.json["entryId"].as_str().expect("id")
            )
            .as_str()
        );
        entries.push(joined.json["entryId"].clone());
    }
    let again = join(&app, "FIRST@example.com", &event).await;
    assert_eq!((again.status, again.code()), (409, "already_waiting"));
    let pending = app
        .get(&format!("/api/v1/waitlist/has-pending?eventId={event}"))
        .await?;
    assert_eq!(pending.json, json!({"hasPending": true, "pendingCount": 3}));

    // A seat given back goes to the first in line, not back on sale.
    let released = app
        .call(
            "DELETE",
            &format!(
                "/reservations/{}?customerId=quitter",
                given_back.json["reservationId"].as_str().expect("id")
            ),
            None,
        )
        .await?;
    assert_eq!(released.status, 200, "{}", released.text);
    let first = entry(&app, &entries[0]).await;
    assert_eq!(first["status"], "assigned", "atomically, in the release");
    assert_eq!(first["offer"]["seatId"], seat(2).as_str());
    assert_eq!(seat_status(&app, &event, &seat(2)).await, "reserved");
    let stolen = hold(&app, &seat(2), "someone-else").await;
    assert_eq!(
        (stolen.status, stolen.code()),
        (409, "seat_already_reserved")
    );
    assert_eq!(entry(&app, &entries[1]).await["position"], 1);

    // The first person is e-mailed a token and pays the pending order with it.
    app.settle().await?;
    let offer = sent(&smtp, "first@example.com", "A seat is yours: Test Night");
    let token = token_in(&offer);
    let order_id = first["offer"]["orderId"].as_str().expect("order id");
    assert!(offer.contains(order_id), "the e-mail names the order");
    let order = app
        .get(&format!("/orders/{order_id}?guestToken={token}"))
        .await?;
    assert_eq!(order.status, 200, "{}", order.text);
    assert_eq!(order.json["state"], "pending");
    assert_eq!(order.json["totalAmount"], json!(25.00));
    let paid = pay(&app, &order.json, &token, json!(25.00)).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    app.settle().await?;
    assert_eq!(entry(&app, &entries[0]).await["status"], "completed");
    let tickets = sent(&smtp, "first@example.com", "Your Ticket for Test Night");
    assert!(tickets.contains("Content-Type: application/pdf"));

    // The lapsing hold's seat goes to the second person, who lets the offer lapse in turn:
    // the third person gets it, and the second is told.
    app.advance(3).await?;
    assert_eq!(
        entry(&app, &entries[1]).await["status"],
        "pending",
        "not before the hold's end"
    );
    app.advance(2).await?;
    let second = entry(&app, &entries[1]).await;
    assert_eq!(second["status"], "assigned");
    assert_eq!(second["offer"]["seatId"], seat(1).as_str());
    assert_eq!(entry(&app, &entries[2]).await["position"], 1);
    sent(&smtp, "second@example.com", "A seat is yours");
    app.advance(7).await?;
    let third = entry(&app, &entries[2]).await;
    assert_eq!(third["status"], "assigned");
    assert_eq!(third["offer"]["seatId"], seat(1).as_str());
    assert_eq!(entry(&app, &entries[1]).await["status"], "expired");
    sent(&smtp, "second@example.com", "Your waitlist offer has ended");
    sent(&smtp, "third@example.com", "A seat is yours");
    assert_eq!(seat_status(&app, &event, &seat(1)).await, "reserved");

    // The third leaves: with nobody left in line the seat is back on sale, its order cancelled.
    let left = app
        .call(
            "DELETE",
            &format!("/api/v1/waitlist/{}", entries[2].as_str().expect("id")),
            None,
        )
        .await?;
    assert_eq!(left.status, 200, "{}", left.text);
    assert_eq!(left.json["status"], "left");
    let twice = app
        .call(
            "DELETE",
            &format!("/api/v1/waitlist/{}", entries[2].as_str().expect("id")),
            None,
        )
        .await?;
    assert_eq!((twice.status, twice.code()), (409, "waitlist_entry_closed"));
    assert_eq!(seat_status(&app, &event, &seat(1)).await, "available");
    let third_order = third["offer"]["orderId"]
        .as_str()
        .expect("order")
        .to_string();
    app.settle().await?;
    let cancelled = app
        .admin("GET", &format!("/orders/{third_order}"), None)
        .await?;
    assert_eq!(cancelled.json["state"], "cancelled", "{}", cancelled.text);
    let pending = app
        .get(&format!("/api/v1/waitlist/has-pending?eventId={event}"))
        .await?;
    assert_eq!(
        pending.json,
        json!({"hasPending": false, "pendingCount": 0})
    );
    Ok(())
}

#[tokio::test]
async fn many_seats_freed_at_once_go_to_distinct_people_and_never_on_sale() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-seconds", "3", "--hold-rate-limit", "0"]).await;
    let (event, seats) = create_event(&app, 2, 10).await;
    let ids: Vec<String> = seats
        .iter()
        .map(|s| s["id"].as_str().expect("seat").to_string())
        .collect();
    for (i, seat) in ids.iter().enumerate() {
        assert_eq!(hold(&app, seat, &format!("holder-{i}")).await.status, 201);
    }
    let mut entries = Vec::new();
    for i in 0..30 {
        let joined = join(&app, &format!("fan{i}@example.com"), &event).await;
        assert_eq!(joined.status, 201, "{}", joined.text);
        entries.push(joined.json["entryId"].clone());
    }

    // Buyers hammer the seats while the 20 holds lapse together: none may get one.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut grabbers = Vec::new();
    for g in 0..8 {
        let (client, base, ids) = (app.client().clone(), app.base("gateway"), ids.clone());
        grabbers.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            let mut n = g;
            while tokio::time::Instant::now() < deadline {
                let seat = &ids[n % ids.len()];
                n += 1;
                let r = client
                    .post(format!("{base}/reservations"))
                    .json(&json!({"seatId": seat, "customerId": format!("grabber-{g}")}))
                    .send()
                    .await
                    .expect("hold");
                answers.push(r.status().as_u16());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            answers
        }));
    }
    let mut answers = Vec::new();
    for g in grabbers {
        answers.extend(g.await?);
    }
    assert!(answers.len() > 100, "the grabbers ran ({})", answers.len());
    assert!(
        answers.iter().all(|s| *s == 409),
        "a freed seat was sold instead of offered: {:?}",
        answers.iter().filter(|s| **s != 409).collect::<Vec<_>>()
    );

    let mut offered_seats = HashSet::new();
    let mut orders = HashSet::new();
    for (i, id) in entries.iter().enumerate() {
        let e = entry(&app, id).await;
        if i < 20 {
            assert_eq!(e["status"], "assigned", "entry {i}: {e}");
            assert!(offered_seats.insert(e["offer"]["seatId"].to_string()));
            assert!(orders.insert(e["offer"]["orderId"].to_string()));
        } else {
            assert_eq!(e["status"], "pending", "entry {i}: {e}");
            assert_eq!(e["position"], i - 19);
        }
    }
    assert_eq!(offered_seats.len(), 20, "each seat offered once");
    let map = crate::helpers::seat_map(&app, &event).await;
    let statuses: Vec<&str> = map["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .filter_map(|s| s["status"].as_str())
        .collect();
    assert!(statuses.iter().all(|s| *s == "reserved"), "{statuses:?}");
    eventually(Duration::from_secs(5), "the offer notices", || {
        let app = &app;
        async move {
            let mut all = 0;
            for i in 0..30 {
                let n = app
                    .admin(
                        "GET",
                        &format!("/notifications?email=fan{i}@example.com"),
                        None,
                    )
                    .await?;
                let offers = n.json.as_array().map_or(0, |l| {
                    l.iter().filter(|m| m["kind"] == "waitlist_offer").count()
                });
                assert!(offers <= 1, "fan{i} was offered {offers} seats");
                all += offers;
            }
            Ok(all == 20)
        }
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn an_offer_survives_a_crash_and_can_still_be_paid() -> anyhow::Result<()> {
    let mut app = spawn_with(&["--no-demo", "--hold-seconds", "2", "--offer-seconds", "60"]).await;
    let (event, seats) = create_event(&app, 1, 1).await;
    let seat = seats[0]["id"].as_str().expect("seat");
    assert_eq!(hold(&app, seat, "lapser").await.status, 201);
    let joined = join(&app, "patient@example.com", &event).await;
    assert_eq!(joined.status, 201, "{}", joined.text);
    let id = joined.json["entryId"].clone();
    let offered = entry_in(&app, &id, "assigned", 10).await;

    app.crash_and_restart().await?;

    let after = entry(&app, &id).await;
    assert_eq!(after["offer"], offered["offer"], "the offer is kept");
    assert_eq!(seat_status(&app, &event, seat).await, "reserved");
    // Without SMTP the offer is an .eml file; its token still pays the order.
    let mail_dir = app.data_dir().join("mail");
    let offer_file = || {
        std::fs::read_dir(&mail_dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
            .find(|text| text.contains("A seat is yours"))
    };
    eventually(Duration::from_secs(10), "the offer e-mail file", || {
        let found = offer_file().is_some();
        async move { Ok(found) }
    })
    .await?;
    let token = token_in(&offer_file().unwrap_or_default());
    let order = json!({"id": offered["offer"]["orderId"]});
    let paid = pay(&app, &order, &token, json!(25.00)).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    entry_in(&app, &id, "completed", 10).await;
    eventually(Duration::from_secs(10), "the seat sold", || {
        let (app, event) = (&app, &event);
        async move { Ok(seat_status(app, event, seat).await == "sold") }
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn deactivating_the_event_withdraws_offers_and_pauses_the_line() -> anyhow::Result<()> {
    let app = InProcess::start(|args| {
        args.hold_seconds = Some(2);
        args.offer_seconds = Some(60);
    })
    .await?;
    let (event, seats) = create_event(&app, 1, 1).await;
    let seat = seats[0]["id"].as_str().expect("seat");
    assert_eq!(hold(&app, seat, "lapser").await.status, 201);
    let first = join(&app, "one@example.com", &event).await.json["entryId"].clone();
    let second = join(&app, "two@example.com", &event).await.json["entryId"].clone();
    app.advance(3).await?;
    let offered = entry(&app, &first).await;
    assert_eq!(offered["status"], "assigned", "{offered}");

    let off = deactivate(&app, &event).await;
    assert_eq!(
        off.status, 200,
        "an offer does not block deactivation: {}",
        off.text
    );
    app.settle().await?;
    assert_eq!(entry(&app, &first).await["status"], "cancelled");
    let order = offered["offer"]["orderId"].as_str().expect("order");
    let cancelled = app.admin("GET", &format!("/orders/{order}"), None).await?;
    assert_eq!(cancelled.json["state"], "cancelled", "{}", cancelled.text);
    let waiting = entry(&app, &second).await;
    assert_eq!(waiting["status"], "pending", "not offered while off sale");
    assert_eq!(waiting["position"], 1);

    let on = app
        .admin(
            "POST",
            &format!("/admin/events/{event}/reactivate"),
            Some(json!({})),
        )
        .await?;
    assert_eq!(on.status, 200);
    assert_eq!(seat_status(&app, &event, seat).await, "available");
    Ok(())
}

#[tokio::test]
async fn joining_checks_its_input() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let (event, _) = create_event(&app, 1, 1).await;
    let cases = [
        (json!({"eventId": event}), 400, "validation_failed"),
        (
            json!({"email": "not-an-address", "eventId": event}),
            400,
            "validation_failed",
        ),
        (json!({"email": "a@example.com"}), 400, "validation_failed"),
        (
            json!({"email": "a@example.com", "eventId": "00000000-0000-0000-0000-000000000000"}),
            400,
            "validation_failed",
        ),
        (
            json!({"email": "a@example.com", "eventId": "9b2f6c1e-0000-4000-8000-000000000001"}),
            404,
            "event_not_found",
        ),
        (
            json!({"email": "a@example.com", "eventId": event}),
            409,
            "seats_available",
        ),
    ];
    for (body, status, code) in cases {
        let r = app.post("/api/v1/waitlist/join", body.clone()).await?;
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.text);
    }
    let r = app.get("/api/v1/waitlist/has-pending").await?;
    assert_eq!((r.status, r.error()), (400, "eventId is required."));
    let r = app
        .get("/api/v1/waitlist/9b2f6c1e-0000-4000-8000-000000000001")
        .await?;
    assert_eq!((r.status, r.code()), (404, "waitlist_entry_not_found"));
    let r = app
        .call_at(
            "waitlist",
            "GET",
            &format!("/API/v1/Waitlist/has-pending?eventId={event}"),
            None,
        )
        .await?;
    assert_eq!(
        r.json,
        json!({"hasPending": false, "pendingCount": 0}),
        "on port 5006 too"
    );
    Ok(())
}
