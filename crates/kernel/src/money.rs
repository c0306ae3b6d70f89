//! Exact money: an integer number of minor units (cents). Never a binary float.
//!
//! On the wire an amount is a JSON number with two decimals (`50.00`). Requests may also send it
//! as a string (`"50.00"`), as the original's clients do. Parsing reads the JSON text itself, so
//! `0.1 + 0.2` rounding can never creep in.

use serde::de::{self, Deserializer};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fmt;
use std::ops::{Add, Mul};
use std::str::FromStr;

/// An amount of money in minor units (two decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money {
    cents: i64,
}

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a decimal number.
    #[error("is not a decimal number")]
    NotANumber,
    /// More than two decimals.
    #[error("has more than two decimals")]
    TooPrecise,
    /// Too large to represent.
    #[error("is too large")]
    TooLarge,
}

impl Money {
    /// The amount of zero.
    pub const ZERO: Money = Money { cents: 0 };

    /// An amount of `cents` minor units.
    pub const fn from_cents(cents: i64) -> Self {
        Self { cents }
    }

    /// The amount in minor units.
    pub const fn cents(self) -> i64 {
        self.cents
    }

    /// Whether the amount is strictly positive.
    pub fn is_positive(self) -> bool {
        self.cents > 0
    }

    /// Sum of `self` and `other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.cents.checked_add(other.cents).map(Money::from_cents)
    }

    /// The amount multiplied by a decimal factor given in hundredths (`150` = ×1.5), rounded
    /// half away from zero to the cent.
    pub fn times_hundredths(self, hundredths: i64) -> Option<Money> {
        let product = i128::from(self.cents) * i128::from(hundredths);
        let rounded = (product + 50 * product.signum()) / 100;
        i64::try_from(rounded).ok().map(Money::from_cents)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal(s.trim(), 2).map(Money::from_cents)
    }
}

/// Parses a plain decimal (`-12.5`, `3`, `0.07`, `1e2` is refused) into an integer scaled by
/// `10^scale`; more than `scale` decimals is an error, except trailing zeros.
pub(crate) fn parse_decimal(s: &str, scale: u32) -> Result<i64, MoneyError> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !int_part.is_empty()
        && int_part.bytes().all(|b| b.is_ascii_digit())
        && frac_part.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && frac_part.is_empty());
    if !well_formed {
        return Err(MoneyError::NotANumber);
    }
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > scale as usize {
        return Err(MoneyError::TooPrecise);
    }
    let mut value: i64 = 0;
    for b in int_part.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(MoneyError::TooLarge)?;
    }
    let mut frac_value: i64 = 0;
    for i in 0..scale as usize {
        let digit = frac_trimmed
            .as_bytes()
            .get(i)
            .map_or(0, |b| i64::from(b - b'0'));
        frac_value = frac_value * 10 + digit;
    }
    let scaled = value
        .checked_mul(10_i64.pow(scale))
        .and_then(|v| v.checked_add(frac_value))
        .ok_or(MoneyError::TooLarge)?;
    Ok(if negative { -scaled } else { scaled })
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money::from_cents(self.cents.saturating_add(rhs.cents))
    }
}

impl Mul<i64> for Money {
    type Output = Money;
    fn mul(self, rhs: i64) -> Money {
        Money::from_cents(self.cents.saturating_mul(rhs))
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A raw value keeps the two decimals (`50.00`) that a float would lose.
        let raw = RawValue::from_string(self.to_string()).map_err(ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(deserializer)?;
        let text = raw.get();
        let unquoted = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(inner) => inner,
            None => text,
        };
        unquoted.parse::<Money>().map_err(|e| {
            de::Error::custom(format!(
                "expected an amount with at most two decimals, got {text} which {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_amounts_exactly() {
        for (text, cents) in [
            ("50", 5000),
            ("50.0", 5000),
            ("50.00", 5000),
            ("0.07", 7),
            ("-12.5", -1250),
            ("999999.99", 99_999_999),
            ("1.100", 110),
        ] {
            assert_eq!(
                text.parse::<Money>(),
                Ok(Money::from_cents(cents)),
                "{text}"
            );
        }
        assert_eq!(Money::from_cents(5000).to_string(), "50.00");
        assert_eq!(Money::from_cents(-7).to_string(), "-0.07");
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for text in [
            "",
            "abc",
            "1e2",
            "1.",
            ".5",
            "1.234",
            "NaN",
            "--1",
            "99999999999999999999",
        ] {
            assert!(text.parse::<Money>().is_err(), "{text}");
        }
    }

    #[test]
    fn json_round_trip_keeps_two_decimals() {
        let m: Money = serde_json::from_str("50").expect("number");
        assert_eq!(serde_json::to_string(&m).expect("serialize"), "50.00");
        let s: Money = serde_json::from_str("\"75.50\"").expect("string");
        assert_eq!(s, Money::from_cents(7550));
        assert!(serde_json::from_str::<Money>("50.001").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
    }

    #[test]
    fn multiplier_rounds_to_the_cent() {
        assert_eq!(
            Money::from_cents(15000).times_hundredths(150),
            Some(Money::from_cents(22500))
        );
        assert_eq!(
            Money::from_cents(333).times_hundredths(50),
            Some(Money::from_cents(167))
        );
    }
}
