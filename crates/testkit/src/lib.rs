//! Test helpers: run the real `boxoffice` binary on random ports in a temporary data directory
//! and talk to it over HTTP. Dev-dependency only.

mod browser;
mod database;
mod kafka;
mod smtp;
pub mod tools;

pub use database::TestDatabase;

pub use browser::Browser;
pub use kafka::KafkaBroker;
pub use smtp::SmtpSink;

use anyhow::{Context, bail};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// A `boxoffice serve` process started by a test. Dropping it kills the process (and drops its
/// PostgreSQL database, if it has one).
pub struct TestServer {
    binary: PathBuf,
    args: Vec<String>,
    postgres: Option<Arc<ScratchDatabase>>,
    /// Shared by the processes of a split deployment (keys, mail folder).
    data_dir: Arc<tempfile::TempDir>,
    /// Distinguishes the files of processes sharing `data_dir` (`ports-1.json`, `server-1.log`).
    process: usize,
    child: Option<Child>,
    ports: BTreeMap<String, u16>,
    client: reqwest::Client,
    admin_token: String,
    /// The server's `BOXOFFICE_TEST_FAULT` (the crash tests' fault injection), if any.
    fault: Option<String>,
}

/// Numbers the processes of split deployments (0 is every first process).
static NEXT_PROCESS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// The administrator every test server has.
pub const ADMIN_EMAIL: &str = "admin@boxoffice.test";
/// Its password.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A response, read completely.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body parsed as JSON (`Value::Null` when empty or not JSON).
    pub json: Value,
    /// Body as text.
    pub text: String,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// The `code` of an error body.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }

    /// The `error` sentence of an error body.
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
}

impl TestServer {
    /// Starts `binary serve` with every port picked by the system and `extra` arguments.
    ///
    /// # Errors
    /// When the process does not come up within 60 s.
    pub async fn start(binary: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        let postgres = match ScratchDatabase::wanted()? {
            true => Some(ScratchDatabase::create().await?),
            false => None,
        };
        Self::start_with(binary, extra, postgres).await
    }

    /// Like [`TestServer::start`], always on a PostgreSQL database of its own (for the
    /// deployments that need one, whatever `TEST_DATABASE` says).
    ///
    /// # Errors
    /// When the database cannot be created or the process does not come up within 60 s.
    pub async fn start_on_postgres(binary: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        Self::start_with(binary, extra, Some(ScratchDatabase::create().await?)).await
    }

    /// Starts another process on this one's database and data directory, with `extra`
    /// arguments of its own (`--services …`): one more member of a split deployment.
    ///
    /// # Errors
    /// When the process does not come up within 60 s.
    pub async fn sibling(&self, extra: &[&str]) -> anyhow::Result<Self> {
        let mut sibling = Self {
            binary: self.binary.clone(),
            args: extra.iter().map(|s| (*s).to_string()).collect(),
            postgres: self.postgres.clone(),
            data_dir: self.data_dir.clone(),
            process: NEXT_PROCESS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            child: None,
            ports: BTreeMap::new(),
            client: self.client.clone(),
            admin_token: self.admin_token.clone(),
            fault: None,
        };
        sibling.spawn().await?;
        Ok(sibling)
    }

    /// The database a server started in this process uses in this run (`TEST_DATABASE`): a
    /// fresh PostgreSQL database, or `None` for SQLite in the server's data directory.
    ///
    /// # Errors
    /// When the tests run on PostgreSQL and the database cannot be created.
    pub async fn scratch_database() -> anyhow::Result<Option<ScratchDatabase>> {
        Ok(match ScratchDatabase::wanted()? {
            true => Some(ScratchDatabase::create().await?),
            false => None,
        })
    }

    /// A server running in this process on `ports` (the in-process harness of the server's
    /// tests), with the administrator [`ADMIN_EMAIL`] its caller created: the same requests
    /// and helpers as for a process. `data_dir` and `postgres` live as long as this value.
    ///
    /// # Errors
    /// When the administrator cannot sign in.
    pub async fn attach(
        ports: BTreeMap<String, u16>,
        data_dir: tempfile::TempDir,
        postgres: Option<ScratchDatabase>,
    ) -> anyhow::Result<Self> {
        let mut server = Self {
            binary: PathBuf::new(),
            args: Vec::new(),
            postgres: postgres.map(Arc::new),
            data_dir: Arc::new(data_dir),
            process: 0,
            child: None,
            ports,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            admin_token: String::new(),
            fault: None,
        };
        server.admin_token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        Ok(server)
    }

    async fn start_with(
        binary: &Path,
        extra: &[&str],
        postgres: Option<ScratchDatabase>,
    ) -> anyhow::Result<Self> {
        let mut server = Self {
            binary: binary.to_path_buf(),
            args: extra.iter().map(|s| (*s).to_string()).collect(),
            postgres: postgres.map(Arc::new),
            data_dir: Arc::new(tempfile::tempdir()?),
            process: 0,
            child: None,
            ports: BTreeMap::new(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()?,
            admin_token: String::new(),
            fault: None,
        };
        let created = Command::new(binary)
            .args([
                "admin",
                "create",
                "--email",
                ADMIN_EMAIL,
                "--password",
                ADMIN_PASSWORD,
            ])
            .args(server.database_args())
            .arg("--data-dir")
            .arg(server.data_dir.path())
            .env("RUST_LOG", "warn")
            .output()
            .await?;
        if !created.status.success() {
            bail!(
                "admin create failed: {}",
                String::from_utf8_lossy(&created.stderr)
            );
        }
        server.spawn().await?;
        server.admin_token = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        Ok(server)
    }

    /// `--database-url …` when the server runs on PostgreSQL, else nothing.
    fn database_args(&self) -> Vec<String> {
        match &self.postgres {
            Some(db) => vec!["--database-url".into(), db.url.clone()],
            None => Vec::new(),
        }
    }

    /// Which backend the tests run on (`TEST_DATABASE`).
    pub fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Signs in and returns the JWT.
    ///
    /// # Errors
    /// When the credentials are refused.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let reply = self
            .post(
                "/token",
                serde_json::json!({"email": email, "password": password}),
            )
            .await?;
        reply.json["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("login failed: {}", reply.text))
    }

    /// The administrator's JWT.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// Sends `method path` to the gateway as the administrator.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        self.call_with_token(Some(&self.admin_token), method, path, body)
            .await
    }

    /// Sends `method path` to the gateway with an optional bearer token.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn call_with_token(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.base("gateway"));
        let mut req = self.client.request(method.parse()?, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await?).await
    }

    /// `--<service>-port 0` for every service whose port the test did not choose itself.
    fn port_args(&self) -> Vec<String> {
        kernel::SERVICES
            .iter()
            .map(|(service, _)| format!("--{service}-port"))
            .filter(|flag| !self.args.contains(flag))
            .flat_map(|flag| [flag, "0".to_string()])
            .collect()
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let ports_file = self
            .data_dir
            .path()
            .join(format!("ports-{}.json", self.process));
        let _stale = std::fs::remove_file(&ports_file);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let mut cmd = Command::new(&self.binary);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .args(self.port_args())
            .arg("--ports-file")
            .arg(&ports_file)
            .args(self.database_args())
            .args(&self.args)
            .env(
                "RUST_LOG",
                std::env::var("TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env("BOXOFFICE_TEST_FAULT", self.fault.as_deref().unwrap_or(""))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let mut child = cmd.spawn().context("cannot start boxoffice")?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(text) = std::fs::read_to_string(&ports_file)
                && let Ok(ports) = serde_json::from_str(&text)
            {
                self.ports = ports;
                break;
            }
            if let Some(status) = child.try_wait()? {
                bail!("boxoffice exited with {status}: {}", self.log());
            }
            if Instant::now() > deadline {
                bail!("boxoffice did not start within 60 s: {}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.child = Some(child);
        Ok(())
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir
            .path()
            .join(format!("server-{}.log", self.process))
    }

    /// Kills the process with SIGKILL (no shutdown of any kind), then starts it again on the same
    /// data directory.
    ///
    /// # Errors
    /// When it does not come back.
    pub async fn crash_and_restart(&mut self) -> anyhow::Result<()> {
        self.crash().await?;
        self.spawn().await
    }

    /// Kills the process with SIGKILL and waits for it to be gone; [`TestServer::restart`]
    /// starts it again (meanwhile a test may work on its database).
    ///
    /// # Errors
    /// When the process cannot be killed.
    pub async fn crash(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.start_kill()?;
            child.wait().await?;
        }
        Ok(())
    }

    /// Starts the process again on the same data directory and database.
    ///
    /// # Errors
    /// When it does not come up.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.spawn().await
    }

    /// Stops the process (SIGKILL) and starts it again with the fault `fault` injected, or none
    /// (`BOXOFFICE_TEST_FAULT`, see the server's `fault` module): `abort-after-refund` makes it
    /// die the instant the payment provider accepts a refund.
    ///
    /// # Errors
    /// When it does not come back.
    pub async fn restart_with_fault(&mut self, fault: Option<&str>) -> anyhow::Result<()> {
        self.crash().await?;
        self.fault = fault.map(str::to_owned);
        self.spawn().await
    }

    /// The PostgreSQL URL of the server's database; `None` on SQLite (then the database is in
    /// [`TestServer::data_dir`]).
    pub fn database_url(&self) -> Option<&str> {
        self.postgres.as_deref().map(ScratchDatabase::url)
    }

    /// The server process's id, while it runs (to read its memory, or to kill it with
    /// `kill -9` while requests are in flight).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// The port of `service` (`catalog`, `inventory`, `ordering`, `gateway`).
    pub fn port(&self, service: &str) -> u16 {
        self.ports.get(service).copied().unwrap_or(0)
    }

    /// `http://127.0.0.1:<port of service>`.
    pub fn base(&self, service: &str) -> String {
        format!("http://127.0.0.1:{}", self.port(service))
    }

    /// The shared HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `method path` to the gateway with an optional JSON body.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        self.call_at("gateway", method, path, body).await
    }

    /// Sends `method path` to `service` with an optional JSON body.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn call_at(
        &self,
        service: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.base(service));
        let mut req = self.client.request(method.parse()?, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await?).await
    }

    /// Sends `method path` to `service` as the administrator.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn admin_at(
        &self,
        service: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Reply> {
        let url = format!("{}{path}", self.base(service));
        let mut req = self
            .client
            .request(method.parse()?, url)
            .bearer_auth(&self.admin_token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await?).await
    }

    /// GET from the gateway.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.call("GET", path, None).await
    }

    /// POST JSON to the gateway.
    ///
    /// # Errors
    /// When the request cannot be sent.
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.call("POST", path, Some(body)).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Killed before the database goes (with the last process of a deployment).
        if let Some(child) = &mut self.child {
            let _killed = child.start_kill();
        }
    }
}

/// A PostgreSQL database of its own for a test that opens the database itself, when the tests
/// run on PostgreSQL (`TEST_DATABASE=postgres`); `None` when they run on SQLite. The database is
/// dropped with the value.
///
/// # Errors
/// When `TEST_DATABASE` is invalid or the database cannot be created.
pub async fn scratch_postgres() -> anyhow::Result<Option<ScratchDatabase>> {
    if ScratchDatabase::wanted()? {
        Ok(Some(ScratchDatabase::create().await?))
    } else {
        Ok(None)
    }
}

/// A PostgreSQL database of its own for one test server, on the cluster the test script started
/// (`TEST_DATABASE=postgres`, `TEST_POSTGRES_URL`).
#[derive(Debug)]
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// The test cluster `scripts/test.sh --postgres` starts, unless `TEST_POSTGRES_URL` names another.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:55432/postgres";

impl ScratchDatabase {
    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether the tests run on PostgreSQL (`TEST_DATABASE`).
    fn wanted() -> anyhow::Result<bool> {
        match std::env::var("TEST_DATABASE").as_deref() {
            Ok("postgres") => Ok(true),
            Ok("sqlite") | Err(_) => Ok(false),
            Ok(other) => bail!("TEST_DATABASE must be sqlite or postgres, not {other}"),
        }
    }

    /// A fresh database on the test cluster.
    async fn create() -> anyhow::Result<Self> {
        let admin_url =
            std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
        let name = format!("boxoffice_test_{}", uuid::Uuid::new_v4().simple());
        let out = Command::new(tools::require("psql")?)
            .args([admin_url.as_str(), "-q", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(format!("create database {name}"))
            .output()
            .await?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            bail!(
                "this test needs a PostgreSQL server at {admin_url} (TEST_POSTGRES_URL), which \
                 answered: {}; `{}` runs the suite with one, `bash scripts/test.sh --postgres` \
                 starts one for plain cargo nextest runs",
                why.trim().lines().next().unwrap_or_default(),
                tools::INSTALL
            );
        }
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Ok(Self {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for ScratchDatabase {
    /// Drops the database, ending any connection still open (blocking: it runs in `Drop`).
    fn drop(&mut self) {
        let dropped = std::process::Command::new("psql")
            .args([self.admin_url.as_str(), "-q", "-c"])
            .arg(format!(
                "drop database if exists {} with (force)",
                self.name
            ))
            .output();
        match dropped {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "could not drop test database {}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("could not drop test database {}: {e}", self.name),
        }
    }
}

/// Reads a response completely.
///
/// # Errors
/// When the body cannot be read.
pub async fn read(resp: reqwest::Response) -> anyhow::Result<Reply> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await?;
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        json,
        text,
        headers,
    })
}

/// A loopback port free at the time of asking, for a process the test must know the address of
/// before it starts (the peers of a split deployment name each other by URL).
///
/// It is picked at random below the system's ephemeral range, which every other server of the
/// tests binds from (port 0). A port from that range could be handed to a process of a test
/// running alongside before ours bound it: a peer's URL then reached a stranger, which refused
/// the call, and the request failed with a 500 (seen once in CI).
///
/// A free port is also claimed (see `claim_port`) before it is handed out: two tests running
/// at once, or one test asking for a deployment's dozen ports before starting any, could
/// otherwise draw the same free port, and the second server to start failed with "Address
/// already in use" (seen once in CI).
///
/// # Errors
/// When no port can be bound.
pub fn free_port() -> anyhow::Result<u16> {
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    let (low, high) = (10_000_u16, ephemeral_from.max(20_000));
    for _ in 0..200 {
        let offset = uuid::Uuid::new_v4().as_u128() % u128::from(high - low);
        let port = low + u16::try_from(offset)?;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() && claim_port(port) {
            return Ok(port);
        }
    }
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Claims `port` for this test run among every test process of the machine: a file created only
/// if absent, in a directory all of them share. A claim older than [`PORT_CLAIM_LASTS`] is from
/// a finished run and is taken over. Without a usable directory, nothing is claimed (the bind
/// check alone decides, as before).
fn claim_port(port: u16) -> bool {
    let dir = std::env::temp_dir().join("boxoffice-test-ports");
    if std::fs::create_dir_all(&dir).is_err() {
        return true;
    }
    let path = dir.join(port.to_string());
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
    };
    match create() {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let stale = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().unwrap_or_default() > PORT_CLAIM_LASTS);
            // Of two processes taking over the same stale claim, one creates the file anew.
            stale && std::fs::remove_file(&path).is_ok() && create().is_ok()
        }
        Err(_) => true,
    }
}

/// How long a port claimed by [`free_port`] stays another test's: longer than any test runs.
const PORT_CLAIM_LASTS: Duration = Duration::from_secs(600);

/// Polls `check` every 50 ms until it returns true or `timeout` passes.
///
/// # Errors
/// When the condition is not met in time, or `check` fails.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
