//! Looking orders up in the back office (issue #27): `GET /admin/orders` by event, state and an
//! e-mail address, user id, guest token or order id; newest first, 50 a page; staff and
//! administrators only; carts never listed.

use serde_json::{Value, json};

use crate::harness::InProcess;
use crate::helpers::{cart_with, create_event, pay, pending_order};

/// The order ids of a search's page, and whether more follow.
async fn found(app: &InProcess, query: &str) -> anyhow::Result<(Vec<String>, bool)> {
    let reply = app
        .admin("GET", &format!("/admin/orders?{query}"), None)
        .await?;
    anyhow::ensure!(reply.status == 200, "{query}: {}", reply.text);
    let ids = reply.json["orders"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|o| o["orderId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((ids, reply.json["hasMore"] == true))
}

fn id(order: &Value) -> String {
    order["id"].as_str().expect("order id").to_string()
}

#[tokio::test]
async fn orders_are_found_by_event_state_buyer_and_id_newest_first() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event_a, seats_a) = create_event(&app, 1, 4).await;
    let (_, seats_b) = create_event(&app, 1, 1).await;
    let ana = pending_order(&app, &seats_a[..1], "ana@example.com").await;
    assert_eq!(
        pay(&app, &ana, "ana@example.com", json!(25.00))
            .await
            .status,
        200
    );
    let bo = pending_order(&app, &seats_a[1..2], "bo").await;
    let cy = pending_order(&app, &seats_a[2..3], "cy").await;
    let cancelled = app
        .call(
            "PATCH",
            &format!("/orders/{}/cancel?userId=cy", id(&cy)),
            None,
        )
        .await?;
    assert_eq!(cancelled.status, 204, "{}", cancelled.text);
    let cart = cart_with(&app, &seats_a[3], "dee").await;
    let ed = pending_order(&app, &seats_b[..1], "ed").await;
    assert_eq!(pay(&app, &ed, "ed", json!(25.00)).await.status, 200);
    app.settle().await?;

    // Newest first; a cart is not an order yet.
    let (all, more) = found(&app, "").await?;
    assert_eq!(all, vec![id(&ed), id(&cy), id(&bo), id(&ana)]);
    assert!(!more);
    assert!(!all.contains(&id(&cart)));
    assert_eq!(
        found(&app, &format!("eventId={event_a}")).await?.0,
        vec![id(&cy), id(&bo), id(&ana)]
    );
    assert_eq!(
        found(&app, "state=completed").await?.0,
        vec![id(&ed), id(&ana)]
    );
    assert_eq!(
        found(&app, &format!("eventId={event_a}&state=cancelled"))
            .await?
            .0,
        vec![id(&cy)]
    );
    assert_eq!(found(&app, "q=ana%40example.com").await?.0, vec![id(&ana)]);
    assert_eq!(
        found(&app, &format!("q={}", id(&bo))).await?.0,
        vec![id(&bo)]
    );
    assert_eq!(found(&app, "q=nobody").await?.0, Vec::<String>::new());
    let page = app.admin("GET", "/admin/orders?q=bo", None).await?;
    let bo_found = &page.json["orders"][0];
    assert_eq!(bo_found["state"], "pending");
    assert_eq!(bo_found["seats"], 1);
    assert_eq!(bo_found["totalAmount"], json!(25.00));
    assert_eq!(bo_found["paidAt"], Value::Null);

    // Bad input is a clear 400; nobody but staff and administrators may look.
    for query in ["state=draft", "state=lost", "page=0", "eventId=not-an-id"] {
        let reply = app
            .admin("GET", &format!("/admin/orders?{query}"), None)
            .await?;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
    }
    assert_eq!(app.get("/admin/orders").await?.status, 401);
    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    assert_eq!(app.admin("POST", "/users", Some(staff)).await?.status, 201);
    let door = app.login("door@example.com", "Passw0rd!").await?;
    let as_staff = app
        .call_with_token(Some(&door), "GET", "/admin/orders?q=bo", None)
        .await?;
    assert_eq!(as_staff.status, 200, "{}", as_staff.text);
    let buyer = json!({"email": "fan@example.com", "password": "Passw0rd!"});
    assert_eq!(app.post("/users", buyer).await?.status, 201);
    let fan = app.login("fan@example.com", "Passw0rd!").await?;
    let as_buyer = app
        .call_with_token(Some(&fan), "GET", "/admin/orders", None)
        .await?;
    assert_eq!(as_buyer.status, 403, "{}", as_buyer.text);
    Ok(())
}

#[tokio::test]
async fn a_long_list_comes_in_pages_of_fifty_each_order_once() -> anyhow::Result<()> {
    let app = InProcess::start(|args| args.hold_rate_limit = 0).await?;
    let (event, seats) = create_event(&app, 1, 52).await;
    let mut made = Vec::new();
    for (i, seat) in seats.iter().enumerate() {
        made.push(id(&pending_order(
            &app,
            std::slice::from_ref(seat),
            &format!("fan-{i}"),
        )
        .await));
    }
    let (first, more) = found(&app, &format!("eventId={event}")).await?;
    assert_eq!(first.len(), 50);
    assert!(more, "a second page follows");
    let (second, more) = found(&app, &format!("eventId={event}&page=2")).await?;
    assert_eq!(second.len(), 2);
    assert!(!more);
    let listed: Vec<String> = first.into_iter().chain(second).collect();
    made.reverse();
    assert_eq!(listed, made, "every order once, newest first");
    let (beyond, more) = found(&app, &format!("eventId={event}&page=3")).await?;
    assert!(beyond.is_empty() && !more);
    Ok(())
}

#[tokio::test]
async fn door_staff_accounts_are_added_listed_limited_and_removed_with_immediate_effect()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (_, seats) = create_event(&app, 1, 1).await;
    let order = pending_order(&app, &seats, "ana@example.com").await;
    assert_eq!(
        pay(&app, &order, "ana@example.com", json!(25.00))
            .await
            .status,
        200
    );
    app.settle().await?;

    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    // Only an administrator creates door staff.
    let refused = app.post("/users", staff.clone()).await?;
    assert_eq!((refused.status, refused.code()), (403, "forbidden"));
    let created = app.admin("POST", "/users", Some(staff)).await?;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["userId"]
        .as_str()
        .expect("user id")
        .to_string();
    let listed = app.admin("GET", "/admin/staff", None).await?;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json[0]["email"], "door@example.com");
    assert_eq!(
        listed.json.as_array().map(Vec::len),
        Some(1),
        "administrators are not listed"
    );

    let door = app.login("door@example.com", "Passw0rd!").await?;
    let server: &testkit::TestServer = &app;
    let as_door = |method: &'static str, path: String, body: Option<Value>| {
        let door = door.clone();
        async move {
            server
                .call_with_token(Some(&door), method, &path, body)
                .await
        }
    };
    let order_path = format!("/admin/orders/{}", id_of(&order));
    // Door staff look orders up and check in; they do not refund, manage staff or events.
    assert_eq!(as_door("GET", order_path.clone(), None).await?.status, 200);
    assert_eq!(
        as_door("GET", "/admin/orders".into(), None).await?.status,
        200
    );
    let forbidden = [
        (
            "POST",
            format!("{order_path}/refund"),
            Some(json!({"reason": "x"})),
        ),
        ("GET", "/admin/staff".to_string(), None),
        ("DELETE", format!("/admin/staff/{id}"), None),
        ("GET", "/admin/events".to_string(), None),
    ];
    for (method, path, body) in forbidden {
        let r = as_door(method, path.clone(), body).await?;
        assert_eq!(r.status, 403, "{method} {path}: {}", r.text);
    }

    // Removed: the same token is refused at its next request, with a sentence that says why.
    let removed = app
        .admin("DELETE", &format!("/admin/staff/{id}"), None)
        .await?;
    assert_eq!(removed.status, 204, "{}", removed.text);
    for path in [order_path.clone(), "/admin/orders".to_string()] {
        let r = as_door("GET", path.clone(), None).await?;
        assert_eq!(
            (r.status, r.code()),
            (401, "unauthorized"),
            "{path}: {}",
            r.text
        );
        assert!(r.error().contains("removed"), "{}", r.text);
    }
    let r = as_door("POST", "/checkin".into(), Some(json!({"qr": "BX1.x"}))).await?;
    assert_eq!(r.status, 401, "{}", r.text);
    assert!(app.login("door@example.com", "Passw0rd!").await.is_err());
    // Again, or an administrator's id, or nonsense: no such door-staff account.
    let me = app.admin("GET", "/me", None).await?;
    let admin_id = me.json["userId"].as_str().expect("admin id").to_string();
    for target in [id, admin_id, "not-an-id".to_string()] {
        let r = app
            .admin("DELETE", &format!("/admin/staff/{target}"), None)
            .await?;
        assert_eq!(
            (r.status, r.code()),
            (404, "account_not_found"),
            "{target}: {}",
            r.text
        );
    }
    assert_eq!(
        app.admin("GET", "/me", None).await?.status,
        200,
        "the administrator is untouched"
    );
    Ok(())
}

fn id_of(order: &Value) -> String {
    id(order)
}

#[tokio::test]
async fn an_event_is_deleted_only_off_sale_without_sold_tickets_and_its_orders_stay()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 2).await;
    let order = pending_order(&app, &seats[..1], "ana@example.com").await;
    assert_eq!(
        pay(&app, &order, "ana@example.com", json!(25.00))
            .await
            .status,
        200
    );
    app.settle().await?;
    let path = format!("/admin/events/{event}");

    let on_sale = app.admin("DELETE", &path, None).await?;
    assert_eq!(
        (on_sale.status, on_sale.code()),
        (409, "event_state_conflict"),
        "{}",
        on_sale.text
    );
    assert!(on_sale.error().contains("off sale"), "{}", on_sale.text);
    let off = app
        .admin("POST", &format!("{path}/deactivate"), Some(json!({})))
        .await?;
    assert_eq!(off.status, 200, "{}", off.text);
    let sold = app.admin("DELETE", &path, None).await?;
    assert_eq!(
        (sold.status, sold.code()),
        (409, "event_state_conflict"),
        "{}",
        sold.text
    );
    assert!(sold.error().contains("1 sold tickets"), "{}", sold.text);
    assert_eq!(
        app.get(&format!("/events/{event}")).await?.status,
        200,
        "nothing changed"
    );

    let staff = json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"});
    assert_eq!(app.admin("POST", "/users", Some(staff)).await?.status, 201);
    let door = app.login("door@example.com", "Passw0rd!").await?;
    assert_eq!(
        app.call_with_token(Some(&door), "DELETE", &path, None)
            .await?
            .status,
        403
    );

    let refunded = app
        .admin(
            "POST",
            &format!("/admin/orders/{}/refund", id(&order)),
            Some(json!({"reason": "Cancelled"})),
        )
        .await?;
    assert_eq!(refunded.status, 200, "{}", refunded.text);
    app.settle().await?;
    let deleted = app.admin("DELETE", &path, None).await?;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(app.get(&format!("/events/{event}")).await?.status, 404);
    assert_eq!(app.admin("DELETE", &path, None).await?.status, 404);
    let history = app
        .admin("GET", &format!("/admin/orders/{}", id(&order)), None)
        .await?;
    assert_eq!(
        (history.status, &history.json["state"]),
        (200, &json!("refunded")),
        "{}",
        history.text
    );
    Ok(())
}

#[tokio::test]
async fn an_event_is_edited_in_its_time_zone_with_a_sales_window_and_its_holders_are_told()
-> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let created = app
        .admin(
            "POST",
            "/admin/events",
            Some(json!({
                "name": "Berlin Night", "description": "x", "eventDate": "2099-07-01T20:00",
                "timeZone": "Europe/Berlin", "venue": "Hall A", "maxCapacity": 100, "basePrice": 25
            })),
        )
        .await?;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.json["eventDate"], "2099-07-01T18:00:00Z",
        "20:00 in Berlin's summer"
    );
    assert_eq!(created.json["timeZone"], "Europe/Berlin");
    let event = created.json["id"].as_str().expect("id").to_string();
    let seats = json!({"sectionConfigurations": [{"sectionCode": "A", "rows": 1, "seatsPerRow": 3, "priceMultiplier": 1}]});
    assert_eq!(
        app.admin("POST", &format!("/admin/events/{event}/seats"), Some(seats))
            .await?
            .status,
        200
    );
    let map = crate::helpers::seat_map(&app, &event).await;
    let seat = |i: usize| map["seats"][i].clone();
    let order = pending_order(&app, &[seat(0)], "ana@example.com").await;
    assert_eq!(
        pay(&app, &order, "ana@example.com", json!(25.00))
            .await
            .status,
        200
    );
    app.settle().await?;

    let path = format!("/admin/events/{event}");
    let bad = [
        (json!({"timeZone": "Mars/Olympus"}), "IANA"),
        (json!({"eventDate": "2099-13-01T20:00"}), "eventDate"),
        (
            json!({"salesStart": "2099-06-02T10:00", "salesEnd": "2099-06-01T10:00"}),
            "before salesEnd",
        ),
        (
            json!({"salesEnd": "2099-07-02T10:00"}),
            "after the event starts",
        ),
        (json!({"eventDate": "2001-01-01T10:00"}), "future"),
    ];
    for (body, words) in bad {
        let r = app.admin("PUT", &path, Some(body.clone())).await?;
        assert_eq!(
            (r.status, r.code()),
            (400, "validation_failed"),
            "{body}: {}",
            r.text
        );
        assert!(r.error().contains(words), "{body}: {}", r.text);
    }

    // On sale only from tomorrow: holds are refused until then.
    let r = app
        .admin(
            "PUT",
            &path,
            Some(json!({"salesStart": "2099-06-01T10:00"})),
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["salesStart"], "2099-06-01T08:00:00Z");
    let held = crate::helpers::hold(&app, seat(1)["id"].as_str().expect("seat"), "bo").await;
    assert_eq!(
        (held.status, held.code()),
        (409, "event_not_on_sale"),
        "{}",
        held.text
    );
    let r = app
        .admin("PUT", &path, Some(json!({"salesStart": ""})))
        .await?;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        crate::helpers::hold(&app, seat(1)["id"].as_str().expect("seat"), "bo")
            .await
            .status,
        201
    );

    // Moved a day later, to another hall: the tickets say so and the holder is told.
    let r = app
        .admin(
            "PUT",
            &path,
            Some(json!({"eventDate": "2099-07-02T21:00", "venue": "Hall B"})),
        )
        .await?;
    assert_eq!(
        (r.status, &r.json["eventDate"]),
        (200, &json!("2099-07-02T19:00:00Z")),
        "{}",
        r.text
    );
    app.settle().await?;
    let tickets = app
        .get(&format!(
            "/orders/{}/tickets?userId=ana@example.com",
            id(&order)
        ))
        .await?;
    assert_eq!(
        (&tickets.json[0]["venue"], &tickets.json[0]["eventDate"]),
        (&json!("Hall B"), &json!("2099-07-02T19:00:00Z")),
        "{}",
        tickets.text
    );
    let d = app
        .admin("GET", &format!("/admin/orders/{}", id(&order)), None)
        .await?;
    let told: Vec<&Value> = d.json["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["kind"] == "rescheduled")
        .collect();
    assert_eq!(told.len(), 1, "{}", d.text);
    assert!(
        told[0]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("21:00 CEST")),
        "{}",
        d.text
    );
    // Not told when the organiser says so.
    let r = app
        .admin(
            "PUT",
            &path,
            Some(json!({"eventDate": "2099-07-03T21:00", "notifyHolders": false})),
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.text);
    app.settle().await?;
    let d = app
        .admin("GET", &format!("/admin/orders/{}", id(&order)), None)
        .await?;
    let told = d.json["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["kind"] == "rescheduled")
        .count();
    assert_eq!(told, 1, "{}", d.text);
    Ok(())
}

#[tokio::test]
async fn section_prices_change_for_new_buyers_only() -> anyhow::Result<()> {
    let app = InProcess::start(|_| {}).await?;
    let (event, seats) = create_event(&app, 1, 3).await;
    let cart = cart_with(&app, &seats[0], "ana").await;
    let path = format!("/admin/events/{event}/prices");
    let r = app
        .admin(
            "PUT",
            &path,
            Some(json!({"sections": [{"sectionCode": "A", "price": 30}]})),
        )
        .await?;
    assert_eq!(
        (r.status, &r.json["changed"]),
        (200, &json!(3)),
        "{}",
        r.text
    );
    let map = crate::helpers::seat_map(&app, &event).await;
    assert_eq!(map["seats"][1]["price"], json!(30.0));
    // The seat already in a cart keeps its price through checkout and payment.
    let done = app
        .post(
            "/orders/checkout",
            json!({"orderId": cart["id"], "userId": "ana"}),
        )
        .await?;
    assert_eq!(
        (done.status, &done.json["totalAmount"]),
        (200, &json!(25.0)),
        "{}",
        done.text
    );
    assert_eq!(pay(&app, &done.json, "ana", json!(25.00)).await.status, 200);
    let cases = [
        json!({"sections": []}),
        json!({"sections": [{"sectionCode": "Z", "price": 30}]}),
        json!({"sections": [{"sectionCode": "A", "price": 30}, {"sectionCode": "A", "price": 31}]}),
        json!({"sections": [{"sectionCode": "A", "price": -1}]}),
    ];
    for body in cases {
        let r = app.admin("PUT", &path, Some(body.clone())).await?;
        assert_eq!(
            (r.status, r.code()),
            (400, "validation_failed"),
            "{body}: {}",
            r.text
        );
    }
    Ok(())
}
