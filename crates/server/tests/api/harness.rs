//! The in-process harness: the real services and stores, over HTTP as ever, but in the test's
//! own process with a clock the test moves and an explicit step for the background work
//! (expiring lapsed holds, delivering every pending event, sending due e-mail). A test of expiry,
//! waitlist offers or events then says when time passes and when events arrive, and waits for
//! nothing. The black-box tests (a `boxoffice` process each) keep the journeys and the crashes.

use std::sync::Arc;

use kernel::ManualClock;
use server::{Application, Background, CreateAdminArgs, ServeArgs, ShutdownHandle};
use testkit::TestServer;

/// A server in this process, on the database of the run (`TEST_DATABASE`).
pub(crate) struct InProcess {
    /// The server, as the black-box helpers take it.
    pub(crate) app: TestServer,
    clock: Arc<ManualClock>,
    background: Background,
    stop: ShutdownHandle,
}

impl InProcess {
    /// Starts a server without the demo catalogue, with `configure`'s settings on top.
    ///
    /// # Errors
    /// When the database or the server cannot be prepared.
    pub(crate) async fn start(configure: impl FnOnce(&mut ServeArgs)) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let postgres = TestServer::scratch_database().await?;
        let mut args = ServeArgs::ephemeral(dir.path());
        args.no_demo = true;
        args.storage.database_url = postgres.as_ref().map(|p| p.url().to_owned());
        configure(&mut args);
        server::create_account(&CreateAdminArgs {
            storage: args.storage.clone(),
            email: testkit::ADMIN_EMAIL.into(),
            password: testkit::ADMIN_PASSWORD.into(),
            staff: false,
        })
        .await?;
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let mut application = Application::build_with_clock(&args, clock.clone()).await?;
        let background = application.take_background();
        let ports = application
            .ports()
            .iter()
            .map(|(name, port)| ((*name).to_string(), *port))
            .collect();
        let stop = application.shutdown_handle();
        tokio::spawn(application.run_until_stopped());
        let app = TestServer::attach(ports, dir, postgres).await?;
        Ok(Self {
            app,
            clock,
            background,
            stop,
        })
    }

    /// Does the background work that is due now ([`Background::settle`]); the events delivered.
    ///
    /// # Errors
    /// When a step fails.
    pub(crate) async fn settle(&self) -> anyhow::Result<usize> {
        self.background.settle().await
    }

    /// Moves the clock by `seconds`, and nothing else: what became due waits for
    /// [`InProcess::settle`] (as if the background tasks had not got to it yet).
    pub(crate) fn pass(&self, seconds: i64) {
        self.clock.advance(chrono::Duration::seconds(seconds));
    }

    /// Moves the clock by `seconds` and does what became due.
    ///
    /// # Errors
    /// When a step fails.
    pub(crate) async fn advance(&self, seconds: i64) -> anyhow::Result<()> {
        self.pass(seconds);
        self.settle().await.map(drop)
    }
}

impl std::ops::Deref for InProcess {
    type Target = TestServer;
    fn deref(&self) -> &TestServer {
        &self.app
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.stop.stop();
    }
}
