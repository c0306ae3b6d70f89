//! The split deployment (`--services`): each service group in a process of its own, on one
//! PostgreSQL database (always PostgreSQL here, whatever `TEST_DATABASE` says), with events
//! travelling through its outbox (and published to a real Kafka-protocol broker, tansu, for
//! outside consumers) and two inventory replicas behind the test's own round-robin.

use futures::future::join_all;
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{KafkaBroker, Reply, TestServer, eventually, free_port};

use crate::helpers::create_event;

/// Where each service of a deployment listens, chosen before any process starts: the processes
/// name each other by URL (`--<service>-url`), and catalog and inventory ask each other.
pub(crate) struct Layout {
    pub(crate) identity: u16,
    pub(crate) catalog: u16,
    pub(crate) inventory: [u16; 2],
    pub(crate) ordering: u16,
    pub(crate) payment: u16,
    pub(crate) fulfillment: u16,
    /// Services the others ask through the shared database instead (no `--<service>-url`).
    pub(crate) through_database: &'static [&'static str],
}

impl Layout {
    pub(crate) fn new() -> anyhow::Result<Self> {
        Ok(Self {
            identity: free_port()?,
            catalog: free_port()?,
            inventory: [free_port()?, free_port()?],
            ordering: free_port()?,
            payment: free_port()?,
            fulfillment: free_port()?,
            through_database: &[],
        })
    }

    /// The arguments of a process running `services`: its own ports, every peer's URL, the
    /// broker, and a short peer timeout.
    fn args(&self, broker: &KafkaBroker, services: &str, replica: usize) -> Vec<String> {
        let url = |port: u16| format!("http://127.0.0.1:{port}");
        let mut args: Vec<String> = [
            "--no-demo",
            "--kafka-brokers",
            &broker.address(),
            "--services",
            services,
            "--peer-timeout-ms",
            "2000",
        ]
        .map(String::from)
        .into();
        let owned = [
            ("identity", self.identity),
            ("catalog", self.catalog),
            ("inventory", self.inventory[replica]),
            ("ordering", self.ordering),
            ("payment", self.payment),
            ("fulfillment", self.fulfillment),
        ];
        for (service, port) in owned {
            if services.split(',').any(|s| s == service) {
                args.extend([format!("--{service}-port"), port.to_string()]);
            }
            if self.through_database.contains(&service) {
                continue;
            }
            let urls = match service {
                "inventory" => format!("{},{}", url(self.inventory[0]), url(self.inventory[1])),
                _ => url(port),
            };
            args.extend([format!("--{service}-url"), urls]);
        }
        args
    }
}

/// Gives `flag` in `args` another value, or drops it with `None`.
fn set_flag(args: &mut Vec<String>, flag: &str, value: Option<String>) -> anyhow::Result<()> {
    let at = args
        .iter()
        .position(|a| a == flag)
        .ok_or_else(|| anyhow::anyhow!("{flag} is not among {args:?}"))?;
    match value {
        Some(value) => args[at + 1] = value,
        None => {
            args.drain(at..at + 2);
        }
    }
    Ok(())
}

/// The front process: identity, catalog and the gateway (where the admin sets events up).
pub(crate) async fn front(broker: &KafkaBroker, layout: &Layout) -> anyhow::Result<TestServer> {
    let args = layout.args(broker, "identity,catalog,gateway", 0);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    TestServer::start_on_postgres(env!("CARGO_BIN_EXE_boxoffice").as_ref(), &args).await
}

/// Another process of the deployment, running `services` (as inventory replica `replica`).
pub(crate) async fn member(
    front: &TestServer,
    broker: &KafkaBroker,
    layout: &Layout,
    services: &str,
    replica: usize,
) -> anyhow::Result<TestServer> {
    let args = layout.args(broker, services, replica);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    front.sibling(&args).await
}

pub(crate) async fn post(
    process: &TestServer,
    service: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<Reply> {
    process.call_at(service, "POST", path, Some(body)).await
}

/// Holds `seats` for `buyer` on the inventory processes in turn, carts them, checks out and pays
/// on the sales process (ordering + payment); returns the order id.
pub(crate) async fn buy(
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
async fn a_purchase_crosses_six_processes_and_a_consumer_crash_loses_and_doubles_nothing()
-> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    let layout = Layout::new()?;
    let front = front(&broker, &layout).await?;
    let inventory = [
        member(&front, &broker, &layout, "inventory", 0).await?,
        member(&front, &broker, &layout, "inventory", 1).await?,
    ];
    let sales = member(&front, &broker, &layout, "ordering,payment", 0).await?;
    let mut after_sale = member(&front, &broker, &layout, "fulfillment", 0).await?;
    // E-mail asks fulfillment for the PDFs over HTTP.
    let _mail = member(&front, &broker, &layout, "notification,waitlist", 0).await?;
    let (event, seats) = create_event(&front, 1, 2).await;
    let buyer = "ana@example.com";

    let order_id = buy(&[&inventory[0], &inventory[1]], &sales, &seats, buyer).await?;

    // The ticket consumer dies while the payment's events are on their way, and comes back.
    after_sale.crash_and_restart().await?;

    let completed = format!("/orders/{order_id}?userId={buyer}");
    eventually(
        Duration::from_secs(60),
        "the order to complete through the outbox",
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

    // A refund in the sales process voids the tickets the fulfillment process checks in, at
    // once; Kafka then carries it to ordering, inventory and the e-mail.
    let refund = sales
        .admin_at(
            "payment",
            "POST",
            &format!("/admin/orders/{order_id}/refund"),
            Some(json!({"reason": "Split-deployment refund"})),
        )
        .await?;
    assert_eq!(refund.status, 200, "{}", refund.text);
    for ticket in tickets.json.as_array().into_iter().flatten() {
        let door = after_sale
            .admin_at(
                "fulfillment",
                "POST",
                "/checkin",
                Some(json!({"qr": ticket["qr"]})),
            )
            .await?;
        assert_eq!(
            (&door.json["result"], &door.json["reason"]),
            (&json!("void"), &json!("refunded")),
            "{}",
            door.text
        );
    }
    eventually(Duration::from_secs(60), "the order refunded", || async {
        Ok(sales
            .call_at("ordering", "GET", &completed, None)
            .await?
            .json["state"]
            == "refunded")
    })
    .await?;
    eventually(
        Duration::from_secs(60),
        "the seats back on sale",
        || async {
            let map = front.call_at("catalog", "GET", &seat_map, None).await?;
            Ok(map.json["seats"]
                .as_array()
                .is_some_and(|s| s.iter().all(|seat| seat["status"] == "available")))
        },
    )
    .await?;
    eventually(Duration::from_secs(60), "the refund e-mail", || {
        let mail_dir = mail_dir.clone();
        async move { Ok(std::fs::read_dir(&mail_dir)?.count() == 2) }
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn one_seat_fought_over_through_two_inventory_replicas_has_exactly_one_winner()
-> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    let layout = Layout::new()?;
    let front = front(&broker, &layout).await?;
    let inventory = [
        member(&front, &broker, &layout, "inventory", 0).await?,
        member(&front, &broker, &layout, "inventory", 1).await?,
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
    // The front process dies: the others ask the catalog and identity through the database.
    let layout = Layout {
        through_database: &["catalog", "identity"],
        ..Layout::new()?
    };
    let front = front(&broker, &layout).await?;
    let inventory = member(&front, &broker, &layout, "inventory", 0).await?;
    let sales = member(&front, &broker, &layout, "ordering,payment", 0).await?;
    let after_sale = member(&front, &broker, &layout, "fulfillment,notification", 0).await?;
    let (_, seats) = create_event(&front, 1, 1).await;
    drop(front);

    let buyer = "bo@example.com";
    let order_id = buy(&[&inventory], &sales, &seats, buyer).await?;

    // Tickets need payment-succeeded and order-completed to be positioned by the relay: some
    // process other than the dead one is relaying the outbox.
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

#[tokio::test]
async fn a_service_that_does_not_answer_is_a_503_and_its_return_is_noticed() -> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    let layout = Layout::new()?;
    let front = front(&broker, &layout).await?;
    let inventory = member(&front, &broker, &layout, "inventory", 0).await?;
    let (_, seats) = create_event(&front, 1, 1).await;
    let (_, other) = create_event(&front, 1, 1).await;
    // Ordering knows inventory only at replica 1's address, where nothing listens yet.
    let mut args = layout.args(&broker, "ordering,payment", 0);
    let replica_1 = format!("http://127.0.0.1:{}", layout.inventory[1]);
    set_flag(&mut args, "--inventory-url", Some(replica_1))?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let sales = front.sibling(&args).await?;
    let held = post(
        &inventory,
        "inventory",
        "/reservations",
        json!({"seatId": seats[0]["id"], "customerId": "cy@example.com"}),
    )
    .await?;
    assert_eq!(held.status, 201, "{}", held.text);
    let add = || {
        post(
            &sales,
            "ordering",
            "/cart/add",
            json!({"reservationId": held.json["reservationId"], "seatId": seats[0]["id"],
            "price": seats[0]["price"], "userId": "cy@example.com"}),
        )
    };

    let down = add().await?;
    assert_eq!(
        (down.status, down.code(), down.error()),
        (
            503,
            "service_unavailable",
            "A service this request needs is not answering; please try again."
        ),
        "{}",
        down.text
    );

    // Inventory comes up at that address: the same ordering process now gets its answers.
    let _replica = member(&front, &broker, &layout, "inventory", 1).await?;
    let added = add().await?;
    assert_eq!(added.status, 200, "{}", added.text);

    // A catalog that accepts the connection and never answers: the price check times out.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let mut args = layout.args(&broker, "ordering", 0);
    let silent_url = format!("http://{}", silent.local_addr()?);
    set_flag(&mut args, "--catalog-url", Some(silent_url))?;
    set_flag(&mut args, "--peer-timeout-ms", Some("300".into()))?;
    // A port of its own (the sales process has the layout's ordering port).
    set_flag(&mut args, "--ordering-port", None)?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stuck = front.sibling(&args).await?;
    let held = post(
        &inventory,
        "inventory",
        "/reservations",
        json!({"seatId": other[0]["id"], "customerId": "di@example.com"}),
    )
    .await?;
    assert_eq!(held.status, 201, "{}", held.text);
    let timed_out = post(
        &stuck,
        "ordering",
        "/cart/add",
        json!({"reservationId": held.json["reservationId"], "seatId": other[0]["id"],
        "price": other[0]["price"], "userId": "di@example.com"}),
    )
    .await?;
    assert_eq!(timed_out.status, 503, "{}", timed_out.text);
    drop(silent);
    Ok(())
}
