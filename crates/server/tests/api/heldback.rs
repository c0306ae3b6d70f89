//! Seats held back (issue #27): an organiser keeps seats off sale with a reason; buyers cannot
//! hold them and see them as unavailable; holding back never touches a seat that is held, in a
//! cart or sold (the refusal names each); releasing offers each seat to the waitlist first.

use serde_json::{Value, json};
use std::collections::HashSet;

use crate::harness::InProcess;
use crate::helpers::{create_event, hold, pay, pending_order, seat_status, spawn_app};
use testkit::{Reply, TestServer};

async fn hold_back(app: &TestServer, event: &str, body: Value) -> Reply {
    app.admin(
        "POST",
        &format!("/admin/events/{event}/held-back"),
        Some(body),
    )
    .await
    .expect("hold back")
}

async fn release(app: &TestServer, event: &str, body: Value) -> Reply {
    app.admin(
        "POST",
        &format!("/admin/events/{event}/held-back/release"),
        Some(body),
    )
    .await
    .expect("release")
}

fn id(seat: &Value) -> &str {
    seat["id"].as_str().expect("seat id")
}

#[tokio::test]
async fn held_back_seats_cannot_be_held_show_as_unavailable_and_are_counted() -> anyhow::Result<()>
{
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 2, 4).await;
    let done = hold_back(
        &app,
        &event,
        json!({"sectionCode": "A", "rowNumber": 1, "reason": "House seats"}),
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["changed"], 4);

    let refused = hold(&app, id(&seats[0]), "ana").await;
    assert_eq!(
        (refused.status, refused.code()),
        (409, "seat_held_back"),
        "{}",
        refused.text
    );
    assert!(
        refused.error().contains("held back by the organiser"),
        "{}",
        refused.text
    );
    assert_eq!(
        seat_status(&app, &event, id(&seats[0])).await,
        "unavailable"
    );
    assert_eq!(seat_status(&app, &event, id(&seats[4])).await, "available");

    let listed = app
        .admin("GET", &format!("/admin/events/{event}/held-back"), None)
        .await?;
    assert_eq!(
        listed.json.as_array().map(Vec::len),
        Some(4),
        "{}",
        listed.text
    );
    assert_eq!(listed.json[0]["reason"], "House seats");
    assert_eq!(listed.json[0]["blockedBy"], testkit::ADMIN_EMAIL);
    let sales = app
        .admin("GET", &format!("/admin/events/{event}/sales"), None)
        .await?;
    assert_eq!(
        (&sales.json["heldBackSeats"], &sales.json["availableSeats"]),
        (&json!(4), &json!(4)),
        "{}",
        sales.text
    );
    let listing = app.get(&format!("/events/{event}")).await?;
    assert_eq!(listing.json["availableSeats"], 4, "{}", listing.text);

    // Holding back again changes nothing; releasing puts them on sale.
    let again = hold_back(
        &app,
        &event,
        json!({"seatIds": [id(&seats[0])], "reason": "x"}),
    )
    .await;
    assert_eq!((again.status, &again.json["changed"]), (200, &json!(0)));
    let freed = release(
        &app,
        &event,
        json!({"seatIds": [id(&seats[0]), id(&seats[5])]}),
    )
    .await;
    assert_eq!(
        (freed.status, &freed.json["changed"]),
        (200, &json!(1)),
        "{}",
        freed.text
    );
    assert_eq!(hold(&app, id(&seats[0]), "ana").await.status, 201);
    Ok(())
}

#[tokio::test]
async fn holding_back_refuses_held_carted_and_sold_seats_naming_each_and_changes_nothing()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 5).await;
    assert_eq!(hold(&app, id(&seats[1]), "bo").await.status, 201);
    let order = pending_order(&app, &seats[2..3], "cy").await;
    assert_eq!(pay(&app, &order, "cy", json!(25.00)).await.status, 200);
    app.settle().await?;

    let refused = hold_back(
        &app,
        &event,
        json!({"sectionCode": "A", "reason": "Production hold"}),
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (409, "seats_not_free"),
        "{}",
        refused.text
    );
    assert!(refused.error().contains("A-1-2 (held)"), "{}", refused.text);
    assert!(refused.error().contains("A-1-3 (sold)"), "{}", refused.text);
    assert!(
        refused.error().contains("nothing was changed"),
        "{}",
        refused.text
    );
    assert_eq!(
        seat_status(&app, &event, id(&seats[0])).await,
        "available",
        "all or nothing"
    );

    let cases = [
        (json!({"reason": "x"}), 400, "validation_failed"),
        (
            json!({"seatIds": [id(&seats[0])]}),
            400,
            "validation_failed",
        ),
        (
            json!({"seatIds": [id(&seats[0])], "reason": " "}),
            400,
            "validation_failed",
        ),
        (
            json!({"sectionCode": "Z", "reason": "x"}),
            400,
            "validation_failed",
        ),
        (
            json!({"rowNumber": 1, "reason": "x"}),
            400,
            "validation_failed",
        ),
        (
            json!({"seatIds": ["9b2f6c1e-0000-4000-8000-000000000001"], "reason": "x"}),
            404,
            "seat_not_found",
        ),
        (
            json!({"seatIds": [id(&seats[0])], "reason": "x", "kind": "vip"}),
            400,
            "invalid_json",
        ),
    ];
    for (body, status, code) in cases {
        let r = hold_back(&app, &event, body.clone()).await;
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.text);
    }
    let (other, other_seats) = create_event(&app, 1, 1).await;
    let r = hold_back(
        &app,
        &event,
        json!({"seatIds": [id(&other_seats[0])], "reason": "x"}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "validation_failed"),
        "{}",
        r.text
    );
    let _ = other;

    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    assert_eq!(app.admin("POST", "/users", Some(staff)).await?.status, 201);
    let door = app.login("door@example.com", "Passw0rd!").await?;
    let path = format!("/admin/events/{event}/held-back");
    let r = app
        .call_with_token(
            Some(&door),
            "POST",
            &path,
            Some(json!({"sectionCode": "A", "reason": "x"})),
        )
        .await?;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(
        app.post(&path, json!({"sectionCode": "A", "reason": "x"}))
            .await?
            .status,
        401
    );
    let listed = app.admin("GET", &path, None).await?;
    assert_eq!(listed.json, json!([]), "nothing was held back");
    Ok(())
}

#[tokio::test]
async fn a_released_seat_goes_to_the_first_person_waiting() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 2).await;
    assert_eq!(
        hold_back(
            &app,
            &event,
            json!({"seatIds": [id(&seats[0])], "reason": "House"})
        )
        .await
        .status,
        200
    );
    let order = pending_order(&app, &seats[1..2], "ana").await;
    assert_eq!(pay(&app, &order, "ana", json!(25.00)).await.status, 200);
    app.settle().await?;
    let joined = app
        .post(
            "/api/v1/waitlist/join",
            json!({"email": "wait@example.com", "eventId": event}),
        )
        .await?;
    assert_eq!(
        joined.status, 201,
        "sold out but for a held-back seat: {}",
        joined.text
    );

    assert_eq!(
        release(&app, &event, json!({"seatIds": [id(&seats[0])]}))
            .await
            .status,
        200
    );
    app.settle().await?;
    let entry = app
        .get(&format!(
            "/api/v1/waitlist/{}",
            joined.json["entryId"].as_str().expect("entry")
        ))
        .await?;
    assert_eq!(entry.json["status"], "assigned", "{}", entry.text);
    assert_eq!(entry.json["offer"]["seatId"], seats[0]["id"]);
    Ok(())
}

#[tokio::test]
async fn holding_back_a_section_while_buyers_rush_it_never_leaves_a_seat_both_held_and_held_back()
-> anyhow::Result<()> {
    let app = spawn_app().await;
    let (event, seats) = create_event(&app, 2, 20).await;
    let buyers = seats.iter().enumerate().map(|(i, seat)| {
        let app = &app;
        async move {
            (
                id(seat).to_string(),
                hold(app, id(seat), &format!("buyer-{i}")).await,
            )
        }
    });
    let blocker = async {
        let mut outcomes = Vec::new();
        for _ in 0..10 {
            outcomes
                .push(hold_back(&app, &event, json!({"sectionCode": "A", "reason": "race"})).await);
        }
        outcomes
    };
    let (holds, blocks) = tokio::join!(futures::future::join_all(buyers), blocker);
    for b in &blocks {
        assert!(
            b.status == 200 || (b.status == 409 && b.code() == "seats_not_free"),
            "{}",
            b.text
        );
    }
    let listed = app
        .admin("GET", &format!("/admin/events/{event}/held-back"), None)
        .await?;
    let held_back: HashSet<String> = listed
        .json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["seatId"].as_str().map(str::to_owned))
        .collect();
    for (seat, reply) in holds {
        match reply.status {
            201 => assert!(!held_back.contains(&seat), "{seat} is held and held back"),
            409 => assert_eq!(reply.code(), "seat_held_back", "{}", reply.text),
            other => panic!("hold answered {other}: {}", reply.text),
        }
    }
    Ok(())
}

#[tokio::test]
async fn wheelchair_spaces_and_companion_seats_are_marked_on_the_map() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 4).await;
    let path = format!("/admin/events/{event}/seats/access");
    let mark = |ids: Vec<&str>, access: &str| json!({"seatIds": ids, "access": access});
    let r = app
        .admin(
            "POST",
            &path,
            Some(mark(vec![id(&seats[0]), id(&seats[1])], "wheelchair")),
        )
        .await?;
    assert_eq!(
        (r.status, &r.json["changed"]),
        (200, &json!(2)),
        "{}",
        r.text
    );
    let r = app
        .admin("POST", &path, Some(mark(vec![id(&seats[2])], "companion")))
        .await?;
    assert_eq!(r.status, 200, "{}", r.text);
    let access_of = |map: &Value, i: usize| map["seats"][i]["access"].clone();
    let map = crate::helpers::seat_map(&app, &event).await;
    assert_eq!(
        (access_of(&map, 0), access_of(&map, 2), access_of(&map, 3)),
        (json!("wheelchair"), json!("companion"), Value::Null),
        "{map}"
    );
    // A marked seat sells like any other.
    assert_eq!(hold(&app, id(&seats[0]), "ana").await.status, 201);

    let (_, other) = create_event(&app, 1, 1).await;
    let cases = [
        (mark(vec![id(&seats[3])], "vip"), 400, "validation_failed"),
        (mark(vec![], "wheelchair"), 400, "validation_failed"),
        (
            mark(vec![id(&seats[3]), id(&other[0])], "wheelchair"),
            400,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        let r = app.admin("POST", &path, Some(body.clone())).await?;
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.text);
    }
    let map = crate::helpers::seat_map(&app, &event).await;
    assert_eq!(access_of(&map, 3), Value::Null, "all or nothing");
    let r = app
        .admin("POST", &path, Some(mark(vec![id(&seats[1])], "none")))
        .await?;
    assert_eq!(r.status, 200, "{}", r.text);
    let map = crate::helpers::seat_map(&app, &event).await;
    assert_eq!(access_of(&map, 1), Value::Null);
    assert_eq!(
        app.post(&path, mark(vec![id(&seats[3])], "wheelchair"))
            .await?
            .status,
        401
    );
    Ok(())
}

async fn box_office(app: &TestServer, event: &str, body: Value) -> Reply {
    app.admin(
        "POST",
        &format!("/admin/events/{event}/box-office"),
        Some(body),
    )
    .await
    .expect("box office")
}

#[tokio::test]
async fn the_box_office_sells_free_and_held_back_seats_to_a_named_buyer_with_tickets_and_email()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 5).await;
    assert_eq!(
        hold_back(
            &app,
            &event,
            json!({"seatIds": [id(&seats[2])], "reason": "House"})
        )
        .await
        .status,
        200
    );
    let sold = box_office(
        &app,
        &event,
        json!({
            "seatIds": [id(&seats[0]), id(&seats[1]), id(&seats[2])],
            "buyerName": "Dana Scully", "email": "Dana@Example.com", "paymentMethod": "cash"
        }),
    )
    .await;
    assert_eq!(sold.status, 201, "{}", sold.text);
    assert_eq!(sold.json["totalAmount"], json!(75.00));
    let order = sold.json["id"].as_str().expect("order id").to_string();
    app.settle().await?;

    let d = app
        .admin("GET", &format!("/admin/orders/{order}"), None)
        .await?;
    assert_eq!(d.json["state"], "completed", "{}", d.text);
    assert_eq!(d.json["email"], "dana@example.com");
    assert_eq!(d.json["payments"][0]["status"], "succeeded");
    assert_eq!(
        d.json["tickets"].as_array().map(Vec::len),
        Some(3),
        "{}",
        d.text
    );
    assert!(
        d.json["emails"]
            .as_array()
            .is_some_and(|e| e.iter().any(|m| m["kind"] == "tickets")),
        "{}",
        d.text
    );
    for seat in &seats[..3] {
        assert_eq!(seat_status(&app, &event, id(seat)).await, "sold");
    }
    let listed = app
        .admin("GET", &format!("/admin/events/{event}/held-back"), None)
        .await?;
    assert_eq!(
        listed.json,
        json!([]),
        "the sold seat is no longer held back"
    );
    // The buyer's name finds the order, in any case.
    let found = app
        .admin("GET", "/admin/orders?q=dana%20SCULLY", None)
        .await?;
    assert_eq!(
        found.json["orders"][0]["orderId"],
        order.as_str(),
        "{}",
        found.text
    );
    assert_eq!(found.json["orders"][0]["buyer"], "Dana Scully");

    // A comp ticket costs nothing, and is a ticket like any other.
    let comp = box_office(&app, &event, json!({
        "seatIds": [id(&seats[3])], "buyerName": "Press", "email": "press@example.com", "paymentMethod": "comp"
    })).await;
    assert_eq!(
        (comp.status, &comp.json["totalAmount"]),
        (201, &json!(0.0)),
        "{}",
        comp.text
    );
    app.settle().await?;
    let d = app
        .admin(
            "GET",
            &format!("/admin/orders/{}", comp.json["id"].as_str().expect("id")),
            None,
        )
        .await?;
    assert_eq!(
        (&d.json["state"], d.json["tickets"].as_array().map(Vec::len)),
        (&json!("completed"), Some(1))
    );
    assert_eq!(d.json["buyerName"], "Press");
    // A comp is cancelled by a refund of nothing: its ticket is void, its seat free again.
    let comp_id = comp.json["id"].as_str().expect("id");
    let cancelled = app
        .admin(
            "POST",
            &format!("/admin/orders/{comp_id}/refund"),
            Some(json!({"reason": "Guest list changed"})),
        )
        .await?;
    assert_eq!(
        (cancelled.status, &cancelled.json["amount"]),
        (200, &json!(0.0)),
        "{}",
        cancelled.text
    );
    app.settle().await?;
    let d = app
        .admin("GET", &format!("/admin/orders/{comp_id}"), None)
        .await?;
    assert_eq!(
        (&d.json["state"], &d.json["tickets"][0]["status"]),
        (&json!("refunded"), &json!("void"))
    );
    assert_eq!(seat_status(&app, &event, id(&seats[3])).await, "available");
    Ok(())
}

#[tokio::test]
async fn a_box_office_sale_of_a_taken_seat_or_with_bad_input_is_refused_and_changes_nothing()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 3).await;
    let (_, other) = create_event(&app, 1, 1).await;
    assert_eq!(hold(&app, id(&seats[1]), "bo").await.status, 201);
    let sale = |ids: Vec<&str>, extra: Value| {
        let mut body = json!({"seatIds": ids, "buyerName": "Ann", "email": "ann@example.com", "paymentMethod": "card"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        body
    };
    let refused = box_office(
        &app,
        &event,
        sale(vec![id(&seats[0]), id(&seats[1])], json!({})),
    )
    .await;
    assert_eq!(
        (refused.status, refused.code()),
        (409, "seats_not_free"),
        "{}",
        refused.text
    );
    assert!(refused.error().contains("A-1-2 (held)"), "{}", refused.text);
    assert_eq!(
        seat_status(&app, &event, id(&seats[0])).await,
        "available",
        "nothing changed"
    );

    let cases = [
        (sale(vec![], json!({})), 400, "validation_failed"),
        (
            sale(vec![id(&seats[0]), id(&seats[0])], json!({})),
            400,
            "validation_failed",
        ),
        (
            sale(vec![id(&seats[0])], json!({"email": "not-an-address"})),
            400,
            "validation_failed",
        ),
        (
            sale(vec![id(&seats[0])], json!({"buyerName": " "})),
            400,
            "validation_failed",
        ),
        (
            sale(vec![id(&seats[0])], json!({"paymentMethod": "bitcoin"})),
            400,
            "validation_failed",
        ),
        (
            sale(
                vec![id(&seats[0])],
                json!({"paymentMethod": "comp", "price": 5}),
            ),
            400,
            "validation_failed",
        ),
        (
            sale(vec![id(&seats[0])], json!({"price": -1})),
            400,
            "validation_failed",
        ),
        (
            sale(vec![id(&other[0])], json!({})),
            400,
            "validation_failed",
        ),
        (
            sale(vec!["9b2f6c1e-0000-4000-8000-000000000001"], json!({})),
            404,
            "seat_not_found",
        ),
    ];
    for (body, status, code) in cases {
        let r = box_office(&app, &event, body.clone()).await;
        assert_eq!((r.status, r.code()), (status, code), "{body}: {}", r.text);
    }
    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    assert_eq!(app.admin("POST", "/users", Some(staff)).await?.status, 201);
    let door = app.login("door@example.com", "Passw0rd!").await?;
    let path = format!("/admin/events/{event}/box-office");
    let r = app
        .call_with_token(
            Some(&door),
            "POST",
            &path,
            Some(sale(vec![id(&seats[0])], json!({}))),
        )
        .await?;
    assert_eq!(r.status, 403, "{}", r.text);
    // At a price of the organiser's choosing, the seat sells.
    let sold = box_office(
        &app,
        &event,
        sale(vec![id(&seats[0])], json!({"price": 10})),
    )
    .await;
    assert_eq!(
        (sold.status, &sold.json["totalAmount"]),
        (201, &json!(10.0)),
        "{}",
        sold.text
    );
    Ok(())
}
