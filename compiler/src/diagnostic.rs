//! The one diagnostic type every problem turns into, and its renderers.
//!
//! Codes are grouped by the stage that reports them:
//! `E0xx` predicate syntax, `E1xx` YAML reading, `E2xx` corpus structure, `E3xx` name resolution
//! and types, `W4xx` lints, `E50x` engine schema files, `E51x` engine-version SSOT files, `E52x`
//! the static miner, `E60x` artifacts, `E62x`-`E69x` the mining pipeline's stages (see
//! `llemc_mining::failure`), `E70x` experiment configs, `E72x` sweep studies, `E8xx` / `W801` /
//! `D802` findings, `E9xx` I/O. docs/errors.md explains each code, with an example and what to
//! do; a test fails when a code is emitted that it does not list.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use llemc_grammar::ast::Span;
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Stops compilation: exit code 1.
    Error,
    /// Reported; compilation still succeeds.
    Warning,
    /// Informational (e.g. a value the engine will ignore); never fails a run.
    Note,
}

/// Identifies one source file inside a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FileId(pub usize);

/// A span inside a particular file, with the text shown next to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// The file the span points into.
    pub file: FileId,
    /// Byte range inside the file.
    pub span: Span,
    /// Text printed under the span (may be empty).
    pub message: String,
}

impl Label {
    /// A label at `span` in `file` with `message`.
    pub fn new(file: FileId, span: Span, message: impl Into<String>) -> Self {
        Label {
            file,
            span,
            message: message.into(),
        }
    }
}

/// One problem found in user input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code such as `E301`.
    pub code: &'static str,
    /// Error or warning.
    pub level: Level,
    /// One-line summary.
    pub message: String,
    /// Where the problem is (absent only for problems with no location, e.g. an unreadable file).
    pub primary: Option<Label>,
    /// Other places that explain the problem.
    pub secondary: Vec<Label>,
    /// Extra facts (`= note: ...`).
    pub notes: Vec<String>,
    /// How to fix it (`= help: ...`).
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error with a code and message and no location yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            level: Level::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// A new warning with a code and message and no location yet.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Sets the primary label.
    pub fn with_primary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.primary = Some(Label::new(file, span, message));
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(file, span, message));
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A new note with a code and message and no location yet.
    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Note,
            ..Diagnostic::error(code, message)
        }
    }

    /// Whether this diagnostic is an error.
    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// The source files diagnostics point into.
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
}

impl SourceMap {
    /// An empty source map.
    pub fn new() -> Self {
        SourceMap::default()
    }

    /// Registers a file's name and text; returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        FileId(self.files.add(name.into(), text.into()))
    }

    /// The text of a file (empty for an unknown id).
    pub fn text(&self, id: FileId) -> &str {
        self.files
            .get(id.0)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    /// The name of a file (empty for an unknown id).
    pub fn name(&self, id: FileId) -> &str {
        self.files
            .get(id.0)
            .map(|f| f.name().as_str())
            .unwrap_or("")
    }

    /// 1-based line and column of a byte offset in a file.
    pub fn line_col(&self, id: FileId, offset: u32) -> (usize, usize) {
        let text = self.text(id);
        let offset = (offset as usize).min(text.len());
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before
            .get(line_start..)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
    }
}

/// Whether rendered output uses terminal colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// Plain text (files, snapshots, pipes).
    Never,
    /// ANSI colours (an interactive terminal).
    Always,
}

/// Renders diagnostics in rustc style, one after the other.
pub fn render_human(diagnostics: &[Diagnostic], sources: &SourceMap, color: Color) -> String {
    let config = term::Config::default();
    let mut out: Vec<u8> = Vec::new();
    for diagnostic in diagnostics {
        let cs_diag = to_codespan(diagnostic, sources);
        let result = match color {
            Color::Never => {
                let mut writer = term::termcolor::NoColor::new(&mut out);
                term::emit_to_write_style(&mut writer, &config, &sources.files, &cs_diag)
            }
            Color::Always => {
                let mut writer = term::termcolor::Ansi::new(&mut out);
                term::emit_to_write_style(&mut writer, &config, &sources.files, &cs_diag)
            }
        };
        if result.is_err() {
            // A label outside its file: fall back to the message alone rather than lose it.
            out.extend_from_slice(
                format!(
                    "{}[{}]: {}\n",
                    level_word(diagnostic.level),
                    diagnostic.code,
                    diagnostic.message
                )
                .as_bytes(),
            );
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

fn to_codespan(diagnostic: &Diagnostic, sources: &SourceMap) -> cs::Diagnostic<usize> {
    let severity = match diagnostic.level {
        Level::Error => cs::Severity::Error,
        Level::Warning => cs::Severity::Warning,
        Level::Note => cs::Severity::Note,
    };
    let clamp = |label: &Label| {
        let len = sources.text(label.file).len();
        let start = (label.span.start as usize).min(len);
        let end = (label.span.end as usize).clamp(start, len);
        start..end
    };
    let mut labels = Vec::new();
    if let Some(primary) = &diagnostic.primary {
        labels.push(
            cs::Label::primary(primary.file.0, clamp(primary)).with_message(&primary.message),
        );
    }
    for secondary in &diagnostic.secondary {
        labels.push(
            cs::Label::secondary(secondary.file.0, clamp(secondary))
                .with_message(&secondary.message),
        );
    }
    let mut notes: Vec<String> = diagnostic
        .notes
        .iter()
        .map(|n| format!("note: {n}"))
        .collect();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code)
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// One diagnostic in the machine-readable form (`--format json`).
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    level: Level,
    message: &'a str,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    span: Option<JsonSpan>,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonSpan {
    start: u32,
    end: u32,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    span: JsonSpan,
    message: &'a str,
    primary: bool,
}

/// The machine-readable form of diagnostics, each with its fields in a fixed order.
fn json_items<'a>(
    diagnostics: &'a [Diagnostic],
    sources: &'a SourceMap,
) -> Vec<JsonDiagnostic<'a>> {
    let label = |l: &'_ Label, primary: bool| {
        let (line, column) = sources.line_col(l.file, l.span.start);
        JsonLabel {
            file: sources.name(l.file),
            line,
            column,
            span: JsonSpan {
                start: l.span.start,
                end: l.span.end,
            },
            message: "",
            primary,
        }
    };
    diagnostics
        .iter()
        .map(|d| {
            let mut labels = Vec::new();
            if let Some(p) = &d.primary {
                labels.push(JsonLabel {
                    message: &p.message,
                    ..label(p, true)
                });
            }
            for s in &d.secondary {
                labels.push(JsonLabel {
                    message: &s.message,
                    ..label(s, false)
                });
            }
            let primary = d.primary.as_ref().map(|p| label(p, true));
            JsonDiagnostic {
                code: d.code,
                level: d.level,
                message: &d.message,
                file: primary.as_ref().map(|p| p.file),
                line: primary.as_ref().map(|p| p.line),
                column: primary.as_ref().map(|p| p.column),
                span: d.primary.as_ref().map(|p| JsonSpan {
                    start: p.span.start,
                    end: p.span.end,
                }),
                labels,
                notes: &d.notes,
                help: d.help.as_deref(),
            }
        })
        .collect()
}

/// Renders diagnostics as a JSON array (a value) with file names, 1-based lines and columns.
pub fn render_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> serde_json::Value {
    serde_json::to_value(json_items(diagnostics, sources))
        .unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}

/// [`render_json`] printed (pretty), each diagnostic's fields in a fixed order: `code`, `level`,
/// `message`, `file`, `line`, `column`, `span`, `labels`, `notes`, `help`.
pub fn render_json_text(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    serde_json::to_string_pretty(&json_items(diagnostics, sources))
        .unwrap_or_else(|_| "[]".to_owned())
}
