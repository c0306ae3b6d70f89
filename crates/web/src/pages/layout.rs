//! The organiser's price categories and layout import, on the seat layout page
//! (`admin_seats.html`); the rules are the catalog's (`domain/layout.rs`).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use catalog::{Category, LayoutDocument, LayoutImport};
use kernel::{EventId, Money};

use super::admin::generator_page;
use super::admin_only;
use super::shop::event_id;
use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::Visitor;

#[derive(Deserialize)]
pub(crate) struct CategoriesForm {
    #[serde(default)]
    categories: String,
}

/// `POST /ui/admin/events/{id}/categories`: one category per line, `name, #colour, price`.
pub(crate) async fn set_categories(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<CategoriesForm>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let result = async {
        let categories = parse_lines(&form.categories)?;
        Ok::<_, PageError>(web.catalog.set_categories(id, &categories).await?)
    }
    .await;
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/ui/admin/events/{id}/seats#categories")).into_response())
        }
        Err(e) => {
            refused(&web, &visitor, id, e, |page| {
                page.categories = form.categories;
                page.error_at = "categories";
            })
            .await
        }
    }
}

/// The categories of the form's text: `name, #colour, price` per line, blank lines skipped.
fn parse_lines(text: &str) -> Result<Vec<Category>, PageError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let parts: Vec<&str> = line.split(',').map(str::trim).collect();
            let [name, colour, price] = parts[..] else {
                return Err(PageError::new(StatusCode::BAD_REQUEST, format!(
                    "Category line {}: write name, #colour, price (such as Stalls, #1f77b4, 80.00).",
                    i + 1
                )));
            };
            let price = price.parse::<Money>().map_err(|_| {
                PageError::new(StatusCode::BAD_REQUEST, format!(
                    "Category line {}: the price must be an amount such as 80.00, got {price:?}.",
                    i + 1
                ))
            })?;
            Ok(Category {
                name: name.to_string(),
                colour: colour.to_string(),
                price,
            })
        })
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct LayoutForm {
    #[serde(default)]
    layout: String,
}

/// `POST /ui/admin/events/{id}/layout`: a layout pasted as CSV or JSON; on success the
/// dashboard, else the page again with the error naming the line and the text kept.
pub(crate) async fn import_layout(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<LayoutForm>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin")?;
    let id = event_id(&id)?;
    let result = async {
        let text = form.layout.trim();
        let import = if text.starts_with('{') {
            let doc: LayoutDocument = serde_json::from_str(text).map_err(|e| {
                PageError::new(
                    StatusCode::BAD_REQUEST,
                    format!("The layout is not valid JSON: {e}."),
                )
            })?;
            LayoutImport::Json(doc)
        } else {
            LayoutImport::Csv(text.to_string())
        };
        Ok::<_, PageError>(web.catalog.import_layout(id, import).await?)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/ui/admin/events/{id}")).into_response()),
        Err(e) => {
            refused(&web, &visitor, id, e, |page| {
                page.layout = form.layout;
                page.error_at = "import";
            })
            .await
        }
    }
}

/// The layout page again with `error`, its forms as `keep` leaves them.
async fn refused(
    web: &WebState,
    visitor: &Visitor,
    id: EventId,
    error: PageError,
    keep: impl FnOnce(&mut super::admin::GeneratorPage),
) -> PageResult<Response> {
    let mut page = generator_page(web, visitor, id, Some(error.message.clone())).await?;
    keep(&mut page);
    Ok((error.status, page).into_response())
}
