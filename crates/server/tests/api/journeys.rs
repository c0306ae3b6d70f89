//! The seed page's flow, verbatim: its bash script, its JavaScript, its error table.

use serde_json::json;
use std::process::Command;

use crate::helpers::{COLDPLAY, SEAT_A12, add_to_cart, hold, spawn_demo_app};

const SEED_PAGE: &str = include_str!("../fixtures/seed-orders-checkout.txt");

/// The lines of the seed page between two headings.
fn seed_section(start: &str, end: &str) -> String {
    let mut lines = SEED_PAGE.lines().skip_while(|l| *l != start).skip(1);
    let body: Vec<&str> = lines.by_ref().take_while(|l| *l != end).collect();
    assert!(
        !body.is_empty(),
        "section {start:?} not found in the seed page"
    );
    body.join("\n")
}

/// Points the page's fixed `localhost` ports at the test server's ports.
fn retarget(script: &str, app: &testkit::TestServer) -> String {
    script
        .replace(
            "localhost:50001",
            &format!("127.0.0.1:{}", app.port("catalog")),
        )
        .replace(
            "localhost:50002",
            &format!("127.0.0.1:{}", app.port("inventory")),
        )
        .replace(
            "localhost:5003",
            &format!("127.0.0.1:{}", app.port("ordering")),
        )
}

#[tokio::test]
async fn the_seed_bash_script_produces_a_pending_order_without_its_wait() -> anyhow::Result<()> {
    testkit::tools::require("curl")?;
    testkit::tools::require("jq")?;
    let app = spawn_demo_app().await;
    let script = retarget(
        &seed_section("Bash Script - Complete Flow", "Workflow"),
        &app,
    )
    .replace("\nsleep 3\n", "\n");
    assert!(!script.contains("sleep"), "the wait is removed");

    let out = Command::new("bash").arg("-c").arg(&script).output()?;

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let final_json = stdout
        .split("Final order:")
        .nth(1)
        .expect("the script prints the final order");
    let order: serde_json::Value = serde_json::from_str(final_json.trim())?;
    assert_eq!(order["state"], "pending");
    assert_eq!(order["userId"], "user-123");
    assert_eq!(order["guestToken"], serde_json::Value::Null);
    assert_eq!(order["paidAt"], serde_json::Value::Null);
    assert_eq!(order["items"][0]["seatId"], SEAT_A12);
    assert!(
        final_json.contains("\"totalAmount\": 50.00") || final_json.contains("\"totalAmount\": 50")
    );
    Ok(())
}

#[tokio::test]
async fn the_seed_javascript_purchase_runs_without_its_wait() -> anyhow::Result<()> {
    let node = testkit::tools::require("node")?;
    let app = spawn_demo_app().await;
    let js = retarget(&seed_section("Complete Purchase Flow", "Python"), &app)
        .replace("setTimeout(resolve, 3000)", "setTimeout(resolve, 0)");

    let out = Command::new(node).arg("-e").arg(&js).output()?;

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "Event: Coldplay - Live in Santiago",
        "Seat price: 50",
        "State: draft",
        "✅ Purchase complete!",
        "State: pending",
        "Total: 50",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing {line:?} in:\n{stdout}"
        );
    }
    let orders = app.get("/orders?userId=user-123").await?;
    assert_eq!(orders.json[0]["state"], "pending");
    assert_eq!(orders.json[0]["totalAmount"], json!(50.0));
    Ok(())
}

#[tokio::test]
async fn checkout_answers_the_seed_pages_error_table_verbatim() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let held = hold(&app, SEAT_A12, "user-123").await;
    let cart = add_to_cart(
        &app,
        &held.json["reservationId"],
        SEAT_A12,
        json!(50.00),
        "user-123",
    )
    .await;
    let order_id = cart.json["id"].clone();

    let missing = app
        .post(
            "/orders/checkout",
            json!({"orderId": order_id, "userId": null, "guestToken": ""}),
        )
        .await?;
    let unknown = app
        .post(
            "/orders/checkout",
            json!({"orderId": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "userId": "user-123"}),
        )
        .await?;
    let stranger = app
        .post(
            "/orders/checkout",
            json!({"orderId": order_id, "userId": "user-999"}),
        )
        .await?;
    let wrong_guest = app
        .post(
            "/orders/checkout",
            json!({"orderId": order_id, "guestToken": "guest-abc123xyz"}),
        )
        .await?;
    let ok = app
        .post(
            "/orders/checkout",
            json!({"orderId": order_id, "userId": "user-123"}),
        )
        .await?;
    let again = app
        .post(
            "/orders/checkout",
            json!({"orderId": order_id, "userId": "user-123"}),
        )
        .await?;

    assert_eq!(
        (missing.status, missing.error()),
        (400, "Either UserId or GuestToken must be provided")
    );
    assert_eq!((unknown.status, unknown.error()), (404, "Order not found"));
    assert_eq!((stranger.status, stranger.error()), (401, "Unauthorized"));
    assert_eq!(
        (wrong_guest.status, wrong_guest.error()),
        (401, "Unauthorized")
    );
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["state"], "pending");
    assert_eq!(ok.json["paidAt"], serde_json::Value::Null);
    assert_eq!(
        (again.status, again.error()),
        (400, "Order is not in draft state")
    );
    assert_eq!(again.code(), "order_not_draft");
    Ok(())
}

#[tokio::test]
async fn a_guest_checks_out_with_a_guest_token() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let held = hold(&app, SEAT_A12, "guest-abc123xyz").await;
    let cart = app
        .post(
            "/cart/add",
            json!({"reservationId": held.json["reservationId"], "seatId": SEAT_A12, "price": 50.00, "guestToken": "guest-abc123xyz"}),
        )
        .await?;
    assert_eq!(cart.status, 200, "{}", cart.text);

    let done = app
        .post(
            "/orders/checkout",
            json!({"orderId": cart.json["id"], "guestToken": "guest-abc123xyz"}),
        )
        .await?;

    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["state"], "pending");
    assert_eq!(done.json["userId"], serde_json::Value::Null);
    assert_eq!(done.json["guestToken"], "guest-abc123xyz");
    Ok(())
}

#[tokio::test]
async fn the_originals_mixed_case_paths_work() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;

    let events = app.call_at("catalog", "GET", "/Events", None).await?;
    let seatmap = app
        .call_at(
            "catalog",
            "GET",
            &format!("/Events/{COLDPLAY}/Seatmap/"),
            None,
        )
        .await?;
    let held = app
        .call_at(
            "inventory",
            "POST",
            "/Reservations",
            Some(json!({"SeatId": SEAT_A12, "CustomerId": "user-1", "EventId": COLDPLAY})),
        )
        .await?;
    let cart = app
        .call_at(
            "ordering",
            "POST",
            "/Cart/add",
            Some(json!({"ReservationId": held.json["reservationId"], "SeatId": SEAT_A12, "Price": "50.00", "UserId": "user-1"})),
        )
        .await?;
    let done = app
        .call_at(
            "ordering",
            "POST",
            "/Orders/checkout/",
            Some(json!({"OrderId": cart.json["id"], "UserId": "user-1"})),
        )
        .await?;

    assert_eq!(events.status, 200);
    assert_eq!(seatmap.status, 200);
    assert_eq!(held.status, 201, "{}", held.text);
    assert_eq!(cart.status, 200, "{}", cart.text);
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.json["state"], "pending");
    Ok(())
}

#[tokio::test]
async fn the_demo_catalogue_has_the_documented_events_and_seats() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;

    let events = app.get("/events").await?;
    let map = app.get(&format!("/events/{COLDPLAY}/seatmap")).await?;
    let jazz = app
        .get("/events/11111111-1111-1111-1111-111111111111")
        .await?;

    let names: Vec<&str> = events
        .json
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(names.contains(&"Coldplay - Live in Santiago"));
    assert!(
        map.text.contains(r#""basePrice":50.00"#),
        "money keeps two decimals: {}",
        &map.text[..200]
    );
    assert_eq!(map.json["name"], "Coldplay - Live in Santiago");
    assert_eq!(map.json["eventDescription"], "World tour 2026");
    let seats = map.json["seats"].as_array().expect("seats");
    let a12 = seats.iter().find(|s| s["id"] == SEAT_A12).expect("A-1-2");
    assert_eq!(
        (
            a12["sectionCode"].as_str(),
            a12["rowNumber"].as_i64(),
            a12["seatNumber"].as_i64()
        ),
        (Some("A"), Some(1), Some(2))
    );
    let vip = seats
        .iter()
        .find(|s| s["id"] == "550e8400-e29b-41d4-a716-446655440004")
        .expect("VIP-1-1");
    assert_eq!(vip["sectionCode"], "VIP");
    assert_eq!(vip["price"], json!(75.0));
    assert!(map.text.contains(r#""seats":[{"id":"550e8400-e29b-41d4-a716-446655440001","sectionCode":"A","rowNumber":1,"seatNumber":1,"price":50.00,"status":"available"}"#));
    assert_eq!(jazz.json["totalSeats"], 800);
    assert_eq!(jazz.json["availableSeats"], 800);
    Ok(())
}
