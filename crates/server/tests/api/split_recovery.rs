//! The split deployment heals itself (issue #30): a message that always fails is parked by its
//! consumer while every other key goes on; kill -9 of each process during a sale loses and
//! doubles nothing, and a restarted consumer is back within seconds; our services need no
//! broker to hear each other. Always on PostgreSQL, as `distributed` is.

use futures::future::join_all;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use storage::{Database, Statement};
use testkit::{KafkaBroker, TestServer, eventually};

use crate::distributed::{Layout, buy, front, member};
use crate::helpers::create_event;

/// An `order-completed` nobody can read: fulfillment fails on it every time.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Unreadable {
    pub(crate) order_id: &'static str,
    #[serde(skip)]
    pub(crate) key: &'static str,
}

impl storage::Event for Unreadable {
    const TOPIC: &'static str = "order-completed";
    fn key(&self) -> String {
        self.key.to_string()
    }
}

/// The deployment most tests here run: the front process (identity, catalog, gateway), one
/// inventory process, sales (ordering, payment) and after-sale (fulfillment, notification), with
/// the broker they publish to.
struct Deployment {
    broker: KafkaBroker,
    front: TestServer,
    inventory: TestServer,
    sales: TestServer,
    after_sale: TestServer,
}

impl Deployment {
    async fn start() -> anyhow::Result<Self> {
        let broker = KafkaBroker::start().await?;
        let layout = Layout::new()?;
        let front = front(&broker, &layout).await?;
        let inventory = member(&front, &broker, &layout, "inventory", 0).await?;
        let sales = member(&front, &broker, &layout, "ordering,payment", 0).await?;
        let after_sale = member(&front, &broker, &layout, "fulfillment,notification", 0).await?;
        Ok(Self {
            broker,
            front,
            inventory,
            sales,
            after_sale,
        })
    }
}

async fn database(front: &TestServer) -> anyhow::Result<Database> {
    let url = front
        .database_url()
        .ok_or_else(|| anyhow::anyhow!("the split deployment runs on PostgreSQL"))?;
    Ok(Database::open_postgres(url, 2).await?)
}

/// The consumer `consumer`'s retry of `message`: (attempts, parked).
async fn retry_of(
    db: &Database,
    consumer: &str,
    message: kernel::MessageId,
) -> anyhow::Result<Option<(i64, bool)>> {
    let row: Option<(i64, Option<i64>)> = Statement::new(
        "select r.attempts, r.parked_at from outbox_consumer_retries r
         join outbox_messages m on m.delivery_seq = r.delivery_seq
         where r.consumer = $1 and m.message_id = $2",
    )
    .bind(consumer)
    .bind(message.uuid())
    .fetch_optional(db.read().await?.conn())
    .await?;
    Ok(row.map(|(attempts, parked)| (attempts, parked.is_some())))
}

/// How `consumer` stands in `process`'s `/ready` (on `service`'s port).
async fn consumer_status(
    process: &TestServer,
    service: &str,
    consumer: &str,
) -> anyhow::Result<Value> {
    let ready = process.call_at(service, "GET", "/ready", None).await?;
    Ok(ready.json["consumers"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["consumer"] == consumer))
        .cloned()
        .unwrap_or(Value::Null))
}

/// Waits (up to 30 s) until `buyer`'s order `order_id` has `count` tickets at `process`.
async fn tickets_issued(
    process: &TestServer,
    order_id: &str,
    buyer: &str,
    count: usize,
) -> anyhow::Result<()> {
    let path = format!("/orders/{order_id}/tickets?userId={buyer}");
    eventually(Duration::from_secs(30), "the tickets", || async {
        let reply = process.call_at("fulfillment", "GET", &path, None).await?;
        Ok(reply.json.as_array().map(Vec::len) == Some(count))
    })
    .await
}

#[tokio::test]
async fn a_message_that_always_fails_waits_in_its_consumer_and_is_parked_while_other_keys_go_on()
-> anyhow::Result<()> {
    let Deployment {
        broker: _broker,
        front,
        inventory,
        sales,
        after_sale,
    } = Deployment::start().await?;
    let (_, seats) = create_event(&front, 1, 1).await;
    let db = database(&front).await?;

    // Two events of one key that fulfillment cannot read, committed together.
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let poison = storage::enqueue(
        tx.conn(),
        &Unreadable {
            order_id: "not-an-order",
            key: "poisoned",
        },
        now,
    )
    .await?;
    let behind = storage::enqueue(
        tx.conn(),
        &Unreadable {
            order_id: "behind-it",
            key: "poisoned",
        },
        now,
    )
    .await?;
    tx.commit().await?;
    eventually(Duration::from_secs(30), "the first failure", || async {
        Ok(retry_of(&db, "fulfillment", poison).await? == Some((1, false)))
    })
    .await?;
    // The later one of its key waits behind it, untried.
    assert_eq!(
        retry_of(&db, "fulfillment", behind).await?,
        Some((0, false))
    );
    let status = consumer_status(&after_sale, "fulfillment", "fulfillment").await?;
    assert_eq!(status["retrying"], 2, "{status}");
    assert_eq!(status["active"], true, "{status}");
    // The operator sees the same from the gateway, for the whole deployment.
    let consumers = front.admin("GET", "/admin/outbox/consumers", None).await?;
    let fulfillment = consumers
        .json
        .as_array()
        .and_then(|all| all.iter().find(|c| c["consumer"] == "fulfillment"))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no fulfillment consumer: {}", consumers.text))?;
    assert_eq!(fulfillment["retrying"], 2, "{fulfillment}");
    assert_eq!(fulfillment["parked"], 0, "{fulfillment}");

    // Every other key goes on: a buyer gets a ticket while the message is retried.
    let buyer = "eva@example.com";
    let order_id = buy(&[&inventory], &sales, &seats, buyer).await?;
    tickets_issued(&after_sale, &order_id, buyer, 1).await?;

    // Its retries come due at once here (the backoff would take minutes): after
    // MAX_ATTEMPTS it is parked, and the one behind it gets its turn.
    let started = Instant::now();
    loop {
        match retry_of(&db, "fulfillment", poison).await? {
            Some((attempts, true)) => {
                assert_eq!(attempts, outbox::MAX_ATTEMPTS);
                break;
            }
            Some(_) => {
                Statement::new(
                    "update outbox_consumer_retries set next_attempt_at = 0
                     where consumer = 'fulfillment' and parked_at is null and attempts > 0",
                )
                .execute_alone(&db)
                .await?;
            }
            None => anyhow::bail!("the failing message left the retries unparked"),
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "not parked within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eventually(Duration::from_secs(30), "the next one tried", || async {
        Ok(retry_of(&db, "fulfillment", behind)
            .await?
            .is_some_and(|(attempts, _)| attempts >= 1))
    })
    .await?;

    // The operator sees it, with the consumer and its error, and puts it back.
    let parked = front.admin("GET", "/admin/outbox/parked", None).await?;
    assert_eq!(parked.status, 200, "{}", parked.text);
    let listed = parked
        .json
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|m| m["messageId"] == poison.to_string())
                .cloned()
        })
        .ok_or_else(|| anyhow::anyhow!("not listed: {}", parked.text))?;
    assert_eq!(listed["consumer"], "fulfillment", "{listed}");
    let consumers = front.admin("GET", "/admin/outbox/consumers", None).await?;
    assert!(
        consumers.json.as_array().is_some_and(|all| all
            .iter()
            .any(|c| c["consumer"] == "fulfillment" && c["parked"] == 1)),
        "{}",
        consumers.text
    );
    assert_eq!(listed["topic"], "order-completed", "{listed}");
    assert_eq!(listed["attempts"], outbox::MAX_ATTEMPTS, "{listed}");
    assert!(
        listed["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("consumer fulfillment failed")),
        "{listed}"
    );
    let retry = front
        .admin(
            "POST",
            &format!("/admin/outbox/parked/{poison}/retry"),
            None,
        )
        .await?;
    assert_eq!(retry.status, 204, "{}", retry.text);
    eventually(
        Duration::from_secs(30),
        "the message tried again",
        || async { Ok(retry_of(&db, "fulfillment", poison).await? == Some((1, false))) },
    )
    .await?;
    db.close().await;
    Ok(())
}

/// One buyer's purchase of `seat` over plain HTTP (the processes come and go under it): each
/// step retried while its process is down; the order id once paid.
async fn buy_through_crashes(
    client: &reqwest::Client,
    layout: &Layout,
    seat: &Value,
    buyer: &str,
    replica: usize,
) -> anyhow::Result<String> {
    let url = |port: u16, path: &str| format!("http://127.0.0.1:{port}{path}");
    let held = send(
        client,
        &url(layout.inventory[replica], "/reservations"),
        json!({"seatId": seat["id"], "customerId": buyer}),
    )
    .await?;
    let cart = send(
        client,
        &url(layout.ordering, "/cart/add"),
        json!({"reservationId": held["reservationId"], "seatId": seat["id"],
               "price": seat["price"], "userId": buyer}),
    )
    .await?;
    send(
        client,
        &url(layout.ordering, "/orders/checkout"),
        json!({"orderId": cart["id"], "userId": buyer}),
    )
    .await?;
    send(
        client,
        &url(layout.payment, "/payments"),
        json!({"orderId": cart["id"], "customerId": buyer, "amount": seat["price"]}),
    )
    .await?;
    Ok(cart["id"].as_str().unwrap_or_default().to_string())
}

/// POSTs `body`, again while nothing answers or the answer is a 503 (for at most 20 s); any
/// other refusal is the buyer's failure.
async fn send(client: &reqwest::Client, url: &str, body: Value) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match client.post(url).json(&body).send().await {
            Ok(reply) if reply.status().is_success() => return Ok(reply.json().await?),
            Ok(reply) if reply.status() != 503 => {
                anyhow::bail!("{url}: {} {}", reply.status(), reply.text().await?)
            }
            _ if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(reply) => anyhow::bail!("{url}: still {} after 20 s", reply.status()),
            Err(error) => anyhow::bail!("{url}: {error}"),
        }
    }
}

/// Seconds until every consumer in `process`'s `/ready` (on `service`'s port) is active.
async fn seconds_to_consume(process: &TestServer, service: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    eventually(Duration::from_secs(30), "the consumers active", || async {
        let ready = process.call_at(service, "GET", "/ready", None).await?;
        Ok(ready.json["consumers"].as_array().is_some_and(|all| {
            // Kafka is fed by one process of the deployment, whichever holds its lock.
            all.iter()
                .all(|c| c["consumer"] == "kafka" || c["active"] == true)
        }))
    })
    .await?;
    Ok(started.elapsed().as_secs_f64())
}

async fn count(db: &Database, sql: &'static str) -> anyhow::Result<i64> {
    let (n,): (i64,) = Statement::new(sql)
        .fetch_one(db.read().await?.conn())
        .await?;
    Ok(n)
}

#[tokio::test]
async fn kill_9_of_each_process_during_a_sale_loses_and_doubles_nothing() -> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    let layout = Layout {
        through_database: &["catalog", "identity"],
        ..Layout::new()?
    };
    let mut front = front(&broker, &layout).await?;
    let mut inventory = [
        member(&front, &broker, &layout, "inventory", 0).await?,
        member(&front, &broker, &layout, "inventory", 1).await?,
    ];
    let mut sales = member(&front, &broker, &layout, "ordering,payment", 0).await?;
    let mut after_sale = member(&front, &broker, &layout, "fulfillment", 0).await?;
    let mut mail = member(&front, &broker, &layout, "notification,waitlist", 0).await?;
    let (_, seats) = create_event(&front, 4, 20).await;
    let db = database(&front).await?;

    // Four lanes of buyers, one seat each, while every process is killed in turn.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let lanes = join_all((0..4).map(|lane| {
        let (client, layout, seats) = (&client, &layout, &seats);
        async move {
            let mut paid = Vec::new();
            let mut failed = Vec::new();
            for (i, seat) in seats.iter().enumerate().filter(|(i, _)| i % 4 == lane) {
                let buyer = format!("buyer-{i}@example.com");
                match buy_through_crashes(client, layout, seat, &buyer, i % 2).await {
                    Ok(order) => paid.push((order, buyer)),
                    Err(error) => failed.push(format!("{error:#}")),
                }
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            (paid, failed)
        }
    }));
    let killer = async {
        let mut resumed = Vec::new();
        tokio::time::sleep(Duration::from_millis(300)).await;
        for (name, process, service) in [
            ("sales", &mut sales, "ordering"),
            ("fulfillment", &mut after_sale, "fulfillment"),
            ("notification", &mut mail, "notification"),
        ] {
            process.crash_and_restart().await?;
            resumed.push((name, seconds_to_consume(process, service).await?));
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        for replica in &mut inventory {
            replica.crash_and_restart().await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // The front process relays the outbox: another one takes over, then it is back.
        front.crash_and_restart().await?;
        anyhow::Ok(resumed)
    };
    let (lanes, resumed) = tokio::join!(lanes, killer);
    let resumed = resumed?;
    for (name, seconds) in &resumed {
        assert!(
            *seconds <= 5.0,
            "{name} consumed again only after {seconds:.1} s"
        );
    }
    let paid: Vec<(String, String)> = lanes.iter().flat_map(|(p, _)| p.clone()).collect();
    let failed: Vec<String> = lanes.into_iter().flat_map(|(_, f)| f).collect();
    eprintln!(
        "{} paid, {} failed ({failed:?}); consuming again after a restart: {resumed:?}",
        paid.len(),
        failed.len()
    );
    // Steps retried while a process is down: most buyers get through.
    assert!(
        paid.len() >= 60,
        "{} paid; failures: {failed:#?}",
        paid.len()
    );

    for (order, buyer) in &paid {
        let order_path = format!("/orders/{order}?userId={buyer}");
        eventually(
            Duration::from_secs(60),
            "every paid order completed",
            || async {
                Ok(sales
                    .call_at("ordering", "GET", &order_path, None)
                    .await?
                    .json["state"]
                    == "completed")
            },
        )
        .await?;
    }
    // Every succeeded payment's order completed, and every completed order's seats ticketed
    // and e-mailed, whether or not its buyer heard the answer.
    eventually(
        Duration::from_secs(60),
        "tickets for every paid seat",
        || async {
            let unfinished = count(
                &db,
                "select count(*) from payment_payments p join ordering_orders o using (order_id)
             where p.status = 'succeeded' and o.state <> 'completed'",
            )
            .await?;
            let unticketed = count(
            &db,
            "select count(*) from ordering_order_items i join ordering_orders o using (order_id)
             where o.state = 'completed' and not exists (select 1 from fulfillment_tickets t
               where t.order_id = i.order_id and t.seat_id = i.seat_id and t.status = 'issued')",
        )
        .await?;
            Ok(unfinished == 0 && unticketed == 0)
        },
    )
    .await?;
    let completed = count(
        &db,
        "select count(*) from ordering_orders where state = 'completed'",
    )
    .await?;
    assert!(completed >= paid.len() as i64);
    let mail_dir = front.data_dir().join("mail");
    eventually(
        Duration::from_secs(60),
        "one e-mail per completed order",
        || {
            let mail_dir = mail_dir.clone();
            async move {
                Ok(mail_dir.exists() && std::fs::read_dir(&mail_dir)?.count() as i64 >= completed)
            }
        },
    )
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(std::fs::read_dir(&mail_dir)?.count() as i64, completed);
    let doubled = count(
        &db,
        "select count(*) from (select i.seat_id from ordering_order_items i
           join ordering_orders o using (order_id) where o.state = 'completed'
           group by i.seat_id having count(*) > 1) d",
    )
    .await?;
    assert_eq!(doubled, 0, "a seat on two completed orders");
    let tickets = count(&db, "select count(*) from fulfillment_tickets").await?;
    assert_eq!(tickets, completed, "one ticket per seat sold");
    // Nothing left behind in any consumer.
    let stuck = count(&db, "select count(*) from outbox_consumer_retries").await?;
    assert_eq!(stuck, 0);
    db.close().await;
    Ok(())
}

#[tokio::test]
async fn our_services_hear_each_other_without_the_broker() -> anyhow::Result<()> {
    let Deployment {
        broker,
        front,
        inventory,
        sales,
        after_sale,
    } = Deployment::start().await?;
    let (_, seats) = create_event(&front, 1, 2).await;

    // The broker goes away: it is the public stream only.
    drop(broker);
    let buyer = "fay@example.com";
    let order_id = buy(&[&inventory], &sales, &seats, buyer).await?;
    tickets_issued(&after_sale, &order_id, buyer, 2).await?;
    // What Kafka has not taken shows as the `kafka` consumer's lag, in the process running it.
    let lagging = join_all(
        [
            (&front, "catalog"),
            (&inventory, "inventory"),
            (&sales, "ordering"),
            (&after_sale, "fulfillment"),
        ]
        .map(|(process, service)| consumer_status(process, service, "kafka")),
    )
    .await
    .into_iter()
    .collect::<anyhow::Result<Vec<Value>>>()?;
    let active: Vec<&Value> = lagging.iter().filter(|s| s["active"] == true).collect();
    assert_eq!(active.len(), 1, "one process feeds Kafka: {lagging:?}");
    eventually(Duration::from_secs(30), "the stream's lag seen", || async {
        let all = join_all(
            [
                (&front, "catalog"),
                (&inventory, "inventory"),
                (&sales, "ordering"),
                (&after_sale, "fulfillment"),
            ]
            .map(|(process, service)| consumer_status(process, service, "kafka")),
        )
        .await;
        Ok(all
            .into_iter()
            .flatten()
            .any(|s| s["active"] == true && s["lag"].as_i64().is_some_and(|lag| lag > 0)))
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_message_the_cursor_skipped_is_found_by_the_reconciler_and_delivered()
-> anyhow::Result<()> {
    let Deployment {
        broker: _broker,
        front,
        inventory,
        sales,
        mut after_sale,
    } = Deployment::start().await?;
    let (_, seats) = create_event(&front, 1, 1).await;
    let db = database(&front).await?;
    eventually(Duration::from_secs(30), "fulfillment consuming", || async {
        Ok(consumer_status(&after_sale, "fulfillment", "fulfillment").await?["active"] == true)
    })
    .await?;

    // Fulfillment is down while an order completes; then its cursor jumps past the order's
    // `order-completed` (as a skipping broker or a hand-edited cursor would leave it).
    after_sale.crash().await?;
    let buyer = "gus@example.com";
    let order_id = buy(&[&inventory], &sales, &seats, buyer).await?;
    let order_path = format!("/orders/{order_id}?userId={buyer}");
    eventually(Duration::from_secs(30), "the order completed", || async {
        Ok(sales
            .call_at("ordering", "GET", &order_path, None)
            .await?
            .json["state"]
            == "completed")
    })
    .await?;
    // The order's `order-completed` must have its delivery position before the cursor jumps
    // past it (it gets one as ordering's transaction commits; were it positioned later, the
    // jump could land before it, and the message would simply be read).
    eventually(
        Duration::from_secs(30),
        "the order-completed positioned",
        || async {
            Ok(count(
                &db,
                "select cast(count(*) as bigint) from outbox_messages
             where topic = 'order-completed' and delivery_seq is null",
            )
            .await?
                == 0)
        },
    )
    .await?;
    let skipped = Statement::new(
        "update outbox_consumers set position = (select max(delivery_seq) from outbox_messages)
         where consumer = 'fulfillment'",
    )
    .execute_alone(&db)
    .await?;
    assert_eq!(skipped, 1);

    // Taking the consumer over, the process checks what the cursor passed: the ticket comes.
    after_sale.restart().await?;
    tickets_issued(&after_sale, &order_id, buyer, 1).await?;
    assert!(
        after_sale.log().contains("never handled"),
        "the reconciler says what it found:\n{}",
        after_sale.log()
    );
    db.close().await;
    Ok(())
}

#[tokio::test]
async fn a_consumer_whose_call_hangs_is_restarted_by_its_process() -> anyhow::Result<()> {
    let Deployment {
        broker: _broker,
        front,
        inventory,
        sales,
        mut after_sale,
    } = Deployment::start().await?;
    // Its first batch of `order-completed` never returns (a peer or a lock that hangs).
    after_sale
        .restart_with_fault(Some("stall-fulfillment-once"))
        .await?;
    let (_, seats) = create_event(&front, 1, 1).await;
    let buyer = "hal@example.com";
    let order_id = buy(&[&inventory], &sales, &seats, buyer).await?;
    let paid = Instant::now();

    // After outbox::STALL without progress the process restarts the consumer, which handles
    // the batch again: the ticket comes, once.
    let path = format!("/orders/{order_id}/tickets?userId={buyer}");
    eventually(Duration::from_secs(40), "the ticket", || async {
        let reply = after_sale
            .call_at("fulfillment", "GET", &path, None)
            .await?;
        Ok(reply.json.as_array().map(Vec::len) == Some(1))
    })
    .await?;
    assert!(
        paid.elapsed() >= outbox::STALL - Duration::from_secs(1),
        "the consumer was not stalled: ticket after {:?}",
        paid.elapsed()
    );
    assert!(
        after_sale
            .log()
            .contains("made no progress for 10 s; restarted"),
        "{}",
        after_sale.log()
    );
    let status = consumer_status(&after_sale, "fulfillment", "fulfillment").await?;
    assert_eq!(status["restarts"], 1, "{status}");
    assert_eq!(status["active"], true, "{status}");
    Ok(())
}

/// Tickets wait while the deployment is in a rush, as in one process: a process serving buyers
/// says so through the database (here the test plays that process, marking `outbox_rush` as it
/// does while requests queue), the process issuing tickets pauses fulfillment and shows it in
/// `/ready`, the order itself completes at once, and the tickets come once the rush is over.
#[tokio::test]
async fn tickets_wait_while_the_deployment_rushes_and_come_once_it_is_over() -> anyhow::Result<()> {
    let Deployment {
        broker: _broker,
        front,
        inventory,
        sales,
        after_sale,
    } = Deployment::start().await?;
    let (_, seats) = create_event(&front, 1, 1).await;
    let db = database(&front).await?;
    let marking = db.clone();
    let rush = tokio::spawn(async move {
        loop {
            let mark = Statement::new(
                "update outbox_rush set busy_at = (extract(epoch from clock_timestamp()) * 1e6)::bigint",
            );
            let _ = mark.execute_alone(&marking).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    eventually(
        Duration::from_secs(10),
        "fulfillment holding back",
        || async {
            let status = consumer_status(&after_sale, "fulfillment", "fulfillment").await?;
            Ok(status["holdingBack"] == true)
        },
    )
    .await?;

    let buyer = "gus@example.com";
    let order_id = buy(&[&inventory], &sales, &seats, buyer).await?;
    eventually(Duration::from_secs(10), "the order completed", || async {
        let (n,): (i64,) = Statement::new(
            "select count(*) from ordering_orders where order_id::text = $1 and state = 'completed'",
        )
        .bind(order_id.as_str())
        .fetch_one(db.read().await?.conn())
        .await?;
        Ok(n == 1)
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let path = format!("/orders/{order_id}/tickets?userId={buyer}");
    let during = after_sale
        .call_at("fulfillment", "GET", &path, None)
        .await?;
    assert_eq!(
        during.json.as_array().map(Vec::len),
        Some(0),
        "no ticket during the rush: {}",
        during.text
    );

    rush.abort();
    tickets_issued(&after_sale, &order_id, buyer, 1).await?;
    let status = consumer_status(&after_sale, "fulfillment", "fulfillment").await?;
    assert_eq!(status["holdingBack"], false, "{status}");
    Ok(())
}
