//! Lowering operands: fields, references, literals, lists, `len`, negation and arithmetic, with
//! constant folding.

use super::{Checker, LoweredOperand};
use crate::ir::{Const, Operand};
use crate::types::Kinds;
use crate::value::{self, Value};
use llemc_grammar::ast::{self, ArithOp, FieldPath, OperandKind, Span};

impl Checker<'_> {
    pub(super) fn lower_operand(
        &mut self,
        operand: &ast::Operand,
        anchor: Option<&FieldPath>,
    ) -> Option<LoweredOperand> {
        let span = operand.span;
        match &operand.kind {
            OperandKind::Field(path) => self.lower_field(path.clone(), span),
            OperandKind::Ref(path) => {
                let written = match (path.segments.as_slice(), anchor) {
                    ([name], Some(anchor)) => sibling_path(anchor, name),
                    _ => path.clone(),
                };
                self.lower_field(written, span)
            }
            OperandKind::Literal(lit) => {
                let v = literal_value(lit);
                let kinds = v.kind();
                Some(LoweredOperand {
                    operand: Operand::Const(self.constant(&v)),
                    kinds,
                    path: None,
                })
            }
            OperandKind::List(items) => self.lower_list(items, anchor),
            OperandKind::Len(inner) => self.lower_len(inner, anchor, span),
            OperandKind::Neg(inner) => {
                let inner_l = self.lower_operand(inner, anchor)?;
                self.require_number(&inner_l, inner.span, "`-`");
                let operand = self.fold_unary(Operand::Neg(Box::new(inner_l.operand)), span)?;
                Some(LoweredOperand {
                    operand,
                    kinds: Kinds::INT.or(Kinds::FLOAT),
                    path: None,
                })
            }
            OperandKind::Arith { op, lhs, rhs } => self.lower_arith(*op, lhs, rhs, anchor, span),
        }
    }

    /// A field, by the path it is written with (a sibling reference already made whole).
    fn lower_field(&mut self, path: FieldPath, span: Span) -> Option<LoweredOperand> {
        let slot = self.resolve_path(&path, span)?;
        Some(LoweredOperand {
            operand: Operand::Slot(slot),
            kinds: self.slot_kinds(slot),
            path: Some(path),
        })
    }

    /// A list literal: a constant when every item is one.
    fn lower_list(
        &mut self,
        items: &[ast::Operand],
        anchor: Option<&FieldPath>,
    ) -> Option<LoweredOperand> {
        let mut lowered = Vec::new();
        for item in items {
            lowered.push(self.lower_operand(item, anchor)?.operand);
        }
        let operand = if lowered.iter().all(|o| matches!(o, Operand::Const(_))) {
            Operand::Const(Const::List(
                lowered
                    .into_iter()
                    .filter_map(|o| {
                        if let Operand::Const(c) = o {
                            Some(c)
                        } else {
                            None
                        }
                    })
                    .collect(),
            ))
        } else {
            Operand::List(lowered)
        };
        Some(LoweredOperand {
            operand,
            kinds: Kinds::LIST,
            path: None,
        })
    }

    /// `len(x)`: E314 when `x` can have no length.
    fn lower_len(
        &mut self,
        inner: &ast::Operand,
        anchor: Option<&FieldPath>,
        span: Span,
    ) -> Option<LoweredOperand> {
        let inner_l = self.lower_operand(inner, anchor)?;
        let sized = Kinds::STR.or(Kinds::LIST).or(Kinds::DICT);
        if !inner_l.kinds.without(Kinds::NONE).intersects(sized)
            && !inner_l.kinds.without(Kinds::NONE).is_empty()
        {
            self.error(
                "E314",
                inner.span,
                format!(
                    "`len` of a value that is {}",
                    inner_l.kinds.without(Kinds::NONE).describe()
                ),
                "has no length",
                "`len` applies to strings, lists and dicts".into(),
            );
        }
        let operand = self.fold_unary(Operand::Len(Box::new(inner_l.operand)), span)?;
        Some(LoweredOperand {
            operand,
            kinds: Kinds::INT,
            path: None,
        })
    }

    /// `lhs op rhs` over numbers: an int unless a float may take part.
    fn lower_arith(
        &mut self,
        op: ArithOp,
        lhs: &ast::Operand,
        rhs: &ast::Operand,
        anchor: Option<&FieldPath>,
        span: Span,
    ) -> Option<LoweredOperand> {
        let l = self.lower_operand(lhs, anchor)?;
        let r = self.lower_operand(rhs, anchor)?;
        self.require_number(&l, lhs.span, op.as_str());
        self.require_number(&r, rhs.span, op.as_str());
        let kinds = if l.kinds.intersects(Kinds::FLOAT) || r.kinds.intersects(Kinds::FLOAT) {
            Kinds::INT.or(Kinds::FLOAT)
        } else {
            Kinds::INT
        };
        let operand = Operand::Arith {
            op,
            lhs: Box::new(l.operand),
            rhs: Box::new(r.operand),
        };
        let operand = self.fold_unary(operand, span)?;
        Some(LoweredOperand {
            operand,
            kinds,
            path: None,
        })
    }

    pub(super) fn require_number(&mut self, operand: &LoweredOperand, span: Span, op: &str) {
        let k = operand.kinds.without(Kinds::NONE);
        if !k.is_empty() && !k.intersects(Kinds::NUMBER) {
            self.error(
                "E313",
                span,
                format!("`{op}` needs numbers, but this is {}", k.describe()),
                "not a number",
                "arithmetic applies to int, float and bool values".into(),
            );
        }
    }

    /// Folds `len`, `-` and arithmetic whose operands are all constants.
    pub(super) fn fold_unary(&mut self, operand: Operand, span: Span) -> Option<Operand> {
        let folded = match &operand {
            Operand::Len(inner) => match inner.as_ref() {
                Operand::Const(c) => Some(value::len(&self.value_of(c))),
                _ => None,
            },
            Operand::Neg(inner) => match inner.as_ref() {
                Operand::Const(c) => Some(value::negate(&self.value_of(c))),
                _ => None,
            },
            Operand::Arith { op, lhs, rhs } => match (lhs.as_ref(), rhs.as_ref()) {
                (Operand::Const(a), Operand::Const(b)) => {
                    Some(value::arith(*op, &self.value_of(a), &self.value_of(b)))
                }
                _ => None,
            },
            _ => None,
        };
        match folded {
            None => Some(operand),
            Some(Some(v)) => Some(Operand::Const(self.constant(&v))),
            Some(None) => {
                self.error(
                    "E317",
                    span,
                    "this constant expression fails in Python (division by zero, overflow or a wrong type)".into(),
                    "cannot be evaluated",
                    "fix the literal operands".into(),
                );
                None
            }
        }
    }
}

pub(super) fn literal_value(lit: &ast::Literal) -> Value {
    match lit {
        ast::Literal::Null => Value::Null,
        ast::Literal::Bool(b) => Value::Bool(*b),
        ast::Literal::Int(i) => Value::Int(*i),
        ast::Literal::Float(f) => Value::Float(*f),
        ast::Literal::Str(s) => Value::Str(s.clone()),
    }
}

/// The path of `name` beside the field at `anchor` (a bare `@name` reference).
pub(super) fn sibling_path(anchor: &FieldPath, name: &str) -> FieldPath {
    let mut segments: Vec<String> = anchor
        .segments
        .iter()
        .take(anchor.segments.len().saturating_sub(1))
        .cloned()
        .collect();
    segments.push(name.to_owned());
    FieldPath { segments }
}
