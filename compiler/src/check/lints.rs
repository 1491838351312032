//! Per-rule lints: allowlists that exclude the default (W404), `not` over a possibly absent field
//! (W403), and rules that can never fire or always fire (W401, W402).

use super::{Checker, Lowered, LoweredOperand, Mode, Truth};
use crate::diagnostic::Diagnostic;
use crate::ir::{Const, Operand, Pred, SlotId};
use crate::types::Kinds;
use crate::value::{self, Value};
use llemc_grammar::ast::{CompareOp, Expr, Span};

impl Checker<'_> {
    /// W404: an allowlist (`x not_in [...]` firing) that excludes the field's own default.
    pub(super) fn allowlist_lint(&mut self, field: &LoweredOperand, items: &[Const], span: Span) {
        let Operand::Slot(slot) = field.operand else {
            return;
        };
        let Some(default) = self
            .slots
            .get(slot as usize)
            .and_then(|s| s.native.as_ref())
            .and_then(|n| n.default.clone())
        else {
            return;
        };
        if default == Const::Null {
            return;
        }
        let default_v = self.value_of(&default);
        let list: Vec<Value> = items.iter().map(|c| self.value_of(c)).collect();
        if !value::py_in(&default_v, &list) {
            let path = self
                .slots
                .get(slot as usize)
                .map(|s| s.path.join("."))
                .unwrap_or_default();
            self.warn(
                "W404",
                span,
                format!(
                    "the allowlist excludes the default of `{path}` ({})",
                    value::repr(&default_v)
                ),
                "fires on every config that leaves the field unset",
                format!(
                    "add {} to the list, or guard the test with a condition",
                    value::repr(&default_v)
                ),
            );
        }
    }

    /// W403: `not` over a comparison that does not hold on an absent field (identity tests are
    /// exempt: `not (x is true)` is the deliberate spelling of Python's `x is not True`).
    pub(super) fn not_lint(&mut self, inner: &Expr, lowered: &Lowered, guarded: &[SlotId]) {
        let (operand, holds_on_absent) = match &lowered.pred {
            Pred::Compare { op, lhs, rhs } => {
                let rhs_null = matches!(rhs, Operand::Const(Const::Null));
                (
                    lhs,
                    (*op == CompareOp::Eq && rhs_null) || *op == CompareOp::In,
                )
            }
            _ => return,
        };
        if holds_on_absent || !matches!(self.mode, Mode::Schema(_)) {
            return;
        }
        let Operand::Slot(slot) = operand else { return };
        if guarded.contains(slot) || !self.slot_kinds(*slot).intersects(Kinds::NONE) {
            return;
        }
        let path = self
            .slots
            .get(*slot as usize)
            .map(|s| s.path.last().cloned().unwrap_or_default())
            .unwrap_or_default();
        self.warn(
            "W403",
            inner.span,
            format!("`not` of this test also holds when `{path}` is absent"),
            "negated test on a field that may be absent",
            format!("if that is not intended, add `{path} present and` before the `not`"),
        );
    }

    pub(super) fn whole_rule_lints(&mut self, lowered: &Lowered) {
        if self.diags.iter().any(Diagnostic::is_error) {
            // The errors already explain why the rule is wrong.
            return;
        }
        let span = self.rule.predicate.expr.span;
        let (code, message, label) = match lowered.truth {
            Truth::Never => (
                "W401",
                "this rule can never fire",
                "this predicate never holds",
            ),
            Truth::Always => (
                "W402",
                "this rule fires on every config",
                "this predicate always holds",
            ),
            Truth::Maybe => return,
        };
        let mut d = Diagnostic::warning(code, message)
            .with_primary(
                self.file,
                self.rule.id.span,
                format!("rule `{}`", self.rule.id.value),
            )
            .with_secondary(self.file, span, label);
        if let Some((why_span, why)) = &lowered.why {
            d = d.with_secondary(self.file, *why_span, why.clone());
        }
        self.diags.push(d.with_help(
            "check the operators and literals against the field types in the engine schema",
        ));
    }
}
