//! `docs/generated/invariants-<engine>.md`: the reference of shipped rules, generated from the
//! corpora of every supported library version.
//!
//! Rules of different versions are the same rule when their fingerprints agree (native type,
//! severity, canonical predicate), so a rule that holds in several versions is listed once with
//! the versions it holds in. Sections: per native type, per severity (error, warn, dormant); in
//! each, rules sorted by id. Each rule: its predicate, message, library source location per
//! version, the stage at which the library shows it (construct, validate, generate), example
//! kwargs on which it fires and on which it does not. Deterministic: the same
//! corpora give the same bytes.

use llemc_compiler::corpus::{RuleDoc, RuleSeverity, read_corpus};
use llemc_compiler::diagnostic::{Diagnostic, FileId, SourceMap};
use llemc_compiler::yaml_out::Yaml;
use llemc_mining::failure::Failure;
use llemc_mining::rule::compile_rule;
use llemc_mining::staging::OpaqueRule;
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
    /// The static miner's opaque sites of this version that need runtime context (`needs`):
    /// listed under "Needs runtime context", never shipped.
    pub context_sites: &'a [OpaqueRule],
}

/// One rule as documented, merged over the versions it holds in.
#[derive(Clone, Debug, Default)]
struct Entry {
    id: String,
    /// Where the library shows it (`construct`, `validate`, `generate`).
    stage: String,
    when: String,
    message: String,
    /// `(version, "path:line (method)")` in the order the corpora were given.
    sources: Vec<(String, String)>,
    fires_on: String,
    passes_on: String,
    versions: Vec<String>,
}

/// Native type → severity → canonical predicate → the rule documented.
type Sections = BTreeMap<String, BTreeMap<RuleSeverity, BTreeMap<String, Entry>>>;

/// Renders the reference for `engine` from the corpora of its versions (newest first as given).
/// A corpus that does not read, or a rule that does not compile on its own (`E661`), stops it
/// with diagnostics into the corpus.
pub fn render(
    engine: &str,
    command: &str,
    corpora: &[VersionCorpus<'_>],
) -> Result<String, Failure> {
    let mut sections: Sections = BTreeMap::new();
    let mut counts: Vec<(String, [usize; 3])> = Vec::new();
    let mut sources = SourceMap::new();
    for corpus in corpora {
        let file = sources.add(corpus.path, corpus.text);
        match add_version(&mut sections, corpus, file) {
            Ok(count) => counts.push((corpus.version.to_owned(), count)),
            Err(diagnostics) => return Err(Failure::new(diagnostics, sources)),
        }
    }
    Ok(write(engine, command, corpora, &counts, &sections))
}

/// Adds the rules of one version; how many rules of each severity it has.
fn add_version(
    sections: &mut Sections,
    corpus: &VersionCorpus<'_>,
    file: FileId,
) -> Result<[usize; 3], Vec<Diagnostic>> {
    let (read, diagnostics) = read_corpus(file, corpus.text);
    let read = match read {
        Some(c) if !diagnostics.iter().any(Diagnostic::is_error) => c,
        _ => return Err(diagnostics),
    };
    let mut count = [0usize; 3];
    for rule in &read.rules {
        let doc = RuleDoc::from_rule(rule);
        let compiled = compile_rule(corpus.version, &doc, corpus.schema).map_err(|d| {
            vec![
                Diagnostic::error(
                    "E661",
                    format!(
                        "rule `{}` does not compile: {}: {}",
                        doc.id, d.code, d.message
                    ),
                )
                .with_primary(file, rule.id.span, "this rule")
                .with_help(format!(
                    "run `llemc check {}` for the rule's diagnostics",
                    corpus.path
                )),
            ]
        })?;
        let fp = compiled.fingerprint;
        let severity = RuleSeverity::parse(&fp.severity).unwrap_or(doc.severity);
        if let Some(slot) = RuleSeverity::ALL.iter().position(|s| *s == severity)
            && let Some(c) = count.get_mut(slot)
        {
            *c += 1;
        }
        let entry = sections
            .entry(fp.native_type.clone())
            .or_default()
            .entry(severity)
            .or_default()
            .entry(fp.predicate.clone())
            .or_insert_with(|| Entry {
                id: doc.id.clone(),
                stage: doc.stage.unwrap_or_default().as_str().to_owned(),
                when: doc
                    .when
                    .clone()
                    .filter(|w| !w.is_empty())
                    .unwrap_or_else(|| fp.predicate.clone()),
                message: doc.message_template.clone().unwrap_or_default(),
                fires_on: flow(doc.kwargs_positive.as_ref()),
                passes_on: flow(doc.kwargs_negative.as_ref()),
                ..Entry::default()
            });
        entry.versions.push(corpus.version.to_owned());
        if let Some(source) = &doc.miner_source {
            let path = source.path.as_deref().unwrap_or("?");
            let method = source.method.as_deref().unwrap_or("?");
            let line = source
                .line_at_scan
                .map_or_else(|| "?".to_owned(), |n| n.to_string());
            entry.sources.push((
                corpus.version.to_owned(),
                format!("`{path}:{line}` ({method})"),
            ));
        }
    }
    Ok(count)
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
    sections: &Sections,
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
        for severity in RuleSeverity::ALL {
            let Some(rules) = by_severity.get(&severity) else {
                continue;
            };
            let mut entries: Vec<&Entry> = rules.values().collect();
            entries.sort_by(|a, b| a.id.cmp(&b.id));
            let _ = writeln!(out, "\n### {} ({})", severity.as_str(), entries.len());
            for e in entries {
                let _ = writeln!(out, "\n#### `{}`\n", e.id);
                let _ = writeln!(out, "- when: `{}`", e.when.replace('`', "'"));
                let _ = writeln!(out, "- stage: {}", e.stage);
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
    write_context_sites(&mut out, corpora);
    out
}

/// "Needs runtime context": the sites whose condition reads the running engine (its platform,
/// devices, model, environment), once per site with the versions it is found in.
fn write_context_sites(out: &mut String, corpora: &[VersionCorpus<'_>]) {
    // (native type, needs, method, condition) -> (line per version, versions)
    let mut sites: BTreeMap<(String, String, String, String), Vec<String>> = BTreeMap::new();
    for corpus in corpora {
        for site in corpus.context_sites {
            let Some(needs) = &site.needs else { continue };
            let line = site
                .miner_source
                .line_at_scan
                .map_or_else(|| "?".to_owned(), |n| n.to_string());
            sites
                .entry((
                    site.native_type.clone(),
                    needs.clone(),
                    site.miner_source.method.clone(),
                    site.source_text.clone(),
                ))
                .or_default()
                .push(format!(
                    "{} (`{}:{line}`)",
                    corpus.version, site.miner_source.path
                ));
        }
    }
    if sites.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n## Needs runtime context\n\nChecks whose condition reads the running engine, not the \
         config (the SSOT's `runtime_context:`): a config alone cannot decide them, so none \
         ships as a rule. {} site(s).\n",
        sites.len()
    );
    let _ = writeln!(
        out,
        "| native type | needs | method | condition | found in |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for ((native, needs, method, condition), found) in &sites {
        let _ = writeln!(
            out,
            "| `{native}` | {needs} | {method} | `{}` | {} |",
            condition.replace('`', "'").replace('|', "\\|"),
            found.join(", ")
        );
    }
}

/// A message as inline markdown: one line, backticks kept as code spans would break it.
fn quote(message: &str) -> String {
    let one_line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("“{}”", one_line.replace('|', "\\|"))
}
