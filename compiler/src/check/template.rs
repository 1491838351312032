//! Message templates: placeholders resolved to the fields a rule reads (E320, E321, W408).

use super::{Checker, Mode, collect_written_paths};
use crate::corpus::{RuleShape, Spanned};
use crate::ir::{SlotId, Template, TemplatePart};
use crate::schema::suggest;
use crate::template::{RawPart, TemplateError, parse_template};
use llemc_grammar::ast::{FieldPath, Span};

impl Checker<'_> {
    /// The message template, resolved into parts that always render (see [`Template`]).
    pub(super) fn template(&mut self) -> Template {
        let compat = matches!(self.mode, Mode::Compat);
        let v070 = self.rule.shape == RuleShape::V070;
        let Some(raw) = self.rule.message_template.clone() else {
            return missing_template(compat, v070);
        };
        let parts = match parse_template(&raw.value) {
            Ok(parts) => parts,
            Err(e) => {
                self.malformed_template(&raw, &e, compat);
                return shown_raw(&raw.value, v070);
            }
        };
        let names = self.placeholder_names(compat, v070);
        let mut out = Vec::new();
        for part in parts {
            match part {
                RawPart::Text(t) => out.push(TemplatePart::Text(t)),
                RawPart::Placeholder { name, start, end } => {
                    let span = self.template_span(&raw, start.saturating_sub(1), end);
                    match self.placeholder(&name, span, &names, compat) {
                        Placeholder::Part(part) => out.push(part),
                        Placeholder::ShowRaw => return shown_raw(&raw.value, v070),
                        Placeholder::Reported => {}
                    }
                }
            }
        }
        Template {
            raw: Some(raw.value),
            parts: out,
            renders_raw: false,
        }
    }

    /// W408 (compat: the loaders show it raw) or E321 for a template that does not format.
    fn malformed_template(&mut self, raw: &Spanned<String>, e: &TemplateError, compat: bool) {
        if compat {
            self.warn(
                "W408",
                raw.span,
                format!("message template cannot be formatted: {}", e.message),
                "shown raw",
                "escape literal braces as `{{` and `}}`".into(),
            );
        } else {
            let span = self.template_span(raw, e.offset, e.offset + 1);
            self.error(
                "E321",
                span,
                format!("malformed message template: {}", e.message),
                "here",
                "escape literal braces as `{{` and `}}`".into(),
            );
        }
    }

    /// Names a placeholder may use: the fields the rule reads, by written path and (except in
    /// the v1 compat shape, whose loader offers full paths only) by last segment.
    fn placeholder_names(&mut self, compat: bool, v070: bool) -> Vec<(String, SlotId)> {
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
        names
    }

    /// One placeholder (at `span` in the file): a built-in, a field, or unknown (W408 in compat
    /// mode, where the loaders show the template raw; E320 otherwise).
    fn placeholder(
        &mut self,
        name: &str,
        span: Span,
        names: &[(String, SlotId)],
        compat: bool,
    ) -> Placeholder {
        match name {
            "declared_value" => return Placeholder::Part(TemplatePart::DeclaredValue),
            "effective_value" => return Placeholder::Part(TemplatePart::EffectiveValue),
            "rule_id" => return Placeholder::Part(TemplatePart::RuleId),
            _ => {}
        }
        let slot = names
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .or_else(|| self.native_field_slot(name));
        if let Some(slot) = slot {
            return Placeholder::Part(TemplatePart::Field(slot));
        }
        if compat {
            self.warn(
                "W408",
                span,
                format!("unknown placeholder `{{{name}}}`: the message will be shown raw"),
                "not a field of this rule",
                "use `{declared_value}`, `{effective_value}` or `{rule_id}`".into(),
            );
            return Placeholder::ShowRaw;
        }
        self.error(
            "E320",
            span,
            format!("unknown placeholder `{{{name}}}` in message template"),
            "not a field this rule reads",
            unknown_placeholder_help(name, names),
        );
        Placeholder::Reported
    }

    /// In schema mode, a placeholder may also name any field of the rule's native type (a library
    /// message may show a field the condition does not test).
    pub(super) fn native_field_slot(&mut self, name: &str) -> Option<SlotId> {
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
    pub(super) fn template_span(&self, raw: &Spanned<String>, start: usize, end: usize) -> Span {
        let offsets = &self.rule.message_template_offsets;
        match (offsets.get(start), offsets.get(end.saturating_sub(1))) {
            (Some(s), Some(e)) if s <= e => Span {
                start: *s,
                end: e + 1,
            },
            _ => raw.span,
        }
    }
}

/// What one placeholder became.
enum Placeholder {
    /// A part that renders.
    Part(TemplatePart),
    /// Unknown in compat mode: the whole template is shown raw.
    ShowRaw,
    /// Unknown: E320 is reported.
    Reported,
}

/// What the original loaders show for a rule without a template.
fn missing_template(compat: bool, v070: bool) -> Template {
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
    Template {
        raw: None,
        parts,
        renders_raw: false,
    }
}

/// A template shown as written (after `[rule_id] ` except in the 0.7.0 shape).
fn shown_raw(raw: &str, v070: bool) -> Template {
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
}

/// "Did you mean", else the placeholders the rule may use.
fn unknown_placeholder_help(name: &str, names: &[(String, SlotId)]) -> String {
    let mut candidates: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
    candidates.extend(["declared_value", "effective_value", "rule_id"]);
    match suggest(name, candidates.iter().copied()).first() {
        Some(s) => format!("did you mean `{{{s}}}`?"),
        None => format!(
            "placeholders may name the rule's fields ({}) or `declared_value`, `effective_value`, `rule_id`",
            names
                .iter()
                .map(|(n, _)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
