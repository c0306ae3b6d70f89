//! The load generator keeps working: a small flash sale, its JSON report and the invariants it
//! reads back from the server's database. Speed is not asserted here (see docs/performance.md).

use serde_json::Value;
use tokio::process::Command;

#[tokio::test]
async fn a_small_flash_sale_reports_numbers_and_clean_invariants() -> anyhow::Result<()> {
    let mut bench = Command::new(env!("CARGO_BIN_EXE_boxoffice"));
    bench.arg("bench");
    // On the PostgreSQL leg of the suite the bench's server runs on that cluster too.
    let postgres = std::env::var("TEST_DATABASE").as_deref() == Ok("postgres");
    if postgres {
        let url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:55432/postgres".into());
        bench.args(["--postgres", &url]);
    }
    let out = bench
        .args([
            "--seats",
            "120",
            "--buyers",
            "200",
            "--concurrency",
            "8",
            "--mode",
            "hotspot",
            "--hot-seats",
            "20",
            "--health-secs",
            "1",
            "--max-secs",
            "60",
            "--json",
        ])
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stderr}");
    assert!(
        stderr.contains("seats sold"),
        "progress is shown:\n{stderr}"
    );
    let report: Value = serde_json::from_slice(&out.stdout)?;
    for field in [
        "holdsPerSec",
        "purchasesPerSec",
        "healthPerSec",
        "p50Ms",
        "p99Ms",
        "p999Ms",
        "serverCpuMsPerPurchase",
        "serverCpuMsPerPurchaseAll",
        "serverContextSwitchesPerPurchase",
        "benchCpuMsPerPurchase",
    ] {
        assert!(
            report[field].as_f64().is_some_and(|v| v > 0.0),
            "{field}: {report}"
        );
    }
    assert_eq!(report["httpErrors"], 0, "{report}");
    assert_eq!(report["seatsSoldTwice"], 0, "{report}");
    assert_eq!(report["ordersWithoutTickets"], 0, "{report}");
    // The whole purchase costs at least its part during the sale, and its e-mails went out.
    assert!(
        report["serverCpuMsPerPurchaseAll"].as_f64() >= report["serverCpuMsPerPurchase"].as_f64(),
        "{report}"
    );
    assert!(report["mailDrainSecs"].as_f64().is_some(), "{report}");
    assert_eq!(report["purchases"], 120, "every seat sold: {report}");
    assert_eq!(
        report["completedOrders"], 120,
        "as the server counts them: {report}"
    );
    assert!(
        report["conflicts"].as_u64().is_some_and(|c| c > 0),
        "hotspot buyers collide: {report}"
    );
    // Read from the server's /metrics: at least the hold's, the cart's and the payment
    // record's transactions per purchase, and on SQLite the checkout's and the payment claim's
    // (on PostgreSQL each of those two is one guarded statement outside a transaction), before
    // the event consumers'.
    let floor = if postgres { 3.0 } else { 5.0 };
    assert!(
        report["writeTransactionsPerPurchase"]
            .as_f64()
            .is_some_and(|n| n >= floor),
        "{report}"
    );
    assert!(
        report["writerWaitMeanMs"]
            .as_f64()
            .is_some_and(|ms| ms >= 0.0),
        "{report}"
    );
    // Every paid seat was confirmed and ticketed after its payment, read off the server's
    // timestamps: as many delays as seats, each after the payment, in order.
    for lag in ["seatConfirmed", "ticketIssued"] {
        let l = &report["afterPayment"][lag];
        assert_eq!(l["count"], 120, "{lag}: {report}");
        let (p50, p99, max) = (
            l["p50Ms"].as_f64(),
            l["p99Ms"].as_f64(),
            l["maxMs"].as_f64(),
        );
        assert!(
            p50.is_some_and(|v| v >= 0.0) && p50 <= p99 && p99 <= max,
            "{lag}: {report}"
        );
    }
    assert_eq!(report["settings"]["mode"], "hotspot");
    assert_eq!(report["steps"]["pay"]["requests"], 120);
    Ok(())
}

/// `--split --chaos`: the bench starts a five-process deployment on PostgreSQL (always, as the
/// split-deployment tests do), kills each process but the gateway's in turn during the sale,
/// and reports clean invariants, every consumer back, and the CPU of all the processes.
#[tokio::test]
async fn the_bench_kills_each_process_of_a_split_deployment_and_reports_its_recovery()
-> anyhow::Result<()> {
    let url = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:55432/postgres".into());
    let out = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .args(["bench", "--postgres", &url, "--split", "--chaos"])
        .args([
            "--chaos-every-ms",
            "400",
            "--seats",
            "1500",
            "--concurrency",
            "16",
        ])
        .args(["--health-secs", "1", "--max-secs", "60", "--json"])
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stderr}");
    assert!(stderr.contains("5 processes"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["httpErrors"], 0, "{report}");
    assert_eq!(report["seatsSoldTwice"], 0, "{report}");
    assert_eq!(report["ordersWithoutTickets"], 0, "{report}");
    assert_eq!(report["completedOrders"], report["purchases"], "{report}");
    assert!(report["backlogDrainSecs"].as_f64().is_some(), "{report}");
    assert!(
        report["serverCpuMsPerPurchase"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0),
        "{report}"
    );
    let rounds = report["chaos"].as_array().cloned().unwrap_or_default();
    let killed: std::collections::BTreeSet<&str> = rounds
        .iter()
        .filter_map(|r| r["process"].as_str())
        .collect();
    // The sale lasts long enough for each process but the gateway's to die once.
    for process in ["sales", "after", "inventory-1", "inventory-2"] {
        assert!(killed.contains(process), "{process} never killed: {report}");
    }
    assert!(!killed.contains("front"), "{report}");
    for round in &rounds {
        assert!(
            round["consumingAfterMs"]
                .as_f64()
                .is_some_and(|ms| ms < 5000.0),
            "a consumer was not back within 5 s: {round}"
        );
    }
    Ok(())
}

/// Runs `boxoffice bench` with `args` and `--json` (its own server on the leg's database) and
/// returns its report.
async fn bench_report(args: &[&str]) -> anyhow::Result<Value> {
    let mut bench = Command::new(env!("CARGO_BIN_EXE_boxoffice"));
    bench.arg("bench");
    if std::env::var("TEST_DATABASE").as_deref() == Ok("postgres") {
        let url = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:55432/postgres".into());
        bench.args(["--postgres", &url]);
    }
    let out = bench
        .args(args)
        .args(["--health-secs", "1", "--max-secs", "60", "--json"])
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    anyhow::ensure!(out.status.success(), "bench failed:\n{stderr}");
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// Best mode: each buyer asks for four seats in one request and pays for them in one order.
#[tokio::test]
async fn best_mode_sells_the_venue_in_groups_side_by_side() -> anyhow::Result<()> {
    let report = bench_report(&[
        "--seats",
        "200",
        "--mode",
        "best",
        "--group",
        "4",
        "--concurrency",
        "16",
    ])
    .await?;
    assert_eq!(report["settings"]["mode"], "best", "{report}");
    assert_eq!(
        report["purchases"], 50,
        "every seat sold, four to an order: {report}"
    );
    assert_eq!(report["holds"], 200, "{report}");
    assert!(
        report["holdsPerSec"].as_f64().is_some_and(|v| v > 0.0),
        "{report}"
    );
    assert!(
        report["p99Ms"].as_f64().is_some_and(|v| v > 0.0),
        "{report}"
    );
    assert_eq!(report["httpErrors"], 0, "{report}");
    assert_eq!(report["seatsSoldTwice"], 0, "{report}");
    assert_eq!(report["ordersWithoutTickets"], 0, "{report}");
    Ok(())
}

/// `--streams`: open seat maps during the sale, each hearing the changes.
#[tokio::test]
async fn open_seat_map_streams_hear_the_sale_and_their_memory_is_reported() -> anyhow::Result<()> {
    let report = bench_report(&["--seats", "200", "--streams", "50", "--concurrency", "8"]).await?;
    let streams = &report["streams"];
    assert_eq!(streams["open"], 50, "{report}");
    assert_eq!(streams["failed"], 0, "{report}");
    // Each a snapshot, then at least the change that sold the seats.
    assert!(
        streams["events"].as_u64().is_some_and(|n| n >= 100),
        "{report}"
    );
    assert!(
        streams["serverRssWithMib"]
            .as_f64()
            .is_some_and(|v| v > 0.0),
        "{report}"
    );
    assert_eq!(report["httpErrors"], 0, "{report}");
    Ok(())
}
