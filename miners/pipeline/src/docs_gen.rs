//! `docs/generated/invariants-<engine>.md`: the reference of shipped rules, generated from the
//! corpora of every supported library version.
//!
//! Rules of different versions are the same rule when their fingerprints agree (native type,
//! severity, canonical predicate), so a rule that holds in several versions is listed once with
//! the versions it holds in. Sections: per native type, per severity (error, warn, dormant); in
//! each, rules sorted by id. Each rule: its predicate, message, library source location per
//! version, example kwargs on which it fires and on which it does not. Deterministic: the same
//! corpora give the same bytes.

use llemc_compiler::diagnostic::FileId;
use llemc_compiler::yaml::{Node, parse_yaml};
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::rule::compile_rule;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One version's corpus, as read.
#[derive(Clone, Debug)]
pub struct VersionCorpus<'a> {
    /// Library version.
    pub version: &'a str,
    /// Path shown in the header.
    pub path: &'a str,
    /// Corpus text.
    pub text: &'a str,
    /// Engine schema `(name, text)` the corpus compiles against.
    pub schema: (&'a str, &'a str),
}

/// Why the reference could not be generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocsError(pub String);

impl std::fmt::Display for DocsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One rule as documented, merged over the versions it holds in.
#[derive(Clone, Debug, Default)]
struct Entry {
    id: String,
    when: String,
    message: String,
    /// `(version, "path:line (method)")` in the order the corpora were given.
    sources: Vec<(String, String)>,
    fires_on: String,
    passes_on: String,
    versions: Vec<String>,
}

const SEVERITIES: [&str; 3] = ["error", "warn", "dormant"];

/// Renders the reference for `engine` from the corpora of its versions (newest first as given).
pub fn render(
    engine: &str,
    command: &str,
    corpora: &[VersionCorpus<'_>],
) -> Result<String, DocsError> {
    // native type -> severity -> canonical predicate -> entry
    let mut sections: BTreeMap<String, BTreeMap<String, BTreeMap<String, Entry>>> = BTreeMap::new();
    let mut counts: Vec<(String, [usize; 3])> = Vec::new();
    for corpus in corpora {
        let root = parse_yaml(FileId(0), corpus.text)
            .map_err(|d| DocsError(format!("{}: {}", corpus.path, d.message)))?;
        let rules = root.get("rules").and_then(Node::as_seq).unwrap_or_default();
        let mut count = [0usize; 3];
        for node in rules {
            let Yaml::Map(fields) = Yaml::from_node(node) else {
                continue;
            };
            let text = |key: &str| {
                fields
                    .iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let id = text("id");
            let compiled = compile_rule(engine, corpus.version, &fields, corpus.schema)
                .map_err(|e| DocsError(format!("{}: rule `{id}`: {e}", corpus.path)))?;
            let fp = compiled.fingerprint;
            if let Some(slot) = SEVERITIES.iter().position(|s| *s == fp.severity)
                && let Some(c) = count.get_mut(slot)
            {
                *c += 1;
            }
            let entry = sections
                .entry(fp.native_type.clone())
                .or_default()
                .entry(fp.severity.clone())
                .or_default()
                .entry(fp.predicate.clone())
                .or_insert_with(|| Entry {
                    id: id.clone(),
                    when: if text("when").is_empty() {
                        fp.predicate.clone()
                    } else {
                        text("when")
                    },
                    message: text("message_template"),
                    fires_on: flow(
                        fields
                            .iter()
                            .find(|(k, _)| k == "kwargs_positive")
                            .map(|(_, v)| v),
                    ),
                    passes_on: flow(
                        fields
                            .iter()
                            .find(|(k, _)| k == "kwargs_negative")
                            .map(|(_, v)| v),
                    ),
                    ..Entry::default()
                });
            entry.versions.push(corpus.version.to_owned());
            if let Some(source) = fields
                .iter()
                .find(|(k, _)| k == "miner_source")
                .map(|(_, v)| v)
            {
                let path = source.get("path").and_then(Yaml::as_str).unwrap_or("?");
                let method = source.get("method").and_then(Yaml::as_str).unwrap_or("?");
                let line = match source.get("line_at_scan") {
                    Some(Yaml::Int(n)) => n.to_string(),
                    _ => "?".to_owned(),
                };
                entry.sources.push((
                    corpus.version.to_owned(),
                    format!("`{path}:{line}` ({method})"),
                ));
            }
        }
        counts.push((corpus.version.to_owned(), count));
    }
    Ok(write(engine, command, corpora, &counts, &sections))
}

fn flow(value: Option<&Yaml>) -> String {
    match value.map(Yaml::to_json) {
        Some(serde_json::Value::Object(m)) => serde_json::Value::Object(m).to_string(),
        _ => "(none)".to_owned(),
    }
}

fn write(
    engine: &str,
    command: &str,
    corpora: &[VersionCorpus<'_>],
    counts: &[(String, [usize; 3])],
    sections: &BTreeMap<String, BTreeMap<String, BTreeMap<String, Entry>>>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {engine}: the shipped rules\n");
    let _ = writeln!(
        out,
        "<!-- Generated by `{command}`; do not edit. -->\n\nGenerated from {}. A rule is listed once per native type and severity, with every \
         supported version it holds in; `fires on` and `passes on` are the kwargs the validation \
         gate replayed against the library.\n",
        corpora
            .iter()
            .map(|c| format!("`{}`", c.path))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(out, "| version | error | warn | dormant | total |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for (version, [e, w, d]) in counts {
        let _ = writeln!(out, "| {version} | {e} | {w} | {d} | {} |", e + w + d);
    }
    for (native, by_severity) in sections {
        let _ = writeln!(out, "\n## `{native}`");
        for severity in SEVERITIES {
            let Some(rules) = by_severity.get(severity) else {
                continue;
            };
            let mut entries: Vec<&Entry> = rules.values().collect();
            entries.sort_by(|a, b| a.id.cmp(&b.id));
            let _ = writeln!(out, "\n### {severity} ({})", entries.len());
            for e in entries {
                let _ = writeln!(out, "\n#### `{}`\n", e.id);
                let _ = writeln!(out, "- when: `{}`", e.when.replace('`', "'"));
                if !e.message.is_empty() {
                    let _ = writeln!(out, "- message: {}", quote(&e.message));
                }
                let _ = writeln!(out, "- holds in: {}", e.versions.join(", "));
                for (version, source) in &e.sources {
                    let _ = writeln!(out, "- source ({version}): {source}");
                }
                let _ = writeln!(out, "- fires on: `{}`", e.fires_on);
                let _ = writeln!(out, "- passes on: `{}`", e.passes_on);
            }
        }
    }
    out
}

/// A message as inline markdown: one line, backticks kept as code spans would break it.
fn quote(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("“{}”", one_line.replace('|', "\\|"))
}
