//! Typed access to YAML values while reading a corpus: each helper reports a diagnostic when a
//! value has the wrong type or is outside its closed set, and the reader keeps going.

use super::model::Spanned;
use super::suggest::{did_you_mean, list_values};
use crate::diagnostic::{Diagnostic, FileId};
use crate::yaml::{Node, NodeKind};
use llemc_grammar::ast::Span;

/// Where the reader is: the file, its text, and the diagnostics so far.
pub(crate) struct Ctx<'a> {
    /// The corpus file.
    pub file: FileId,
    /// Its text.
    pub source: &'a str,
    /// Every problem found so far, in the order found.
    pub diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub fn new(file: FileId, source: &'a str) -> Self {
        Ctx {
            file,
            source,
            diags: Vec::new(),
        }
    }

    /// How many errors (not warnings) have been reported so far.
    pub fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diags.push(diagnostic);
    }

    /// `E202`: `what` (e.g. "`severity` of rule `x`") must be `expected`, found `node`'s kind.
    pub fn wrong_type(&mut self, what: &str, expected: &str, node: &Node) {
        let found = node.kind_name();
        self.push(
            Diagnostic::error("E202", format!("{what} must be {expected}, found {found}"))
                .with_primary(self.file, node.span, format!("this is {found}")),
        );
    }

    /// A string value; reports `E202` otherwise.
    pub fn string(&mut self, what: &str, node: &Node) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::Str(s) => Some(Spanned::new(s.clone(), node.span)),
            _ => {
                self.wrong_type(what, "a string", node);
                None
            }
        }
    }

    /// A non-empty string value; reports `E202` otherwise.
    pub fn nonempty_string(&mut self, what: &str, node: &Node) -> Option<Spanned<String>> {
        let value = self.string(what, node)?;
        if value.value.trim().is_empty() {
            self.push(
                Diagnostic::error("E202", format!("{what} must not be empty")).with_primary(
                    self.file,
                    node.span,
                    "empty string",
                ),
            );
            return None;
        }
        Some(value)
    }

    /// A version-like value: a string, or a number kept as written (`4.57` → `"4.57"`).
    pub fn version_text(&mut self, what: &str, node: &Node) -> Option<Spanned<String>> {
        match &node.kind {
            NodeKind::Str(s) => Some(Spanned::new(s.clone(), node.span)),
            NodeKind::Int(_) | NodeKind::Float(_) => {
                let raw = self
                    .source
                    .get(node.span.range())
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                Some(Spanned::new(raw, node.span))
            }
            _ => {
                self.wrong_type(what, "a version string", node);
                None
            }
        }
    }

    /// A string that must be one of `allowed`; reports `E202` / `E205` otherwise.
    pub fn closed_string(
        &mut self,
        what: &str,
        owner: &str,
        node: &Node,
        allowed: &[&str],
    ) -> Option<Spanned<String>> {
        let value = self.string(&format!("`{what}` of {owner}"), node)?;
        if allowed.contains(&value.value.as_str()) {
            return Some(value);
        }
        let shown = list_values(allowed);
        let mut diagnostic = Diagnostic::error(
            "E205",
            format!("{owner} has an unknown {what} `{}`", value.value),
        )
        .with_primary(self.file, node.span, format!("not one of {shown}"))
        .with_note(format!("`{what}` must be one of {shown}"));
        diagnostic = match did_you_mean(&value.value, allowed) {
            Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
            None => diagnostic.with_help(format!("use one of {shown}")),
        };
        self.push(diagnostic);
        None
    }

    /// An integer value; reports `E202` otherwise.
    pub fn integer(&mut self, what: &str, node: &Node) -> Option<Spanned<i64>> {
        match node.kind {
            NodeKind::Int(i) => Some(Spanned::new(i, node.span)),
            _ => {
                self.wrong_type(what, "an integer", node);
                None
            }
        }
    }

    /// `E201`: `owner` lacks the required `key`; points at `at`.
    pub fn missing(&mut self, owner: &str, key: &str, at: Span, label: &str) -> Diagnostic {
        Diagnostic::error(
            "E201",
            format!("{owner} is missing the required key `{key}`"),
        )
        .with_primary(self.file, at, label.to_owned())
    }
}

/// The span to point at for a whole mapping without flooding the output: its first key, or the
/// mapping's start.
pub(crate) fn head_span(node: &Node) -> Span {
    match node.as_map().and_then(|entries| entries.first()) {
        Some((key, _)) => key.span,
        None => Span::new(node.span.start as usize, node.span.start as usize),
    }
}
