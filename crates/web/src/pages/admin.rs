//! Running events: the list, create and edit, the seat layout generator with its preview, the
//! sales dashboard, and taking an event off sale.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;

use catalog::{EventInput, EventStatus, EventUpdate, SectionConfiguration};
use kernel::{EventId, Money};

use super::shop::event_id;
use crate::error::{PageError, PageResult};
use crate::seatmap::{self, SeatMapView, SeatSpec};
use crate::session::Visitor;
use crate::view::{self, Nav};
use crate::{WebState, chart};

use super::admin_only;

/// A row of the admin's event list.
pub(crate) struct AdminRow {
    id: String,
    name: String,
    date: String,
    venue: String,
    state: &'static str,
    sold: i64,
    total: i64,
    revenue: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_events.html")]
pub(crate) struct AdminEventsPage {
    nav: Nav,
    events: Vec<AdminRow>,
    /// Said after a deletion.
    notice: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ListShown {
    deleted: Option<String>,
}

/// `GET /ui/admin`: every event, including inactive and past ones.
pub(crate) async fn list_events(
    State(web): State<WebState>,
    visitor: Visitor,
    axum::extract::Query(shown): axum::extract::Query<ListShown>,
) -> PageResult<AdminEventsPage> {
    admin_only(&visitor, "/ui/admin")?;
    let now = Utc::now();
    let events = web.catalog.list_all_events().await?;
    Ok(AdminEventsPage {
        notice: shown.deleted.map(|_| "The event was deleted.".to_string()),
        nav: Nav::of(&visitor),
        events: events
            .iter()
            .map(|s| AdminRow {
                id: s.event.id.to_string(),
                name: s.event.name.clone(),
                date: view::date(s.event.event_date),
                venue: s.event.venue.clone(),
                state: match (s.event.status, s.event.event_date <= now) {
                    (_, true) => "past",
                    (EventStatus::Active, false) => "on sale",
                    (EventStatus::Inactive, false) => "inactive",
                },
                sold: s.sold_seats,
                total: s.total_seats,
                revenue: view::price(s.revenue, &s.event.currency),
            })
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_event_form.html")]
pub(crate) struct EventFormPage {
    nav: Nav,
    /// `None` when creating.
    id: Option<String>,
    form: EventForm,
    error: Option<String>,
    /// Each laid-out section and its seats' price now (editing only).
    prices: Vec<(String, String)>,
}

/// The fields of the create/edit form, as typed.
#[derive(Deserialize, Default, Clone)]
pub(crate) struct EventForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    event_date: String,
    #[serde(default)]
    venue: String,
    #[serde(default)]
    max_capacity: String,
    #[serde(default)]
    base_price: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    sales_start: String,
    #[serde(default)]
    sales_end: String,
    /// `yes` when ticket holders are to be e-mailed about a new date or venue.
    #[serde(default)]
    notify: String,
    /// `yes` when a buyer may extend a hold once.
    #[serde(default)]
    hold_extension: String,
}

fn form_page(
    visitor: &Visitor,
    id: Option<String>,
    form: EventForm,
    error: Option<String>,
) -> EventFormPage {
    EventFormPage {
        nav: Nav::of(visitor),
        id,
        form,
        error,
        prices: Vec::new(),
    }
}

/// Each section of event `id` with its seats' price (the first seat's: a section has one).
async fn section_prices(web: &WebState, id: EventId) -> PageResult<Vec<(String, String)>> {
    let map = web.catalog.seat_map(id).await?;
    let mut prices: Vec<(String, String)> = Vec::new();
    for seat in &map.seats {
        if prices
            .last()
            .is_none_or(|(code, _)| *code != seat.seat.section_code)
        {
            prices.push((seat.seat.section_code.clone(), seat.seat.price.to_string()));
        }
    }
    Ok(prices)
}

/// `POST /ui/admin/events/{id}/prices`: `section` and `price` fields in pairs.
pub(crate) async fn set_prices(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let changed = async {
        let mut sections = Vec::new();
        let mut code = None;
        for (name, value) in &fields {
            match name.as_str() {
                "section" => code = Some(value.clone()),
                "price" => {
                    if let Some(code) = code.take() {
                        sections.push(catalog::SectionPrice {
                            price: amount(&format!("The price of section {code}"), value)?,
                            section_code: code,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok::<_, PageError>(web.catalog.set_prices(id, &sections).await?)
    }
    .await;
    match changed {
        Ok(_) => Ok(Redirect::to(&format!("/ui/admin/events/{id}")).into_response()),
        Err(e) => {
            let page = edit_page(&web, &visitor, id, Some(e.message)).await?;
            Ok((e.status, page).into_response())
        }
    }
}

/// `GET /ui/admin/events/new`.
pub(crate) async fn new_event(visitor: Visitor) -> PageResult<EventFormPage> {
    admin_only(&visitor, "/ui/admin/events/new")?;
    let form = EventForm {
        currency: "USD".into(),
        max_capacity: "500".into(),
        ..EventForm::default()
    };
    Ok(form_page(&visitor, None, form, None))
}

fn number(field: &str, text: &str) -> Result<i64, PageError> {
    text.trim().parse().map_err(|_| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            format!("{field} must be a whole number."),
        )
    })
}

fn amount(field: &str, text: &str) -> Result<Money, PageError> {
    text.trim().parse().map_err(|_| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            format!("{field} must be an amount such as 49.90."),
        )
    })
}

/// `POST /ui/admin/events/new`: creates the event and goes on to its seats.
pub(crate) async fn create_event(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<EventForm>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin/events/new")?;
    let created = async {
        let input = EventInput {
            name: form.name.clone(),
            description: form.description.clone(),
            event_date: form.event_date.clone(),
            venue: form.venue.clone(),
            max_capacity: number("Capacity", &form.max_capacity)?,
            base_price: amount("Base price", &form.base_price)?,
            currency: Some(form.currency.trim().to_owned()).filter(|c| !c.is_empty()),
            time_zone: Some(form.time_zone.trim().to_owned()).filter(|z| !z.is_empty()),
            sales_start: Some(form.sales_start.clone()).filter(|s| !s.trim().is_empty()),
            sales_end: Some(form.sales_end.clone()).filter(|s| !s.trim().is_empty()),
            hold_extension: Some(form.hold_extension == "yes"),
        };
        Ok::<_, PageError>(web.catalog.create_event(input).await?)
    }
    .await;
    match created {
        Ok(event) => {
            Ok(Redirect::to(&format!("/ui/admin/events/{}/seats", event.id)).into_response())
        }
        Err(e) => Ok((e.status, form_page(&visitor, None, form, Some(e.message))).into_response()),
    }
}

/// `GET /ui/admin/events/{id}/edit`.
pub(crate) async fn edit_event(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult<EventFormPage> {
    admin_only(&visitor, "/ui/admin")?;
    edit_page(&web, &visitor, event_id(&id)?, None).await
}

/// The edit page of event `id` as it is now, with `error` if a change was refused.
async fn edit_page(
    web: &WebState,
    visitor: &Visitor,
    id: EventId,
    error: Option<String>,
) -> PageResult<EventFormPage> {
    let summary = web.catalog.event_summary(id).await?;
    let e = &summary.event;
    let form = EventForm {
        name: e.name.clone(),
        description: e.description.clone(),
        event_date: e.local_input(e.event_date),
        time_zone: e.time_zone.clone(),
        sales_start: e.sales_start.map(|t| e.local_input(t)).unwrap_or_default(),
        sales_end: e.sales_end.map(|t| e.local_input(t)).unwrap_or_default(),
        notify: "yes".into(),
        hold_extension: if e.hold_extension { "yes" } else { "" }.into(),
        venue: e.venue.clone(),
        max_capacity: e.max_capacity.to_string(),
        base_price: e.base_price.to_string(),
        currency: e.currency.clone(),
    };
    let mut page = form_page(visitor, Some(e.id.to_string()), form, error);
    page.prices = section_prices(web, id).await?;
    Ok(page)
}

/// `POST /ui/admin/events/{id}/edit`: name, description, venue, date and time zone, the sales
/// window and the capacity.
pub(crate) async fn update_event(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let updated = async {
        let update = EventUpdate {
            name: Some(form.name.clone()),
            description: Some(form.description.clone()),
            max_capacity: Some(number("Capacity", &form.max_capacity)?),
            venue: Some(form.venue.clone()),
            event_date: Some(form.event_date.clone()),
            time_zone: Some(form.time_zone.clone()),
            sales_start: Some(form.sales_start.clone()),
            sales_end: Some(form.sales_end.clone()),
            notify_holders: Some(form.notify == "yes"),
            hold_extension: Some(form.hold_extension == "yes"),
        };
        Ok::<_, PageError>(web.catalog.update_event(id, update).await?)
    }
    .await;
    match updated {
        Ok(_) => Ok(Redirect::to(&format!("/ui/admin/events/{id}")).into_response()),
        Err(e) => {
            let page = form_page(&visitor, Some(id.to_string()), form, Some(e.message));
            Ok((e.status, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_seats.html")]
pub(crate) struct GeneratorPage {
    nav: Nav,
    id: String,
    name: String,
    base_price: String,
    currency: String,
    capacity: i64,
    existing: i64,
    error: Option<String>,
    /// The event's categories, one per line as the form takes them (`Stalls, #1f77b4, 80.00`).
    pub(crate) categories: String,
    /// The layout text sent last (kept when it was refused).
    pub(crate) layout: String,
    /// Which form `error` is about: `generator`, `categories` or `import` (it is shown there,
    /// and that form's field has the focus).
    pub(crate) error_at: &'static str,
}

/// `GET /ui/admin/events/{id}/seats`: the layout generator.
pub(crate) async fn show_generator(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult<GeneratorPage> {
    admin_only(&visitor, "/ui/admin")?;
    generator_page(&web, &visitor, event_id(&id)?, None).await
}

pub(crate) async fn generator_page(
    web: &WebState,
    visitor: &Visitor,
    id: EventId,
    error: Option<String>,
) -> PageResult<GeneratorPage> {
    let summary = web.catalog.event_summary(id).await?;
    let categories = web
        .catalog
        .categories(id)
        .await?
        .iter()
        .map(|c| format!("{}, {}, {}", c.name, c.colour, c.price))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(GeneratorPage {
        categories,
        layout: String::new(),
        error_at: "generator",
        nav: Nav::of(visitor),
        id: id.to_string(),
        name: summary.event.name.clone(),
        base_price: summary.event.base_price.to_string(),
        currency: summary.event.currency.clone(),
        capacity: summary.event.max_capacity,
        existing: summary.total_seats,
        error,
    })
}

/// Sections from repeated `section`, `rows`, `seats`, `multiplier` fields, in form order.
fn sections(fields: &[(String, String)]) -> Result<Vec<SectionConfiguration>, PageError> {
    let mut out: Vec<SectionConfiguration> = Vec::new();
    for (key, value) in fields {
        if key == "section" {
            out.push(SectionConfiguration {
                section_code: value.trim().to_owned(),
                rows: 0,
                seats_per_row: 0,
                price_multiplier: Some(Money::from_cents(100)),
                ..SectionConfiguration::default()
            });
            continue;
        }
        let Some(last) = out.last_mut() else { continue };
        match key.as_str() {
            "rows" => last.rows = number("Rows", value)?,
            "seats" => last.seats_per_row = number("Seats per row", value)?,
            "multiplier" => last.price_multiplier = Some(amount("Price multiplier", value)?),
            _ => {}
        }
    }
    out.retain(|s| !s.section_code.is_empty());
    Ok(out)
}

/// `POST /ui/admin/events/{id}/seats`: lays the seats out.
pub(crate) async fn generate_seats(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let result = async {
        let sections = sections(&fields)?;
        Ok::<_, PageError>(web.catalog.generate_seats(id, sections).await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/ui/admin/events/{id}")).into_response()),
        Err(e) => {
            let page = generator_page(&web, &visitor, id, Some(e.message.clone())).await?;
            Ok((e.status, page).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "seatmap.html")]
struct Preview {
    map: SeatMapView,
    note: String,
}

/// The most seats a preview draws.
const PREVIEW_LIMIT: i64 = 20_000;

/// `POST /ui/admin/preview`: the seat map the generator's fields would make, drawn by the same
/// layout as the event page (the generator's script asks for it as the fields change).
pub(crate) async fn preview_layout(
    visitor: Visitor,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let base = fields
        .iter()
        .find(|(k, _)| k == "base")
        .and_then(|(_, v)| v.parse::<Money>().ok())
        .unwrap_or(Money::from_cents(100));
    let currency = fields
        .iter()
        .find(|(k, _)| k == "currency")
        .map_or("USD", |(_, v)| v.as_str());
    let sections = match sections(&fields) {
        Ok(sections) => sections,
        // The message names the field, never echoes its value.
        Err(e) => {
            return Ok(Html(format!("<p class=\"notice error\">{}</p>", e.message)).into_response());
        }
    };
    let count: i64 = sections
        .iter()
        .map(|s| s.rows.clamp(0, 500) * s.seats_per_row.clamp(0, 500))
        .sum();
    if count > PREVIEW_LIMIT {
        let note = format!("{count} seats: too many to preview (at most {PREVIEW_LIMIT}).");
        return Ok(Html(format!("<p class=\"muted\">{note}</p>")).into_response());
    }
    let mut seats = Vec::new();
    for s in &sections {
        let price = base
            .times_hundredths(s.price_multiplier.map_or(100, Money::cents))
            .unwrap_or(base);
        for row in 1..=s.rows.clamp(0, 500) {
            for number in 1..=s.seats_per_row.clamp(0, 500) {
                seats.push(SeatSpec {
                    id: None,
                    section: s.section_code.clone(),
                    row,
                    number,
                    price,
                    status: "available",
                    access: None,
                    category: None,
                    position: None,
                    index: 0,
                });
            }
        }
    }
    let preview = Preview {
        map: seatmap::layout(&seats, currency, None),
        note: format!("{count} seats in {} sections", sections.len()),
    };
    let html = preview
        .render()
        .map_err(|_| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, "The preview failed."))?;
    Ok(Html(html).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_dashboard.html")]
pub(crate) struct DashboardPage {
    nav: Nav,
    id: String,
    name: String,
    date: String,
    venue: String,
    active: bool,
    past: bool,
    sold: i64,
    held: i64,
    available: i64,
    total: i64,
    /// What the sold seats brought, refunds taken off (the catalogue's figure).
    revenue: String,
    /// Every sale at its price, refunded or not.
    gross: String,
    /// The refunded seats' prices.
    refunded: String,
    timeline_svg: String,
    per_hour_svg: String,
    check_ins_svg: String,
    checked_in: usize,
    held_back: i64,
    sections_svg: String,
    error: Option<String>,
}

/// `GET /ui/admin/events/{id}`: the sales dashboard.
pub(crate) async fn show_dashboard(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult<DashboardPage> {
    admin_only(&visitor, "/ui/admin")?;
    dashboard(&web, &visitor, event_id(&id)?, None).await
}

/// The event's tickets as a spreadsheet (`fulfillment::attendees_download`), for the dashboard's
/// download link: the same file as the API's `/admin/events/{id}/attendees.csv`, signed in by
/// the session cookie instead of a bearer token.
pub(crate) async fn attendees_csv(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult {
    admin_only(&visitor, "/ui/admin")?;
    Ok(fulfillment::attendees_download(web.fulfillment.clone(), event_id(&id)?).await?)
}

/// Query of `GET /ui/admin/orders`: the API's `GET /admin/orders`, from a form.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrdersQuery {
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    page: Option<u32>,
}

/// An order found, as the page shows it.
pub(crate) struct OrderLine {
    id: String,
    buyer: String,
    email: String,
    state: &'static str,
    seats: i64,
    total: String,
    created: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_orders.html")]
pub(crate) struct OrdersPage {
    nav: Nav,
    event_id: String,
    event_name: String,
    q: String,
    state: String,
    orders: Vec<OrderLine>,
    error: Option<String>,
    previous: Option<String>,
    next: Option<String>,
}

/// `GET /ui/admin/orders`: orders looked up by event, state and an e-mail address, buyer or
/// order id (`ordering::OrderSearch`), newest first, for door staff and administrators.
pub(crate) async fn list_orders(
    State(web): State<WebState>,
    visitor: Visitor,
    axum::extract::Query(query): axum::extract::Query<OrdersQuery>,
) -> PageResult<OrdersPage> {
    super::staff_only(&visitor, "/ui/admin/orders")?;
    let event = match query.event_id.trim() {
        "" => None,
        id => Some(event_id(id)?),
    };
    let event_name = match event {
        Some(id) => web.catalog.event_summary(id).await?.event.name,
        None => String::new(),
    };
    let mut page = OrdersPage {
        nav: Nav::of(&visitor),
        event_id: event.map(|e| e.to_string()).unwrap_or_default(),
        event_name,
        q: query.q.clone(),
        state: query.state.clone(),
        orders: Vec::new(),
        error: None,
        previous: None,
        next: None,
    };
    let search = match ordering::OrderSearch::new(
        event,
        Some(query.q.clone()),
        Some(&query.state),
        query.page,
    ) {
        Ok(search) => search,
        Err(e) => {
            page.error = Some(PageError::from(e).message);
            return Ok(page);
        }
    };
    let (found, more) = web.ordering.search(&search).await?;
    let link = |n: u32| {
        let mut pairs = vec![("page", n.to_string())];
        for (name, value) in [
            ("eventId", &page.event_id),
            ("q", &page.q),
            ("state", &page.state),
        ] {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        format!(
            "/ui/admin/orders?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    page.previous = (search.page > 1).then(|| link(search.page - 1));
    page.next = more.then(|| link(search.page + 1));
    page.orders = found
        .into_iter()
        .map(|o| OrderLine {
            id: o.id.to_string(),
            buyer: o.buyer,
            email: o.email.unwrap_or_default(),
            state: o.state.as_str(),
            seats: o.seats,
            total: format!("{} {}", o.amount, o.currency),
            created: view::date(o.created_at),
        })
        .collect();
    Ok(page)
}

/// The event's orders as a spreadsheet (`ordering::orders_download`), as
/// [`attendees_csv`] is its tickets.
pub(crate) async fn orders_csv(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> PageResult {
    admin_only(&visitor, "/ui/admin")?;
    Ok(ordering::orders_download(web.ordering.clone(), event_id(&id)?).await?)
}

async fn dashboard(
    web: &WebState,
    visitor: &Visitor,
    id: EventId,
    error: Option<String>,
) -> PageResult<DashboardPage> {
    let sales = web.catalog.sales(id).await?;
    let timeline = web.ordering.sales_of_event(id).await?;
    let now = Utc::now();
    let rows: Vec<chart::SectionBar> = sales
        .sections
        .iter()
        .map(|s| chart::SectionBar {
            code: s.section_code.clone(),
            sold: s.sold,
            held: s.held,
            held_back: s.held_back,
            total: s.total_seats,
        })
        .collect();
    let check_ins = web.fulfillment.check_ins_of_event(id).await?;
    let paid: Vec<_> = timeline.iter().map(|s| s.paid_at).collect();
    let gross: Money = timeline.iter().map(|s| s.price).sum();
    let refunded: Money = timeline
        .iter()
        .filter(|s| s.refunded_at.is_some())
        .map(|s| s.price)
        .sum();
    let e = &sales.event;
    Ok(DashboardPage {
        nav: Nav::of(visitor),
        id: e.id.to_string(),
        name: e.name.clone(),
        date: view::date(e.event_date),
        venue: e.venue.clone(),
        active: e.status == EventStatus::Active,
        past: e.event_date <= now,
        sold: sales.total.sold,
        held: sales.total.held,
        available: sales.total.available,
        total: sales.total.total_seats,
        // What buyers paid (ordering's lines), not today's list prices.
        revenue: view::price(
            Money::from_cents(gross.cents() - refunded.cents()),
            &e.currency,
        ),
        gross: view::price(gross, &e.currency),
        refunded: view::price(refunded, &e.currency),
        timeline_svg: chart::sales_over_time(&timeline, now),
        per_hour_svg: chart::per_hour(&paid, now, "Seats sold per hour", "sold"),
        check_ins_svg: chart::per_hour(&check_ins, now, "Check-ins per hour", "checked in"),
        checked_in: check_ins.len(),
        held_back: sales.total.held_back,
        sections_svg: chart::sections(&rows),
        error,
    })
}

#[derive(Deserialize)]
pub(crate) struct StatusForm {
    #[serde(default)]
    action: String,
    /// `yes` once the organiser has confirmed a deactivation.
    #[serde(default)]
    confirmed: Option<String>,
}

/// The question before a deletion.
#[derive(Template, WebTemplate)]
#[template(path = "admin_delete.html")]
pub(crate) struct ConfirmDeletionPage {
    nav: Nav,
    id: String,
    name: String,
}

/// `POST /ui/admin/events/{id}/delete`: asks first; with `confirmed=yes` deletes the event
/// (refused while it is on sale, has sold tickets or seats on hold: the dashboard says why).
pub(crate) async fn delete_event(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    if form.confirmed.as_deref() != Some("yes") {
        let event = web.catalog.event_summary(id).await?.event;
        return Ok(ConfirmDeletionPage {
            nav: Nav::of(&visitor),
            id: id.to_string(),
            name: event.name,
        }
        .into_response());
    }
    match web.catalog.delete_event(id).await {
        Ok(()) => Ok(Redirect::to("/ui/admin?deleted=1").into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let page = dashboard(&web, &visitor, id, Some(e.message.clone())).await?;
            Ok((e.status, page).into_response())
        }
    }
}

/// The question before a deactivation: what it does, yes or cancel.
#[derive(Template, WebTemplate)]
#[template(path = "admin_confirm.html")]
pub(crate) struct ConfirmDeactivationPage {
    nav: Nav,
    id: String,
    name: String,
}

/// `POST /ui/admin/events/{id}/status`: `deactivate` (asked to confirm first: the answer is a
/// page that says what it does, whose button posts again with `confirmed=yes`) or `reactivate`.
pub(crate) async fn set_status(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    if form.action == "deactivate" && form.confirmed.as_deref() != Some("yes") {
        let event = web.catalog.event_summary(id).await?.event;
        let page = ConfirmDeactivationPage {
            nav: Nav::of(&visitor),
            id: id.to_string(),
            name: event.name,
        };
        return Ok(page.into_response());
    }
    let result = match form.action.as_str() {
        "deactivate" => web.catalog.deactivate(id).await,
        _ => web.catalog.reactivate(id).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/ui/admin/events/{id}")).into_response()),
        Err(e) => {
            let e = PageError::from(e);
            let page = dashboard(&web, &visitor, id, Some(e.message.clone())).await?;
            Ok((e.status, page).into_response())
        }
    }
}
