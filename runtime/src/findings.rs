//! Evaluating a bound frame: every rule that fires, in program order, as a finding.

use crate::frame::{Frame, SlotState};
use crate::interp::holds;
use crate::loaded::LoadedProgram;
use crate::message::render;
use crate::ruleset::RuleSet;
use llemc_compiler::corpus::RuleSeverity;
use llemc_compiler::ir::{RuleIr, SlotId};
use llemc_compiler::value::Value;

/// One rule that fired.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Index of the rule in the program.
    pub rule: usize,
    /// The rule id.
    pub id: String,
    /// Its severity.
    pub severity: RuleSeverity,
    /// The subject slot.
    pub subject: Option<SlotId>,
    /// The subject's value as declared in the config (null when not declared).
    pub declared_value: Value,
    /// The subject's effective value (declared, else the library default); `None` in
    /// compatibility mode, where rules see declared values only.
    pub effective_value: Option<Value>,
    /// Whether the effective value is the library's default.
    pub from_default: bool,
    /// The rendered message.
    pub message: String,
    /// Findings of other rules about the same library behaviour, merged into this one (see
    /// [`crate::merge`]); empty until merged.
    pub merged: Vec<Finding>,
}

impl LoadedProgram {
    /// Evaluates every rule on a bound frame, appending findings to `out` in program order. A rule
    /// about a native type applies only when the config builds that object (schema mode).
    pub fn evaluate_into(&self, frame: &Frame, out: &mut Vec<Finding>) {
        let mut fired = RuleSet::default();
        self.fire(frame, &mut fired);
        self.findings_from_set(frame, &fired, out);
    }

    /// Appends the findings of the rules in `fired` (rules that apply and hold, e.g. from
    /// [`LoadedProgram::fire`]), in program order.
    pub fn findings_from_set(&self, frame: &Frame, fired: &RuleSet, out: &mut Vec<Finding>) {
        for index in fired.iter() {
            if let Some(rule) = self.program().rules.get(index) {
                out.push(self.finding(index, rule, frame));
            }
        }
    }

    /// Appends the findings of the rules marked in `fired` (one flag per rule, e.g. from the JIT),
    /// in program order, exactly as [`LoadedProgram::evaluate_into`] builds them.
    pub fn findings_from_fired(&self, frame: &Frame, fired: &[bool], out: &mut Vec<Finding>) {
        for (index, (rule, fired)) in self.program().rules.iter().zip(fired).enumerate() {
            if *fired && self.rule_applies(index, frame) {
                out.push(self.finding(index, rule, frame));
            }
        }
    }

    fn finding(&self, index: usize, rule: &RuleIr, frame: &Frame) -> Finding {
        let declared = rule
            .subject
            .and_then(|s| frame.declared(s))
            .cloned()
            .unwrap_or(Value::Null);
        let (effective, from_default) = match rule.subject {
            Some(s) if !self.program().compat => (
                Some(frame.value(s).clone()),
                frame.state(s) == SlotState::Defaulted,
            ),
            _ => (None, false),
        };
        let shown_effective = effective.clone().unwrap_or(Value::Null);
        let message = render(rule, frame, &declared, &shown_effective);
        Finding {
            rule: index,
            id: rule.id.clone(),
            severity: rule.severity,
            subject: rule.subject,
            declared_value: declared,
            effective_value: effective,
            from_default,
            message,
            merged: Vec::new(),
        }
    }

    /// Evaluates every rule on a bound frame.
    pub fn evaluate(&self, frame: &Frame) -> Vec<Finding> {
        let mut out = Vec::new();
        self.evaluate_into(frame, &mut out);
        out
    }

    /// Whether rule `index`'s predicate holds on a frame (no skipping).
    pub fn rule_holds(&self, index: usize, frame: &Frame) -> bool {
        self.rules()
            .get(index)
            .is_some_and(|r| holds(&r.pred, frame))
    }
}
