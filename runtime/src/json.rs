//! Values and JSON: the one conversion between the runtime's Python-semantics [`Value`]s and JSON,
//! used by every reader and writer of JSON in the project (batch evaluation, `llem` reports,
//! sweeps, the miners' synthesised kwargs and the gate's probes).
//!
//! - [`from_json`]: JSON → [`Value`]. Integers that fit 64 bits are ints; larger ones (and every
//!   number with a fraction or an exponent) are floats, exactly as serde_json parsed them.
//! - [`to_json`]: [`Value`] → JSON for reports. JSON has no NaN or infinity: a non-finite float is
//!   written as the **string** of its Python `repr`, `"nan"`, `"inf"` or `"-inf"` (a reader
//!   sees what Python would print; no report or artifact holds one today, and none can come from
//!   a JSON config, whose parser refuses them). A dict key that is not a string is written as its
//!   Python `repr` (`{1: 2}` → `{"1": 2}`); keys come out sorted and, when two keys print the same,
//!   the later entry wins (serde_json's map).
//! - [`to_json_exact`]: [`Value`] → JSON when the JSON means exactly that value (`None` for a
//!   non-finite float or a non-string dict key): for values handed to a live library as kwargs,
//!   where a stand-in spelling would change what is tested.
//! - [`write_json`] / [`write_str`]: the bytes of `serde_json::to_vec(&to_json(v))` written
//!   straight into a buffer, without building the JSON tree (the batch evaluator's output).
//!
//! Round trips: `from_json(&to_json(v)) == v` for every value without non-finite floats or
//! non-string keys (floats keep their fraction: `1.0` stays a float, `-0.0` keeps its sign).

use llemc_compiler::value::{Value, python_float, repr};
use serde_json::{Map, Number, Value as Json};

/// JSON → [`Value`]: integers beyond 64 bits become floats.
pub fn from_json(v: &Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(from_json).collect()),
        Json::Object(map) => Value::Dict(
            map.iter()
                .map(|(k, v)| (Value::Str(k.clone()), from_json(v)))
                .collect(),
        ),
    }
}

/// The JSON key of a dict key: a string as is, anything else as its Python `repr`.
fn key_text(key: &Value) -> std::borrow::Cow<'_, str> {
    match key {
        Value::Str(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(repr(other)),
    }
}

/// [`Value`] → JSON for reports (non-finite floats as `"nan"`, `"inf"`, `"-inf"`).
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(python_float(*f))),
        Value::Str(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Dict(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (key_text(k).into_owned(), to_json(v)))
                .collect(),
        ),
    }
}

/// [`Value`] → JSON that means exactly this value; `None` when a float is not finite or a dict
/// key is not a string.
pub fn to_json_exact(v: &Value) -> Option<Json> {
    Some(match v {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => Json::Number(Number::from_f64(*f)?),
        Value::Str(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json_exact).collect::<Option<_>>()?),
        Value::Dict(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let Value::Str(k) = k else {
                    return None;
                };
                map.insert(k.clone(), to_json_exact(v)?);
            }
            Json::Object(map)
        }
    })
}

/// Writes `v` as compact JSON: the bytes of `serde_json::to_vec(&to_json(v))`.
pub fn write_json(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => {
            let _ = serde_json::to_writer(&mut *out, i);
        }
        Value::Float(f) if f.is_finite() => {
            // serde_json's float format: shortest round trip, always a fraction or an exponent.
            let _ = serde_json::to_writer(&mut *out, f);
        }
        Value::Float(f) => write_str(out, &python_float(*f)),
        Value::Str(s) => write_str(out, s),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        Value::Dict(entries) => write_dict(out, entries),
    }
}

/// A dict as serde_json's map writes it: keys sorted, the last of equal keys kept.
fn write_dict(out: &mut Vec<u8>, entries: &[(Value, Value)]) {
    let mut keyed: Vec<(std::borrow::Cow<'_, str>, &Value)> =
        entries.iter().map(|(k, v)| (key_text(k), v)).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    out.push(b'{');
    let mut first = true;
    let mut iter = keyed.iter().peekable();
    while let Some((key, value)) = iter.next() {
        if iter.peek().is_some_and(|(next, _)| next == key) {
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_str(out, key);
        out.push(b':');
        write_json(out, value);
    }
    out.push(b'}');
}

/// Writes a JSON string literal (quotes included), escaped as serde_json escapes it.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_into(out, s);
    out.push(b'"');
}

/// Writes the inside of a JSON string literal: `"` and `\` escaped, control characters as
/// `\n`-style or `\u00XX` escapes, everything else as is.
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            other => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX.get(usize::from(other >> 4)).copied().unwrap_or(b'0'));
                out.push(HEX.get(usize::from(other & 0xf)).copied().unwrap_or(b'0'));
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// A [`std::fmt::Write`] that escapes what is written into the inside of a JSON string.
pub struct Escaped<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        escape_into(self.0, s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    fn via_tree(v: &Value) -> Vec<u8> {
        serde_json::to_vec(&to_json(v)).unwrap()
    }

    fn written(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write_json(&mut out, v);
        out
    }

    #[test]
    fn non_finite_floats_are_python_strings() {
        for (f, s) in [
            (f64::NAN, "\"nan\""),
            (f64::INFINITY, "\"inf\""),
            (f64::NEG_INFINITY, "\"-inf\""),
        ] {
            let v = Value::Float(f);
            assert_eq!(to_json(&v).to_string(), s);
            assert_eq!(String::from_utf8(written(&v)).unwrap(), s);
            assert_eq!(to_json_exact(&v), None);
        }
    }

    #[test]
    fn round_trips_keep_kinds_signs_and_big_ints() {
        let values = [
            Value::Null,
            Value::Bool(true),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Float(1.0),
            Value::Float(-0.0),
            Value::Float(0.1),
            Value::Float(1e300),
            Value::Float(5e-324),
            Value::Str("a\"b\\c\n\u{1}é".into()),
            Value::List(vec![Value::Int(1), Value::Float(1.0)]),
            Value::Dict(vec![(Value::Str("k".into()), Value::List(vec![]))]),
        ];
        for v in &values {
            let text = String::from_utf8(written(v)).unwrap();
            let back = from_json(&serde_json::from_str(&text).unwrap());
            assert_eq!(&back, v, "{text}");
            assert_eq!(
                back.type_name(),
                v.type_name(),
                "{text} changed its Python type"
            );
            if let (Value::Float(a), Value::Float(b)) = (&back, v) {
                assert_eq!(a.to_bits(), b.to_bits(), "{text}");
            }
            assert_eq!(from_json(&to_json_exact(v).unwrap()), *v);
        }
    }

    #[test]
    fn integers_beyond_64_bits_become_floats() {
        let big: Json = serde_json::from_str("18446744073709551616").unwrap();
        assert_eq!(from_json(&big), Value::Float(18_446_744_073_709_551_616.0));
        let u: Json = serde_json::from_str("9223372036854775808").unwrap();
        assert_eq!(from_json(&u), Value::Float(9_223_372_036_854_775_808.0));
        let min: Json = serde_json::from_str("-9223372036854775808").unwrap();
        assert_eq!(from_json(&min), Value::Int(i64::MIN));
        let exact: Json = serde_json::from_str("0.9999999999999999").unwrap();
        // Correct rounding matters: `x >= 1.0` must not hold on 0.9999999999999999.
        assert_eq!(from_json(&exact), Value::Float(0.999_999_999_999_999_9));
        assert_ne!(from_json(&exact), Value::Float(1.0));
    }

    #[test]
    fn dict_keys_are_sorted_reprs_and_the_last_wins() {
        let v = Value::Dict(vec![
            (Value::Str("b".into()), Value::Int(1)),
            (Value::Int(1), Value::Int(2)),
            (Value::Str("1".into()), Value::Int(3)),
            (Value::Null, Value::Bool(false)),
        ]);
        assert_eq!(written(&v), via_tree(&v));
        assert_eq!(
            String::from_utf8(written(&v)).unwrap(),
            r#"{"1":3,"None":false,"b":1}"#
        );
        assert_eq!(to_json_exact(&v), None);
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<f64>().prop_map(Value::Float),
            prop_oneof![Just(f64::NAN), Just(-0.0), Just(1e16), Just(1e-7)].prop_map(Value::Float),
            any::<String>().prop_map(Value::Str),
            "[a-c\"\\\\\u{0}-\u{1f}\u{7f}é]{0,6}".prop_map(Value::Str),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
                prop::collection::vec((inner.clone(), inner), 0..4).prop_map(Value::Dict),
            ]
        })
    }

    proptest! {
        #[test]
        fn writing_equals_serialising_the_tree(v in value()) {
            prop_assert_eq!(written(&v), via_tree(&v));
        }

        #[test]
        fn escaping_equals_serde_json(s in any::<String>()) {
            let mut out = Vec::new();
            write_str(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_vec(&s).unwrap());
        }
    }
}
