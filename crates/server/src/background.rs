//! Background jobs of a process: hold expiry, idempotency-key purge, stale payments, e-mail
//! delivery, metrics upkeep, signals.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use inventory::InventoryService;
use notification::NotificationService;
use payment::PaymentService;
use storage::Database;

/// Expires lapsed holds every second (SPEC §4: `reservation-expired` within 5 s) and purges
/// old idempotency keys every hour.
pub(crate) async fn sweep_holds(
    inventory: Arc<InventoryService>,
    db: Database,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
        if let Err(e) = inventory.sweep_expired().await {
            tracing::error!(error = %e, "hold expiry sweep failed; retrying");
        }
        ticks += 1;
        if ticks % 3600 == 1
            && let Err(e) = api::purge_expired_keys(&db).await
        {
            tracing::error!(error = %e, "idempotency key purge failed");
        }
    }
}

/// Settles payments left `processing` by a process that died or a provider answer that was
/// lost: every 5 s, those claimed before `cutoff_floor` (the start of a process that runs
/// every service: nothing before it can still be running) and any claimed longer than `lease`
/// ago (the longest a request may run).
pub(crate) async fn settle_payments(
    payment: Arc<PaymentService>,
    lease: Duration,
    cutoff_floor: Option<chrono::DateTime<chrono::Utc>>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let lease = chrono::Duration::from_std(lease)?;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
        let by_age = chrono::Utc::now() - lease;
        let cutoff = cutoff_floor.map_or(by_age, |floor| floor.max(by_age));
        match payment.resolve_stale(cutoff).await {
            Ok(0) => {}
            Ok(settled) => tracing::warn!(payments = settled, "settled payments left processing"),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "settling stale payments failed; retrying")
            }
        }
    }
}

/// Folds recorded durations into the histograms every 5 s, so that memory stays flat when
/// nobody scrapes `/metrics`.
pub(crate) async fn keep_metrics(mut stop: watch::Receiver<bool>) -> anyhow::Result<()> {
    let Some(handle) = crate::metrics::handle() else {
        return Ok(());
    };
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = tick.tick() => handle.run_upkeep(),
            _ = stop.changed() => return Ok(()),
        }
    }
}

/// Delivers stored e-mail as soon as it is stored, and retries failures when they are due.
pub(crate) async fn send_mail(
    notification: Arc<NotificationService>,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    loop {
        if let Err(e) = notification.deliver_due().await {
            tracing::error!(error = %e, "e-mail delivery round failed; retrying");
        }
        tokio::select! {
            () = notification.wait_for_work(Duration::from_secs(1)) => {}
            _ = stop.changed() => return Ok(()),
        }
    }
}

pub(crate) async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}

/// The background work of an application, done on demand
/// ([`Application::take_background`](crate::Application::take_background)): the in-process test
/// harness moves a manual clock and then asks for what has become due, instead of polling until
/// the tasks get to it.
pub struct Background {
    relay: Option<outbox::Relay>,
    inventory: Option<Arc<InventoryService>>,
    notification: Option<Arc<NotificationService>>,
}

impl Background {
    pub(crate) fn new(
        relay: Option<outbox::Relay>,
        inventory: Option<Arc<InventoryService>>,
        notification: Option<Arc<NotificationService>>,
    ) -> Self {
        Self {
            relay,
            inventory,
            notification,
        }
    }

    /// Does what the background tasks would do by now: expires the holds lapsed by the clock,
    /// delivers every pending event (and the events their handling writes), and sends the
    /// e-mail due — in rounds until one finds nothing to do. Returns the events delivered.
    ///
    /// # Errors
    /// When a step fails (a handler's failure leaves its event for a later retry instead).
    pub async fn settle(&self) -> anyhow::Result<usize> {
        let mut delivered = 0;
        loop {
            let mut work = 0;
            if let Some(inventory) = &self.inventory {
                work += inventory.sweep_expired().await?;
            }
            if let Some(relay) = &self.relay {
                let n = relay.deliver_pending().await?;
                delivered += n;
                work += n;
            }
            if let Some(notification) = &self.notification {
                work += notification.deliver_due().await?;
            }
            if work == 0 {
                return Ok(delivered);
            }
        }
    }
}
