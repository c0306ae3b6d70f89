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
