//! Checking one rule: name resolution against the engine schema, type checking under Python
//! semantics, template placeholders, per-rule lints, and lowering to the IR.
//!
//! The result uses slot and string ids local to the rule; [`crate::program`] merges rules into one
//! program. Checking one rule never looks at another, so an edit re-checks only the edited rule.

use crate::corpus::{Rule, RuleShape};
use crate::diagnostic::{Diagnostic, FileId};
use crate::ir::{
    Const, NativeField, Operand, Pred, RuleIr, Slot, SlotId, StrId, Template, TemplatePart,
};
use crate::schema::{EngineSchema, node_value, suggest};
use crate::template::{RawPart, parse_template};
use crate::types::Kinds;
use crate::value::{self, Value};
use crate::versions::Specifier;
use crate::yaml::NodeKind;
use llemc_grammar::ast::{self, CompareOp, Expr, ExprKind, FieldPath, IsTarget, OperandKind, Span};

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

    /// Resolves the rule's native type and where its kwargs sit in an experiment config.
    fn resolve_native(&mut self) {
        let Mode::Schema(schema) = self.mode else {
            return;
        };
        let Some(native) = &self.rule.native_type else {
            // 0.7.0-shaped rules have no native type: their paths must be absolute.
            return;
        };
        if schema.native(&native.value).is_none() {
            let suggestions = suggest(
                &native.value,
                schema.native_types.iter().map(|n| n.name.as_str()),
            );
            let help = match suggestions.first() {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "the schema for `{}` declares: {}",
                    schema.engine,
                    schema
                        .native_types
                        .iter()
                        .map(|n| n.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            self.error(
                "E301",
                native.span,
                format!("unknown native type `{}`", native.value),
                "not declared in the engine schema",
                help,
            );
            self.resolvable = false;
            return;
        }
        match mount_path(schema, &native.value) {
            Some(mount) => {
                self.mount = mount;
                self.native = Some(native.value.clone());
            }
            None => {
                self.error(
                    "E303",
                    native.span,
                    format!("no experiment-config section feeds `{}`", native.value),
                    "cannot be reached from a config",
                    "add a section for it under `sections:` in the engine schema".into(),
                );
                self.resolvable = false;
            }
        }
    }

    fn intern(&mut self, s: &str) -> StrId {
        let index = self.strings.iter().position(|x| x == s).unwrap_or_else(|| {
            self.strings.push(s.to_owned());
            self.strings.len() - 1
        });
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    fn slot_for(&mut self, slot: Slot) -> SlotId {
        let index = self
            .slots
            .iter()
            .position(|s| s.path == slot.path)
            .unwrap_or_else(|| {
                self.slots.push(slot);
                self.slots.len() - 1
            });
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    fn slot_kinds(&self, slot: SlotId) -> Kinds {
        self.slots
            .get(slot as usize)
            .map(|s| s.kinds)
            .unwrap_or(Kinds::ALL)
    }

    /// Resolves a written field path to a slot, reporting unknown fields.
    fn resolve_path(&mut self, path: &FieldPath, span: Span) -> Option<SlotId> {
        match self.mode {
            Mode::Compat => Some(self.slot_for(Slot {
                path: path.segments.clone(),
                native: None,
                kinds: Kinds::ALL,
            })),
            Mode::Schema(schema) => {
                if !self.resolvable {
                    return None;
                }
                // Relative to the rule's native type.
                if let Some(native) = self.native.clone() {
                    match schema.resolve(&native, path) {
                        Ok(resolved) => {
                            let mut full = self.mount.clone();
                            full.extend(path.segments.iter().cloned());
                            return Some(self.native_slot(full, path, &resolved));
                        }
                        Err(unresolved) => {
                            if let Some(slot) = self.resolve_absolute(schema, path) {
                                return Some(slot);
                            }
                            let segment = path
                                .segments
                                .get(unresolved.segment)
                                .cloned()
                                .unwrap_or_default();
                            let help = match unresolved.suggestions.first() {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!(
                                    "`{}` declares no field `{segment}`; see engines/{}/schema.yaml",
                                    unresolved.searched, schema.engine
                                ),
                            };
                            self.error(
                                "E302",
                                span,
                                format!("unknown field `{segment}` on `{}`", unresolved.searched),
                                "unknown field",
                                help,
                            );
                            return None;
                        }
                    }
                }
                if let Some(slot) = self.resolve_absolute(schema, path) {
                    return Some(slot);
                }
                self.error(
                    "E302",
                    span,
                    format!("`{path}` is not a field of any `{}` section", schema.engine),
                    "unknown field",
                    format!(
                        "without `native_type`, write the full config path, e.g. `{}.{}.<field>`",
                        schema.engine,
                        schema
                            .sections
                            .first()
                            .map(|s| s.name.as_str())
                            .unwrap_or("section")
                    ),
                );
                None
            }
        }
    }

    /// Resolves `engine.section.field...` against the schema.
    fn resolve_absolute(&mut self, schema: &EngineSchema, path: &FieldPath) -> Option<SlotId> {
        let mut segments = path.segments.iter();
        if segments.next()? != &schema.engine {
            return None;
        }
        let section_name = segments.next()?;
        let section = schema.sections.iter().find(|s| &s.name == section_name)?;
        let rest = FieldPath {
            segments: segments.cloned().collect(),
        };
        if rest.segments.is_empty() {
            return None;
        }
        let resolved = schema.resolve(&section.native_type, &rest).ok()?;
        Some(self.native_slot(path.segments.clone(), &rest, &resolved))
    }

    fn native_slot(
        &mut self,
        full: Vec<String>,
        field: &FieldPath,
        resolved: &crate::schema::ResolvedField,
    ) -> SlotId {
        let decl = &resolved.decl;
        let mut kinds = decl.ty.kinds();
        if matches!(decl.default, None | Some(Value::Null)) || resolved.nested {
            kinds = kinds.or(Kinds::NONE);
        }
        let parent_len = u32::try_from(full.len().saturating_sub(1)).unwrap_or(0);
        let default = decl.default.as_ref().map(|v| self.constant(v));
        self.slot_for(Slot {
            path: full,
            native: Some(NativeField {
                native_type: resolved.owner.clone(),
                field: field.segments.clone(),
                default,
                parent_len,
                ty: decl.ty.to_string(),
            }),
            kinds,
        })
    }

    fn constant(&mut self, v: &Value) -> Const {
        match v {
            Value::Null => Const::Null,
            Value::Bool(b) => Const::Bool(*b),
            Value::Int(i) => Const::Int(*i),
            Value::Float(f) => Const::Float(*f),
            Value::Str(s) => Const::Str(self.intern(s)),
            Value::List(items) => Const::List(items.iter().map(|i| self.constant(i)).collect()),
            Value::Dict(entries) => Const::Dict(
                entries
                    .iter()
                    .map(|(k, v)| (self.constant(k), self.constant(v)))
                    .collect(),
            ),
        }
    }

    fn value_of(&self, c: &Const) -> Value {
        match c {
            Const::Null => Value::Null,
            Const::Bool(b) => Value::Bool(*b),
            Const::Int(i) => Value::Int(*i),
            Const::Float(f) => Value::Float(*f),
            Const::Str(id) => {
                Value::Str(self.strings.get(*id as usize).cloned().unwrap_or_default())
            }
            Const::List(items) => Value::List(items.iter().map(|i| self.value_of(i)).collect()),
            Const::Dict(entries) => Value::Dict(
                entries
                    .iter()
                    .map(|(k, v)| (self.value_of(k), self.value_of(v)))
                    .collect(),
            ),
        }
    }

    fn lower_operand(
        &mut self,
        operand: &ast::Operand,
        anchor: Option<&FieldPath>,
    ) -> Option<LoweredOperand> {
        let span = operand.span;
        match &operand.kind {
            OperandKind::Field(path) => {
                let slot = self.resolve_path(path, span)?;
                Some(LoweredOperand {
                    operand: Operand::Slot(slot),
                    kinds: self.slot_kinds(slot),
                    path: Some(path.clone()),
                })
            }
            OperandKind::Ref(path) => {
                let written = match (path.segments.as_slice(), anchor) {
                    ([name], Some(anchor)) => {
                        let mut segments: Vec<String> = anchor
                            .segments
                            .iter()
                            .take(anchor.segments.len().saturating_sub(1))
                            .cloned()
                            .collect();
                        segments.push(name.clone());
                        FieldPath { segments }
                    }
                    _ => path.clone(),
                };
                let slot = self.resolve_path(&written, span)?;
                Some(LoweredOperand {
                    operand: Operand::Slot(slot),
                    kinds: self.slot_kinds(slot),
                    path: Some(written),
                })
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
            OperandKind::List(items) => {
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
            OperandKind::Len(inner) => {
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
            OperandKind::Arith { op, lhs, rhs } => {
                let l = self.lower_operand(lhs, anchor)?;
                let r = self.lower_operand(rhs, anchor)?;
                self.require_number(&l, lhs.span, op.as_str());
                self.require_number(&r, rhs.span, op.as_str());
                let kinds = if l.kinds.intersects(Kinds::FLOAT) || r.kinds.intersects(Kinds::FLOAT)
                {
                    Kinds::INT.or(Kinds::FLOAT)
                } else {
                    Kinds::INT
                };
                let operand = Operand::Arith {
                    op: *op,
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
        }
    }

    fn require_number(&mut self, operand: &LoweredOperand, span: Span, op: &str) {
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
    fn fold_unary(&mut self, operand: Operand, span: Span) -> Option<Operand> {
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

    fn lower_expr(&mut self, expr: &Expr, guarded: &[SlotId]) -> Lowered {
        match &expr.kind {
            ExprKind::And(items) => {
                // First pass: which slots the conjuncts prove present (guards for `not`).
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
            ExprKind::Not(inner) => {
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
            ExprKind::Presence { operand, present } => {
                let Some(o) = self.lower_operand(operand, None) else {
                    return unknown();
                };
                let truth = if o.kinds == Kinds::NONE {
                    if *present {
                        Truth::Never
                    } else {
                        Truth::Always
                    }
                } else if !o.kinds.intersects(Kinds::NONE) {
                    if *present {
                        Truth::Always
                    } else {
                        Truth::Never
                    }
                } else {
                    Truth::Maybe
                };
                let why = (truth != Truth::Maybe).then(|| {
                    let reason = if o.kinds.intersects(Kinds::NONE) {
                        "the value is always None".to_owned()
                    } else {
                        "the field has a non-null default and its type does not admit None, so its effective value is never absent".to_owned()
                    };
                    (expr.span, reason)
                });
                let proves = if *present {
                    slot_of(&o.operand)
                } else {
                    Vec::new()
                };
                let pred = match &o.operand {
                    Operand::Const(c) => Pred::Const((*c == Const::Null) != *present),
                    _ => Pred::Presence {
                        operand: o.operand,
                        present: *present,
                    },
                };
                Lowered {
                    pred,
                    truth,
                    why,
                    proves_present: proves,
                }
            }
            ExprKind::Is {
                operand,
                negated,
                target,
            } => {
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
                if *negated {
                    truth = match truth {
                        Truth::Never => Truth::Always,
                        t => t,
                    };
                }
                let why = (truth != Truth::Maybe)
                    .then(|| (expr.span, format!("the value is {}", o.kinds.describe())));
                let proves = if *negated && *target == IsTarget::Null {
                    slot_of(&o.operand)
                } else if !*negated && *target != IsTarget::Null {
                    slot_of(&o.operand)
                } else {
                    Vec::new()
                };
                let pred = match &o.operand {
                    Operand::Const(c) => {
                        Pred::Const(value::is(&self.value_of(c), *target) != *negated)
                    }
                    _ => Pred::Is {
                        operand: o.operand,
                        negated: *negated,
                        target: *target,
                    },
                };
                Lowered {
                    pred,
                    truth,
                    why,
                    proves_present: proves,
                }
            }
            ExprKind::Compare { lhs, op, rhs } => self.lower_compare(expr.span, lhs, *op, rhs),
        }
    }

    fn lower_compare(
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
        let lk = l.kinds.without(Kinds::NONE);
        let rk = r.kinds.without(Kinds::NONE);
        let known = |k: Kinds| k != Kinds::ALL.without(Kinds::NONE) && !k.is_empty();
        let mut truth = Truth::Maybe;
        let mut why = None;
        match op {
            CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge => {
                let orderable = (lk.intersects(Kinds::NUMBER) && rk.intersects(Kinds::NUMBER))
                    || (lk.intersects(Kinds::STR) && rk.intersects(Kinds::STR))
                    || (lk.intersects(Kinds::LIST) && rk.intersects(Kinds::LIST));
                if known(lk) && known(rk) && !orderable {
                    self.diags.push(
                        Diagnostic::error("E310", format!("`{op}` between {} and {} is a type error in Python", lk.describe(), rk.describe()))
                            .with_primary(self.file, span, "this test is always false")
                            .with_secondary(self.file, lhs.span, format!("this is {}", lk.describe()))
                            .with_secondary(self.file, rhs.span, format!("this is {}", rk.describe()))
                            .with_note(format!("in rule `{}`", self.rule.id.value))
                            .with_help("compare values of the same kind (numbers with numbers, strings with strings)"),
                    );
                    truth = Truth::Never;
                } else if lk.is_empty() || rk.is_empty() {
                    truth = Truth::Never;
                    why = Some((span, "an operand is always None".to_owned()));
                }
            }
            CompareOp::Eq | CompareOp::Ne => {
                let equalable = (lk.intersects(Kinds::NUMBER) && rk.intersects(Kinds::NUMBER))
                    || lk.intersects(rk);
                let both_may_be_null =
                    l.kinds.intersects(Kinds::NONE) && r.kinds.intersects(Kinds::NONE);
                if known(lk)
                    && known(rk)
                    && !equalable
                    && !(op == CompareOp::Eq && both_may_be_null)
                {
                    truth = if op == CompareOp::Eq {
                        Truth::Never
                    } else {
                        Truth::Maybe
                    };
                    if op == CompareOp::Eq {
                        why = Some((
                            span,
                            format!("{} never equals {}", lk.describe(), rk.describe()),
                        ));
                    }
                }
            }
            CompareOp::In | CompareOp::NotIn => {
                if !r.kinds.intersects(Kinds::LIST) {
                    self.error(
                        "E311",
                        rhs.span,
                        format!(
                            "`{op}` needs a list on its right, found {}",
                            r.kinds.describe()
                        ),
                        "not a list",
                        "write a list literal such as `[\"a\", \"b\"]` or reference a list field"
                            .into(),
                    );
                    truth = Truth::Never;
                } else if let Operand::Const(Const::List(items)) = &r.operand {
                    let item_kinds = items
                        .iter()
                        .fold(Kinds::EMPTY, |acc, c| acc.or(self.value_of(c).kind()));
                    let matchable = (lk.intersects(Kinds::NUMBER)
                        && item_kinds.intersects(Kinds::NUMBER))
                        || l.kinds.intersects(item_kinds);
                    if op == CompareOp::In && known(lk) && !matchable {
                        truth = Truth::Never;
                        why = Some((
                            span,
                            format!(
                                "no element of the list can equal a value that is {}",
                                l.kinds.describe()
                            ),
                        ));
                    }
                    if op == CompareOp::NotIn {
                        self.allowlist_lint(&l, items, span);
                    }
                }
            }
            CompareOp::TypeIs | CompareOp::TypeIsNot => {
                let names_ok = match &r.operand {
                    Operand::Const(Const::Str(_)) => true,
                    Operand::Const(Const::List(items)) => {
                        !items.is_empty() && items.iter().all(|c| matches!(c, Const::Str(_)))
                    }
                    _ => false,
                };
                if !names_ok {
                    self.error(
                        "E315",
                        rhs.span,
                        format!("`{op}` needs a type name or a list of type names"),
                        "not a type name",
                        "write e.g. `\"int\"` or `[\"int\", \"float\"]` (Python's `type(x).__name__`)".into(),
                    );
                }
            }
            CompareOp::DivisibleBy | CompareOp::NotDivisibleBy => {
                for (o, s) in [(&l, lhs.span), (&r, rhs.span)] {
                    let k = o.kinds.without(Kinds::NONE);
                    if !k.is_empty() && !k.intersects(Kinds::INT) {
                        self.error(
                            "E312",
                            s,
                            format!("`{op}` needs two integers, but this is {}", k.describe()),
                            "not an int",
                            "divisibility holds only between non-bool integers".into(),
                        );
                        truth = Truth::Never;
                    }
                }
                if let Operand::Const(Const::Int(0)) = r.operand {
                    truth = Truth::Never;
                    why = Some((rhs.span, "a zero divisor never holds".to_owned()));
                }
            }
        }
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

    /// W404: an allowlist (`x not_in [...]` firing) that excludes the field's own default.
    fn allowlist_lint(&mut self, field: &LoweredOperand, items: &[Const], span: Span) {
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
    fn not_lint(&mut self, inner: &Expr, lowered: &Lowered, guarded: &[SlotId]) {
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

    fn whole_rule_lints(&mut self, lowered: &Lowered) {
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

    /// The message template, resolved into parts that always render (see [`Template`]).
    fn template(&mut self) -> Template {
        let compat = matches!(self.mode, Mode::Compat);
        let v070 = self.rule.shape == RuleShape::V070;
        let Some(raw) = self.rule.message_template.clone() else {
            // What the original loaders show for a rule without a template.
            let parts = if v070 {
                vec![TemplatePart::Text("<no message template>".into())]
            } else if compat {
                vec![
                    TemplatePart::Text("[".into()),
                    TemplatePart::RuleId,
                    TemplatePart::Text("] <no message template>".into()),
                ]
            } else {
                vec![
                    TemplatePart::Text("rule ".into()),
                    TemplatePart::RuleId,
                    TemplatePart::Text(" fired on ".into()),
                    TemplatePart::DeclaredValue,
                ]
            };
            return Template {
                raw: None,
                parts,
                renders_raw: false,
            };
        };
        let shown_raw = |raw: &str| {
            let mut parts = Vec::new();
            if !v070 {
                parts.extend([
                    TemplatePart::Text("[".into()),
                    TemplatePart::RuleId,
                    TemplatePart::Text("] ".into()),
                ]);
            }
            parts.push(TemplatePart::Text(raw.to_owned()));
            Template {
                raw: Some(raw.to_owned()),
                parts,
                renders_raw: true,
            }
        };
        let parts = match parse_template(&raw.value) {
            Ok(parts) => parts,
            Err(e) => {
                if compat {
                    self.warn(
                        "W408",
                        raw.span,
                        format!("message template cannot be formatted: {}", e.message),
                        "shown raw",
                        "escape literal braces as `{{` and `}}`".into(),
                    );
                } else {
                    let span = self.template_span(&raw, e.offset, e.offset + 1);
                    self.error(
                        "E321",
                        span,
                        format!("malformed message template: {}", e.message),
                        "here",
                        "escape literal braces as `{{` and `}}`".into(),
                    );
                }
                return shown_raw(&raw.value);
            }
        };
        // Names a placeholder may use: the fields the rule reads, by written path and (except in
        // the v1 compat shape, whose loader offers full paths only) by last segment.
        let mut names: Vec<(String, SlotId)> = Vec::new();
        let mut written = Vec::new();
        collect_written_paths(&self.rule.predicate.expr, &mut written);
        for path in &written {
            if let Some(slot) = self.existing_slot(path) {
                if !names.iter().any(|(n, _)| *n == path.dotted()) {
                    names.push((path.dotted(), slot));
                }
                if (!compat || v070) && !names.iter().any(|(n, _)| n == path.last()) {
                    names.push((path.last().to_owned(), slot));
                }
            }
        }
        let mut out = Vec::new();
        for part in parts {
            match part {
                RawPart::Text(t) => out.push(TemplatePart::Text(t)),
                RawPart::Placeholder { name, start, end } => match name.as_str() {
                    "declared_value" => out.push(TemplatePart::DeclaredValue),
                    "effective_value" => out.push(TemplatePart::EffectiveValue),
                    "rule_id" => out.push(TemplatePart::RuleId),
                    _ => match names
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, s)| *s)
                        .or_else(|| self.native_field_slot(&name))
                    {
                        Some(slot) => out.push(TemplatePart::Field(slot)),
                        None if compat => {
                            let span = self.template_span(&raw, start.saturating_sub(1), end);
                            self.warn(
                                "W408",
                                span,
                                format!("unknown placeholder `{{{name}}}`: the message will be shown raw"),
                                "not a field of this rule",
                                "use `{declared_value}`, `{effective_value}` or `{rule_id}`".into(),
                            );
                            return shown_raw(&raw.value);
                        }
                        None => {
                            let mut candidates: Vec<&str> =
                                names.iter().map(|(n, _)| n.as_str()).collect();
                            candidates.extend(["declared_value", "effective_value", "rule_id"]);
                            let help = match suggest(&name, candidates.iter().copied()).first() {
                                Some(s) => format!("did you mean `{{{s}}}`?"),
                                None => format!(
                                    "placeholders may name the rule's fields ({}) or `declared_value`, `effective_value`, `rule_id`",
                                    names
                                        .iter()
                                        .map(|(n, _)| format!("`{n}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            };
                            let span = self.template_span(&raw, start.saturating_sub(1), end);
                            self.error(
                                "E320",
                                span,
                                format!("unknown placeholder `{{{name}}}` in message template"),
                                "not a field this rule reads",
                                help,
                            );
                        }
                    },
                },
            }
        }
        Template {
            raw: Some(raw.value),
            parts: out,
            renders_raw: false,
        }
    }

    /// In schema mode, a placeholder may also name any field of the rule's native type (a library
    /// message may show a field the condition does not test).
    fn native_field_slot(&mut self, name: &str) -> Option<SlotId> {
        if !matches!(self.mode, Mode::Schema(_)) || self.native.is_none() || name.is_empty() {
            return None;
        }
        let path = FieldPath::parse_dotted(name);
        if path
            .segments
            .iter()
            .any(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            return None;
        }
        self.existing_slot(&path)
    }

    /// The file span of bytes `start..end` of the message template (the whole template when the
    /// offsets are unknown).
    fn template_span(
        &self,
        raw: &crate::corpus::Spanned<String>,
        start: usize,
        end: usize,
    ) -> Span {
        let offsets = &self.rule.message_template_offsets;
        match (offsets.get(start), offsets.get(end.saturating_sub(1))) {
            (Some(s), Some(e)) if s <= e => Span {
                start: *s,
                end: e + 1,
            },
            _ => raw.span,
        }
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

fn unknown() -> Lowered {
    Lowered {
        pred: Pred::Const(false),
        truth: Truth::Maybe,
        why: None,
        proves_present: Vec::new(),
    }
}

fn slot_of(operand: &Operand) -> Vec<SlotId> {
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

fn literal_value(lit: &ast::Literal) -> Value {
    match lit {
        ast::Literal::Null => Value::Null,
        ast::Literal::Bool(b) => Value::Bool(*b),
        ast::Literal::Int(i) => Value::Int(*i),
        ast::Literal::Float(f) => Value::Float(*f),
        ast::Literal::Str(s) => Value::Str(s.clone()),
    }
}

/// Where a native type's kwargs sit in an experiment config: `[engine, section]` for a section's
/// native type, `[engine, section, field]` for a native type nested in a section's field.
pub fn mount_path(schema: &EngineSchema, native: &str) -> Option<Vec<String>> {
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
            if let (OperandKind::Ref(r), Some(anchor)) = (&rhs.kind, out.last().cloned()) {
                if let [name] = r.segments.as_slice() {
                    let mut segments: Vec<String> = anchor
                        .segments
                        .iter()
                        .take(anchor.segments.len().saturating_sub(1))
                        .cloned()
                        .collect();
                    segments.push(name.clone());
                    out.push(FieldPath { segments });
                }
            }
            operand(rhs, out);
        }
        ExprKind::Presence { operand: o, .. } | ExprKind::Is { operand: o, .. } => operand(o, out),
    }
}
