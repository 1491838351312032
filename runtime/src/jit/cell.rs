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

use crate::hash::KeyHash;
use llemc_compiler::value::Value;
use std::collections::HashMap;

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
/// equal ids mean equal strings and id order is string order.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    ids: HashMap<String, u32, KeyHash>,
    sorted: Vec<String>,
}

impl Interner {
    /// Interns a program's string table.
    pub fn new(strings: &[String]) -> Interner {
        let mut sorted: Vec<String> = strings.to_vec();
        sorted.sort();
        sorted.dedup();
        let ids = sorted
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        Interner { ids, sorted }
    }

    /// The rank of a string, if the program has it.
    pub fn id(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
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
