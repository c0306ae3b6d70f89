//! The demo catalogue of SPEC §9: the seed page's Coldplay event and the original's five seed
//! events, with fixed ids so the documentation's examples work verbatim.

use chrono::{DateTime, Duration, DurationRound, Utc};
use kernel::{EventId, Money, SeatId};
use md5::{Digest, Md5};
use uuid::Uuid;

use crate::domain::layout::{Category, SectionShape};
use crate::domain::{Event, EventStatus, Seat};
use crate::{CatalogError, CatalogService};

/// A row band of a seed event: rows `first..=last` form `section` at `price` (in whole units).
struct Band(i64, i64, &'static str, i64);

struct SeedEvent {
    id: &'static str,
    /// A hall of curved rows with a price category per band ((name, colour), band by band),
    /// to show a layout beyond rectangles; `None`: straight rows priced by section.
    theatre: Option<&'static [(&'static str, &'static str)]>,
    name: &'static str,
    description: &'static str,
    venue: &'static str,
    days_ahead: i64,
    base_price: i64,
    bands: &'static [Band],
}

const SEATS_PER_ROW: i64 = 100;

/// The original's `infra/db/seed-data.sql`, with its intended 100 seats per row.
const SEED_EVENTS: [SeedEvent; 5] = [
    SeedEvent {
        id: "11111111-1111-1111-1111-111111111111",
        theatre: None,
        name: "Concierto Jazz Noche",
        description: "Una noche de jazz contemporáneo con artistas internacionales",
        venue: "Teatro Nacional",
        days_ahead: 7,
        base_price: 200_000,
        bands: &[
            Band(1, 2, "VIP", 250_000),
            Band(3, 5, "FRONT", 180_000),
            Band(6, 8, "BACK", 120_000),
        ],
    },
    SeedEvent {
        id: "22222222-2222-2222-2222-222222222222",
        theatre: Some(&[
            ("Platea VIP", "#7a5af8"),
            ("Preferencia", "#1f77b4"),
            ("General", "#0e9384"),
        ]),
        name: "Teatro: La Vida es Bella",
        description: "Adaptación teatral de la novela clásica",
        venue: "Centro Cultural",
        days_ahead: 14,
        base_price: 150_000,
        bands: &[
            Band(1, 3, "VIPFRONT", 200_000),
            Band(4, 6, "PREMIUM", 150_000),
            Band(7, 12, "GENERAL", 100_000),
        ],
    },
    SeedEvent {
        id: "33333333-3333-3333-3333-333333333333",
        theatre: None,
        name: "Match de Fútbol: Local vs Internacional",
        description: "Partido amistoso de clasificación",
        venue: "Estadio Central",
        days_ahead: 21,
        base_price: 180_000,
        bands: &[
            Band(1, 5, "PLATEA_VIP", 250_000),
            Band(6, 15, "PLATEA", 180_000),
            Band(16, 25, "BALCON", 120_000),
        ],
    },
    SeedEvent {
        id: "44444444-4444-4444-4444-444444444444",
        theatre: None,
        name: "Conferencia Tecnología 2026",
        description: "Charlas sobre tendencias en software",
        venue: "Convention Center",
        days_ahead: 30,
        base_price: 120_000,
        bands: &[Band(1, 5, "MAIN", 150_000)],
    },
    SeedEvent {
        id: "55555555-5555-5555-5555-555555555555",
        theatre: None,
        name: "Concierto Rock Nacional",
        description: "Festival con bandas locales e internacionales",
        venue: "Arena Metropolitana",
        days_ahead: 45,
        base_price: 250_000,
        bands: &[
            Band(1, 10, "TRIBUNA_A", 300_000),
            Band(11, 25, "TRIBUNA_B", 250_000),
            Band(26, 50, "GENERAL", 200_000),
        ],
    },
];

/// The seed page's event id.
const COLDPLAY: &str = "550e8400-e29b-41d4-a716-446655440000";

/// Loads the demo catalogue when the catalogue is empty; returns whether it did.
///
/// # Errors
/// When writing fails.
pub async fn load_demo_catalogue(service: &CatalogService) -> Result<bool, CatalogError> {
    if !service.is_empty().await? {
        return Ok(false);
    }
    let now = service.now();
    let midnight = now.duration_trunc(Duration::days(1)).unwrap_or(now);
    let (event, seats) = coldplay(midnight + Duration::days(10) + Duration::hours(23));
    service.insert_event_with_seats(&event, &seats).await?;
    for seed in &SEED_EVENTS {
        let (event, seats) = seed_event(
            seed,
            midnight + Duration::days(seed.days_ahead) + Duration::hours(20),
            now,
        );
        service.insert_event_with_seats(&event, &seats).await?;
        if let Some(names) = seed.theatre {
            let categories: Vec<Category> = names
                .iter()
                .zip(seed.bands)
                .map(|(&(name, colour), band)| Category {
                    name: name.into(),
                    colour: colour.into(),
                    price: Money::from_cents(band.3 * 100),
                })
                .collect();
            service.set_categories(event.id, &categories).await?;
        }
    }
    Ok(true)
}

fn event(
    id: &str,
    name: &str,
    description: &str,
    venue: &str,
    date: DateTime<Utc>,
    capacity: i64,
    base: Money,
) -> Event {
    Event {
        id: EventId(Uuid::parse_str(id).unwrap_or_default()),
        name: name.into(),
        description: description.into(),
        event_date: date,
        venue: venue.into(),
        max_capacity: capacity,
        base_price: base,
        currency: "USD".into(),
        status: EventStatus::Active,
        created_at: date - Duration::days(60),
        updated_at: None,
        time_zone: "UTC".into(),
        sales_start: None,
        sales_end: None,
        // The demo shows every buyer's option: one extension of a hold.
        hold_extension: true,
        stage: None,
    }
}

/// The seed page's event: sections A (50.00), B (40.00) and VIP (75.00); the seats the
/// documentation names keep their ids (`…440001`–`…440003` = A-1-1..3, `…440004` = VIP-1-1).
fn coldplay(date: DateTime<Utc>) -> (Event, Vec<Seat>) {
    let base = Money::from_cents(5_000);
    let e = event(
        COLDPLAY,
        "Coldplay - Live in Santiago",
        "World tour 2026",
        "Estadio Nacional, Santiago",
        date,
        500,
        base,
    );
    let mut seats = Vec::new();
    for (section, rows, per_row, price) in [
        ("A", 10, 20, 5_000),
        ("B", 10, 20, 4_000),
        ("VIP", 2, 10, 7_500),
    ] {
        for row in 1..=rows {
            for number in 1..=per_row {
                let documented = match (section, row, number) {
                    ("A", 1, n @ 1..=3) => Some(format!("550e8400-e29b-41d4-a716-44665544000{n}")),
                    ("VIP", 1, 1) => Some("550e8400-e29b-41d4-a716-446655440004".to_string()),
                    _ => None,
                };
                let id = documented
                    .and_then(|d| Uuid::parse_str(&d).ok())
                    .unwrap_or_else(|| {
                        md5_uuid(&format!("seat-550e8400-{section}-{row}-{number}"))
                    });
                seats.push(Seat {
                    id: SeatId(id),
                    event_id: e.id,
                    section_code: section.into(),
                    row_number: row,
                    seat_number: number,
                    price: Money::from_cents(price),
                    access: None,
                    category: None,
                    position: None,
                });
            }
        }
    }
    (e, seats)
}

fn seed_event(seed: &SeedEvent, date: DateTime<Utc>, _now: DateTime<Utc>) -> (Event, Vec<Seat>) {
    let rows = seed.bands.iter().map(|b| b.1).max().unwrap_or(0);
    let capacity = rows * SEATS_PER_ROW;
    let e = event(
        seed.id,
        seed.name,
        seed.description,
        seed.venue,
        date,
        capacity,
        Money::from_cents(seed.base_price * 100),
    );
    let mut e = e;
    let prefix = &seed.id[..8];
    let mut seats = Vec::with_capacity(capacity as usize);
    for (b, band) in seed.bands.iter().enumerate() {
        // In the theatre, rows are arcs around one point in front of the stage, each band a
        // seat width behind the one before (its aisle).
        let shape = seed.theatre.map(|_| {
            let first = (band.0 - 1) as f64 + b as f64;
            SectionShape {
                y: first,
                curve: THEATRE_RADIUS + first,
                ..SectionShape::default()
            }
        });
        let places: Vec<(i64, i64, f64, f64)> = match &shape {
            Some(shape) => shape.place(band.1 - band.0 + 1, SEATS_PER_ROW),
            None => Vec::new(),
        };
        let category = seed
            .theatre
            .and_then(|names| names.get(b))
            .map(|(name, _)| (*name).to_string());
        for row in band.0..=band.1 {
            for number in 1..=SEATS_PER_ROW {
                let position = places
                    .iter()
                    .find(|p| p.0 == row - band.0 + 1 && p.1 == number)
                    .map(|p| (p.2, p.3));
                seats.push(Seat {
                    id: SeatId(md5_uuid(&format!("seat-{prefix}-{row}-{number}"))),
                    event_id: e.id,
                    section_code: band.2.into(),
                    row_number: row,
                    seat_number: number,
                    price: Money::from_cents(band.3 * 100),
                    access: None,
                    category: category.clone(),
                    position,
                });
            }
        }
    }
    if seed.theatre.is_some() {
        e.stage = Some((0.0, -6.0));
    }
    (e, seats)
}

/// How far in front of the theatre's first row its rows bend around (seat widths): 100 seats
/// then span about a quarter of a circle.
const THEATRE_RADIUS: f64 = 60.0;

/// The reference's seat-id rule: PostgreSQL's `md5(text)::uuid`.
fn md5_uuid(text: &str) -> Uuid {
    let digest: [u8; 16] = Md5::digest(text.as_bytes()).into();
    Uuid::from_bytes(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_ids_follow_the_reference_rule() {
        assert_eq!(
            md5_uuid("seat-11111111-1-1").to_string(),
            "53c62727-a1ae-3700-b0b9-50a196733f22"
        );
        assert_eq!(
            md5_uuid("seat-55555555-50-50").to_string(),
            "258ac15f-eb04-4262-2ce6-685c16fa39ab"
        );
    }

    #[test]
    fn the_seed_page_seats_keep_their_documented_ids() {
        let (_, seats) = coldplay(Utc::now());
        let find = |id: &str| {
            seats.iter().find(|s| s.id.to_string() == id).map(|s| {
                (
                    s.section_code.as_str(),
                    s.row_number,
                    s.seat_number,
                    s.price.to_string(),
                )
            })
        };
        assert_eq!(
            find("550e8400-e29b-41d4-a716-446655440002"),
            Some(("A", 1, 2, "50.00".into()))
        );
        assert_eq!(
            find("550e8400-e29b-41d4-a716-446655440004"),
            Some(("VIP", 1, 1, "75.00".into()))
        );
        assert_eq!(seats.len(), 420);
    }
}
