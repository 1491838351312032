//! Compiling one rule on its own, in schema mode: how every stage checks a proposed rule and
//! computes its fingerprint (the identity of a rule across sources).

use llemc_compiler::program::canonical_predicate;
use llemc_compiler::yaml_out::{self, Yaml};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::loaded::LoadedProgram;
use serde::Serialize;

/// The corpus format version written.
pub const SCHEMA_VERSION: &str = "1.1.0";

/// Keys that never reach the written corpus (it is for one version already).
pub const DROPPED_KEYS: [&str; 2] = ["versions", "added_at"];

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

/// Compiles one rule (a mapping of rule keys) on its own in schema mode. The rule's `versions`
/// are ignored and missing kwargs get empty placeholders: only the predicate, severity and
/// template are checked. The error is the first error diagnostic.
pub fn compile_rule(
    engine: &str,
    version: &str,
    rule: &[(String, Yaml)],
    schema: (&str, &str),
) -> Result<CompiledRule, String> {
    let mut fields: Vec<(String, Yaml)> = rule
        .iter()
        .filter(|(k, v)| !DROPPED_KEYS.contains(&k.as_str()) && !v.is_null())
        .cloned()
        .collect();
    if !fields.iter().any(|(k, _)| k == "engine") {
        fields.push(("engine".to_owned(), Yaml::str(engine)));
    }
    for key in ["kwargs_positive", "kwargs_negative"] {
        if !fields.iter().any(|(k, _)| k == key) {
            fields.push((key.to_owned(), Yaml::Map(Vec::new())));
        }
    }
    let text = yaml_out::to_string(&envelope(engine, version, vec![Yaml::Map(fields)]));
    let id = rule
        .iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.as_str())
        .unwrap_or("rule");
    let name = format!("<{id}>");
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
            .map(|d| format!("{}: {}", d.code, d.message))
            .unwrap_or_else(|| "does not compile".to_owned())
    })?;
    let program = loaded.program();
    let Some(ir) = program.rules.first() else {
        return Err("not selected for this engine version".to_owned());
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

/// The corpus envelope around `rules`.
pub fn envelope(engine: &str, version: &str, rules: Vec<Yaml>) -> Yaml {
    Yaml::Map(vec![
        ("schema_version".to_owned(), Yaml::str(SCHEMA_VERSION)),
        ("engine".to_owned(), Yaml::str(engine)),
        ("engine_version".to_owned(), Yaml::str(version)),
        ("rules".to_owned(), Yaml::Seq(rules)),
    ])
}
