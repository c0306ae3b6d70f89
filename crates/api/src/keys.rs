//! Case-insensitive JSON keys (SPEC §3: `SeatId` = `seatId`), done on the JSON text itself so
//! that exact number parsing (money) still sees the original digits.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::borrow::Cow;

/// The field names of a `Deserialize` struct, read by letting it describe itself to a probe.
pub(crate) fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields = None;
    let _probe_always_fails = T::deserialize(Probe { out: &mut fields });
    fields.unwrap_or(&[])
}

struct Probe<'a> {
    out: &'a mut Option<&'static [&'static str]>,
}

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("field probe"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        *self.out = Some(fields);
        Err(de::Error::custom("field probe"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// Rewrites every object key of `json` to its canonical spelling: a key equal, ignoring ASCII
/// case, to one of `canonical` takes that spelling; any other key gets a lower-case first letter
/// (`SectionCode` → `sectionCode`), which covers nested objects of PascalCase clients.
/// Malformed JSON is returned unchanged for the parser to report.
pub(crate) fn canonicalize_keys<'a>(json: &'a [u8], canonical: &[&str]) -> Cow<'a, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < json.len() {
        if json[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        let mut escaped = false;
        while end < json.len() && json[end] != b'"' {
            escaped |= json[end] == b'\\';
            end += if json[end] == b'\\' { 2 } else { 1 };
        }
        if end >= json.len() {
            break;
        }
        let mut next = end + 1;
        while next < json.len() && json[next].is_ascii_whitespace() {
            next += 1;
        }
        let is_key = next < json.len() && json[next] == b':';
        if is_key
            && !escaped
            && let Some(replacement) = canonical_key(&json[start..end], canonical)
        {
            let buf = out.get_or_insert_with(|| json.to_vec());
            buf[start..end].copy_from_slice(&replacement);
        }
        i = end + 1;
    }
    out.map_or(Cow::Borrowed(json), Cow::Owned)
}

/// The replacement for `key` (same length), or `None` when it is already canonical.
fn canonical_key(key: &[u8], canonical: &[&str]) -> Option<Vec<u8>> {
    if canonical.iter().any(|c| c.as_bytes() == key) {
        return None;
    }
    if let Some(c) = canonical
        .iter()
        .find(|c| c.as_bytes().eq_ignore_ascii_case(key))
    {
        return Some(c.as_bytes().to_vec());
    }
    match key.first() {
        Some(first) if first.is_ascii_uppercase() => {
            let mut k = key.to_vec();
            k[0] = first.to_ascii_lowercase();
            Some(k)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[expect(dead_code, reason = "only the field names are probed")]
    struct Sample {
        seat_id: String,
        customer_id: String,
    }

    #[test]
    fn probe_reads_struct_fields() {
        assert_eq!(field_names::<Sample>(), &["seatId", "customerId"]);
    }

    #[test]
    fn keys_take_the_canonical_spelling_but_values_do_not() {
        let fields = field_names::<Sample>();
        let json = br#"{"SEATID": "SeatId", "CustomerId" :"x", "Nested":{"SectionCode":1}}"#;
        let fixed = canonicalize_keys(json, fields);
        assert_eq!(
            std::str::from_utf8(&fixed).expect("utf8"),
            r#"{"seatId": "SeatId", "customerId" :"x", "nested":{"sectionCode":1}}"#
        );
        assert!(matches!(
            canonicalize_keys(br#"{"seatId":"a"}"#, fields),
            Cow::Borrowed(_)
        ));
    }
}
