//! Lifts: constraints a class *declares* in its type metadata (pydantic v2 `Field` bounds,
//! msgspec `Meta`, `Literal[...]` annotations of dataclasses and models), read through the
//! embedded interpreter (`miners/live/python/llemc_lifts.py`) as plain JSON facts and turned here
//! into rules in the violation shape: the predicate holds on the bad value.
//!
//! One representation per constraint kind (`f` a field):
//!
//! | declared | rule `when` |
//! |---|---|
//! | `gt=v` | `f present and f <= v` |
//! | `ge=v` | `f present and f < v` |
//! | `lt=v` | `f present and f >= v` |
//! | `le=v` | `f present and f > v` |
//! | `multiple_of=k` (integer `k != 0`) | `f present and f not_divisible_by k` |
//! | `min_length=n` | `f present and len(f) < n` |
//! | `max_length=n` | `f present and len(f) > n` |
//! | `Literal[a, b]` | `f present and f not_in [a, b]` |
//!
//! `present` keeps an allowed `None` (Optional fields) out of the rule, exactly as the static
//! miner writes `x is not None and ...`. The pure inference (facts to rules) needs no Python;
//! reading the facts ([`live`]) needs the `python` feature.

pub mod facts;
#[cfg(feature = "python")]
pub mod live;
pub mod rule;

use facts::{ClassFacts, Constraint, FieldFacts};
use llemc_compiler::corpus::{AddedBy, EmissionChannel, Outcome, RuleSeverity, Stage};
use llemc_compiler::schema_write::{
    FieldDefault, FieldDoc, NativeTypeDoc, SchemaDoc, write_schema,
};
use llemc_mining::rule::one_line;
use llemc_mining::staging::{ExpectedOutcome, MinerSource, StagedRule, Staging};
use rule::{canonical_when, compile_and_synthesize, literal, short_hash};
use serde::Serialize;
use std::collections::BTreeMap;

/// A class the lifts inspect.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The native type name rules are written for (`transformers.GenerationConfig`).
    pub native_type: String,
    /// Dotted module to import.
    pub module: String,
    /// Class name (may be dotted for nested classes).
    pub class: String,
}

/// What the lifts found in one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspected {
    /// Native type.
    pub native_type: String,
    /// Module.
    pub module: String,
    /// Class.
    pub class: String,
    /// `pydantic`, `msgspec`, `dataclass`, `plain` or `unavailable`.
    pub kind: String,
    /// When the library itself enforces the declarations: `construct` (pydantic), `decode`
    /// (msgspec: `msgspec.convert`/decoding, not `Struct(...)`), `declared_only` (dataclasses do
    /// not check annotations at run time), `none`.
    pub enforced: String,
    /// Fields introspected.
    pub fields: usize,
    /// Rules produced.
    pub rules: usize,
    /// What was not lifted, as `field: reason`.
    pub skipped: Vec<String>,
    /// Why the class could not be inspected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The lifts' report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LiftReport {
    /// Every class inspected, in target order.
    pub inspected: Vec<Inspected>,
    /// Rules per `added_by`.
    pub by_lift: BTreeMap<String, usize>,
    /// Rules whose kwargs could not be synthesized (`id: reason`); they keep null kwargs.
    pub no_kwargs: Vec<String>,
    /// Rules left out because they do not compile against the schema (`id: reason`).
    pub dropped: Vec<String>,
}

/// The lifts' staging file (`lifts.json`).
pub type LiftStaging = Staging<LiftReport>;

/// `added_by` for a class kind.
fn added_by(kind: &str) -> Option<AddedBy> {
    match kind {
        "pydantic" => Some(AddedBy::PydanticLift),
        "msgspec" => Some(AddedBy::MsgspecLift),
        "dataclass" => Some(AddedBy::DataclassLift),
        _ => None,
    }
}

/// `(when, message)` for one declared constraint, or why it is not lifted.
fn constraint_rule(field: &str, c: &Constraint) -> Result<(String, String), String> {
    let v = literal(&c.value).ok_or_else(|| format!("{}: value is not a scalar", c.kind))?;
    let (op, said) = match c.kind.as_str() {
        "gt" => ("<=", format!("greater than {v}")),
        "ge" => ("<", format!("greater than or equal to {v}")),
        "lt" => (">=", format!("less than {v}")),
        "le" => (">", format!("less than or equal to {v}")),
        "multiple_of" => {
            if c.value.as_i64().filter(|k| *k != 0).is_none() {
                return Err(format!(
                    "multiple_of={v}: only a non-zero integer divisor is expressible (`not_divisible_by` needs integers)"
                ));
            }
            return Ok((
                format!("{field} present and {field} not_divisible_by {v}"),
                format!("{field} must be a multiple of {v}, got {{{field}}}"),
            ));
        }
        "min_length" => {
            return Ok((
                format!("{field} present and len({field}) < {v}"),
                format!("{field} must have length at least {v}, got {{{field}}}"),
            ));
        }
        "max_length" => {
            return Ok((
                format!("{field} present and len({field}) > {v}"),
                format!("{field} must have length at most {v}, got {{{field}}}"),
            ));
        }
        other => return Err(format!("constraint `{other}` is not lifted")),
    };
    Ok((
        format!("{field} present and {field} {op} {v}"),
        format!("{field} must be {said}, got {{{field}}}"),
    ))
}

/// `(when, message)` for a `Literal[...]` annotation.
fn literal_rule(field: &str, members: &[serde_json::Value]) -> Result<(String, String), String> {
    let items: Option<Vec<String>> = members.iter().map(literal).collect();
    let items = items.ok_or_else(|| "a Literal member is not a scalar".to_owned())?;
    if items.is_empty() {
        return Err("empty Literal".to_owned());
    }
    let listed = members
        .iter()
        .map(|m| match m {
            serde_json::Value::String(s) => format!("'{s}'"),
            other => literal(other).unwrap_or_default(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        format!("{field} present and {field} not_in [{}]", items.join(", ")),
        format!(
            "{field} must be one of {}, got {{{field}}}",
            crate::lifts::rule::escape_template(&listed)
        ),
    ))
}

/// A declaration lifted to `(when, message)`, or why it is not.
type Lifted = Result<(String, String), String>;

/// What pydantic's `ValidationError` says when a declaration of `field` fails (a regex the gate
/// searches the message with): the field's own line, then its error `type` (pydantic's error
/// types for `gt`, `ge`, ..., `Literal`). The message template stays readable; this is what the
/// library prints.
fn pydantic_error_pattern(field: &str, kind: &str) -> Option<String> {
    let error_type = match kind {
        "gt" => "greater_than",
        "ge" => "greater_than_equal",
        "lt" => "less_than",
        "le" => "less_than_equal",
        "multiple_of" => "multiple_of",
        "min_length" => "too_short",
        "max_length" => "too_long",
        "literal" => "literal_error",
        _ => return None,
    };
    Some(format!(r"(?m)^{field}\n\s+[^\n]*\[type={error_type},"))
}

/// Turns the facts of one class into rules (kwargs not yet filled). Updates `inspected`.
pub fn class_rules(
    engine: &str,
    target: &Target,
    facts: &ClassFacts,
    inspected: &mut Inspected,
) -> Vec<StagedRule> {
    let Some(added) = added_by(&facts.kind) else {
        return Vec::new();
    };
    if facts.enforced == "declared_only" {
        // a stdlib dataclass does not check its annotations: no declaration is a rejection
        inspected
            .skipped
            .push("*: declared only (nothing checks the annotations at run time)".to_owned());
        return Vec::new();
    }
    let class_lower = target.class.to_lowercase().replace('.', "_");
    let mut out = Vec::new();
    let pydantic = facts.kind == "pydantic";
    for field in &facts.fields {
        // each declaration's `(when, message)` (or why it is not lifted), with its kind
        let mut found: Vec<(Lifted, &str)> = Vec::new();
        if let Some(members) = &field.literal {
            found.push((literal_rule(&field.name, members), "literal"));
        }
        for c in &field.constraints {
            found.push((constraint_rule(&field.name, c), c.kind.as_str()));
        }
        for (item, kind) in found {
            match item.and_then(|(when, message)| {
                canonical_when(&when)
                    .map(|w| (w, message))
                    .ok_or_else(|| format!("`{when}` does not parse (field name?)"))
            }) {
                Ok((when, message)) => {
                    let replay_match = pydantic
                        .then(|| pydantic_error_pattern(&field.name, kind))
                        .flatten();
                    let id = format!(
                        "{engine}_{class_lower}_{}_{}",
                        field.name.to_lowercase(),
                        short_hash(&[&target.native_type, "error", &when])
                    );
                    out.push(StagedRule {
                        id,
                        native_type: target.native_type.clone(),
                        severity: RuleSeverity::Error,
                        when,
                        subject: Some(field.name.clone()),
                        message_template: message,
                        miner_source: Some(MinerSource {
                            path: if facts.path.is_empty() {
                                target.module.clone()
                            } else {
                                facts.path.clone()
                            },
                            method: format!("{}.{}", target.class, field.name),
                            line_at_scan: facts.line,
                            module: Some(target.module.clone()),
                            class: Some(target.class.clone()),
                            field: Some(field.name.clone()),
                            cluster: None,
                        }),
                        expected_outcome: ExpectedOutcome::new(
                            Outcome::Error,
                            EmissionChannel::RuntimeException,
                            BTreeMap::new(),
                        ),
                        added_by: added,
                        kwargs_positive: None,
                        kwargs_negative: None,
                        versions: None,
                        stage: Stage::Construct,
                        replay_match,
                    });
                }
                Err(reason) => inspected.skipped.push(format!("{}: {reason}", field.name)),
            }
        }
    }
    out
}

/// The schema type text of a field's facts (`Optional[int]`, `Union[int, str]`, `any`).
fn schema_type(field: &FieldFacts) -> String {
    let known = ["bool", "int", "float", "str", "list", "dict", "tuple"];
    let mut types: Vec<&str> = field
        .types
        .iter()
        .map(|t| if t == "tuple" { "list" } else { t.as_str() })
        .filter(|t| known.contains(t))
        .collect();
    types.sort();
    types.dedup();
    let base = match (types.len(), field.types.len()) {
        (0, _) => return "any".to_owned(),
        (n, m) if n < m => return "any".to_owned(),
        (1, _) => types.first().map(|t| (*t).to_owned()).unwrap_or_default(),
        _ => format!("Union[{}]", types.join(", ")),
    };
    let base = match base.as_str() {
        "list" => "list[any]".to_owned(),
        "dict" => "dict[str, any]".to_owned(),
        _ => base,
    };
    if field.nullable {
        format!("Optional[{base}]")
    } else {
        base
    }
}

/// An engine schema for classes that have none (fixtures, libraries llemc has no schema for):
/// one native type (and one section `section_<i>`) per target, its fields typed from the facts,
/// no defaults.
pub fn schema_from_facts(engine: &str, version: &str, classes: &[(Target, ClassFacts)]) -> String {
    let doc = SchemaDoc {
        engine: engine.to_owned(),
        library: engine.to_owned(),
        library_version: version.to_owned(),
        sections: classes
            .iter()
            .enumerate()
            .map(|(i, (target, _))| (format!("section_{i}"), target.native_type.clone()))
            .collect(),
        native_types: classes
            .iter()
            .map(|(target, facts)| NativeTypeDoc {
                name: target.native_type.clone(),
                source: None,
                unknown_fields: None,
                fed_by: None,
                fields: facts
                    .fields
                    .iter()
                    .map(|f| FieldDoc {
                        name: f.name.clone(),
                        ty: schema_type(f),
                        default: FieldDefault::Unknown,
                        note: None,
                        from: None,
                    })
                    .collect(),
            })
            .collect(),
    };
    write_schema("Generated by llemc's lifts from type metadata.", &doc)
}

/// Builds the staging file from facts: rules per class, compiled against `schema` (generated
/// from the facts when `None`) and given synthesized kwargs.
pub fn lift(
    engine: &str,
    version: &str,
    classes: &[(Target, ClassFacts)],
    schema: Option<(&str, &str)>,
) -> LiftStaging {
    let generated = schema_from_facts(engine, version, classes);
    let schema = schema.unwrap_or(("lifts-schema.yaml", generated.as_str()));
    let mut report = LiftReport::default();
    let mut rules: BTreeMap<String, StagedRule> = BTreeMap::new();
    for (target, facts) in classes {
        let mut inspected = Inspected {
            native_type: target.native_type.clone(),
            module: target.module.clone(),
            class: target.class.clone(),
            kind: facts.kind.clone(),
            enforced: facts.enforced.clone(),
            fields: facts.fields.len(),
            rules: 0,
            skipped: facts
                .skipped
                .iter()
                .map(|s| format!("{}: {}", s.field, s.reason))
                .collect(),
            error: facts.error.clone(),
        };
        for mut r in class_rules(engine, target, facts, &mut inspected) {
            match compile_and_synthesize(&mut r, engine, version, schema) {
                Ok(no_kwargs) => {
                    if let Some(reason) = no_kwargs {
                        report.no_kwargs.push(format!("{}: {reason}", r.id));
                    }
                    if !rules.contains_key(&r.id) {
                        inspected.rules += 1;
                        *report
                            .by_lift
                            .entry(r.added_by.as_str().to_owned())
                            .or_default() += 1;
                        rules.insert(r.id.clone(), r);
                    }
                }
                Err(reason) => report
                    .dropped
                    .push(format!("{}: {}", r.id, one_line(&reason))),
            }
        }
        inspected.skipped.sort();
        report.inspected.push(inspected);
    }
    report.no_kwargs.sort();
    report.dropped.sort();
    Staging {
        engine: engine.to_owned(),
        engine_version: version.to_owned(),
        miner: "lifts".to_owned(),
        rules: rules.into_values().collect(),
        opaque: Vec::new(),
        report,
    }
}
