//! Why a pipeline stage stopped: diagnostics with the files they point into, rendered by the
//! `llemc` commands like `llemc check` renders a corpus's problems.
//!
//! Codes of the pipeline stages (E9xx are the compiler's I/O codes, shared):
//!
//! | code | stage |
//! |---|---|
//! | `E513` | the engine SSOT does not list the version asked for |
//! | `E62x` | one-rule compilation and staging files |
//! | `E63x` | build-corpus |
//! | `E64x` | the validation gate |
//! | `E65x` | the dormant fixpoint check |
//! | `E66x` | corpus diffs and the generated reference |
//! | `E67x` | the live side: venvs, the embedded interpreter, the live miners |
//! | `E68x` | `llemc refresh` |
//! | `E69x` | the held-out evaluation |
//! | `E901` | a file cannot be read |
//! | `E902` | a file cannot be written |

use llemc_compiler::diagnostic::{Color, Diagnostic, SourceMap, render_human};
use std::path::Path;

/// Diagnostics (at least one error) and the sources they point into.
pub struct Failure {
    /// What went wrong, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// The files the diagnostics' labels point into.
    pub sources: SourceMap,
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.diagnostics.iter().map(|d| (d.code, &d.message)))
            .finish()
    }
}

impl From<Diagnostic> for Failure {
    fn from(diagnostic: Diagnostic) -> Failure {
        Failure {
            diagnostics: vec![diagnostic],
            sources: SourceMap::new(),
        }
    }
}

impl Failure {
    /// Diagnostics pointing into `sources`.
    pub fn new(diagnostics: Vec<Diagnostic>, sources: SourceMap) -> Failure {
        Failure {
            diagnostics,
            sources,
        }
    }

    /// The diagnostics rendered in rustc style.
    pub fn render(&self, color: Color) -> String {
        render_human(&self.diagnostics, &self.sources, color)
    }

    /// The first diagnostic as one line (`code: message`), for reports and tests.
    pub fn summary(&self) -> String {
        self.diagnostics
            .first()
            .map(|d| format!("{}: {}", d.code, d.message))
            .unwrap_or_default()
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary())
    }
}

/// `E901`: `shown` (a path as the user should read it) cannot be read.
pub fn cannot_read(shown: &str, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error("E901", format!("cannot read `{shown}`: {error}"))
}

/// `E902`: `shown` cannot be written.
pub fn cannot_write(shown: &str, error: &std::io::Error) -> Diagnostic {
    Diagnostic::error("E902", format!("cannot write `{shown}`: {error}"))
}

/// Reads a file; `E901` (with `help`) when it cannot be read.
pub fn read_text(path: &Path, shown: &str, help: Option<&str>) -> Result<String, Diagnostic> {
    std::fs::read_to_string(path).map_err(|e| {
        let d = cannot_read(shown, &e);
        match help {
            Some(h) => d.with_help(h.to_owned()),
            None => d,
        }
    })
}
