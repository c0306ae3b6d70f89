//! `--chaos`: during the sale, kill -9 each process of the bench's own split deployment in turn
//! (all but the gateway's, which the buyers talk to) and start it again on the same ports, timing how long until it answers and until the event
//! consumers it ran are consuming again (in it, or in the replica that took over).

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::deployment::Processes;
use super::progress;

/// The longest the bench waits for a consumer to come back before saying it did not.
const BACK_WITHIN: Duration = Duration::from_secs(30);

/// One kill and what followed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Round {
    /// The process killed.
    process: &'static str,
    /// When, in seconds after the sale began.
    killed_at_secs: f64,
    /// From the kill until the restarted process listened again, in ms.
    answering_after_ms: f64,
    /// From the kill until every consumer it ran was active again somewhere, in ms (`None`:
    /// not within 30 s).
    consuming_after_ms: Option<f64>,
    /// Those consumers.
    consumers: Vec<String>,
}

impl Round {
    /// One line for the readable report.
    pub(crate) fn summary(&self) -> String {
        let consuming = match (self.consuming_after_ms, self.consumers.is_empty()) {
            (_, true) => "no event consumer of its own".to_string(),
            (Some(ms), false) => {
                format!("{} consuming after {ms:.0} ms", self.consumers.join(", "))
            }
            (None, false) => format!("{} not consuming 30 s later", self.consumers.join(", ")),
        };
        format!(
            "killed {} at {:.1} s: answering after {:.0} ms; {consuming}",
            self.process, self.killed_at_secs, self.answering_after_ms
        )
    }
}

/// The consumers `process`' `/ready` (on `port`) shows active.
async fn active_consumers(client: &reqwest::Client, port: u16) -> BTreeSet<String> {
    let Ok(reply) = client
        .get(format!("http://127.0.0.1:{port}/ready"))
        .send()
        .await
    else {
        return BTreeSet::new();
    };
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    body["consumers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["active"] == true)
        .filter_map(|c| c["consumer"].as_str().map(str::to_owned))
        .collect()
}

/// Kills and restarts the processes in turn, one every `every`, until `done` (the sale ended).
pub(crate) async fn run(processes: &Processes, every: Duration, done: &AtomicBool) -> Vec<Round> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap_or_default();
    let started = Instant::now();
    let mut rounds = Vec::new();
    for index in processes.killable().into_iter().cycle() {
        let wake = Instant::now() + every;
        while Instant::now() < wake {
            if done.load(Ordering::Relaxed) {
                return rounds;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let Some((_, name, port)) = processes
            .ready_ports()
            .into_iter()
            .find(|(i, _, _)| *i == index)
        else {
            return rounds;
        };
        let consumers = active_consumers(&client, port).await;
        let killed = Instant::now();
        if let Err(error) = processes.kill_and_restart(index).await {
            progress(&format!("chaos: {name} did not come back: {error:#}"));
            return rounds;
        }
        let answering = killed.elapsed();
        let consuming = loop {
            let mut active = BTreeSet::new();
            for (_, _, port) in processes.ready_ports() {
                active.extend(active_consumers(&client, port).await);
            }
            if consumers.is_subset(&active) {
                break Some(killed.elapsed());
            }
            if killed.elapsed() > BACK_WITHIN {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let round = Round {
            process: name,
            killed_at_secs: (killed - started).as_secs_f64(),
            answering_after_ms: answering.as_secs_f64() * 1000.0,
            consuming_after_ms: consuming.map(|d| d.as_secs_f64() * 1000.0),
            consumers: consumers.into_iter().collect(),
        };
        progress(&format!("chaos: {}", round.summary()));
        rounds.push(round);
    }
    rounds
}
