//! Checking one rule: name resolution against the engine schema, type checking under Python
//! semantics, template placeholders, per-rule lints, and lowering to the IR.
//!
//! The result uses slot and string ids local to the rule; [`crate::program`] merges rules into one
//! program. Checking one rule never looks at another, so an edit re-checks only the edited rule.

use crate::corpus::Rule;
use crate::diagnostic::{Diagnostic, FileId};
use crate::ir::{Const, Operand, Pred, RuleIr, Slot, SlotId};
use crate::schema::{EngineSchema, node_value};
use crate::types::Kinds;
use crate::versions::Specifier;
use crate::yaml::NodeKind;
use llemc_grammar::ast::{self, Expr, ExprKind, FieldPath, OperandKind, Span};

mod compare;
mod expr;
mod lints;
mod operand;
mod resolve;
mod template;

/// How field paths are interpreted.
#[derive(Clone, Copy, Debug)]
pub enum Mode<'a> {
    /// Paths are native field names, resolved against this schema; effective values apply.
    Schema(&'a EngineSchema),
    /// No schema: paths are absolute config paths as written; declared values only.
    Compat,
}

/// What checking a rule produced.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedRule {
    /// The lowered rule (slot and string ids local to this rule).
    pub ir: RuleIr,
    /// The rule's slots, indexed by its local slot ids.
    pub slots: Vec<Slot>,
    /// The rule's strings, indexed by its local string ids.
    pub strings: Vec<String>,
    /// Whether the rule applies to the engine version being compiled (`versions:`).
    pub applies: bool,
    /// Span of the rule's id (for diagnostics that involve several rules).
    pub id_span: Span,
    /// Every problem found in this rule.
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a (sub-)predicate can hold, judged from types and literals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Truth {
    Always,
    Never,
    Maybe,
}

/// A lowered predicate with what the checker learned about it.
struct Lowered {
    pred: Pred,
    truth: Truth,
    /// The test that decided `truth` and why.
    why: Option<(Span, String)>,
    /// Slots this predicate proves present when it holds (for the `not` lint).
    proves_present: Vec<SlotId>,
}

/// A lowered operand.
struct LoweredOperand {
    operand: Operand,
    kinds: Kinds,
    /// The written path when the operand is a field (anchor for sibling references).
    path: Option<FieldPath>,
}

/// Checks one rule and lowers it.
pub fn check_rule(file: FileId, mode: Mode<'_>, engine_version: &str, rule: &Rule) -> CheckedRule {
    let mut checker = Checker {
        file,
        mode,
        rule,
        native: None,
        mount: Vec::new(),
        slots: Vec::new(),
        strings: Vec::new(),
        diags: Vec::new(),
        resolvable: true,
    };
    checker.resolve_native();
    let lowered = checker.lower_expr(&rule.predicate.expr, &[]);
    checker.whole_rule_lints(&lowered);
    let subject = checker.subject();
    let message = checker.template();
    let reads = {
        let mut reads = Vec::new();
        lowered
            .pred
            .visit_operands(&mut |o| o.visit_slots(&mut |s| reads.push(s)));
        reads.sort_unstable();
        reads.dedup();
        reads
    };
    let normalises = checker.normalisations();
    let applies = match &rule.versions {
        Some(spec) => Specifier::parse(&spec.value)
            .map(|s| s.matches(engine_version))
            .unwrap_or(true),
        None => true,
    };
    if !applies {
        // The schema describes `engine_version`, which this rule is not for: names and types it
        // uses may not exist there, and the rule is not in the program. Only problems of the
        // rule itself (its syntax, its shape) are kept; those come from the corpus reader.
        checker
            .diags
            .retain(|d| !d.is_error() && d.level != crate::diagnostic::Level::Warning);
    }
    let ir = RuleIr {
        id: rule.id.value.clone(),
        severity: rule.severity.value,
        stage: rule.stage.as_ref().map(|s| s.value).unwrap_or_default(),
        native_type: rule.native_type.as_ref().map(|n| n.value.clone()),
        subject,
        reads,
        pred: lowered.pred,
        message,
        origin: origin(rule),
        normalises,
    };
    CheckedRule {
        ir,
        slots: checker.slots,
        strings: checker.strings,
        applies,
        id_span: rule.id.span,
        diagnostics: checker.diags,
    }
}

/// `miner_source` (or a 0.7.0 `provenance.citation`) as `path:line (method)`.
fn origin(rule: &Rule) -> Option<String> {
    if let Some(src) = &rule.miner_source {
        let path = src.path.as_ref().map(|p| p.value.as_str()).unwrap_or("?");
        let mut out = path.to_owned();
        if let Some(line) = &src.line {
            out.push_str(&format!(":{}", line.value));
        }
        if let Some(method) = &src.method {
            out.push_str(&format!(" ({})", method.value));
        }
        return Some(out);
    }
    let provenance = rule.provenance.as_ref()?;
    provenance
        .get("citation")
        .and_then(|c| c.as_str())
        .map(str::to_owned)
}

struct Checker<'a> {
    file: FileId,
    mode: Mode<'a>,
    rule: &'a Rule,
    /// The rule's native type, when it resolved against the schema.
    native: Option<String>,
    /// Config path where the native type's kwargs live (schema mode).
    mount: Vec<String>,
    slots: Vec<Slot>,
    strings: Vec<String>,
    diags: Vec<Diagnostic>,
    /// False when the native type is unknown: field errors would only repeat that.
    resolvable: bool,
}

impl Checker<'_> {
    fn error(
        &mut self,
        code: &'static str,
        span: Span,
        message: String,
        label: &str,
        help: String,
    ) {
        self.diags.push(
            Diagnostic::error(code, message)
                .with_primary(self.file, span, label)
                .with_note(format!("in rule `{}`", self.rule.id.value))
                .with_help(help),
        );
    }

    fn warn(&mut self, code: &'static str, span: Span, message: String, label: &str, help: String) {
        self.diags.push(
            Diagnostic::warning(code, message)
                .with_primary(self.file, span, label)
                .with_note(format!("in rule `{}`", self.rule.id.value))
                .with_help(help),
        );
    }

    /// The subject: `subject:`, else the last `match.fields` entry (the v1 convention: conditions
    /// first, subject last), else the first field of the last top-level conjunct of `when:`.
    fn subject(&mut self) -> Option<SlotId> {
        if let Some(subject) = &self.rule.subject {
            return self.resolve_path(&subject.value, subject.span);
        }
        if let Some(last) = self.rule.predicate.match_fields.last() {
            let path = last.path.value.clone();
            return self.existing_slot(&path);
        }
        let when = self.rule.predicate.when.as_ref()?;
        let last_conjunct = match &when.kind {
            ExprKind::And(items) => items.last()?,
            _ => when,
        };
        let first = first_field(last_conjunct).or_else(|| first_field(when))?;
        self.existing_slot(&first)
    }

    /// The slot already allocated for a written path (without reporting again).
    fn existing_slot(&mut self, path: &FieldPath) -> Option<SlotId> {
        let before = self.diags.len();
        let slot = self.resolve_path(path, Span::default());
        self.diags.truncate(before);
        slot
    }

    /// `expected_outcome.normalised_fields` given as a mapping `field: value`.
    fn normalisations(&mut self) -> Vec<(String, Const)> {
        let Some(node) = self
            .rule
            .expected_outcome
            .as_ref()
            .and_then(|o| o.normalised_fields.as_ref())
        else {
            return Vec::new();
        };
        let NodeKind::Map(entries) = &node.kind else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            if let Some(name) = k.as_str() {
                let value = node_value(v);
                out.push((name.to_owned(), self.constant(&value)));
            }
        }
        out
    }
}

/// native type, `[engine, section, field]` for a native type nested in a section's field.
/// A native type `fed_by` another sits where its feeder does (one hop: a feeder's own `fed_by`
/// is not followed).
pub fn mount_path(schema: &EngineSchema, native: &str) -> Option<Vec<String>> {
    match schema.native(native).and_then(|n| n.fed_by.as_deref()) {
        Some(feeder) => section_mount(schema, feeder),
        None => section_mount(schema, native),
    }
}

/// The mount of a native type that a section, or a section's field, feeds directly.
fn section_mount(schema: &EngineSchema, native: &str) -> Option<Vec<String>> {
    if let Some(section) = schema.section_for(native) {
        return Some(vec![schema.engine.clone(), section.name.clone()]);
    }
    for section in &schema.sections {
        let Some(owner) = schema.native(&section.native_type) else {
            continue;
        };
        for field in &owner.fields {
            if type_mentions(&field.ty, native) {
                return Some(vec![
                    schema.engine.clone(),
                    section.name.clone(),
                    field.name.clone(),
                ]);
            }
        }
    }
    None
}

fn type_mentions(ty: &crate::types::Ty, native: &str) -> bool {
    use crate::types::Ty;
    match ty {
        Ty::Class(name) => name == native,
        Ty::Union(members) => members.iter().any(|m| type_mentions(m, native)),
        _ => false,
    }
}

/// The first field path an expression reads, left to right.
fn first_field(expr: &Expr) -> Option<FieldPath> {
    let mut paths = Vec::new();
    collect_written_paths(expr, &mut paths);
    paths.into_iter().next()
}

/// Every field path written in an expression (bare fields; references only when dotted), in
/// source order.
fn collect_written_paths(expr: &Expr, out: &mut Vec<FieldPath>) {
    fn operand(o: &ast::Operand, out: &mut Vec<FieldPath>) {
        match &o.kind {
            OperandKind::Field(p) => out.push(p.clone()),
            OperandKind::Ref(p) if p.segments.len() > 1 => out.push(p.clone()),
            OperandKind::Ref(_) | OperandKind::Literal(_) => {}
            OperandKind::List(items) => items.iter().for_each(|i| operand(i, out)),
            OperandKind::Len(i) | OperandKind::Neg(i) => operand(i, out),
            OperandKind::Arith { lhs, rhs, .. } => {
                operand(lhs, out);
                operand(rhs, out);
            }
        }
    }
    match &expr.kind {
        ExprKind::Or(items) | ExprKind::And(items) => {
            items.iter().for_each(|i| collect_written_paths(i, out))
        }
        ExprKind::Not(inner) => collect_written_paths(inner, out),
        ExprKind::Compare { lhs, rhs, .. } => {
            operand(lhs, out);
            // A sibling reference reads a field too: name it by its resolved written path.
            if let (OperandKind::Ref(r), Some(anchor)) = (&rhs.kind, out.last().cloned())
                && let [name] = r.segments.as_slice()
            {
                out.push(operand::sibling_path(&anchor, name));
            }
            operand(rhs, out);
        }
        ExprKind::Presence { operand: o, .. } | ExprKind::Is { operand: o, .. } => operand(o, out),
    }
}
