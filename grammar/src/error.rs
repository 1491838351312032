//! The error a predicate that does not parse produces.

use std::fmt;

use crate::ast::Span;

/// A syntax error in the textual spelling of a predicate.
///
/// The message speaks the language of the predicate (never the grammar's rule names); the span
/// points at the offending token (zero-width at the end of the input when the text stops early).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Where the error is, in bytes of the parsed text.
    pub span: Span,
    /// What is wrong, as one lowercase sentence without a final period.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub help: Option<String>,
}

impl SyntaxError {
    /// An error without help.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        SyntaxError {
            span,
            message: message.into(),
            help: None,
        }
    }

    /// The same error with a help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}..{}",
            self.message, self.span.start, self.span.end
        )?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SyntaxError {}
