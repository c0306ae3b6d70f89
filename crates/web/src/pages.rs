//! The routes of the UI, one module per area.

mod account;
mod admin;
mod admin_order;
mod cart;
mod checkin;
mod held_back;
mod layout;
mod operations;
mod orders;
mod shop;
mod staff;
mod waitlist;

use axum::Router;
use axum::extract::FromRef;
use axum::response::Redirect;
use axum::routing::{get, post};

use crate::WebState;
use crate::error::PageError;
use crate::session::Visitor;

/// Door staff and administrators only: others are sent to sign in (coming back to `path`) or
/// told the page is not theirs.
pub(crate) fn staff_only(visitor: &Visitor, path: &str) -> Result<(), PageError> {
    match visitor.claims {
        None => Err(PageError::sign_in(path)),
        Some(_) if !visitor.is_staff() => Err(PageError::forbidden("door staff")),
        Some(_) => Ok(()),
    }
}

/// The seats a form names in its repeated `seat` fields (ids that do not parse are left out).
pub(crate) fn seat_fields(fields: &[(String, String)]) -> Vec<kernel::SeatId> {
    fields
        .iter()
        .filter(|(k, _)| k == "seat")
        .filter_map(|(_, v)| v.parse().ok().map(kernel::SeatId))
        .collect()
}

/// Administrators only, likewise.
pub(crate) fn admin_only(visitor: &Visitor, path: &str) -> Result<(), PageError> {
    match visitor.claims {
        None => Err(PageError::sign_in(path)),
        Some(_) if !visitor.is_admin() => Err(PageError::forbidden("administrators")),
        Some(_) => Ok(()),
    }
}

pub(crate) fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    WebState: FromRef<S>,
{
    Router::new()
        .route("/", get(shop::list_events))
        .route("/ui", get(|| async { Redirect::to("/") }))
        .route("/ui/events/{id}", get(shop::show_event))
        .route("/ui/events/{id}/live", get(shop::live_seats))
        .route("/ui/events/{id}/hold", post(shop::hold_seat))
        .route("/ui/events/{id}/best", post(shop::hold_best))
        .route("/ui/events/{id}/release", post(shop::release_seat))
        .route("/ui/events/{id}/waitlist", post(waitlist::join_waitlist))
        .route("/ui/cart", get(cart::show_cart))
        .route("/ui/cart/remove", post(cart::remove_from_cart))
        .route("/ui/cart/checkout", post(cart::checkout))
        .route("/ui/cart/hold-again", post(cart::hold_again))
        .route("/ui/cart/extend", post(cart::extend_holds))
        .route("/ui/orders", get(orders::list_orders))
        .route("/ui/orders/{id}", get(orders::show_order))
        .route(
            "/ui/orders/{id}/pay",
            get(orders::show_payment).post(orders::pay_order),
        )
        .route("/ui/orders/{id}/cancel", post(orders::cancel_order))
        .route("/ui/orders/{id}/extend", post(orders::extend_order))
        .route("/ui/tickets/{id}/pdf", get(orders::download_ticket))
        .route(
            "/ui/waitlist/{id}",
            get(waitlist::show_entry).post(waitlist::leave_waitlist),
        )
        .route(
            "/ui/signin",
            get(account::show_sign_in).post(account::sign_in),
        )
        .route(
            "/ui/register",
            get(account::show_register).post(account::register),
        )
        .route("/ui/signout", post(account::sign_out))
        .route(
            "/ui/checkin",
            get(checkin::show_scanner).post(checkin::check_in),
        )
        .route("/ui/admin", get(admin::list_events))
        .route(
            "/ui/admin/events/new",
            get(admin::new_event).post(admin::create_event),
        )
        .route("/ui/admin/events/{id}", get(admin::show_dashboard))
        .route(
            "/ui/admin/events/{id}/edit",
            get(admin::edit_event).post(admin::update_event),
        )
        .route(
            "/ui/admin/events/{id}/seats",
            get(admin::show_generator).post(admin::generate_seats),
        )
        .route(
            "/ui/admin/events/{id}/categories",
            post(layout::set_categories),
        )
        .route("/ui/admin/events/{id}/layout", post(layout::import_layout))
        .route("/ui/admin/events/{id}/status", post(admin::set_status))
        .route("/ui/admin/events/{id}/delete", post(admin::delete_event))
        .route("/ui/admin/events/{id}/prices", post(admin::set_prices))
        .route(
            "/ui/admin/events/{id}/attendees.csv",
            get(admin::attendees_csv),
        )
        .route("/ui/admin/events/{id}/orders.csv", get(admin::orders_csv))
        .route("/ui/admin/orders", get(admin::list_orders))
        .route("/ui/admin/orders/{id}", get(admin_order::show_order))
        .route("/ui/admin/orders/{id}/refund", post(admin_order::refund))
        .route("/ui/admin/preview", post(admin::preview_layout))
        .route(
            "/ui/admin/events/{id}/held-back",
            get(held_back::show).post(held_back::hold_back),
        )
        .route(
            "/ui/admin/events/{id}/held-back/release",
            post(held_back::release),
        )
        .route("/ui/admin/events/{id}/access", post(held_back::mark_access))
        .route("/ui/admin/events/{id}/box-office", post(held_back::sell))
        .route(
            "/ui/admin/staff",
            get(staff::show_staff).post(staff::add_staff),
        )
        .route("/ui/admin/staff/{id}/remove", post(staff::remove_staff))
        .route("/ui/admin/outbox", get(operations::show))
        .route("/ui/admin/outbox/{id}/retry", post(operations::retry))
}
