//! The OpenAPI document of every route, served at `/openapi.json` on the gateway, and the
//! Swagger UI that reads it at `/docs` (its files are compiled into the binary: no CDN).

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
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
        crate::operator::openapi(),
        web::dossier::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

/// `GET /openapi.json`, and the Swagger UI at `/docs`.
pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> anyhow::Result<Router<S>> {
    let json = document().to_json()?;
    Ok(Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let json = json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], json).into_response() }
            }),
        )
        .route("/docs", get(|| swagger_file("index.html".into())))
        .route(
            "/docs/{*file}",
            get(|Path(file): Path<String>| swagger_file(file)),
        ))
}

/// One file of the Swagger UI. The page's links are relative, and the edge drops a trailing
/// slash (`/docs/` routes as `/docs`), so the page names its base: `/docs/` either way.
async fn swagger_file(file: String) -> axum::response::Response {
    static CONFIG: std::sync::LazyLock<std::sync::Arc<utoipa_swagger_ui::Config<'static>>> =
        std::sync::LazyLock::new(|| {
            std::sync::Arc::new(utoipa_swagger_ui::Config::from("/openapi.json"))
        });
    match utoipa_swagger_ui::serve(&file, CONFIG.clone()) {
        Ok(Some(found)) => {
            let bytes = if file == "index.html" {
                String::from_utf8_lossy(&found.bytes)
                    .replacen("<head>", "<head><base href=\"/docs/\">", 1)
                    .into_bytes()
            } else {
                found.bytes.into_owned()
            };
            ([(header::CONTENT_TYPE, found.content_type)], bytes).into_response()
        }
        Ok(None) => api::ApiError::new(
            kernel::ErrorCode::RouteNotFound,
            format!("No documentation file /docs/{file}."),
        )
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, file, "the Swagger UI failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
