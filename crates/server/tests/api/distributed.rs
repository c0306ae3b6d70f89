//! The split deployment (`--services`): each service group in a process of its own, on one
//! PostgreSQL database (always PostgreSQL here, whatever `TEST_DATABASE` says), with events
//! travelling through a real Kafka-protocol broker (tansu) and two inventory replicas behind
//! the test's own round-robin.

use futures::future::join_all;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{KafkaBroker, Reply, TestServer, eventually};

use crate::helpers::create_event;

/// The front process: identity, catalog and the gateway (where the admin sets events up).
async fn front(broker: &KafkaBroker) -> anyhow::Result<TestServer> {
    TestServer::start_on_postgres(
        env!("CARGO_BIN_EXE_boxoffice").as_ref(),
        &[
            "--no-demo",
            "--kafka-brokers",
            &broker.address(),
            "--services",
            "identity,catalog,gateway",
        ],
    )
    .await
}

/// Another process of the deployment, running `services`.
async fn member(
    front: &TestServer,
    broker: &KafkaBroker,
    services: &str,
) -> anyhow::Result<TestServer> {
    front
        .sibling(&[
            "--no-demo",
            "--kafka-brokers",
            &broker.address(),
            "--services",
            services,
        ])
        .await
}

async fn post(
    process: &TestServer,
    service: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<Reply> {
    process.call_at(service, "POST", path, Some(body)).await
}

/// Holds `seats` for `buyer` on the inventory processes in turn, carts them, checks out and pays
/// on the sales process (ordering + payment); returns the order id.
async fn buy(
    inventory: &[&TestServer],
    sales: &TestServer,
    seats: &[Value],
    buyer: &str,
) -> anyhow::Result<String> {
    let mut order = Value::Null;
    let mut total = 0.0;
    for (i, seat) in seats.iter().enumerate() {
        let held = post(
            inventory[i % inventory.len()],
            "inventory",
            "/reservations",
            json!({"seatId": seat["id"], "customerId": buyer}),
        )
        .await?;
        anyhow::ensure!(held.status == 201, "hold: {}", held.text);
        let cart = post(
            sales,
            "ordering",
            "/cart/add",
            json!({"reservationId": held.json["reservationId"],
            "seatId": seat["id"], "price": seat["price"], "userId": buyer}),
        )
        .await?;
        anyhow::ensure!(cart.status == 200, "cart: {}", cart.text);
        total += seat["price"].as_f64().unwrap_or_default();
        order = cart.json;
    }
    let checkout = post(
        sales,
        "ordering",
        "/orders/checkout",
        json!({"orderId": order["id"], "userId": buyer}),
    )
    .await?;
    anyhow::ensure!(checkout.status == 200, "checkout: {}", checkout.text);
    let paid = post(
        sales,
        "payment",
        "/payments",
        json!({"orderId": order["id"], "customerId": buyer, "amount": total}),
    )
    .await?;
    anyhow::ensure!(paid.status == 200, "payment: {}", paid.text);
    Ok(order["id"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_purchase_crosses_five_processes_and_a_consumer_crash_loses_and_doubles_nothing()
-> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    let front = front(&broker).await?;
    let inventory = [
        member(&front, &broker, "inventory").await?,
        member(&front, &broker, "inventory").await?,
    ];
    let sales = member(&front, &broker, "ordering,payment").await?;
    let mut after_sale = member(&front, &broker, "fulfillment,notification,waitlist").await?;
    let (event, seats) = create_event(&front, 1, 2).await;
    let buyer = "ana@example.com";

    let order_id = buy(&[&inventory[0], &inventory[1]], &sales, &seats, buyer).await?;

    // The ticket consumer dies while the payment's events are on their way, and comes back.
    after_sale.crash_and_restart().await?;

    let completed = format!("/orders/{order_id}?userId={buyer}");
    eventually(
        Duration::from_secs(60),
        "the order to complete through Kafka",
        || async {
            Ok(sales
                .call_at("ordering", "GET", &completed, None)
                .await?
                .json["state"]
                == "completed")
        },
    )
    .await?;
    let tickets_path = format!("/orders/{order_id}/tickets?userId={buyer}");
    eventually(Duration::from_secs(60), "two tickets", || async {
        let reply = after_sale
            .call_at("fulfillment", "GET", &tickets_path, None)
            .await?;
        Ok(reply.json.as_array().map(Vec::len) == Some(2))
    })
    .await?;
    // Both seats sold (an inventory replica heard payment-succeeded), as the catalog shows them.
    let seat_map = format!("/events/{event}/seatmap");
    eventually(
        Duration::from_secs(60),
        "both seats sold on the seat map",
        || async {
            let map = front.call_at("catalog", "GET", &seat_map, None).await?;
            Ok(map.json["seats"]
                .as_array()
                .is_some_and(|s| s.iter().all(|seat| seat["status"] == "sold")))
        },
    )
    .await?;
    let mail_dir = front.data_dir().join("mail");
    eventually(Duration::from_secs(60), "the ticket e-mail", || {
        let mail_dir = mail_dir.clone();
        async move { Ok(mail_dir.exists() && std::fs::read_dir(&mail_dir)?.count() >= 1) }
    })
    .await?;
    // Nothing doubled: still two tickets, one e-mail, a little later.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let tickets = after_sale
        .call_at("fulfillment", "GET", &tickets_path, None)
        .await?;
    assert_eq!(
        tickets.json.as_array().map(Vec::len),
        Some(2),
        "{}",
        tickets.text
    );
    assert_eq!(std::fs::read_dir(&mail_dir)?.count(), 1);
    Ok(())
}

#[tokio::test]
async fn one_seat_fought_over_through_two_inventory_replicas_has_exactly_one_winner()
-> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    let front = front(&broker).await?;
    let inventory = [
        member(&front, &broker, "inventory").await?,
        member(&front, &broker, "inventory").await?,
    ];
    let (_, seats) = create_event(&front, 1, 1).await;

    let attempts = join_all((0..60).map(|i| {
        post(
            &inventory[i % 2],
            "inventory",
            "/reservations",
            json!({"seatId": seats[0]["id"], "customerId": format!("buyer-{i}")}),
        )
    }))
    .await;
    let statuses: Vec<u16> = attempts
        .into_iter()
        .map(|r| r.map(|r| r.status))
        .collect::<anyhow::Result<_>>()?;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        59,
        "{statuses:?}"
    );
    Ok(())
}

#[tokio::test]
async fn when_the_relaying_process_dies_another_one_takes_over_the_outbox() -> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    // The first process takes the relay's lock at once; the others stand by.
    let front = front(&broker).await?;
    let inventory = member(&front, &broker, "inventory").await?;
    let sales = member(&front, &broker, "ordering,payment").await?;
    let after_sale = member(&front, &broker, "fulfillment,notification").await?;
    let (_, seats) = create_event(&front, 1, 1).await;
    drop(front);

    let buyer = "bo@example.com";
    let order_id = buy(&[&inventory], &sales, &seats, buyer).await?;

    // Tickets need payment-succeeded and order-completed to travel through Kafka: some process
    // other than the dead one is relaying the outbox.
    let tickets_path = format!("/orders/{order_id}/tickets?userId={buyer}");
    eventually(Duration::from_secs(60), "the ticket", || async {
        let reply = after_sale
            .call_at("fulfillment", "GET", &tickets_path, None)
            .await?;
        Ok(reply.json.as_array().map(Vec::len) == Some(1))
    })
    .await?;
    Ok(())
}
