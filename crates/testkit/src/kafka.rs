//! A real Kafka-protocol broker for tests: tansu (crates.io) with in-memory storage.

use anyhow::{Context, bail};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// A tansu broker on 127.0.0.1. Dropping it stops the process (and its data with it).
pub struct KafkaBroker {
    port: u16,
    _child: Child,
}

impl KafkaBroker {
    /// Starts `tansu broker` with memory storage on a free port. The binary comes from
    /// `TANSU_BIN`, else `tansu` on the `PATH` (`scripts/test.sh` installs it).
    ///
    /// # Errors
    /// When tansu is missing or does not listen within 20 s.
    pub async fn start() -> anyhow::Result<Self> {
        let binary =
            crate::tools::require(&std::env::var("TANSU_BIN").unwrap_or_else(|_| "tansu".into()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let url = format!("tcp://127.0.0.1:{port}");
        let mut child = Command::new(&binary)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if let Some(status) = child.try_wait()? {
                bail!("tansu exited with {status}");
            }
            if Instant::now() > deadline {
                bail!("tansu did not listen on {port} within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Self {
            port,
            _child: child,
        })
    }

    /// `127.0.0.1:<port>`, as `--kafka-brokers` takes it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}
