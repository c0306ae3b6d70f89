//! Events published to Kafka (`--kafka-brokers`) for outside consumers, against a real
//! Kafka-protocol broker (tansu): every step of a purchase reaches its topic, with the message id
//! in a header, and a crash right after the payment (its events possibly not yet published)
//! loses nothing.

use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};
use testkit::KafkaBroker;

use crate::helpers::{create_event, pay, pending_order, spawn_with};

const TOPICS: [&str; 4] = [
    "reservation-created",
    "payment-succeeded",
    "order-completed",
    "ticket-issued",
];

/// One consumed message: its topic, the `messageId` header and the JSON value.
struct Consumed {
    topic: String,
    header_id: String,
    value: Value,
}

async fn consume_until(
    brokers: &str,
    done: impl Fn(&[Consumed]) -> bool,
) -> anyhow::Result<Vec<Consumed>> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("test-{}", uuid::Uuid::new_v4()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()?;
    consumer.subscribe(&TOPICS)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while !done(&seen) {
        let left = deadline.saturating_duration_since(Instant::now());
        anyhow::ensure!(
            !left.is_zero(),
            "timed out; consumed so far: {:?}",
            topics_of(&seen)
        );
        let Ok(message) = tokio::time::timeout(left, consumer.recv()).await else {
            continue;
        };
        let message = message?;
        let header_id = message
            .headers()
            .and_then(|h| h.iter().find(|h| h.key == "messageId"))
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        let value = serde_json::from_slice(message.payload().unwrap_or_default())?;
        seen.push(Consumed {
            topic: message.topic().to_string(),
            header_id,
            value,
        });
    }
    Ok(seen)
}

fn topics_of(seen: &[Consumed]) -> BTreeMap<&str, usize> {
    let mut count = BTreeMap::new();
    for c in seen {
        *count.entry(c.topic.as_str()).or_default() += 1;
    }
    count
}

#[tokio::test]
async fn a_purchase_reaches_kafka_whole_across_a_crash_right_after_payment() -> anyhow::Result<()> {
    let broker = KafkaBroker::start().await?;
    let mut app = spawn_with(&["--kafka-brokers", &broker.address()]).await;
    let (_, seats) = create_event(&app, 1, 2).await;
    let order = pending_order(&app, &seats, "ana@example.com").await;
    let order_id = order["id"].as_str().expect("order id").to_string();

    let paid = pay(&app, &order, "ana@example.com", json!(50.00)).await;
    assert_eq!(paid.status, 200, "{}", paid.text);
    // Killed at once: the payment's events are committed but may not have left the outbox.
    app.crash_and_restart().await?;

    // ticket-issued keeps the reference's snake_case fields; the others are camelCase.
    let for_order = |c: &Consumed| {
        c.value["orderId"].as_str() == Some(&order_id)
            || c.value["order_id"].as_str() == Some(&order_id)
    };
    let seat_ids: BTreeSet<&str> = seats.iter().filter_map(|s| s["id"].as_str()).collect();
    let of_my_seats = |c: &Consumed| {
        c.value["seatId"]
            .as_str()
            .is_some_and(|s| seat_ids.contains(s))
    };
    let mine = |c: &Consumed| match c.topic.as_str() {
        "reservation-created" => of_my_seats(c),
        _ => for_order(c),
    };
    // Topics are fetched side by side: wait until each has delivered what the purchase wrote.
    let seen = consume_until(&broker.address(), |seen| {
        let count = |topic: &str| seen.iter().filter(|c| c.topic == topic && mine(c)).count();
        count("reservation-created") >= 2 && TOPICS[1..].iter().all(|topic| count(topic) >= 1)
    })
    .await?;

    // Every message carries its id as a header and in the value, and an occurredAt.
    for c in &seen {
        assert!(
            !c.header_id.is_empty(),
            "{} without a messageId header",
            c.topic
        );
        assert_eq!(c.value["messageId"].as_str(), Some(c.header_id.as_str()));
        assert!(c.value["occurredAt"].as_str().is_some(), "{}", c.value);
    }
    // Both holds, the payment, the completed order and the tickets, each once after the
    // consumer drops repeats by message id (delivery is at least once).
    let distinct = |topic: &str, mine: &dyn Fn(&Consumed) -> bool| {
        seen.iter()
            .filter(|c| c.topic == topic && mine(c))
            .map(|c| c.header_id.clone())
            .collect::<BTreeSet<_>>()
            .len()
    };
    assert_eq!(distinct("reservation-created", &of_my_seats), 2);
    assert_eq!(distinct("payment-succeeded", &for_order), 1);
    assert_eq!(distinct("order-completed", &for_order), 1);
    assert_eq!(distinct("ticket-issued", &for_order), 1);
    let tickets = seen
        .iter()
        .find(|c| c.topic == "ticket-issued" && for_order(c))
        .map(|c| c.value["ticket_ids"].clone())
        .unwrap_or_default();
    assert_eq!(tickets.as_array().map(Vec::len), Some(2), "{tickets}");
    Ok(())
}
