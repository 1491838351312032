//! The implicit TypeError detector: an ordering comparison of a field with a number raises when
//! the field holds a string, under the conditions Python evaluates first; so does a `math`
//! function that needs a real number (`math.isfinite(f)`).

use super::{Detector, V, Walker};
use crate::pred::{Lit, Op, Operand, Pred};
use crate::python::ast::{Expr, ExprKind, Stmt, UnaryOp};
use std::ops::Not;

impl Walker<'_> {
    /// One site per ordering comparison of a field with a number in `test`, reached under
    /// `path` and the operands Python evaluates before it: there a string value makes the
    /// comparison raise `TypeError: '<' not supported between instances of 'str' and 'int'`.
    pub(super) fn type_error_sites(&mut self, stmt: &Stmt, path: &[Pred], test: &Pred) {
        let mut found = Vec::new();
        ordering_comparisons(test, &mut Vec::new(), &mut found);
        for (reach, field, translated, mut op, mut left, mut right) in found {
            if left == "str" && self.number_first.contains(&(field.clone(), translated)) {
                // written `0 < self.x`: Python names the number first
                op = symbol(translated.flipped().unwrap_or(translated)).unwrap_or(op);
                (left, right) = (right, left);
            }
            if excludes_strings(&reach, &field) {
                // An `isinstance(f, (int, ...))` guard before the comparison: never reached
                // with a string.
                continue;
            }
            let mut conj = reach;
            conj.push(Pred::Present(field.clone()));
            conj.push(Pred::Cmp(
                Operand::Field(field.clone()),
                Op::TypeIs,
                Operand::Lit(Lit::Str("str".to_owned())),
            ));
            let message =
                format!("'{op}' not supported between instances of '{left}' and '{right}'");
            self.push_site(
                stmt,
                Detector::ImplicitTypeError,
                path,
                Pred::And(conj),
                Some((message, true)),
                Some(field),
                None,
            );
        }
    }
}

impl Walker<'_> {
    /// A test that is `math.isfinite(f)` / `math.isinf(f)` / `math.isnan(f)` of a field (or its
    /// `not`): Python raises `TypeError: must be real number, not str` there when the field holds
    /// a string, before the test decides anything.
    pub(super) fn real_number_sites(&mut self, stmt: &Stmt, path: &[Pred], test: &Expr) {
        let call = match &test.kind {
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => operand.as_ref(),
            _ => test,
        };
        let ExprKind::Call { func, args, .. } = &call.kind else {
            return;
        };
        let needs_real = func
            .dotted()
            .is_some_and(|d| matches!(d.as_str(), "math.isfinite" | "math.isinf" | "math.isnan"));
        let [argument] = args.as_slice() else {
            return;
        };
        if !needs_real {
            return;
        }
        let V::Field(field) = self.val(argument) else {
            return;
        };
        let raises = Pred::And(vec![
            Pred::Present(field.clone()),
            Pred::Cmp(
                Operand::Field(field.clone()),
                Op::TypeIs,
                Operand::Lit(Lit::Str("str".to_owned())),
            ),
        ]);
        self.push_site(
            stmt,
            Detector::ImplicitTypeError,
            path,
            raises,
            Some(("must be real number, not str".to_owned(), true)),
            Some(field),
            None,
        );
    }
}

/// An ordering comparison found by [`ordering_comparisons`]: the conditions under which Python
/// evaluates it, the field, the operator as written and the type names in the order Python's
/// TypeError message gives them (a string field against an int or float literal).
type Comparison = (
    Vec<Pred>,
    String,
    Op,
    &'static str,
    &'static str,
    &'static str,
);

/// The Python spelling of an ordering operator.
fn symbol(op: Op) -> Option<&'static str> {
    Some(match op {
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
        _ => return None,
    })
}

/// Every `field <op> number` / `number <op> field` in `p`, in Python's evaluation order, with
/// the conditions under which it is evaluated (`a and b` reaches `b` when `a` holds, `a or b`
/// when `a` does not).
fn ordering_comparisons(p: &Pred, reach: &mut Vec<Pred>, out: &mut Vec<Comparison>) {
    match p {
        Pred::And(items) | Pred::Or(items) => {
            let is_and = matches!(p, Pred::And(_));
            let depth = reach.len();
            for item in items {
                ordering_comparisons(item, reach, out);
                reach.push(if is_and {
                    item.clone()
                } else {
                    item.clone().not()
                });
            }
            reach.truncate(depth);
        }
        Pred::Not(inner) => ordering_comparisons(inner, reach, out),
        Pred::Cmp(a, op, b) => {
            let Some(sym) = symbol(*op) else { return };
            let number = |o: &Operand| match o {
                Operand::Lit(Lit::Int(_)) => Some("int"),
                Operand::Lit(Lit::Float(_)) => Some("float"),
                _ => None,
            };
            match (a, b) {
                (Operand::Field(f), other) => {
                    if let Some(n) = number(other) {
                        out.push((reach.clone(), f.clone(), *op, sym, "str", n));
                    }
                }
                (other, Operand::Field(f)) => {
                    if let Some(n) = number(other) {
                        out.push((reach.clone(), f.clone(), *op, sym, n, "str"));
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// Whether `reach` holds only when `field` is not a string (a `type_is` test without `str`, or
/// an ordering comparison with a number that Python evaluated first).
fn excludes_strings(reach: &[Pred], field: &str) -> bool {
    reach.iter().any(|p| match p {
        Pred::Cmp(Operand::Field(f), Op::TypeIs, Operand::Lit(types)) if f == field => {
            let names: Vec<&Lit> = match types {
                Lit::Seq(items) => items.iter().collect(),
                other => vec![other],
            };
            !names.iter().any(|n| matches!(n, Lit::Str(s) if s == "str"))
        }
        // An earlier ordering comparison of the field with a number already raised for a string.
        Pred::Cmp(a, Op::Lt | Op::Le | Op::Gt | Op::Ge, b) => matches!(
            (a, b),
            (Operand::Field(f), Operand::Lit(Lit::Int(_) | Lit::Float(_)))
                | (Operand::Lit(Lit::Int(_) | Lit::Float(_)), Operand::Field(f)) if f == field
        ),
        Pred::And(items) => excludes_strings(items, field),
        _ => false,
    })
}
