//! Invariants 3 and 4: what was answered 2xx survives kill -9, and nothing is stuck after.

use serde_json::json;
use std::time::Duration;
use testkit::eventually;

use crate::helpers::{add_to_cart, cart_with, create_event, hold, seat_status, spawn_with};

#[tokio::test]
async fn holds_carts_and_orders_survive_a_crash() -> anyhow::Result<()> {
    let mut app = spawn_with(&["--no-demo"]).await;
    let (event, seats) = create_event(&app, 1, 3).await;
    let pending = cart_with(&app, &seats[0], "user-1").await;
    let checkout = app
        .post(
            "/orders/checkout",
            json!({"orderId": pending["id"], "userId": "user-1"}),
        )
        .await?;
    assert_eq!(checkout.status, 200);
    let cart = cart_with(&app, &seats[1], "user-1").await;
    let held = hold(&app, seats[2]["id"].as_str().expect("seat"), "user-2").await;

    app.crash_and_restart().await?;

    let order = app
        .get(&format!(
            "/orders/{}?userId=user-1",
            pending["id"].as_str().expect("id")
        ))
        .await?;
    let draft = app
        .get(&format!(
            "/orders/{}?userId=user-1",
            cart["id"].as_str().expect("id")
        ))
        .await?;
    let reservation = app
        .get(&format!(
            "/reservations/{}?customerId=user-2",
            held.json["reservationId"].as_str().expect("id")
        ))
        .await?;
    assert_eq!(order.json["state"], "pending");
    assert_eq!(draft.json["state"], "draft");
    assert_eq!(draft.json["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(reservation.json["status"], "active");
    for seat in &seats {
        assert_eq!(
            seat_status(&app, &event, seat["id"].as_str().expect("seat")).await,
            "reserved"
        );
    }
    assert_eq!(
        hold(&app, seats[2]["id"].as_str().expect("seat"), "user-3")
            .await
            .status,
        409
    );
    Ok(())
}

#[tokio::test]
async fn holds_still_expire_and_events_still_flow_after_a_crash() -> anyhow::Result<()> {
    let mut app = spawn_with(&["--no-demo", "--hold-seconds", "2"]).await;
    let (event, seats) = create_event(&app, 1, 1).await;
    let seat = seats[0]["id"].as_str().expect("seat").to_string();
    let held = hold(&app, &seat, "user-1").await;
    let cart = add_to_cart(
        &app,
        &held.json["reservationId"],
        &seat,
        json!(25),
        "user-1",
    )
    .await;
    assert_eq!(cart.status, 200);

    app.crash_and_restart().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;

    assert_eq!(seat_status(&app, &event, &seat).await, "available");
    let order_id = cart.json["id"].as_str().expect("id").to_string();
    eventually(
        Duration::from_secs(6),
        "the expiry to reach the cart after the restart",
        || {
            let (app, order_id) = (&app, order_id.clone());
            async move {
                Ok(app
                    .get(&format!("/orders/{order_id}?userId=user-1"))
                    .await?
                    .json["items"]
                    == json!([]))
            }
        },
    )
    .await?;
    Ok(())
}
