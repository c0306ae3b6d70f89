//! Ordering: the cart, prices, ownership, checkout and cancellation.

use serde_json::{Value, json};

use crate::harness::InProcess;
use crate::helpers::{add_to_cart, cart_with, create_event, hold, seat_status, spawn_app};

#[tokio::test]
async fn the_cart_adds_seats_at_catalogue_prices_the_instant_they_are_held() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (event, seats) = create_event(&app, 1, 3).await;

    let first = cart_with(&app, &seats[0], "user-1").await;
    let second = cart_with(&app, &seats[1], "user-1").await;

    assert_eq!(first["state"], "draft");
    assert_eq!(second["id"], first["id"], "one draft per buyer");
    assert_eq!(second["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(second["totalAmount"], json!(50.0));
    assert_eq!(second["items"][1]["eventId"], event.as_str());
    assert_eq!(second["items"][1]["sectionCode"], "A");
    assert_eq!(second["eventName"], "Test Night");
    Ok(())
}

#[tokio::test]
async fn tampered_or_malformed_prices_are_refused_and_nothing_is_added() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (_, seats) = create_event(&app, 1, 1).await;
    let seat = seats[0]["id"].as_str().expect("seat");
    let held = hold(&app, seat, "user-1").await;
    let reservation = held.json["reservationId"].clone();

    let cheaper = add_to_cart(&app, &reservation, seat, json!(0.01), "user-1").await;
    let negative = add_to_cart(&app, &reservation, seat, json!(-25.00), "user-1").await;
    let text = add_to_cart(&app, &reservation, seat, json!("free"), "user-1").await;
    let precise = add_to_cart(&app, &reservation, seat, json!(25.001), "user-1").await;
    let orders = app.get("/orders?userId=user-1").await?;

    assert_eq!((cheaper.status, cheaper.code()), (400, "price_mismatch"));
    assert_eq!(
        (negative.status, negative.code()),
        (400, "validation_failed")
    );
    assert_eq!((text.status, text.code()), (400, "invalid_json"));
    assert!(text.error().contains("price"), "{}", text.error());
    assert_eq!((precise.status, precise.code()), (400, "invalid_json"));
    assert_eq!(orders.json, json!([]), "no draft was created");
    let string_price = add_to_cart(&app, &reservation, seat, json!("25.00"), "user-1").await;
    assert_eq!(
        string_price.status, 200,
        "a price as a string is accepted, as by the original"
    );
    Ok(())
}

#[tokio::test]
async fn only_the_holder_can_cart_a_hold_and_only_for_its_seat() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (_, seats) = create_event(&app, 1, 2).await;
    let seat = seats[0]["id"].as_str().expect("seat");
    let other_seat = seats[1]["id"].as_str().expect("seat");
    let held = hold(&app, seat, "user-1").await;
    let reservation = held.json["reservationId"].clone();

    let thief = add_to_cart(&app, &reservation, seat, json!(25), "user-2").await;
    let wrong_seat = add_to_cart(&app, &reservation, other_seat, json!(25), "user-1").await;
    let no_hold = app
        .post(
            "/cart/add",
            json!({"seatId": seat, "price": 25, "userId": "user-1"}),
        )
        .await?;
    let unknown = add_to_cart(
        &app,
        &json!("7c9e6679-7425-40de-944b-e07fc1f90ae7"),
        seat,
        json!(25),
        "user-1",
    )
    .await;
    let no_buyer = app
        .post(
            "/cart/add",
            json!({"reservationId": reservation, "seatId": seat, "price": 25}),
        )
        .await?;
    let ok = add_to_cart(&app, &reservation, seat, json!(25), "user-1").await;
    let twice = add_to_cart(&app, &reservation, seat, json!(25), "user-1").await;

    assert_eq!((thief.status, thief.code()), (401, "unauthorized"));
    assert_eq!(
        (wrong_seat.status, wrong_seat.error()),
        (400, "Reservation is for a different seat")
    );
    assert_eq!(no_hold.status, 400);
    assert_eq!(
        (unknown.status, unknown.error()),
        (404, "Reservation not found")
    );
    assert_eq!(
        (no_buyer.status, no_buyer.error()),
        (400, "Either UserId or GuestToken must be provided")
    );
    assert_eq!(ok.status, 200);
    assert_eq!(
        (twice.status, twice.error()),
        (400, "Seat is already in the cart")
    );
    Ok(())
}

#[tokio::test]
async fn removing_a_seat_from_the_cart_releases_its_hold() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 2).await;
    let cart = cart_with(&app, &seats[0], "user-1").await;
    let seat = seats[0]["id"].as_str().expect("seat").to_string();

    let stranger = app
        .post(
            "/cart/remove",
            json!({"orderId": cart["id"], "seatId": seat, "userId": "user-2"}),
        )
        .await?;
    let removed = app
        .post(
            "/cart/remove",
            json!({"orderId": cart["id"], "seatId": seat, "userId": "user-1"}),
        )
        .await?;
    let again = app
        .post(
            "/cart/remove",
            json!({"orderId": cart["id"], "seatId": seat, "userId": "user-1"}),
        )
        .await?;

    assert_eq!(stranger.status, 401);
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(removed.json["items"], json!([]));
    assert_eq!(removed.json["totalAmount"], json!(0.0));
    assert_eq!((again.status, again.code()), (400, "seat_not_in_cart"));
    app.settle().await?;
    assert_eq!(
        seat_status(&app, &event, &seat).await,
        "available",
        "the hold was released"
    );
    let empty = app
        .post(
            "/orders/checkout",
            json!({"orderId": cart["id"], "userId": "user-1"}),
        )
        .await?;
    assert_eq!((empty.status, empty.error()), (400, "Order is empty"));
    Ok(())
}

#[tokio::test]
async fn checkout_refuses_a_lapsed_hold_and_the_lapse_empties_the_draft() -> anyhow::Result<()> {
    let app = InProcess::start(|args| args.hold_seconds = Some(1)).await?;
    let (_, seats) = create_event(&app, 1, 1).await;
    let cart = cart_with(&app, &seats[0], "user-1").await;

    app.pass(2);
    let late = app
        .post(
            "/orders/checkout",
            json!({"orderId": cart["id"], "userId": "user-1"}),
        )
        .await?;

    assert_eq!((late.status, late.code()), (409, "hold_expired"));
    app.settle().await?;
    let id = cart["id"].as_str().expect("id");
    let draft = app.get(&format!("/orders/{id}?userId=user-1")).await?;
    assert_eq!(
        draft.json["items"],
        json!([]),
        "the expired seat left the draft"
    );
    Ok(())
}

#[tokio::test]
async fn a_pending_order_whose_hold_lapses_is_cancelled() -> anyhow::Result<()> {
    let app = InProcess::start(|args| args.hold_seconds = Some(2)).await?;
    let (_, seats) = create_event(&app, 1, 1).await;
    let cart = cart_with(&app, &seats[0], "user-1").await;
    let pending = app
        .post(
            "/orders/checkout",
            json!({"orderId": cart["id"], "userId": "user-1"}),
        )
        .await?;
    assert_eq!(pending.json["state"], "pending");

    let order = format!("/orders/{}?userId=user-1", cart["id"].as_str().expect("id"));
    app.advance(1).await?;
    assert_eq!(
        app.get(&order).await?.json["state"],
        "pending",
        "not before the hold's end"
    );
    app.advance(2).await?;
    assert_eq!(app.get(&order).await?.json["state"], "cancelled");
    Ok(())
}

#[tokio::test]
async fn orders_are_visible_and_cancellable_by_their_owner_only() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 2).await;
    let cart = cart_with(&app, &seats[0], "user-1").await;
    let id = cart["id"].as_str().expect("id");
    let checkout = app
        .post(
            "/orders/checkout",
            json!({"orderId": id, "userId": "user-1"}),
        )
        .await?;
    assert_eq!(checkout.status, 200);

    let mine = app.get(&format!("/orders/{id}?userId=user-1")).await?;
    let theirs = app.get(&format!("/orders/{id}?userId=user-2")).await?;
    let nobody = app.get(&format!("/orders/{id}")).await?;
    let list = app.get("/orders?userId=user-1").await?;
    let other_list = app.get("/orders?userId=user-2").await?;
    let stolen_cancel = app
        .call("PATCH", &format!("/orders/{id}/cancel?userId=user-2"), None)
        .await?;

    assert_eq!(mine.status, 200);
    assert_eq!(mine.json["orderId"], id);
    assert_eq!(mine.json["items"][0]["seatNumber"], 1);
    assert_eq!(mine.json["seatNumber"], "A-1-1");
    assert_eq!(mine.json["currency"], "USD");
    assert_eq!((theirs.status, theirs.error()), (404, "Order not found"));
    assert_eq!(nobody.status, 400);
    assert_eq!(list.json.as_array().map(Vec::len), Some(1));
    assert_eq!(other_list.json, json!([]));
    assert_eq!(stolen_cancel.status, 404);

    let cancel = app
        .call("PATCH", &format!("/orders/{id}/cancel?userId=user-1"), None)
        .await?;
    let twice = app
        .call("PATCH", &format!("/orders/{id}/cancel?userId=user-1"), None)
        .await?;
    assert_eq!(cancel.status, 204);
    assert_eq!(twice.status, 204, "cancelling is idempotent");
    let after = app.get(&format!("/orders/{id}?userId=user-1")).await?;
    assert_eq!(after.json["state"], "cancelled");
    let seat = seats[0]["id"].as_str().expect("seat").to_string();
    app.settle().await?;
    assert_eq!(
        seat_status(&app, &event, &seat).await,
        "available",
        "the cancelled order's hold was released"
    );
    let recheck: Value = app
        .post(
            "/orders/checkout",
            json!({"orderId": id, "userId": "user-1"}),
        )
        .await?
        .json;
    assert_eq!(recheck["error"], "Order is not in draft state");
    Ok(())
}
