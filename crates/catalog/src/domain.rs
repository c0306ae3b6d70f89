//! Events and seats, with the rules that make them valid.

use chrono::{DateTime, NaiveDateTime, Utc};
use kernel::{EventId, Money, SeatId};

use crate::CatalogError;

pub(crate) mod layout;

/// Whether an event is on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    /// Listed and on sale.
    Active,
    /// Withdrawn by an administrator.
    Inactive,
}

impl EventStatus {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Inactive => "inactive",
        }
    }

    /// Parses the storage form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }
}

/// An event in the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Identifier.
    pub id: EventId,
    /// Name shown to buyers.
    pub name: String,
    /// Description.
    pub description: String,
    /// When it takes place (UTC).
    pub event_date: DateTime<Utc>,
    /// Where.
    pub venue: String,
    /// Most seats it may have.
    pub max_capacity: i64,
    /// Price from which seat prices derive.
    pub base_price: Money,
    /// ISO 4217 currency of every price of the event.
    pub currency: String,
    /// On sale or withdrawn.
    pub status: EventStatus,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change, if any.
    pub updated_at: Option<DateTime<Utc>>,
    /// The IANA time zone its dates are entered and shown in (`Europe/Berlin`).
    pub time_zone: String,
    /// When its seats go on sale (`None`: at once).
    pub sales_start: Option<DateTime<Utc>>,
    /// When its seats come off sale (`None`: when the event starts).
    pub sales_end: Option<DateTime<Utc>>,
    /// Whether a buyer may extend a hold once, by the hold time.
    pub hold_extension: bool,
    /// Where the stage stands on a layout with positions (`None`: above the seats, in the
    /// middle; `layout.rs`).
    pub stage: Option<(f64, f64)>,
}

impl Event {
    /// Whether seats of this event can be bought at `now`: active, not begun, and inside its
    /// sales window.
    pub fn is_on_sale(&self, now: DateTime<Utc>) -> bool {
        self.status == EventStatus::Active
            && self.event_date > now
            && kernel::in_sales_window(self.sales_start, self.sales_end, now)
    }

    /// `at` on the event's local clock: `Sat 12 Dec 2026, 20:00 CET`.
    pub fn local_time(&self, at: DateTime<Utc>) -> String {
        let tz: chrono_tz::Tz = self.time_zone.parse().unwrap_or(chrono_tz::UTC);
        at.with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M %Z")
            .to_string()
    }

    /// `at` as a `datetime-local` form value on the event's clock (`2026-12-12T20:00`).
    pub fn local_input(&self, at: DateTime<Utc>) -> String {
        let tz: chrono_tz::Tz = self.time_zone.parse().unwrap_or(chrono_tz::UTC);
        at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
    }
}

/// An IANA time zone name (`Europe/Berlin`, `America/Santiago`, `UTC`).
///
/// # Errors
/// [`CatalogError::Invalid`] for a name the tz database does not know.
pub(crate) fn valid_time_zone(name: &str) -> Result<String, CatalogError> {
    let name = name.trim();
    name.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| {
            CatalogError::Invalid(format!(
                "timeZone must be an IANA time zone such as Europe/Berlin or America/Santiago, got {name:?}."
            ))
        })
}

/// A date and time for `field`: RFC 3339 (with an offset) as given, or without one (as an HTML
/// `datetime-local` sends it) on the clock of `time_zone`.
///
/// # Errors
/// [`CatalogError::Invalid`] naming `field`: not a date, or a local time the clocks skip.
pub(crate) fn parse_local_date(
    field: &str,
    text: &str,
    time_zone: &str,
) -> Result<DateTime<Utc>, CatalogError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::UTC);
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            use chrono::TimeZone;
            return tz
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| {
                    CatalogError::Invalid(format!(
                        "{field} {text} does not exist in {time_zone} (the clocks skip it)."
                    ))
                });
        }
    }
    Err(CatalogError::Invalid(format!(
        "{field} must be a date and time such as 2026-05-01T20:00 (in the event's time zone) or 2026-05-01T20:00:00Z, got {text:?}."
    )))
}

/// One seat of an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Seat {
    /// Identifier.
    pub id: SeatId,
    /// The event.
    pub event_id: EventId,
    /// Section code (`A`, `VIP`).
    pub section_code: String,
    /// Row, from 1.
    pub row_number: i64,
    /// Seat within the row, from 1.
    pub seat_number: i64,
    /// Price.
    pub price: Money,
    /// A wheelchair space or a companion seat beside one, as the organiser marked it.
    pub access: Option<SeatAccess>,
    /// Its price category, if the event has categories.
    pub category: Option<String>,
    /// Where it stands, in seat widths (`layout.rs`); `None` for plain rectangular sections.
    pub position: Option<(f64, f64)>,
}

/// What a seat offers those who need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatAccess {
    /// A space for a wheelchair.
    Wheelchair,
    /// A seat for the companion of someone in a wheelchair space.
    Companion,
}

impl SeatAccess {
    /// The wire and storage form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wheelchair => "wheelchair",
            Self::Companion => "companion",
        }
    }

    /// Parses the wire form: `wheelchair`, `companion`, or `none` (also empty) for neither.
    ///
    /// # Errors
    /// [`CatalogError::Invalid`] for anything else.
    pub fn parse(value: &str) -> Result<Option<Self>, CatalogError> {
        match value.trim() {
            "wheelchair" => Ok(Some(Self::Wheelchair)),
            "companion" => Ok(Some(Self::Companion)),
            "" | "none" => Ok(None),
            other => Err(CatalogError::Invalid(format!(
                "access must be wheelchair, companion or none, not {other:?}."
            ))),
        }
    }
}

/// A trimmed, non-blank text of at most `max` characters, without control characters.
pub(crate) fn required_text(field: &str, value: &str, max: usize) -> Result<String, CatalogError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CatalogError::Invalid(format!("{field} is required.")));
    }
    if kernel::has_control_chars(trimmed) {
        return Err(CatalogError::Invalid(format!(
            "{field} must not contain control characters."
        )));
    }
    if trimmed.chars().count() > max {
        return Err(CatalogError::Invalid(format!(
            "{field} must be at most {max} characters."
        )));
    }
    Ok(trimmed.to_string())
}

/// A trimmed, non-blank text of at most `max` characters, in lines and paragraphs: line breaks
/// and tabs are kept, every other control character is refused.
pub(crate) fn required_paragraphs(
    field: &str,
    value: &str,
    max: usize,
) -> Result<String, CatalogError> {
    let single_line: String = value
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    required_text(field, &single_line, max)?;
    Ok(value.trim().to_string())
}

/// A capacity between 1 and 1,000,000.
pub(crate) fn valid_capacity(value: i64) -> Result<i64, CatalogError> {
    if (1..=1_000_000).contains(&value) {
        Ok(value)
    } else {
        Err(CatalogError::Invalid(
            "maxCapacity must be between 1 and 1000000.".into(),
        ))
    }
}

/// A positive price below one billion.
pub(crate) fn valid_price(field: &str, value: Money) -> Result<Money, CatalogError> {
    if value.is_positive() && value < Money::from_cents(100_000_000_000) {
        Ok(value)
    } else {
        Err(CatalogError::Invalid(format!(
            "{field} must be greater than zero and below 1000000000."
        )))
    }
}

/// A section code: 1 to 20 letters, digits, `-` or `_`.
pub(crate) fn valid_section_code(value: &str) -> Result<String, CatalogError> {
    let code = value.trim();
    let ok = !code.is_empty()
        && code.len() <= 20
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(code.to_string())
    } else {
        Err(CatalogError::Invalid(format!(
            "sectionCode must be 1 to 20 letters, digits, '-' or '_', got {value:?}."
        )))
    }
}

/// A three-letter upper-case currency code.
pub(crate) fn valid_currency(value: &str) -> Result<String, CatalogError> {
    if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value.to_string())
    } else {
        Err(CatalogError::Invalid(format!(
            "currency must be a three-letter code such as USD, got {value:?}."
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_dates_without_offset_are_on_the_events_clock() {
        let utc = parse_local_date("eventDate", "2026-05-01T20:00", "UTC").expect("parses");
        assert_eq!(utc.to_rfc3339(), "2026-05-01T20:00:00+00:00");
        let berlin =
            parse_local_date("eventDate", "2026-07-01T20:00", "Europe/Berlin").expect("parses");
        assert_eq!(
            berlin.to_rfc3339(),
            "2026-07-01T18:00:00+00:00",
            "summer time, UTC+2"
        );
        let given = parse_local_date("eventDate", "2026-05-01T20:00:00-03:00", "Europe/Berlin");
        assert_eq!(
            given.map(|t| t.to_rfc3339()).ok().as_deref(),
            Some("2026-05-01T23:00:00+00:00")
        );
        assert!(parse_local_date("eventDate", "tomorrow", "UTC").is_err());
        // 02:30 does not exist in Berlin on the night the clocks go forward.
        assert!(parse_local_date("eventDate", "2026-03-29T02:30", "Europe/Berlin").is_err());
        assert_eq!(
            valid_time_zone(" America/Santiago ").ok().as_deref(),
            Some("America/Santiago")
        );
        assert!(valid_time_zone("Mars/Olympus").is_err());
        assert!(valid_time_zone("").is_err());
    }

    #[test]
    fn field_rules() {
        assert!(required_text("name", "  ", 10).is_err());
        assert!(required_text("name", "abcdefghijk", 10).is_err());
        assert_eq!(required_text("name", " Rock ", 10).expect("ok"), "Rock");
        assert!(required_text("name", "Rock\r\nBcc: x", 20).is_err());
        assert!(required_text("name", "Rock\0", 20).is_err());
        assert_eq!(
            required_paragraphs("description", " One.\n\tTwo. ", 20).expect("ok"),
            "One.\n\tTwo."
        );
        assert!(required_paragraphs("description", "One.\0", 20).is_err());
        assert!(valid_capacity(0).is_err());
        assert!(valid_price("basePrice", Money::from_cents(-1)).is_err());
        assert!(valid_section_code("VIP 1").is_err());
        assert!(valid_currency("usd").is_err());
    }
}
