//! Identity and security: accounts, tokens, admin routes, ownership, abuse limits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use testkit::TestServer;

use crate::helpers::{create_event, pay, pending_order, spawn_app, spawn_with};

const SECRET: &str = "test-secret-test-secret-test-secret-0123";

async fn user_token(app: &TestServer, email: &str) -> anyhow::Result<(String, String)> {
    let created = app
        .post("/users", json!({"email": email, "password": "Passw0rd!"}))
        .await?;
    anyhow::ensure!(created.status == 201, "{}", created.text);
    let token = app.login(email, "Passw0rd!").await?;
    Ok((
        token,
        created.json["userId"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

#[tokio::test]
async fn accounts_sign_in_and_say_who_they_are() -> anyhow::Result<()> {
    let app = spawn_app().await;

    let created = app
        .post(
            "/users",
            json!({"email": "Ana@Example.com", "password": "Passw0rd!", "unknown": 1}),
        )
        .await?;
    let duplicate = app
        .post(
            "/users",
            json!({"email": "ana@example.com", "password": "Passw0rd!"}),
        )
        .await?;
    let bad_email = app
        .post("/users", json!({"email": "ana", "password": "Passw0rd!"}))
        .await?;
    let short = app
        .post(
            "/users",
            json!({"email": "bob@example.com", "password": "short"}),
        )
        .await?;
    let sneaky_admin = app
        .post(
            "/users",
            json!({"email": "eve@example.com", "password": "Passw0rd!", "role": "Admin"}),
        )
        .await?;
    let wrong = app
        .post(
            "/token",
            json!({"email": "ana@example.com", "password": "nope-nope"}),
        )
        .await?;
    let unknown = app
        .post(
            "/token",
            json!({"email": "nobody@example.com", "password": "Passw0rd!"}),
        )
        .await?;
    let login = app
        .post(
            "/token",
            json!({"email": "ana@example.com", "password": "Passw0rd!"}),
        )
        .await?;

    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["email"], "ana@example.com");
    assert_eq!(created.json["role"], "User");
    assert_eq!((duplicate.status, duplicate.code()), (409, "email_taken"));
    assert_eq!((bad_email.status, short.status), (400, 400));
    assert_eq!(sneaky_admin.status, 403);
    for refused in [&wrong, &unknown] {
        assert_eq!(
            (refused.status, refused.error()),
            (401, "Invalid email or password")
        );
    }
    assert_eq!(login.status, 200);
    assert_eq!(
        (
            login.json["userRole"].as_str(),
            login.json["userEmail"].as_str()
        ),
        (Some("User"), Some("ana@example.com"))
    );
    let token = login.json["token"].as_str().expect("token");
    let me = app.call_with_token(Some(token), "GET", "/me", None).await?;
    assert_eq!(me.json["userId"], created.json["userId"]);
    assert_eq!(app.get("/me").await?.status, 401);
    let staff = app
        .admin(
            "POST",
            "/users",
            Some(json!({"email": "door@example.com", "password": "Passw0rd!", "role": "Staff"})),
        )
        .await?;
    assert_eq!(
        (staff.status, staff.json["role"].as_str()),
        (201, Some("Staff"))
    );
    Ok(())
}

#[tokio::test]
async fn every_admin_route_needs_an_admin_token() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (event, seats) = create_event(&app, 1, 2).await;
    let seat = seats[0]["id"].clone();
    let paid = pending_order(&app, &seats[1..2], "bo").await;
    assert_eq!(pay(&app, &paid, "bo", json!(25.00)).await.status, 200);
    let order = paid["id"].as_str().expect("order").to_string();
    let (user, _) = user_token(&app, "ana@example.com").await?;
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", "/admin/events".into(), Some(json!({}))),
        ("GET", "/admin/events".into(), None),
        ("GET", format!("/admin/events/{event}"), None),
        (
            "PUT",
            format!("/admin/events/{event}"),
            Some(json!({"name": "X"})),
        ),
        (
            "POST",
            format!("/admin/events/{event}/seats"),
            Some(json!({"sectionConfigurations": []})),
        ),
        ("POST", format!("/admin/events/{event}/deactivate"), None),
        ("POST", format!("/admin/events/{event}/reactivate"), None),
        ("GET", format!("/admin/events/{event}/sales"), None),
        ("GET", format!("/admin/events/{event}/attendees.csv"), None),
        ("GET", format!("/admin/events/{event}/orders.csv"), None),
        ("GET", "/admin/orders".into(), None),
        ("GET", format!("/admin/orders/{order}"), None),
        (
            "POST",
            format!("/admin/orders/{order}/refund"),
            Some(json!({"reason": "x"})),
        ),
        ("GET", format!("/admin/events/{event}/held-back"), None),
        (
            "POST",
            format!("/admin/events/{event}/held-back"),
            Some(json!({"seatIds": [seat], "reason": "x"})),
        ),
        (
            "POST",
            format!("/admin/events/{event}/held-back/release"),
            Some(json!({"seatIds": [seat]})),
        ),
        (
            "POST",
            format!("/admin/events/{event}/seats/access"),
            Some(json!({"seatIds": [seat], "access": "wheelchair"})),
        ),
        (
            "PUT",
            format!("/admin/events/{event}/prices"),
            Some(json!({"sections": [{"sectionCode": "A", "price": 30}]})),
        ),
        (
            "POST",
            format!("/admin/events/{event}/box-office"),
            Some(
                json!({"seatIds": [seat], "buyerName": "Ann", "email": "ann@example.com", "paymentMethod": "comp"}),
            ),
        ),
        ("GET", "/admin/staff".into(), None),
        (
            "DELETE",
            "/admin/staff/9b2f6c1e-0000-4000-8000-000000000001".into(),
            None,
        ),
        ("DELETE", format!("/admin/events/{event}"), None),
        ("GET", "/notifications".into(), None),
        ("POST", "/checkin".into(), Some(json!({"qr": "x"}))),
    ];
    for (method, path, body) in &routes {
        let anonymous = app
            .call_with_token(None, method, path, body.clone())
            .await?;
        let as_user = app
            .call_with_token(Some(&user), method, path, body.clone())
            .await?;
        let as_admin = app.admin(method, path, body.clone()).await?;
        assert_eq!(anonymous.status, 401, "{method} {path} without a token");
        assert_eq!(as_user.status, 403, "{method} {path} as a user");
        assert!(
            ![401, 403].contains(&as_admin.status),
            "{method} {path} as admin: {}",
            as_admin.text
        );
    }
    Ok(())
}

fn forge(token: &str, change: impl Fn(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    change(&mut claims);
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

#[tokio::test]
async fn tampered_unsigned_foreign_and_expired_tokens_are_refused() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--jwt-secret", SECRET]).await;
    let (user, user_id) = user_token(&app, "ana@example.com").await?;
    let promoted = forge(&user, |c| c["role"] = json!("Admin"));
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        forge(&user, |c| c["role"] = json!("Admin"))
            .split('.')
            .nth(1)
            .expect("claims")
    );
    let now = chrono::Utc::now();
    let foreign = api::JwtKeys::from_secret(b"another-secret-another-secret-0123")
        .issue(&user_id, "ana@example.com", api::Role::Admin, now)?
        .0;
    let expired = api::JwtKeys::from_secret(SECRET.as_bytes())
        .issue(
            &user_id,
            "ana@example.com",
            api::Role::Admin,
            now - chrono::Duration::hours(3),
        )?
        .0;
    let genuine_admin = api::JwtKeys::from_secret(SECRET.as_bytes())
        .issue(&user_id, "ana@example.com", api::Role::Admin, now)?
        .0;

    for (name, token) in [
        ("changed role", &promoted),
        ("alg none", &unsigned),
        ("wrong key", &foreign),
        ("expired", &expired),
        ("garbage", &"abc".to_string()),
    ] {
        let reply = app
            .call_with_token(Some(token), "GET", "/admin/events", None)
            .await?;
        assert_eq!(reply.status, 401, "{name}: {}", reply.text);
        let buyer_call = app
            .call_with_token(Some(token), "GET", "/orders?userId=x", None)
            .await?;
        assert_eq!(buyer_call.status, 401, "{name} on a buyer route");
    }
    assert_eq!(
        app.call_with_token(Some(&genuine_admin), "GET", "/admin/events", None)
            .await?
            .status,
        200,
        "the configured secret signs"
    );
    Ok(())
}

#[tokio::test]
async fn buyers_see_and_change_only_their_own_things() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (_, seats) = create_event(&app, 1, 3).await;
    let (ana, ana_id) = user_token(&app, "ana@example.com").await?;
    let (bob, _) = user_token(&app, "bob@example.com").await?;
    let as_ana = |m: &'static str, p: String, b: Option<Value>| {
        let (app, token) = (&app, ana.clone());
        async move { app.call_with_token(Some(&token), m, &p, b).await }
    };
    let as_bob = |m: &'static str, p: String, b: Option<Value>| {
        let (app, token) = (&app, bob.clone());
        async move { app.call_with_token(Some(&token), m, &p, b).await }
    };

    let held = as_ana(
        "POST",
        "/reservations".into(),
        Some(json!({"seatId": seats[0]["id"]})),
    )
    .await?;
    assert_eq!(
        (held.status, held.json["customerId"].as_str()),
        (201, Some(ana_id.as_str())),
        "{}",
        held.text
    );
    let reservation = held.json["reservationId"].as_str().expect("id").to_string();
    let cart = as_ana("POST", "/cart/add".into(), Some(json!({"reservationId": reservation, "seatId": seats[0]["id"], "price": 25, "state": "completed", "totalAmount": 0}))).await?;
    assert_eq!(
        (
            cart.status,
            cart.json["state"].as_str(),
            cart.json["totalAmount"].as_f64()
        ),
        (200, Some("draft"), Some(25.0)),
        "client state and total are ignored"
    );
    let order = cart.json["id"].as_str().expect("order").to_string();
    let impersonation = as_bob(
        "POST",
        "/cart/add".into(),
        Some(json!({"reservationId": reservation, "seatId": seats[0]["id"], "userId": ana_id})),
    )
    .await?;
    assert_eq!(
        impersonation.status, 401,
        "a body userId other than the token's subject"
    );

    assert_eq!(
        as_bob("GET", format!("/reservations/{reservation}"), None)
            .await?
            .status,
        404
    );
    assert_eq!(
        as_bob("DELETE", format!("/reservations/{reservation}"), None)
            .await?
            .status,
        404
    );
    assert_eq!(
        as_bob("GET", format!("/orders/{order}"), None)
            .await?
            .status,
        404
    );
    assert_eq!(
        as_bob(
            "POST",
            "/orders/checkout".into(),
            Some(json!({"orderId": order}))
        )
        .await?
        .status,
        401
    );
    assert_eq!(
        as_bob(
            "POST",
            "/cart/remove".into(),
            Some(json!({"orderId": order, "seatId": seats[0]["id"]}))
        )
        .await?
        .status,
        401
    );
    assert_eq!(
        as_bob("PATCH", format!("/orders/{order}/cancel"), None)
            .await?
            .status,
        404
    );
    assert_eq!(as_bob("GET", "/orders".into(), None).await?.json, json!([]));

    let checkout = as_ana(
        "POST",
        "/orders/checkout".into(),
        Some(json!({"orderId": order})),
    )
    .await?;
    assert_eq!(checkout.status, 200, "{}", checkout.text);
    let stolen_payment = as_bob(
        "POST",
        "/payments".into(),
        Some(json!({"orderId": order, "amount": 25})),
    )
    .await?;
    assert_eq!(stolen_payment.status, 401);
    let paid = as_ana(
        "POST",
        "/payments".into(),
        Some(json!({"orderId": order, "amount": 25})),
    )
    .await?;
    assert_eq!(paid.status, 200, "{}", paid.text);
    let payment = paid.json["payment"]["id"]
        .as_str()
        .expect("payment")
        .to_string();
    let view = as_ana("GET", format!("/orders/{order}"), None).await?;
    assert_eq!(
        view.json["customerEmail"], "ana@example.com",
        "tickets go to the signed-in user's e-mail"
    );
    let mail_dir = app.data_dir().join("mail");
    testkit::eventually(
        std::time::Duration::from_secs(8),
        "the ticket e-mail to ana",
        || {
            let mail_dir = mail_dir.clone();
            async move {
                Ok(std::fs::read_dir(&mail_dir)?.flatten().any(|f| {
                    std::fs::read_to_string(f.path())
                        .is_ok_and(|m| m.contains("To: ana@example.com"))
                }))
            }
        },
    )
    .await?;
    assert_eq!(
        as_bob("GET", format!("/payments/{payment}"), None)
            .await?
            .status,
        404
    );
    assert_eq!(
        as_ana("GET", format!("/payments/{payment}"), None)
            .await?
            .status,
        200
    );
    assert_eq!(
        as_bob("GET", format!("/payments?orderId={order}"), None)
            .await?
            .json,
        json!([])
    );

    let tickets_url = format!("/orders/{order}/tickets");
    testkit::eventually(std::time::Duration::from_secs(8), "tickets", || {
        let f = as_ana("GET", tickets_url.clone(), None);
        async move { Ok(f.await?.json.as_array().is_some_and(|t| !t.is_empty())) }
    })
    .await?;
    let ticket = as_ana("GET", tickets_url.clone(), None).await?.json[0]["id"]
        .as_str()
        .expect("ticket")
        .to_string();
    assert_eq!(as_bob("GET", tickets_url, None).await?.status, 404);
    assert_eq!(
        as_bob("GET", format!("/tickets/{ticket}.json"), None)
            .await?
            .status,
        404
    );
    assert_eq!(
        as_bob("GET", format!("/tickets/{ticket}.pdf"), None)
            .await?
            .status,
        404
    );
    assert_eq!(
        as_ana("GET", format!("/tickets/{ticket}.json"), None)
            .await?
            .status,
        200
    );
    assert_eq!(
        app.admin("GET", format!("/orders/{order}").as_str(), None)
            .await?
            .status,
        200,
        "an admin may read any order"
    );
    Ok(())
}

#[tokio::test]
async fn require_auth_accepts_only_tokens_issued_here() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--require-auth"]).await;
    let (_, seats) = create_event(&app, 1, 3).await;
    let seat = |i: usize| seats[i]["id"].clone();

    let anonymous = app
        .post(
            "/reservations",
            json!({"seatId": seat(0), "customerId": "made-up"}),
        )
        .await?;
    let guest = app.post("/guest-tokens", json!({})).await?;
    assert_eq!(guest.status, 201);
    let token = guest.json["guestToken"]
        .as_str()
        .expect("token")
        .to_string();
    let as_guest = app
        .post(
            "/reservations",
            json!({"seatId": seat(0), "customerId": token}),
        )
        .await?;
    let user_without_jwt = app.post("/cart/add", json!({"reservationId": as_guest.json["reservationId"], "seatId": seat(0), "userId": "someone"})).await?;
    let guest_cart = app.post("/cart/add", json!({"reservationId": as_guest.json["reservationId"], "seatId": seat(0), "guestToken": token})).await?;
    let (ana, _) = user_token(&app, "ana@example.com").await?;
    let signed_in = app
        .call_with_token(
            Some(&ana),
            "POST",
            "/reservations",
            Some(json!({"seatId": seat(1)})),
        )
        .await?;

    assert_eq!(anonymous.status, 401);
    assert_eq!(as_guest.status, 201, "{}", as_guest.text);
    assert_eq!(user_without_jwt.status, 401);
    assert_eq!(guest_cart.status, 200, "{}", guest_cart.text);
    assert_eq!(signed_in.status, 201);
    Ok(())
}

#[tokio::test]
async fn sign_in_and_holds_are_rate_limited_per_address() -> anyhow::Result<()> {
    let app = spawn_with(&[
        "--no-demo",
        "--login-rate-limit",
        "1",
        "--hold-rate-limit",
        "2",
    ])
    .await;
    let (_, seats) = create_event(&app, 1, 10).await;

    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            app.post(
                "/token",
                json!({"email": "x@example.com", "password": "whatever1"}),
            )
            .await?,
        );
    }
    let mut holds = Vec::new();
    for (i, seat) in seats.iter().enumerate().take(6) {
        holds.push(
            app.post(
                "/reservations",
                json!({"seatId": seat["id"], "customerId": format!("c{i}")}),
            )
            .await?
            .status,
        );
    }

    let limited = statuses
        .iter()
        .find(|r| r.status == 429)
        .expect("a login is refused with 429");
    assert_eq!(limited.code(), "rate_limited");
    assert!(limited.headers.get("retry-after").is_some());
    assert!(holds.contains(&201) && holds.contains(&429), "{holds:?}");
    Ok(())
}

#[tokio::test]
async fn an_unknown_order_cannot_be_paid_and_nothing_leaks() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let (_, seats) = create_event(&app, 1, 1).await;
    let order = pending_order(&app, &seats, "ana").await;
    let reply = pay(&app, &json!({"id": "not-a-uuid"}), "ana", json!(25)).await;
    assert_eq!(reply.status, 400);
    assert!(!reply.text.contains("sqlx") && !reply.text.contains("panicked"));
    assert_eq!(pay(&app, &order, "ana", json!(25)).await.status, 200);
    Ok(())
}

/// The internal routes of a split deployment answer only service tokens, signed with the
/// deployment's secret; they listen on the service's own port, not on the gateway.
#[tokio::test]
async fn internal_routes_answer_only_the_services_of_the_deployment() -> anyhow::Result<()> {
    let app = spawn_with(&["--no-demo", "--jwt-secret", SECRET]).await;
    let (user, _) = user_token(&app, "ana@example.com").await?;
    let now = chrono::Utc::now();
    let service = api::JwtKeys::from_secret(SECRET.as_bytes()).issue_service("ordering", now)?;
    let foreign = api::JwtKeys::from_secret(b"another-secret-another-secret-0123")
        .issue_service("ordering", now)?;
    let as_service_role = forge(&user, |c| c["role"] = json!("Service"));
    let holds = format!("{}/internal/v1/holds", app.base("inventory"));
    let ask = |token: Option<String>| {
        let mut req = app.client().post(&holds).json(&json!([]));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move { testkit::read(req.send().await?).await }
    };

    let anonymous = ask(None).await?;
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (401, "unauthorized"),
        "{}",
        anonymous.text
    );
    for (who, token) in [
        ("a buyer", user.clone()),
        ("an administrator", app.admin_token().to_string()),
    ] {
        let reply = ask(Some(token)).await?;
        assert_eq!((reply.status, reply.code()), (403, "forbidden"), "{who}");
    }
    for (who, token) in [
        ("another secret", foreign),
        ("a forged role", as_service_role),
    ] {
        assert_eq!(ask(Some(token)).await?.status, 401, "{who}");
    }
    let answered = ask(Some(service.clone())).await?;
    assert_eq!((answered.status, answered.json.clone()), (200, json!([])));
    let on_gateway = app
        .call_with_token(
            Some(&service),
            "POST",
            "/internal/v1/holds",
            Some(json!([])),
        )
        .await?;
    assert_eq!(on_gateway.status, 404, "{}", on_gateway.text);
    Ok(())
}
