//! The rule shape the live miners (lifts, dynamic miner) stage: the static miner's shape, with a
//! `miner_source` that names what was introspected or probed instead of a source line.

use llemc_compiler::yaml_out::Yaml;
use llemc_mining::rule::compile_rule;
use llemc_mining::staging::ExpectedOutcome;
use llemc_mining::synth::synthesize;
use serde::Serialize;

/// Where a live rule came from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LiveSource {
    /// Source file of the class, relative to its `sys.path` entry (else the module path).
    pub path: String,
    /// `Class.field` (lifts) or `Class.__init__` / `Class.validate` (dynamic miner).
    pub method: String,
    /// Line of the class statement, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_at_scan: Option<u32>,
    /// The dotted module the class was imported from.
    pub module: String,
    /// The class name.
    pub class: String,
    /// The field the rule is about (lifts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The probe cluster that produced it (dynamic miner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// One staged rule of a live miner.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LiveRule {
    /// Content-derived id.
    pub id: String,
    /// Native type.
    pub native_type: String,
    /// `error`, `warn` or `dormant`.
    pub severity: String,
    /// The predicate (canonical `when:` text); it holds on the bad value.
    pub when: String,
    /// The field the rule is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Message template.
    pub message_template: String,
    /// Where it came from.
    pub miner_source: LiveSource,
    /// What the library does.
    pub expected_outcome: ExpectedOutcome,
    /// `pydantic_lift`, `msgspec_lift`, `dataclass_lift` or `dynamic_miner`.
    pub added_by: String,
    /// Kwargs under which the predicate holds (synthesized), or null.
    pub kwargs_positive: Option<serde_json::Value>,
    /// Kwargs under which it does not, or null.
    pub kwargs_negative: Option<serde_json::Value>,
}

impl LiveRule {
    /// The rule as corpus keys (for `compile_rule`).
    pub fn to_map(&self, engine: &str) -> Vec<(String, Yaml)> {
        let json = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let mut map = match Yaml::from_json(&json) {
            Yaml::Map(entries) => entries,
            _ => Vec::new(),
        };
        map.retain(|(k, v)| !v.is_null() && k != "kwargs_positive" && k != "kwargs_negative");
        map.push(("engine".to_owned(), Yaml::str(engine)));
        map
    }

    /// Compiles the rule on its own against `schema` and fills its kwargs with the synthesizer.
    /// `Err` (the first diagnostic or the synthesis failure) when it does not compile; a rule
    /// that compiles but has no kwargs keeps null kwargs and gets `Ok(Some(reason))`.
    pub fn compile_and_synthesize(
        &mut self,
        engine: &str,
        version: &str,
        schema: (&str, &str),
    ) -> Result<Option<String>, String> {
        let compiled = compile_rule(engine, version, &self.to_map(engine), schema)?;
        match synthesize(&compiled.loaded, 0) {
            Ok(pair) => {
                self.kwargs_positive = Some(serde_json::Value::Object(pair.positive));
                self.kwargs_negative = Some(serde_json::Value::Object(pair.negative));
                Ok(None)
            }
            Err(f) => Ok(Some(f.reason)),
        }
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
