//! Catalog: events, their venues, seat layouts and prices.
//!
//! Tables: `catalog_events`, `catalog_seats`, `catalog_categories`.
//! Events out: `seats-generated` (seats to sell), `event-status-changed` (deactivated or
//! reactivated). Events in: none. Seat *status* belongs to inventory and is read through the
//! [`SeatAvailability`] port at the instant of each request (SPEC §4: read-your-writes); open
//! seat maps follow it live through `live.rs` (`GET /events/{id}/seatmap/stream`).

mod demo;
mod domain;
mod error;
mod events;
mod http;
mod live;
mod ports;
mod queries;
mod service;
mod store;

pub use demo::load_demo_catalogue;
pub use domain::layout::{Category, ImportedSeat, MIN_GAP};
pub use domain::{Event, EventStatus, Seat, SeatAccess};
pub use error::CatalogError;
pub use events::{
    EventRescheduled, EventStatusChanged, GeneratedSeat, SeatPricesChanged, SeatsGenerated,
};
pub use http::{openapi, router};
pub use ports::{EventCounts, SeatAvailability, TakenState};
pub use queries::{CatalogQueries, SeatListing};
pub use service::{
    CatalogService, EventInput, EventSummary, EventUpdate, GenerationSummary, LayoutDocument,
    LayoutImport, SalesSummary, SeatMap, SeatView, SectionConfiguration, SectionPrice,
    SectionSales, SectionSummary, StagePoint,
};
