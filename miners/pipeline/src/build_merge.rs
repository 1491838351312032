//! Merging the candidates of one fingerprint into the rule build-corpus writes: predicate,
//! subject and kwargs from the winning source, the library's own message, a seed's id and
//! explanations, and every other source as `cross_validated_by` (see [`crate::build_corpus`]).

use crate::build_corpus::{BuildReport, Dropped, Merged, Note, precedence};
use llemc_compiler::corpus::{AddedBy, RuleDoc, Stage};
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::rule::{CompiledRule, Fingerprint, compile_rule, one_line};
use llemc_mining::synth::{check_pair, synthesize};
use llemc_runtime::loaded::LoadedProgram;
use serde_json::{Map, Value as Json};
use std::collections::BTreeSet;

/// One rule as a source proposed it.
#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    /// The file it came from (`static_miner.json`, `seeds.yaml`, ...).
    pub source: String,
    /// The rule.
    pub rule: RuleDoc,
}

/// A merged rule and where its winner came from.
pub(crate) struct MergedRule {
    /// The id written.
    pub id: String,
    /// The native type of its fingerprint.
    pub native: String,
    /// The rule.
    pub rule: RuleDoc,
    /// The winner's source file.
    pub source: String,
}

/// Merges the candidates of one fingerprint (sorted winner first) into one rule, or drops it
/// (reported) when no kwargs agree with it or the merged rule does not hold together.
pub(crate) fn merge_group(
    engine: &str,
    version: &str,
    schema: (&str, &str),
    members: &[(Candidate, CompiledRule)],
    report: &mut BuildReport,
) -> Option<MergedRule> {
    let (primary, primary_compiled) = members.first()?;
    let candidates: Vec<&Candidate> = members.iter().map(|(c, _)| c).collect();
    let seed = candidates
        .iter()
        .copied()
        .find(|c| c.rule.added_by == AddedBy::ManualSeed);
    let id = seed.map_or(&primary.rule.id, |s| &s.rule.id).clone();
    let mut rule = base_rule(engine, &id, primary, seed);
    rule.message_template = message(primary, &candidates).or(rule.message_template);
    choose_origin(&mut rule, &candidates);
    rule.stage = Some(stage(seed, &candidates));
    rule.cross_validated_by = others(primary, &candidates);
    if members.len() > 1 {
        report.merged.push(Merged {
            id: id.clone(),
            sources: candidates
                .iter()
                .map(|c| c.rule.added_by.as_str().to_owned())
                .collect(),
        });
    }
    let loaded = &primary_compiled.loaded;
    let (pos, neg) = kwargs(&id, primary, &candidates, loaded, report)?;
    let (pos, neg) =
        with_required_arguments(loaded, schema, &primary_compiled.fingerprint, pos, neg);
    rule.kwargs_positive = Some(pos);
    rule.kwargs_negative = Some(neg);
    if let Err(reason) = holds_together(version, schema, &rule) {
        report.dropped.push(Dropped {
            id,
            source: primary.source.clone(),
            reason,
        });
        return None;
    }
    Some(MergedRule {
        id,
        native: primary_compiled.fingerprint.native_type.clone(),
        rule,
        source: primary.source.clone(),
    })
}

/// The winner's rule, with a seed's explanations, unknown keys and (when the winner names none)
/// subject, under `id`.
fn base_rule(engine: &str, id: &str, primary: &Candidate, seed: Option<&Candidate>) -> RuleDoc {
    let mut rule = primary.rule.clone();
    rule.versions = None;
    rule.added_at = None;
    if let Some(seed) = seed.map(|s| &s.rule) {
        let explained = |mine: &mut Option<String>, theirs: &Option<String>| {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        };
        explained(&mut rule.rule_under_test, &seed.rule_under_test);
        explained(&mut rule.replay_match, &seed.replay_match);
        for (theirs, mine) in [
            (&seed.references, &mut rule.references),
            (&seed.provenance, &mut rule.provenance),
            (&seed.observations, &mut rule.observations),
        ] {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
        for (key, value) in &seed.extra {
            match rule.extra.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value.clone(),
                None => rule.extra.push((key.clone(), value.clone())),
            }
        }
        // The field a finding points at is a reviewer's call: a seed's `subject` fills the gap
        // when the winning source names none (the predicate is the same canonical one).
        if rule.subject.is_none() {
            rule.subject.clone_from(&seed.subject);
        }
    }
    rule.id = id.to_owned();
    rule.engine = engine.to_owned();
    if rule.library.is_none() {
        rule.library = Some(engine.to_owned());
    }
    rule.added_by = primary.rule.added_by;
    rule
}

/// Where the library shows the behaviour: as a seed says, else the earliest stage a source found
/// it at (a config the constructor rejects never reaches `generate()`), else construction.
fn stage(seed: Option<&Candidate>, candidates: &[&Candidate]) -> Stage {
    seed.and_then(|s| s.rule.stage)
        .or_else(|| candidates.iter().filter_map(|c| c.rule.stage).min())
        .unwrap_or_default()
}

/// The library's observed text wins the message, unless it fixed a value another source's
/// template leaves as a placeholder (a probe that never varied the field): the more general
/// template then stays.
fn message(primary: &Candidate, candidates: &[&Candidate]) -> Option<String> {
    let written = std::iter::once(primary)
        .chain(candidates.iter().copied())
        .find_map(|c| c.rule.message_template.clone());
    let observed = candidates
        .iter()
        .filter(|c| c.rule.added_by.is_observed())
        .find_map(|c| c.rule.message_template.clone());
    match (observed, written) {
        (Some(seen), Some(other)) if !placeholders(&other).is_subset(&placeholders(&seen)) => {
            Some(other)
        }
        (Some(seen), _) => Some(seen),
        (None, other) => other,
    }
}

/// `miner_source` from the static miner when it has one, `expected_outcome` from an observed
/// source when one has it; else from the first source that has them.
fn choose_origin(rule: &mut RuleDoc, candidates: &[&Candidate]) {
    let source = candidates
        .iter()
        .find(|c| precedence(c.rule.added_by) == 0 && c.rule.miner_source.is_some())
        .or_else(|| candidates.iter().find(|c| c.rule.miner_source.is_some()))
        .and_then(|c| c.rule.miner_source.clone());
    if source.is_some() {
        rule.miner_source = source;
    }
    let outcome = candidates
        .iter()
        .find(|c| c.rule.added_by.is_observed() && c.rule.expected_outcome.is_some())
        .or_else(|| {
            candidates
                .iter()
                .find(|c| c.rule.expected_outcome.is_some())
        })
        .and_then(|c| c.rule.expected_outcome.clone());
    if outcome.is_some() {
        rule.expected_outcome = outcome;
    }
}

/// Every source but the winner, and every source they were cross-validated by.
fn others(primary: &Candidate, candidates: &[&Candidate]) -> Vec<AddedBy> {
    let mut others: Vec<AddedBy> = candidates
        .iter()
        .skip(1)
        .map(|c| c.rule.added_by)
        .chain(
            candidates
                .iter()
                .flat_map(|c| c.rule.cross_validated_by.iter().copied()),
        )
        .filter(|a| *a != primary.rule.added_by)
        .collect();
    others.sort_by_key(|a| a.as_str());
    others.dedup();
    others
}

/// The kwargs of the first source the evaluator agrees with (the winner's when it does), else
/// synthesized ones; `None` (reported) when there are none.
fn kwargs(
    id: &str,
    primary: &Candidate,
    candidates: &[&Candidate],
    loaded: &LoadedProgram,
    report: &mut BuildReport,
) -> Option<(Yaml, Yaml)> {
    for c in candidates {
        let (Some(p), Some(n)) = (&c.rule.kwargs_positive, &c.rule.kwargs_negative) else {
            continue;
        };
        let (Some(pj), Some(nj)) = (object(p), object(n)) else {
            continue;
        };
        match check_pair(loaded, 0, &pj, &nj) {
            Ok(()) => {
                if c.source != primary.source || c.rule.id != primary.rule.id {
                    report.notes.push(Note {
                        id: id.to_owned(),
                        note: format!(
                            "kwargs taken from {} ({})",
                            c.source,
                            c.rule.added_by.as_str()
                        ),
                    });
                }
                return Some((p.clone(), n.clone()));
            }
            Err(reason) => report.notes.push(Note {
                id: id.to_owned(),
                note: format!(
                    "kwargs from {} ({}) ignored: {reason}",
                    c.source,
                    c.rule.added_by.as_str()
                ),
            }),
        }
    }
    match synthesize(loaded, 0) {
        Ok(pair) => {
            report.synthesized.push(id.to_owned());
            Some((
                Yaml::from_json(&Json::Object(pair.positive)),
                Yaml::from_json(&Json::Object(pair.negative)),
            ))
        }
        Err(f) => {
            report.dropped.push(Dropped {
                id: id.to_owned(),
                source: primary.source.clone(),
                reason: format!("no kwargs: synthesis failed: {}", f.reason),
            });
            None
        }
    }
}

/// A mapping as a JSON object.
fn object(value: &Yaml) -> Option<Map<String, Json>> {
    value.to_json().as_object().cloned()
}

/// The merged rule itself must compile and agree with its kwargs.
fn holds_together(version: &str, schema: (&str, &str), rule: &RuleDoc) -> Result<(), String> {
    let compiled = compile_rule(version, rule, schema)
        .map_err(|d| format!("merged rule does not compile: {}", one_line(&d)))?;
    let (Some(p), Some(n)) = (
        rule.kwargs_positive.as_ref().and_then(object),
        rule.kwargs_negative.as_ref().and_then(object),
    ) else {
        return Ok(());
    };
    check_pair(&compiled.loaded, 0, &p, &n)
        .map_err(|reason| format!("merged rule disagrees with its kwargs: {reason}"))
}

/// The placeholder names of a message template (none when it does not parse).
fn placeholders(template: &str) -> BTreeSet<String> {
    llemc_compiler::template::parse_template(template)
        .map(|parts| {
            parts
                .into_iter()
                .filter_map(|part| match part {
                    llemc_compiler::template::RawPart::Placeholder { name, .. } => Some(name),
                    llemc_compiler::template::RawPart::Text(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Adds every `required` constructor argument of the rule's native type that the kwargs leave
/// out (a type-correct example value), so both examples can be replayed against the library;
/// kept only when the evaluator still agrees with the pair.
fn with_required_arguments(
    loaded: &LoadedProgram,
    schema: (&str, &str),
    fingerprint: &Fingerprint,
    positive: Yaml,
    negative: Yaml,
) -> (Yaml, Yaml) {
    let (Some(parsed), _) =
        llemc_compiler::schema::read_schema(llemc_compiler::diagnostic::FileId(0), schema.1)
    else {
        return (positive, negative);
    };
    let Some(native) = parsed.native(&fingerprint.native_type) else {
        return (positive, negative);
    };
    let (Some(mut pos), Some(mut neg)) = (
        positive.to_json().as_object().cloned(),
        negative.to_json().as_object().cloned(),
    ) else {
        return (positive, negative);
    };
    let mut added = false;
    for field in native.fields.iter().filter(|f| f.required) {
        let Some(example) = example_value(&field.ty) else {
            continue;
        };
        for kwargs in [&mut pos, &mut neg] {
            if !kwargs.contains_key(&field.name) {
                kwargs.insert(field.name.clone(), example.clone());
                added = true;
            }
        }
    }
    if !added || check_pair(loaded, 0, &pos, &neg).is_err() {
        return (positive, negative);
    }
    (
        Yaml::from_json(&serde_json::Value::Object(pos)),
        Yaml::from_json(&serde_json::Value::Object(neg)),
    )
}

/// A plain value of type `ty` (the first kind it admits, in a fixed order).
fn example_value(ty: &llemc_compiler::types::Ty) -> Option<serde_json::Value> {
    use llemc_compiler::types::Kinds;
    let kinds = ty.kinds();
    let element = || {
        ty.element()
            .and_then(example_value)
            .map_or_else(Vec::new, |e| vec![e])
    };
    if kinds.intersects(Kinds::INT) {
        Some(serde_json::json!(1))
    } else if kinds.intersects(Kinds::FLOAT) {
        Some(serde_json::json!(0.5))
    } else if kinds.intersects(Kinds::BOOL) {
        Some(serde_json::json!(true))
    } else if kinds.intersects(Kinds::STR) {
        Some(serde_json::json!("x"))
    } else if kinds.intersects(Kinds::LIST) {
        Some(serde_json::Value::Array(element()))
    } else if kinds.intersects(Kinds::DICT) {
        Some(serde_json::json!({}))
    } else {
        None
    }
}
