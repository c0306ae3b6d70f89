//! Read models the catalog answers with.

use chrono::{DateTime, Utc};
use kernel::{EventId, Money};
use std::collections::BTreeMap;

use crate::domain::{Event, Seat};
use crate::ports::EventCounts;

/// An event with its live seat counts.
#[derive(Debug, Clone)]
pub struct EventSummary {
    /// The event.
    pub event: Event,
    /// Seats laid out.
    pub total_seats: i64,
    /// Seats free to hold right now (0 when the event is not on sale).
    pub available_seats: i64,
    /// Seats under an active hold.
    pub reserved_seats: i64,
    /// Seats sold.
    pub sold_seats: i64,
    /// Sum of sold seats' prices.
    pub revenue: Money,
    /// The cheapest seat's price ("from …"), `None` before seats are laid out.
    pub lowest_price: Option<Money>,
}

impl EventSummary {
    pub(crate) fn new(event: Event, total: i64, counts: EventCounts, now: DateTime<Utc>) -> Self {
        let reserved = i64::try_from(counts.reserved).unwrap_or(i64::MAX);
        let sold = i64::try_from(counts.sold).unwrap_or(i64::MAX);
        let blocked = i64::try_from(counts.blocked).unwrap_or(i64::MAX);
        let available = if event.is_on_sale(now) {
            (total - reserved - sold - blocked).max(0)
        } else {
            0
        };
        Self {
            event,
            total_seats: total,
            available_seats: available,
            reserved_seats: reserved,
            sold_seats: sold,
            revenue: counts.revenue,
            lowest_price: None,
        }
    }
}

/// A seat with its status at this instant.
#[derive(Debug, Clone)]
pub struct SeatView {
    /// The seat.
    pub seat: Seat,
    /// `available`, `reserved`, `sold` or `unavailable` (buyers are not told why).
    pub status: &'static str,
    /// Whether the organiser holds it back (its status is then `unavailable`).
    pub held_back: bool,
}

/// An event's seats with their live status.
#[derive(Debug, Clone)]
pub struct SeatMap {
    /// The event.
    pub event: Event,
    /// Seats ordered by section, row and number.
    pub seats: Vec<SeatView>,
    /// The event's price categories, in the organiser's order (the map's legend).
    pub categories: Vec<crate::Category>,
}

/// What a seat-generation call created.
#[derive(Debug, Clone)]
pub struct GenerationSummary {
    /// The event.
    pub event_id: EventId,
    /// Seats created.
    pub total_seats_generated: i64,
    /// Per section.
    pub sections: Vec<SectionSummary>,
}

/// Seats created in one section.
#[derive(Debug, Clone)]
pub struct SectionSummary {
    /// Section code.
    pub section_code: String,
    /// Seats created.
    pub seats_generated: i64,
    /// Price of each.
    pub seat_price: Money,
}

/// Sales of an event, overall and per section.
#[derive(Debug, Clone)]
pub struct SalesSummary {
    /// The event.
    pub event: Event,
    /// All sections together.
    pub total: SectionSales,
    /// Per section, ordered by code.
    pub sections: Vec<SectionSales>,
}

/// Counts and revenue of one section (or of the whole event).
#[derive(Debug, Clone, Default)]
pub struct SectionSales {
    /// Section code (empty for the total).
    pub section_code: String,
    /// Seats laid out.
    pub total_seats: i64,
    /// Seats sold.
    pub sold: i64,
    /// Seats held.
    pub held: i64,
    /// Seats free to hold.
    pub available: i64,
    /// Seats not on sale (the event is not on sale, or the seat is held back).
    pub unavailable: i64,
    /// Of those, seats the organiser holds back.
    pub held_back: i64,
    /// Sum of sold seats' prices.
    pub revenue: Money,
}

impl SectionSales {
    fn add(&mut self, seat: &SeatView) {
        self.total_seats += 1;
        match seat.status {
            "sold" => {
                self.sold += 1;
                self.revenue = self.revenue + seat.seat.price;
            }
            "reserved" => self.held += 1,
            "available" => self.available += 1,
            _ => self.unavailable += 1,
        }
        if seat.held_back {
            self.held_back += 1;
        }
    }
}

impl SalesSummary {
    pub(crate) fn from_seat_map(map: SeatMap) -> Self {
        let mut total = SectionSales::default();
        let mut sections: BTreeMap<String, SectionSales> = BTreeMap::new();
        for seat in &map.seats {
            total.add(seat);
            sections
                .entry(seat.seat.section_code.clone())
                .or_insert_with(|| SectionSales {
                    section_code: seat.seat.section_code.clone(),
                    ..SectionSales::default()
                })
                .add(seat);
        }
        Self {
            event: map.event,
            total,
            sections: sections.into_values().collect(),
        }
    }
}
