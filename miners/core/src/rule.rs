//! Compiling one rule on its own, in schema mode: how every stage checks a proposed rule and
//! computes its fingerprint (the identity of a rule across sources).

use llemc_compiler::corpus::{CorpusDoc, RuleDoc, write_corpus};
use llemc_compiler::diagnostic::Diagnostic;
use llemc_compiler::program::canonical_predicate;
use llemc_compiler::yaml_out::Yaml;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::loaded::LoadedProgram;
use serde::Serialize;

/// The corpus format version written.
pub const SCHEMA_VERSION: &str = "1.1.0";

/// A compiled rule: the program holding only it, and its fingerprint.
pub struct CompiledRule {
    /// The one-rule program.
    pub loaded: LoadedProgram,
    /// Native type, severity and canonical predicate.
    pub fingerprint: Fingerprint,
}

/// The identity of a rule across sources (the engine is implied by the corpus).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Fingerprint {
    /// Native type.
    pub native_type: String,
    /// Severity.
    pub severity: String,
    /// Canonical predicate text.
    pub predicate: String,
}

/// The envelope of a corpus for one engine version, holding `rules`.
pub fn corpus_doc(engine: &str, version: &str, rules: Vec<RuleDoc>) -> CorpusDoc {
    CorpusDoc {
        schema_version: SCHEMA_VERSION.to_owned(),
        engine: engine.to_owned(),
        engine_version: Some(version.to_owned()),
        rules,
    }
}

/// Compiles one rule on its own in schema mode for library `version`. The rule's `versions` are
/// ignored and missing kwargs get empty placeholders: only the predicate, severity and template
/// are checked. The error is the first error diagnostic, without its labels (they point into
/// the one-rule text, not into a file the caller has).
pub fn compile_rule(
    version: &str,
    rule: &RuleDoc,
    schema: (&str, &str),
) -> Result<CompiledRule, Diagnostic> {
    let mut alone = rule.clone();
    alone.versions = None;
    alone.added_at = None;
    for kwargs in [&mut alone.kwargs_positive, &mut alone.kwargs_negative] {
        kwargs.get_or_insert_with(|| Yaml::Map(Vec::new()));
    }
    let engine = rule.engine.as_str();
    let text = write_corpus("", &corpus_doc(engine, version, vec![alone]));
    let name = format!("<{}>", rule.id);
    let input = CorpusInput {
        name: &name,
        text: &text,
        schema: Some(schema),
        compat: false,
        engine_version: Some(version.to_owned()),
    };
    let (loaded, _) = compile_corpus(&input).map_err(|f| {
        f.diagnostics
            .iter()
            .find(|d| d.is_error())
            .map(|d| Diagnostic {
                primary: None,
                secondary: Vec::new(),
                ..d.clone()
            })
            .unwrap_or_else(|| Diagnostic::error("E620", "the rule does not compile on its own"))
    })?;
    let program = loaded.program();
    let Some(ir) = program.rules.first() else {
        return Err(Diagnostic::error(
            "E620",
            format!("rule `{}` is not selected for {engine} {version}", rule.id),
        ));
    };
    let fingerprint = Fingerprint {
        native_type: ir.native_type.clone().unwrap_or_default(),
        severity: ir.severity.as_str().to_owned(),
        predicate: canonical_predicate(program, ir),
    };
    Ok(CompiledRule {
        loaded,
        fingerprint,
    })
}

/// A diagnostic as one line: `code: message`.
pub fn one_line(diagnostic: &Diagnostic) -> String {
    format!("{}: {}", diagnostic.code, diagnostic.message)
}
