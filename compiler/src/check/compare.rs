//! Lowering and type-checking comparisons (ordering, equality, membership, `type_is`,
//! divisibility) under Python's semantics.

use super::expr::{slot_of, unknown};
use super::{Checker, Lowered, LoweredOperand, Truth};
use crate::diagnostic::Diagnostic;
use crate::ir::{Const, Operand, Pred};
use crate::types::Kinds;
use crate::value;
use llemc_grammar::ast::{self, CompareOp, Span};

/// Whether a comparison can hold, and the test that decided it with why.
type Verdict = (Truth, Option<(Span, String)>);

/// Nothing is known: the comparison may or may not hold.
const MAYBE: Verdict = (Truth::Maybe, None);

/// The two sides of a comparison, as written and as lowered.
struct Sides<'s> {
    /// The whole test.
    span: Span,
    lhs: &'s ast::Operand,
    rhs: &'s ast::Operand,
    l: &'s LoweredOperand,
    r: &'s LoweredOperand,
}

impl Sides<'_> {
    /// The kinds of the left side, None aside.
    fn lk(&self) -> Kinds {
        self.l.kinds.without(Kinds::NONE)
    }

    /// The kinds of the right side, None aside.
    fn rk(&self) -> Kinds {
        self.r.kinds.without(Kinds::NONE)
    }
}

/// Whether the kinds say something: neither empty nor every kind.
fn known(k: Kinds) -> bool {
    k != Kinds::ALL.without(Kinds::NONE) && !k.is_empty()
}

impl Checker<'_> {
    pub(super) fn lower_compare(
        &mut self,
        span: Span,
        lhs: &ast::Operand,
        op: CompareOp,
        rhs: &ast::Operand,
    ) -> Lowered {
        let l = self.lower_operand(lhs, None);
        let anchor = l.as_ref().and_then(|l| l.path.clone());
        let r = self.lower_operand(rhs, anchor.as_ref());
        let (Some(l), Some(r)) = (l, r) else {
            return unknown();
        };
        let sides = Sides {
            span,
            lhs,
            rhs,
            l: &l,
            r: &r,
        };
        let verdict = match op {
            CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge => {
                self.check_ordering(op, &sides)
            }
            CompareOp::Eq | CompareOp::Ne => equality(op, &sides),
            CompareOp::In | CompareOp::NotIn => self.check_membership(op, &sides),
            CompareOp::TypeIs | CompareOp::TypeIsNot => {
                self.check_type_names(op, &sides);
                MAYBE
            }
            CompareOp::DivisibleBy | CompareOp::NotDivisibleBy => {
                self.check_divisibility(op, &sides)
            }
        };
        self.compare_node(span, op, l, r, verdict)
    }

    /// `<`, `<=`, `>`, `>=`: E310 between kinds Python cannot order.
    fn check_ordering(&mut self, op: CompareOp, s: &Sides<'_>) -> Verdict {
        let (lk, rk) = (s.lk(), s.rk());
        let orderable = (lk.intersects(Kinds::NUMBER) && rk.intersects(Kinds::NUMBER))
            || (lk.intersects(Kinds::STR) && rk.intersects(Kinds::STR))
            || (lk.intersects(Kinds::LIST) && rk.intersects(Kinds::LIST));
        if known(lk) && known(rk) && !orderable {
            self.diags.push(
                Diagnostic::error(
                    "E310",
                    format!(
                        "`{op}` between {} and {} is a type error in Python",
                        lk.describe(),
                        rk.describe()
                    ),
                )
                .with_primary(self.file, s.span, "this test is always false")
                .with_secondary(self.file, s.lhs.span, format!("this is {}", lk.describe()))
                .with_secondary(self.file, s.rhs.span, format!("this is {}", rk.describe()))
                .with_note(format!("in rule `{}`", self.rule.id.value))
                .with_help(
                    "compare values of the same kind (numbers with numbers, strings with strings)",
                ),
            );
            (Truth::Never, None)
        } else if lk.is_empty() || rk.is_empty() {
            (
                Truth::Never,
                Some((s.span, "an operand is always None".to_owned())),
            )
        } else {
            MAYBE
        }
    }

    /// `in`, `not_in`: E311 without a list on the right; W404 for an allowlist that excludes the
    /// default.
    fn check_membership(&mut self, op: CompareOp, s: &Sides<'_>) -> Verdict {
        if !s.r.kinds.intersects(Kinds::LIST) {
            self.error(
                "E311",
                s.rhs.span,
                format!(
                    "`{op}` needs a list on its right, found {}",
                    s.r.kinds.describe()
                ),
                "not a list",
                "write a list literal such as `[\"a\", \"b\"]` or reference a list field".into(),
            );
            return (Truth::Never, None);
        }
        let Operand::Const(Const::List(items)) = &s.r.operand else {
            return MAYBE;
        };
        let item_kinds = items
            .iter()
            .fold(Kinds::EMPTY, |acc, c| acc.or(self.value_of(c).kind()));
        let matchable = (s.lk().intersects(Kinds::NUMBER) && item_kinds.intersects(Kinds::NUMBER))
            || s.l.kinds.intersects(item_kinds);
        let mut verdict = MAYBE;
        if op == CompareOp::In && known(s.lk()) && !matchable {
            verdict = (
                Truth::Never,
                Some((
                    s.span,
                    format!(
                        "no element of the list can equal a value that is {}",
                        s.l.kinds.describe()
                    ),
                )),
            );
        }
        if op == CompareOp::NotIn {
            self.allowlist_lint(s.l, items, s.span);
        }
        verdict
    }

    /// `type_is`, `type_is_not`: E315 unless the right side names types.
    fn check_type_names(&mut self, op: CompareOp, s: &Sides<'_>) {
        let names_ok = match &s.r.operand {
            Operand::Const(Const::Str(_)) => true,
            Operand::Const(Const::List(items)) => {
                !items.is_empty() && items.iter().all(|c| matches!(c, Const::Str(_)))
            }
            _ => false,
        };
        if !names_ok {
            self.error(
                "E315",
                s.rhs.span,
                format!("`{op}` needs a type name or a list of type names"),
                "not a type name",
                "write e.g. `\"int\"` or `[\"int\", \"float\"]` (Python's `type(x).__name__`)"
                    .into(),
            );
        }
    }

    /// `divisible_by`, `not_divisible_by`: E312 on a side that cannot be an int; a zero divisor
    /// never holds.
    fn check_divisibility(&mut self, op: CompareOp, s: &Sides<'_>) -> Verdict {
        let mut verdict = MAYBE;
        for (o, span) in [(s.l, s.lhs.span), (s.r, s.rhs.span)] {
            let k = o.kinds.without(Kinds::NONE);
            if !k.is_empty() && !k.intersects(Kinds::INT) {
                self.error(
                    "E312",
                    span,
                    format!("`{op}` needs two integers, but this is {}", k.describe()),
                    "not an int",
                    "divisibility holds only between non-bool integers".into(),
                );
                verdict.0 = Truth::Never;
            }
        }
        if let Operand::Const(Const::Int(0)) = s.r.operand {
            verdict = (
                Truth::Never,
                Some((s.rhs.span, "a zero divisor never holds".to_owned())),
            );
        }
        verdict
    }

    /// The comparison node (folded when both sides are constants) and what it proves present.
    fn compare_node(
        &mut self,
        span: Span,
        op: CompareOp,
        l: LoweredOperand,
        r: LoweredOperand,
        (mut truth, mut why): Verdict,
    ) -> Lowered {
        let holds_on_absent = match op {
            CompareOp::Eq => r.kinds.intersects(Kinds::NONE),
            CompareOp::In => true,
            _ => false,
        };
        let proves = if holds_on_absent {
            Vec::new()
        } else {
            slot_of(&l.operand)
        };
        let pred = match (&l.operand, &r.operand) {
            (Operand::Const(a), Operand::Const(b)) => {
                let holds = value::compare(op, &self.value_of(a), &self.value_of(b));
                truth = if holds { Truth::Always } else { Truth::Never };
                why = Some((span, "both sides are constants".to_owned()));
                Pred::Const(holds)
            }
            _ => Pred::Compare {
                op,
                lhs: l.operand,
                rhs: r.operand,
            },
        };
        Lowered {
            pred,
            truth,
            why,
            proves_present: proves,
        }
    }
}

/// `==`, `!=`: `==` never holds between kinds that are never equal (unless both may be None).
fn equality(op: CompareOp, s: &Sides<'_>) -> Verdict {
    let (lk, rk) = (s.lk(), s.rk());
    let equalable =
        (lk.intersects(Kinds::NUMBER) && rk.intersects(Kinds::NUMBER)) || lk.intersects(rk);
    let both_may_be_null = s.l.kinds.intersects(Kinds::NONE) && s.r.kinds.intersects(Kinds::NONE);
    if !known(lk) || !known(rk) || equalable || (op == CompareOp::Eq && both_may_be_null) {
        return MAYBE;
    }
    if op == CompareOp::Eq {
        (
            Truth::Never,
            Some((
                s.span,
                format!("{} never equals {}", lk.describe(), rk.describe()),
            )),
        )
    } else {
        MAYBE
    }
}
