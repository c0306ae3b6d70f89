//! Identity routes (port 50000 and the gateway).

use axum::extract::{FromRef, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

use api::{Admin, ApiError, AppJson, Auth, Caller, Role};

use crate::{IdentityError, IdentityService, User};

/// The identity routes.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<IdentityService>: FromRef<S>,
    Auth: FromRef<S>,
{
    Router::new()
        .route("/users", post(create_user))
        .route("/token", post(create_token))
        .route("/me", get(get_me))
        .route("/guest-tokens", post(create_guest_token))
        .route("/admin/staff", get(list_staff))
        .route("/admin/staff/{id}", axum::routing::delete(remove_staff))
}

/// A door-staff account as the back office lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct StaffResponse {
    user_id: Uuid,
    email: String,
    created_at: DateTime<Utc>,
}

/// The door-staff accounts (administrators). Create one with `POST /users` and `"role": "Staff"`.
#[utoipa::path(get, path = "/admin/staff", tag = "identity", security(("bearer" = [])), responses((status = 200, body = Vec<StaffResponse>), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse)))]
async fn list_staff(
    _admin: Admin,
    State(svc): State<Arc<IdentityService>>,
) -> Result<Json<Vec<StaffResponse>>, ApiError> {
    Ok(Json(
        svc.staff()
            .await?
            .into_iter()
            .map(|u| StaffResponse {
                user_id: u.id,
                email: u.email,
                created_at: u.created_at,
            })
            .collect(),
    ))
}

/// Removes a door-staff account (administrators): its tokens stop working at once.
#[utoipa::path(delete, path = "/admin/staff/{id}", tag = "identity", security(("bearer" = [])), params(("id" = uuid::Uuid, Path, description = "The account's user id")), responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in", body = api::ErrorResponse), (status = 403, description = "Not an administrator", body = api::ErrorResponse), (status = 404, description = "No door-staff account with that id", body = api::ErrorResponse)))]
async fn remove_staff(
    _admin: Admin,
    State(svc): State<Arc<IdentityService>>,
    api::AppPath(id): api::AppPath<String>,
) -> Result<StatusCode, ApiError> {
    svc.remove_staff(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /users`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct CreateUserRequest {
    email: String,
    password: String,
    role: Option<Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct UserResponse {
    user_id: Uuid,
    email: String,
    role: &'static str,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            user_id: u.id,
            email: u.email,
            role: u.role.as_str(),
        }
    }
}

fn parse_role(value: Option<&Value>) -> Result<Role, IdentityError> {
    let text = match value {
        None | Some(Value::Null) => return Ok(Role::User),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => String::new(),
    };
    Role::parse(&text)
        .ok_or_else(|| IdentityError::Invalid("role must be User, Staff or Admin.".into()))
}

#[utoipa::path(post, path = "/users", tag = "identity", request_body = CreateUserRequest, responses((status = 201, body = UserResponse), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 403, description = "Not allowed", body = api::ErrorResponse), (status = 409, description = "Conflict", body = api::ErrorResponse)))]
async fn create_user(
    caller: Caller,
    State(svc): State<Arc<IdentityService>>,
    AppJson(body): AppJson<CreateUserRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let role = parse_role(body.role.as_ref())?;
    let user = svc
        .register(&body.email, &body.password, role, caller.is_admin())
        .await?;
    let location = format!("/users/{}", user.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(UserResponse::from(user)),
    ))
}

/// Body of `POST /token`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct TokenRequest {
    email: String,
    password: String,
}

#[utoipa::path(post, path = "/token", tag = "identity", request_body = TokenRequest, responses((status = 200, description = "token, expiresAt, userRole, userEmail"), (status = 400, description = "Invalid input", body = api::ErrorResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse), (status = 429, description = "Too many attempts", body = api::ErrorResponse)))]
async fn create_token(
    State(svc): State<Arc<IdentityService>>,
    AppJson(body): AppJson<TokenRequest>,
) -> Result<Json<Value>, ApiError> {
    let outcome = svc.login(&body.email, &body.password).await?;
    Ok(Json(json!({
        "token": outcome.token,
        "expiresAt": outcome.expires_at,
        "userRole": outcome.role.as_str(),
        "userEmail": outcome.email,
    })))
}

#[utoipa::path(get, path = "/me", tag = "identity", security(("bearer" = [])), responses((status = 200, body = UserResponse), (status = 401, description = "Not signed in or not the owner", body = api::ErrorResponse)))]
async fn get_me(
    caller: Caller,
    State(svc): State<Arc<IdentityService>>,
) -> Result<Json<UserResponse>, ApiError> {
    let claims = caller.claims().ok_or(IdentityError::Unauthenticated)?;
    Ok(Json(svc.user(&claims.sub).await?.into()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct GuestTokenResponse {
    guest_token: String,
    expires_at: DateTime<Utc>,
}

#[utoipa::path(post, path = "/guest-tokens", tag = "identity", responses((status = 201, body = GuestTokenResponse)))]
async fn create_guest_token(
    State(svc): State<Arc<IdentityService>>,
) -> Result<impl IntoResponse, ApiError> {
    let (guest_token, expires_at) = svc.issue_guest_token().await?;
    Ok((
        StatusCode::CREATED,
        Json(GuestTokenResponse {
            guest_token,
            expires_at,
        }),
    ))
}

/// The identity part of the OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(utoipa::OpenApi)]
    #[openapi(paths(
        create_user,
        create_token,
        get_me,
        create_guest_token,
        list_staff,
        remove_staff
    ))]
    struct Doc;
    <Doc as utoipa::OpenApi>::openapi()
}
