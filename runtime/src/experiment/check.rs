//! Checking a read experiment config: bind, evaluate, type-check, and turn every finding into a
//! diagnostic that points into the user's file.

use super::ExperimentConfig;
use super::conform::{Mismatch, conforms};
use super::help::{field_name, rule_help, type_tested_slots};
use crate::findings::Finding;
use crate::frame::{Frame, SlotState};
use crate::jit::{Backend, Evaluator};
use crate::loaded::LoadedProgram;
use llemc_compiler::corpus::{RuleSeverity, Stage};
use llemc_compiler::diagnostic::{Diagnostic, Level};
use llemc_compiler::ir::{RuleIr, SlotId};
use llemc_compiler::value::{Value, python_float};
use llemc_compiler::yaml::Node;
use llemc_grammar::ast::Span;
use std::collections::HashMap;

/// What produced a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// A corpus rule fired (index into the program's rules).
    Rule(usize),
    /// A value whose type the engine schema does not admit (a warning: the library stores it).
    WrongType,
}

/// One finding about an experiment config, ready to render.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigFinding {
    /// What produced it.
    pub kind: FindingKind,
    /// The rule id (`wrong_type` for type findings).
    pub id: String,
    /// Every rule the finding stands for: `id`, then the rules about the same library behaviour
    /// merged into it (see [`crate::merge`]).
    pub rules: Vec<String>,
    /// error / warn / dormant: what the engine does.
    pub severity: RuleSeverity,
    /// Whether `--deny warnings` made this warning reject the config.
    pub denied: bool,
    /// The absolute config path of the field the finding is about (empty when unknown).
    pub field: String,
    /// Whether that field is written in the config.
    pub declared: bool,
    /// Its value as written (null when not written).
    pub declared_value: Value,
    /// The value the library will use (declared, else default); `None` when not known.
    pub effective_value: Option<Value>,
    /// Whether the effective value is the library default.
    pub from_default: bool,
    /// The rule's rendered message (or the type message).
    pub message: String,
    /// Where the primary label points.
    pub span: Option<Span>,
    /// The rendered form: code, labels, notes, help.
    pub diagnostic: Diagnostic,
}

/// A field the user set that no rule examines.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    /// The absolute config path, dotted.
    pub field: String,
    /// The native type owning it.
    pub owner: String,
    /// Span of its key.
    pub span: Span,
}

/// The result of [`check_experiment`].
#[derive(Clone, Debug, Default)]
pub struct CheckOutcome {
    /// Type findings (in file order), then rule findings (in program order).
    pub findings: Vec<ConfigFinding>,
    /// Fields the user set that no rule reads, in file order.
    pub gaps: Vec<Gap>,
}

impl CheckOutcome {
    /// Whether any finding has error severity, or was denied (the config is rejected).
    pub fn rejected(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == RuleSeverity::Error || f.denied)
    }

    /// `--deny warnings`: every warning finding rejects the config (its diagnostic becomes an
    /// error; its `severity` still says what the engine does).
    pub fn deny_warnings(&mut self) {
        for finding in &mut self.findings {
            if finding.severity == RuleSeverity::Warn {
                finding.denied = true;
                deny_warning(&mut finding.diagnostic);
            }
        }
    }
}

/// `--deny warnings` on one diagnostic: a warning becomes an error, with a note saying why.
pub fn deny_warning(diagnostic: &mut Diagnostic) {
    if diagnostic.level == Level::Warning {
        diagnostic.level = Level::Error;
        diagnostic
            .notes
            .push("`--deny warnings` turns this warning into an error".to_owned());
    }
}

/// A value as it would be written in YAML: `null`, `true`, `0.7`, `"hybrid"`, `[1, 2]`.
pub fn show_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => match python_float(*f).as_str() {
            "nan" => ".nan".to_owned(),
            "inf" => ".inf".to_owned(),
            "-inf" => "-.inf".to_owned(),
            other => other.to_owned(),
        },
        Value::Str(s) => format!("{s:?}"),
        Value::List(items) => format!(
            "[{}]",
            items.iter().map(show_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Dict(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", show_value(k), show_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The span of the key at `path` in `root`, if every segment is there.
fn key_span(root: &Node, path: &[String]) -> Option<Span> {
    let mut node = root;
    let mut span = None;
    for segment in path {
        let (k, v) = node.get_entry(segment)?;
        span = Some(k.span);
        node = v;
    }
    span
}

/// Binds `config` to `program`, evaluates every rule with `backend` and type-checks every declared
/// kwarg.
pub fn check_experiment(
    config: &ExperimentConfig,
    program: &LoadedProgram,
    backend: Backend,
) -> CheckOutcome {
    let mut frame = program.frame();
    program.bind(&config.root, &mut frame);
    // Rules about an object the config does not build (no `quantization:` section, no
    // `watermarking_config: {...}`) do not apply: evaluation leaves them out.
    let mut fired = Vec::new();
    Evaluator::new(program, backend).evaluate_into(program, &frame, &mut fired);
    let slots: HashMap<&[String], SlotId> = program
        .program()
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| (s.path.as_slice(), u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();

    let mut outcome = CheckOutcome::default();

    // Type findings, unless a rule that fired already speaks about the field: one that tests
    // the field's type, or an error rule whose subject it is.
    for field in &config.fields {
        let Err(mismatch) = conforms(&field.ty, &field.value) else {
            continue;
        };
        let slot = slots.get(field.path.as_slice()).copied();
        let covered = slot.is_some_and(|s| {
            fired.iter().any(|f| {
                program.program().rules.get(f.rule).is_some_and(|r| {
                    type_tested_slots(&r.pred).contains(&s)
                        || (f.subject == Some(s) && f.severity == RuleSeverity::Error)
                })
            })
        });
        if covered {
            continue;
        }
        outcome
            .findings
            .push(type_finding(config, program, field, &mismatch));
    }

    for finding in &program.merged(fired) {
        outcome
            .findings
            .push(rule_finding(config, program, &frame, finding));
    }

    for field in &config.fields {
        if !slots.contains_key(field.path.as_slice()) {
            outcome.gaps.push(Gap {
                field: field.dotted(),
                owner: field.owner.clone(),
                span: field.key_span,
            });
        }
    }
    outcome
}

fn type_finding(
    config: &ExperimentConfig,
    program: &LoadedProgram,
    field: &super::DeclaredField,
    mismatch: &Mismatch,
) -> ConfigFinding {
    let name = field.name();
    let value = llemc_compiler::schema::node_value(&field.value);
    let top = super::read::py_type(&field.value);
    let message = if mismatch.nested {
        format!(
            "`{name}` expects {}, found a {top} holding a {} value",
            super::conform::expected_name(&field.ty),
            mismatch.found
        )
    } else {
        format!(
            "`{name}` expects {}, found {}",
            mismatch.expected, mismatch.found
        )
    };
    let severity = severity(&FindingKind::WrongType, program);
    let mut diagnostic = diagnostic(severity, "W811", message.clone())
        .with_primary(
            config.file,
            mismatch.span,
            if mismatch.nested {
                format!("expected {}, found {}", mismatch.expected, mismatch.found)
            } else {
                format!("found {}", mismatch.found)
            },
        )
        .with_note(format!(
            "`{}` declares `{}: {}` (engines/{}/schema.yaml)",
            field.owner,
            field.field.last().map(String::as_str).unwrap_or(""),
            field.ty,
            config.engine
        ))
        .with_note(format!(
            "{} stores the value as written without checking its type; code that reads it \
             later may fail or treat it differently",
            config.engine
        ));
    if mismatch.nested {
        diagnostic = diagnostic.with_secondary(config.file, field.key_span, "in this field");
    }
    let help = match (mismatch.expected.as_str(), &field.value.kind) {
        ("int" | "float", llemc_compiler::yaml::NodeKind::Str(_)) => {
            format!("write `{name}` as a number, without quotes")
        }
        ("bool", llemc_compiler::yaml::NodeKind::Str(_)) => {
            format!("write `{name}: true` or `{name}: false`, without quotes")
        }
        _ if mismatch.nested => format!(
            "give `{name}` a value of type {}",
            super::conform::expected_name(&field.ty)
        ),
        (expected, _) => format!("give `{name}` a value of type {expected}"),
    };
    diagnostic = diagnostic.with_help(help);
    ConfigFinding {
        kind: FindingKind::WrongType,
        id: "wrong_type".to_owned(),
        rules: Vec::new(),
        severity,
        denied: false,
        field: field.dotted(),
        declared: true,
        declared_value: value.clone(),
        effective_value: Some(value),
        from_default: false,
        message,
        span: Some(mismatch.span),
        diagnostic,
    }
}

/// The diagnostic code of a rule finding of each severity.
pub fn rule_code(severity: RuleSeverity) -> &'static str {
    match severity {
        RuleSeverity::Error => "E800",
        RuleSeverity::Warn => "W801",
        RuleSeverity::Dormant => "D802",
    }
}

/// The one place where a finding's severity is decided: a rule's finding has the rule's
/// severity (only a rule the gate confirmed rejects); a value whose type the schema does not
/// admit (`W811`) is a warning, since the library stores it as written.
fn severity(kind: &FindingKind, program: &LoadedProgram) -> RuleSeverity {
    match kind {
        FindingKind::Rule(index) => program
            .program()
            .rules
            .get(*index)
            .map_or(RuleSeverity::Error, |r| r.severity),
        FindingKind::WrongType => RuleSeverity::Warn,
    }
}

/// A diagnostic of the level that goes with `severity`.
fn diagnostic(severity: RuleSeverity, code: &'static str, message: String) -> Diagnostic {
    match severity {
        RuleSeverity::Error => Diagnostic::error(code, message),
        RuleSeverity::Warn => Diagnostic::warning(code, message),
        RuleSeverity::Dormant => Diagnostic::note(code, message),
    }
}

/// What a rule finding is about, gathered once for its diagnostic.
struct Subject<'a> {
    config: &'a ExperimentConfig,
    program: &'a LoadedProgram,
    frame: &'a Frame,
    finding: &'a Finding,
    rule: Option<&'a RuleIr>,
    slot: Option<SlotId>,
    name: String,
    declared: bool,
}

fn rule_finding(
    config: &ExperimentConfig,
    program: &LoadedProgram,
    frame: &Frame,
    finding: &Finding,
) -> ConfigFinding {
    let subject = finding.subject;
    let s = Subject {
        config,
        program,
        frame,
        finding,
        rule: program.program().rules.get(finding.rule),
        slot: subject,
        name: subject.map(|s| field_name(program, s)).unwrap_or_default(),
        declared: subject.is_some_and(|s| frame.state(s) == SlotState::Declared),
    };
    let severity = severity(&FindingKind::Rule(finding.rule), program);
    let message = match severity {
        RuleSeverity::Dormant => s.dormant_message(),
        _ => finding.message.clone(),
    };
    let mut diagnostic = diagnostic(severity, rule_code(severity), message);
    let primary;
    (diagnostic, primary) = s.labels(diagnostic, severity);
    diagnostic = s.notes(diagnostic, severity);
    for other in &finding.merged {
        diagnostic = diagnostic.with_note(format!(
            "the same behaviour: rule `{}` ({}): {}",
            other.id,
            other.severity.as_str(),
            other.message
        ));
    }
    let mut rules = vec![finding.id.clone()];
    rules.extend(finding.merged.iter().map(|f| f.id.clone()));
    ConfigFinding {
        kind: FindingKind::Rule(finding.rule),
        id: finding.id.clone(),
        rules,
        severity,
        denied: false,
        field: subject
            .and_then(|s| program.program().slots.get(s as usize))
            .map(|s| s.path.join("."))
            .unwrap_or_default(),
        declared: s.declared,
        declared_value: finding.declared_value.clone(),
        effective_value: finding.effective_value.clone(),
        from_default: finding.from_default,
        message: finding.message.clone(),
        span: primary,
        diagnostic,
    }
}

impl Subject<'_> {
    /// "`x: v` will be ignored / normalised to w by <engine>".
    fn dormant_message(&self) -> String {
        let normalised = self.rule.and_then(|r| {
            r.normalises
                .iter()
                .find(|(f, _)| *f == self.name)
                .map(|(_, c)| show_value(&crate::loaded::const_value(self.program.program(), c)))
        });
        let what = if self.declared {
            format!(
                "`{}: {}`",
                self.name,
                show_value(&self.finding.declared_value)
            )
        } else {
            format!("`{}`", self.name)
        };
        match normalised {
            Some(to) => format!(
                "{what} will be normalised to {to} by {}",
                self.config.engine
            ),
            None => format!("{what} will be ignored by {}", self.config.engine),
        }
    }

    /// The primary label: the subject's value; else, when its value is a default, the key of the
    /// object the default applies in; else the first declared field the rule read; else the
    /// engine section. Every other declared field the rule read gets a secondary label.
    fn labels(
        &self,
        mut diagnostic: Diagnostic,
        severity: RuleSeverity,
    ) -> (Diagnostic, Option<Span>) {
        let (file, frame, engine) = (self.config.file, self.frame, &self.config.engine);
        let subject_span = self.slot.and_then(|s| frame.span(s));
        let mut primary: Option<Span> = None;
        if let (true, Some(span)) = (self.declared, subject_span) {
            let stage = self.rule.map_or(Stage::Construct, |r| r.stage);
            let label = match severity {
                RuleSeverity::Error if stage == Stage::Generate => {
                    format!("{engine} accepts this value, then fails on it in the run")
                }
                RuleSeverity::Error => format!("rejected by {engine}"),
                RuleSeverity::Warn => format!("{engine} warns about this value"),
                RuleSeverity::Dormant => "this value has no effect".to_owned(),
            };
            diagnostic = diagnostic.with_primary(file, span, label);
            primary = Some(span);
        } else if self.finding.from_default
            && let Some((span, label)) = self.default_label()
        {
            diagnostic = diagnostic.with_primary(file, span, label);
            primary = Some(span);
        }
        for slot in self.reads() {
            if Some(*slot) == self.slot && primary.is_some() {
                continue;
            }
            let (SlotState::Declared, Some(span)) = (frame.state(*slot), frame.span(*slot)) else {
                continue;
            };
            let label = format!(
                "`{}` is {}",
                field_name(self.program, *slot),
                show_value(frame.value(*slot))
            );
            if primary.is_none() {
                diagnostic = diagnostic.with_primary(file, span, label);
                primary = Some(span);
            } else if Some(span) != primary {
                diagnostic = diagnostic.with_secondary(file, span, label);
            }
        }
        if primary.is_none() {
            // Nothing the rule read is written: point at the engine section, else the whole file.
            let span = key_span(&self.config.root, std::slice::from_ref(engine))
                .unwrap_or(self.config.root.span);
            diagnostic = diagnostic.with_primary(
                file,
                span,
                format!("the {engine} defaults in this section trigger this rule"),
            );
            primary = Some(span);
        }
        (diagnostic, primary)
    }

    /// Where a defaulted subject would be written, and the label saying its default.
    fn default_label(&self) -> Option<(Span, String)> {
        let slot = self
            .slot
            .and_then(|s| self.program.program().slots.get(s as usize))?;
        let len = slot
            .native
            .as_ref()
            .map(|n| n.parent_len as usize)
            .unwrap_or(slot.path.len().saturating_sub(1));
        let span = key_span(&self.config.root, slot.path.get(..len).unwrap_or(&[]))?;
        let effective = self
            .finding
            .effective_value
            .as_ref()
            .map(show_value)
            .unwrap_or_else(|| "null".to_owned());
        Some((
            span,
            format!("`{}` is not set here: default {effective}", self.name),
        ))
    }

    fn reads(&self) -> &[SlotId] {
        self.rule.map(|r| r.reads.as_slice()).unwrap_or(&[])
    }

    /// The engine's own message (dormant rules), the defaults the rule read, the rule and the help.
    fn notes(&self, mut diagnostic: Diagnostic, severity: RuleSeverity) -> Diagnostic {
        let engine = &self.config.engine;
        if severity == RuleSeverity::Dormant {
            diagnostic = diagnostic.with_note(format!("{engine}: {}", self.finding.message));
        }
        for slot in self.reads() {
            if self.frame.state(*slot) == SlotState::Defaulted && Some(*slot) != self.slot {
                diagnostic = diagnostic.with_note(format!(
                    "`{}` is not set: {engine} uses the default {}",
                    field_name(self.program, *slot),
                    show_value(self.frame.value(*slot))
                ));
            }
        }
        if let Some(rule) = self.rule {
            let origin = rule
                .origin
                .as_ref()
                .map(|o| format!(", from {o}"))
                .unwrap_or_default();
            diagnostic = diagnostic
                .with_note(format!(
                    "rule `{}` ({}{origin})",
                    rule.id,
                    severity.as_str()
                ))
                .with_help(rule_help(self.program, rule, self.frame, self.slot));
        }
        diagnostic
    }
}
