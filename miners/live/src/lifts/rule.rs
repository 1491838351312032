//! What the live miners (lifts, dynamic miner) share about the rules they stage: content-derived
//! ids, canonical predicates, literals, message templates, and kwargs from the synthesizer.

use llemc_compiler::diagnostic::Diagnostic;
use llemc_mining::rule::compile_rule;
use llemc_mining::staging::StagedRule;
use llemc_mining::synth::synthesize;

/// Compiles a staged rule on its own against `schema` and fills its kwargs with the synthesizer.
/// `Err` (the first diagnostic) when it does not compile; a rule that compiles but has no kwargs
/// keeps null kwargs and gets `Ok(Some(reason))`.
pub fn compile_and_synthesize(
    rule: &mut StagedRule,
    engine: &str,
    version: &str,
    schema: (&str, &str),
) -> Result<Option<String>, Diagnostic> {
    let compiled = compile_rule(version, &rule.doc(engine), schema)?;
    match synthesize(&compiled.loaded, 0) {
        Ok(pair) => {
            rule.kwargs_positive = Some(pair.positive);
            rule.kwargs_negative = Some(pair.negative);
            Ok(None)
        }
        Err(f) => Ok(Some(f.reason)),
    }
}

/// The first 10 hex digits of a blake3 hash over `parts` (the static miner's id scheme).
pub fn short_hash(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
    }
    h.finalize()
        .to_hex()
        .as_str()
        .get(..10)
        .unwrap_or("")
        .to_owned()
}

/// A predicate in the grammar's printed form (what the static miner writes), or `None` when
/// it does not parse.
pub fn canonical_when(text: &str) -> Option<String> {
    let expr = llemc_grammar::parse_predicate(text).ok()?;
    Some(llemc_grammar::print_expr(&expr))
}

/// A JSON scalar as a predicate literal (`"a"`, `1`, `2.5`, `true`, `null`).
pub fn literal(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::Null => Some("null".to_owned()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Number(n) => Some(if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
            llemc_compiler::yaml_out::float_text(f)
        } else {
            n.to_string()
        }),
        serde_json::Value::String(s) => serde_json::to_string(s).ok(),
        _ => None,
    }
}

/// Escapes `{` and `}` so a library message is a template with no placeholders.
pub fn escape_template(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}
