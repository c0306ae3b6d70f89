//! Door-staff accounts: the list, adding one, and removing one after a confirmation
//! (administrators). Identity keeps the accounts; a removed account's tokens stop working at
//! their next request (`api::Accounts`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use api::Role;

use super::admin_only;
use crate::WebState;
use crate::error::{PageError, PageResult};
use crate::session::Visitor;
use crate::view::{self, Nav};

/// A row of the list.
pub(crate) struct StaffRow {
    id: String,
    email: String,
    since: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_staff.html")]
pub(crate) struct StaffPage {
    nav: Nav,
    staff: Vec<StaffRow>,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_staff_remove.html")]
pub(crate) struct RemovePage {
    nav: Nav,
    id: String,
    email: String,
}

#[derive(Deserialize)]
pub(crate) struct Shown {
    added: Option<String>,
    removed: Option<String>,
}

/// `GET /ui/admin/staff`.
pub(crate) async fn show_staff(
    State(web): State<WebState>,
    visitor: Visitor,
    axum::extract::Query(shown): axum::extract::Query<Shown>,
) -> PageResult<StaffPage> {
    admin_only(&visitor, "/ui/admin/staff")?;
    let notice = match (shown.added, shown.removed) {
        (Some(email), _) => Some(format!("{email} can now sign in as door staff.")),
        (None, Some(email)) => Some(format!("{email} was removed and signed out.")),
        (None, None) => None,
    };
    page(&web, &visitor, notice, None).await
}

async fn page(
    web: &WebState,
    visitor: &Visitor,
    notice: Option<String>,
    error: Option<String>,
) -> PageResult<StaffPage> {
    Ok(StaffPage {
        nav: Nav::of(visitor),
        staff: web
            .identity
            .staff()
            .await?
            .into_iter()
            .map(|u| StaffRow {
                id: u.id.to_string(),
                email: u.email,
                since: view::date(u.created_at),
            })
            .collect(),
        notice,
        error,
    })
}

#[derive(Deserialize)]
pub(crate) struct NewStaff {
    email: String,
    password: String,
}

/// `POST /ui/admin/staff`: adds a door-staff account.
pub(crate) async fn add_staff(
    State(web): State<WebState>,
    visitor: Visitor,
    Form(form): Form<NewStaff>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin/staff")?;
    match web
        .identity
        .register(&form.email, &form.password, Role::Staff, true)
        .await
    {
        Ok(user) => {
            let query = serde_urlencoded::to_string([("added", user.email)]).unwrap_or_default();
            Ok(Redirect::to(&format!("/ui/admin/staff?{query}")).into_response())
        }
        Err(e) => {
            let e = PageError::from(e);
            let page = page(&web, &visitor, None, Some(e.message.clone())).await?;
            Ok((e.status, page).into_response())
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    #[serde(default)]
    confirmed: Option<String>,
}

/// `POST /ui/admin/staff/{id}/remove`: asks first, then removes with `confirmed=yes`.
pub(crate) async fn remove_staff(
    State(web): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    Form(form): Form<RemoveForm>,
) -> PageResult<Response> {
    admin_only(&visitor, "/ui/admin/staff")?;
    let Some(account) = web
        .identity
        .staff()
        .await?
        .into_iter()
        .find(|u| u.id.to_string() == id)
    else {
        return Err(PageError::not_found("door-staff account"));
    };
    if form.confirmed.as_deref() != Some("yes") {
        return Ok(RemovePage {
            nav: Nav::of(&visitor),
            id,
            email: account.email,
        }
        .into_response());
    }
    web.identity.remove_staff(&id).await?;
    let query = serde_urlencoded::to_string([("removed", account.email)]).unwrap_or_default();
    Ok(Redirect::to(&format!("/ui/admin/staff?{query}")).into_response())
}
