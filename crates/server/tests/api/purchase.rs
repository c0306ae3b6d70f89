//! Payment: the checks, the simulated processor, idempotency, and what a success sets going.

use futures::future::join_all;
use serde_json::json;
use std::time::Duration;
use testkit::eventually;

use crate::helpers::{
    create_event, create_priced_event, pay, pending_order, seat_status, spawn_app,
};

#[tokio::test]
async fn paying_completes_the_order_and_sells_every_seat() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (event, seats) = create_event(&app, 1, 3).await;
    let order = pending_order(&app, &seats[..2], "ana@example.com").await;

    let paid = pay(&app, &order, "ana@example.com", json!(50.00)).await;

    assert_eq!(paid.status, 200, "{}", paid.text);
    assert_eq!(paid.json["success"], true);
    assert_eq!(paid.json["errorMessage"], serde_json::Value::Null);
    assert_eq!(paid.json["payment"]["status"], "succeeded");
    assert!(
        paid.json["payment"]["transactionId"]
            .as_str()
            .is_some_and(|t| t.starts_with("txn_"))
    );
    let id = order["id"].as_str().expect("id").to_string();
    eventually(Duration::from_secs(5), "the order to be completed", || {
        let (app, id) = (&app, id.clone());
        async move {
            Ok(app
                .get(&format!("/orders/{id}?userId=ana@example.com"))
                .await?
                .json["state"]
                == "completed")
        }
    })
    .await?;
    let completed = app
        .get(&format!("/orders/{id}?userId=ana@example.com"))
        .await?;
    assert!(completed.json["paidAt"].as_str().is_some());
    for seat in &seats[..2] {
        let seat = seat["id"].as_str().expect("seat").to_string();
        eventually(Duration::from_secs(5), "the seat to be sold", || {
            let (app, event, seat) = (&app, event.clone(), seat.clone());
            async move { Ok(seat_status(app, &event, &seat).await == "sold") }
        })
        .await?;
    }
    assert_eq!(
        seat_status(&app, &event, seats[2]["id"].as_str().expect("seat")).await,
        "available"
    );
    let details = app.get(&format!("/events/{event}")).await?;
    assert_eq!(
        (
            details.json["soldSeats"].as_i64(),
            details.json["revenue"].as_f64()
        ),
        (Some(2), Some(50.0))
    );
    let cancel = app
        .call(
            "PATCH",
            &format!("/orders/{id}/cancel?userId=ana@example.com"),
            None,
        )
        .await?;
    assert_eq!(
        (cancel.status, cancel.code()),
        (409, "order_not_cancellable")
    );
    Ok(())
}

#[tokio::test]
async fn declines_follow_the_cents_and_leave_the_order_pending_and_retryable() -> anyhow::Result<()>
{
    let app = spawn_app().await;
    for (price, code, message) in [
        (
            "10.13",
            "CARD_DECLINED",
            "Payment failed: Your card was declined",
        ),
        (
            "10.66",
            "INSUFFICIENT_FUNDS",
            "Payment failed: Insufficient funds on card",
        ),
        (
            "10.99",
            "PROCESSOR_TIMEOUT",
            "Payment failed: Payment processor timeout",
        ),
    ] {
        let (_, seats) = create_priced_event(&app, price, 1, 1).await;
        let buyer = format!("buyer-{price}");
        let order = pending_order(&app, &seats, &buyer).await;

        let first = pay(&app, &order, &buyer, json!(price)).await;
        let retry = pay(&app, &order, &buyer, json!(price)).await;

        for reply in [&first, &retry] {
            assert_eq!(reply.status, 422, "{}", reply.text);
            assert_eq!(reply.json["success"], false);
            assert_eq!(reply.json["errorMessage"], message);
            assert_eq!(reply.json["payment"]["status"], "failed");
            assert_eq!(reply.json["payment"]["errorCode"], code);
        }
        assert_ne!(
            first.json["payment"]["id"], retry.json["payment"]["id"],
            "a retry is a new attempt"
        );
        let id = order["id"].as_str().expect("id");
        let state = app.get(&format!("/orders/{id}?userId={buyer}")).await?;
        assert_eq!(state.json["state"], "pending");
        let attempts = app
            .get(&format!("/payments?orderId={id}&customerId={buyer}"))
            .await?;
        assert_eq!(attempts.json.as_array().map(Vec::len), Some(2));
    }
    Ok(())
}

#[tokio::test]
async fn payments_that_do_not_match_the_order_are_refused() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (_, seats) = create_event(&app, 1, 2).await;
    let order = pending_order(&app, &seats[..1], "ana").await;
    let draft = crate::helpers::cart_with(&app, &seats[1], "bob").await;

    let wrong_amount = pay(&app, &order, "ana", json!(24.99)).await;
    let stranger = pay(&app, &order, "mallory", json!(25.00)).await;
    let unknown = pay(
        &app,
        &json!({"id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}),
        "ana",
        json!(25.00),
    )
    .await;
    let not_checked_out = pay(&app, &draft, "bob", json!(25.00)).await;
    let zero = pay(&app, &order, "ana", json!(0)).await;
    let text = pay(&app, &order, "ana", json!("lots")).await;
    let no_customer = app
        .post("/payments", json!({"orderId": order["id"], "amount": 25}))
        .await?;

    assert_eq!(
        (wrong_amount.status, wrong_amount.code()),
        (400, "amount_mismatch")
    );
    assert_eq!(wrong_amount.json["success"], false);
    assert_eq!(
        (stranger.status, stranger.json["errorMessage"].as_str()),
        (401, Some("Unauthorized"))
    );
    assert_eq!(
        (unknown.status, unknown.json["errorMessage"].as_str()),
        (404, Some("Order not found"))
    );
    assert_eq!(
        (not_checked_out.status, not_checked_out.code()),
        (409, "order_not_pending")
    );
    assert_eq!(
        (zero.status, zero.json["errorMessage"].as_str()),
        (400, Some("Amount must be greater than zero"))
    );
    assert_eq!((text.status, text.code()), (400, "invalid_json"));
    assert_eq!(
        (
            no_customer.status,
            no_customer.json["errorMessage"].as_str()
        ),
        (400, Some("Valid CustomerId is required"))
    );
    let id = order["id"].as_str().expect("id");
    assert_eq!(
        app.get(&format!("/payments?orderId={id}&customerId=ana"))
            .await?
            .json,
        json!([]),
        "nothing was charged"
    );
    Ok(())
}

#[tokio::test]
async fn paying_twice_returns_the_first_payment_even_concurrently() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (_, seats) = create_event(&app, 1, 1).await;
    let order = pending_order(&app, &seats, "ana").await;

    let racing = join_all((0..10).map(|_| pay(&app, &order, "ana", json!(25.00)))).await;
    let later = pay(&app, &order, "ana", json!(25.00)).await;

    let ids: std::collections::HashSet<String> = racing
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| {
            r.json["payment"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        ids.len(),
        1,
        "one payment: {:?}",
        racing.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert!(
        racing
            .iter()
            .all(|r| r.status == 200 || r.code() == "payment_in_progress"),
        "{:?}",
        racing.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(later.status, 200);
    assert!(ids.contains(later.json["payment"]["id"].as_str().unwrap_or_default()));
    let all = app
        .get(&format!(
            "/payments?orderId={}&customerId=ana",
            order["id"].as_str().expect("id")
        ))
        .await?;
    assert_eq!(all.json.as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn a_lapsed_hold_cannot_be_paid() -> anyhow::Result<()> {
    let app = crate::helpers::spawn_with(&["--no-demo", "--hold-seconds", "3"]).await;
    let (_, seats) = create_event(&app, 1, 1).await;
    let order = pending_order(&app, &seats, "ana").await;

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let late = pay(&app, &order, "ana", json!(25.00)).await;

    assert_eq!(
        (late.status, late.code()),
        (409, "hold_expired"),
        "{}",
        late.text
    );
    Ok(())
}
