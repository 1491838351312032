//! `build-corpus`: merge every miner's staging file for one engine version with the manual seeds
//! into `engines/<engine>/<version>/invariants.proposed.yaml`.
//!
//! Each candidate rule is compiled on its own, in schema mode, against the version's engine
//! schema (`engines/<engine>/<version>/schema.yaml`, else `engines/<engine>/schema.yaml`); its
//! fingerprint is `(engine, native type, severity, canonical predicate)`, so `!=` and
//! `not_equal`, reordered `and`, `x > 0` and `0 < x` fall together. Candidates with the same
//! fingerprint merge into one rule:
//!
//! - predicate, subject and kwargs come from the highest-precedence source (static miner, then
//!   the lifts, the dynamic miner, observed sources, and last the manual seeds);
//! - the message comes from an observed source (`dynamic_miner`, `runtime_warning`,
//!   `observed_collision`) when one has it: that is the library's own text;
//! - a manual seed keeps its id and its explanation fields (`rule_under_test`, `references`,
//!   `replay_match`, ...), and its `subject` when the winner names none;
//! - `added_by` is the winning source, `cross_validated_by` every other source.
//!
//! Missing kwargs (or kwargs the evaluator disagrees with) are taken from another source of the
//! same fingerprint, else synthesized. A rule that does not compile, or for which no kwargs can
//! be found, is left out and reported. The output is corpus format v1 (`schema_version: 1.1.0`,
//! with `when:`), rules sorted by `(native_type, id)`, keys in a fixed order, no timestamps:
//! byte-identical on a rerun. It is written atomically and must compile without errors.

use llemc_compiler::atomic_write::write_atomically;
use llemc_compiler::versions::Specifier;
use llemc_compiler::yaml::parse_yaml;
use llemc_compiler::yaml_out::{self, Yaml};
use llemc_mining::layout::Layout;
use llemc_mining::rule::{CompiledRule, DROPPED_KEYS, Fingerprint, compile_rule, envelope};
use llemc_mining::synth::{check_pair, synthesize};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::loaded::LoadedProgram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Fixed key order of a written rule; other keys follow alphabetically.
pub const RULE_KEY_ORDER: [&str; 19] = [
    "id",
    "engine",
    "library",
    "rule_under_test",
    "severity",
    "native_type",
    "subject",
    "when",
    "match",
    "message_template",
    "replay_match",
    "replay_via",
    "miner_source",
    "kwargs_positive",
    "kwargs_negative",
    "expected_outcome",
    "added_by",
    "cross_validated_by",
    "references",
];

/// Keys of a manual seed that explain the rule and survive a merge.
const EXPLANATION_KEYS: [&str; 4] = [
    "rule_under_test",
    "references",
    "replay_match",
    "replay_via",
];

/// Sources whose message is the library's own observed text.
const OBSERVED: [&str; 3] = ["dynamic_miner", "runtime_warning", "observed_collision"];

/// What to build.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Repository root (holds `engines/`, `engine_versions/`, `.cache/staging/`).
    pub root: PathBuf,
    /// Engine name.
    pub engine: String,
    /// Engine library version; default: `engine_versions/<engine>.yaml`'s default, else the only
    /// version with staging files.
    pub version: Option<String>,
}

/// A fatal problem: nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A rule left out of the corpus.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// The rule id (or `#n` when it has none).
    pub id: String,
    /// Where it came from (file name).
    pub source: String,
    /// Why.
    pub reason: String,
}

/// Several sources that produced the same fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Merged {
    /// The id written.
    pub id: String,
    /// `added_by` of every source, winner first.
    pub sources: Vec<String>,
}

/// A note about one written rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The rule id.
    pub id: String,
    /// What happened.
    pub note: String,
}

/// What a build did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BuildReport {
    /// Engine.
    pub engine: String,
    /// Engine library version.
    pub version: String,
    /// The schema the rules were compiled against.
    pub schema: String,
    /// The corpus written.
    pub output: String,
    /// Staging files read, with their rule counts.
    pub staging: Vec<(String, usize)>,
    /// Opaque (untranslatable) entries in the staging files, not turned into rules.
    pub opaque: usize,
    /// Manual seeds selected for this version.
    pub seeds: usize,
    /// Manual seeds whose `versions:` exclude this version.
    pub seeds_other_versions: usize,
    /// Rules written.
    pub written: usize,
    /// Fingerprints produced by more than one source.
    pub merged: Vec<Merged>,
    /// Rules whose kwargs were synthesized.
    pub synthesized: Vec<String>,
    /// Other notes (kwargs replaced, ...).
    pub notes: Vec<Note>,
    /// Rules left out.
    pub dropped: Vec<Dropped>,
}

/// A rule's keys and values, in order.
type RuleMap = Vec<(String, Yaml)>;

/// A merged rule: `(id, native_type, rule, winning source)`.
type MergedRule = (String, String, RuleMap, String);

/// One rule as a source proposed it.
#[derive(Clone, Debug)]
struct Candidate {
    source: String,
    added_by: String,
    id: String,
    rule: Vec<(String, Yaml)>,
}

impl Candidate {
    fn get(&self, key: &str) -> Option<&Yaml> {
        self.rule
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }
}

/// Precedence of a source for the predicate and kwargs (lower wins).
pub fn precedence(added_by: &str) -> u32 {
    match added_by {
        "static_miner" | "ast_walker" => 0,
        "pydantic_lift" | "msgspec_lift" | "dataclass_lift" | "introspection" => 1,
        "dynamic_miner" => 2,
        "runtime_warning" | "observed_collision" => 3,
        "manual_seed" => 4,
        _ => 5,
    }
}

/// The version to build when none is given.
pub fn default_version(root: &Path, engine: &str) -> Result<String, BuildError> {
    let ssot = Layout::new(root).ssot(engine);
    if let Ok(text) = std::fs::read_to_string(&ssot)
        && let Ok(node) = parse_yaml(llemc_compiler::diagnostic::FileId(0), &text)
    {
        for key in ["default", "default_version"] {
            if let Some(v) = node.get(key) {
                if let Some(s) = v.as_str() {
                    return Ok(s.to_owned());
                }
                if let Some(s) = v.get("version").and_then(|n| n.as_str()) {
                    return Ok(s.to_owned());
                }
            }
        }
    }
    let staging = Layout::new(root).cache().join("staging").join(engine);
    let mut versions: Vec<String> = std::fs::read_dir(&staging)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    match versions.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(BuildError(format!(
            "no version given and no staging files under {}",
            Layout::new(root).display(&staging)
        ))),
        many => Err(BuildError(format!(
            "no version given and several versions have staging files ({}): pass --version",
            many.join(", ")
        ))),
    }
}

/// Builds the proposed corpus and writes it. `Err` when nothing could be written.
pub fn build_corpus(options: &BuildOptions) -> Result<BuildReport, BuildError> {
    let root = options.root.as_path();
    let engine = options.engine.as_str();
    let version = match &options.version {
        Some(v) => v.clone(),
        None => default_version(root, engine)?,
    };
    let schema_file = Layout::new(root).schema(engine, &version);
    let schema_name = Layout::new(root).display(&schema_file);
    let schema_text = std::fs::read_to_string(&schema_file)
        .map_err(|e| BuildError(format!("cannot read the engine schema {schema_name}: {e}")))?;
    let schema = (schema_name.as_str(), schema_text.as_str());
    let mut report = BuildReport {
        engine: engine.to_owned(),
        version: version.clone(),
        schema: schema_name.clone(),
        ..BuildReport::default()
    };

    let mut candidates = read_staging(root, engine, &version, &mut report)?;
    candidates.extend(read_seeds(root, engine, &version, &mut report)?);

    // Compile each candidate and group by fingerprint.
    let mut groups: BTreeMap<Fingerprint, Vec<(Candidate, CompiledRule)>> = BTreeMap::new();
    for cand in candidates {
        match compile_rule(engine, &version, &cand.rule, schema) {
            Ok(compiled) => groups
                .entry(compiled.fingerprint.clone())
                .or_default()
                .push((cand, compiled)),
            Err(reason) => report.dropped.push(Dropped {
                id: cand.id.clone(),
                source: cand.source.clone(),
                reason: format!("does not compile: {reason}"),
            }),
        }
    }

    let mut rules: Vec<MergedRule> = Vec::new();
    for (_, mut members) in groups {
        members.sort_by(|(a, _), (b, _)| {
            (precedence(&a.added_by), &a.source, &a.id).cmp(&(
                precedence(&b.added_by),
                &b.source,
                &b.id,
            ))
        });
        if let Some(merged) = merge_group(engine, &version, schema, &members, &mut report) {
            rules.push(merged);
        }
    }

    // Ids must be unique: the first by (precedence of the winner, id) keeps it.
    rules.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut kept: Vec<(String, String, RuleMap)> = Vec::new();
    for (id, _, rule, source) in rules {
        if let Some(other) = seen.get(&id) {
            report.dropped.push(Dropped {
                id: id.clone(),
                source,
                reason: format!(
                    "id already used by a rule with a different predicate or severity (from {other})"
                ),
            });
            continue;
        }
        seen.insert(id.clone(), source);
        let native = rule
            .iter()
            .find(|(k, _)| k == "native_type")
            .and_then(|(_, v)| v.as_str())
            .unwrap_or("")
            .to_owned();
        kept.push((native, id, rule));
    }
    kept.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    report.written = kept.len();
    report.merged.sort_by(|a, b| a.id.cmp(&b.id));
    report.synthesized.sort();
    report
        .notes
        .sort_by(|a, b| (&a.id, &a.note).cmp(&(&b.id, &b.note)));
    report
        .dropped
        .sort_by(|a, b| (&a.id, &a.source, &a.reason).cmp(&(&b.id, &b.source, &b.reason)));

    let doc = envelope(
        engine,
        &version,
        kept.into_iter().map(|(_, _, r)| Yaml::Map(r)).collect(),
    );
    let text = format!(
        "# Generated by `llemc build-corpus --engine {engine} --version {version}`: do not edit.\n# Sources: the staging files of every miner and engines/{engine}/seeds.yaml.\n{}",
        yaml_out::to_string(&doc)
    );

    // The whole corpus must compile without errors before it is written.
    let out_path = Layout::new(root).proposed(engine, &version);
    report.output = Layout::new(root).display(&out_path);
    let input = CorpusInput {
        name: &report.output,
        text: &text,
        schema: Some(schema),
        compat: false,
        engine_version: Some(version.clone()),
    };
    if let Err(failure) = compile_corpus(&input) {
        let first = failure
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code, d.message))
            .unwrap_or_default();
        return Err(BuildError(format!(
            "internal error: the merged corpus does not compile ({first}); nothing written"
        )));
    }
    write_atomically(&out_path, &text)
        .map_err(|e| BuildError(format!("cannot write {}: {e}", report.output)))?;
    Ok(report)
}

fn read_staging(
    root: &Path,
    engine: &str,
    version: &str,
    report: &mut BuildReport,
) -> Result<Vec<Candidate>, BuildError> {
    let dir = Layout::new(root).staging(engine, version);
    let shown = Layout::new(root).display(&dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| BuildError(format!("no staging files: cannot read {shown}: {e}")))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(BuildError(format!(
            "no staging files in {shown} (run the miners first)"
        )));
    }
    let mut out = Vec::new();
    for file in files {
        let name = Layout::new(root).display(&file);
        let short = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone());
        let text = std::fs::read_to_string(&file)
            .map_err(|e| BuildError(format!("cannot read {name}: {e}")))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| BuildError(format!("{name} is not valid JSON: {e}")))?;
        let Some(obj) = json.as_object() else {
            return Err(BuildError(format!(
                "{name}: a staging file must be a JSON object"
            )));
        };
        if let Some(e) = obj.get("engine").and_then(|v| v.as_str())
            && e != engine
        {
            return Err(BuildError(format!(
                "{name} is for engine `{e}`, not `{engine}`"
            )));
        }
        if let Some(v) = obj.get("engine_version").and_then(|v| v.as_str())
            && v != version
        {
            return Err(BuildError(format!(
                "{name} is for {engine} {v}, not {version}"
            )));
        }
        let miner = obj
            .get("miner")
            .and_then(|v| v.as_str())
            .unwrap_or("static_miner")
            .to_owned();
        report.opaque += obj
            .get("opaque")
            .and_then(|v| v.as_array())
            .map_or(0, Vec::len);
        let rules = match obj.get("rules") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(items)) => items.clone(),
            Some(_) => return Err(BuildError(format!("{name}: `rules` must be a list"))),
        };
        report.staging.push((short.clone(), rules.len()));
        for (i, rule) in rules.iter().enumerate() {
            let Yaml::Map(fields) = Yaml::from_json(rule) else {
                report.dropped.push(Dropped {
                    id: format!("#{}", i + 1),
                    source: short.clone(),
                    reason: "a rule must be a JSON object".to_owned(),
                });
                continue;
            };
            if let Some(c) = candidate(fields, &short, &miner, i, version, report) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

fn read_seeds(
    root: &Path,
    engine: &str,
    version: &str,
    report: &mut BuildReport,
) -> Result<Vec<Candidate>, BuildError> {
    let path = Layout::new(root).seeds(engine);
    let name = Layout::new(root).display(&path);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BuildError(format!("cannot read {name}: {e}"))),
    };
    let node = parse_yaml(llemc_compiler::diagnostic::FileId(0), &text)
        .map_err(|d| BuildError(format!("{name}: {}", d.message)))?;
    let items = match node.get("rules") {
        Some(r) => r.as_seq().unwrap_or(&[]).to_vec(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Yaml::Map(fields) = Yaml::from_node(item) else {
            report.dropped.push(Dropped {
                id: format!("#{}", i + 1),
                source: "seeds.yaml".to_owned(),
                reason: "a rule must be a mapping".to_owned(),
            });
            continue;
        };
        if let Some(c) = candidate(fields, "seeds.yaml", "manual_seed", i, version, report) {
            out.push(c);
            report.seeds += 1;
        }
    }
    Ok(out)
}

/// Turns a rule mapping into a candidate if its `versions:` select `version`.
fn candidate(
    fields: Vec<(String, Yaml)>,
    source: &str,
    default_added_by: &str,
    index: usize,
    version: &str,
    report: &mut BuildReport,
) -> Option<Candidate> {
    let id = fields
        .iter()
        .find(|(k, _)| k == "id")
        .and_then(|(_, v)| v.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("#{}", index + 1));
    if let Some((_, v)) = fields.iter().find(|(k, v)| k == "versions" && !v.is_null()) {
        let Some(spec) = v.as_str() else {
            report.dropped.push(Dropped {
                id,
                source: source.to_owned(),
                reason: "`versions` must be a string".to_owned(),
            });
            return None;
        };
        match Specifier::parse(spec) {
            Ok(s) if s.matches(version) => {}
            Ok(_) => {
                if default_added_by == "manual_seed" {
                    report.seeds_other_versions += 1;
                }
                return None;
            }
            Err(e) => {
                report.dropped.push(Dropped {
                    id,
                    source: source.to_owned(),
                    reason: format!("bad `versions`: {e}"),
                });
                return None;
            }
        }
    }
    let added_by = fields
        .iter()
        .find(|(k, _)| k == "added_by")
        .and_then(|(_, v)| v.as_str())
        .unwrap_or(default_added_by)
        .to_owned();
    Some(Candidate {
        source: source.to_owned(),
        added_by,
        id,
        rule: fields,
    })
}

/// Merges the candidates of one fingerprint (sorted winner first) into one rule:
/// `(id, native_type, rule, source)`.
fn merge_group(
    engine: &str,
    version: &str,
    schema: (&str, &str),
    members: &[(Candidate, CompiledRule)],
    report: &mut BuildReport,
) -> Option<MergedRule> {
    let (primary, primary_compiled) = members.first()?;
    let seed = members
        .iter()
        .map(|(c, _)| c)
        .find(|c| c.added_by == "manual_seed");
    let id = seed.map_or(primary.id.clone(), |s| s.id.clone());
    let mut rule: Vec<(String, Yaml)> = Vec::new();
    let set = |rule: &mut Vec<(String, Yaml)>, key: &str, value: Yaml| {
        if let Some(entry) = rule.iter_mut().find(|(k, _)| k == key) {
            entry.1 = value;
        } else {
            rule.push((key.to_owned(), value));
        }
    };
    // Start from the winner, then let the seed's explanations and extra keys in.
    for (k, v) in &primary.rule {
        if !v.is_null() && !DROPPED_KEYS.contains(&k.as_str()) {
            set(&mut rule, k, v.clone());
        }
    }
    if let Some(seed) = seed {
        for (k, v) in &seed.rule {
            let known = RULE_KEY_ORDER.contains(&k.as_str()) || DROPPED_KEYS.contains(&k.as_str());
            if !v.is_null() && (EXPLANATION_KEYS.contains(&k.as_str()) || !known) {
                set(&mut rule, k, v.clone());
            }
        }
        // The field a finding points at is a reviewer's call: a seed's `subject` fills the gap
        // when the winning source names none (the predicate is the same canonical one).
        if !rule.iter().any(|(k, v)| k == "subject" && !v.is_null())
            && let Some((_, subject)) = seed
                .rule
                .iter()
                .find(|(k, v)| k == "subject" && !v.is_null())
        {
            set(&mut rule, "subject", subject.clone());
        }
    }
    set(&mut rule, "id", Yaml::str(&id));
    set(&mut rule, "engine", Yaml::str(engine));
    if !rule.iter().any(|(k, _)| k == "library") {
        set(&mut rule, "library", Yaml::str(engine));
    }
    // The library's observed text wins the message, unless it fixed a value another source's
    // template leaves as a placeholder (a probe that never varied the field): the more general
    // template then stays.
    let written = std::iter::once(primary)
        .chain(members.iter().map(|(c, _)| c))
        .find_map(|c| c.get("message_template").cloned());
    let observed = members
        .iter()
        .map(|(c, _)| c)
        .filter(|c| OBSERVED.contains(&c.added_by.as_str()))
        .find_map(|c| c.get("message_template").cloned());
    let message = match (observed, written) {
        (Some(seen), Some(other)) if !placeholders(&other).is_subset(&placeholders(&seen)) => {
            Some(other)
        }
        (Some(seen), _) => Some(seen),
        (None, other) => other,
    };
    if let Some(m) = message {
        set(&mut rule, "message_template", m);
    }
    for key in ["miner_source", "expected_outcome"] {
        let preferred = if key == "miner_source" {
            members
                .iter()
                .map(|(c, _)| c)
                .find(|c| precedence(&c.added_by) == 0 && c.get(key).is_some())
        } else {
            members
                .iter()
                .map(|(c, _)| c)
                .find(|c| OBSERVED.contains(&c.added_by.as_str()) && c.get(key).is_some())
        };
        let value = preferred
            .or_else(|| {
                members
                    .iter()
                    .map(|(c, _)| c)
                    .find(|c| c.get(key).is_some())
            })
            .and_then(|c| c.get(key).cloned());
        if let Some(v) = value {
            set(&mut rule, key, order_nested(key, v));
        }
    }
    // Provenance.
    set(&mut rule, "added_by", Yaml::str(&primary.added_by));
    let mut others: Vec<String> = members
        .iter()
        .skip(1)
        .map(|(c, _)| c.added_by.clone())
        .chain(members.iter().flat_map(|(c, _)| {
            match c.get("cross_validated_by") {
                Some(Yaml::Seq(items)) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            }
        }))
        .filter(|a| *a != primary.added_by)
        .collect();
    others.sort();
    others.dedup();
    rule.retain(|(k, _)| k != "cross_validated_by");
    if !others.is_empty() {
        set(
            &mut rule,
            "cross_validated_by",
            Yaml::Seq(others.iter().map(Yaml::str).collect()),
        );
    }
    if members.len() > 1 {
        report.merged.push(Merged {
            id: id.clone(),
            sources: members.iter().map(|(c, _)| c.added_by.clone()).collect(),
        });
    }

    // Kwargs: the winner's if the evaluator agrees, else another source's, else synthesized.
    let loaded = &primary_compiled.loaded;
    let mut chosen: Option<(Yaml, Yaml)> = None;
    for (c, _) in members {
        let (Some(p), Some(n)) = (c.get("kwargs_positive"), c.get("kwargs_negative")) else {
            continue;
        };
        let (Some(pj), Some(nj)) = (
            p.to_json().as_object().cloned(),
            n.to_json().as_object().cloned(),
        ) else {
            continue;
        };
        match check_pair(loaded, 0, &pj, &nj) {
            Ok(()) => {
                if c.source != primary.source || c.id != primary.id {
                    report.notes.push(Note {
                        id: id.clone(),
                        note: format!("kwargs taken from {} ({})", c.source, c.added_by),
                    });
                }
                chosen = Some((p.clone(), n.clone()));
                break;
            }
            Err(reason) => report.notes.push(Note {
                id: id.clone(),
                note: format!(
                    "kwargs from {} ({}) ignored: {reason}",
                    c.source, c.added_by
                ),
            }),
        }
    }
    let (pos, neg) = match chosen {
        Some(pair) => pair,
        None => match synthesize(loaded, 0) {
            Ok(pair) => {
                report.synthesized.push(id.clone());
                (
                    Yaml::from_json(&serde_json::Value::Object(pair.positive)),
                    Yaml::from_json(&serde_json::Value::Object(pair.negative)),
                )
            }
            Err(f) => {
                report.dropped.push(Dropped {
                    id: id.clone(),
                    source: primary.source.clone(),
                    reason: format!("no kwargs: synthesis failed: {}", f.reason),
                });
                return None;
            }
        },
    };
    let (pos, neg) =
        with_required_arguments(loaded, schema, &primary_compiled.fingerprint, pos, neg);
    set(&mut rule, "kwargs_positive", pos);
    set(&mut rule, "kwargs_negative", neg);

    let rule = order_keys(rule);
    // The merged rule itself must compile and agree with its kwargs.
    match compile_rule(engine, version, &rule, schema) {
        Ok(compiled) => {
            let get = |k: &str| {
                rule.iter()
                    .find(|(key, _)| key == k)
                    .and_then(|(_, v)| v.to_json().as_object().cloned())
            };
            if let (Some(p), Some(n)) = (get("kwargs_positive"), get("kwargs_negative"))
                && let Err(reason) = check_pair(&compiled.loaded, 0, &p, &n)
            {
                report.dropped.push(Dropped {
                    id: id.clone(),
                    source: primary.source.clone(),
                    reason: format!("merged rule disagrees with its kwargs: {reason}"),
                });
                return None;
            }
        }
        Err(reason) => {
            report.dropped.push(Dropped {
                id: id.clone(),
                source: primary.source.clone(),
                reason: format!("merged rule does not compile: {reason}"),
            });
            return None;
        }
    }
    let native = primary_compiled.fingerprint.native_type.clone();
    Some((id, native, rule, primary.source.clone()))
}

/// Known nested mappings in a fixed key order.
fn order_nested(key: &str, value: Yaml) -> Yaml {
    let order: &[&str] = match key {
        "miner_source" => &["path", "method", "line_at_scan"],
        "expected_outcome" => &["outcome", "emission_channel", "normalised_fields"],
        _ => return value,
    };
    match value {
        Yaml::Map(entries) => Yaml::Map(sort_entries(entries, order)),
        other => other,
    }
}

fn sort_entries(entries: Vec<(String, Yaml)>, order: &[&str]) -> Vec<(String, Yaml)> {
    let mut known: Vec<(usize, (String, Yaml))> = Vec::new();
    let mut rest: Vec<(String, Yaml)> = Vec::new();
    for (k, v) in entries {
        match order.iter().position(|o| *o == k) {
            Some(i) => known.push((i, (k, v))),
            None => rest.push((k, v)),
        }
    }
    known.sort_by_key(|(i, _)| *i);
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    known.into_iter().map(|(_, e)| e).chain(rest).collect()
}

/// A rule's keys in [`RULE_KEY_ORDER`], then the others alphabetically.
pub fn order_keys(rule: Vec<(String, Yaml)>) -> Vec<(String, Yaml)> {
    sort_entries(rule, &RULE_KEY_ORDER)
}

/// The report as text (cargo-style).
pub fn render_report(report: &BuildReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "   Compiling rules for {} {} against {}",
        report.engine, report.version, report.schema
    );
    for (file, n) in &report.staging {
        let _ = writeln!(
            out,
            "     Staging {file}: {n} rule{}",
            if *n == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        out,
        "       Seeds {} selected, {} for other versions",
        report.seeds, report.seeds_other_versions
    );
    if report.opaque > 0 {
        let _ = writeln!(
            out,
            "      Opaque {} untranslated condition(s) not turned into rules",
            report.opaque
        );
    }
    for m in &report.merged {
        let _ = writeln!(out, "      Merged {} ({})", m.id, m.sources.join(" + "));
    }
    for id in &report.synthesized {
        let _ = writeln!(out, " Synthesized kwargs for {id}");
    }
    for n in &report.notes {
        let _ = writeln!(out, "        Note {}: {}", n.id, n.note);
    }
    for d in &report.dropped {
        let _ = writeln!(
            out,
            "warning: dropped {} (from {}): {}",
            d.id, d.source, d.reason
        );
    }
    let _ = writeln!(
        out,
        "       Wrote {} ({} rule{}{})",
        report.output,
        report.written,
        if report.written == 1 { "" } else { "s" },
        if report.dropped.is_empty() {
            String::new()
        } else {
            format!(", {} dropped", report.dropped.len())
        }
    );
    out
}

/// The placeholder names of a message template (none when it does not parse).
fn placeholders(template: &Yaml) -> std::collections::BTreeSet<String> {
    let text = template.as_str().unwrap_or_default();
    llemc_compiler::template::parse_template(text)
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
