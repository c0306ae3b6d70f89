//! Response bodies of the catalog (the reference's shapes, SPEC §4 additions).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, SeatId};
use serde::Serialize;

use crate::domain::{Event, EventStatus};
use crate::service::{EventSummary, GenerationSummary, SalesSummary, SeatMap, SectionSales};

/// An event with live counts (`GET /events`, `GET /events/{id}`, `GET /admin/events`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventDetailsResponse {
    id: EventId,
    name: String,
    description: String,
    event_date: DateTime<Utc>,
    venue: String,
    max_capacity: i64,
    base_price: Money,
    currency: String,
    is_active: bool,
    status: &'static str,
    total_seats: i64,
    available_seats: i64,
    reserved_seats: i64,
    sold_seats: i64,
    revenue: Money,
    /// The IANA time zone the event's dates are shown in.
    time_zone: String,
    /// When its seats go on sale; absent: on sale from the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    sales_start: Option<DateTime<Utc>>,
    /// When they come off sale; absent: when the event starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    sales_end: Option<DateTime<Utc>>,
    /// Whether a buyer may extend a hold once (`POST /reservations/{id}/extend`).
    hold_extension: bool,
}

pub(crate) type EventListItem = EventDetailsResponse;

impl From<EventSummary> for EventDetailsResponse {
    fn from(s: EventSummary) -> Self {
        let e = s.event;
        Self {
            id: e.id,
            name: e.name,
            description: e.description,
            event_date: e.event_date,
            venue: e.venue,
            max_capacity: e.max_capacity,
            base_price: e.base_price,
            currency: e.currency,
            is_active: e.status == EventStatus::Active,
            status: e.status.as_str(),
            total_seats: s.total_seats,
            available_seats: s.available_seats,
            reserved_seats: s.reserved_seats,
            sold_seats: s.sold_seats,
            revenue: s.revenue,
            time_zone: e.time_zone,
            sales_start: e.sales_start,
            sales_end: e.sales_end,
            hold_extension: e.hold_extension,
        }
    }
}

/// `GET /events/{id}/seatmap`; `name` repeats `eventName` because the seed's JavaScript reads it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeatMapResponse {
    event_id: EventId,
    event_name: String,
    name: String,
    event_description: String,
    event_date: DateTime<Utc>,
    venue: String,
    base_price: Money,
    currency: String,
    seats: Vec<SeatResponse>,
    /// The price categories (the legend), in the organiser's order; empty when the event
    /// prices by section only.
    categories: Vec<crate::Category>,
    /// Where the stage stands on a layout with positions (`x`, `y` in seat widths); absent:
    /// above the seats, in the middle.
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<crate::StagePoint>,
}

/// One seat of a seat map, fields in the contract's order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeatResponse {
    id: SeatId,
    section_code: String,
    row_number: i64,
    seat_number: i64,
    price: Money,
    status: &'static str,
    /// `wheelchair` (a space for a wheelchair) or `companion` (a seat beside one); absent for
    /// other seats.
    #[serde(skip_serializing_if = "Option::is_none")]
    access: Option<&'static str>,
    /// The seat's price category, when the event has categories.
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    /// Where the seat stands across, in seat widths, on a layout with positions.
    #[serde(skip_serializing_if = "Option::is_none")]
    x: Option<f64>,
    /// Where the seat stands away from the stage, in seat widths.
    #[serde(skip_serializing_if = "Option::is_none")]
    y: Option<f64>,
}

impl From<SeatMap> for SeatMapResponse {
    fn from(m: SeatMap) -> Self {
        Self {
            event_id: m.event.id,
            event_name: m.event.name.clone(),
            name: m.event.name,
            event_description: m.event.description,
            event_date: m.event.event_date,
            venue: m.event.venue,
            base_price: m.event.base_price,
            currency: m.event.currency,
            categories: m.categories,
            stage: m.event.stage.map(|(x, y)| crate::StagePoint { x, y }),
            seats: m
                .seats
                .into_iter()
                .map(|v| SeatResponse {
                    id: v.seat.id,
                    section_code: v.seat.section_code,
                    row_number: v.seat.row_number,
                    seat_number: v.seat.seat_number,
                    price: v.seat.price,
                    status: v.status,
                    access: v.seat.access.map(crate::SeatAccess::as_str),
                    category: v.seat.category,
                    x: v.seat.position.map(|p| p.0),
                    y: v.seat.position.map(|p| p.1),
                })
                .collect(),
        }
    }
}

/// An event as the admin API returns it after a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AdminEventResponse {
    id: EventId,
    name: String,
    description: String,
    event_date: DateTime<Utc>,
    venue: String,
    max_capacity: i64,
    base_price: Money,
    currency: String,
    status: &'static str,
    created_at: DateTime<Utc>,
    updated_at: Option<DateTime<Utc>>,
    time_zone: String,
    sales_start: Option<DateTime<Utc>>,
    sales_end: Option<DateTime<Utc>>,
    /// Whether a buyer may extend a hold once.
    hold_extension: bool,
}

impl From<&Event> for AdminEventResponse {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id,
            name: e.name.clone(),
            description: e.description.clone(),
            event_date: e.event_date,
            venue: e.venue.clone(),
            max_capacity: e.max_capacity,
            base_price: e.base_price,
            currency: e.currency.clone(),
            status: e.status.as_str(),
            created_at: e.created_at,
            updated_at: e.updated_at,
            time_zone: e.time_zone.clone(),
            sales_start: e.sales_start,
            sales_end: e.sales_end,
            hold_extension: e.hold_extension,
        }
    }
}

/// Answer to deactivate / reactivate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusChangeResponse {
    id: EventId,
    name: String,
    status: &'static str,
    updated_at: Option<DateTime<Utc>>,
    success: bool,
}

impl From<&Event> for StatusChangeResponse {
    fn from(e: &Event) -> Self {
        Self {
            id: e.id,
            name: e.name.clone(),
            status: e.status.as_str(),
            updated_at: e.updated_at,
            success: true,
        }
    }
}

/// Answer to seat generation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GenerationResponse {
    event_id: EventId,
    total_seats_generated: i64,
    section_summaries: Vec<SectionSummaryResponse>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SectionSummaryResponse {
    section_code: String,
    seats_generated: i64,
    seat_price: Money,
}

impl From<GenerationSummary> for GenerationResponse {
    fn from(g: GenerationSummary) -> Self {
        Self {
            event_id: g.event_id,
            total_seats_generated: g.total_seats_generated,
            section_summaries: g
                .sections
                .into_iter()
                .map(|s| SectionSummaryResponse {
                    section_code: s.section_code,
                    seats_generated: s.seats_generated,
                    seat_price: s.seat_price,
                })
                .collect(),
        }
    }
}

/// `GET /admin/events/{id}/sales`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SalesResponse {
    event_id: EventId,
    event_name: String,
    currency: String,
    total_seats: i64,
    sold_seats: i64,
    held_seats: i64,
    available_seats: i64,
    unavailable_seats: i64,
    /// Of the unavailable seats, those the organiser holds back.
    held_back_seats: i64,
    revenue: Money,
    sections: Vec<SectionSalesResponse>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SectionSalesResponse {
    section_code: String,
    total_seats: i64,
    sold: i64,
    held: i64,
    available: i64,
    unavailable: i64,
    held_back: i64,
    revenue: Money,
}

impl From<SectionSales> for SectionSalesResponse {
    fn from(s: SectionSales) -> Self {
        Self {
            section_code: s.section_code,
            total_seats: s.total_seats,
            sold: s.sold,
            held: s.held,
            available: s.available,
            unavailable: s.unavailable,
            held_back: s.held_back,
            revenue: s.revenue,
        }
    }
}

impl From<SalesSummary> for SalesResponse {
    fn from(s: SalesSummary) -> Self {
        Self {
            event_id: s.event.id,
            event_name: s.event.name,
            currency: s.event.currency,
            total_seats: s.total.total_seats,
            sold_seats: s.total.sold,
            held_seats: s.total.held,
            available_seats: s.total.available,
            unavailable_seats: s.total.unavailable,
            held_back_seats: s.total.held_back,
            revenue: s.total.revenue,
            sections: s
                .sections
                .into_iter()
                .map(SectionSalesResponse::from)
                .collect(),
        }
    }
}
