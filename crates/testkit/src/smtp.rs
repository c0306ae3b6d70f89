//! A real local SMTP server for tests: aiosmtpd (PyPI) storing every message in a maildir.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// An SMTP sink on 127.0.0.1. Dropping it stops the process.
pub struct SmtpSink {
    port: u16,
    maildir: tempfile::TempDir,
    _child: Child,
}

impl SmtpSink {
    /// Starts aiosmtpd with the `Mailbox` handler. Python comes from `TEST_PYTHON` or
    /// the repository's `.venv` (made by `scripts/test.sh`).
    ///
    /// # Errors
    /// When Python or aiosmtpd is missing, or the server does not listen within 20 s.
    pub async fn start() -> anyhow::Result<Self> {
        let python = match std::env::var_os("TEST_PYTHON") {
            Some(python) => PathBuf::from(python),
            None => crate::tools::venv_program("python", "aiosmtpd")?,
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let maildir = tempfile::tempdir()?;
        let child = Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("box"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start aiosmtpd")?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("aiosmtpd did not listen on {port}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self {
            port,
            maildir,
            _child: child,
        })
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("box").join("new");
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        out.sort();
        out
    }
}
