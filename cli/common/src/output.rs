//! Output format and colour choices common to every command.

use clap::ValueEnum;
use llemc_compiler::diagnostic::{Color, Diagnostic, SourceMap, render_human, render_json_text};
use std::io::{IsTerminal, Write};

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style text.
    Human,
    /// Machine-readable JSON.
    Json,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Resolves `auto` against whether standard error is a terminal.
    pub fn resolve(self) -> Color {
        match self {
            ColorChoice::Always => Color::Always,
            ColorChoice::Never => Color::Never,
            ColorChoice::Auto => {
                if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
                    Color::Always
                } else {
                    Color::Never
                }
            }
        }
    }
}

/// Writes diagnostics in the chosen format: human text to `err`, JSON to `out`.
pub fn emit(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    format: Format,
    color: Color,
    out: &mut dyn Write,
    err: &mut dyn Write,
) {
    match format {
        Format::Human => {
            let _ = err.write_all(render_human(diagnostics, sources, color).as_bytes());
        }
        Format::Json => {
            let _ = writeln!(out, "{}", render_json_text(diagnostics, sources));
        }
    }
}

/// `N errors, M warnings` in words.
pub fn counts(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    format!(
        "{} {}, {} {}",
        errors,
        plural(errors, "error"),
        warnings,
        plural(warnings, "warning")
    )
}

/// `word` or `words`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
