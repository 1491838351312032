//! Compiling a corpus on the fly (for tools that take a corpus instead of an artifact).

use crate::loaded::LoadedProgram;
use llemc_compiler::db::{Database, Settings, SourceText, compile};
use llemc_compiler::diagnostic::{Diagnostic, SourceMap};

/// What to compile.
#[derive(Clone, Debug)]
pub struct CorpusInput<'a> {
    /// Name shown in diagnostics.
    pub name: &'a str,
    /// The corpus text.
    pub text: &'a str,
    /// The engine schema `(name, text)`; `None` in compatibility mode.
    pub schema: Option<(&'a str, &'a str)>,
    /// Compatibility mode.
    pub compat: bool,
    /// Engine version to select rules for (default: the corpus's own).
    pub engine_version: Option<String>,
}

/// A corpus that did not compile: its diagnostics and the sources they point into.
pub struct CompileFailure {
    /// Every diagnostic (at least one error).
    pub diagnostics: Vec<Diagnostic>,
    /// The files the diagnostics point into.
    pub sources: SourceMap,
}

/// Compiles a corpus and prepares it for evaluation; warnings are returned alongside.
pub fn compile_corpus(
    input: &CorpusInput<'_>,
) -> Result<(LoadedProgram, Vec<Diagnostic>), CompileFailure> {
    let db = Database::default();
    let mut sources = SourceMap::new();
    let file = sources.add(input.name, input.text);
    let source = SourceText::new(&db, file, input.text.to_owned());
    let schema = input.schema.map(|(name, text)| {
        let id = sources.add(name, text);
        SourceText::new(&db, id, text.to_owned())
    });
    let settings = Settings::new(&db, input.compat, input.engine_version.clone(), schema);
    let compiled = compile(&db, source, settings);
    match &compiled.program {
        Some(program) if !compiled.has_errors() => Ok((
            LoadedProgram::new(program.clone()),
            compiled.diagnostics.clone(),
        )),
        _ => Err(CompileFailure {
            diagnostics: compiled.diagnostics.clone(),
            sources,
        }),
    }
}
