//! Shared arrangement for the black-box tests.

use serde_json::{Value, json};
use testkit::{Reply, TestServer};

pub(crate) const COLDPLAY: &str = "550e8400-e29b-41d4-a716-446655440000";
pub(crate) const SEAT_A12: &str = "550e8400-e29b-41d4-a716-446655440002";

/// A server without the demo catalogue.
pub(crate) async fn spawn_app() -> TestServer {
    spawn_with(&["--no-demo"]).await
}

/// A server with the demo catalogue.
pub(crate) async fn spawn_demo_app() -> TestServer {
    spawn_with(&[]).await
}

/// A server with extra arguments.
pub(crate) async fn spawn_with(args: &[&str]) -> TestServer {
    TestServer::start(&binary(), args)
        .await
        .expect("the server starts")
}

/// The `boxoffice` binary under test: this build's, or `TEST_BOXOFFICE_BIN` (to show that a
/// new test fails against an older build).
pub(crate) fn binary() -> std::path::PathBuf {
    std::env::var_os("TEST_BOXOFFICE_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_boxoffice").into(), Into::into)
}

/// Creates an upcoming event with one section `A` of `rows` × `per_row` seats at 25.00 and
/// returns (event id, seats of the seat map).
pub(crate) async fn create_event(
    app: &TestServer,
    rows: u32,
    per_row: u32,
) -> (String, Vec<Value>) {
    create_priced_event(app, "25.00", rows, per_row).await
}

/// Like [`create_event`], with seats at `price`.
pub(crate) async fn create_priced_event(
    app: &TestServer,
    price: &str,
    rows: u32,
    per_row: u32,
) -> (String, Vec<Value>) {
    let event = json!({"name": "Test Night", "basePrice": price});
    let sections =
        json!([{"sectionCode": "A", "rows": rows, "seatsPerRow": per_row, "priceMultiplier": 1}]);
    create_event_with(app, event, sections).await
}

/// Creates an upcoming event — the fields of `event` over a test event's — laid out in
/// `sections` (section configurations), and returns (event id, seats of the seat map).
pub(crate) async fn create_event_with(
    app: &TestServer,
    event: Value,
    sections: Value,
) -> (String, Vec<Value>) {
    let mut body = json!({
        "name": "Test Night", "description": "A test event", "eventDate": "2099-05-01T20:00:00Z",
        "venue": "Test Hall", "maxCapacity": 10_000, "basePrice": "25.00"
    });
    for (key, value) in event.as_object().into_iter().flatten() {
        body[key] = value.clone();
    }
    let event = app
        .admin("POST", "/admin/events", Some(body))
        .await
        .expect("create event");
    assert_eq!(event.status, 201, "{}", event.text);
    let id = event.json["id"].as_str().expect("event id").to_string();
    let generated = app
        .admin(
            "POST",
            &format!("/admin/events/{id}/seats"),
            Some(json!({"sectionConfigurations": sections})),
        )
        .await
        .expect("generate seats");
    assert_eq!(generated.status, 200, "{}", generated.text);
    let seats = seat_map(app, &id).await["seats"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    (id, seats)
}

/// Holds and carts every seat of `seats` for `user`, checks out, and returns the pending order.
pub(crate) async fn pending_order(app: &TestServer, seats: &[Value], user: &str) -> Value {
    let mut order = Value::Null;
    for seat in seats {
        order = cart_with(app, seat, user).await;
    }
    let done = app
        .post(
            "/orders/checkout",
            json!({"orderId": order["id"], "userId": user}),
        )
        .await
        .expect("checkout");
    assert_eq!(done.status, 200, "{}", done.text);
    done.json
}

/// `POST /payments`.
pub(crate) async fn pay(app: &TestServer, order: &Value, customer: &str, amount: Value) -> Reply {
    app.post(
        "/payments",
        json!({"orderId": order["id"], "customerId": customer, "amount": amount, "currency": "USD", "paymentMethod": "credit_card"}),
    )
    .await
    .expect("pay")
}

/// The seat map of an event.
pub(crate) async fn seat_map(app: &TestServer, event: &str) -> Value {
    let reply = app
        .get(&format!("/events/{event}/seatmap"))
        .await
        .expect("seat map");
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json
}

/// The status of one seat in its event's seat map.
pub(crate) async fn seat_status(app: &TestServer, event: &str, seat: &str) -> String {
    let map = seat_map(app, event).await;
    map["seats"]
        .as_array()
        .and_then(|seats| seats.iter().find(|s| s["id"] == seat))
        .and_then(|s| s["status"].as_str())
        .unwrap_or("missing")
        .to_string()
}

/// `POST /admin/events/{event}/deactivate`, as the administrator.
pub(crate) async fn deactivate(app: &TestServer, event: &str) -> Reply {
    app.admin(
        "POST",
        &format!("/admin/events/{event}/deactivate"),
        Some(json!({})),
    )
    .await
    .expect("deactivate")
}

/// `POST /reservations`.
pub(crate) async fn hold(app: &TestServer, seat: &str, customer: &str) -> Reply {
    app.post(
        "/reservations",
        json!({"seatId": seat, "customerId": customer}),
    )
    .await
    .expect("hold")
}

/// `POST /cart/add` for a user.
pub(crate) async fn add_to_cart(
    app: &TestServer,
    reservation: &Value,
    seat: &str,
    price: Value,
    user: &str,
) -> Reply {
    app.post(
        "/cart/add",
        json!({"reservationId": reservation, "seatId": seat, "price": price, "userId": user}),
    )
    .await
    .expect("cart add")
}

/// Holds `seat`, puts it in `user`'s cart and returns the draft order.
pub(crate) async fn cart_with(app: &TestServer, seat: &Value, user: &str) -> Value {
    let seat_id = seat["id"].as_str().expect("seat id");
    let held = hold(app, seat_id, user).await;
    assert_eq!(held.status, 201, "{}", held.text);
    let cart = add_to_cart(
        app,
        &held.json["reservationId"],
        seat_id,
        seat["price"].clone(),
        user,
    )
    .await;
    assert_eq!(cart.status, 200, "{}", cart.text);
    cart.json
}
