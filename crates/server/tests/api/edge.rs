//! Wire conventions shared by every port (SPEC §3).

use serde_json::json;

use crate::helpers::{SEAT_A12, spawn_app, spawn_demo_app};

#[tokio::test]
async fn every_port_answers_health_and_readiness() -> anyhow::Result<()> {
    let app = spawn_app().await;
    for service in ["catalog", "inventory", "ordering", "gateway"] {
        let health = app.call_at(service, "GET", "/health", None).await?;
        let ready = app.call_at(service, "GET", "/Ready/", None).await?;
        assert_eq!(health.status, 200);
        assert_eq!(
            health.json,
            json!({"status": "healthy", "service": service})
        );
        assert_eq!(ready.status, 200);
        assert_eq!(ready.json["database"], "ok");
    }
    Ok(())
}

#[tokio::test]
async fn malformed_bodies_get_a_json_400_naming_the_problem() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let url = format!("{}/orders/checkout", app.base("gateway"));
    let send = |body: &'static str| {
        let req = app
            .client()
            .post(url.clone())
            .header("content-type", "application/json")
            .body(body);
        async move { testkit::read(req.send().await?).await }
    };

    let broken = send("{\"orderId\": ").await?;
    let empty = send("").await?;
    let wrong_type = send(r#"{"orderId": 42, "userId": "u"}"#).await?;
    let array = send("[1,2]").await?;

    for reply in [&broken, &empty, &wrong_type, &array] {
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert_eq!(reply.code(), "invalid_json");
        assert!(
            reply.headers["content-type"]
                .to_str()?
                .starts_with("application/json")
        );
    }
    assert!(
        broken.error().starts_with("Malformed JSON"),
        "{}",
        broken.error()
    );
    assert!(
        wrong_type.error().contains("orderId"),
        "{}",
        wrong_type.error()
    );
    Ok(())
}

#[tokio::test]
async fn bodies_over_64_kib_are_refused_with_413() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let huge = json!({"seatId": SEAT_A12, "customerId": "c", "padding": "x".repeat(70 * 1024)});

    let reply = app.post("/reservations", huge).await?;

    assert_eq!((reply.status, reply.code()), (413, "payload_too_large"));
    assert_eq!(
        app.post(
            "/reservations",
            json!({"seatId": SEAT_A12, "customerId": "c"})
        )
        .await?
        .status,
        201
    );
    Ok(())
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_envelope() -> anyhow::Result<()> {
    let app = spawn_app().await;

    let missing = app.get("/no/such/thing").await?;
    let method = app.call("DELETE", "/events", None).await?;

    assert_eq!((missing.status, missing.code()), (404, "route_not_found"));
    assert_eq!((method.status, method.code()), (405, "method_not_allowed"));
    Ok(())
}

#[tokio::test]
async fn an_idempotency_key_replays_the_first_response() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let url = format!("{}/reservations", app.base("inventory"));
    let post = |key: &'static str, customer: &'static str| {
        let req = app
            .client()
            .post(url.clone())
            .header("Idempotency-Key", key)
            .json(&json!({"seatId": SEAT_A12, "customerId": customer}));
        async move { testkit::read(req.send().await?).await }
    };

    let first = post("key-1", "buyer").await?;
    let replay = post("key-1", "buyer").await?;
    let reused = post("key-1", "someone-else").await?;
    let fresh = post("key-2", "buyer").await?;

    assert_eq!(first.status, 201);
    assert_eq!(replay.status, 201);
    assert_eq!(
        replay.json, first.json,
        "the same reservation, not a second one"
    );
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(
        (reused.status, reused.code()),
        (422, "idempotency_key_reused")
    );
    assert_eq!(
        fresh.status, 409,
        "a new key is a new request: the seat is taken"
    );
    Ok(())
}

#[tokio::test]
async fn cors_allows_the_original_front_end_only() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        let req = app
            .client()
            .request(
                reqwest::Method::OPTIONS,
                format!("{}/cart/add", app.base("ordering")),
            )
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type");
        async move { testkit::read(req.send().await?).await }
    };

    let allowed = preflight("http://localhost:3000").await?;
    let refused = preflight("http://evil.example").await?;

    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert!(refused.headers.get("access-control-allow-origin").is_none());
    Ok(())
}

/// `/metrics` counts requests by route template and status and shows the wait for the
/// database writer, in the Prometheus text format.
#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_writer_queue() -> anyhow::Result<()> {
    let app = spawn_demo_app().await;
    let held = app
        .post(
            "/reservations",
            json!({"seatId": SEAT_A12, "customerId": "metrics@example.com"}),
        )
        .await?;
    assert_eq!(held.status, 201, "{}", held.text);
    let refused = app
        .post(
            "/reservations",
            json!({"seatId": SEAT_A12, "customerId": "other@example.com"}),
        )
        .await?;
    assert_eq!(refused.status, 409, "{}", refused.text);

    let reply = app
        .client()
        .get(format!("{}/metrics", app.base("gateway")))
        .send()
        .await?;
    assert_eq!(reply.status(), 200);
    assert!(
        reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain")),
        "{:?}",
        reply.headers()
    );
    let text = reply.text().await?;
    let line = |status: &str| {
        text.lines()
            .find(|l| {
                l.starts_with("http_requests_total{")
                    && l.contains(r#"service="gateway""#)
                    && l.contains(r#"route="/reservations""#)
                    && l.contains(&format!(r#"status="{status}""#))
            })
            .map(|l| l.rsplit(' ').next().unwrap_or_default().to_string())
    };
    assert_eq!(line("201").as_deref(), Some("1"), "{text}");
    assert_eq!(line("409").as_deref(), Some("1"), "{text}");
    assert!(
        text.contains(r#"http_request_duration_seconds_bucket{service="gateway",method="POST",route="/reservations",le="0.5"}"#),
        "{text}"
    );
    assert!(text.contains("db_write_wait_seconds_count"), "{text}");
    Ok(())
}

/// `/docs` is the Swagger UI, with its files served by the gateway itself (nothing from a CDN),
/// reading `/openapi.json`, with or without the trailing slash.
#[tokio::test]
async fn docs_serve_the_swagger_ui_from_the_binary() -> anyhow::Result<()> {
    let app = spawn_app().await;
    let app = &app;
    let get = |path: &str| {
        let url = format!("{}{path}", app.base("gateway"));
        async move {
            let reply = app.client().get(url).send().await?;
            let status = reply.status().as_u16();
            let kind = reply
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            anyhow::Ok((status, kind, reply.text().await?))
        }
    };
    for path in ["/docs", "/docs/"] {
        let (status, kind, page) = get(path).await?;
        assert_eq!(status, 200, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(page.contains(r#"<base href="/docs/">"#), "{page}");
        assert!(
            !page.contains("https://"),
            "the page loads nothing from elsewhere"
        );
    }
    let (status, _, script) = get("/docs/swagger-initializer.js").await?;
    assert_eq!(status, 200);
    assert!(script.contains("/openapi.json"), "{script}");
    let (status, kind, _) = get("/docs/swagger-ui-bundle.js").await?;
    assert_eq!((status, kind.contains("javascript")), (200, true), "{kind}");
    let (status, _, missing) = get("/docs/nothing-here.js").await?;
    assert_eq!(status, 404, "{missing}");
    Ok(())
}
