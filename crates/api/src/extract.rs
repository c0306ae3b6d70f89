//! Extractors whose rejections use the API's error envelope and name the offending field.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use http_body_util::BodyExt;
use http_body_util::Limited;
use kernel::ErrorCode;
use serde::de::DeserializeOwned;

use crate::keys::{canonicalize_keys, field_names};
use crate::{ApiError, BODY_LIMIT};

/// A JSON body: keys matched case-insensitively, at most [`BODY_LIMIT`] bytes, errors as 400
/// `invalid_json` naming the field (or 413 when too large).
#[derive(Debug)]
pub struct AppJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let body = Limited::new(req.into_body(), BODY_LIMIT);
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                return Err(too_large());
            }
            Err(e) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidJson,
                    format!("Could not read the request body: {e}"),
                ));
            }
        };
        parse_json(&bytes).map(AppJson)
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("The request body is larger than {} KiB.", BODY_LIMIT / 1024),
    )
}

/// A file sent as the request body (a venue layout): at most [`UPLOAD_LIMIT`] bytes, with
/// its media type (`text/csv`, `application/json`; parameters dropped, lower case).
#[derive(Debug)]
pub struct Upload {
    /// The `Content-Type`'s media type, empty when absent.
    pub media_type: String,
    /// The body.
    pub bytes: axum::body::Bytes,
}

/// The largest [`Upload`]: a 100,000-seat layout as CSV is about 2.5 MB.
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let media_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let bytes = Limited::new(req.into_body(), UPLOAD_LIMIT)
            .collect()
            .await
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("The file is larger than {} MiB.", UPLOAD_LIMIT >> 20),
                )
            })?
            .to_bytes();
        Ok(Self { media_type, bytes })
    }
}

/// Parses a JSON body into `T` with case-insensitive keys and field-naming errors.
///
/// # Errors
/// 400 `invalid_json` for an empty body, malformed JSON or a field of the wrong type.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            "A JSON request body is required.",
        ));
    }
    let canonical = canonicalize_keys(bytes, field_names::<T>());
    let mut de = serde_json::Deserializer::from_slice(&canonical);
    let value = serde_path_to_error::deserialize(&mut de).map_err(describe_json_error)?;
    de.end()
        .map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("Malformed JSON: {e}.")))?;
    Ok(value)
}

fn describe_json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let message = if inner.is_syntax() || inner.is_eof() {
        format!("Malformed JSON: {inner}.")
    } else if path == "." || path.is_empty() {
        format!("Invalid request body: {}.", strip_position(&inner))
    } else {
        format!(
            "Invalid value for field `{path}`: {}.",
            strip_position(&inner)
        )
    };
    ApiError::new(ErrorCode::InvalidJson, message)
}

fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(idx) => text[..idx].to_string(),
        None => text,
    }
}

/// Query parameters: names matched case-insensitively, errors as 400 naming the parameter.
#[derive(Debug)]
pub struct AppQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for AppQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let fields = field_names::<T>();
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .map_err(|e| ApiError::validation(format!("Invalid query string: {e}.")))?
                .into_iter()
                .map(|(k, v)| {
                    let key = fields
                        .iter()
                        .find(|f| f.eq_ignore_ascii_case(&k))
                        .map_or(k, |f| (*f).to_string());
                    (key, v)
                })
                .collect();
        let normalized = serde_urlencoded::to_string(&pairs).map_err(ApiError::internal)?;
        serde_urlencoded::from_str(&normalized)
            .map(AppQuery)
            .map_err(|e| ApiError::validation(format!("Invalid query parameter: {e}.")))
    }
}

/// Path parameters; a malformed id is a 400 naming what was expected.
#[derive(Debug)]
pub struct AppPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for AppPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| AppPath(v))
            .map_err(|e| ApiError::validation(format!("Invalid path: {}.", e.body_text())))
    }
}
