//! The help line of a rule finding, derived from the rule's predicate: for each top-level
//! conjunct, one way to make it false ("set `do_sample: true`", "remove `temperature`").

use super::check::show_value;
use crate::frame::{Frame, SlotState};
use crate::loaded::{LoadedProgram, const_value};
use llemc_compiler::corpus::RuleSeverity;
use llemc_compiler::ir::{Operand, Pred, RuleIr, SlotId};
use llemc_compiler::value::Value;
use llemc_grammar::ast::{CompareOp, IsTarget};

/// The field name a slot stands for inside its native type (`watermarking_config.bias`), else its
/// last path segment.
pub fn field_name(program: &LoadedProgram, slot: SlotId) -> String {
    program
        .program()
        .slots
        .get(slot as usize)
        .map(|s| match &s.native {
            Some(n) if !n.field.is_empty() => n.field.join("."),
            _ => s.path.last().cloned().unwrap_or_default(),
        })
        .unwrap_or_default()
}

fn conjuncts(pred: &Pred) -> Vec<&Pred> {
    match pred {
        Pred::And(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn slots_of(pred: &Pred, out: &mut Vec<SlotId>) {
    let mut push = |s: SlotId| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    match pred {
        Pred::Const(_) => {}
        Pred::And(items) | Pred::Or(items) => {
            for i in items {
                slots_of(i, out);
            }
        }
        Pred::Not(inner) => slots_of(inner, out),
        Pred::Compare { lhs, rhs, .. } => {
            lhs.visit_slots(&mut push);
            rhs.visit_slots(&mut push);
        }
        Pred::Presence { operand, .. } | Pred::Is { operand, .. } => operand.visit_slots(&mut push),
    }
}

/// Every slot a rule's predicate tests with `type_is` / `type_is_not`.
pub fn type_tested_slots(pred: &Pred) -> Vec<SlotId> {
    let mut out = Vec::new();
    collect_type_tests(pred, &mut out);
    out
}

fn collect_type_tests(pred: &Pred, out: &mut Vec<SlotId>) {
    match pred {
        Pred::And(items) | Pred::Or(items) => {
            for i in items {
                collect_type_tests(i, out);
            }
        }
        Pred::Not(inner) => collect_type_tests(inner, out),
        Pred::Compare {
            op: CompareOp::TypeIs | CompareOp::TypeIsNot,
            lhs: Operand::Slot(s),
            ..
        } if !out.contains(s) => out.push(*s),
        _ => {}
    }
}

/// The type names a rule requires of `slot` (`slot type_is_not [...]` anywhere in `pred`).
fn type_names(program: &LoadedProgram, pred: &Pred, slot: SlotId) -> Vec<String> {
    match pred {
        Pred::And(items) | Pred::Or(items) => {
            let mut out = Vec::new();
            for item in items {
                for name in type_names(program, item, slot) {
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
            }
            out
        }
        Pred::Compare {
            op: CompareOp::TypeIsNot,
            lhs: Operand::Slot(s),
            rhs: Operand::Const(c),
        } if *s == slot => match const_value(program.program(), c) {
            Value::Str(name) => vec![name],
            Value::List(items) => items
                .into_iter()
                .filter_map(|v| match v {
                    Value::Str(name) => Some(name),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// One way to make `pred` false, if it has a simple shape.
fn fix_for(program: &LoadedProgram, pred: &Pred) -> Option<String> {
    let name = |s: &SlotId| field_name(program, *s);
    match pred {
        Pred::Not(inner) => match inner.as_ref() {
            Pred::Is {
                operand: Operand::Slot(s),
                negated: false,
                target: IsTarget::True,
            } => Some(format!("set `{}: true`", name(s))),
            Pred::Is {
                operand: Operand::Slot(s),
                negated: false,
                target: IsTarget::False,
            } => Some(format!("set `{}: true`", name(s))),
            _ => None,
        },
        Pred::Is {
            operand: Operand::Slot(s),
            negated: false,
            target,
        } => Some(match target {
            IsTarget::True => format!("set `{}: false`", name(s)),
            IsTarget::False => format!("set `{}: true`", name(s)),
            IsTarget::Null => format!("set `{}`", name(s)),
        }),
        Pred::Presence {
            operand: Operand::Slot(s),
            present,
        } => Some(if *present {
            format!("remove `{}`", name(s))
        } else {
            format!("set `{}`", name(s))
        }),
        Pred::Compare {
            op: CompareOp::Ne,
            lhs: Operand::Slot(s),
            rhs: Operand::Const(c),
        } => Some(format!(
            "set `{}: {}`",
            name(s),
            show_value(&const_value(program.program(), c))
        )),
        Pred::Compare {
            op: CompareOp::Eq,
            lhs: Operand::Slot(_),
            rhs: Operand::Const(_),
        }
        | Pred::Or(_) => {
            // `x == c`, or `x is null or x == c or ...` on one field: "set x to anything else".
            let items: Vec<&Pred> = match pred {
                Pred::Or(items) => items.iter().collect(),
                other => vec![other],
            };
            let mut slot = None;
            let mut excluded: Vec<Value> = Vec::new();
            for item in items {
                let (s, v) = match item {
                    Pred::Compare {
                        op: CompareOp::Eq,
                        lhs: Operand::Slot(s),
                        rhs: Operand::Const(c),
                    } => (*s, const_value(program.program(), c)),
                    Pred::Is {
                        operand: Operand::Slot(s),
                        negated: false,
                        target: IsTarget::Null,
                    } => (*s, Value::Null),
                    _ => return None,
                };
                if slot.is_some_and(|prev| prev != s) {
                    return None;
                }
                slot = Some(s);
                if !v.is_null() {
                    excluded.push(v);
                }
            }
            let s = slot?;
            match excluded.as_slice() {
                [Value::Bool(false)] => Some(format!("set `{}: true`", name(&s))),
                [Value::Bool(true)] => Some(format!("set `{}: false`", name(&s))),
                [] => Some(format!("set `{}`", name(&s))),
                values => Some(format!(
                    "set `{}` to a value other than {}",
                    name(&s),
                    values.iter().map(show_value).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        _ => None,
    }
}

/// The help line for a rule that fired: how to change the subject, then one fix per other
/// condition of the rule, each naming the field involved.
pub fn rule_help(
    program: &LoadedProgram,
    rule: &RuleIr,
    frame: &Frame,
    subject: Option<SlotId>,
) -> String {
    let mut options: Vec<String> = Vec::new();
    let push = |o: String, options: &mut Vec<String>| {
        if !options.contains(&o) {
            options.push(o);
        }
    };
    let subject_declared = subject.is_some_and(|s| frame.state(s) == SlotState::Declared);
    if let (Some(s), true) = (subject, subject_declared) {
        let n = field_name(program, s);
        let removable = conjuncts(&rule.pred).iter().any(
            |c| matches!(c, Pred::Presence { operand: Operand::Slot(x), present: true } if *x == s),
        );
        let option = match rule.severity {
            RuleSeverity::Dormant => format!("remove `{n}`"),
            _ if !type_names(program, &rule.pred, s).is_empty() => format!(
                "give `{n}` a value of type {}",
                type_names(program, &rule.pred, s).join(" or ")
            ),
            _ if removable => format!("change or remove `{n}`"),
            _ => format!("change `{n}`"),
        };
        push(option, &mut options);
    }
    for conjunct in conjuncts(&rule.pred) {
        let mut slots = Vec::new();
        slots_of(conjunct, &mut slots);
        if subject_declared && subject.is_some_and(|s| slots.contains(&s)) {
            continue;
        }
        match fix_for(program, conjunct) {
            Some(fix) => push(fix, &mut options),
            None => {
                let declared: Vec<String> = slots
                    .iter()
                    .filter(|s| frame.state(**s) == SlotState::Declared)
                    .map(|s| format!("`{}`", field_name(program, *s)))
                    .collect();
                let names: Vec<String> = if declared.is_empty() {
                    slots
                        .iter()
                        .map(|s| format!("`{}`", field_name(program, *s)))
                        .collect()
                } else {
                    declared
                };
                if !names.is_empty() {
                    push(format!("change {}", names.join(" or ")), &mut options);
                }
            }
        }
    }
    if options.is_empty() {
        return "change the fields this rule reads".to_owned();
    }
    options.join(", or ")
}
