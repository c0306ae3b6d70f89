//! Inventory: holds, their limits and their expiry.

use serde_json::json;

use crate::harness::InProcess;
use crate::helpers::{
    COLDPLAY, SEAT_A12, create_event, hold, spawn_app, spawn_demo_app, spawn_with,
};

#[tokio::test]
async fn a_hold_is_granted_with_the_contracts_shape() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;

    let held = app
        .call_at(
            "inventory",
            "POST",
            "/reservations",
            Some(json!({"seatId": SEAT_A12, "customerId": "customer-123"})),
        )
        .await?;

    assert_eq!(held.status, 201, "{}", held.text);
    let id = held.json["reservationId"].as_str().expect("id");
    assert_eq!(
        held.headers["location"],
        format!("/reservations/{id}").as_str()
    );
    assert_eq!(held.json["seatId"], SEAT_A12);
    assert_eq!(held.json["customerId"], "customer-123");
    assert_eq!(held.json["eventId"], COLDPLAY);
    assert_eq!(held.json["status"], "active");
    let expires: chrono::DateTime<chrono::Utc> = held.json["expiresAt"]
        .as_str()
        .expect("expiresAt")
        .parse()?;
    let minutes = (expires - chrono::Utc::now()).num_seconds() as f64 / 60.0;
    assert!(
        (14.9..=15.0).contains(&minutes),
        "15-minute hold, got {minutes}"
    );
    assert!(
        held.json["expiresAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let fetched = app
        .get(&format!("/reservations/{id}?customerId=customer-123"))
        .await?;
    assert_eq!(fetched.json["status"], "active");
    Ok(())
}

#[tokio::test]
async fn a_taken_seat_answers_409_with_the_originals_sentence() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    assert_eq!(hold(&app, SEAT_A12, "first").await.status, 201);

    let second = hold(&app, SEAT_A12, "second").await;
    let same_buyer = hold(&app, SEAT_A12, "first").await;

    assert_eq!(second.status, 409);
    assert_eq!(
        second.error(),
        format!("Seat {SEAT_A12} is already reserved.")
    );
    assert_eq!(second.code(), "seat_already_reserved");
    assert_eq!(same_buyer.status, 409);
    Ok(())
}

#[tokio::test]
async fn bad_hold_requests_are_refused_and_change_nothing() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let unknown = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    let no_seat = app
        .post("/reservations", json!({"customerId": "c"}))
        .await?;
    let nil_seat = app
        .post(
            "/reservations",
            json!({"seatId": "00000000-0000-0000-0000-000000000000", "customerId": "c"}),
        )
        .await?;
    let no_customer = app
        .post(
            "/reservations",
            json!({"seatId": SEAT_A12, "customerId": "  "}),
        )
        .await?;
    let bad_uuid = app
        .post(
            "/reservations",
            json!({"seatId": "seat-1", "customerId": "c"}),
        )
        .await?;
    let missing = app
        .post(
            "/reservations",
            json!({"seatId": unknown, "customerId": "c"}),
        )
        .await?;
    let wrong_event = app
        .post("/reservations", json!({"seatId": SEAT_A12, "customerId": "c", "eventId": "11111111-1111-1111-1111-111111111111"}))
        .await?;
    let long_customer = app
        .post(
            "/reservations",
            json!({"seatId": SEAT_A12, "customerId": "x".repeat(300)}),
        )
        .await?;

    assert_eq!(
        (no_seat.status, no_seat.error()),
        (400, "SeatId must not be empty")
    );
    assert_eq!(
        (nil_seat.status, nil_seat.error()),
        (400, "SeatId must not be empty")
    );
    assert_eq!(
        (no_customer.status, no_customer.error()),
        (400, "CustomerId must not be empty")
    );
    assert_eq!((bad_uuid.status, bad_uuid.code()), (400, "invalid_json"));
    assert!(
        bad_uuid.error().contains("seatId"),
        "names the field: {}",
        bad_uuid.error()
    );
    assert_eq!(
        (missing.status, missing.error()),
        (404, format!("Seat {unknown} not found").as_str())
    );
    assert_eq!(wrong_event.status, 400);
    assert_eq!(long_customer.status, 400);
    assert_eq!(
        hold(&app, SEAT_A12, "c").await.status,
        201,
        "the seat is still free"
    );
    Ok(())
}

#[tokio::test]
async fn a_buyer_may_hold_at_most_the_limit_per_event() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-limit", "3"]).await;
    let (_, seats) = create_event(&app, 1, 5).await;
    let (_, other_event) = create_event(&app, 1, 1).await;
    for seat in &seats[..3] {
        assert_eq!(
            hold(&app, seat["id"].as_str().expect("seat"), "greedy")
                .await
                .status,
            201
        );
    }

    let fourth = hold(&app, seats[3]["id"].as_str().expect("seat"), "greedy").await;
    let elsewhere = hold(&app, other_event[0]["id"].as_str().expect("seat"), "greedy").await;
    let someone_else = hold(&app, seats[3]["id"].as_str().expect("seat"), "modest").await;

    assert_eq!((fourth.status, fourth.code()), (409, "hold_limit_reached"));
    assert_eq!(elsewhere.status, 201, "the limit is per event");
    assert_eq!(
        someone_else.status, 201,
        "the refused hold left the seat free"
    );
    Ok(())
}

#[tokio::test]
async fn the_owner_releases_a_hold_early_and_nobody_else_can() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let held = hold(&app, SEAT_A12, "owner").await;
    let id = held.json["reservationId"].as_str().expect("id");

    let stranger = app
        .call(
            "DELETE",
            &format!("/reservations/{id}?customerId=thief"),
            None,
        )
        .await?;
    let anonymous = app
        .call("DELETE", &format!("/reservations/{id}"), None)
        .await?;
    let owner = app
        .call(
            "DELETE",
            &format!("/reservations/{id}?customerId=owner"),
            None,
        )
        .await?;
    let twice = app
        .call(
            "DELETE",
            &format!("/reservations/{id}?CustomerId=owner"),
            None,
        )
        .await?;

    assert_eq!(stranger.status, 404);
    assert_eq!(anonymous.status, 400);
    assert_eq!(owner.status, 200, "{}", owner.text);
    assert_eq!(owner.json["status"], "released");
    assert_eq!(
        (twice.status, twice.code()),
        (409, "reservation_not_active")
    );
    assert_eq!(hold(&app, SEAT_A12, "next").await.status, 201);
    Ok(())
}

#[tokio::test]
async fn a_lapsed_hold_frees_the_seat_exactly_and_the_sweeper_expires_it() -> anyhow::Result<()> {
    let app = InProcess::start(|args| args.hold_seconds = Some(1)).await?;
    let (_, seats) = create_event(&app, 1, 2).await;
    let seat = seats[0]["id"].as_str().expect("seat");
    let first = hold(&app, seat, "slow").await;
    let id = first.json["reservationId"]
        .as_str()
        .expect("id")
        .to_string();

    app.pass(2);
    let fetched = app
        .get(&format!("/reservations/{id}?customerId=slow"))
        .await?;
    assert_eq!(
        fetched.json["status"], "expired",
        "expired at expiresAt, before any sweep"
    );
    let second = hold(&app, seat, "fast").await;
    assert_eq!(second.status, 201, "{}", second.text);

    let other = hold(&app, seats[1]["id"].as_str().expect("seat"), "slow").await;
    let other_id = other.json["reservationId"]
        .as_str()
        .expect("id")
        .to_string();
    app.advance(2).await?;
    let swept = app
        .get(&format!("/reservations/{other_id}?customerId=slow"))
        .await?;
    assert_eq!(swept.json["status"], "expired", "{}", swept.text);
    Ok(())
}

#[tokio::test]
async fn unknown_reservations_are_404() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let reply = app
        .get("/reservations/7c9e6679-7425-40de-944b-e07fc1f90ae7?customerId=anyone")
        .await?;
    assert_eq!((reply.status, reply.code()), (404, "reservation_not_found"));
    Ok(())
}

#[tokio::test]
async fn a_hold_is_extended_once_where_its_event_allows_it() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let mut seats = Vec::new();
    for allowed in [true, false] {
        let (_, layout) = crate::helpers::create_event_with(
            &app,
            json!({"name": "Keep Night", "holdExtension": allowed}),
            json!([{"sectionCode": "A", "rows": 1, "seatsPerRow": 2, "priceMultiplier": 1}]),
        )
        .await;
        seats.push(layout[0]["id"].as_str().expect("seat").to_string());
    }
    let (allowed_seat, other_seat) = (seats[0].clone(), seats[1].clone());
    let listed = app.get("/events").await?;
    let flags: Vec<bool> = listed
        .json
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["holdExtension"].as_bool())
        .collect();
    assert!(
        flags.contains(&true) && flags.contains(&false),
        "{}",
        listed.text
    );

    let held = hold(&app, &allowed_seat, "kim").await;
    let id = held.json["reservationId"].as_str().expect("id").to_string();
    let before: chrono::DateTime<chrono::Utc> =
        held.json["expiresAt"].as_str().expect("end").parse()?;
    let stranger = app
        .post(
            &format!("/reservations/{id}/extend?customerId=someone"),
            json!({}),
        )
        .await?;
    assert_eq!(stranger.status, 404, "{}", stranger.text);
    let extended = app
        .post(
            &format!("/reservations/{id}/extend?customerId=kim"),
            json!({}),
        )
        .await?;
    assert_eq!(extended.status, 200, "{}", extended.text);
    let after: chrono::DateTime<chrono::Utc> =
        extended.json["expiresAt"].as_str().expect("end").parse()?;
    let by = (after - before).num_milliseconds();
    assert!(
        (899_000..=901_000).contains(&by),
        "by the hold time: {by} ms"
    );
    let read = app
        .get(&format!("/reservations/{id}?customerId=kim"))
        .await?;
    assert_eq!(read.json["expiresAt"], extended.json["expiresAt"]);
    let again = app
        .post(
            &format!("/reservations/{id}/extend?customerId=kim"),
            json!({}),
        )
        .await?;
    assert_eq!(
        (again.status, again.code()),
        (409, "hold_not_extendable"),
        "{}",
        again.text
    );
    assert!(
        again.error().contains("extended once already"),
        "{}",
        again.error()
    );

    let other = hold(&app, &other_seat, "kim").await;
    let other_id = other.json["reservationId"].as_str().expect("id");
    let refused = app
        .post(
            &format!("/reservations/{other_id}/extend?customerId=kim"),
            json!({}),
        )
        .await?;
    assert_eq!(
        (refused.status, refused.code()),
        (409, "hold_not_extendable")
    );
    assert!(
        refused.error().contains("does not allow"),
        "{}",
        refused.error()
    );
    Ok(())
}
