//! Translating conditions: truthiness and comparisons under Python's semantics.

use super::{V, Walker, ident_of, operand_of};
use crate::pred::{Ident, Lit, Op, Operand, Pred};
use crate::python::ast::{BoolOp, CmpOp, Expr, ExprKind, UnaryOp};
use llemc_compiler::types::Kinds;
use std::ops::Not;

impl Walker<'_> {
    /// The truthiness of `e` as a predicate.
    pub fn cond(&mut self, e: &Expr) -> Pred {
        match &e.kind {
            ExprKind::BoolOp { op, values } => {
                let items: Vec<Pred> = values.iter().map(|v| self.cond(v)).collect();
                match op {
                    BoolOp::And => Pred::And(items),
                    BoolOp::Or => Pred::Or(items),
                }
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => self.cond(operand).not(),
            ExprKind::Compare {
                left,
                ops,
                comparators,
            } => {
                let mut parts = Vec::new();
                let mut prev: &Expr = left;
                for (op, right) in ops.iter().zip(comparators) {
                    parts.push(self.compare(e, prev, *op, right));
                    prev = right;
                }
                if parts.len() == 1 {
                    parts.pop().unwrap_or(Pred::True)
                } else {
                    Pred::And(parts)
                }
            }
            _ => {
                let v = self.val(e);
                self.truthy(e, v)
            }
        }
    }

    fn truthy(&mut self, e: &Expr, v: V) -> Pred {
        match v {
            V::Pred(p) => p,
            V::Lit(l) => {
                if l.truthy() {
                    Pred::True
                } else {
                    Pred::False
                }
            }
            V::Class(_) => Pred::True,
            V::Field(f) => self.field_truthy(&f),
            V::Operand(o) => Pred::Not(Box::new(Pred::Cmp(o, Op::Eq, Operand::Lit(Lit::Int(0))))),
            V::Opaque(reason) => Pred::opaque(self.text(e), reason),
        }
    }

    /// Python truthiness of a field, as precise as its known type allows.
    fn field_truthy(&mut self, f: &str) -> Pred {
        let kinds = self.kinds.get(f).copied().unwrap_or(Kinds::ALL);
        let field = || Operand::Field(f.to_owned());
        let without_none = kinds.without(Kinds::NONE);
        if without_none.is_empty() {
            return Pred::False;
        }
        if without_none.within(Kinds::BOOL) {
            // a bool is truthy exactly when it equals True (1 and 1.0 do too)
            return Pred::Cmp(field(), Op::Eq, Operand::Lit(Lit::Bool(true)));
        }
        let mut parts = vec![Pred::Present(f.to_owned())];
        if without_none.intersects(Kinds::NUMBER) {
            // False, 0 and 0.0 all equal 0
            parts.push(Pred::Cmp(field(), Op::Ne, Operand::Lit(Lit::Int(0))));
        }
        if without_none.intersects(Kinds::STR.or(Kinds::LIST).or(Kinds::DICT)) {
            // empty str / list / dict; len() of anything else is not a test that holds
            parts.push(Pred::Not(Box::new(Pred::Cmp(
                Operand::Len(Box::new(field())),
                Op::Eq,
                Operand::Lit(Lit::Int(0)),
            ))));
        }
        Pred::And(parts)
    }

    fn compare(&mut self, whole: &Expr, left: &Expr, op: CmpOp, right: &Expr) -> Pred {
        let l = self.val(left);
        let r = self.val(right);
        if let V::Opaque(reason) = &l {
            return Pred::opaque(self.text(whole), reason.clone());
        }
        if let V::Opaque(reason) = &r {
            return Pred::opaque(self.text(whole), reason.clone());
        }
        self.record_compared_literal(op, &l, &r);
        if let (V::Lit(Lit::Int(_) | Lit::Float(_)), V::Field(f)) = (&l, &r) {
            let translated = match op {
                CmpOp::Lt => Some(Op::Gt),
                CmpOp::LtE => Some(Op::Ge),
                CmpOp::Gt => Some(Op::Lt),
                CmpOp::GtE => Some(Op::Le),
                _ => None,
            };
            if let Some(o) = translated {
                self.number_first.insert((f.clone(), o));
            }
        }
        let translated = match op {
            CmpOp::Is | CmpOp::IsNot => identity(op, l, r),
            CmpOp::Eq | CmpOp::NotEq => equality(op, l, r),
            CmpOp::Lt | CmpOp::LtE | CmpOp::Gt | CmpOp::GtE => ordering(op, l, r),
            CmpOp::In | CmpOp::NotIn => membership(op, l, r),
        };
        translated.unwrap_or_else(|reason| Pred::opaque(self.text(whole), reason))
    }

    /// Usage-based typing: a field compared with a literal (or tested for membership in a
    /// literal collection) may hold values of the literal's kind.
    fn record_compared_literal(&mut self, op: CmpOp, l: &V, r: &V) {
        if let (V::Field(f), V::Lit(lit)) | (V::Lit(lit), V::Field(f)) = (l, r) {
            match (op, lit) {
                (CmpOp::In | CmpOp::NotIn, Lit::Seq(items)) => {
                    for i in items {
                        self.record_lit(f, i);
                    }
                }
                _ => self.record_lit(f, lit),
            }
        }
    }
}

/// A translated comparison, or why it stays opaque.
type Translated = Result<Pred, &'static str>;

/// `is` / `is not` against None, True or False (two literals compare at once).
fn identity(op: CmpOp, l: V, r: V) -> Translated {
    let (subject, ident) = match (&l, &r) {
        (x, V::Lit(k)) | (V::Lit(k), x) if ident_of(k).is_some() && !matches!(x, V::Lit(_)) => {
            (x.clone(), ident_of(k))
        }
        (V::Lit(a), V::Lit(b)) => {
            let same = a == b;
            return Ok(if same == (op == CmpOp::Is) {
                Pred::True
            } else {
                Pred::False
            });
        }
        _ => (l, None),
    };
    let (Some(ident), Some(o)) = (ident, operand_of(subject)) else {
        return Err("identity test against something other than None/True/False");
    };
    let p = Pred::Is(o, ident);
    Ok(if op == CmpOp::Is { p } else { p.not() })
}

/// `==` / `!=`: with None an identity test, `x % y == 0` divisibility, else equality of a field
/// (or operand) with a literal or another field.
fn equality(op: CmpOp, l: V, r: V) -> Translated {
    let p = match (&l, &r) {
        (x, V::Lit(Lit::Null)) | (V::Lit(Lit::Null), x) => match operand_of(x.clone()) {
            Some(o) => Pred::Is(o, Ident::Null),
            None => return Err("comparison of a non-field with None"),
        },
        (V::Operand(Operand::Arith(a, '%', b)), V::Lit(Lit::Int(0))) => {
            let divisibility = if op == CmpOp::Eq {
                Op::DivisibleBy
            } else {
                Op::NotDivisibleBy
            };
            return Ok(Pred::Cmp((**a).clone(), divisibility, (**b).clone()));
        }
        _ => match (operand_of(l), operand_of(r)) {
            (Some(a), Some(b)) => {
                let (a, b) = if matches!(a, Operand::Lit(_)) && !matches!(b, Operand::Lit(_)) {
                    (b, a)
                } else {
                    (a, b)
                };
                Pred::Cmp(a, Op::Eq, b)
            }
            _ => return Err("comparison between values that are not fields or literals"),
        },
    };
    // `!=` is the complement of `==` in Python, also for None
    Ok(if op == CmpOp::Eq { p } else { p.not() })
}

/// `<`, `<=`, `>`, `>=` between fields, operands and literals (a literal goes right).
fn ordering(op: CmpOp, l: V, r: V) -> Translated {
    let o = match op {
        CmpOp::Lt => Op::Lt,
        CmpOp::LtE => Op::Le,
        CmpOp::Gt => Op::Gt,
        _ => Op::Ge,
    };
    match (operand_of(l), operand_of(r)) {
        (Some(a), Some(b)) => Ok(
            if matches!(a, Operand::Lit(_)) && !matches!(b, Operand::Lit(_)) {
                Pred::Cmp(b, o.flipped().unwrap_or(o), a)
            } else {
                Pred::Cmp(a, o, b)
            },
        ),
        _ => Err("ordering between values that are not fields or literals"),
    }
}

/// `in` / `not in` a literal collection (a None member becomes an identity test).
fn membership(op: CmpOp, l: V, r: V) -> Translated {
    let (V::Lit(Lit::Seq(items)), Some(subject)) = (&r, operand_of(l)) else {
        return Err("membership in something other than a literal collection");
    };
    let has_none = items.contains(&Lit::Null);
    let rest: Vec<Lit> = items.iter().filter(|i| **i != Lit::Null).cloned().collect();
    let member = if rest.is_empty() {
        Pred::False
    } else {
        Pred::Cmp(subject.clone(), Op::In, Operand::Lit(Lit::Seq(rest)))
    };
    let p = if has_none {
        Pred::Or(vec![Pred::Is(subject, Ident::Null), member])
    } else {
        member
    };
    Ok(if op == CmpOp::In { p } else { p.not() })
}
