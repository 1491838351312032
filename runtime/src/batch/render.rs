//! Writing result lines straight into the output buffer: per rule, the constant parts of its
//! finding (id, severity, the message template's text) are escaped once, up front; per finding
//! only the values are formatted.

use crate::frame::Frame;
use crate::json::{Escaped, escape_into, write_json, write_str};
use crate::loaded::LoadedProgram;
use crate::ruleset::RuleSet;
use llemc_compiler::ir::{SlotId, TemplatePart};
use llemc_compiler::value::Value;
use std::fmt::Write as _;

/// One piece of a rule's message, ready to write.
#[derive(Clone, Debug)]
enum Piece {
    /// Escaped text.
    Text(Vec<u8>),
    /// `{field}`: the slot's value.
    Field(SlotId),
    /// `{declared_value}`.
    Declared,
    /// `{effective_value}`.
    Effective,
}

/// A rule's finding, prepared.
#[derive(Clone, Debug)]
struct Prepared {
    /// `{"id":…,"severity":"…","declared_value":`.
    head: Vec<u8>,
    subject: Option<SlotId>,
    message: Vec<Piece>,
}

/// Writes `{"fired":[…]}` and `{"error":…}` lines for one program.
#[derive(Clone, Debug)]
pub struct Renderer {
    rules: Vec<Prepared>,
    compat: bool,
}

static NULL: Value = Value::Null;

impl Renderer {
    /// Prepares every rule of `program`.
    pub fn new(program: &LoadedProgram) -> Renderer {
        let rules = program
            .program()
            .rules
            .iter()
            .map(|rule| {
                let mut head = b"{\"id\":".to_vec();
                write_str(&mut head, &rule.id);
                head.extend_from_slice(b",\"severity\":\"");
                head.extend_from_slice(rule.severity.as_str().as_bytes());
                head.extend_from_slice(b"\",\"declared_value\":");
                let mut message: Vec<Piece> = Vec::new();
                for part in &rule.message.parts {
                    let text = match part {
                        TemplatePart::Text(t) => t.as_str(),
                        TemplatePart::RuleId => rule.id.as_str(),
                        TemplatePart::Field(slot) => {
                            message.push(Piece::Field(*slot));
                            continue;
                        }
                        TemplatePart::DeclaredValue => {
                            message.push(Piece::Declared);
                            continue;
                        }
                        TemplatePart::EffectiveValue => {
                            message.push(Piece::Effective);
                            continue;
                        }
                    };
                    if let Some(Piece::Text(prev)) = message.last_mut() {
                        escape_into(prev, text);
                    } else {
                        let mut escaped = Vec::new();
                        escape_into(&mut escaped, text);
                        message.push(Piece::Text(escaped));
                    }
                }
                Prepared {
                    head,
                    subject: rule.subject,
                    message,
                }
            })
            .collect();
        Renderer {
            rules,
            compat: program.program().compat,
        }
    }

    /// Writes the line of a frame on which the rules in `fired` fired: every finding in program
    /// order with its id, severity, declared value and message, as
    /// [`LoadedProgram::evaluate_into`] builds them. Returns the number of findings.
    pub fn fired(&self, out: &mut Vec<u8>, frame: &Frame, fired: &RuleSet) -> u64 {
        out.extend_from_slice(b"{\"fired\":[");
        let mut count = 0;
        for index in fired.iter() {
            let Some(rule) = self.rules.get(index) else {
                continue;
            };
            if count > 0 {
                out.push(b',');
            }
            count += 1;
            let declared = rule
                .subject
                .and_then(|s| frame.declared(s))
                .unwrap_or(&NULL);
            let effective = match rule.subject {
                Some(s) if !self.compat => frame.value(s),
                _ => &NULL,
            };
            out.extend_from_slice(&rule.head);
            write_json(out, declared);
            out.extend_from_slice(b",\"message\":\"");
            for piece in &rule.message {
                match piece {
                    Piece::Text(t) => out.extend_from_slice(t),
                    Piece::Field(slot) => show(out, frame.value(*slot)),
                    Piece::Declared => show(out, declared),
                    Piece::Effective => show(out, effective),
                }
            }
            out.extend_from_slice(b"\"}");
        }
        out.extend_from_slice(b"]}\n");
        count
    }

    /// Writes an error line.
    pub fn error(&self, out: &mut Vec<u8>, message: &str) {
        out.extend_from_slice(b"{\"error\":");
        write_str(out, message);
        out.extend_from_slice(b"}\n");
    }
}

/// A value as the message shows it (Python's `str()`), escaped.
fn show(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Str(s) => escape_into(out, s),
        other => {
            let _ = write!(Escaped(out), "{other}");
        }
    }
}
