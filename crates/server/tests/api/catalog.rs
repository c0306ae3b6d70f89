//! Catalog: browsing, live seat status, and the admin API.

use serde_json::json;
use std::time::Duration;

use crate::harness::InProcess;
use crate::helpers::{
    cart_with, create_event, deactivate, hold, seat_map, seat_status, spawn_app, spawn_with,
};

#[tokio::test]
async fn a_held_seat_shows_reserved_at_once_and_available_the_instant_its_hold_lapses()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--hold-seconds", "2"]).await;
    let (event, seats) = create_event(&app, 1, 3).await;
    let seat = seats[0]["id"].as_str().expect("seat");

    let held = hold(&app, seat, "buyer-1").await;
    assert_eq!(held.status, 201, "{}", held.text);
    assert_eq!(seat_status(&app, &event, seat).await, "reserved");
    let details = app.get(&format!("/events/{event}")).await?;
    assert_eq!(
        (
            details.json["reservedSeats"].as_i64(),
            details.json["availableSeats"].as_i64()
        ),
        (Some(1), Some(2))
    );

    let expires: chrono::DateTime<chrono::Utc> = held.json["expiresAt"]
        .as_str()
        .expect("expiresAt")
        .parse()?;
    let wait = (expires - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
    assert_eq!(seat_status(&app, &event, seat).await, "available");
    Ok(())
}

#[tokio::test]
async fn seats_can_be_held_the_instant_they_are_generated() -> anyhow::Result<()> {
    let app = spawn_app().await;
    for _ in 0..5 {
        let (_, seats) = create_event(&app, 1, 2).await;
        let held = hold(&app, seats[1]["id"].as_str().expect("seat"), "buyer-1").await;
        assert_eq!(held.status, 201, "{}", held.text);
    }
    Ok(())
}

#[tokio::test]
async fn events_list_shows_only_active_upcoming_events_with_counts() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (active, _) = create_event(&app, 2, 5).await;
    let (withdrawn, _) = create_event(&app, 1, 1).await;
    let off = deactivate(&app, &withdrawn).await;
    assert_eq!(off.status, 200, "{}", off.text);

    let list = app.get("/events").await?;
    let all = app.admin("GET", "/admin/events", None).await?;

    let ids: Vec<&str> = list
        .json
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert_eq!(ids, vec![active.as_str()]);
    let first = &list.json[0];
    assert_eq!(
        (
            first["totalSeats"].as_i64(),
            first["availableSeats"].as_i64()
        ),
        (Some(10), Some(10))
    );
    assert_eq!(first["currency"], "USD");
    assert_eq!(first["isActive"], true);
    assert_eq!(all.json.as_array().map(Vec::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn an_admin_lays_out_edits_and_follows_an_event() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let created = app
        .admin("POST", "/admin/events", Some(json!({"name": "Rock Fest", "description": "Loud", "eventDate": "2099-11-20T20:00", "venue": "Estadio",
                   "maxCapacity": 300, "basePrice": 150.0})))
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().expect("id").to_string();
    assert_eq!(
        created.headers["location"],
        format!("/events/{id}").as_str()
    );
    assert_eq!(created.json["eventDate"], "2099-11-20T20:00:00Z");

    let generated = app
        .admin("POST", &format!("/admin/events/{id}/seats"), Some(json!({"sectionConfigurations": [
                {"sectionCode": "VIP", "rows": 2, "seatsPerRow": 10, "priceMultiplier": 1.5},
                {"sectionCode": "General", "rows": 10, "seatsPerRow": 20, "priceMultiplier": 1.0}]})))
        .await?;
    assert_eq!(generated.status, 200, "{}", generated.text);
    assert_eq!(generated.json["totalSeatsGenerated"], 220);
    assert!(
        generated.text.contains(r#""seatPrice":225.00"#),
        "{}",
        generated.text
    );

    let too_many = app
        .admin("POST", &format!("/admin/events/{id}/seats"), Some(json!({"sectionConfigurations": [{"sectionCode": "X", "rows": 10, "seatsPerRow": 10, "priceMultiplier": 1}]})))
        .await?;
    let again = app
        .admin("POST", &format!("/admin/events/{id}/seats"), Some(json!({"sectionConfigurations": [{"sectionCode": "VIP", "rows": 1, "seatsPerRow": 1, "priceMultiplier": 1}]})))
        .await?;
    let shrink = app
        .admin(
            "PUT",
            &format!("/admin/events/{id}"),
            Some(json!({"maxCapacity": 100})),
        )
        .await?;
    let rename = app
        .admin(
            "PUT",
            &format!("/admin/events/{id}"),
            Some(json!({"name": "Rock Fest - Sold Out"})),
        )
        .await?;
    assert_eq!(
        (too_many.status, too_many.code()),
        (400, "capacity_exceeded")
    );
    assert_eq!((again.status, again.code()), (409, "seat_already_exists"));
    assert_eq!((shrink.status, shrink.code()), (400, "validation_failed"));
    assert_eq!(rename.status, 200);
    assert_eq!(rename.json["name"], "Rock Fest - Sold Out");
    assert_eq!(
        seat_map(&app, &id).await["seats"].as_array().map(Vec::len),
        Some(220)
    );

    let map = seat_map(&app, &id).await;
    let vip = map["seats"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["sectionCode"] == "VIP"))
        .expect("a VIP seat")["id"]
        .as_str()
        .expect("seat")
        .to_string();
    assert_eq!(hold(&app, &vip, "fan").await.status, 201);
    let sales = app
        .admin("GET", &format!("/admin/events/{id}/sales"), None)
        .await?;
    assert_eq!(sales.status, 200);
    assert_eq!(
        (
            sales.json["heldSeats"].as_i64(),
            sales.json["availableSeats"].as_i64()
        ),
        (Some(1), Some(219))
    );
    let vip_sales = sales.json["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["sectionCode"] == "VIP")
        .cloned();
    assert_eq!(
        vip_sales.map(|s| (s["totalSeats"].clone(), s["held"].clone())),
        Some((json!(20), json!(1)))
    );
    Ok(())
}

#[tokio::test]
async fn a_withdrawn_event_cannot_be_held_and_comes_back_on_reactivation() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 2).await;
    let first = seats[0]["id"].as_str().expect("seat");
    let second = seats[1]["id"].as_str().expect("seat");

    assert_eq!(hold(&app, first, "fan").await.status, 201);
    let blocked = deactivate(&app, &event).await;
    assert_eq!(
        (blocked.status, blocked.code()),
        (409, "event_state_conflict")
    );

    let (event2, seats2) = create_event(&app, 1, 2).await;
    let off = deactivate(&app, &event2).await;
    assert_eq!(off.json["status"], "inactive");
    assert_eq!(off.json["success"], true);
    assert_eq!(
        seat_status(&app, &event2, seats2[0]["id"].as_str().expect("seat")).await,
        "unavailable"
    );
    let seat2 = seats2[0]["id"].as_str().expect("seat").to_string();
    app.settle().await?;
    let refused = hold(&app, &seat2, "fan").await;
    assert_eq!(refused.code(), "event_not_on_sale", "{}", refused.text);

    let on = app
        .admin(
            "POST",
            &format!("/admin/events/{event2}/reactivate"),
            Some(json!({})),
        )
        .await?;
    assert_eq!(on.json["status"], "active");
    app.settle().await?;
    let held = hold(&app, &seat2, "fan").await;
    assert_eq!(held.status, 201, "{}", held.text);
    assert_eq!(hold(&app, second, "fan").await.status, 201);
    Ok(())
}

#[tokio::test]
async fn admin_input_errors_are_clear_400s_and_unknown_events_404() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let base = json!({"name": "N", "description": "D", "eventDate": "2099-01-01T00:00:00Z", "venue": "V", "maxCapacity": 10, "basePrice": 10});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("name", json!("  ")), "name is required."),
        (
            with("eventDate", json!("2001-01-01T00:00:00Z")),
            "eventDate must be in the future.",
        ),
        (with("eventDate", json!("soon")), "eventDate must be a date"),
        (
            with("maxCapacity", json!(0)),
            "maxCapacity must be between 1 and 1000000.",
        ),
        (
            with("basePrice", json!(-5)),
            "basePrice must be greater than zero",
        ),
        (
            with("basePrice", json!(10.001)),
            "Invalid value for field `basePrice`",
        ),
        (
            with("basePrice", json!("ten")),
            "Invalid value for field `basePrice`",
        ),
    ];
    for (body, sentence) in cases {
        let reply = app.admin("POST", "/admin/events", Some(body)).await?;
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert!(
            reply.error().starts_with(sentence),
            "{} does not start with {sentence}",
            reply.error()
        );
    }
    let missing = app
        .admin("POST", "/admin/events", Some(json!({"name": "N"})))
        .await?;
    assert_eq!((missing.status, missing.code()), (400, "invalid_json"));
    assert!(
        missing.error().contains("description"),
        "{}",
        missing.error()
    );

    let unknown = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
    for path in [
        format!("/events/{unknown}"),
        format!("/events/{unknown}/seatmap"),
        format!("/admin/events/{unknown}/sales"),
    ] {
        let reply = app.admin("GET", &path, None).await?;
        assert_eq!(
            (reply.status, reply.code()),
            (404, "event_not_found"),
            "{path}"
        );
    }
    let not_uuid = app.get("/events/not-a-uuid").await?;
    assert_eq!(not_uuid.status, 400);
    let seats = app
        .admin("POST", &format!("/admin/events/{unknown}/seats"), Some(json!({"sectionConfigurations": [{"sectionCode": "A", "rows": 1, "seatsPerRow": 1, "priceMultiplier": 1}]})))
        .await?;
    assert_eq!(seats.status, 404);
    assert_eq!(
        app.admin("GET", "/admin/events", None).await?.json,
        json!([]),
        "nothing was created"
    );
    Ok(())
}

/// A change to an event reaches the very next hold and cart, not a later one: a guard for any
/// copy of the catalogue kept in memory (one was tried, docs/performance.md).
#[tokio::test]
async fn a_renamed_or_withdrawn_event_reaches_the_next_hold_and_cart_at_once() -> anyhow::Result<()>
{
    let app = spawn_app().await;
    let (event, seats) = create_event(&app, 1, 2).await;

    let before = cart_with(&app, &seats[0], "user-1").await;
    assert_eq!(before["eventName"], "Test Night");
    let renamed = app
        .admin(
            "PUT",
            &format!("/admin/events/{event}"),
            Some(json!({"name": "Test Night (second show)"})),
        )
        .await?;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let after = cart_with(&app, &seats[1], "user-2").await;
    assert_eq!(after["items"][0]["eventName"], "Test Night (second show)");

    // Withdrawing needs no seat on hold: a second event, one of whose seats was held (its
    // listing read) and let go.
    let (event, seats) = create_event(&app, 1, 2).await;
    let seat = |i: usize| seats[i]["id"].as_str().expect("seat").to_string();
    let held = hold(&app, &seat(0), "user-3").await;
    assert_eq!(held.status, 201, "{}", held.text);
    let id = held.json["reservationId"].as_str().expect("hold");
    let released = app
        .call(
            "DELETE",
            &format!("/reservations/{id}?customerId=user-3"),
            None,
        )
        .await?;
    assert_eq!(released.status, 200, "{}", released.text);
    let off = deactivate(&app, &event).await;
    assert_eq!(off.status, 200, "{}", off.text);
    let refused = hold(&app, &seat(1), "user-4").await;
    assert_eq!(
        (refused.status, refused.code()),
        (409, "event_not_on_sale"),
        "{}",
        refused.text
    );
    Ok(())
}
