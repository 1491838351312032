//! The flat frame the JIT reads: one tagged 16-byte cell per slot, filled at bind time next to the
//! slot's [`Value`], and the interner that turns strings into ids.
//!
//! A cell is `{ tag: u8, payload: u64 }`:
//!
//! | tag | payload |
//! |---|---|
//! | [`tag::NULL`] (absent or explicit null) | 0 |
//! | [`tag::BOOL`] | 0 or 1 |
//! | [`tag::INT`] | the `i64` |
//! | [`tag::FLOAT`] | the `f64`'s bits |
//! | [`tag::STR`] | the string's rank among the program's strings (see [`Interner`]) |
//! | [`tag::FSTR`] (a string the program does not contain) | the slot index (the text is the slot's value) |
//! | [`tag::LIST`], [`tag::DICT`] | the slot index |
//!
//! Generated code also uses [`tag::CONST`] for a constant list or dict of the program (payload:
//! its index in the JIT's constant table); it never appears in a frame.

use crate::hash::KeyWords;
use llemc_compiler::value::Value;

/// Cell tags.
pub mod tag {
    /// `None` (an absent slot reads as null).
    pub const NULL: u8 = 0;
    /// `bool`.
    pub const BOOL: u8 = 1;
    /// `int`.
    pub const INT: u8 = 2;
    /// `float`.
    pub const FLOAT: u8 = 3;
    /// A string of the program's string table (payload: its rank).
    pub const STR: u8 = 4;
    /// A foreign string (payload: the slot holding it).
    pub const FSTR: u8 = 5;
    /// A list (payload: the slot holding it).
    pub const LIST: u8 = 6;
    /// A dict (payload: the slot holding it).
    pub const DICT: u8 = 7;
    /// A constant list or dict of the compiled program (generated code only).
    pub const CONST: u8 = 8;
}

/// One slot as the JIT reads it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// One of [`tag`].
    pub tag: u8,
    /// See the module documentation.
    pub payload: u64,
}

/// Byte offset of [`Cell::tag`].
pub const TAG_OFFSET: i32 = 0;
/// Byte offset of [`Cell::payload`].
pub const PAYLOAD_OFFSET: i32 = 8;
/// Size of a cell in bytes.
pub const CELL_SIZE: i64 = 16;

const _: () = assert!(std::mem::size_of::<Cell>() == 16);
const _: () = assert!(std::mem::offset_of!(Cell, payload) == 8);

/// The distinct strings of a program, each with its rank in sorted (code point) order, so that
/// equal ids mean equal strings and id order is string order. Looked up through an
/// open-addressing table keyed by [`KeyWords`] (a string of at most 16 bytes is found without
/// comparing its bytes).
#[derive(Clone, Debug, Default)]
pub struct Interner {
    sorted: Vec<String>,
    words: Vec<KeyWords>,
    /// `(hash, rank + 1)`, 0 = empty; a power of two at least twice the number of strings.
    table: Vec<(u32, u32)>,
}

impl Interner {
    /// Interns a program's string table.
    pub fn new(strings: &[String]) -> Interner {
        let mut sorted: Vec<String> = strings.to_vec();
        sorted.sort();
        sorted.dedup();
        let words: Vec<KeyWords> = sorted.iter().map(|s| KeyWords::of(s.as_bytes())).collect();
        let size = (sorted.len() * 2).next_power_of_two().max(2);
        let mut table = vec![(0u32, 0u32); size];
        let mask = size - 1;
        for (rank, w) in words.iter().enumerate() {
            let h = (w.hash() >> 32) as u32;
            let mut at = h as usize & mask;
            while table.get(at).is_some_and(|e| e.1 != 0) {
                at = (at + 1) & mask;
            }
            if let Some(e) = table.get_mut(at) {
                *e = (h, u32::try_from(rank + 1).unwrap_or(u32::MAX));
            }
        }
        Interner {
            sorted,
            words,
            table,
        }
    }

    /// The rank of a string, if the program has it.
    pub fn id(&self, s: &str) -> Option<u32> {
        let words = KeyWords::of(s.as_bytes());
        let h = (words.hash() >> 32) as u32;
        let mask = self.table.len().checked_sub(1)?;
        let mut at = h as usize & mask;
        loop {
            let (eh, index) = *self.table.get(at)?;
            if index == 0 {
                return None;
            }
            let rank = index as usize - 1;
            if eh == h
                && self.words.get(rank) == Some(&words)
                && (words.decides() || self.sorted.get(rank).is_some_and(|t| t == s))
            {
                return u32::try_from(rank).ok();
            }
            at = (at + 1) & mask;
        }
    }

    /// The string of a rank.
    pub fn string(&self, id: u32) -> Option<&str> {
        self.sorted.get(id as usize).map(String::as_str)
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

impl Cell {
    /// The cell of slot `slot` holding `value`; strings are looked up in `interner` (without
    /// one, every string is foreign).
    pub fn of(value: &Value, slot: u32, interner: Option<&Interner>) -> Cell {
        let (tag, payload) = match value {
            Value::Null => (tag::NULL, 0),
            Value::Bool(b) => (tag::BOOL, u64::from(*b)),
            Value::Int(i) => (tag::INT, i.cast_unsigned()),
            Value::Float(f) => (tag::FLOAT, f.to_bits()),
            Value::Str(s) => match interner.and_then(|i| i.id(s)) {
                Some(id) => (tag::STR, u64::from(id)),
                None => (tag::FSTR, u64::from(slot)),
            },
            Value::List(_) => (tag::LIST, u64::from(slot)),
            Value::Dict(_) => (tag::DICT, u64::from(slot)),
        };
        Cell { tag, payload }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_strings_are_found_by_rank_and_others_are_not() {
        let strings: Vec<String> = [
            "b",
            "a",
            "",
            "a_rather_long_string_value",
            "a_rather_long_string_valuf",
            "sixteen_bytes_ok",
            "b",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let interner = Interner::new(&strings);
        assert_eq!(interner.len(), 6);
        let mut sorted = strings.clone();
        sorted.sort();
        sorted.dedup();
        for (rank, s) in sorted.iter().enumerate() {
            assert_eq!(interner.id(s), u32::try_from(rank).ok(), "{s}");
            assert_eq!(
                interner.string(u32::try_from(rank).unwrap_or(0)),
                Some(s.as_str())
            );
        }
        for other in ["c", "a_rather_long_string_valug", "sixteen_bytes_ol", "é"] {
            assert_eq!(interner.id(other), None, "{other}");
        }
        assert_eq!(Interner::new(&[]).id("x"), None);
    }
}
