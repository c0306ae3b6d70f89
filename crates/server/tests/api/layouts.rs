//! Venue layouts beyond rectangles and price categories: an imported layout (CSV, JSON) and
//! placed, curved sections drive the seat map's API and best available; a bad line is named
//! and nothing is added.

use serde_json::{Value, json};
use testkit::TestServer;

use crate::helpers::{create_event_with, seat_map, spawn_with};

/// Sends a layout file to `POST /admin/events/{event}/layout` as `media_type`.
async fn upload(app: &TestServer, event: &str, media_type: &str, body: &str) -> (u16, Value) {
    let reply = app
        .client()
        .post(format!(
            "{}/admin/events/{event}/layout",
            app.base("gateway")
        ))
        .bearer_auth(app.admin_token())
        .header("content-type", media_type)
        .body(body.to_string())
        .send()
        .await
        .expect("layout upload answers");
    let status = reply.status().as_u16();
    let text = reply.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) async fn empty_event(app: &TestServer) -> String {
    let made = app
        .admin(
            "POST",
            "/admin/events",
            Some(json!({
                "name": "Layout Night", "description": "Seats where they stand",
                "eventDate": "2099-05-01T20:00:00Z", "venue": "Round Hall",
                "maxCapacity": 1000, "basePrice": "30.00"
            })),
        )
        .await
        .expect("create event");
    assert_eq!(made.status, 201, "{}", made.text);
    made.json["id"].as_str().expect("id").to_string()
}

async fn set_categories(app: &TestServer, event: &str, categories: Value) -> testkit::Reply {
    app.admin(
        "PUT",
        &format!("/admin/events/{event}/categories"),
        Some(json!({ "categories": categories })),
    )
    .await
    .expect("categories answer")
}

/// A small hall as CSV: Stalls rows 1-2 bent around the stage (9 seats each), Balcony row 1
/// behind them (6 seats).
pub(crate) fn hall_csv() -> String {
    let mut csv = String::from("section,row,seat,x,y,category\n");
    for row in 1..=2 {
        let radius = 8.0 + f64::from(row - 1);
        for seat in 1..=9 {
            let theta = (f64::from(seat) - 5.0) / radius;
            let (x, y) = (radius * theta.sin(), radius * theta.cos() - 8.0);
            csv.push_str(&format!("STALLS,{row},{seat},{x:.2},{y:.2},Stalls\n"));
        }
    }
    for seat in 1..=6 {
        csv.push_str(&format!(
            "BALC,1,{seat},{},6,Balcony\n",
            f64::from(seat) - 3.5
        ));
    }
    csv
}

fn places(reply: &testkit::Reply) -> Vec<(String, i64, i64)> {
    reply.json["reservations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["sectionCode"].as_str().unwrap_or_default().to_string(),
                s["rowNumber"].as_i64().unwrap_or_default(),
                s["seatNumber"].as_i64().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_imported_layout_with_categories_drives_the_map_and_best_available() -> anyhow::Result<()>
{
    let app = spawn_with(&["--no-demo", "--hold-rate-limit", "0"]).await;
    let event = empty_event(&app).await;
    let made = set_categories(
        &app,
        &event,
        json!([
            {"name": "Stalls", "colour": "#1F77B4", "price": "80.00"},
            {"name": "Balcony", "colour": "#ff7f0e", "price": "45.00"}
        ]),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.text);
    assert_eq!(made.json["categories"][0]["colour"], "#1f77b4");

    // Each refusal names the line, and nothing is added.
    let mut unknown = hall_csv();
    unknown.push_str("BALC,1,7,9,6,Gallery\n");
    let (status, body) = upload(&app, &event, "text/csv", &unknown).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        "Line 26: category \"Gallery\" is not one of this event's categories (Stalls, Balcony)."
    );
    let mut overlapping = hall_csv();
    overlapping.push_str("BALC,1,7,2.9,6.2,Balcony\n");
    let (status, body) = upload(&app, &event, "text/csv", &overlapping).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        "Line 26: the seat overlaps Line 25 (closer than 0.9 seat widths)."
    );
    let mut twice = hall_csv();
    twice.push_str("STALLS,1,1,-20,0,Stalls\n");
    let (_, body) = upload(&app, &event, "text/csv", &twice).await;
    assert_eq!(
        body["error"],
        "Line 26: section STALLS row 1 seat 1 is given twice (also Line 2)."
    );
    assert_eq!(seat_map(&app, &event).await["seats"], json!([]));

    let (status, body) = upload(&app, &event, "text/csv", &hall_csv()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["totalSeatsGenerated"], 24);

    // The seat map carries the legend, and each seat its category, price and position.
    let map = seat_map(&app, &event).await;
    assert_eq!(map["categories"][1]["name"], "Balcony");
    let seats = map["seats"].as_array().cloned().unwrap_or_default();
    let balcony = seats
        .iter()
        .find(|s| s["sectionCode"] == "BALC" && s["seatNumber"] == 1)
        .expect("balcony seat");
    assert_eq!(
        (
            &balcony["category"],
            &balcony["price"],
            &balcony["x"],
            &balcony["y"]
        ),
        (&json!("Balcony"), &json!(45.0), &json!(-2.5), &json!(6.0))
    );
    assert!(map.get("stage").is_none(), "no stage given: none announced");

    // Best available: by default the two seats nearest the stage, in the middle of row 1.
    let best = app
        .post(
            "/reservations/best-available",
            json!({"eventId": event, "quantity": 2, "customerId": "family"}),
        )
        .await?;
    assert_eq!(best.status, 201, "{}", best.text);
    let got = places(&best);
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|p| p.0 == "STALLS" && p.1 == 1 && (4..=6).contains(&p.2)),
        "{got:?}"
    );
    assert_eq!(best.json["split"], false);
    // By category: only Balcony seats, side by side, in the middle.
    let balc = app
        .post(
            "/reservations/best-available",
            json!({"eventId": event, "quantity": 2, "category": "balcony", "customerId": "pair"}),
        )
        .await?;
    assert_eq!(balc.status, 201, "{}", balc.text);
    assert_eq!(
        places(&balc),
        vec![("BALC".to_string(), 1, 3), ("BALC".to_string(), 1, 4)]
    );
    assert_eq!(balc.json["reservations"][0]["price"], 45.0);
    let none = app
        .post(
            "/reservations/best-available",
            json!({"eventId": event, "quantity": 5, "category": "Balcony", "customerId": "five"}),
        )
        .await?;
    assert_eq!(none.status, 409, "{}", none.text);
    assert_eq!(
        none.error(),
        "Only 4 seats are free in category Balcony, fewer than the 5 asked for; none were held."
    );
    let unknown = app
        .post(
            "/reservations/best-available",
            json!({"eventId": event, "quantity": 1, "category": "Gallery", "customerId": "x"}),
        )
        .await?;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert!(
        unknown.error().contains("Balcony, Stalls"),
        "{}",
        unknown.text
    );

    // A new category price reaches its seats; a used category cannot be dropped.
    let repriced = set_categories(
        &app,
        &event,
        json!([
            {"name": "Stalls", "colour": "#1f77b4", "price": "80.00"},
            {"name": "Balcony", "colour": "#ff7f0e", "price": "50.00"}
        ]),
    )
    .await;
    assert_eq!(repriced.status, 200, "{}", repriced.text);
    let map = seat_map(&app, &event).await;
    let prices: Vec<&Value> = map["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["category"] == "Balcony")
        .map(|s| &s["price"])
        .collect();
    assert!(
        prices.len() == 6 && prices.iter().all(|p| **p == json!(50.0)),
        "{prices:?}"
    );
    // A section priced by category keeps its categories' prices.
    let by_section = app
        .admin(
            "PUT",
            &format!("/admin/events/{event}/prices"),
            Some(json!({"sections": [{"sectionCode": "BALC", "price": 10}]})),
        )
        .await?;
    assert_eq!(by_section.status, 400, "{}", by_section.text);
    assert_eq!(
        by_section.error(),
        "Section BALC is priced by its categories (Balcony); change the category's price instead."
    );
    let dropped = set_categories(
        &app,
        &event,
        json!([{"name": "Stalls", "colour": "#1f77b4", "price": "80.00"}]),
    )
    .await;
    assert_eq!(dropped.status, 400, "{}", dropped.text);
    assert_eq!(
        dropped.error(),
        "Category \"Balcony\" has 6 seats; it cannot be left out of the categories."
    );
    Ok(())
}

#[tokio::test]
async fn a_json_layout_sets_its_stage_and_sections_can_be_placed_turned_and_curved()
-> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo"]).await;
    let event = empty_event(&app).await;
    // JSON: categories and stage in the document; an error names seats[i].
    let doc = |seats: Value| {
        json!({
            "stage": {"x": 0, "y": 10},
            "categories": [{"name": "Ring", "colour": "#12b76a", "price": "60.00"}],
            "seats": seats
        })
        .to_string()
    };
    let bad = doc(json!([
        {"section": "N", "row": 1, "seat": 1, "x": 0, "y": 0, "category": "Ring"},
        {"section": "N", "row": 0, "seat": 2, "x": 1, "y": 0, "category": "Ring"}
    ]));
    let (status, body) = upload(&app, &event, "application/json", &bad).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        "seats[1]: row must be between 1 and 10000, got 0."
    );
    let categories = app
        .admin("GET", &format!("/admin/events/{event}/categories"), None)
        .await?;
    assert_eq!(
        categories.json["categories"],
        json!([]),
        "a refused import leaves the categories as they were"
    );
    let good = doc(json!([
        {"section": "N", "row": 1, "seat": 1, "x": 0, "y": 0, "category": "Ring", "access": "wheelchair"},
        {"section": "N", "row": 1, "seat": 2, "x": 1, "y": 0, "category": "Ring"}
    ]));
    let (status, body) = upload(&app, &event, "application/json", &good).await;
    assert_eq!(status, 200, "{body}");
    let map = seat_map(&app, &event).await;
    assert_eq!(map["stage"], json!({"x": 0.0, "y": 10.0}));
    assert_eq!(map["seats"][0]["access"], "wheelchair");
    let edited = app
        .admin(
            "PUT",
            &format!("/admin/events/{event}"),
            Some(json!({"name": "Ring Night"})),
        )
        .await?;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(
        seat_map(&app, &event).await["stage"],
        json!({"x": 0.0, "y": 10.0}),
        "an edit of the event keeps its stage"
    );

    // A placed section beside them: turned 90° and curved, priced by its category.
    let placed = app
        .admin(
            "POST",
            &format!("/admin/events/{event}/seats"),
            Some(json!({"sectionConfigurations": [{
                "sectionCode": "E", "rows": 2, "seatsPerRow": 5, "category": "Ring",
                "x": 12, "y": 10, "angle": 90, "curve": 6
            }]})),
        )
        .await?;
    assert_eq!(placed.status, 200, "{}", placed.text);
    let map = seat_map(&app, &event).await;
    let east: Vec<&Value> = map["seats"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["sectionCode"] == "E")
        .collect();
    assert_eq!(east.len(), 10);
    let middle = east
        .iter()
        .find(|s| s["rowNumber"] == 1 && s["seatNumber"] == 3)
        .expect("middle seat");
    assert_eq!((&middle["x"], &middle["y"]), (&json!(12.0), &json!(10.0)));
    // Turned a quarter: row 1 runs down the map, row 2 stands to its left.
    let first = east
        .iter()
        .find(|s| s["rowNumber"] == 1 && s["seatNumber"] == 1)
        .expect("first seat");
    assert!(first["y"].as_f64() < Some(8.5), "{first}");
    assert!(east.iter().all(|s| s["price"] == json!(60.0)));

    // A plain section cannot join seats with positions, nor can a section overlap.
    let plain = app
        .admin(
            "POST",
            &format!("/admin/events/{event}/seats"),
            Some(json!({"sectionConfigurations": [
                {"sectionCode": "P", "rows": 1, "seatsPerRow": 2, "category": "Ring"}
            ]})),
        )
        .await?;
    assert_eq!(plain.status, 400, "{}", plain.text);
    assert!(
        plain.error().contains("give the new sections a position"),
        "{}",
        plain.text
    );
    let on_top = app
        .admin(
            "POST",
            &format!("/admin/events/{event}/seats"),
            Some(json!({"sectionConfigurations": [
                {"sectionCode": "W", "rows": 1, "seatsPerRow": 3, "category": "Ring", "x": 0, "y": 0}
            ]})),
        )
        .await?;
    assert_eq!(on_top.status, 400, "{}", on_top.text);
    assert_eq!(
        on_top.error(),
        "Section W row 1 seat 2: the seat overlaps the existing seat N row 1 seat 1 (closer than 0.9 seat widths)."
    );
    // Multipliers keep working as before for events without positions or categories.
    let (_, seats) = create_event_with(
        &app,
        json!({"basePrice": "40.00"}),
        json!([{"sectionCode": "A", "rows": 1, "seatsPerRow": 2, "priceMultiplier": 1.5}]),
    )
    .await;
    assert_eq!(seats[0]["price"], json!(60.0));
    assert!(seats[0].get("x").is_none());
    Ok(())
}
