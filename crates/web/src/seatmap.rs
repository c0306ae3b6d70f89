//! Where each seat is drawn: the one layout used by the event page and by the admin's preview.
//!
//! A layout with positions (`catalog`'s `domain/layout.rs`: placed, curved or imported
//! sections) is drawn where its seats stand, one seat width to [`PITCH`], with the stage where
//! the layout puts it (`inventory::stage_point`). Otherwise the stage is at the top and
//! sections are stacked below it in `inventory::stage_order` (dearest
//! first: the order best-available fills them in); inside a section rows go away from the stage
//! and each row is centred.
//!
//! One SVG unit is one CSS pixel at the map's natural size, and seat centres are [`PITCH`]
//! apart, so at that size (what zooming into a section shows) every seat is a touch target of
//! at least 24 px that does not overlap its neighbours. A seat's state is told by its glyph as
//! well as its colour, and its words (section, row, seat, price, state) are its accessible
//! name. A venue too large to draw seat by seat in one page ([`OVERVIEW_ABOVE`]) is drawn as its
//! sections, each a link to the map of that section alone.

use std::collections::{BTreeMap, HashSet};

use kernel::{Money, SeatId};

use crate::view;

/// Distance between seat centres.
const PITCH: i64 = 26;
// Touch targets of at least 24 px at natural size, not overlapping.
const _: () = assert!(PITCH >= 24);
/// Room for a section's name above its rows.
const SECTION_HEAD: i64 = 30;
/// Distance between seat places on an overview, which draws each section as one box.
const OVERVIEW_PITCH: i64 = 8;
const MARGIN: i64 = 20;
const STAGE_HEIGHT: i64 = 34;
/// Venues with more seats than this are first shown as an overview of their sections.
pub(crate) const OVERVIEW_ABOVE: usize = 2_500;

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
    /// `wheelchair` or `companion`, for places marked for those who need them.
    pub(crate) access: Option<&'static str>,
    /// Its price category: (name, colour).
    pub(crate) category: Option<(String, String)>,
    /// Where it stands, in seat widths, on a layout with positions.
    pub(crate) position: Option<(f64, f64)>,
    /// Its place in the event's seat order (the live stream's compact form names it so).
    pub(crate) index: usize,
}

/// A seat placed on the map.
#[derive(Debug, Clone)]
pub(crate) struct Dot {
    pub(crate) id: String,
    pub(crate) x: i64,
    pub(crate) y: i64,
    pub(crate) status: &'static str,
    /// `A · row 1 · seat 3`.
    pub(crate) label: String,
    pub(crate) price: String,
    pub(crate) access: Option<&'static str>,
    /// The row's index on the whole map (for moving between rows by keyboard).
    pub(crate) row: usize,
    /// The state's glyph, an SVG path around the seat's centre.
    pub(crate) glyph: &'static str,
    /// Everything a screen reader says about the seat.
    pub(crate) aria: String,
    /// The colour of its category (a free seat is drawn in it).
    pub(crate) colour: Option<String>,
    /// Its place in the event's seat order.
    pub(crate) index: usize,
}

/// A section's name on the map.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub(crate) text: String,
    pub(crate) x: i64,
    pub(crate) y: i64,
}

/// A section of the overview: where it is, how full, what it costs, and the link to its seats.
#[derive(Debug, Clone)]
pub(crate) struct SectionBox {
    pub(crate) code: String,
    pub(crate) x: i64,
    pub(crate) y: i64,
    pub(crate) width: i64,
    pub(crate) height: i64,
    /// `312 of 400 free · $40.00–$55.00`.
    pub(crate) summary: String,
    /// How full it is, for its shade: `none`, `few`, `some`, `many`.
    pub(crate) fill: &'static str,
}

/// The whole map, in SVG user units.
#[derive(Debug, Clone)]
pub(crate) struct SeatMapView {
    pub(crate) width: i64,
    pub(crate) height: i64,
    pub(crate) stage_x: i64,
    pub(crate) stage_y: i64,
    pub(crate) stage_width: i64,
    pub(crate) labels: Vec<Label>,
    pub(crate) dots: Vec<Dot>,
    /// Only on an overview: the sections, instead of their seats.
    pub(crate) boxes: Vec<SectionBox>,
}

/// The words and glyph of a seat's state (the map's script has the same table).
pub(crate) fn state_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "mine" => ("in your cart", "M-4.5 0.5 L-1.5 3.5 L4.5 -3.5"),
        "reserved" => ("held by someone", "M-4 4 L4 -4"),
        "sold" => ("sold", "M-4 -4 L4 4 M4 -4 L-4 4"),
        "unavailable" => ("not on sale", "M-4.5 0 L4.5 0"),
        _ => ("free", ""),
    }
}

/// Lays out `seats` (any order) priced in `currency`, seat by seat; `stage` is where the stage
/// stands on a layout with positions.
pub(crate) fn layout(seats: &[SeatSpec], currency: &str, stage: Option<(f64, f64)>) -> SeatMapView {
    match stage {
        Some(stage) if seats.iter().all(|s| s.position.is_some()) => {
            place_positioned(seats, currency, stage, false)
        }
        _ => place(seats, currency, false),
    }
}

/// Lays out `seats` as an overview: one box per section, no seats.
pub(crate) fn overview(
    seats: &[SeatSpec],
    currency: &str,
    stage: Option<(f64, f64)>,
) -> SeatMapView {
    match stage {
        Some(stage) if seats.iter().all(|s| s.position.is_some()) => {
            place_positioned(seats, currency, stage, true)
        }
        _ => place(seats, currency, true),
    }
}

/// Half the height of the stage's box.
const STAGE_HALF: f64 = 17.0;
/// Half the width of the stage's box on a layout with positions.
const STAGE_HALF_WIDTH: f64 = 110.0;

/// A layout with positions: each seat where it stands, the stage where it stands; on an
/// overview each section is the box around its seats (scaled so the smallest is readable).
fn place_positioned(
    seats: &[SeatSpec],
    currency: &str,
    stage: (f64, f64),
    boxes_only: bool,
) -> SeatMapView {
    let order = in_stage_order(seats);
    let spans = |rows: &Rows<'_>| {
        let mut b = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in rows.values().flatten().filter_map(|s| s.position) {
            b = (b.0.min(x), b.1.max(x), b.2.min(y), b.3.max(y));
        }
        b
    };
    // Seat widths to pixels: a seat's own pitch, or on an overview the scale at which the
    // narrowest section's box holds its two lines of words.
    let unit = if boxes_only {
        let narrowest = order
            .iter()
            .map(|(_, rows)| {
                let b = spans(rows);
                b.1 - b.0 + 1.0
            })
            .fold(f64::MAX, f64::min);
        (220.0 / narrowest).clamp(OVERVIEW_PITCH as f64, PITCH as f64)
    } else {
        PITCH as f64
    };
    let at = |(x, y): (f64, f64)| (x * unit, y * unit);
    let (stage_x, stage_y) = at(stage);
    // Everything drawn, before moving it into the picture: seats (± a target), boxes, stage.
    let pad = if boxes_only { 4.0 } else { 13.0 };
    let mut min = (stage_x - STAGE_HALF_WIDTH, stage_y - STAGE_HALF);
    let mut max = (stage_x + STAGE_HALF_WIDTH, stage_y + STAGE_HALF);
    // (Room below each seat for a section's name: it is written under its section, where
    // the gap to the next one is, since curved rows reach up beside the ones before.)
    for (x, y) in seats.iter().filter_map(|s| s.position).map(at) {
        min = (min.0.min(x - pad), min.1.min(y - pad));
        max = (max.0.max(x + pad), max.1.max(y + pad + 22.0));
    }
    let shift = |(x, y): (f64, f64)| {
        (
            (x - min.0).round() as i64 + MARGIN,
            (y - min.1).round() as i64 + MARGIN,
        )
    };
    let mut labels = Vec::new();
    let mut dots = Vec::with_capacity(if boxes_only { 0 } else { seats.len() });
    let mut boxes = Vec::new();
    let mut row_index = 0;
    for (code, rows) in &order {
        let b = spans(rows);
        let (left, top) = shift(at((b.0, b.2)));
        let (right, bottom) = shift(at((b.1, b.3)));
        if boxes_only {
            let p = pad as i64;
            boxes.push(section_box(
                code,
                rows,
                currency,
                left - p,
                top - p,
                right - left + 2 * p,
                bottom - top + 2 * p,
            ));
            continue;
        }
        labels.push(Label {
            text: format!("Section {code}"),
            x: (left + right) / 2,
            y: bottom + 26,
        });
        for row in rows.values() {
            let mut row = row.clone();
            row.sort_by_key(|s| s.number);
            for seat in row {
                let (x, y) = shift(at(seat.position.unwrap_or_default()));
                dots.push(dot(seat, currency, x, y, row_index));
            }
            row_index += 1;
        }
    }
    let (sx, sy) = shift((stage_x, stage_y));
    let half = STAGE_HALF as i64;
    SeatMapView {
        width: (max.0 - min.0).round() as i64 + 2 * MARGIN,
        height: (max.1 - min.1).round() as i64 + 2 * MARGIN,
        stage_x: sx - STAGE_HALF_WIDTH as i64,
        stage_y: sy - half,
        stage_width: 2 * STAGE_HALF_WIDTH as i64,
        labels,
        dots,
        boxes,
    }
}

/// A section's dearest seat (its place in `inventory::stage_order`).
fn dearest(rows: &Rows<'_>) -> Money {
    rows.values()
        .flatten()
        .map(|s| s.price)
        .max()
        .unwrap_or(Money::ZERO)
}

type Rows<'a> = BTreeMap<i64, Vec<&'a SeatSpec>>;

/// `seats` by section and row, sections in `inventory::stage_order`.
fn in_stage_order(seats: &[SeatSpec]) -> Vec<(&str, Rows<'_>)> {
    let mut sections: BTreeMap<&str, Rows<'_>> = BTreeMap::new();
    for seat in seats {
        sections
            .entry(&seat.section)
            .or_default()
            .entry(seat.row)
            .or_default()
            .push(seat);
    }
    let mut order: Vec<(&str, Rows<'_>)> = sections.into_iter().collect();
    order.sort_by(|a, b| inventory::stage_order((a.0, dearest(&a.1)), (b.0, dearest(&b.1))));
    order
}

fn place(seats: &[SeatSpec], currency: &str, boxes_only: bool) -> SeatMapView {
    let order = in_stage_order(seats);

    let (pitch, head) = if boxes_only {
        (OVERVIEW_PITCH, 10)
    } else {
        (PITCH, SECTION_HEAD)
    };
    let widest = order
        .iter()
        .flat_map(|(_, rows)| rows.values().map(Vec::len))
        .max()
        .unwrap_or(0) as i64;
    let width = (widest * pitch).max(240) + 2 * MARGIN;
    let stage_width = (width - 2 * MARGIN).min(420);
    let mut y = MARGIN + STAGE_HEIGHT + 16;
    let mut labels = Vec::new();
    let mut dots = Vec::with_capacity(if boxes_only { 0 } else { seats.len() });
    let mut boxes = Vec::new();
    let mut row_index = 0;
    for (code, rows) in &order {
        let top = y;
        labels.push(Label {
            text: format!("Section {code}"),
            x: width / 2,
            y: y + 18,
        });
        y += head;
        let section_width = rows.values().map(Vec::len).max().unwrap_or(0) as i64 * pitch;
        for row in rows.values() {
            if !boxes_only {
                let mut row = row.clone();
                row.sort_by_key(|s| s.number);
                let start = (width - row.len() as i64 * PITCH) / 2 + PITCH / 2;
                for (i, seat) in row.iter().enumerate() {
                    dots.push(dot(
                        seat,
                        currency,
                        start + i as i64 * PITCH,
                        y + PITCH / 2,
                        row_index,
                    ));
                }
            }
            row_index += 1;
            y += pitch;
        }
        if boxes_only {
            // At least room for its two lines of words.
            let (box_width, box_height) = (section_width.max(220), (y - top).max(56));
            y = top + box_height;
            let x = (width - box_width) / 2;
            boxes.push(section_box(
                code, rows, currency, x, top, box_width, box_height,
            ));
        }
        y += 12;
    }
    SeatMapView {
        width,
        height: y + MARGIN,
        stage_x: (width - stage_width) / 2,
        stage_y: MARGIN,
        stage_width,
        labels: if boxes_only { Vec::new() } else { labels },
        dots,
        boxes,
    }
}

fn dot(seat: &SeatSpec, currency: &str, x: i64, y: i64, row: usize) -> Dot {
    let price = view::price(seat.price, currency);
    let (words, glyph) = state_words(seat.status);
    let access = match seat.access {
        Some("wheelchair") => ", wheelchair space",
        Some("companion") => ", companion seat",
        _ => "",
    };
    let category = seat
        .category
        .as_ref()
        .map_or(String::new(), |(name, _)| format!("{name}, "));
    Dot {
        id: seat.id.map(|id| id.to_string()).unwrap_or_default(),
        x,
        y,
        status: seat.status,
        label: view::seat_label(&seat.section, seat.row, seat.number),
        aria: format!(
            "Section {}, row {}, seat {}, {category}{price}{access}: {words}",
            seat.section, seat.row, seat.number
        ),
        price: format!("{category}{price}"),
        colour: seat.category.as_ref().map(|(_, colour)| colour.clone()),
        index: seat.index,
        access: seat.access,
        row,
        glyph,
    }
}

fn section_box(
    code: &str,
    rows: &Rows<'_>,
    currency: &str,
    x: i64,
    y: i64,
    width: i64,
    height: i64,
) -> SectionBox {
    let seats: Vec<&SeatSpec> = rows.values().flatten().copied().collect();
    let free = seats.iter().filter(|s| s.status == "available").count();
    let low = seats.iter().map(|s| s.price).min().unwrap_or(Money::ZERO);
    let high = seats.iter().map(|s| s.price).max().unwrap_or(Money::ZERO);
    let share = free as f64 / seats.len().max(1) as f64;
    SectionBox {
        code: code.to_string(),
        x,
        y,
        width,
        height,
        summary: format!(
            "{free} of {} free · {}",
            seats.len(),
            price_range(low, high, currency)
        ),
        fill: match share {
            s if s <= 0.0 => "none",
            s if s < 0.2 => "few",
            s if s < 0.6 => "some",
            _ => "many",
        },
    }
}

fn price_range(low: Money, high: Money, currency: &str) -> String {
    if low == high {
        view::price(low, currency)
    } else {
        format!(
            "{}–{}",
            view::price(low, currency),
            view::price(high, currency)
        )
    }
}

/// The sections of `seats` nearest the stage first, each as (code, "Section A · $50.00 ·
/// 12 free"), for the best-available form and the price legend.
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
            let prices = price_range(low, high, currency);
            (
                code.to_string(),
                format!("Section {code} · {prices} · {free} free"),
            )
        })
        .collect()
}

/// The legend of an event priced by category: (name, colour, "Stalls · $80.00 · 12 free"), in
/// the organiser's order.
pub(crate) fn categories(
    categories: &[catalog::Category],
    seats: &[SeatSpec],
    currency: &str,
) -> Vec<(String, String, String)> {
    categories
        .iter()
        .map(|c| {
            let free = seats
                .iter()
                .filter(|s| s.status == "available")
                .filter(|s| s.category.as_ref().is_some_and(|(name, _)| *name == c.name))
                .count();
            let price = view::price(c.price, currency);
            (
                c.name.clone(),
                c.colour.clone(),
                format!("{} · {price} · {free} free", c.name),
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
            access: None,
            category: None,
            position: None,
            index: 0,
        }
    }

    #[test]
    fn dearest_section_is_nearest_the_stage_and_rows_are_centred() {
        let seats = vec![
            seat("A", 1, 1, 5000),
            seat("A", 1, 2, 5000),
            seat("VIP", 1, 1, 7500),
        ];
        let map = layout(&seats, "USD", None);
        assert_eq!(map.labels[0].text, "Section VIP");
        let vip = &map.dots[0];
        assert_eq!(vip.label, "VIP · row 1 · seat 1");
        assert_eq!(vip.aria, "Section VIP, row 1, seat 1, $75.00: free");
        assert_eq!(vip.x, map.width / 2, "a lone seat sits in the middle");
        let (a1, a2) = (&map.dots[1], &map.dots[2]);
        assert!(a1.y > vip.y);
        assert_eq!((vip.row, a1.row, a2.row), (0, 1, 1));
        assert_eq!(a2.x - a1.x, PITCH);
        assert_eq!(a1.x + a2.x, map.width, "the row is centred");
    }

    #[test]
    fn an_overview_has_one_box_per_section_with_its_availability_and_prices() {
        let mut seats = vec![
            seat("A", 1, 1, 5000),
            seat("A", 1, 2, 6000),
            seat("VIP", 1, 1, 9000),
        ];
        seats[1].status = "sold";
        let map = overview(&seats, "USD", None);
        assert!(map.dots.is_empty());
        assert_eq!(map.boxes.len(), 2);
        assert_eq!(map.boxes[0].code, "VIP");
        assert_eq!(map.boxes[1].summary, "1 of 2 free · $50.00–$60.00");
    }

    #[test]
    fn a_layout_with_positions_is_drawn_where_its_seats_stand() {
        let mut seats = vec![
            seat("A", 1, 1, 5000),
            seat("A", 1, 2, 5000),
            seat("B", 1, 1, 4000),
        ];
        seats[0].position = Some((0.0, 0.0));
        seats[1].position = Some((1.0, 0.5));
        seats[2].position = Some((10.0, 4.0));
        seats[0].category = Some(("Stalls".into(), "#1f77b4".into()));
        let stage = inventory::stage_point(seats.iter().filter_map(|s| s.position), None);
        let map = layout(&seats, "USD", stage);
        let (a1, a2, b1) = (&map.dots[0], &map.dots[1], &map.dots[2]);
        assert_eq!((a2.x - a1.x, a2.y - a1.y), (PITCH, PITCH / 2));
        assert_eq!((b1.x - a1.x, b1.y - a1.y), (10 * PITCH, 4 * PITCH));
        assert_eq!(a1.aria, "Section A, row 1, seat 1, Stalls, $50.00: free");
        assert_eq!(a1.colour.as_deref(), Some("#1f77b4"));
        // The stage stands above the seats, in the middle of them.
        assert!(map.stage_y + 2 * STAGE_HALF as i64 <= a1.y - 12);
        assert_eq!(map.stage_x + map.stage_width / 2, (a1.x + b1.x) / 2);
        let boxes = overview(&seats, "USD", stage);
        assert_eq!(boxes.boxes.len(), 2);
        // Without positions for every seat the stacked layout is drawn.
        seats[2].position = None;
        assert_eq!(layout(&seats, "USD", stage).stage_y, MARGIN);
    }
}
