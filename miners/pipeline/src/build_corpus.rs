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

use crate::build_merge::{Candidate, MergedRule, merge_group};
use llemc_compiler::atomic_write::write_atomically;
use llemc_compiler::corpus::{AddedBy, RuleDoc, read_corpus, write_corpus};
use llemc_compiler::diagnostic::{Diagnostic, SourceMap};
use llemc_compiler::versions::Specifier;
use llemc_mining::failure::{Failure, cannot_read, cannot_write, read_text};
use llemc_mining::layout::Layout;
use llemc_mining::rule::{CompiledRule, Fingerprint, compile_rule, corpus_doc, one_line};
use llemc_mining::ssot::read_ssot;
use llemc_mining::staging::{ContextSites, OpaqueRule, StagingFile};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

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

/// Precedence of a source for the predicate and kwargs (lower wins).
pub fn precedence(added_by: AddedBy) -> u32 {
    match added_by {
        AddedBy::StaticMiner | AddedBy::AstWalker => 0,
        AddedBy::PydanticLift
        | AddedBy::MsgspecLift
        | AddedBy::DataclassLift
        | AddedBy::Introspection => 1,
        AddedBy::DynamicMiner => 2,
        AddedBy::RuntimeWarning | AddedBy::ObservedCollision => 3,
        AddedBy::ManualSeed => 4,
    }
}

/// The version to build when none is given: the SSOT's `default_version`, else the only version
/// with staging files.
pub fn default_version(layout: &Layout, engine: &str) -> Result<String, Failure> {
    let ssot_path = layout.ssot(engine);
    if ssot_path.is_file() {
        let shown = layout.display(&ssot_path);
        let text = read_text(&ssot_path, &shown, None)?;
        let mut sources = SourceMap::new();
        let file = sources.add(&shown, text.as_str());
        return read_ssot(file, &text)
            .map(|ssot| ssot.default_version)
            .map_err(|diagnostics| Failure::new(diagnostics, sources));
    }
    let staging = layout.staging_root(engine);
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
        [] => Err(Diagnostic::error(
            "E631",
            format!(
                "no version given and no staging files under `{}`",
                layout.display(&staging)
            ),
        )
        .with_help("run the miners first, or pass --version")
        .into()),
        many => Err(Diagnostic::error(
            "E631",
            format!(
                "no version given and several versions have staging files ({})",
                many.join(", ")
            ),
        )
        .with_help("pass --version")
        .into()),
    }
}

/// Builds the proposed corpus and writes it. `Err` when nothing could be written.
pub fn build_corpus(options: &BuildOptions) -> Result<BuildReport, Failure> {
    let layout = Layout::new(&options.root);
    let engine = options.engine.as_str();
    let version = match &options.version {
        Some(v) => v.clone(),
        None => default_version(&layout, engine)?,
    };
    let schema_file = layout.schema(engine, &version);
    let schema_name = layout.display(&schema_file);
    let schema_text = read_text(&schema_file, &schema_name, None)?;
    let schema = (schema_name.as_str(), schema_text.as_str());
    let mut report = BuildReport {
        engine: engine.to_owned(),
        version: version.clone(),
        schema: schema_name.clone(),
        ..BuildReport::default()
    };

    let (mut candidates, context_sites) = read_staging(&layout, engine, &version, &mut report)?;
    candidates.extend(read_seeds(&layout, engine, &version, &mut report)?);
    let groups = group(&version, schema, candidates, &mut report);
    let mut rules: Vec<MergedRule> = Vec::new();
    for mut members in groups.into_values() {
        members.sort_by(|(a, _), (b, _)| {
            (precedence(a.rule.added_by), &a.source, &a.rule.id).cmp(&(
                precedence(b.rule.added_by),
                &b.source,
                &b.rule.id,
            ))
        });
        if let Some(merged) = merge_group(engine, &version, schema, &members, &mut report) {
            rules.push(merged);
        }
    }
    let kept = unique_ids(rules, &mut report);
    report.written = kept.len();
    sort_report(&mut report);

    let comment = format!(
        "Generated by `llemc build-corpus --engine {engine} --version {version}`: do not edit.\n\
         Sources: the staging files of every miner and {}.",
        layout.display(&layout.seeds(engine))
    );
    let text = write_corpus(&comment, &corpus_doc(engine, &version, kept));
    let out_path = layout.proposed(engine, &version);
    report.output = layout.display(&out_path);
    must_compile(&report.output, &text, schema, &version)?;
    write_atomically(&out_path, &text).map_err(|e| cannot_write(&report.output, &e))?;
    write_context_sites(&layout, engine, &version, context_sites)?;
    Ok(report)
}

/// Commits the sites that need runtime context beside the proposed corpus (`llemc docs` lists
/// them); with none, a file left from an earlier build is removed.
fn write_context_sites(
    layout: &Layout,
    engine: &str,
    version: &str,
    sites: Vec<OpaqueRule>,
) -> Result<(), Failure> {
    let path = layout.runtime_context(engine, version);
    let shown = layout.display(&path);
    if sites.is_empty() {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(cannot_write(&shown, &e).into())
            }
            _ => Ok(()),
        };
    }
    let text = ContextSites::render(
        format!("llemc build-corpus --engine {engine} --version {version}"),
        sites,
    );
    write_atomically(&path, &text).map_err(|e| cannot_write(&shown, &e).into())
}

/// Compiles each candidate and groups them by fingerprint; the ones that do not compile are
/// dropped.
fn group(
    version: &str,
    schema: (&str, &str),
    candidates: Vec<Candidate>,
    report: &mut BuildReport,
) -> BTreeMap<Fingerprint, Vec<(Candidate, CompiledRule)>> {
    let mut groups: BTreeMap<Fingerprint, Vec<(Candidate, CompiledRule)>> = BTreeMap::new();
    for cand in candidates {
        match compile_rule(version, &cand.rule, schema) {
            Ok(compiled) => groups
                .entry(compiled.fingerprint.clone())
                .or_default()
                .push((cand, compiled)),
            Err(d) => report.dropped.push(Dropped {
                id: cand.rule.id.clone(),
                source: cand.source.clone(),
                reason: format!("does not compile: {}", one_line(&d)),
            }),
        }
    }
    groups
}

/// Ids must be unique: the first by `(native type, id)` keeps it; the rules kept, sorted by
/// `(native type, id)`.
fn unique_ids(mut rules: Vec<MergedRule>, report: &mut BuildReport) -> Vec<RuleDoc> {
    rules.sort_by(|a, b| (&a.native, &a.id).cmp(&(&b.native, &b.id)));
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut kept: Vec<(String, String, RuleDoc)> = Vec::new();
    for merged in rules {
        if let Some(other) = seen.get(&merged.id) {
            report.dropped.push(Dropped {
                id: merged.id.clone(),
                source: merged.source,
                reason: format!(
                    "id already used by a rule with a different predicate or severity (from {other})"
                ),
            });
            continue;
        }
        seen.insert(merged.id.clone(), merged.source);
        let native = merged.rule.native_type.clone().unwrap_or_default();
        kept.push((native, merged.id, merged.rule));
    }
    kept.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    kept.into_iter().map(|(_, _, rule)| rule).collect()
}

fn sort_report(report: &mut BuildReport) {
    report.merged.sort_by(|a, b| a.id.cmp(&b.id));
    report.synthesized.sort();
    report
        .notes
        .sort_by(|a, b| (&a.id, &a.note).cmp(&(&b.id, &b.note)));
    report
        .dropped
        .sort_by(|a, b| (&a.id, &a.source, &a.reason).cmp(&(&b.id, &b.source, &b.reason)));
}

/// `E630`: the whole corpus must compile without errors before it is written.
fn must_compile(
    name: &str,
    text: &str,
    schema: (&str, &str),
    version: &str,
) -> Result<(), Failure> {
    let input = CorpusInput {
        name,
        text,
        schema: Some(schema),
        compat: false,
        engine_version: Some(version.to_owned()),
    };
    match compile_corpus(&input) {
        Ok(_) => Ok(()),
        Err(failure) => {
            let mut diagnostics = vec![
                Diagnostic::error(
                    "E630",
                    format!("internal error: the merged corpus `{name}` does not compile; nothing written"),
                )
                .with_note("every rule compiled on its own: the rules conflict with each other")
                .with_help("report this with the diagnostics below"),
            ];
            diagnostics.extend(failure.diagnostics);
            Err(Failure::new(diagnostics, failure.sources))
        }
    }
}

/// Every staging file of the version (`E621` when there is none), as candidates, and their
/// opaque sites that need runtime context.
fn read_staging(
    layout: &Layout,
    engine: &str,
    version: &str,
    report: &mut BuildReport,
) -> Result<(Vec<Candidate>, Vec<OpaqueRule>), Failure> {
    let dir = layout.staging(engine, version);
    let shown = layout.display(&dir);
    let none = |why: String| {
        Diagnostic::error("E621", format!("no staging files: {why}")).with_help(format!(
            "run the miners first (`llemc mine static --engine {engine} --version {version}`, ...)"
        ))
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| none(format!("cannot read `{shown}`: {e}")))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(none(format!("`{shown}` holds no `.json` file")).into());
    }
    let mut out = Vec::new();
    let mut context = Vec::new();
    for file in files {
        let name = layout.display(&file);
        let short = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.clone());
        let staging = StagingFile::read(&file, &name)?;
        staging.check_for(&name, engine, version)?;
        report.opaque += staging.opaque.len();
        context.extend(
            staging
                .opaque
                .iter()
                .filter_map(|site| OpaqueRule::deserialize(site).ok())
                .filter(|site| site.needs.is_some()),
        );
        report.staging.push((short.clone(), staging.rules.len()));
        for (i, rule) in staging.typed_rules().into_iter().enumerate() {
            match rule {
                Ok(rule) => {
                    let doc = rule.doc(engine);
                    out.extend(candidate(doc, &short, false, version, report));
                }
                Err(e) => report.dropped.push(Dropped {
                    id: format!("#{}", i + 1),
                    source: short.clone(),
                    reason: format!("not a staged rule: {e}"),
                }),
            }
        }
    }
    Ok((out, context))
}

/// The manual seeds (none when the engine has no seeds file); a seeds file that does not read
/// stops the build with the reader's diagnostics.
fn read_seeds(
    layout: &Layout,
    engine: &str,
    version: &str,
    report: &mut BuildReport,
) -> Result<Vec<Candidate>, Failure> {
    let path = layout.seeds(engine);
    let name = layout.display(&path);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(cannot_read(&name, &e).into()),
    };
    let mut sources = SourceMap::new();
    let file = sources.add(&name, text.as_str());
    let (corpus, diagnostics) = read_corpus(file, &text);
    let corpus = match corpus {
        Some(c) if !diagnostics.iter().any(Diagnostic::is_error) => c,
        _ => return Err(Failure::new(diagnostics, sources)),
    };
    let short = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(name);
    let mut out = Vec::new();
    for rule in &corpus.rules {
        if let Some(c) = candidate(RuleDoc::from_rule(rule), &short, true, version, report) {
            out.push(c);
            report.seeds += 1;
        }
    }
    Ok(out)
}

/// A rule as a candidate if its `versions:` select `version` (a seed left out is counted).
fn candidate(
    rule: RuleDoc,
    source: &str,
    seed: bool,
    version: &str,
    report: &mut BuildReport,
) -> Option<Candidate> {
    if let Some(spec) = &rule.versions {
        match Specifier::parse(spec) {
            Ok(s) if s.matches(version) => {}
            Ok(_) => {
                if seed {
                    report.seeds_other_versions += 1;
                }
                return None;
            }
            Err(e) => {
                report.dropped.push(Dropped {
                    id: rule.id,
                    source: source.to_owned(),
                    reason: format!("bad `versions`: {e}"),
                });
                return None;
            }
        }
    }
    Some(Candidate {
        source: source.to_owned(),
        rule,
    })
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
