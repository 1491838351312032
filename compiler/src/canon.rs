//! Canonical form of predicates: one text per meaning-preserving rewrite class, so that `!=` and
//! `not_equal`, reordered `and`/`or`, and `0 < x` versus `x > 0` compare equal.
//!
//! Used to find duplicate rules and, later, to fingerprint mined rules.
//!
//! Before printing, [`normal_form`] applies equivalences that hold under llemc's semantics
//! (`value::compare`, the interpreter's presence and identity tests; an absent field reads as
//! null, and a slot always has a value):
//!
//! - `o is null` ≡ `o absent`, `o is not null` ≡ `o present` (any operand: both test
//!   `is_null`, and both are false when the operand cannot be evaluated);
//! - `not (x in L)` ≡ `x absent or x not_in L` for a slot `x` and a constant list `L` without
//!   null (`in` holds on null only when `L` holds null; `not_in` never holds on null); when `L`
//!   holds null, `not (x in L)` ≡ `x not_in L`; and symmetrically for `not (x not_in L)`;
//! - `not (x type_is T)` ≡ `x absent or x type_is_not T` for a slot `x` and a constant or slot
//!   `T` (both type tests are false on null; otherwise one is the complement of the other), and
//!   symmetrically for `not (x type_is_not T)`;
//! - `not (x present)` ≡ `x absent`, `not (x is null)` ≡ `x present` for a slot or constant `x`.
//!
//! They do not hold for operands that can fail to evaluate (`len(x)` of a number, arithmetic):
//! every test on such an operand is false, so its negation is true while the disjunction is not.

use crate::ir::{Const, Operand, Pred, SlotId, StrId};
use crate::value::python_float;
use llemc_grammar::ast::{CompareOp, IsTarget};

/// Names for slots and strings while printing.
pub trait Names {
    /// The dotted path of a slot.
    fn slot(&self, slot: SlotId) -> String;
    /// An interned string.
    fn string(&self, id: StrId) -> String;
}

/// The canonical text of a predicate.
pub fn canonical_text(pred: &Pred, names: &impl Names) -> String {
    canonical(&normal_form(pred), names)
}

/// `pred` with the equivalences of this module's documentation applied (same truth value on
/// every frame), negations pushed into the tests they can be folded into.
pub fn normal_form(pred: &Pred) -> Pred {
    match pred {
        Pred::And(items) => Pred::And(items.iter().map(normal_form).collect()),
        Pred::Or(items) => Pred::Or(items.iter().map(normal_form).collect()),
        Pred::Is {
            operand,
            negated,
            target: IsTarget::Null,
        } => Pred::Presence {
            operand: operand.clone(),
            present: *negated,
        },
        Pred::Not(inner) => negated(inner),
        other => other.clone(),
    }
}

/// The normal form of `not inner`.
fn negated(inner: &Pred) -> Pred {
    let absent = |x: &Operand| Pred::Presence {
        operand: x.clone(),
        present: false,
    };
    let cmp = |op, x: &Operand, r: &Operand| Pred::Compare {
        op,
        lhs: x.clone(),
        rhs: r.clone(),
    };
    match inner {
        Pred::Not(x) => normal_form(x),
        // only where the operand always has a value: a failed `len` / arithmetic makes both
        // `present` and `absent` false, so `not` of one is not the other
        Pred::Presence {
            operand: operand @ (Operand::Slot(_) | Operand::Const(_)),
            present,
        } => Pred::Presence {
            operand: operand.clone(),
            present: !present,
        },
        Pred::Is {
            operand: operand @ (Operand::Slot(_) | Operand::Const(_)),
            negated,
            target: IsTarget::Null,
        } => Pred::Presence {
            operand: operand.clone(),
            present: !negated,
        },
        Pred::Compare {
            op: op @ (CompareOp::In | CompareOp::NotIn),
            lhs: x @ Operand::Slot(_),
            rhs: l @ Operand::Const(Const::List(items)),
        } => {
            let flipped = if *op == CompareOp::In {
                CompareOp::NotIn
            } else {
                CompareOp::In
            };
            let has_null = items.iter().any(|i| matches!(i, Const::Null));
            match (op, has_null) {
                // null is in L: `in` holds on null, `not_in` does not
                (CompareOp::In, true) => cmp(CompareOp::NotIn, x, l),
                (_, true) => cmp(CompareOp::In, x, l),
                // neither holds on null
                (_, false) => Pred::Or(vec![absent(x), cmp(flipped, x, l)]),
            }
        }
        Pred::Compare {
            op: op @ (CompareOp::TypeIs | CompareOp::TypeIsNot),
            lhs: x @ Operand::Slot(_),
            rhs: t @ (Operand::Const(_) | Operand::Slot(_)),
        } => {
            let flipped = if *op == CompareOp::TypeIs {
                CompareOp::TypeIsNot
            } else {
                CompareOp::TypeIs
            };
            Pred::Or(vec![absent(x), cmp(flipped, x, t)])
        }
        other => Pred::Not(Box::new(normal_form(other))),
    }
}

fn canonical(pred: &Pred, names: &impl Names) -> String {
    match pred {
        Pred::Const(b) => if *b { "true" } else { "false" }.to_owned(),
        Pred::And(items) | Pred::Or(items) => {
            let is_and = matches!(pred, Pred::And(_));
            let mut parts: Vec<String> = Vec::new();
            flatten(items, is_and, names, &mut parts);
            parts.sort();
            parts.dedup();
            if parts.len() == 1 {
                return parts.pop().unwrap_or_default();
            }
            let sep = if is_and { " and " } else { " or " };
            format!("({})", parts.join(sep))
        }
        Pred::Not(inner) => match inner.as_ref() {
            Pred::Not(x) => canonical(x, names),
            other @ (Pred::And(_) | Pred::Or(_) | Pred::Const(_)) => {
                format!("not {}", canonical(other, names))
            }
            other => format!("not ({})", canonical(other, names)),
        },
        Pred::Compare { op, lhs, rhs } => {
            let (mut op, mut l, mut r) = (*op, operand(lhs, names), operand(rhs, names));
            let lhs_const = matches!(lhs, Operand::Const(_));
            let rhs_const = matches!(rhs, Operand::Const(_));
            if let Some(mirrored) = mirror(op) {
                // Constants go right; otherwise the operands are ordered by their text.
                if (lhs_const && !rhs_const) || (lhs_const == rhs_const && l > r) {
                    op = mirrored;
                    std::mem::swap(&mut l, &mut r);
                }
            }
            format!("{l} {} {r}", op.as_str())
        }
        Pred::Presence {
            operand: o,
            present,
        } => {
            format!(
                "{} {}",
                operand(o, names),
                if *present { "present" } else { "absent" }
            )
        }
        Pred::Is {
            operand: o,
            negated,
            target,
        } => {
            format!(
                "{} is {}{}",
                operand(o, names),
                if *negated { "not " } else { "" },
                target.as_str()
            )
        }
    }
}

fn flatten(items: &[Pred], is_and: bool, names: &impl Names, out: &mut Vec<String>) {
    for item in items {
        match item {
            Pred::And(inner) if is_and => flatten(inner, is_and, names, out),
            Pred::Or(inner) if !is_and => flatten(inner, is_and, names, out),
            other => out.push(canonical(other, names)),
        }
    }
}

/// The operator with its operands swapped, where one exists.
fn mirror(op: CompareOp) -> Option<CompareOp> {
    Some(match op {
        CompareOp::Eq => CompareOp::Eq,
        CompareOp::Ne => CompareOp::Ne,
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        _ => return None,
    })
}

/// An operand as text, slots and strings named by `names`.
pub fn operand(o: &Operand, names: &impl Names) -> String {
    match o {
        Operand::Slot(s) => names.slot(*s),
        Operand::Const(c) => constant(c, names),
        Operand::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| operand(i, names))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Operand::Len(inner) => format!("len({})", operand(inner, names)),
        Operand::Neg(inner) => format!("-({})", operand(inner, names)),
        Operand::Arith { op, lhs, rhs } => format!(
            "({} {} {})",
            operand(lhs, names),
            op.as_str(),
            operand(rhs, names)
        ),
    }
}

/// A constant as text (strings quoted), strings named by `names`.
pub fn constant(c: &Const, names: &impl Names) -> String {
    match c {
        Const::Null => "null".to_owned(),
        Const::Bool(b) => b.to_string(),
        Const::Int(i) => i.to_string(),
        Const::Float(f) => python_float(*f),
        Const::Str(id) => format!("{:?}", names.string(*id)),
        Const::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| constant(i, names))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Const::Dict(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", constant(k, names), constant(v, names)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N;
    impl Names for N {
        fn slot(&self, slot: SlotId) -> String {
            format!("f{slot}")
        }
        fn string(&self, id: StrId) -> String {
            format!("s{id}")
        }
    }

    fn cmp(op: CompareOp, lhs: Operand, rhs: Operand) -> Pred {
        Pred::Compare { op, lhs, rhs }
    }

    #[test]
    fn mirrored_comparisons_and_reordered_conjunctions_agree() {
        let a = Pred::And(vec![
            cmp(
                CompareOp::Gt,
                Operand::Slot(0),
                Operand::Const(Const::Int(0)),
            ),
            Pred::Presence {
                operand: Operand::Slot(1),
                present: true,
            },
        ]);
        let b = Pred::And(vec![
            Pred::Presence {
                operand: Operand::Slot(1),
                present: true,
            },
            cmp(
                CompareOp::Lt,
                Operand::Const(Const::Int(0)),
                Operand::Slot(0),
            ),
        ]);
        assert_eq!(canonical_text(&a, &N), canonical_text(&b, &N));
        assert_eq!(canonical_text(&a, &N), "(f0 > 0 and f1 present)");
    }

    #[test]
    fn nested_conjunctions_flatten() {
        let inner = Pred::And(vec![
            Pred::Const(true),
            Pred::Presence {
                operand: Operand::Slot(2),
                present: false,
            },
        ]);
        let outer = Pred::And(vec![
            inner,
            Pred::Presence {
                operand: Operand::Slot(3),
                present: true,
            },
        ]);
        assert_eq!(
            canonical_text(&outer, &N),
            "(f2 absent and f3 present and true)"
        );
    }
}
