//! Predicates specialised at load time for the interpreter: a test of a slot against a constant,
//! or of two slots, reads the slot's tagged cell (the JIT's view of the frame) and compares
//! scalars directly; a membership test against a constant list of scalars becomes a lookup in a
//! prepared set. Anything else (a foreign string, a list or dict in the slot, `len`, arithmetic,
//! list operands) goes to the reference interpreter, so results are the reference semantics of
//! [`llemc_compiler::value`] by construction: a specialised node only answers the scalar cases,
//! where it computes exactly what `value::compare` computes.
//!
//! Cells hold strings as ranks of the program's sorted string table, so comparing two ranks is
//! comparing the strings; a frame whose cells use another table is evaluated by the reference
//! interpreter instead (see [`crate::loaded::LoadedProgram::fire`]).

use crate::frame::Frame;
use crate::interp::{EvalOperand, EvalPred, holds};
use crate::jit::cell::{Cell, Interner, tag};
use llemc_compiler::ir::SlotId;
use llemc_compiler::value::{self, Num, Value};
use llemc_grammar::ast::{CompareOp, IsTarget};
use std::cmp::Ordering;

/// A scalar as a cell holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A string of the program's table, by rank.
    Str(u32),
}

/// A comparison operand: a slot, or a scalar constant (with its value for the reference path).
#[derive(Clone, Debug, PartialEq)]
enum Src {
    Slot(SlotId),
    Const(Scalar, Value),
}

/// The scalars of a constant list, prepared for `in` / `not_in`.
#[derive(Clone, Debug, Default, PartialEq)]
struct ScalarSet {
    has_null: bool,
    /// What an int or bool equals: the int and bool items, and the floats that are integers.
    int_keys: Vec<i64>,
    /// The int and bool items (a float equal to one of them is in the list).
    int_items: Vec<i64>,
    float_items: Vec<f64>,
    str_ids: Vec<u32>,
}

/// A predicate prepared for the interpreter.
#[derive(Clone, Debug, PartialEq)]
pub struct Special(Node);

#[derive(Clone, Debug, PartialEq)]
enum Node {
    /// A constant.
    Const(bool),
    /// All hold.
    And(Box<[Node]>),
    /// Any holds.
    Or(Box<[Node]>),
    /// Negation.
    Not(Box<Node>),
    /// `a <op> b` between slots and scalar constants.
    Compare(CompareOp, Box<(Src, Src)>),
    /// `slot in list` (`negated`: `not_in`) for a constant list of scalars.
    Member {
        /// The slot tested.
        slot: SlotId,
        /// Whether it is `not_in`.
        negated: bool,
        /// The prepared items, and the list itself for the reference path.
        set: Box<(ScalarSet, Value)>,
    },
    /// `slot type_is names` (`negated`: `type_is_not`), as a mask over cell tags.
    TypeIs {
        /// The slot tested.
        slot: SlotId,
        /// Whether it is `type_is_not`.
        negated: bool,
        /// Bit `t` set when a cell of tag `t` has one of the named types.
        mask: u16,
    },
    /// `slot present` / `slot absent`.
    Presence(SlotId, bool),
    /// `slot is null|true|false` (negated).
    Is(SlotId, bool, IsTarget),
    /// Anything else: the reference interpreter.
    Reference(EvalPred),
}

/// The integer a float equals exactly, if it is one within `i64`.
fn exact_int(f: f64) -> Option<i64> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&f) || f.fract() != 0.0 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation)]
    Some(f as i64)
}

fn scalar_of_value(v: &Value, interner: &Interner) -> Option<Scalar> {
    Some(match v {
        Value::Null => Scalar::Null,
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Int(i) => Scalar::Int(*i),
        Value::Float(f) => Scalar::Float(*f),
        Value::Str(s) => Scalar::Str(interner.id(s)?),
        Value::List(_) | Value::Dict(_) => return None,
    })
}

/// The scalar in a cell; `None` for a foreign string, a list or a dict.
#[inline]
fn scalar_of_cell(c: &Cell) -> Option<Scalar> {
    Some(match c.tag {
        tag::NULL => Scalar::Null,
        tag::BOOL => Scalar::Bool(c.payload != 0),
        tag::INT => Scalar::Int(c.payload.cast_signed()),
        tag::FLOAT => Scalar::Float(f64::from_bits(c.payload)),
        tag::STR => Scalar::Str(u32::try_from(c.payload).unwrap_or(u32::MAX)),
        _ => return None,
    })
}

#[inline]
fn cell(frame: &Frame, slot: SlotId) -> Cell {
    frame
        .cells()
        .get(slot as usize)
        .copied()
        .unwrap_or_default()
}

fn num(s: Scalar) -> Option<Num> {
    match s {
        Scalar::Bool(b) => Some(Num::Int(i64::from(b))),
        Scalar::Int(i) => Some(Num::Int(i)),
        Scalar::Float(f) => Some(Num::Float(f)),
        Scalar::Null | Scalar::Str(_) => None,
    }
}

/// Python `a == b` on scalars ([`value::py_eq`]).
fn eq(a: Scalar, b: Scalar) -> bool {
    match (a, b) {
        (Scalar::Null, Scalar::Null) => true,
        (Scalar::Str(x), Scalar::Str(y)) => x == y,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => value::num_cmp(x, y) == Some(Ordering::Equal),
            _ => false,
        },
    }
}

/// Python ordering on scalars ([`value::py_cmp`]).
fn order(a: Scalar, b: Scalar) -> Option<Ordering> {
    match (a, b) {
        (Scalar::Str(x), Scalar::Str(y)) => Some(x.cmp(&y)),
        _ => value::num_cmp(num(a)?, num(b)?),
    }
}

/// [`value::compare`] on two scalars, for every operator whose right operand may be a scalar.
fn compare(op: CompareOp, a: Scalar, b: Scalar) -> bool {
    let a_null = a == Scalar::Null;
    match op {
        CompareOp::Eq => eq(a, b),
        CompareOp::Ne => !a_null && b != Scalar::Null && !eq(a, b),
        CompareOp::Lt => !a_null && order(a, b) == Some(Ordering::Less),
        CompareOp::Le => !a_null && matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
        CompareOp::Gt => !a_null && order(a, b) == Some(Ordering::Greater),
        CompareOp::Ge => {
            !a_null && matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal))
        }
        // The right operand is not a list.
        CompareOp::In | CompareOp::NotIn => false,
        CompareOp::DivisibleBy | CompareOp::NotDivisibleBy => match (a, b) {
            (Scalar::Int(_), Scalar::Int(0)) => false,
            (Scalar::Int(x), Scalar::Int(y)) => {
                let zero = x.checked_rem(y).unwrap_or(0) == 0;
                zero == (op == CompareOp::DivisibleBy)
            }
            _ => false,
        },
        // Prepared as `TypeIs` nodes or left to the reference path.
        CompareOp::TypeIs | CompareOp::TypeIsNot => false,
    }
}

impl ScalarSet {
    /// The set of a constant list; `None` when an item is not a scalar of the program.
    fn of(items: &[Value], interner: &Interner) -> Option<ScalarSet> {
        let mut set = ScalarSet::default();
        for item in items {
            match scalar_of_value(item, interner)? {
                Scalar::Null => set.has_null = true,
                Scalar::Bool(b) => {
                    set.int_keys.push(i64::from(b));
                    set.int_items.push(i64::from(b));
                }
                Scalar::Int(i) => {
                    set.int_keys.push(i);
                    set.int_items.push(i);
                }
                Scalar::Float(f) => {
                    set.float_items.push(f);
                    if let Some(k) = exact_int(f) {
                        set.int_keys.push(k);
                    }
                }
                Scalar::Str(id) => set.str_ids.push(id),
            }
        }
        for keys in [&mut set.int_keys, &mut set.int_items] {
            keys.sort_unstable();
            keys.dedup();
        }
        set.str_ids.sort_unstable();
        set.str_ids.dedup();
        Some(set)
    }

    /// Python `a in items` ([`value::py_in`]) for a scalar `a`.
    fn contains(&self, a: Scalar) -> bool {
        match a {
            Scalar::Null => self.has_null,
            Scalar::Bool(b) => self.int_keys.binary_search(&i64::from(b)).is_ok(),
            Scalar::Int(i) => self.int_keys.binary_search(&i).is_ok(),
            Scalar::Float(f) => {
                self.float_items.contains(&f)
                    || exact_int(f).is_some_and(|k| self.int_items.binary_search(&k).is_ok())
            }
            Scalar::Str(id) => self.str_ids.binary_search(&id).is_ok(),
        }
    }
}

/// The cell tags whose values have one of the type names in `names` (a name or a list of names).
fn type_mask(names: &Value) -> Option<u16> {
    let list: Vec<&str> = match names {
        Value::Str(s) => vec![s.as_str()],
        Value::List(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut mask = 0u16;
    for (tags, name) in [
        (&[tag::BOOL][..], "bool"),
        (&[tag::INT][..], "int"),
        (&[tag::FLOAT][..], "float"),
        (&[tag::STR, tag::FSTR][..], "str"),
        (&[tag::LIST][..], "list"),
        (&[tag::DICT][..], "dict"),
    ] {
        if list.contains(&name) {
            for t in tags {
                mask |= 1 << t;
            }
        }
    }
    Some(mask)
}

impl Special {
    /// Prepares a predicate; strings are ranks of `interner` (the program's).
    pub fn new(pred: &EvalPred, interner: &Interner) -> Special {
        Special(Node::new(pred, interner))
    }

    /// Whether the predicate holds on `frame` (whose cells use the program's string table).
    pub fn holds(&self, frame: &Frame) -> bool {
        self.0.holds(frame)
    }
}

impl Node {
    fn new(pred: &EvalPred, interner: &Interner) -> Node {
        let all = |items: &[EvalPred]| -> Box<[Node]> {
            items.iter().map(|p| Node::new(p, interner)).collect()
        };
        match pred {
            EvalPred::Const(b) => Node::Const(*b),
            EvalPred::And(items) => Node::And(all(items)),
            EvalPred::Or(items) => Node::Or(all(items)),
            EvalPred::Not(inner) => Node::Not(Box::new(Node::new(inner, interner))),
            EvalPred::Presence(EvalOperand::Slot(s), present) => Node::Presence(*s, *present),
            EvalPred::Is(EvalOperand::Slot(s), negated, target) => Node::Is(*s, *negated, *target),
            EvalPred::Compare(op, lhs, rhs) => {
                Node::compare(*op, lhs, rhs, interner).unwrap_or(Node::Reference(pred.clone()))
            }
            other => Node::Reference(other.clone()),
        }
    }

    fn compare(
        op: CompareOp,
        lhs: &EvalOperand,
        rhs: &EvalOperand,
        interner: &Interner,
    ) -> Option<Node> {
        let EvalOperand::Slot(slot) = lhs else {
            return Node::scalar_compare(op, lhs, rhs, interner);
        };
        match (op, rhs) {
            (CompareOp::In | CompareOp::NotIn, EvalOperand::Const(list @ Value::List(items))) => {
                Some(Node::Member {
                    slot: *slot,
                    negated: op == CompareOp::NotIn,
                    set: Box::new((ScalarSet::of(items, interner)?, list.clone())),
                })
            }
            (CompareOp::TypeIs | CompareOp::TypeIsNot, EvalOperand::Const(names)) => {
                Some(Node::TypeIs {
                    slot: *slot,
                    negated: op == CompareOp::TypeIsNot,
                    mask: type_mask(names)?,
                })
            }
            _ => Node::scalar_compare(op, lhs, rhs, interner),
        }
    }

    fn scalar_compare(
        op: CompareOp,
        lhs: &EvalOperand,
        rhs: &EvalOperand,
        interner: &Interner,
    ) -> Option<Node> {
        if matches!(
            op,
            CompareOp::In | CompareOp::NotIn | CompareOp::TypeIs | CompareOp::TypeIsNot
        ) {
            return None;
        }
        let src = |o: &EvalOperand| -> Option<Src> {
            match o {
                EvalOperand::Slot(s) => Some(Src::Slot(*s)),
                EvalOperand::Const(v) => Some(Src::Const(scalar_of_value(v, interner)?, v.clone())),
                _ => None,
            }
        };
        Some(Node::Compare(op, Box::new((src(lhs)?, src(rhs)?))))
    }

    fn holds(&self, frame: &Frame) -> bool {
        match self {
            Node::Const(b) => *b,
            Node::And(items) => items.iter().all(|p| p.holds(frame)),
            Node::Or(items) => items.iter().any(|p| p.holds(frame)),
            Node::Not(inner) => !inner.holds(frame),
            Node::Compare(op, operands) => {
                let (a, b) = operands.as_ref();
                match (operand_scalar(frame, a), operand_scalar(frame, b)) {
                    (Some(x), Some(y)) => compare(*op, x, y),
                    _ => value::compare(*op, operand_value(frame, a), operand_value(frame, b)),
                }
            }
            Node::Member { slot, negated, set } => {
                let (items, list) = set.as_ref();
                match scalar_of_cell(&cell(frame, *slot)) {
                    Some(Scalar::Null) => !negated && items.has_null,
                    Some(a) => items.contains(a) != *negated,
                    None => value::compare(
                        if *negated {
                            CompareOp::NotIn
                        } else {
                            CompareOp::In
                        },
                        frame.value(*slot),
                        list,
                    ),
                }
            }
            Node::TypeIs {
                slot,
                negated,
                mask,
            } => {
                let t = cell(frame, *slot).tag;
                t != tag::NULL && ((mask >> t) & 1 == 1) != *negated
            }
            Node::Presence(slot, present) => (cell(frame, *slot).tag != tag::NULL) == *present,
            Node::Is(slot, negated, target) => {
                let c = cell(frame, *slot);
                let is = match target {
                    IsTarget::Null => c.tag == tag::NULL,
                    IsTarget::True => c.tag == tag::BOOL && c.payload == 1,
                    IsTarget::False => c.tag == tag::BOOL && c.payload == 0,
                };
                is != *negated
            }
            Node::Reference(pred) => holds(pred, frame),
        }
    }
}

#[inline]
fn operand_scalar(frame: &Frame, src: &Src) -> Option<Scalar> {
    match src {
        Src::Slot(s) => scalar_of_cell(&cell(frame, *s)),
        Src::Const(k, _) => Some(*k),
    }
}

fn operand_value<'a>(frame: &'a Frame, src: &'a Src) -> &'a Value {
    match src {
        Src::Slot(s) => frame.value(*s),
        Src::Const(_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    //! The specialised predicates against the reference interpreter, on the JIT's random
    //! programs and frames (every operator, every value kind and the numeric edge cases).
    #![allow(clippy::unwrap_used, clippy::panic)]

    use crate::jit::testgen::{self, SplitMix};
    use crate::loaded::LoadedProgram;

    #[test]
    fn specialised_predicates_agree_with_the_reference() {
        for seed in 0..400u64 {
            let mut src = SplitMix(seed);
            let loaded = LoadedProgram::new(testgen::program(&mut src));
            let mut frame = loaded.frame();
            for _ in 0..16 {
                testgen::fill_frame(&mut src, &loaded, &mut frame);
                for (index, rule) in loaded.rules().iter().enumerate() {
                    let want = crate::interp::holds(&rule.pred, &frame);
                    let got = loaded.special(index).unwrap().holds(&frame);
                    assert_eq!(got, want, "seed {seed} rule {index}: {:?}", rule.pred);
                }
            }
        }
    }
}
