//! The reference interpreter: evaluates predicates over a frame with the Python semantics of
//! [`llemc_compiler::value`]. Evaluation never fails: a type mismatch makes a test false.

use crate::frame::Frame;
use crate::loaded::const_value;
use llemc_compiler::ir::{Operand, Pred, Program, SlotId};
use llemc_compiler::value::{self, Value};
use llemc_grammar::ast::{ArithOp, CompareOp, IsTarget};

/// A predicate with its constants materialised.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalPred {
    /// A constant.
    Const(bool),
    /// All hold.
    And(Vec<EvalPred>),
    /// Any holds.
    Or(Vec<EvalPred>),
    /// Negation.
    Not(Box<EvalPred>),
    /// Binary test.
    Compare(CompareOp, EvalOperand, EvalOperand),
    /// `present` (true) / `absent` (false).
    Presence(EvalOperand, bool),
    /// Identity test (negated, target).
    Is(EvalOperand, bool, IsTarget),
}

/// An operand with its constants materialised.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalOperand {
    /// A slot.
    Slot(SlotId),
    /// A constant.
    Const(Value),
    /// A list with non-constant elements.
    List(Vec<EvalOperand>),
    /// `len(x)`.
    Len(Box<EvalOperand>),
    /// `-x`.
    Neg(Box<EvalOperand>),
    /// Arithmetic.
    Arith(ArithOp, Box<EvalOperand>, Box<EvalOperand>),
}

/// Prepares an IR predicate for evaluation.
pub fn prepare_pred(program: &Program, pred: &Pred) -> EvalPred {
    match pred {
        Pred::Const(b) => EvalPred::Const(*b),
        Pred::And(items) => EvalPred::And(items.iter().map(|p| prepare_pred(program, p)).collect()),
        Pred::Or(items) => EvalPred::Or(items.iter().map(|p| prepare_pred(program, p)).collect()),
        Pred::Not(inner) => EvalPred::Not(Box::new(prepare_pred(program, inner))),
        Pred::Compare { op, lhs, rhs } => EvalPred::Compare(
            *op,
            prepare_operand(program, lhs),
            prepare_operand(program, rhs),
        ),
        Pred::Presence { operand, present } => {
            EvalPred::Presence(prepare_operand(program, operand), *present)
        }
        Pred::Is {
            operand,
            negated,
            target,
        } => EvalPred::Is(prepare_operand(program, operand), *negated, *target),
    }
}

fn prepare_operand(program: &Program, operand: &Operand) -> EvalOperand {
    match operand {
        Operand::Slot(s) => EvalOperand::Slot(*s),
        Operand::Const(c) => EvalOperand::Const(const_value(program, c)),
        Operand::List(items) => {
            EvalOperand::List(items.iter().map(|i| prepare_operand(program, i)).collect())
        }
        Operand::Len(inner) => EvalOperand::Len(Box::new(prepare_operand(program, inner))),
        Operand::Neg(inner) => EvalOperand::Neg(Box::new(prepare_operand(program, inner))),
        Operand::Arith { op, lhs, rhs } => EvalOperand::Arith(
            *op,
            Box::new(prepare_operand(program, lhs)),
            Box::new(prepare_operand(program, rhs)),
        ),
    }
}

/// The value of an operand: borrowed from the frame or a constant, computed, or invalid (Python
/// would have raised).
enum Ev<'a> {
    Ref(&'a Value),
    Owned(Value),
    Invalid,
}

impl Ev<'_> {
    fn get(&self) -> Option<&Value> {
        match self {
            Ev::Ref(v) => Some(v),
            Ev::Owned(v) => Some(v),
            Ev::Invalid => None,
        }
    }
}

fn operand<'a>(o: &'a EvalOperand, frame: &'a Frame) -> Ev<'a> {
    match o {
        EvalOperand::Slot(s) => Ev::Ref(frame.value(*s)),
        EvalOperand::Const(v) => Ev::Ref(v),
        EvalOperand::List(items) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                match operand(item, frame).get() {
                    Some(v) => values.push(v.clone()),
                    None => return Ev::Invalid,
                }
            }
            Ev::Owned(Value::List(values))
        }
        EvalOperand::Len(inner) => lift(operand(inner, frame).get().and_then(value::len)),
        EvalOperand::Neg(inner) => lift(operand(inner, frame).get().and_then(value::negate)),
        EvalOperand::Arith(op, l, r) => {
            let (l, r) = (operand(l, frame), operand(r, frame));
            match (l.get(), r.get()) {
                (Some(a), Some(b)) => lift(value::arith(*op, a, b)),
                _ => Ev::Invalid,
            }
        }
    }
}

fn lift(v: Option<Value>) -> Ev<'static> {
    v.map(Ev::Owned).unwrap_or(Ev::Invalid)
}

/// Whether a predicate holds on a frame.
pub fn holds(pred: &EvalPred, frame: &Frame) -> bool {
    match pred {
        EvalPred::Const(b) => *b,
        EvalPred::And(items) => items.iter().all(|p| holds(p, frame)),
        EvalPred::Or(items) => items.iter().any(|p| holds(p, frame)),
        EvalPred::Not(inner) => !holds(inner, frame),
        EvalPred::Compare(op, l, r) => {
            let (l, r) = (operand(l, frame), operand(r, frame));
            match (l.get(), r.get()) {
                (Some(a), Some(b)) => value::compare(*op, a, b),
                _ => false,
            }
        }
        EvalPred::Presence(o, present) => match operand(o, frame).get() {
            Some(v) => v.is_null() != *present,
            None => false,
        },
        EvalPred::Is(o, negated, target) => match operand(o, frame).get() {
            Some(v) => value::is(v, *target) != *negated,
            None => false,
        },
    }
}
