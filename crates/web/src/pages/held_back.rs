//! Seats an organiser holds back from sale, and wheelchair and companion marks: one page per
//! event, its forms naming seats by section, row and numbers (`1-4, 9`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kernel::{EventId, SeatId};

use catalog::SeatAccess;
use inventory::SeatSelection;

use super::admin_only;
use super::shop::event_id;
use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::Visitor;
use crate::view::{self, Nav};

/// A held-back seat as the page lists it.
pub(crate) struct HeldBackRow {
    seat_id: String,
    label: String,
    reason: String,
    by: String,
    since: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_held_back.html")]
pub(crate) struct HeldBackPage {
    nav: Nav,
    id: String,
    name: String,
    sections: Vec<String>,
    seats: Vec<HeldBackRow>,
    /// Wheelchair and companion seats now, in words.
    marked: String,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub(crate) struct Shown {
    done: Option<String>,
}

/// `GET /ui/admin/events/{id}/held-back`.
pub(crate) async fn show(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    axum::extract::Query(shown): axum::extract::Query<Shown>,
) -> PageResult<HeldBackPage> {
    admin_only(&visitor, "/ui/admin")?;
    page(&web, &visitor, event_id(&id)?, shown.done, None).await
}

async fn page(
    web: &WebState,
    visitor: &Visitor,
    id: EventId,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult<HeldBackPage> {
    let map = web.catalog.seat_map(id).await?;
    let mut sections: Vec<String> = map
        .seats
        .iter()
        .map(|s| s.seat.section_code.clone())
        .collect();
    sections.dedup();
    let marked: Vec<String> = map
        .seats
        .iter()
        .filter_map(|s| {
            let access = s.seat.access?;
            Some(format!(
                "{} ({})",
                label(&s.seat.section_code, s.seat.row_number, s.seat.seat_number),
                access.as_str()
            ))
        })
        .collect();
    let seats = web
        .inventory
        .held_back(id)
        .await?
        .into_iter()
        .map(|s| HeldBackRow {
            seat_id: s.block.seat_id.to_string(),
            label: label(&s.section_code, s.row_number, s.seat_number),
            reason: s.block.reason,
            by: s.block.blocked_by,
            since: view::date(s.block.blocked_at),
        })
        .collect();
    Ok(HeldBackPage {
        nav: Nav::of(visitor),
        id: id.to_string(),
        name: map.event.name,
        sections,
        seats,
        marked: marked.join(", "),
        notice,
        error,
    })
}

fn label(section: &str, row: i64, number: i64) -> String {
    view::seat_label(section, row, number)
}

/// The fields of a form that names seats.
#[derive(serde::Deserialize)]
pub(crate) struct PickedSeats {
    section: String,
    #[serde(default)]
    row: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    access: String,
    #[serde(default)]
    buyer_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    price: String,
}

/// The seats a form names: a section, a row of it, or numbers of that row.
async fn picked(
    web: &WebState,
    id: EventId,
    form: &PickedSeats,
) -> Result<SeatSelection, PageError> {
    let bad = |message: String| PageError::new(StatusCode::BAD_REQUEST, message);
    let section = form.section.trim().to_string();
    let row = match form.row.trim() {
        "" => None,
        row => Some(
            row.parse::<i64>()
                .map_err(|_| bad(format!("Row {row:?} is not a number.")))?,
        ),
    };
    let numbers = numbers(&form.seats).map_err(bad)?;
    if numbers.is_empty() {
        return Ok(SeatSelection {
            seat_ids: Vec::new(),
            section_code: Some(section),
            row_number: row,
        });
    }
    let Some(row) = row else {
        return Err(bad("Give the row of those seats.".into()));
    };
    let map = web.catalog.seat_map(id).await?;
    let mut seat_ids: Vec<SeatId> = Vec::new();
    for n in &numbers {
        let seat = map.seats.iter().find(|s| {
            s.seat.section_code == section && s.seat.row_number == row && s.seat.seat_number == *n
        });
        match seat {
            Some(s) => seat_ids.push(s.seat.id),
            None => return Err(bad(format!("There is no seat {section}-{row}-{n}."))),
        }
    }
    Ok(SeatSelection {
        seat_ids,
        section_code: None,
        row_number: None,
    })
}

/// `1-4, 9` → 1, 2, 3, 4, 9 (at most 1,000).
fn numbers(text: &str) -> Result<Vec<i64>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let bad = || format!("{part:?} is not a seat number or a range like 1-4.");
        let (from, to) = match part.split_once('-') {
            Some((a, b)) => (
                a.trim().parse().map_err(|_| bad())?,
                b.trim().parse().map_err(|_| bad())?,
            ),
            None => {
                let n: i64 = part.parse().map_err(|_| bad())?;
                (n, n)
            }
        };
        if from > to || to - from >= 1_000 || out.len() > 1_000 {
            return Err(bad());
        }
        out.extend(from..=to);
    }
    Ok(out)
}

/// `POST /ui/admin/events/{id}/held-back`.
pub(crate) async fn hold_back(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<PickedSeats>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let by = visitor
        .claims
        .as_ref()
        .map(|c| c.email.clone())
        .unwrap_or_default();
    let outcome = match picked(&web, id, &form).await {
        Ok(selection) => web
            .inventory
            .hold_back(id, &selection, &form.reason, &by)
            .await
            .map(|seats| format!("{} seat(s) held back.", seats.len()))
            .map_err(PageError::from),
        Err(e) => Err(e),
    };
    answer(&web, &visitor, id, outcome).await
}

/// `POST /ui/admin/events/{id}/held-back/release`: the seats named by `seat` fields.
pub(crate) async fn release(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let seat_ids = super::seat_fields(&fields);
    let selection = SeatSelection {
        seat_ids,
        section_code: None,
        row_number: None,
    };
    let outcome = web
        .inventory
        .release_held_back(id, &selection)
        .await
        .map(|seats| format!("{} seat(s) released.", seats.len()))
        .map_err(PageError::from);
    answer(&web, &visitor, id, outcome).await
}

/// `POST /ui/admin/events/{id}/access`: marks the seats named.
pub(crate) async fn mark_access(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<PickedSeats>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let outcome = async {
        let access = SeatAccess::parse(&form.access)?;
        let selection = picked(&web, id, &form).await?;
        let seats = seats_of(&web, id, selection).await?;
        web.catalog
            .mark_access(id, &seats, access)
            .await
            .map(|n| format!("{n} seat(s) marked."))
            .map_err(PageError::from)
    }
    .await;
    answer(&web, &visitor, id, outcome).await
}

/// `POST /ui/admin/events/{id}/box-office`: sells the seats named; on to the order's page.
pub(crate) async fn sell(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<PickedSeats>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let sold = async {
        let selection = picked(&web, id, &form).await?;
        let seats = seats_of(&web, id, selection).await?;
        let price = match form.price.trim() {
            "" => None,
            text => Some(text.parse::<kernel::Money>().map_err(|_| {
                PageError::new(
                    StatusCode::BAD_REQUEST,
                    format!("{text:?} is not a price like 30.00."),
                )
            })?),
        };
        let sale = ordering::BoxOfficeSale::new(
            seats,
            &form.buyer_name,
            &form.email,
            price,
            &form.method,
        )?;
        Ok::<_, PageError>(web.ordering.sell_at_box_office(id, &sale).await?)
    }
    .await;
    match sold {
        Ok(order) => {
            Ok(Redirect::to(&format!("/ui/admin/orders/{}?sold=1", order.id)).into_response())
        }
        Err(e) => {
            let page = page(&web, &visitor, id, None, Some(e.message)).await?;
            Ok((e.status, page).into_response())
        }
    }
}

/// The seats of a selection: those named, or every seat of its section (and row).
async fn seats_of(
    web: &WebState,
    id: EventId,
    selection: SeatSelection,
) -> Result<Vec<SeatId>, PageError> {
    if !selection.seat_ids.is_empty() {
        return Ok(selection.seat_ids);
    }
    let map = web.catalog.seat_map(id).await?;
    Ok(map
        .seats
        .iter()
        .filter(|s| Some(&s.seat.section_code) == selection.section_code.as_ref())
        .filter(|s| selection.row_number.is_none_or(|r| s.seat.row_number == r))
        .map(|s| s.seat.id)
        .collect())
}

/// Back to the page: with the notice of what changed, or the error (400/409) and nothing done.
async fn answer(
    web: &WebState,
    visitor: &Visitor,
    id: EventId,
    outcome: Result<String, PageError>,
) -> PageResult<Response> {
    match outcome {
        Ok(done) => {
            let query = serde_urlencoded::to_string([("done", done)]).unwrap_or_default();
            Ok(Redirect::to(&format!("/ui/admin/events/{id}/held-back?{query}")).into_response())
        }
        Err(e) => {
            let page = page(web, visitor, id, None, Some(e.message)).await?;
            Ok((e.status, page).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::numbers;

    #[test]
    fn seat_numbers_are_read_as_lists_and_ranges() {
        assert_eq!(numbers("1-4, 9"), Ok(vec![1, 2, 3, 4, 9]));
        assert_eq!(numbers(" "), Ok(vec![]));
        assert!(numbers("4-1").is_err());
        assert!(numbers("a").is_err());
        assert!(numbers("1-5000").is_err());
    }
}
