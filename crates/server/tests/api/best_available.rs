//! Best available (`POST /reservations/best-available`): seats side by side nearest the stage,
//! all or none, and correct when hundreds of buyers ask at once.

use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;
use testkit::{Reply, TestServer};

use crate::helpers::{create_event, create_event_with, hold, seat_map, spawn_with};

/// An event with a VIP section (2 rows of 8 at twice the price) and section A (5 rows of 10).
async fn two_section_event(app: &TestServer) -> (String, Vec<Value>) {
    create_event_with(
        app,
        json!({"name": "Best Night", "basePrice": "40.00"}),
        json!([
            {"sectionCode": "A", "rows": 5, "seatsPerRow": 10, "priceMultiplier": 1},
            {"sectionCode": "VIP", "rows": 2, "seatsPerRow": 8, "priceMultiplier": 2}
        ]),
    )
    .await
}

fn seat_at<'a>(seats: &'a [Value], section: &str, row: i64, number: i64) -> &'a str {
    seats
        .iter()
        .find(|s| s["sectionCode"] == section && s["rowNumber"] == row && s["seatNumber"] == number)
        .and_then(|s| s["id"].as_str())
        .expect("seat")
}

async fn best(app: &TestServer, body: Value) -> Reply {
    app.post("/reservations/best-available", body)
        .await
        .expect("best-available answers")
}

/// (section, row, seat) of each reservation of a best-available answer.
fn places(reply: &Reply) -> Vec<(String, i64, i64)> {
    reply.json["reservations"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|s| {
                    (
                        s["sectionCode"].as_str().unwrap_or_default().to_string(),
                        s["rowNumber"].as_i64().unwrap_or_default(),
                        s["seatNumber"].as_i64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn side_by_side(places: &[(String, i64, i64)]) -> bool {
    places
        .windows(2)
        .all(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1 && w[1].2 == w[0].2 + 1)
}

async fn available(app: &TestServer, event: &str) -> usize {
    seat_map(app, event).await["seats"]
        .as_array()
        .map_or(0, |s| {
            s.iter().filter(|s| s["status"] == "available").count()
        })
}

#[tokio::test]
async fn four_seats_side_by_side_nearest_the_stage_without_a_lone_seat_left() -> anyhow::Result<()>
{
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let (event, seats) = two_section_event(&app).await;
    // VIP row 1 has seat 4 taken: 1-3 and 5-8 are free; a block of 4 fits 5-8 exactly.
    assert_eq!(
        hold(&app, seat_at(&seats, "VIP", 1, 4), "other")
            .await
            .status,
        201
    );

    let family = best(
        &app,
        json!({"eventId": event, "quantity": 4, "customerId": "family"}),
    )
    .await;
    assert_eq!(family.status, 201, "{}", family.text);
    assert_eq!(family.json["split"], false);
    assert_eq!(family.json["customerId"], "family");
    assert_eq!(family.json["status"], "active");
    assert!(
        family.json["expiresAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let got = places(&family);
    let want: Vec<(String, i64, i64)> = (5..=8).map(|n| ("VIP".to_string(), 1, n)).collect();
    assert_eq!(got, want, "the front VIP row, seats 5-8: {}", family.text);
    assert_eq!(family.json["reservations"][0]["price"], 80.0);
    // Each is an ordinary hold of its owner.
    let first = family.json["reservations"][0]["reservationId"]
        .as_str()
        .expect("id");
    let read = app
        .get(&format!("/reservations/{first}?customerId=family"))
        .await?;
    assert_eq!(read.json["status"], "active", "{}", read.text);
    assert_eq!(available(&app, &event).await, 50 + 16 - 5);

    // Three more would take the family past the limit of 6: refused, saying so, nothing held.
    let more = best(
        &app,
        json!({"eventId": event, "quantity": 3, "customerId": "family"}),
    )
    .await;
    assert_eq!(
        (more.status, more.code()),
        (409, "hold_limit_reached"),
        "{}",
        more.text
    );
    assert!(more.error().contains("at most 2 more"), "{}", more.error());
    assert_eq!(available(&app, &event).await, 61);

    // Only section A, when asked: its front row, in the middle.
    let a = best(
        &app,
        json!({"eventId": event, "quantity": 2, "sectionCode": "A", "customerId": "pair"}),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(places(&a), vec![("A".into(), 1, 5), ("A".into(), 1, 6)]);

    for (body, code) in [
        (
            json!({"eventId": event, "quantity": 0, "customerId": "x"}),
            "validation_failed",
        ),
        (
            json!({"eventId": event, "quantity": 7, "customerId": "x"}),
            "validation_failed",
        ),
        (
            json!({"eventId": event, "customerId": "x"}),
            "validation_failed",
        ),
        (
            json!({"eventId": event, "quantity": 2, "sectionCode": "Z", "customerId": "x"}),
            "validation_failed",
        ),
        (
            json!({"eventId": event, "quantity": 2, "category": "Gold", "customerId": "x"}),
            "validation_failed",
        ),
        (
            json!({"eventId": event, "quantity": 2}),
            "validation_failed",
        ),
        (
            json!({"eventId": "11111111-1111-1111-1111-111111111111", "quantity": 2, "customerId": "x"}),
            "event_not_found",
        ),
    ] {
        let refused = best(&app, body.clone()).await;
        assert_eq!(refused.code(), code, "{body}: {}", refused.text);
        assert!(!refused.error().is_empty());
    }
    let unknown = best(
        &app,
        json!({"eventId": event, "quantity": 2, "sectionCode": "Z", "customerId": "x"}),
    )
    .await;
    assert_eq!(unknown.error(), "This event has no section Z.");
    assert_eq!(
        available(&app, &event).await,
        59,
        "no refusal held anything"
    );

    let spec = app.get("/openapi.json").await?;
    assert!(spec.json["paths"]["/reservations/best-available"]["post"].is_object());
    Ok(())
}

#[tokio::test]
async fn without_a_block_the_seats_are_split_and_with_too_few_none_are_held() -> anyhow::Result<()>
{
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let (event, seats) = create_event(&app, 2, 3).await;
    let at = |row: i64, n: i64| seat_at(&seats, "A", row, n).to_string();
    for (row, n) in [(1, 2), (2, 2)] {
        assert_eq!(hold(&app, &at(row, n), "other").await.status, 201);
    }
    // Free: row 1 seats 1 and 3, row 2 seats 1 and 3; no two side by side.
    let three = best(
        &app,
        json!({"eventId": event, "quantity": 3, "customerId": "trio"}),
    )
    .await;
    assert_eq!(three.status, 201, "{}", three.text);
    assert_eq!(three.json["split"], true);
    assert_eq!(places(&three).len(), 3);
    assert_eq!(available(&app, &event).await, 1);

    let two = best(
        &app,
        json!({"eventId": event, "quantity": 2, "customerId": "late"}),
    )
    .await;
    assert_eq!(
        (two.status, two.code()),
        (409, "not_enough_seats"),
        "{}",
        two.text
    );
    assert_eq!(
        two.error(),
        "Only 1 seat is free for this event, fewer than the 2 asked for; none were held."
    );
    assert_eq!(available(&app, &event).await, 1, "nothing was held");
    Ok(())
}

/// The contention case: 500 buyers asking for 4 seats each on a 1,000-seat event.
#[tokio::test]
async fn five_hundred_buyers_asking_for_four_seats_each_never_share_or_half_hold()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let (event, _) = create_event(&app, 10, 100).await;
    let url = format!("{}/reservations/best-available", app.base("gateway"));
    let asks = (0..500).map(|i| {
        let req = app
            .client()
            .post(url.clone())
            .json(&json!({"eventId": event, "quantity": 4, "customerId": format!("buyer-{i}")}));
        async move { testkit::read(req.send().await?).await }
    });
    let replies: Vec<Reply> = join_all(asks)
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    let mut held = HashSet::new();
    let (mut granted, mut refused) = (0, 0);
    for reply in &replies {
        match (reply.status, reply.code()) {
            (201, _) => {
                granted += 1;
                let got = places(reply);
                assert_eq!(got.len(), 4, "all or none: {}", reply.text);
                assert!(
                    side_by_side(&got) || reply.json["split"] == true,
                    "side by side or declared split: {}",
                    reply.text
                );
                for r in reply.json["reservations"].as_array().into_iter().flatten() {
                    let seat = r["seatId"].as_str().unwrap_or_default().to_string();
                    assert!(held.insert(seat), "a seat held twice: {}", reply.text);
                }
            }
            (409, "not_enough_seats") => refused += 1,
            _ => panic!("unexpected answer {}: {}", reply.status, reply.text),
        }
    }
    assert_eq!((granted, refused), (250, 250));
    assert_eq!(held.len(), 1000);
    assert_eq!(available(&app, &event).await, 0);
    Ok(())
}
