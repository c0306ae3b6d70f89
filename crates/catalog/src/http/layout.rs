//! Admin handlers for price categories and imported layouts.

use axum::Json;
use axum::extract::State;
use std::sync::Arc;

use api::{Admin, ApiError, AppJson, AppPath, Upload};
use kernel::EventId;

use super::dto::GenerationResponse;
use crate::{CatalogError, CatalogService, Category, LayoutDocument, LayoutImport};

/// Body and answer of `PUT /admin/events/{id}/categories`.
#[derive(Debug, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CategoriesBody {
    categories: Vec<Category>,
}

/// The event's price categories, in the organiser's order.
#[utoipa::path(get, path = "/admin/events/{id}/categories", tag = "catalog-admin", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), responses((status = 200, body = CategoriesBody), (status = 404, description = "No such event", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
pub(crate) async fn get_categories(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
) -> Result<Json<CategoriesBody>, ApiError> {
    let categories = svc.categories(id).await?;
    Ok(Json(CategoriesBody { categories }))
}

/// Replaces the event's price categories (name, colour `#rrggbb`, price). A category some
/// seats belong to cannot be left out; a new price applies to its seats at once (seats in
/// carts and orders keep the price they were added at).
#[utoipa::path(put, path = "/admin/events/{id}/categories", tag = "catalog-admin", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), request_body = CategoriesBody, responses((status = 200, body = CategoriesBody), (status = 400, description = "A name twice, a colour or price out of rule, or a used category left out", body = api::ErrorResponse), (status = 404, description = "No such event", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
pub(crate) async fn set_categories(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    AppJson(body): AppJson<CategoriesBody>,
) -> Result<Json<CategoriesBody>, ApiError> {
    let categories = svc.set_categories(id, &body.categories).await?;
    Ok(Json(CategoriesBody { categories }))
}

/// Adds seats from a venue layout, all or none: CSV (`Content-Type: text/csv`; a header
/// `section,row,seat,x,y,category`, `access` optional) or JSON (`application/json`:
/// `{"stage": {"x", "y"}, "categories": [...], "seats": [{"section", "row", "seat", "x", "y",
/// "category", "access"}]}`). Positions are in seat widths, `y` away from the stage. Errors
/// name the CSV line or the JSON `seats[i]`: a place given twice, seats closer than 0.9 seat
/// widths, an unknown category.
#[utoipa::path(post, path = "/admin/events/{id}/layout", tag = "catalog-admin", security(("bearer" = [])), params(("id" = EventId, Path, description = "Event id")), request_body(content((LayoutDocument = "application/json"), (String = "text/csv"))), responses((status = 200, body = GenerationResponse), (status = 400, description = "A line breaking a rule (named), or neither CSV nor JSON", body = api::ErrorResponse), (status = 404, description = "No such event", body = api::ErrorResponse), (status = 409, description = "Capacity exceeded or a seat already laid out", body = api::ErrorResponse), (status = 413, description = "Larger than 16 MiB", body = api::ErrorResponse), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
pub(crate) async fn import_layout(
    _admin: Admin,
    State(svc): State<Arc<CatalogService>>,
    AppPath(id): AppPath<EventId>,
    upload: Upload,
) -> Result<Json<GenerationResponse>, ApiError> {
    let import = layout_import(&upload)?;
    Ok(Json(svc.import_layout(id, import).await?.into()))
}

/// The layout an upload carries, by its media type (CSV when it names none and does not
/// start like JSON).
pub(crate) fn layout_import(upload: &Upload) -> Result<LayoutImport, ApiError> {
    let json = match upload.media_type.as_str() {
        "application/json" => true,
        "text/csv" | "text/plain" | "application/csv" => false,
        "" => upload.bytes.trim_ascii_start().first() == Some(&b'{'),
        other => {
            return Err(CatalogError::Invalid(format!(
                "Send the layout as text/csv or application/json, not {other}."
            ))
            .into());
        }
    };
    if json {
        return Ok(LayoutImport::Json(api::parse_json::<LayoutDocument>(
            &upload.bytes,
        )?));
    }
    let text = std::str::from_utf8(&upload.bytes)
        .map_err(|_| CatalogError::Invalid("The CSV layout must be UTF-8 text.".into()))?;
    Ok(LayoutImport::Csv(text.to_string()))
}
