//! Small things every page shows: the navigation bar, prices and dates in words.

use chrono::{DateTime, Utc};
use kernel::Money;

use crate::session::Visitor;

/// The navigation bar's view of the visitor.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nav {
    /// The signed-in person's e-mail.
    pub(crate) who: Option<String>,
    /// Shows the admin link.
    pub(crate) is_admin: bool,
    /// Shows the check-in link.
    pub(crate) is_staff: bool,
}

impl Nav {
    pub(crate) fn of(visitor: &Visitor) -> Self {
        Self {
            who: visitor.claims.as_ref().map(|c| c.email.clone()),
            is_admin: visitor.is_admin(),
            is_staff: visitor.is_staff(),
        }
    }
}

/// `50.00 USD`.
pub(crate) fn price(amount: Money, currency: &str) -> String {
    format!("{amount} {currency}")
}

/// `Sat 12 Dec 2026, 20:00 UTC`.
pub(crate) fn date(at: DateTime<Utc>) -> String {
    at.format("%a %-d %b %Y, %H:%M UTC").to_string()
}

/// An instant for scripts (`2026-12-12T20:00:00Z`).
pub(crate) fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `A · row 1 · seat 3`.
pub(crate) fn seat_label(section: &str, row: i64, number: i64) -> String {
    format!("{section} · row {row} · seat {number}")
}
