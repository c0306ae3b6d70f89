//! HTTP adapters: each context's port answered by the service that owns the data, running in
//! another process of a split deployment (`--<service>-url`). The request and the answer are the
//! port's own types as JSON, so a remote port behaves exactly like the in-process one; the
//! routes that answer them are in [`crate::internal`].
//!
//! Every call carries a short-lived service token, is bounded by `--peer-timeout-ms`, and is
//! tried on each replica of the peer in turn (the calls only read, so repeating one is safe).
//! When no replica answers, the call fails with [`kernel::PeerUnavailable`], which the edge
//! answers 503.

use anyhow::Context;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use api::JwtKeys;
use catalog::{EventCounts, SeatAvailability, TakenState};
use inventory::{SeatDirectory, SeatListing};
use kernel::{EventId, OrderId, PeerUnavailable, ReservationId, SeatId};
use ordering::{HoldView, Holds, PricedSeat, SeatPrices};

/// The paths of the internal routes, shared by both sides so they cannot drift.
pub(crate) mod paths {
    pub(crate) const TAKEN_SEATS: &str = "/internal/v1/taken-seats";
    pub(crate) const EVENT_COUNTS: &str = "/internal/v1/event-counts";
    pub(crate) const HOLDS: &str = "/internal/v1/holds";
    pub(crate) const HOLDS_ACTIVE_UNTIL: &str = "/internal/v1/holds-active-until";
    pub(crate) const SEAT_LISTING: &str = "/internal/v1/seat-listing";
    pub(crate) const SEATS_OF_EVENT: &str = "/internal/v1/seats-of-event";
    pub(crate) const SEAT_PRICE: &str = "/internal/v1/seat-price";
    pub(crate) const EVENT_FACTS: &str = "/internal/v1/event-facts";
    pub(crate) const WAITLIST_EVENT: &str = "/internal/v1/waitlist-event";
    pub(crate) const PAYABLE_ORDER: &str = "/internal/v1/payable-order";
    pub(crate) const LIVE_PAYMENT: &str = "/internal/v1/live-payment";
    pub(crate) const TICKET_PDFS: &str = "/internal/v1/ticket-pdfs";
    pub(crate) const TICKET_ORDER: &str = "/internal/v1/ticket-order";
    pub(crate) const TICKET_HOLDERS: &str = "/internal/v1/ticket-holders";
    pub(crate) const GUEST_TOKEN: &str = "/internal/v1/guest-token";
    pub(crate) const ACCOUNT_ACTIVE: &str = "/internal/v1/account-active";
}

/// Events per `event-counts` call: 40 bytes of JSON each, far below the 64 KiB body limit.
const COUNTS_PER_CALL: usize = 500;

/// A ticket PDF on the wire (base64, a quarter of the size of a JSON number array).
#[derive(Debug, Serialize, serde::Deserialize)]
pub(crate) struct PdfFile {
    pub(crate) name: String,
    pub(crate) base64: String,
}

/// The client of one peer service: its replicas, tried in turn from a rotating start.
pub(crate) struct PeerClient {
    service: &'static str,
    urls: Vec<String>,
    next: AtomicUsize,
    http: reqwest::Client,
    keys: JwtKeys,
    caller: String,
}

impl PeerClient {
    /// A client of `service` at `urls` (each `http://host:port`), calling as `caller`.
    pub(crate) fn new(
        service: &'static str,
        urls: &[String],
        timeout: Duration,
        keys: JwtKeys,
        caller: String,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(!urls.is_empty(), "no URL for the {service} service");
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            service,
            urls: urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            next: AtomicUsize::new(0),
            http,
            keys,
            caller,
        })
    }

    /// The service this client asks.
    pub(crate) fn service(&self) -> &'static str {
        self.service
    }

    /// POSTs `args` to `path` on one replica after another until one answers. A 4xx is not
    /// retried: it means the deployment is misconfigured (another secret, another version).
    async fn call<A, R>(&self, path: &str, args: &A) -> anyhow::Result<R>
    where
        A: Serialize + ?Sized + Sync,
        R: DeserializeOwned,
    {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut failures = Vec::new();
        for i in 0..self.urls.len() {
            let url = format!("{}{path}", self.urls[(start + i) % self.urls.len()]);
            let token = self.keys.issue_service(&self.caller, Utc::now())?;
            let sent = self
                .http
                .post(&url)
                .bearer_auth(token)
                .json(args)
                .send()
                .await;
            match sent {
                Ok(reply) if reply.status().is_success() => {
                    return reply
                        .json::<R>()
                        .await
                        .with_context(|| format!("unreadable answer from {url}"));
                }
                Ok(reply) if reply.status().is_client_error() => {
                    let status = reply.status();
                    let body = reply.text().await.unwrap_or_default();
                    anyhow::bail!("{url} refused the call ({status}): {body}");
                }
                Ok(reply) => failures.push(format!("{url} answered {}", reply.status())),
                Err(e) => failures.push(format!("{url}: {e}")),
            }
        }
        Err(PeerUnavailable {
            service: self.service,
            reason: failures.join("; "),
        }
        .into())
    }
}

/// Inventory in another process.
pub(crate) struct RemoteInventory(pub(crate) PeerClient);

#[async_trait::async_trait]
impl SeatAvailability for RemoteInventory {
    async fn taken_seats(&self, event: EventId) -> anyhow::Result<HashMap<SeatId, TakenState>> {
        self.0.call(paths::TAKEN_SEATS, &event).await
    }

    async fn counts(&self, events: &[EventId]) -> anyhow::Result<HashMap<EventId, EventCounts>> {
        // In slices, so a long catalogue stays under the edge's 64 KiB body limit.
        let mut all = HashMap::with_capacity(events.len());
        for slice in events.chunks(COUNTS_PER_CALL) {
            let counts: HashMap<EventId, EventCounts> =
                self.0.call(paths::EVENT_COUNTS, slice).await?;
            all.extend(counts);
        }
        Ok(all)
    }
}

#[async_trait::async_trait]
impl Holds for RemoteInventory {
    async fn holds(&self, ids: &[ReservationId]) -> anyhow::Result<Vec<HoldView>> {
        self.0.call(paths::HOLDS, ids).await
    }
}

#[async_trait::async_trait]
impl payment::HoldsOfOrder for RemoteInventory {
    async fn all_active_until(
        &self,
        ids: &[ReservationId],
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        self.0.call(paths::HOLDS_ACTIVE_UNTIL, ids).await
    }
}

/// The catalog in another process.
pub(crate) struct RemoteCatalog(pub(crate) PeerClient);

#[async_trait::async_trait]
impl SeatDirectory for RemoteCatalog {
    async fn locate(&self, seat: SeatId) -> anyhow::Result<Option<SeatListing>> {
        self.0.call(paths::SEAT_LISTING, &seat).await
    }

    async fn seats_of_event(
        &self,
        query: &inventory::SeatsQuery,
    ) -> anyhow::Result<Vec<SeatListing>> {
        self.0.call(paths::SEATS_OF_EVENT, query).await
    }
}

#[async_trait::async_trait]
impl SeatPrices for RemoteCatalog {
    async fn seat(&self, seat: SeatId) -> anyhow::Result<Option<PricedSeat>> {
        self.0.call(paths::SEAT_PRICE, &seat).await
    }

    /// Asked through the event facts fulfillment uses: `None` for an unknown event.
    async fn event_exists(&self, event: EventId) -> anyhow::Result<bool> {
        let facts: Option<fulfillment::EventFacts> =
            self.0.call(paths::EVENT_FACTS, &event).await?;
        Ok(facts.is_some())
    }
}

#[async_trait::async_trait]
impl fulfillment::EventDetails for RemoteCatalog {
    async fn event(&self, id: EventId) -> anyhow::Result<Option<fulfillment::EventFacts>> {
        self.0.call(paths::EVENT_FACTS, &id).await
    }
}

#[async_trait::async_trait]
impl waitlist::EventFacts for RemoteCatalog {
    async fn event(&self, id: EventId) -> anyhow::Result<Option<waitlist::EventForWaitlist>> {
        self.0.call(paths::WAITLIST_EVENT, &id).await
    }
}

/// Ordering in another process.
pub(crate) struct RemoteOrdering(pub(crate) PeerClient);

#[async_trait::async_trait]
impl payment::PayableOrders for RemoteOrdering {
    async fn order(&self, id: OrderId) -> anyhow::Result<Option<payment::OrderForPayment>> {
        self.0.call(paths::PAYABLE_ORDER, &id).await
    }
}

/// Payment in another process.
pub(crate) struct RemotePayment(pub(crate) PeerClient);

#[async_trait::async_trait]
impl ordering::PaymentLedger for RemotePayment {
    async fn has_live_payment(&self, order: OrderId) -> anyhow::Result<bool> {
        self.0.call(paths::LIVE_PAYMENT, &order).await
    }
}

/// Fulfillment in another process.
pub(crate) struct RemoteFulfillment(pub(crate) PeerClient);

#[async_trait::async_trait]
impl ordering::TicketOrders for RemoteFulfillment {
    async fn order_of_ticket(&self, ticket: uuid::Uuid) -> anyhow::Result<Option<OrderId>> {
        self.0.call(paths::TICKET_ORDER, &ticket).await
    }
}

#[async_trait::async_trait]
impl notification::TicketDocuments for RemoteFulfillment {
    async fn holders(&self, event: EventId) -> anyhow::Result<Vec<(OrderId, String)>> {
        self.0.call(paths::TICKET_HOLDERS, &event).await
    }

    async fn pdfs(&self, order: OrderId) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let files: Vec<PdfFile> = self.0.call(paths::TICKET_PDFS, &order).await?;
        files
            .into_iter()
            .map(|f| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(&f.base64)
                    .with_context(|| format!("{} is not base64", f.name))?;
                Ok((f.name, bytes))
            })
            .collect()
    }
}

/// Identity in another process.
pub(crate) struct RemoteIdentity(pub(crate) PeerClient);

#[async_trait::async_trait]
impl api::Accounts for RemoteIdentity {
    async fn is_active(&self, user_id: &str) -> anyhow::Result<bool> {
        self.0.call(paths::ACCOUNT_ACTIVE, &user_id).await
    }
}

#[async_trait::async_trait]
impl api::GuestTokens for RemoteIdentity {
    async fn is_issued(&self, token: &str) -> anyhow::Result<bool> {
        self.0.call(paths::GUEST_TOKEN, token).await
    }
}
