//! Timestamps are stored as integer microseconds since the Unix epoch: compact, exactly
//! comparable in SQL and free of text-format pitfalls.

use chrono::{DateTime, Utc};

/// Microseconds since the Unix epoch.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The instant `micros` microseconds after the Unix epoch (saturating at the representable range).
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Whether `now` is inside a sales window whose ends may be open (`None`): from `start` on,
/// before `end`. The one rule of an event's sales window, for the catalog's listings and for
/// inventory at every hold.
pub fn in_sales_window(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    start.is_none_or(|s| s <= now) && end.is_none_or(|e| now < e)
}
