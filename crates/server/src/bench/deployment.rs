//! The processes of the bench's own server: one, or with `--split` a deployment of five (the
//! gateway's, two inventory replicas, sales, and what follows a sale) on one PostgreSQL
//! database, the services asking each other through it. `--chaos` kills and restarts them.

use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::process::{Child, Command};

use super::server::process_cpu_time;

/// Every service, each given a port of its own (0: the system picks it).
const SERVICES: [&str; 9] = [
    "catalog",
    "inventory",
    "ordering",
    "gateway",
    "payment",
    "identity",
    "fulfillment",
    "notification",
    "waitlist",
];

/// The split deployment: name and services of each process. The first started relays the
/// outbox (until it dies): not the gateway's, which `--chaos` leaves alone.
const SPLIT: [(&str, &str); 5] = [
    ("sales", "ordering,payment"),
    ("after", "fulfillment,notification,waitlist"),
    ("inventory-1", "inventory"),
    ("inventory-2", "inventory"),
    ("front", "identity,catalog,gateway"),
];

/// One process.
struct Process {
    name: &'static str,
    /// `--services`; `None` runs them all.
    services: Option<&'static str>,
    child: Option<Child>,
    pid: u32,
    /// The ports it listens on, by service (kept across restarts: the bench's buyers know the
    /// gateway's).
    ports: BTreeMap<String, u16>,
}

/// The bench's own processes.
pub(crate) struct Processes {
    exe: PathBuf,
    dir: PathBuf,
    database: Option<String>,
    list: Mutex<Vec<Process>>,
    /// CPU time of processes killed and restarted: gone from `/proc` with them.
    gone_cpu: Mutex<Duration>,
}

impl Processes {
    /// Starts the server in `dir` (one process, or the split deployment), on `database` if
    /// given; returns them and the gateway's port.
    pub(crate) async fn start(
        dir: &Path,
        database: Option<&str>,
        split: bool,
    ) -> anyhow::Result<(Self, u16)> {
        // An empty configuration of its own: no boxoffice.toml of the working directory applies.
        std::fs::write(dir.join("boxoffice.toml"), "")?;
        let processes = Self {
            exe: std::env::current_exe()?,
            dir: dir.to_path_buf(),
            database: database.map(str::to_owned),
            list: Mutex::new(Vec::new()),
            gone_cpu: Mutex::new(Duration::ZERO),
        };
        let layout: Vec<(&'static str, Option<&'static str>)> = if split {
            SPLIT.iter().map(|&(n, s)| (n, Some(s))).collect()
        } else {
            vec![("server", None)]
        };
        for (name, services) in layout {
            let process = processes.spawn(name, services, &BTreeMap::new()).await?;
            processes.lock().push(process);
        }
        let gateway = processes
            .lock()
            .iter()
            .find_map(|p| p.ports.get("gateway").copied())
            .context("the server did not open a gateway port")?;
        Ok((processes, gateway))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Process>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts process `name` and waits for its ports (`ports`: the ones it had before).
    async fn spawn(
        &self,
        name: &'static str,
        services: Option<&'static str>,
        ports: &BTreeMap<String, u16>,
    ) -> anyhow::Result<Process> {
        let ports_file = self.dir.join(format!("{name}.ports.json"));
        let _ = std::fs::remove_file(&ports_file);
        let log_path = self.dir.join(format!("{name}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let mut cmd = Command::new(&self.exe);
        cmd.arg("serve")
            .args(self.database.iter().flat_map(|url| ["--database-url", url]))
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["--no-demo", "--bind", "127.0.0.1"])
            .args(["--hold-rate-limit", "0", "--login-rate-limit", "0"])
            .arg("--ports-file")
            .arg(&ports_file)
            .arg("--config")
            .arg(self.dir.join("boxoffice.toml"))
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .kill_on_drop(true);
        if let Some(services) = services {
            cmd.args(["--services", services]);
        }
        for service in SERVICES {
            let port = ports.get(service).copied().unwrap_or(0);
            cmd.arg(format!("--{service}-port")).arg(port.to_string());
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot start the server process {name}"))?;
        let pid = child.id().unwrap_or_default();
        for _ in 0..300 {
            if let Some(status) = child.try_wait()? {
                let log = std::fs::read_to_string(&log_path).unwrap_or_default();
                anyhow::bail!("the server process {name} exited ({status}):\n{log}");
            }
            if let Ok(text) = std::fs::read_to_string(&ports_file)
                && let Ok(ports) = serde_json::from_str::<BTreeMap<String, u16>>(&text)
            {
                return Ok(Process {
                    name,
                    services,
                    child: Some(child),
                    pid,
                    ports,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the server process {name} did not start within 30 s")
    }

    /// The processes' ids.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.lock().iter().map(|p| p.pid).collect()
    }

    /// Index, name and one port (where its `/ready` answers) of each process.
    pub(crate) fn ready_ports(&self) -> Vec<(usize, &'static str, u16)> {
        self.lock()
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i, p.name, *p.ports.values().next()?)))
            .collect()
    }

    /// The processes `--chaos` kills: all but the gateway's, which the buyers depend on.
    pub(crate) fn killable(&self) -> Vec<usize> {
        self.lock()
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.ports.contains_key("gateway"))
            .map(|(i, _)| i)
            .collect()
    }

    /// CPU time (user + system) all the processes have used, those restarted included.
    pub(crate) fn cpu_time(&self) -> Option<Duration> {
        let mut total = *self.gone_cpu.lock().unwrap_or_else(PoisonError::into_inner);
        for pid in self.pids() {
            total += process_cpu_time(&pid.to_string())?;
        }
        Some(total)
    }

    /// Kills process `index` with SIGKILL and starts it again on the same ports.
    pub(crate) async fn kill_and_restart(&self, index: usize) -> anyhow::Result<()> {
        let (name, services, ports, child, pid) = {
            let mut list = self.lock();
            let process = &mut list[index];
            (
                process.name,
                process.services,
                process.ports.clone(),
                process.child.take(),
                process.pid,
            )
        };
        if let Some(used) = process_cpu_time(&pid.to_string()) {
            *self.gone_cpu.lock().unwrap_or_else(PoisonError::into_inner) += used;
        }
        if let Some(mut child) = child {
            child.start_kill()?;
            child.wait().await?;
        }
        let process = self.spawn(name, services, &ports).await?;
        self.lock()[index] = process;
        Ok(())
    }

    /// Stops every process.
    pub(crate) async fn stop(&self) {
        let children: Vec<Child> = self
            .lock()
            .iter_mut()
            .filter_map(|p| p.child.take())
            .collect();
        for mut child in children {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}
