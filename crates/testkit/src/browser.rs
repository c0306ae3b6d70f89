//! A headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`, which
//! `scripts/test.sh` installs), for the web UI's tests.
//!
//! Each [`Browser`] has its own `chromedriver` on a free loopback port, its own empty profile
//! and download folder. [`Browser::quit`] ends the session (the driver stops Chromium and reaps
//! it) and then the driver. A browser dropped without `quit` (a test that panicked) asks the
//! driver's whole process group, Chromium included, to terminate.

use anyhow::{Context, bail};
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// One headless browser window.
pub struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    downloads: tempfile::TempDir,
    quit: bool,
}

impl std::ops::Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.quit {
            return;
        }
        if let Some(pid) = self.driver.id() {
            // The driver leads its own process group; Chromium and its helpers are in it.
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .status();
        }
    }
}

impl Browser {
    /// Starts `chromedriver` (`$CHROMEDRIVER`, default `chromedriver`) driving `$CHROME_BIN`
    /// (default `/usr/bin/chromium`) headless, with a phone-friendly desktop window.
    ///
    /// # Errors
    /// When the driver or the browser does not come up within 30 s.
    pub async fn launch() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let driver_bin = crate::tools::require(
            &std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()),
        )?;
        let chrome = crate::tools::require(
            &std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into()),
        )?;
        let driver = Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", driver_bin.display()))?;
        let profile = tempfile::tempdir()?;
        let downloads = tempfile::tempdir()?;
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chrome,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-breakpad",
                    "--disable-crash-reporter", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => bail!("no browser session: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(150)).await,
            }
        };
        Ok(Self {
            client,
            driver,
            _profile: profile,
            downloads,
            quit: false,
        })
    }

    /// Where downloads land.
    pub fn downloads(&self) -> &Path {
        self.downloads.path()
    }

    /// Saves a PNG of the window as `<screenshots>/<name>.png` for review, where
    /// `<screenshots>` is `$UI_SCREENSHOTS` or `target/ui-screenshots`.
    ///
    /// # Errors
    /// When the screenshot cannot be taken or written.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = std::env::var("UI_SCREENSHOTS").map_or_else(
            |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ui-screenshots"),
            PathBuf::from,
        );
        std::fs::create_dir_all(&dir)?;
        let png = self.client.screenshot().await?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// The visible text of the first element matching `css`, waiting up to `secs` for it.
    ///
    /// # Errors
    /// When no such element appears.
    pub async fn text_of(&self, css: &str, secs: u64) -> anyhow::Result<String> {
        let element = self
            .client
            .wait()
            .at_most(Duration::from_secs(secs))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element `{css}` appeared"))?;
        Ok(element.text().await?)
    }

    /// Waits up to `secs` until the text of `css` contains `needle`; returns the text.
    ///
    /// # Errors
    /// When it never does.
    pub async fn wait_for_text(
        &self,
        css: &str,
        needle: &str,
        secs: u64,
    ) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            // Only an element that is there counts: a page still loading must not pass for one
            // whose element says nothing (an empty `needle` waits for the element itself).
            let found = match self.client.find(Locator::Css(css)).await {
                Ok(e) => Some(e.text().await.unwrap_or_default()),
                Err(_) => None,
            };
            let text = found.clone().unwrap_or_default();
            if found.is_some_and(|t| t.contains(needle)) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                let url = self.client.current_url().await.map(|u| u.to_string());
                let page = self.client.source().await.unwrap_or_default();
                let page: String = page.chars().take(3000).collect();
                bail!(
                    "`{css}` never said {needle:?}; last text {text:?} at {url:?}; page:\n{page}"
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `value` into the form field `name` (replacing what is there).
    ///
    /// # Errors
    /// When there is no such field.
    pub async fn fill(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let field = self
            .client
            .find(Locator::Css(&format!("[name=\"{name}\"]")))
            .await
            .with_context(|| format!("no field {name}"))?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Clicks the first element matching `css`.
    ///
    /// # Errors
    /// When there is none or it cannot be clicked.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("nothing to click at `{css}`"))?
            .click()
            .await?;
        Ok(())
    }

    /// Runs axe-core (npm `axe-core`, `tests/a11y`; `scripts/test.sh` installs it) on the page
    /// as it is now, and fails naming every serious or critical violation: its rule, what it
    /// means, and the elements it found. `page` names the page in the message.
    ///
    /// # Errors
    /// When axe-core is not installed, cannot run, or finds a serious or critical violation.
    pub async fn assert_accessible(&self, page: &str) -> anyhow::Result<()> {
        let violations = self.axe_violations().await?;
        let serious: Vec<String> = violations
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| {
                let targets: Vec<String> = v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .take(5)
                    .map(|n| n["target"].to_string())
                    .collect();
                format!(
                    "{} ({}): {} — at {}",
                    v["id"].as_str().unwrap_or("?"),
                    v["impact"].as_str().unwrap_or("?"),
                    v["help"].as_str().unwrap_or(""),
                    targets.join(", ")
                )
            })
            .collect();
        if !serious.is_empty() {
            bail!(
                "axe-core finds {} serious or critical violation(s) on {page}:\n{}",
                serious.len(),
                serious.join("\n")
            );
        }
        Ok(())
    }

    /// Every violation axe-core reports on the page as it is now (its JSON).
    ///
    /// # Errors
    /// When axe-core is not installed or cannot run.
    pub async fn axe_violations(&self) -> anyhow::Result<Vec<serde_json::Value>> {
        let source = std::fs::read_to_string(axe_script()?)?;
        self.client.execute(&source, vec![]).await?;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(r.violations))
                    .catch(e => done({ error: String(e) }));",
                vec![],
            )
            .await?;
        if let Some(error) = found.get("error") {
            bail!("axe-core failed: {error}");
        }
        Ok(found.as_array().cloned().unwrap_or_default())
    }

    /// Ends the session and the browser.
    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        self.quit = true;
    }
}

/// `axe.min.js`: `$AXE_CORE_JS`, or the copy `scripts/test.sh` installs under `tests/a11y`.
fn axe_script() -> anyhow::Result<PathBuf> {
    let path = std::env::var("AXE_CORE_JS").map_or_else(
        |_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/a11y/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    );
    if path.is_file() {
        Ok(path)
    } else {
        crate::tools::missing("axe-core", &path.display().to_string())
    }
}
