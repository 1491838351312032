//! The lexical pieces of the streaming binder, each giving exactly what serde_json gives: where
//! a string literal ends, the value of a number token, an object's entries as serde_json's map
//! holds them.

use super::stream::Refused;
use llemc_compiler::value::Value;

/// The offset of the first `"`, `\\` or control character in `bytes`, eight bytes at a time: a
/// byte is flagged by the usual "has a zero byte" trick on the word XOR-ed with each delimiter,
/// and by "less than 0x20"; the lowest flag is exact.
#[inline]
pub(super) fn string_end(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(rest) = bytes.get(at..).filter(|r| !r.is_empty()) {
        // A last, partial word is padded with spaces (not a delimiter).
        let x = match rest.first_chunk::<8>() {
            Some(eight) => u64::from_le_bytes(*eight),
            None => {
                let filled = u64::MAX >> (64 - 8 * rest.len());
                (crate::hash::word(rest) & filled) | ((ONES * u64::from(b' ')) & !filled)
            }
        };
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        let flags = (quote.wrapping_sub(ONES) & !quote
            | slash.wrapping_sub(ONES) & !slash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGH;
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    None
}

/// The value serde_json gives a number token (valid JSON): an integer within `i64` is an int; a
/// larger one, `-0`, and any token with a fraction or exponent is a float (correctly rounded).
pub(super) fn number_value(token: &str, float: bool) -> Result<Value, Refused> {
    let finite = |t: &str| -> Result<Value, Refused> {
        match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(Refused),
        }
    };
    if float {
        return finite(token);
    }
    let (negative, digits) = match token.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, token),
    };
    let Ok(magnitude) = digits.parse::<u64>() else {
        return finite(token);
    };
    Ok(integer_value(negative, magnitude))
}

/// The value serde_json gives an integer token of this sign and magnitude (within `u64`).
pub(super) fn integer_value(negative: bool, magnitude: u64) -> Value {
    #[allow(clippy::cast_precision_loss)]
    let as_float = magnitude as f64;
    match (negative, i64::try_from(magnitude)) {
        (false, Ok(i)) => Value::Int(i),
        (false, Err(_)) => Value::Float(as_float),
        (true, _) if magnitude == 0 => Value::Float(-0.0),
        (true, _) => match 0i64.checked_sub_unsigned(magnitude) {
            Some(i) => Value::Int(i),
            None => Value::Float(-as_float),
        },
    }
}

/// A JSON object as serde_json's map holds it: keys sorted, the last of equal keys kept.
pub(super) fn dict(mut entries: Vec<(String, Value)>) -> Value {
    entries.reverse();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|later, earlier| later.0 == earlier.0);
    Value::Dict(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Str(k), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn string_end_finds_the_first_delimiter(bytes in prop::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..=0xff, b'a'..=b'z', b'a'..=b'z'],
            0..40,
        )) {
            let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            prop_assert_eq!(string_end(&bytes), naive);
        }
    }
}
