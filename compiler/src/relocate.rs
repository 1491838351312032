//! Moving every span of a rule by a fixed amount.
//!
//! The incremental pipeline stores each rule with spans relative to the rule's own start, so that
//! editing one rule (which shifts the byte offsets of every rule after it) leaves the other rules
//! unchanged and un-rechecked; spans are moved back to file offsets when diagnostics are reported.

use crate::corpus::{ExpectedOutcome, MatchField, MinerSource, Predicate, Rule, Spanned};
use crate::diagnostic::Diagnostic;
use crate::yaml::{Node, NodeKind};
use llemc_grammar::ast::{Expr, ExprKind, Operand, OperandKind, Span};

/// Something whose spans can be moved.
pub trait Relocate {
    /// Moves every span by `delta` bytes (negative: towards the start of the file).
    fn relocate(&mut self, delta: i64);
}

fn moved(span: Span, delta: i64) -> Span {
    let clamp = |v: u32| u32::try_from((i64::from(v) + delta).max(0)).unwrap_or(u32::MAX);
    Span {
        start: clamp(span.start),
        end: clamp(span.end),
    }
}

impl Relocate for Span {
    fn relocate(&mut self, delta: i64) {
        *self = moved(*self, delta);
    }
}

impl<T> Relocate for Spanned<T> {
    fn relocate(&mut self, delta: i64) {
        self.span.relocate(delta);
    }
}

impl<T: Relocate> Relocate for Option<T> {
    fn relocate(&mut self, delta: i64) {
        if let Some(inner) = self {
            inner.relocate(delta);
        }
    }
}

impl<T: Relocate> Relocate for Vec<T> {
    fn relocate(&mut self, delta: i64) {
        for item in self {
            item.relocate(delta);
        }
    }
}

impl Relocate for Node {
    fn relocate(&mut self, delta: i64) {
        // Iterative: YAML nesting is bounded by the reader, but stay off the call stack anyway.
        let mut stack: Vec<&mut Node> = vec![self];
        while let Some(node) = stack.pop() {
            node.span.relocate(delta);
            match &mut node.kind {
                NodeKind::Seq(items) => stack.extend(items.iter_mut()),
                NodeKind::Map(entries) => {
                    for (k, v) in entries.iter_mut() {
                        stack.push(k);
                        stack.push(v);
                    }
                }
                NodeKind::Null
                | NodeKind::Bool(_)
                | NodeKind::Int(_)
                | NodeKind::Float(_)
                | NodeKind::Str(_) => {}
            }
        }
    }
}

impl Relocate for Expr {
    fn relocate(&mut self, delta: i64) {
        self.span.relocate(delta);
        match &mut self.kind {
            ExprKind::Or(items) | ExprKind::And(items) => items.relocate(delta),
            ExprKind::Not(inner) => inner.relocate(delta),
            ExprKind::Compare { lhs, rhs, .. } => {
                lhs.relocate(delta);
                rhs.relocate(delta);
            }
            ExprKind::Presence { operand, .. } | ExprKind::Is { operand, .. } => {
                operand.relocate(delta)
            }
        }
    }
}

impl Relocate for Box<Expr> {
    fn relocate(&mut self, delta: i64) {
        self.as_mut().relocate(delta);
    }
}

impl Relocate for Operand {
    fn relocate(&mut self, delta: i64) {
        self.span.relocate(delta);
        match &mut self.kind {
            OperandKind::Field(_) | OperandKind::Ref(_) | OperandKind::Literal(_) => {}
            OperandKind::List(items) => items.relocate(delta),
            OperandKind::Len(inner) | OperandKind::Neg(inner) => inner.relocate(delta),
            OperandKind::Arith { lhs, rhs, .. } => {
                lhs.relocate(delta);
                rhs.relocate(delta);
            }
        }
    }
}

impl Relocate for Box<Operand> {
    fn relocate(&mut self, delta: i64) {
        self.as_mut().relocate(delta);
    }
}

impl Relocate for MatchField {
    fn relocate(&mut self, delta: i64) {
        self.path.relocate(delta);
        self.expr.relocate(delta);
    }
}

impl Relocate for Predicate {
    fn relocate(&mut self, delta: i64) {
        self.match_fields.relocate(delta);
        self.when.relocate(delta);
        self.expr.relocate(delta);
    }
}

impl Relocate for ExpectedOutcome {
    fn relocate(&mut self, delta: i64) {
        self.outcome.relocate(delta);
        self.emission_channel.relocate(delta);
        self.normalised_fields.relocate(delta);
    }
}

impl Relocate for MinerSource {
    fn relocate(&mut self, delta: i64) {
        self.path.relocate(delta);
        self.method.relocate(delta);
        self.line.relocate(delta);
        self.module.relocate(delta);
        self.class.relocate(delta);
        self.field.relocate(delta);
        self.cluster.relocate(delta);
    }
}

impl Relocate for (Spanned<String>, Node) {
    fn relocate(&mut self, delta: i64) {
        self.0.relocate(delta);
        self.1.relocate(delta);
    }
}

impl Relocate for Rule {
    fn relocate(&mut self, delta: i64) {
        let Rule {
            id,
            span,
            shape: _,
            engine,
            severity,
            native_type,
            library,
            rule_under_test,
            predicate,
            when_text,
            match_node,
            subject,
            message_template,
            message_template_offsets,
            replay_match,
            stage,
            kwargs_positive,
            kwargs_negative,
            expected_outcome,
            miner_source,
            added_by,
            cross_validated_by,
            references,
            added_at,
            versions,
            provenance,
            observations,
            extra,
        } = self;
        for offset in message_template_offsets.iter_mut() {
            *offset = u32::try_from((i64::from(*offset) + delta).max(0)).unwrap_or(u32::MAX);
        }
        id.relocate(delta);
        span.relocate(delta);
        engine.relocate(delta);
        severity.relocate(delta);
        native_type.relocate(delta);
        library.relocate(delta);
        rule_under_test.relocate(delta);
        predicate.relocate(delta);
        when_text.relocate(delta);
        match_node.relocate(delta);
        subject.relocate(delta);
        message_template.relocate(delta);
        replay_match.relocate(delta);
        stage.relocate(delta);
        kwargs_positive.relocate(delta);
        kwargs_negative.relocate(delta);
        expected_outcome.relocate(delta);
        miner_source.relocate(delta);
        added_by.relocate(delta);
        cross_validated_by.relocate(delta);
        references.relocate(delta);
        added_at.relocate(delta);
        versions.relocate(delta);
        provenance.relocate(delta);
        observations.relocate(delta);
        extra.relocate(delta);
    }
}

impl Relocate for Diagnostic {
    fn relocate(&mut self, delta: i64) {
        if let Some(primary) = &mut self.primary {
            primary.span.relocate(delta);
        }
        for label in &mut self.secondary {
            label.span.relocate(delta);
        }
    }
}
