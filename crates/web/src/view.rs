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

/// A price as people of its currency write it: `$1,200.00`, `£50.00`, `1.200,00 €`,
/// `¥1,200`; other currencies `1,200.00 CHF`.
pub(crate) fn price(amount: Money, currency: &str) -> String {
    let cents = amount.cents();
    let sign = if cents < 0 { "-" } else { "" };
    let (whole, fraction) = (cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
    let grouped = |separator: char| {
        let digits = whole.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(separator);
            }
            out.push(d);
        }
        out
    };
    match currency {
        "USD" => format!("{sign}${}.{fraction:02}", grouped(',')),
        "CAD" => format!("{sign}CA${}.{fraction:02}", grouped(',')),
        "AUD" => format!("{sign}A${}.{fraction:02}", grouped(',')),
        "GBP" => format!("{sign}£{}.{fraction:02}", grouped(',')),
        "JPY" => format!("{sign}¥{}", grouped(',')),
        "EUR" => format!("{sign}{},{fraction:02} €", grouped('.')),
        other => format!("{sign}{}.{fraction:02} {other}", grouped(',')),
    }
}

/// `Sat 12 Dec 2026, 20:00 UTC`.
pub(crate) fn date(at: DateTime<Utc>) -> String {
    at.format("%a %-d %b %Y, %H:%M UTC").to_string()
}

/// An instant for scripts (`2026-12-12T20:00:00Z`).
pub(crate) fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Seats in place order as few words as they take: `VIP · row 1 · seats 3–5, A · row 2 · seat 7`.
pub(crate) fn seats_label(seats: &[(String, i64, i64)]) -> String {
    let mut groups: Vec<(&str, i64, i64, i64)> = Vec::new();
    for (section, row, number) in seats {
        match groups.last_mut() {
            Some(g) if g.0 == section && g.1 == *row && g.3 + 1 == *number => g.3 = *number,
            _ => groups.push((section, *row, *number, *number)),
        }
    }
    groups
        .iter()
        .map(|&(section, row, first, last)| {
            if first == last {
                seat_label(section, row, first)
            } else {
                format!("{section} · row {row} · seats {first}–{last}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `A · row 1 · seat 3`.
pub(crate) fn seat_label(section: &str, row: i64, number: i64) -> String {
    format!("{section} · row {row} · seat {number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_written_as_their_currency_writes_them() {
        let p = |cents, currency| price(Money::from_cents(cents), currency);
        assert_eq!(p(12_000_000, "USD"), "$120,000.00");
        assert_eq!(p(120_000, "USD"), "$1,200.00");
        assert_eq!(p(5000, "USD"), "$50.00");
        assert_eq!(p(120_000, "EUR"), "1.200,00 €");
        assert_eq!(p(750, "GBP"), "£7.50");
        assert_eq!(p(123_456_789, "CHF"), "1,234,567.89 CHF");
        assert_eq!(p(-2500, "USD"), "-$25.00");
        assert_eq!(p(120_000, "JPY"), "¥1,200");
    }

    #[test]
    fn neighbouring_seats_are_named_together() {
        let s = |section: &str, row, number| (section.to_string(), row, number);
        let seats = [
            s("VIP", 1, 3),
            s("VIP", 1, 4),
            s("VIP", 1, 5),
            s("A", 2, 7),
            s("A", 2, 9),
        ];
        assert_eq!(
            seats_label(&seats),
            "VIP · row 1 · seats 3–5, A · row 2 · seat 7, A · row 2 · seat 9"
        );
    }
}
