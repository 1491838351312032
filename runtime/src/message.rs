//! Rendering a rule's message template against a frame, with Python's `str()` of values.

use crate::frame::Frame;
use llemc_compiler::ir::{RuleIr, TemplatePart};
use llemc_compiler::value::Value;
use std::fmt::Write;

/// Renders the message of `rule` for a frame; `effective` is what `{effective_value}` shows.
pub fn render(rule: &RuleIr, frame: &Frame, declared: &Value, effective: &Value) -> String {
    let mut out = String::new();
    for part in &rule.message.parts {
        match part {
            TemplatePart::Text(t) => out.push_str(t),
            TemplatePart::Field(slot) => {
                let _ = write!(out, "{}", frame.value(*slot));
            }
            TemplatePart::DeclaredValue => {
                let _ = write!(out, "{declared}");
            }
            TemplatePart::EffectiveValue => {
                let _ = write!(out, "{effective}");
            }
            TemplatePart::RuleId => out.push_str(&rule.id),
        }
    }
    out
}
