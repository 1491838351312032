//! Checking a read experiment config: bind, evaluate, type-check, and turn every finding into a
//! diagnostic that points into the user's file.

use super::ExperimentConfig;
use super::conform::{Mismatch, conforms};
use super::help::{field_name, rule_help, type_tested_slots};
use crate::findings::Finding;
use crate::frame::{Frame, SlotState};
use crate::jit::{Backend, Evaluator};
use crate::loaded::LoadedProgram;
use llemc_compiler::corpus::RuleSeverity;
use llemc_compiler::diagnostic::Diagnostic;
use llemc_compiler::ir::SlotId;
use llemc_compiler::value::{Value, python_float};
use llemc_compiler::yaml::Node;
use llemc_grammar::ast::Span;
use std::collections::HashMap;

/// What produced a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// A corpus rule fired (index into the program's rules).
    Rule(usize),
    /// A value whose type the engine schema does not admit.
    WrongType,
}

/// One finding about an experiment config, ready to render.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigFinding {
    /// What produced it.
    pub kind: FindingKind,
    /// The rule id (`wrong_type` for type findings).
    pub id: String,
    /// error / warn / dormant.
    pub severity: RuleSeverity,
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
    /// Whether any finding has error severity (the config is rejected).
    pub fn rejected(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == RuleSeverity::Error)
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
            .push(type_finding(config, field, &mismatch));
    }

    for finding in &fired {
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
    let mut diagnostic = Diagnostic::error("E810", message.clone())
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
        severity: RuleSeverity::Error,
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

fn rule_finding(
    config: &ExperimentConfig,
    program: &LoadedProgram,
    frame: &Frame,
    finding: &Finding,
) -> ConfigFinding {
    let file = config.file;
    let rule = program.program().rules.get(finding.rule);
    let subject = finding.subject;
    let subject_slot = subject.and_then(|s| program.program().slots.get(s as usize));
    let subject_name = subject.map(|s| field_name(program, s)).unwrap_or_default();
    let field = subject_slot.map(|s| s.path.join(".")).unwrap_or_default();
    let declared = subject.is_some_and(|s| frame.state(s) == SlotState::Declared);
    let reads: Vec<SlotId> = rule.map(|r| r.reads.clone()).unwrap_or_default();

    let mut diagnostic = match finding.severity {
        RuleSeverity::Error => Diagnostic::error("E800", finding.message.clone()),
        RuleSeverity::Warn => Diagnostic::warning("W801", finding.message.clone()),
        RuleSeverity::Dormant => {
            let normalised = rule.and_then(|r| {
                r.normalises
                    .iter()
                    .find(|(f, _)| *f == subject_name)
                    .map(|(_, c)| show_value(&crate::loaded::const_value(program.program(), c)))
            });
            let what = if declared {
                format!("`{subject_name}: {}`", show_value(&finding.declared_value))
            } else {
                format!("`{subject_name}`")
            };
            let message = match normalised {
                Some(to) => format!("{what} will be normalised to {to} by {}", config.engine),
                None => format!("{what} will be ignored by {}", config.engine),
            };
            Diagnostic::note("D802", message)
        }
    };

    // Primary label: the subject's value; else, when its value is a default, the key of the
    // object the default applies in; else the first declared field the rule read.
    let subject_span = subject.and_then(|s| frame.span(s));
    let primary_label = match finding.severity {
        RuleSeverity::Error => format!("rejected by {}", config.engine),
        RuleSeverity::Warn => format!("{} warns about this value", config.engine),
        RuleSeverity::Dormant => "this value has no effect".to_owned(),
    };
    let mut primary: Option<Span> = None;
    if let (true, Some(span)) = (declared, subject_span) {
        diagnostic = diagnostic.with_primary(file, span, primary_label);
        primary = Some(span);
    } else if finding.from_default {
        let parent = subject_slot.and_then(|slot| {
            let len = slot
                .native
                .as_ref()
                .map(|n| n.parent_len as usize)
                .unwrap_or(slot.path.len().saturating_sub(1));
            key_span(&config.root, slot.path.get(..len).unwrap_or(&[]))
        });
        let effective = finding
            .effective_value
            .as_ref()
            .map(show_value)
            .unwrap_or_else(|| "null".to_owned());
        if let Some(span) = parent {
            diagnostic = diagnostic.with_primary(
                file,
                span,
                format!("`{subject_name}` is not set here: default {effective}"),
            );
            primary = Some(span);
        }
    }
    for slot in &reads {
        if Some(*slot) == subject && primary.is_some() {
            continue;
        }
        let (SlotState::Declared, Some(span)) = (frame.state(*slot), frame.span(*slot)) else {
            continue;
        };
        let label = format!(
            "`{}` is {}",
            field_name(program, *slot),
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
        let span = key_span(&config.root, std::slice::from_ref(&config.engine))
            .unwrap_or(config.root.span);
        diagnostic = diagnostic.with_primary(
            file,
            span,
            format!(
                "the {} defaults in this section trigger this rule",
                config.engine
            ),
        );
        primary = Some(span);
    }

    if finding.severity == RuleSeverity::Dormant {
        diagnostic = diagnostic.with_note(format!("{}: {}", config.engine, finding.message));
    }
    for slot in &reads {
        if frame.state(*slot) == SlotState::Defaulted && Some(*slot) != subject {
            diagnostic = diagnostic.with_note(format!(
                "`{}` is not set: {} uses the default {}",
                field_name(program, *slot),
                config.engine,
                show_value(frame.value(*slot))
            ));
        }
    }
    if let Some(rule) = rule {
        let origin = rule
            .origin
            .as_ref()
            .map(|o| format!(", from {o}"))
            .unwrap_or_default();
        diagnostic = diagnostic
            .with_note(format!(
                "rule `{}` ({}{origin})",
                rule.id,
                finding.severity.as_str()
            ))
            .with_help(rule_help(program, rule, frame, subject));
    }
    ConfigFinding {
        kind: FindingKind::Rule(finding.rule),
        id: finding.id.clone(),
        severity: finding.severity,
        field,
        declared,
        declared_value: finding.declared_value.clone(),
        effective_value: finding.effective_value.clone(),
        from_default: finding.from_default,
        message: finding.message.clone(),
        span: primary,
        diagnostic,
    }
}
