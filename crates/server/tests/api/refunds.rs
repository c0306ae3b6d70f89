//! Refunds (issue #27): an administrator gives back a paid order in whole or seat by seat. The
//! refunded tickets stop admitting the instant the refund is recorded, the seats go to the
//! waitlist first or back on sale, the buyer is told; a decline changes nothing; bad requests
//! are refused with a code; a refund the process dies in the middle of is finished after restart,
//! once.

use serde_json::{Value, json};
use std::time::Duration;
use testkit::{Reply, TestServer, eventually};

use crate::harness::InProcess;
use crate::helpers::{
    create_event, create_priced_event, pay, pending_order, seat_status, spawn_app,
};

const BUYER: &str = "ana@example.com";

/// A paid order of `seats` for `user`, its tickets issued (the harness settles).
async fn paid_order(app: &InProcess, seats: &[Value], user: &str, total: Value) -> String {
    let order = pending_order(app, seats, user).await;
    let paid = pay(app, &order, user, total).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    app.settle().await.expect("settle");
    order["id"].as_str().expect("order id").to_string()
}

/// `POST /admin/orders/{order}/refund` as the administrator.
async fn refund(app: &TestServer, order: &str, body: Value) -> Reply {
    app.admin("POST", &format!("/admin/orders/{order}/refund"), Some(body))
        .await
        .expect("refund")
}

/// The same with an `Idempotency-Key`.
async fn refund_with_key(
    app: &TestServer,
    order: &str,
    body: &Value,
    key: &str,
) -> anyhow::Result<Reply> {
    let url = format!("{}/admin/orders/{order}/refund", app.base("gateway"));
    let sent = app
        .client()
        .post(url)
        .bearer_auth(app.admin_token())
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await?;
    testkit::read(sent).await
}

/// `GET /admin/orders/{order}` as the administrator.
async fn dossier(app: &TestServer, order: &str) -> Value {
    let reply = app
        .admin("GET", &format!("/admin/orders/{order}"), None)
        .await
        .expect("dossier");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

/// The tickets of `user`'s order, as the buyer sees them.
async fn tickets(app: &TestServer, order: &str, user: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/orders/{order}/tickets?userId={user}"))
        .await
        .expect("tickets");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json.as_array().cloned().unwrap_or_default()
}

/// `POST /checkin` of `ticket` as the administrator; the answer.
async fn check_in(app: &TestServer, ticket: &Value) -> Value {
    let reply = app
        .admin("POST", "/checkin", Some(json!({"qr": ticket["qr"]})))
        .await
        .expect("check in");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

#[tokio::test]
async fn a_whole_refund_voids_the_tickets_at_once_frees_the_seats_and_tells_the_buyer()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 3).await;
    let order = paid_order(&app, &seats[..2], BUYER, json!(50.00)).await;
    let issued = tickets(&app, &order, BUYER).await;
    assert_eq!(issued.len(), 2);
    assert_eq!(check_in(&app, &issued[0]).await["result"], "admitted");
    // The ticket id a buyer reads out finds the order.
    let by_ticket = app
        .admin(
            "GET",
            &format!("/admin/orders?q={}", issued[1]["id"].as_str().expect("id")),
            None,
        )
        .await?;
    assert_eq!(
        by_ticket.json["orders"][0]["orderId"],
        order.as_str(),
        "{}",
        by_ticket.text
    );

    let body = json!({"reason": "The show moved to a smaller hall"});
    let done = refund_with_key(&app, &order, &body, "refund-ana-1").await?;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["status"], "succeeded");
    assert_eq!(done.json["amount"], json!(50.00));
    assert_eq!(done.json["seats"].as_array().map(Vec::len), Some(2));

    // Before any event is delivered, the door refuses both tickets, the used one too.
    for ticket in &issued {
        let answer = check_in(&app, ticket).await;
        assert_eq!(answer["result"], "void", "{answer}");
        assert_eq!(answer["reason"], "refunded");
        assert_eq!(
            answer["message"],
            "This ticket was refunded and no longer admits."
        );
    }
    // A repeat with the same key answers the same refund; without it, there is nothing left.
    let again = refund_with_key(&app, &order, &body, "refund-ana-1").await?;
    assert_eq!((again.status, &again.json["id"]), (200, &done.json["id"]));
    let twice = refund(&app, &order, body).await;
    assert_eq!(
        (twice.status, twice.code()),
        (409, "order_not_refundable"),
        "{}",
        twice.text
    );

    app.settle().await?;
    let d = dossier(&app, &order).await;
    assert_eq!(d["state"], "refunded");
    assert_eq!(d["refunded"], json!(50.00));
    assert!(
        d["lines"]
            .as_array()
            .is_some_and(|l| l.iter().all(|l| !l["refundedAt"].is_null()))
    );
    assert!(
        d["tickets"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t["status"] == "void"))
    );
    let kinds: Vec<&str> = d["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"refund"), "the buyer is told: {kinds:?}");
    let moments: Vec<&str> = d["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["what"].as_str())
        .collect();
    for what in [
        "Order created",
        "Paid",
        "Ticket issued",
        "Ticket checked in",
        "Refund asked",
        "Refunded",
    ] {
        assert!(moments.contains(&what), "{what} in {moments:?}");
    }
    for seat in &seats[..2] {
        let id = seat["id"].as_str().expect("seat id");
        assert_eq!(seat_status(&app, &event, id).await, "available");
    }
    // The sales figures count it: nothing sold, no revenue.
    let sales = app
        .admin("GET", &format!("/admin/events/{event}/sales"), None)
        .await?;
    assert_eq!(sales.status, 200, "{}", sales.text);
    assert_eq!(
        (&sales.json["soldSeats"], &sales.json["revenue"]),
        (&json!(0), &json!(0.0)),
        "{}",
        sales.text
    );
    // And a freed seat sells again.
    let again = paid_order(&app, &seats[..1], "bo@example.com", json!(25.00)).await;
    assert_eq!(dossier(&app, &again).await["state"], "completed");
    Ok(())
}

#[tokio::test]
async fn a_partial_refund_leaves_the_other_seats_valid_and_refuses_the_same_seat_twice()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (_, seats) = create_event(&app, 1, 3).await;
    let order = paid_order(&app, &seats[..3], BUYER, json!(75.00)).await;
    let seat = |i: usize| seats[i]["id"].clone();

    let one = refund(
        &app,
        &order,
        json!({"seatIds": [seat(0)], "reason": "Double booking"}),
    )
    .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.json["amount"], json!(25.00));
    app.settle().await?;
    assert_eq!(dossier(&app, &order).await["state"], "partially_refunded");
    let issued = tickets(&app, &order, BUYER).await;
    let ticket_of = |i: usize| {
        issued
            .iter()
            .find(|t| t["seatId"] == seat(i))
            .cloned()
            .expect("ticket")
    };
    assert_eq!(check_in(&app, &ticket_of(0)).await["result"], "void");
    assert_eq!(check_in(&app, &ticket_of(1)).await["result"], "admitted");

    let cases = [
        (
            json!({"seatIds": [seat(0)], "reason": "again"}),
            409,
            "seat_already_refunded",
        ),
        (
            json!({"seatIds": ["9b2f6c1e-0000-4000-8000-000000000001"], "reason": "x"}),
            400,
            "seat_not_in_order",
        ),
        (
            json!({"seatIds": [seat(1)], "amount": 25.01, "reason": "x"}),
            400,
            "refund_exceeds_paid",
        ),
        (
            json!({"amount": 50.01, "reason": "x"}),
            400,
            "refund_exceeds_paid",
        ),
        (
            json!({"seatIds": [seat(1)], "amount": 0, "reason": "x"}),
            400,
            "validation_failed",
        ),
        (
            json!({"seatIds": [seat(1), seat(1)], "reason": "x"}),
            400,
            "validation_failed",
        ),
        (json!({"seatIds": [seat(1)]}), 400, "validation_failed"),
        (
            json!({"seatIds": [seat(1)], "reason": "x", "refundAll": true}),
            400,
            "invalid_json",
        ),
    ];
    for (body, status, code) in cases {
        let r = refund(&app, &order, body.clone()).await;
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.text);
    }
    app.settle().await?;
    let d = dossier(&app, &order).await;
    assert_eq!(
        (&d["state"], &d["refunded"]),
        (&json!("partially_refunded"), &json!(25.00))
    );

    // A fee kept: the rest refunded for less than it cost.
    let rest = refund(
        &app,
        &order,
        json!({"amount": 45.00, "reason": "Cancelled, fee kept"}),
    )
    .await;
    assert_eq!(rest.status, 200, "{}", rest.text);
    assert_eq!(rest.json["seats"].as_array().map(Vec::len), Some(2));
    app.settle().await?;
    let d = dossier(&app, &order).await;
    assert_eq!(
        (&d["state"], &d["refunded"]),
        (&json!("refunded"), &json!(70.00))
    );
    Ok(())
}

#[tokio::test]
async fn a_declined_refund_changes_nothing_and_says_why() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    // 10.13 a seat: a refund of one seat ends in .13 and the simulated provider declines it.
    let (event, seats) = create_priced_event(&app, "10.13", 1, 2).await;
    let order = paid_order(&app, &seats[..2], BUYER, json!(20.26)).await;
    let declined = refund(
        &app,
        &order,
        json!({"seatIds": [seats[0]["id"]], "reason": "Asked by the buyer"}),
    )
    .await;
    assert_eq!(
        (declined.status, declined.code()),
        (422, "refund_declined"),
        "{}",
        declined.text
    );
    assert!(
        declined.error().contains("Your card was declined"),
        "{}",
        declined.text
    );
    assert!(
        declined.error().contains("Nothing was changed"),
        "{}",
        declined.text
    );

    app.settle().await?;
    let d = dossier(&app, &order).await;
    assert_eq!(
        (&d["state"], &d["refunded"]),
        (&json!("completed"), &json!(0.0))
    );
    assert_eq!(d["refunds"][0]["status"], "failed");
    let seat = seats[0]["id"].as_str().expect("seat");
    assert_eq!(seat_status(&app, &event, seat).await, "sold");
    let issued = tickets(&app, &order, BUYER).await;
    assert!(issued.iter().all(|t| t["status"] == "issued"));
    assert_eq!(check_in(&app, &issued[0]).await["result"], "admitted");

    // The whole order (20.26) is refunded.
    let whole = refund(&app, &order, json!({"reason": "Asked by the buyer"})).await;
    assert_eq!(whole.status, 200, "{}", whole.text);
    Ok(())
}

#[tokio::test]
async fn refunds_of_unpaid_or_unknown_orders_and_callers_who_may_not_refund_are_refused()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (_, seats) = create_event(&app, 1, 2).await;
    let pending = pending_order(&app, &seats[..1], BUYER).await;
    let pending = pending["id"].as_str().expect("id");
    let r = refund(&app, pending, json!({"reason": "x"})).await;
    assert_eq!(
        (r.status, r.code()),
        (409, "order_not_refundable"),
        "{}",
        r.text
    );
    assert!(r.error().contains("is pending"), "{}", r.text);
    let r = refund(
        &app,
        "9b2f6c1e-0000-4000-8000-000000000001",
        json!({"reason": "x"}),
    )
    .await;
    assert_eq!((r.status, r.code()), (404, "order_not_found"));

    let paid = paid_order(&app, &seats[1..2], "bo@example.com", json!(25.00)).await;
    let path = format!("/admin/orders/{paid}/refund");
    let body = json!({"reason": "x"});
    assert_eq!(app.post(&path, body.clone()).await?.status, 401);
    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    assert_eq!(app.admin("POST", "/users", Some(staff)).await?.status, 201);
    let door = app.login("door@example.com", "Passw0rd!").await?;
    let r = app
        .call_with_token(Some(&door), "POST", &path, Some(body))
        .await?;
    assert_eq!(r.status, 403, "{}", r.text);
    // Staff may look the order up, though.
    let r = app
        .call_with_token(Some(&door), "GET", &format!("/admin/orders/{paid}"), None)
        .await?;
    assert_eq!(
        (r.status, &r.json["state"]),
        (200, &json!("completed")),
        "{}",
        r.text
    );
    app.settle().await?;
    assert_eq!(dossier(&app, &paid).await["refunds"], json!([]));
    Ok(())
}

#[tokio::test]
async fn a_refunded_seat_goes_to_the_first_person_waiting() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 1).await;
    let order = paid_order(&app, &seats, BUYER, json!(25.00)).await;
    let joined = app
        .post(
            "/api/v1/waitlist/join",
            json!({"email": "wait@example.com", "eventId": event}),
        )
        .await?;
    assert_eq!(joined.status, 201, "{}", joined.text);

    let done = refund(&app, &order, json!({"reason": "Buyer cannot come"})).await;
    assert_eq!(done.status, 200, "{}", done.text);
    app.settle().await?;
    let entry = app
        .get(&format!(
            "/api/v1/waitlist/{}",
            joined.json["entryId"].as_str().expect("entry")
        ))
        .await?;
    assert_eq!(entry.json["status"], "assigned", "{}", entry.text);
    assert_eq!(
        entry.json["offer"]["seatId"], seats[0]["id"],
        "{}",
        entry.text
    );
    let seat = seats[0]["id"].as_str().expect("seat");
    assert_eq!(
        seat_status(&app, &event, seat).await,
        "reserved",
        "held for the offer, not on sale"
    );
    Ok(())
}

#[tokio::test]
async fn two_refunds_of_one_order_at_once_give_each_seat_back_once() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (_, seats) = create_event(&app, 1, 4).await;
    let order = paid_order(&app, &seats, BUYER, json!(100.00)).await;
    let body =
        |i: usize| json!({"seatIds": [seats[i]["id"], seats[(i + 1) % 4]["id"]], "reason": "race"});
    let replies = futures::future::join_all((0..4).map(|i| refund(&app, &order, body(i)))).await;
    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(!won.is_empty(), "{replies:?}");
    for r in replies.iter().filter(|r| r.status != 200) {
        assert!(
            ["refund_in_progress", "seat_already_refunded"].contains(&r.code()),
            "{}",
            r.text
        );
    }
    let mut given: Vec<&str> = won
        .iter()
        .flat_map(|r| r.json["seats"].as_array().into_iter().flatten())
        .filter_map(|s| s["seatId"].as_str())
        .collect();
    let count = given.len();
    given.sort_unstable();
    given.dedup();
    assert_eq!(given.len(), count, "a seat refunded twice: {replies:?}");
    app.settle().await?;
    let d = dossier(&app, &order).await;
    let refunded: f64 = d["refunded"].as_f64().unwrap_or_default();
    assert!((refunded - 25.0 * count as f64).abs() < 0.001, "{d}");
    Ok(())
}

#[tokio::test]
async fn a_refund_racing_the_door_ends_with_the_ticket_void_and_each_answer_true_when_given()
-> anyhow::Result<()> {
    // A process of its own: the refund and the check-in run truly at once.
    let app = spawn_app().await;
    let (_, seats) = create_event(&app, 2, 5).await;
    let mut orders = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        let user = format!("buyer{i}@example.com");
        let order = pending_order(&app, std::slice::from_ref(seat), &user).await;
        assert_eq!(pay(&app, &order, &user, json!(25.00)).await.status, 200);
        orders.push((order["id"].as_str().expect("order").to_string(), user));
    }
    let mut ready = Vec::new();
    for (order, user) in &orders {
        eventually(Duration::from_secs(20), "the ticket issued", || async {
            Ok(tickets(&app, order, user).await.len() == 1)
        })
        .await?;
        ready.push((order.clone(), tickets(&app, order, user).await.remove(0)));
    }
    let races = ready.iter().map(|(order, ticket)| async {
        tokio::join!(
            refund(&app, order, json!({"reason": "race"})),
            check_in(&app, ticket)
        )
    });
    for (refunded, door) in futures::future::join_all(races).await {
        assert_eq!(refunded.status, 200, "{}", refunded.text);
        // Admitted (the check-in came first) or void (the refund did); never "already used".
        let result = door["result"].as_str().unwrap_or_default();
        assert!(["admitted", "void"].contains(&result), "{door}");
        let again = check_in(&app, &door["ticket"]).await;
        assert_eq!(
            (&again["result"], &again["ticket"]["status"]),
            (&json!("void"), &json!("void")),
            "{again}"
        );
        if result == "admitted" {
            assert!(!again["ticket"]["checkedInAt"].is_null(), "{again}");
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_refund_the_process_died_in_after_the_provider_accepted_it_is_finished_once()
-> anyhow::Result<()> {
    let mut app = spawn_app().await;
    let (event, seats) = create_event(&app, 1, 2).await;
    let order = pending_order(&app, &seats, BUYER).await;
    assert_eq!(pay(&app, &order, BUYER, json!(50.00)).await.status, 200);
    let order = order["id"].as_str().expect("order").to_string();
    eventually(Duration::from_secs(20), "tickets issued", || async {
        Ok(tickets(&app, &order, BUYER).await.len() == 2)
    })
    .await?;

    app.restart_with_fault(Some("abort-after-refund")).await?;
    let path = format!("/admin/orders/{order}/refund");
    let died = app
        .call("POST", &path, Some(json!({"reason": "Cancelled"})))
        .await;
    assert!(
        died.as_ref()
            .map_or(true, |r| r.status == 401 || r.status >= 500),
        "the process dies before it answers: {died:?}"
    );
    // The process asked with the admin's token; it is dead now whatever it answered.
    let dying = app
        .admin("POST", &path, Some(json!({"reason": "Cancelled"})))
        .await;
    assert!(dying.is_err(), "the process died in the refund: {dying:?}");

    app.restart_with_fault(None).await?;
    eventually(
        Duration::from_secs(30),
        "the refund finished after restart",
        || async { Ok(dossier(&app, &order).await["state"] == "refunded") },
    )
    .await?;
    let d = dossier(&app, &order).await;
    let refunds = d["refunds"].as_array().cloned().unwrap_or_default();
    assert_eq!(refunds.len(), 1, "asked once, refunded once: {d}");
    assert_eq!(refunds[0]["status"], "succeeded");
    assert_eq!(d["refunded"], json!(50.00));
    assert!(
        tickets(&app, &order, BUYER)
            .await
            .iter()
            .all(|t| t["status"] == "void")
    );
    for seat in &seats {
        let id = seat["id"].as_str().expect("seat");
        assert_eq!(seat_status(&app, &event, id).await, "available");
    }
    Ok(())
}
