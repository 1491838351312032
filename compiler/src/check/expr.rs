//! Lowering predicates: `and`, `or`, `not`, presence and identity tests, and what the checker
//! learns about whether each can hold.

use super::{Checker, Lowered, Truth};
use crate::ir::{Const, Operand, Pred, SlotId};
use crate::types::Kinds;
use crate::value;
use llemc_grammar::ast::{self, Expr, ExprKind, IsTarget, Span};

impl Checker<'_> {
    pub(super) fn lower_expr(&mut self, expr: &Expr, guarded: &[SlotId]) -> Lowered {
        match &expr.kind {
            ExprKind::And(items) => {
                // Which slots the conjuncts prove present (guards for `not`).
                let mut lowered = Vec::new();
                let mut guards: Vec<SlotId> = guarded.to_vec();
                for item in items {
                    let l = self.lower_expr(item, &guards);
                    guards.extend(l.proves_present.iter().copied());
                    lowered.push(l);
                }
                combine(lowered, true)
            }
            ExprKind::Or(items) => {
                let lowered: Vec<Lowered> =
                    items.iter().map(|i| self.lower_expr(i, guarded)).collect();
                combine(lowered, false)
            }
            ExprKind::Not(inner) => self.lower_not(inner, guarded),
            ExprKind::Presence { operand, present } => {
                self.lower_presence(expr.span, operand, *present)
            }
            ExprKind::Is {
                operand,
                negated,
                target,
            } => self.lower_is(expr.span, operand, *negated, *target),
            ExprKind::Compare { lhs, op, rhs } => self.lower_compare(expr.span, lhs, *op, rhs),
        }
    }

    /// `not inner`, with the W403 lint.
    fn lower_not(&mut self, inner: &Expr, guarded: &[SlotId]) -> Lowered {
        let l = self.lower_expr(inner, guarded);
        self.not_lint(inner, &l, guarded);
        let truth = match l.truth {
            Truth::Always => Truth::Never,
            Truth::Never => Truth::Always,
            Truth::Maybe => Truth::Maybe,
        };
        let pred = match l.pred {
            Pred::Const(b) => Pred::Const(!b),
            Pred::Not(p) => *p,
            other => Pred::Not(Box::new(other)),
        };
        Lowered {
            pred,
            truth,
            why: l.why,
            proves_present: Vec::new(),
        }
    }

    /// `x present` / `x absent`: decided by the types when `x` is always or never None.
    fn lower_presence(&mut self, span: Span, operand: &ast::Operand, present: bool) -> Lowered {
        let Some(o) = self.lower_operand(operand, None) else {
            return unknown();
        };
        let truth = if o.kinds == Kinds::NONE {
            if present { Truth::Never } else { Truth::Always }
        } else if !o.kinds.intersects(Kinds::NONE) {
            if present { Truth::Always } else { Truth::Never }
        } else {
            Truth::Maybe
        };
        let why = (truth != Truth::Maybe).then(|| {
            let reason = if o.kinds.intersects(Kinds::NONE) {
                "the value is always None".to_owned()
            } else {
                "the field has a non-null default and its type does not admit None, so its effective value is never absent".to_owned()
            };
            (span, reason)
        });
        let proves = if present {
            slot_of(&o.operand)
        } else {
            Vec::new()
        };
        let pred = match &o.operand {
            Operand::Const(c) => Pred::Const((*c == Const::Null) != present),
            _ => Pred::Presence {
                operand: o.operand,
                present,
            },
        };
        Lowered {
            pred,
            truth,
            why,
            proves_present: proves,
        }
    }

    /// `x is [not] null|true|false`: never holds when `x` cannot be of the target's kind.
    fn lower_is(
        &mut self,
        span: Span,
        operand: &ast::Operand,
        negated: bool,
        target: IsTarget,
    ) -> Lowered {
        let Some(o) = self.lower_operand(operand, None) else {
            return unknown();
        };
        let target_kind = match target {
            IsTarget::Null => Kinds::NONE,
            IsTarget::True | IsTarget::False => Kinds::BOOL,
        };
        let mut truth = if !o.kinds.intersects(target_kind) {
            Truth::Never
        } else {
            Truth::Maybe
        };
        if negated {
            truth = match truth {
                Truth::Never => Truth::Always,
                t => t,
            };
        }
        let why =
            (truth != Truth::Maybe).then(|| (span, format!("the value is {}", o.kinds.describe())));
        // `x is not null` and `x is true|false` hold only on a present value.
        let proves = if negated == (target == IsTarget::Null) {
            slot_of(&o.operand)
        } else {
            Vec::new()
        };
        let pred = match &o.operand {
            Operand::Const(c) => Pred::Const(value::is(&self.value_of(c), target) != negated),
            _ => Pred::Is {
                operand: o.operand,
                negated,
                target,
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

pub(super) fn unknown() -> Lowered {
    Lowered {
        pred: Pred::Const(false),
        truth: Truth::Maybe,
        why: None,
        proves_present: Vec::new(),
    }
}

pub(super) fn slot_of(operand: &Operand) -> Vec<SlotId> {
    match operand {
        Operand::Slot(s) => vec![*s],
        _ => Vec::new(),
    }
}

/// Combines conjuncts (`and_ = true`) or disjuncts, folding constants.
fn combine(items: Vec<Lowered>, and_: bool) -> Lowered {
    let absorbing = if and_ { Truth::Never } else { Truth::Always };
    let neutral = if and_ { Truth::Always } else { Truth::Never };
    let mut truth = neutral;
    let mut why = None;
    let mut preds = Vec::new();
    let mut proves = Vec::new();
    let mut folded_to = None;
    for item in items {
        if item.truth == absorbing && truth != absorbing {
            truth = absorbing;
            why = item.why.clone();
        } else if item.truth == Truth::Maybe && truth == neutral {
            truth = Truth::Maybe;
            why = None;
        }
        if and_ {
            proves.extend(item.proves_present);
        }
        match item.pred {
            Pred::Const(b) if b == and_ => {}
            Pred::Const(b) => folded_to = Some(b),
            Pred::And(inner) if and_ => preds.extend(inner),
            Pred::Or(inner) if !and_ => preds.extend(inner),
            other => preds.push(other),
        }
    }
    if truth == neutral && why.is_none() {
        why = None;
    }
    let pred = match folded_to {
        Some(b) => Pred::Const(b),
        None if preds.is_empty() => Pred::Const(and_),
        None if preds.len() == 1 => preds.pop().unwrap_or(Pred::Const(and_)),
        None if and_ => Pred::And(preds),
        None => Pred::Or(preds),
    };
    if !and_ {
        proves.clear();
    }
    Lowered {
        pred,
        truth,
        why,
        proves_present: proves,
    }
}
