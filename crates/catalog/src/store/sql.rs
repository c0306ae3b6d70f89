//! The statements of the catalog, run on SQLite and PostgreSQL alike (`$n` placeholders,
//! portable types), each built once as a [`storage::Statement`]. On SQLite they run in place on
//! the caller's thread, on the writer's or a reader's connection (`storage`'s writer.rs).

use chrono::{DateTime, Utc};
use kernel::{EventId, Money, SeatId, from_micros, to_micros};
use std::collections::HashMap;
use storage::{Conn, Statement};
use uuid::Uuid;

use crate::CatalogError;
use crate::domain::layout::Category;
use crate::domain::{Event, EventStatus, Seat, SeatAccess};
use crate::queries::SeatListing;

storage::row! {
    struct EventRow {
        event_id: Uuid,
        name: String,
        description: String,
        event_date: i64,
        venue: String,
        max_capacity: i64,
        base_price_cents: i64,
        currency: String,
        status: String,
        created_at: i64,
        updated_at: Option<i64>,
        time_zone: String,
        sales_start: Option<i64>,
        sales_end: Option<i64>,
        hold_extension: bool,
        stage_x: Option<f64>,
        stage_y: Option<f64>,
    }
}

impl EventRow {
    fn into_event(self) -> Event {
        Event {
            id: EventId(self.event_id),
            name: self.name,
            description: self.description,
            event_date: from_micros(self.event_date),
            venue: self.venue,
            max_capacity: self.max_capacity,
            base_price: Money::from_cents(self.base_price_cents),
            currency: self.currency,
            // The column has a CHECK constraint; an unknown value can only be a manual edit.
            status: EventStatus::parse(&self.status).unwrap_or(EventStatus::Inactive),
            created_at: from_micros(self.created_at),
            updated_at: self.updated_at.map(from_micros),
            time_zone: self.time_zone,
            sales_start: self.sales_start.map(from_micros),
            sales_end: self.sales_end.map(from_micros),
            hold_extension: self.hold_extension,
            stage: self.stage_x.zip(self.stage_y),
        }
    }
}

const EVENT_COLUMNS: &str = "event_id, name, description, event_date, venue, max_capacity, \
     base_price_cents, currency, status, created_at, updated_at, time_zone, sales_start, sales_end, \
     hold_extension, stage_x, stage_y";

pub(crate) async fn insert_event(mut conn: Conn<'_>, e: &Event) -> Result<(), storage::Error> {
    Statement::new(
        "insert into catalog_events (event_id, name, description, event_date, venue, max_capacity,
            base_price_cents, currency, status, created_at, updated_at, time_zone, sales_start,
            sales_end, hold_extension, stage_x, stage_y)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(e.id.uuid())
    .bind(&e.name)
    .bind(&e.description)
    .bind(to_micros(e.event_date))
    .bind(&e.venue)
    .bind(e.max_capacity)
    .bind(e.base_price.cents())
    .bind(&e.currency)
    .bind(e.status.as_str())
    .bind(to_micros(e.created_at))
    .bind(e.updated_at.map(to_micros))
    .bind(&e.time_zone)
    .bind(e.sales_start.map(to_micros))
    .bind(e.sales_end.map(to_micros))
    .bind(e.hold_extension)
    .bind(e.stage.map(|s| s.0))
    .bind(e.stage.map(|s| s.1))
    .execute(conn.reborrow())
    .await?;
    Ok(())
}

/// Writes an event's own fields (the stage is written by [`set_stage`] alone).
pub(crate) async fn update_event(mut conn: Conn<'_>, e: &Event) -> Result<(), storage::Error> {
    Statement::new(
        "update catalog_events set name = $2, description = $3, max_capacity = $4, status = $5,
            updated_at = $6, venue = $7, event_date = $8, time_zone = $9, sales_start = $10,
            sales_end = $11, hold_extension = $12
         where event_id = $1",
    )
    .bind(e.id.uuid())
    .bind(&e.name)
    .bind(&e.description)
    .bind(e.max_capacity)
    .bind(e.status.as_str())
    .bind(e.updated_at.map(to_micros))
    .bind(&e.venue)
    .bind(to_micros(e.event_date))
    .bind(&e.time_zone)
    .bind(e.sales_start.map(to_micros))
    .bind(e.sales_end.map(to_micros))
    .bind(e.hold_extension)
    .execute(conn.reborrow())
    .await?;
    Ok(())
}

/// Sets where the stage of an event stands.
pub(crate) async fn set_stage(
    conn: Conn<'_>,
    event: EventId,
    (x, y): (f64, f64),
    now: DateTime<Utc>,
) -> Result<(), storage::Error> {
    Statement::new(
        "update catalog_events set stage_x = $2, stage_y = $3, updated_at = $4 where event_id = $1",
    )
    .bind(event.uuid())
    .bind(x)
    .bind(y)
    .bind(to_micros(now))
    .execute(conn)
    .await
    .map(drop)
}

/// Sets the price of every seat of a section; returns how many seats it has.
pub(crate) async fn set_section_price(
    conn: Conn<'_>,
    event: EventId,
    section: &str,
    price: Money,
) -> Result<u64, storage::Error> {
    Statement::new(
        "update catalog_seats set price_cents = $3 where event_id = $1 and section_code = $2",
    )
    .bind(event.uuid())
    .bind(section)
    .bind(price.cents())
    .execute(conn)
    .await
}

/// Deletes an event and its seats.
pub(crate) async fn delete_event(mut conn: Conn<'_>, id: EventId) -> Result<(), storage::Error> {
    for table in ["catalog_seats", "catalog_categories"] {
        Statement::new(format!("delete from {table} where event_id = $1"))
            .bind(id.uuid())
            .execute(conn.reborrow())
            .await?;
    }
    Statement::new("delete from catalog_events where event_id = $1")
        .bind(id.uuid())
        .execute(conn)
        .await?;
    Ok(())
}

/// One event by id, in [`EVENT_COLUMNS`] order.
static EVENT_BY_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("select {EVENT_COLUMNS} from catalog_events where event_id = $1")
});

fn event_statement<'a>(id: EventId) -> Statement<'a> {
    Statement::new(EVENT_BY_ID.as_str()).bind(id.uuid())
}

pub(crate) async fn event(conn: Conn<'_>, id: EventId) -> Result<Option<Event>, storage::Error> {
    let row: Option<EventRow> = event_statement(id).fetch_optional(conn).await?;
    Ok(row.map(EventRow::into_event))
}

/// All events, or only the active ones after `upcoming_after`, by date, latest first.
pub(crate) async fn list_events(
    conn: Conn<'_>,
    upcoming_after: Option<DateTime<Utc>>,
) -> Result<Vec<Event>, storage::Error> {
    let list = match upcoming_after {
        Some(now) => Statement::new(format!(
            "select {EVENT_COLUMNS} from catalog_events where status = 'active' and event_date > $1
             order by event_date desc"
        ))
        .bind(to_micros(now)),
        None => Statement::new(format!(
            "select {EVENT_COLUMNS} from catalog_events order by event_date desc"
        )),
    };
    let rows: Vec<EventRow> = list.fetch_all(conn).await?;
    Ok(rows.into_iter().map(EventRow::into_event).collect())
}

/// Number of seats and the lowest seat price (cents) of every event that has any.
pub(crate) async fn seat_totals(
    mut conn: Conn<'_>,
) -> Result<HashMap<EventId, (i64, i64)>, storage::Error> {
    let rows: Vec<(Uuid, i64, i64)> = Statement::new(
        "select event_id, count(*), min(price_cents) from catalog_seats group by event_id",
    )
    .fetch_all(conn.reborrow())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n, min)| (EventId(id), (n, min)))
        .collect())
}

pub(crate) async fn count_seats(conn: Conn<'_>, event: EventId) -> Result<i64, storage::Error> {
    let (n,): (i64,) = Statement::new("select count(*) from catalog_seats where event_id = $1")
        .bind(event.uuid())
        .fetch_one(conn)
        .await?;
    Ok(n)
}

storage::row! {
    struct SeatRow {
        seat_id: Uuid,
        event_id: Uuid,
        section_code: String,
        row_number: i64,
        seat_number: i64,
        price_cents: i64,
        access: Option<String>,
        category: Option<String>,
        x: Option<f64>,
        y: Option<f64>,
    }
}

/// Seats of an event ordered by section, row and seat.
pub(crate) async fn seats_of(
    mut conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<Seat>, storage::Error> {
    let rows: Vec<SeatRow> = Statement::new(
        "select seat_id, event_id, section_code, row_number, seat_number, price_cents, access,
            category, x, y
         from catalog_seats where event_id = $1 order by section_code, row_number, seat_number",
    )
    .bind(event.uuid())
    .fetch_all(conn.reborrow())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Seat {
            id: SeatId(r.seat_id),
            event_id: EventId(r.event_id),
            section_code: r.section_code,
            row_number: r.row_number,
            seat_number: r.seat_number,
            price: Money::from_cents(r.price_cents),
            // The column has a CHECK constraint; anything else would be a manual edit.
            access: r
                .access
                .as_deref()
                .and_then(|a| SeatAccess::parse(a).ok().flatten()),
            category: r.category,
            position: r.x.zip(r.y),
        })
        .collect())
}

/// The ids of an event's seats in [`seats_of`]'s order (the live feed's compact form numbers
/// seats by it).
pub(crate) async fn seat_ids_of(
    conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<SeatId>, storage::Error> {
    let rows: Vec<(Uuid,)> = Statement::new(
        "select seat_id from catalog_seats where event_id = $1
         order by section_code, row_number, seat_number",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| SeatId(id)).collect())
}

/// Marks `seats` of `event` with `access` (none clears the mark); returns how many changed.
pub(crate) async fn set_access(
    mut conn: Conn<'_>,
    event: EventId,
    seats: &[SeatId],
    access: Option<SeatAccess>,
) -> Result<u64, storage::Error> {
    let mut changed = 0;
    for seat in seats {
        changed += Statement::new(
            "update catalog_seats set access = $3 where event_id = $1 and seat_id = $2",
        )
        .bind(event.uuid())
        .bind(seat.uuid())
        .bind(access.map(SeatAccess::as_str))
        .execute(conn.reborrow())
        .await?;
    }
    Ok(changed)
}

/// Inserts seats; a duplicate (section, row, seat) becomes [`CatalogError::SeatAlreadyExists`].
pub(crate) async fn insert_seats(mut conn: Conn<'_>, seats: &[Seat]) -> Result<(), CatalogError> {
    for s in seats {
        let done = Statement::new(
            "insert into catalog_seats (seat_id, event_id, section_code, row_number, seat_number,
                price_cents, access, category, x, y)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(s.id.uuid())
        .bind(s.event_id.uuid())
        .bind(&s.section_code)
        .bind(s.row_number)
        .bind(s.seat_number)
        .bind(s.price.cents())
        .bind(s.access.map(SeatAccess::as_str))
        .bind(s.category.as_deref())
        .bind(s.position.map(|p| p.0))
        .bind(s.position.map(|p| p.1))
        .execute(conn.reborrow())
        .await;
        if let Err(e) = done {
            let duplicate = e.is_unique_violation();
            return Err(if duplicate {
                CatalogError::SeatAlreadyExists {
                    section: s.section_code.clone(),
                    row: s.row_number,
                    seat: s.seat_number,
                }
            } else {
                e.into()
            });
        }
    }
    Ok(())
}

storage::row! {
    struct ListingRow {
        seat_id: Uuid,
        event_id: Uuid,
        section_code: String,
        row_number: i64,
        seat_number: i64,
        price_cents: i64,
        name: String,
        venue: String,
        event_date: i64,
        currency: String,
        status: String,
        sales_start: Option<i64>,
        sales_end: Option<i64>,
        access: Option<String>,
        hold_extension: bool,
        category: Option<String>,
        x: Option<f64>,
        y: Option<f64>,
        stage_x: Option<f64>,
        stage_y: Option<f64>,
    }
}

/// A seat with the facts of its event, for other contexts.
pub(crate) async fn seat_listing(
    conn: Conn<'_>,
    seat: SeatId,
) -> Result<Option<SeatListing>, storage::Error> {
    let row: Option<ListingRow> = seat_listing_statement(seat).fetch_optional(conn).await?;
    Ok(row.map(ListingRow::into_listing))
}

fn seat_listing_statement<'a>(seat: SeatId) -> Statement<'a> {
    Statement::new(SEAT_LISTING).bind(seat.uuid())
}

const SEAT_LISTING: &str =
    "select s.seat_id, s.event_id, s.section_code, s.row_number, s.seat_number, s.price_cents,
        e.name, e.venue, e.event_date, e.currency, e.status, e.sales_start, e.sales_end,
        s.access, e.hold_extension, s.category, s.x, s.y, e.stage_x, e.stage_y
     from catalog_seats s join catalog_events e on e.event_id = s.event_id where s.seat_id = $1";

impl ListingRow {
    fn into_listing(self) -> SeatListing {
        let r = self;
        SeatListing {
            seat_id: SeatId(r.seat_id),
            event_id: EventId(r.event_id),
            event_name: r.name,
            venue: r.venue,
            event_date: from_micros(r.event_date),
            is_active: r.status == "active",
            section_code: r.section_code,
            row_number: r.row_number,
            seat_number: r.seat_number,
            price: Money::from_cents(r.price_cents),
            currency: r.currency,
            sales_start: r.sales_start.map(from_micros),
            sales_end: r.sales_end.map(from_micros),
            accessible: r.access.is_some(),
            hold_extension: r.hold_extension,
            category: r.category,
            position: r.x.zip(r.y),
            stage: r.stage_x.zip(r.stage_y),
        }
    }
}

storage::row! {
    struct CategoryRow {
        name: String,
        colour: String,
        price_cents: i64,
    }
}

/// The categories of an event, in the order the organiser listed them.
pub(crate) async fn categories_of(
    conn: Conn<'_>,
    event: EventId,
) -> Result<Vec<Category>, storage::Error> {
    let rows: Vec<CategoryRow> = Statement::new(
        "select name, colour, price_cents from catalog_categories where event_id = $1
         order by position",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Category {
            name: r.name,
            colour: r.colour,
            price: Money::from_cents(r.price_cents),
        })
        .collect())
}

/// Replaces the categories of an event by `categories`, in that order.
pub(crate) async fn replace_categories(
    mut conn: Conn<'_>,
    event: EventId,
    categories: &[Category],
) -> Result<(), storage::Error> {
    Statement::new("delete from catalog_categories where event_id = $1")
        .bind(event.uuid())
        .execute(conn.reborrow())
        .await?;
    for (position, c) in categories.iter().enumerate() {
        Statement::new(
            "insert into catalog_categories (event_id, name, colour, price_cents, position)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(event.uuid())
        .bind(&c.name)
        .bind(&c.colour)
        .bind(c.price.cents())
        .bind(position as i64)
        .execute(conn.reborrow())
        .await?;
    }
    Ok(())
}

/// Sets the price of every seat of `event` in `category`; returns those seats with their
/// sections.
pub(crate) async fn set_category_price(
    mut conn: Conn<'_>,
    event: EventId,
    category: &str,
    price: Money,
) -> Result<Vec<(SeatId, String)>, storage::Error> {
    Statement::new(
        "update catalog_seats set price_cents = $3 where event_id = $1 and category = $2",
    )
    .bind(event.uuid())
    .bind(category)
    .bind(price.cents())
    .execute(conn.reborrow())
    .await?;
    let rows: Vec<(Uuid, String)> = Statement::new(
        "select seat_id, section_code from catalog_seats where event_id = $1 and category = $2",
    )
    .bind(event.uuid())
    .bind(category)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, section)| (SeatId(id), section))
        .collect())
}

/// The categories of each section of `event` whose seats have any.
pub(crate) async fn categories_by_section(
    conn: Conn<'_>,
    event: EventId,
) -> Result<HashMap<String, Vec<String>>, storage::Error> {
    let rows: Vec<(String, String)> = Statement::new(
        "select distinct section_code, category from catalog_seats
         where event_id = $1 and category is not null order by section_code, category",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (section, category) in rows {
        out.entry(section).or_default().push(category);
    }
    Ok(out)
}

/// How many seats of `event` belong to each category.
pub(crate) async fn category_use(
    conn: Conn<'_>,
    event: EventId,
) -> Result<HashMap<String, i64>, storage::Error> {
    let rows: Vec<(String, i64)> = Statement::new(
        "select category, count(*) from catalog_seats where event_id = $1 and category is not null
         group by category",
    )
    .bind(event.uuid())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}
