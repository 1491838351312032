//! A readable listing of compiled rules (for `llemc explain` and snapshots).

use crate::canon::{self, Names};
use crate::ir::{Const, Operand, Pred, Program, RuleIr, SlotId, StrId, TemplatePart};
use std::fmt::Write;

/// The IR of one rule of a program, with slot names, as indented text.
pub fn rule_listing(program: &Program, rule: &RuleIr) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "rule {} ({})", rule.id, rule.severity.as_str());
    if let Some(native) = &rule.native_type {
        let _ = writeln!(out, "  native type: {native}");
    }
    if let Some(subject) = rule.subject {
        let _ = writeln!(out, "  subject: s{subject}");
    }
    let _ = writeln!(out, "  slots:");
    for slot in &rule.reads {
        let Some(decl) = program.slots.get(*slot as usize) else {
            continue;
        };
        let _ = write!(out, "    s{slot} = {}", decl.path.join("."));
        if let Some(native) = &decl.native {
            let _ = write!(out, " : {}", native.ty);
            if let Some(default) = &native.default {
                let _ = write!(out, " = {}", constant(program, default));
            }
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "  predicate:");
    pred(program, &rule.pred, 2, &mut out);
    if let Some(raw) = &rule.message.raw {
        let rendered: String = if rule.message.renders_raw {
            format!("(shown raw) {raw}")
        } else {
            rule.message
                .parts
                .iter()
                .map(|p| match p {
                    TemplatePart::Text(t) => t.clone(),
                    TemplatePart::Field(s) => format!("{{s{s}}}"),
                    TemplatePart::DeclaredValue => "{declared_value}".into(),
                    TemplatePart::EffectiveValue => "{effective_value}".into(),
                    TemplatePart::RuleId => "{rule_id}".into(),
                })
                .collect()
        };
        let _ = writeln!(out, "  message: {rendered}");
    }
    if let Some(origin) = &rule.origin {
        let _ = writeln!(out, "  origin: {origin}");
    }
    for (field, value) in &rule.normalises {
        let _ = writeln!(out, "  normalises: {field} -> {}", constant(program, value));
    }
    out
}

fn pred(program: &Program, p: &Pred, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    match p {
        Pred::Const(b) => {
            let _ = writeln!(out, "{indent}const {b}");
        }
        Pred::And(items) | Pred::Or(items) => {
            let _ = writeln!(
                out,
                "{indent}{}",
                if matches!(p, Pred::And(_)) {
                    "and"
                } else {
                    "or"
                }
            );
            for item in items {
                pred(program, item, depth + 1, out);
            }
        }
        Pred::Not(inner) => {
            let _ = writeln!(out, "{indent}not");
            pred(program, inner, depth + 1, out);
        }
        Pred::Compare { op, lhs, rhs } => {
            let _ = writeln!(
                out,
                "{indent}{} {} {}",
                operand(program, lhs),
                op.as_str(),
                operand(program, rhs)
            );
        }
        Pred::Presence {
            operand: o,
            present,
        } => {
            let _ = writeln!(
                out,
                "{indent}{} {}",
                operand(program, o),
                if *present { "present" } else { "absent" }
            );
        }
        Pred::Is {
            operand: o,
            negated,
            target,
        } => {
            let _ = writeln!(
                out,
                "{indent}{} is {}{}",
                operand(program, o),
                if *negated { "not " } else { "" },
                target.as_str()
            );
        }
    }
}

/// Names slots by their id (`s3`) and strings by their text.
struct SlotIds<'a>(&'a Program);

impl Names for SlotIds<'_> {
    fn slot(&self, slot: SlotId) -> String {
        format!("s{slot}")
    }
    fn string(&self, id: StrId) -> String {
        self.0.string(id).to_owned()
    }
}

fn operand(program: &Program, o: &Operand) -> String {
    canon::operand(o, &SlotIds(program))
}

/// A constant as text (strings quoted, interned ids resolved).
pub fn constant(program: &Program, c: &Const) -> String {
    canon::constant(c, &SlotIds(program))
}
