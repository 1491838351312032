//! `diff-corpus`: what changed between the corpora of two library versions, rule by rule.
//!
//! Every rule is compiled on its own in schema mode to get its canonical predicate. Rules are
//! matched by fingerprint (native type, severity, canonical predicate) first, so a renamed rule
//! or one whose predicate was only respelled is the same rule; the rest by id. A matched pair is
//! *changed* when its id, predicate, severity, native type, message or kwargs differ; unmatched
//! rules are *added* or *removed*. Output is sorted and deterministic.

use llemc_compiler::corpus::{RuleDoc, read_corpus};
use llemc_compiler::diagnostic::{Diagnostic, SourceMap};
use llemc_compiler::versions::Specifier;
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::failure::{Failure, read_text};
use llemc_mining::layout::Layout;
use llemc_mining::rule::{compile_rule, one_line};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One rule as the diff sees it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiffRule {
    /// Rule id.
    pub id: String,
    /// Native type.
    pub native_type: String,
    /// Severity.
    pub severity: String,
    /// Canonical predicate (`None` when the rule does not compile).
    pub predicate: Option<String>,
    /// The predicate as written (`when`, else `match` as JSON).
    pub written: String,
    /// Message template.
    pub message: Option<String>,
    /// `kwargs_positive` as JSON.
    pub kwargs_positive: serde_json::Value,
    /// `kwargs_negative` as JSON.
    pub kwargs_negative: serde_json::Value,
    /// Why the rule did not compile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One side of a diff.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiffSide {
    /// The file.
    pub path: String,
    /// Engine of the envelope.
    pub engine: String,
    /// Engine version of the envelope.
    pub engine_version: String,
    /// Rules in the file (selected for its version).
    pub rules: usize,
}

/// One field that changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// `id`, `predicate`, `severity`, `native_type`, `message`, `kwargs_positive`,
    /// `kwargs_negative`.
    pub field: String,
    /// Old value.
    pub old: serde_json::Value,
    /// New value.
    pub new: serde_json::Value,
}

/// A rule present in both corpora that differs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChangedRule {
    /// Id in the new corpus.
    pub id: String,
    /// Id in the old corpus.
    pub old_id: String,
    /// `fingerprint` or `id`.
    pub matched_by: String,
    /// Old canonical predicate.
    pub old_predicate: Option<String>,
    /// New canonical predicate.
    pub new_predicate: Option<String>,
    /// What changed.
    pub changes: Vec<Change>,
}

/// A rule only on one side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleSummary {
    /// Rule id.
    pub id: String,
    /// Native type.
    pub native_type: String,
    /// Severity.
    pub severity: String,
    /// Canonical predicate, when it compiles.
    pub predicate: Option<String>,
}

/// The difference between two corpora.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CorpusDiff {
    /// The old corpus.
    pub old: DiffSide,
    /// The new corpus.
    pub new: DiffSide,
    /// Rules only in the new corpus.
    pub added: Vec<RuleSummary>,
    /// Rules only in the old corpus.
    pub removed: Vec<RuleSummary>,
    /// Rules in both that differ.
    pub changed: Vec<ChangedRule>,
    /// Rules in both that are the same.
    pub unchanged: usize,
    /// Rules that did not compile (`file: id: reason`); they are matched by id only.
    pub not_compiled: Vec<String>,
}

/// A corpus read for diffing.
#[derive(Clone, Debug)]
pub struct DiffCorpus {
    /// Its envelope.
    pub side: DiffSide,
    /// Its rules, sorted by `(native_type, id)`.
    pub rules: Vec<DiffRule>,
}

/// Resolves a diff operand: an existing file path, else a version whose corpus is the
/// version's proposed (or validated) corpus.
pub fn corpus_path(root: &Path, engine: &str, operand: &str, validated: bool) -> PathBuf {
    let as_path = PathBuf::from(operand);
    if as_path.is_file() || operand.ends_with(".yaml") || operand.ends_with(".yml") {
        return as_path;
    }
    let layout = Layout::new(root);
    if validated {
        layout.validated(engine, operand)
    } else {
        layout.proposed(engine, operand)
    }
}

/// Reads and compiles a corpus file. The schema is the engine schema for the file's version
/// (found under `root`), unless `schema` gives one. A corpus that does not read (or names no
/// `engine_version`) stops the diff with diagnostics into it; a rule that does not compile is
/// listed in the diff.
pub fn load_corpus(root: &Path, path: &Path, schema: Option<&Path>) -> Result<DiffCorpus, Failure> {
    let layout = Layout::new(root);
    let shown = layout.display(path);
    let text = read_text(path, &shown, None)?;
    let mut sources = SourceMap::new();
    let file = sources.add(&shown, text.as_str());
    let (corpus, diagnostics) = read_corpus(file, &text);
    let corpus = match corpus {
        Some(c) if !diagnostics.iter().any(Diagnostic::is_error) => c,
        _ => return Err(Failure::new(diagnostics, sources)),
    };
    let Some(version) = corpus.engine_version.as_ref().map(|v| v.value.clone()) else {
        let d = Diagnostic::error(
            "E660",
            format!("`{shown}` names no `engine_version`: it cannot be compared by version"),
        )
        .with_primary(file, corpus.engine.span, "the envelope")
        .with_help("add `engine_version: <library version>` to the envelope");
        return Err(Failure::new(vec![d], sources));
    };
    let engine = corpus.engine.value.clone();
    let schema_file = schema.map_or_else(|| layout.schema(&engine, &version), Path::to_path_buf);
    let schema_name = layout.display(&schema_file);
    let schema_text = read_text(&schema_file, &schema_name, None)?;
    let mut rules = Vec::new();
    for rule in &corpus.rules {
        if let Some(spec) = &rule.versions
            && Specifier::parse(&spec.value).is_ok_and(|s| !s.matches(&version))
        {
            continue;
        }
        let doc = RuleDoc::from_rule(rule);
        rules.push(diff_rule(&doc, &version, (&schema_name, &schema_text)));
    }
    rules.sort_by(|a, b| (&a.native_type, &a.id).cmp(&(&b.native_type, &b.id)));
    Ok(DiffCorpus {
        side: DiffSide {
            path: shown,
            engine,
            engine_version: version,
            rules: rules.len(),
        },
        rules,
    })
}

/// One rule as the diff sees it: compiled on its own for its canonical predicate.
fn diff_rule(doc: &RuleDoc, version: &str, schema: (&str, &str)) -> DiffRule {
    let written = match (&doc.when, &doc.match_block) {
        (Some(when), _) => when.clone(),
        (None, Some(m)) => m.to_json().to_string(),
        (None, None) => String::new(),
    };
    let (native_type, severity, predicate, error) = match compile_rule(version, doc, schema) {
        Ok(c) => (
            c.fingerprint.native_type,
            c.fingerprint.severity,
            Some(c.fingerprint.predicate),
            None,
        ),
        Err(d) => (
            doc.native_type.clone().unwrap_or_default(),
            doc.severity.as_str().to_owned(),
            None,
            Some(one_line(&d)),
        ),
    };
    let json = |k: &Option<Yaml>| k.as_ref().map_or(serde_json::Value::Null, Yaml::to_json);
    DiffRule {
        id: doc.id.clone(),
        native_type,
        severity,
        predicate,
        written,
        message: doc.message_template.clone(),
        kwargs_positive: json(&doc.kwargs_positive),
        kwargs_negative: json(&doc.kwargs_negative),
        error,
    }
}

fn fingerprint(r: &DiffRule) -> Option<(&str, &str, &str)> {
    Some((&r.native_type, &r.severity, r.predicate.as_deref()?))
}

fn summary(r: &DiffRule) -> RuleSummary {
    RuleSummary {
        id: r.id.clone(),
        native_type: r.native_type.clone(),
        severity: r.severity.clone(),
        predicate: r.predicate.clone(),
    }
}

/// Compares two corpora.
pub fn diff_corpora(old: &DiffCorpus, new: &DiffCorpus) -> CorpusDiff {
    let mut new_used = vec![false; new.rules.len()];
    let mut pairs: Vec<(usize, usize, &str)> = Vec::new();
    let mut old_left = Vec::new();
    // By fingerprint; among several candidates the one with the same id, else the first.
    for (i, o) in old.rules.iter().enumerate() {
        let Some(fp) = fingerprint(o) else {
            old_left.push(i);
            continue;
        };
        let candidates: Vec<usize> = new
            .rules
            .iter()
            .enumerate()
            .filter(|(j, n)| {
                !new_used.get(*j).copied().unwrap_or(true) && fingerprint(n) == Some(fp)
            })
            .map(|(j, _)| j)
            .collect();
        let pick = candidates
            .iter()
            .copied()
            .find(|j| new.rules.get(*j).is_some_and(|n| n.id == o.id))
            .or_else(|| candidates.first().copied());
        match pick {
            Some(j) => {
                if let Some(u) = new_used.get_mut(j) {
                    *u = true;
                }
                pairs.push((i, j, "fingerprint"));
            }
            None => old_left.push(i),
        }
    }
    // Then by id.
    let mut removed = Vec::new();
    for i in old_left {
        let Some(o) = old.rules.get(i) else {
            continue;
        };
        let found = new
            .rules
            .iter()
            .enumerate()
            .find(|(j, n)| !new_used.get(*j).copied().unwrap_or(true) && n.id == o.id)
            .map(|(j, _)| j);
        match found {
            Some(j) => {
                if let Some(u) = new_used.get_mut(j) {
                    *u = true;
                }
                pairs.push((i, j, "id"));
            }
            None => removed.push(summary(o)),
        }
    }
    let added: Vec<RuleSummary> = new
        .rules
        .iter()
        .zip(&new_used)
        .filter(|(_, used)| !**used)
        .map(|(n, _)| summary(n))
        .collect();
    let mut changed = Vec::new();
    let mut unchanged = 0;
    for (i, j, by) in pairs {
        let (Some(o), Some(n)) = (old.rules.get(i), new.rules.get(j)) else {
            continue;
        };
        let changes = rule_changes(o, n);
        if changes.is_empty() {
            unchanged += 1;
        } else {
            changed.push(ChangedRule {
                id: n.id.clone(),
                old_id: o.id.clone(),
                matched_by: by.to_owned(),
                old_predicate: o.predicate.clone(),
                new_predicate: n.predicate.clone(),
                changes,
            });
        }
    }
    changed.sort_by(|a, b| (&a.id, &a.old_id).cmp(&(&b.id, &b.old_id)));
    removed.sort_by(|a, b| (&a.native_type, &a.id).cmp(&(&b.native_type, &b.id)));
    let mut not_compiled: Vec<String> = old
        .rules
        .iter()
        .map(|r| (&old.side.path, r))
        .chain(new.rules.iter().map(|r| (&new.side.path, r)))
        .filter_map(|(p, r)| r.error.as_ref().map(|e| format!("{p}: {}: {e}", r.id)))
        .collect();
    not_compiled.sort();
    CorpusDiff {
        old: old.side.clone(),
        new: new.side.clone(),
        added,
        removed,
        changed,
        unchanged,
        not_compiled,
    }
}

fn rule_changes(o: &DiffRule, n: &DiffRule) -> Vec<Change> {
    use serde_json::Value as J;
    let s = |x: &str| J::String(x.to_owned());
    let opt = |x: &Option<String>| x.as_ref().map_or(J::Null, |v| J::String(v.clone()));
    let mut out = Vec::new();
    let mut push = |field: &str, old: J, new: J| {
        if old != new {
            out.push(Change {
                field: field.to_owned(),
                old,
                new,
            });
        }
    };
    push("id", s(&o.id), s(&n.id));
    push("native_type", s(&o.native_type), s(&n.native_type));
    push("severity", s(&o.severity), s(&n.severity));
    match (&o.predicate, &n.predicate) {
        (Some(a), Some(b)) => push("predicate", s(a), s(b)),
        _ => push("predicate", s(&o.written), s(&n.written)),
    }
    push("message", opt(&o.message), opt(&n.message));
    push(
        "kwargs_positive",
        o.kwargs_positive.clone(),
        n.kwargs_positive.clone(),
    );
    push(
        "kwargs_negative",
        o.kwargs_negative.clone(),
        n.kwargs_negative.clone(),
    );
    out
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    }
}

/// Human output, cargo-style.
pub fn render_human(diff: &CorpusDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "   Comparing {} {} ({}, {} rules)",
        diff.old.engine, diff.old.engine_version, diff.old.path, diff.old.rules
    );
    let _ = writeln!(
        out,
        "          to {} {} ({}, {} rules)",
        diff.new.engine, diff.new.engine_version, diff.new.path, diff.new.rules
    );
    let describe = |r: &RuleSummary| {
        format!(
            "{} [{} {}]",
            r.id,
            r.severity,
            r.native_type.rsplit('.').next().unwrap_or(&r.native_type)
        )
    };
    for r in &diff.added {
        let _ = writeln!(out, "       Added {}", describe(r));
        if let Some(p) = &r.predicate {
            let _ = writeln!(out, "             when {p}");
        }
    }
    for r in &diff.removed {
        let _ = writeln!(out, "     Removed {}", describe(r));
        if let Some(p) = &r.predicate {
            let _ = writeln!(out, "             when {p}");
        }
    }
    for c in &diff.changed {
        let title = if c.id == c.old_id {
            c.id.clone()
        } else {
            format!("{} (was {})", c.id, c.old_id)
        };
        let _ = writeln!(out, "     Changed {title}, matched by {}", c.matched_by);
        for ch in &c.changes {
            match ch.field.as_str() {
                "id" => {}
                "predicate" | "message" => {
                    let _ = writeln!(out, "             {}:", ch.field);
                    let _ = writeln!(out, "               - {}", show(&ch.old));
                    let _ = writeln!(out, "               + {}", show(&ch.new));
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "             {}: {} -> {}",
                        ch.field,
                        show(&ch.old),
                        show(&ch.new)
                    );
                }
            }
        }
    }
    for e in &diff.not_compiled {
        let _ = writeln!(out, "warning: rule does not compile: {e}");
    }
    let _ = writeln!(
        out,
        "     Summary {} added, {} removed, {} changed, {} unchanged",
        diff.added.len(),
        diff.removed.len(),
        diff.changed.len(),
        diff.unchanged
    );
    out
}

/// JSON output (pretty, stable key order).
pub fn render_json(diff: &CorpusDiff) -> String {
    serde_json::to_string_pretty(diff).unwrap_or_else(|_| "{}".to_owned())
}
