//! The OpenAPI document of every route, served at `/openapi.json` on the gateway.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};

/// Every context's paths in one document.
pub(crate) fn document() -> OpenApi {
    let info = InfoBuilder::new()
        .title("Boxoffice")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Reserved-seating ticketing: catalog, holds, cart and checkout, payment, tickets, e-mail and identity. \
             Errors are {\"error\": sentence, \"code\": stable_code}.",
        ))
        .build();
    let components = ComponentsBuilder::new()
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        )
        .build();
    let mut doc = OpenApiBuilder::new()
        .info(info)
        .components(Some(components))
        .build();
    for part in [
        identity::openapi(),
        catalog::openapi(),
        inventory::openapi(),
        ordering::openapi(),
        payment::openapi(),
        fulfillment::openapi(),
        notification::openapi(),
        waitlist::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

/// `GET /openapi.json`.
pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> anyhow::Result<Router<S>> {
    let json = document().to_json()?;
    Ok(Router::new().route(
        "/openapi.json",
        get(move || {
            let json = json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], json).into_response() }
        }),
    ))
}
