//! Where each seat is drawn: the one layout used by the event page and by the admin's preview.
//!
//! The stage is at the top. Sections are stacked below it in `inventory::stage_order` (dearest
//! first: the order best-available fills them in); inside a section rows go away from the stage
//! and each row is centred.

use std::collections::{BTreeMap, HashSet};

use kernel::{Money, SeatId};

use crate::view;

/// Distance between seat centres.
const PITCH: i64 = 18;
/// Room for a section's name above its rows.
const SECTION_HEAD: i64 = 26;
const MARGIN: i64 = 20;
const STAGE_HEIGHT: i64 = 34;

/// One seat to draw.
#[derive(Debug, Clone)]
pub(crate) struct SeatSpec {
    pub(crate) id: Option<SeatId>,
    pub(crate) section: String,
    pub(crate) row: i64,
    pub(crate) number: i64,
    pub(crate) price: Money,
    /// `available`, `reserved`, `sold`, `unavailable` or `mine`.
    pub(crate) status: &'static str,
}

/// A seat placed on the map.
#[derive(Debug, Clone)]
pub(crate) struct Dot {
    pub(crate) id: String,
    pub(crate) x: i64,
    pub(crate) y: i64,
    pub(crate) status: &'static str,
    pub(crate) label: String,
    pub(crate) price: String,
}

/// A section's name on the map.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub(crate) text: String,
    pub(crate) x: i64,
    pub(crate) y: i64,
}

/// The whole map, in SVG user units.
#[derive(Debug, Clone)]
pub(crate) struct SeatMapView {
    pub(crate) width: i64,
    pub(crate) height: i64,
    pub(crate) stage_x: i64,
    pub(crate) stage_width: i64,
    pub(crate) labels: Vec<Label>,
    pub(crate) dots: Vec<Dot>,
}

/// Lays out `seats` (any order) priced in `currency`.
pub(crate) fn layout(seats: &[SeatSpec], currency: &str) -> SeatMapView {
    // section -> row -> seats of the row
    let mut sections: BTreeMap<&str, BTreeMap<i64, Vec<&SeatSpec>>> = BTreeMap::new();
    for seat in seats {
        sections
            .entry(&seat.section)
            .or_default()
            .entry(seat.row)
            .or_default()
            .push(seat);
    }
    let mut order: Vec<(&str, BTreeMap<i64, Vec<&SeatSpec>>)> = sections.into_iter().collect();
    let dearest = |rows: &BTreeMap<i64, Vec<&SeatSpec>>| {
        rows.values()
            .flatten()
            .map(|s| s.price.cents())
            .max()
            .unwrap_or(0)
    };
    order.sort_by(|a, b| {
        inventory::stage_order(
            (a.0, Money::from_cents(dearest(&a.1))),
            (b.0, Money::from_cents(dearest(&b.1))),
        )
    });

    let widest = order
        .iter()
        .flat_map(|(_, rows)| rows.values().map(Vec::len))
        .max()
        .unwrap_or(0) as i64;
    let width = (widest * PITCH).max(240) + 2 * MARGIN;
    let stage_width = (width - 2 * MARGIN).min(420);
    let mut y = MARGIN + STAGE_HEIGHT + 16;
    let mut labels = Vec::new();
    let mut dots = Vec::with_capacity(seats.len());
    for (code, rows) in &order {
        labels.push(Label {
            text: format!("Section {code}"),
            x: width / 2,
            y: y + 14,
        });
        y += SECTION_HEAD;
        for row in rows.values() {
            let mut row = row.clone();
            row.sort_by_key(|s| s.number);
            let start = (width - row.len() as i64 * PITCH) / 2 + PITCH / 2;
            for (i, seat) in row.iter().enumerate() {
                dots.push(Dot {
                    id: seat.id.map(|id| id.to_string()).unwrap_or_default(),
                    x: start + i as i64 * PITCH,
                    y: y + PITCH / 2,
                    status: seat.status,
                    label: view::seat_label(&seat.section, seat.row, seat.number),
                    price: view::price(seat.price, currency),
                });
            }
            y += PITCH;
        }
        y += 10;
    }
    SeatMapView {
        width,
        height: y + MARGIN,
        stage_x: (width - stage_width) / 2,
        stage_width,
        labels,
        dots,
    }
}

/// The sections of `seats` nearest the stage first, each as (code, "Section A · 50.00 USD ·
/// 12 free"), for the best-available form.
pub(crate) fn sections(seats: &[SeatSpec], currency: &str) -> Vec<(String, String)> {
    // code -> (cheapest, dearest, free)
    let mut by_code: BTreeMap<&str, (Money, Money, usize)> = BTreeMap::new();
    for s in seats {
        let e = by_code.entry(&s.section).or_insert((s.price, s.price, 0));
        e.0 = e.0.min(s.price);
        e.1 = e.1.max(s.price);
        e.2 += usize::from(s.status == "available");
    }
    let mut order: Vec<(&str, (Money, Money, usize))> = by_code.into_iter().collect();
    order.sort_by(|a, b| inventory::stage_order((a.0, a.1.1), (b.0, b.1.1)));
    order
        .into_iter()
        .map(|(code, (low, high, free))| {
            let prices = if low == high {
                view::price(low, currency)
            } else {
                format!(
                    "{}–{}",
                    view::price(low, currency),
                    view::price(high, currency)
                )
            };
            (
                code.to_string(),
                format!("Section {code} · {prices} · {free} free"),
            )
        })
        .collect()
}

/// The seats' statuses with the visitor's own holds marked `mine`.
pub(crate) fn status_of(
    status: &'static str,
    seat: SeatId,
    mine: &HashSet<SeatId>,
) -> &'static str {
    if mine.contains(&seat) { "mine" } else { status }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(section: &str, row: i64, number: i64, cents: i64) -> SeatSpec {
        SeatSpec {
            id: None,
            section: section.into(),
            row,
            number,
            price: Money::from_cents(cents),
            status: "available",
        }
    }

    #[test]
    fn dearest_section_is_nearest_the_stage_and_rows_are_centred() {
        let seats = vec![
            seat("A", 1, 1, 5000),
            seat("A", 1, 2, 5000),
            seat("VIP", 1, 1, 7500),
        ];
        let map = layout(&seats, "USD");
        assert_eq!(map.labels[0].text, "Section VIP");
        let vip = &map.dots[0];
        assert_eq!(vip.label, "VIP · row 1 · seat 1");
        assert_eq!(vip.x, map.width / 2, "a lone seat sits in the middle");
        let (a1, a2) = (&map.dots[1], &map.dots[2]);
        assert!(a1.y > vip.y);
        assert_eq!(a2.x - a1.x, PITCH);
        assert_eq!(a1.x + a2.x, map.width, "the row is centred");
    }
}
