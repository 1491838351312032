//! The dormant fixpoint check: applying a corpus's silent normalisations (dormant rules with
//! `expected_outcome.normalised_fields: {field: value}`) to a config must converge, be idempotent
//! and give the same result in any order. Anything else is a conflict naming the rules involved.
//!
//! A normalisation fires when its rule's predicate holds on the config (llemc's own evaluator) and
//! rewrites the named fields. For each config checked, the normalisations of its native type are
//! run to a fixpoint in several orders (every permutation up to [`PERMUTE_UP_TO`] rules, else every
//! rotation of the id order and its reverse); the results must agree, and running again on the
//! result must change nothing. Two rules that fire together and assign different values to one
//! field conflict directly. The configs checked are every normalisation's `kwargs_positive` and
//! `kwargs_negative`, the empty config, and the union of every two positives of one native type.

use llemc_compiler::corpus::{Corpus, RuleDoc};
use llemc_compiler::diagnostic::Diagnostic;
use llemc_compiler::yaml_out::Yaml;
use llemc_runtime::loaded::LoadedProgram;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};

/// Rule sets up to this size are run in every order; larger ones in rotations of the id order.
pub const PERMUTE_UP_TO: usize = 5;

/// One silent normalisation of the corpus.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalisation {
    /// Index of the rule in the compiled program.
    pub index: usize,
    /// The rule id.
    pub id: String,
    /// The native type whose kwargs it rewrites.
    pub native_type: String,
    /// Field (dotted path inside the kwargs) to the value the library sets.
    pub assigns: BTreeMap<String, Json>,
    /// Example kwargs of the rule, when it has them.
    pub examples: Vec<Map<String, Json>>,
}

/// A way the normalisations fail to commute or to converge.
#[derive(Clone, Debug, PartialEq)]
pub enum Conflict {
    /// Two rules fire on the same config and set one field to different values.
    SameField {
        /// The field.
        field: String,
        /// First rule and the value it sets.
        first: (String, Json),
        /// Second rule and the value it sets.
        second: (String, Json),
        /// The config both fire on.
        config: Map<String, Json>,
    },
    /// Two orders of application end in different configs.
    OrderDependent {
        /// The config normalised.
        config: Map<String, Json>,
        /// One order and its result.
        first: (Vec<String>, Map<String, Json>),
        /// Another order and its different result.
        second: (Vec<String>, Map<String, Json>),
    },
    /// Application never settles (the rules keep undoing each other).
    Cycle {
        /// The config normalised.
        config: Map<String, Json>,
        /// The rules still firing when the step budget ran out.
        rules: Vec<String>,
    },
}

impl Conflict {
    /// The ids of the rules involved, sorted.
    pub fn rules(&self) -> Vec<String> {
        let mut ids: Vec<String> = match self {
            Conflict::SameField { first, second, .. } => vec![first.0.clone(), second.0.clone()],
            Conflict::OrderDependent { first, second, .. } => {
                first.0.iter().chain(&second.0).cloned().collect()
            }
            Conflict::Cycle { rules, .. } => rules.clone(),
        };
        ids.sort();
        ids.dedup();
        ids
    }
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |m: &Map<String, Json>| Json::Object(m.clone()).to_string();
        match self {
            Conflict::SameField {
                field,
                first,
                second,
                config,
            } => write!(
                f,
                "`{}` sets `{field}` to {} but `{}` sets it to {} (both fire on {})",
                first.0,
                first.1,
                second.0,
                second.1,
                show(config)
            ),
            Conflict::OrderDependent {
                config,
                first,
                second,
            } => write!(
                f,
                "order matters on {}: [{}] gives {} but [{}] gives {}",
                show(config),
                first.0.join(", "),
                show(&first.1),
                second.0.join(", "),
                show(&second.1)
            ),
            Conflict::Cycle { config, rules } => write!(
                f,
                "normalising {} never settles: {} keep rewriting each other",
                show(config),
                rules.join(", ")
            ),
        }
    }
}

/// The outcome of the check over a corpus.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixpointReport {
    /// Normalisations found, by id.
    pub normalisations: Vec<String>,
    /// Configs normalised.
    pub configs_checked: usize,
    /// Every conflict found (deduplicated by kind and rules).
    pub conflicts: Vec<Conflict>,
}

/// The normalisations of `corpus` (read from the file it was compiled from) in `loaded`. `E650`
/// (pointing at the rule) when a rule normalises fields but names no native type.
pub fn normalisations(
    loaded: &LoadedProgram,
    corpus: &Corpus,
) -> Result<Vec<Normalisation>, Diagnostic> {
    let program = loaded.program();
    let mut out = Vec::new();
    for rule in &corpus.rules {
        let doc = RuleDoc::from_rule(rule);
        let assigns: BTreeMap<String, Json> = match doc
            .expected_outcome
            .as_ref()
            .and_then(|o| o.normalised_fields.as_ref())
        {
            Some(Yaml::Map(entries)) => entries
                .iter()
                .map(|(field, value)| (field.clone(), value.to_json()))
                .collect(),
            _ => BTreeMap::new(),
        };
        if assigns.is_empty() {
            continue;
        }
        let id = rule.id.value.as_str();
        let Some(index) = program.rules.iter().position(|r| r.id == id) else {
            // Not selected for this engine version.
            continue;
        };
        let Some(native_type) = program.rules.get(index).and_then(|r| r.native_type.clone()) else {
            return Err(Diagnostic::error(
                "E650",
                format!("rule `{id}` normalises fields but names no native type"),
            )
            .with_primary(corpus.file, rule.id.span, "this rule")
            .with_help("add `native_type:` (the class whose kwargs it rewrites)"));
        };
        let examples = [&doc.kwargs_positive, &doc.kwargs_negative]
            .into_iter()
            .filter_map(|kwargs| match kwargs.as_ref()?.to_json() {
                Json::Object(m) => Some(m),
                _ => None,
            })
            .collect();
        out.push(Normalisation {
            index,
            id: id.to_owned(),
            native_type,
            assigns,
            examples,
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Checks every normalisation of the corpus on the generated configs.
pub fn check(loaded: &LoadedProgram, found: &[Normalisation]) -> FixpointReport {
    let mut report = FixpointReport {
        normalisations: found.iter().map(|n| n.id.clone()).collect(),
        ..FixpointReport::default()
    };
    let mut by_type: BTreeMap<&str, Vec<&Normalisation>> = BTreeMap::new();
    for n in found {
        by_type.entry(n.native_type.as_str()).or_default().push(n);
    }
    let mut seen: BTreeSet<(u8, Vec<String>)> = BTreeSet::new();
    for (native, rules) in by_type {
        for config in configs_for(&rules) {
            report.configs_checked += 1;
            for conflict in check_config(loaded, native, &rules, &config) {
                let key = (conflict_kind(&conflict), conflict.rules());
                if seen.insert(key) {
                    report.conflicts.push(conflict);
                }
            }
        }
    }
    report
}

fn conflict_kind(c: &Conflict) -> u8 {
    match c {
        Conflict::SameField { .. } => 0,
        Conflict::OrderDependent { .. } => 1,
        Conflict::Cycle { .. } => 2,
    }
}

/// The configs checked for one native type's normalisations.
fn configs_for(rules: &[&Normalisation]) -> Vec<Map<String, Json>> {
    let mut configs = vec![Map::new()];
    let positives: Vec<&Map<String, Json>> =
        rules.iter().filter_map(|r| r.examples.first()).collect();
    for rule in rules {
        configs.extend(rule.examples.iter().cloned());
    }
    for (i, a) in positives.iter().enumerate() {
        for b in positives.iter().skip(i + 1) {
            let mut union = (*a).clone();
            union.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
            configs.push(union);
            let mut other = (*b).clone();
            other.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
            configs.push(other);
        }
    }
    let mut unique: Vec<Map<String, Json>> = Vec::new();
    for c in configs {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    unique
}

/// Every conflict found normalising `config` (empty when it converges the same in every order).
pub fn check_config(
    loaded: &LoadedProgram,
    native: &str,
    rules: &[&Normalisation],
    config: &Map<String, Json>,
) -> Vec<Conflict> {
    let mut conflicts = Vec::new();
    if let Some(c) = same_field(loaded, native, rules, config) {
        conflicts.push(c);
    }
    let mut results: Vec<(Vec<String>, Map<String, Json>)> = Vec::new();
    for order in orders(rules.len()) {
        let ordered: Vec<&Normalisation> = order
            .iter()
            .filter_map(|i| rules.get(*i).copied())
            .collect();
        let ids: Vec<String> = ordered.iter().map(|r| r.id.clone()).collect();
        match run_to_fixpoint(loaded, native, &ordered, config) {
            Ok(result) => {
                // Idempotence: the result is itself a fixpoint.
                if let Some(again) = firing_changes(loaded, native, &ordered, &result) {
                    conflicts.push(Conflict::Cycle {
                        config: result.clone(),
                        rules: again,
                    });
                    return conflicts;
                }
                if let Some((first_ids, first)) = results.first()
                    && *first != result
                {
                    conflicts.push(Conflict::OrderDependent {
                        config: config.clone(),
                        first: (first_ids.clone(), first.clone()),
                        second: (ids, result),
                    });
                    return conflicts;
                }
                results.push((ids, result));
            }
            Err(still_firing) => {
                conflicts.push(Conflict::Cycle {
                    config: config.clone(),
                    rules: still_firing,
                });
                return conflicts;
            }
        }
    }
    conflicts
}

/// Application orders: every permutation of `n` up to [`PERMUTE_UP_TO`], else the rotations of
/// the identity and of its reverse.
fn orders(n: usize) -> Vec<Vec<usize>> {
    if n <= PERMUTE_UP_TO {
        let mut all = Vec::new();
        permute(&mut (0..n).collect(), 0, &mut all);
        return all;
    }
    let forward: Vec<usize> = (0..n).collect();
    let mut out = Vec::new();
    for shift in 0..n {
        let mut rotated = forward.clone();
        rotated.rotate_left(shift);
        out.push(rotated.clone());
        rotated.reverse();
        out.push(rotated);
    }
    out
}

fn permute(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k >= items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permute(items, k + 1, out);
        items.swap(k, i);
    }
}

fn fires(
    loaded: &LoadedProgram,
    native: &str,
    rule: &Normalisation,
    config: &Map<String, Json>,
) -> bool {
    let mut frame = loaded.frame();
    let kwargs = Json::Object(config.clone());
    loaded.bind_native(native, &kwargs, &mut frame) && loaded.rule_holds(rule.index, &frame)
}

/// Applies the rule's assignments; whether anything changed.
fn apply(rule: &Normalisation, config: &mut Map<String, Json>) -> bool {
    let mut changed = false;
    for (field, value) in &rule.assigns {
        changed |= set_path(config, field, value.clone());
    }
    changed
}

fn set_path(config: &mut Map<String, Json>, path: &str, value: Json) -> bool {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else {
        return false;
    };
    let mut node = config;
    for part in parts {
        let entry = node
            .entry(part.to_owned())
            .or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        let Json::Object(inner) = entry else {
            return false;
        };
        node = inner;
    }
    if node.get(last) == Some(&value) {
        return false;
    }
    node.insert(last.to_owned(), value);
    true
}

/// Runs the rules in `order` until none changes the config; `Err` with the rules that kept
/// changing it in the second half of the step budget when it never settles.
fn run_to_fixpoint(
    loaded: &LoadedProgram,
    native: &str,
    order: &[&Normalisation],
    config: &Map<String, Json>,
) -> Result<Map<String, Json>, Vec<String>> {
    let mut current = config.clone();
    let budget = 2 * order.len() + 2;
    let mut late: BTreeSet<String> = BTreeSet::new();
    for round in 0..budget {
        let mut changed = false;
        for rule in order {
            if fires(loaded, native, rule, &current) && apply(rule, &mut current) {
                changed = true;
                if round >= budget / 2 {
                    late.insert(rule.id.clone());
                }
            }
        }
        if !changed {
            return Ok(current);
        }
    }
    Err(late.into_iter().collect())
}

/// The rules that fire on `config` and would change it, or `None` when it is a fixpoint.
fn firing_changes(
    loaded: &LoadedProgram,
    native: &str,
    rules: &[&Normalisation],
    config: &Map<String, Json>,
) -> Option<Vec<String>> {
    let ids: Vec<String> = rules
        .iter()
        .filter(|r| fires(loaded, native, r, config) && apply(r, &mut config.clone()))
        .map(|r| r.id.clone())
        .collect();
    (!ids.is_empty()).then_some(ids)
}

fn same_field(
    loaded: &LoadedProgram,
    native: &str,
    rules: &[&Normalisation],
    config: &Map<String, Json>,
) -> Option<Conflict> {
    let firing: Vec<&&Normalisation> = rules
        .iter()
        .filter(|r| fires(loaded, native, r, config))
        .collect();
    for (i, a) in firing.iter().enumerate() {
        for b in firing.iter().skip(i + 1) {
            for (field, value) in &a.assigns {
                if let Some(other) = b.assigns.get(field)
                    && other != value
                {
                    return Some(Conflict::SameField {
                        field: field.clone(),
                        first: (a.id.clone(), value.clone()),
                        second: (b.id.clone(), other.clone()),
                        config: config.clone(),
                    });
                }
            }
        }
    }
    None
}
