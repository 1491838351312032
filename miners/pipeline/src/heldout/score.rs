//! `llemc heldout score`: how well a corpus predicts what the library does with the held-out set.
//!
//! The corpus is compiled in schema mode (the version's schema) and every case's kwargs are bound
//! as `transformers.GenerationConfig` kwargs (the `generation` section) and evaluated. Then, per
//! case:
//!
//! - **errors**: TP = an llemc `error` fired and the library rejects; FP = an llemc `error` fired
//!   and the library accepts (a valid config rejected); FN = the library rejects and no llemc
//!   `error` fired. Cases that timed out or whose class was unavailable are left out.
//! - **warn/dormant**, over the cases the library accepts (a rejected case reports nothing else):
//!   the library "reports" a case when `validate(strict=True)` finds minor issues, a warning is
//!   emitted, or a field is normalised; llemc reports it when a `warn` or `dormant` rule fires.
//!   Per field: the library's fields are the minor-issue fields, the normalised fields and the
//!   kwargs a warning names in backticks; llemc's are the subjects of the firing rules.
//!
//! These two count the construct + validate outcome and the rules of those stages; the
//! **whole run** ([`super::whole_run`]) counts every `error` rule against the outcome through
//! generate() as well.

use super::{
    Case, ENGINE, KWARGS_FILE, Label, NATIVE_TYPE, Outcome, check_unique, data_error, read_jsonl,
    whole_run,
};
use llemc_compiler::corpus::RuleSeverity;
use llemc_compiler::corpus::read_corpus;
use llemc_compiler::diagnostic::{Diagnostic, FileId};
use llemc_mining::failure::{Failure, read_text};
use llemc_mining::layout::{Artifact, Layout};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::findings::Finding;
use llemc_runtime::loaded::LoadedProgram;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The quality goals of the held-out evaluation.
pub const GOAL_ERROR_PRECISION: f64 = 0.995;
/// Error recall goal.
pub const GOAL_ERROR_RECALL: f64 = 0.95;
/// Warn/dormant precision goal.
pub const GOAL_ADVISORY_PRECISION: f64 = 0.95;
/// Warn/dormant recall goal.
pub const GOAL_ADVISORY_RECALL: f64 = 0.90;

/// How many ids a human report lists per group.
const IDS_SHOWN: usize = 8;

/// What to score.
#[derive(Clone, Debug)]
pub struct ScoreOptions {
    /// The corpus file.
    pub corpus: PathBuf,
    /// The labels file (`eval/heldout/labels-<version>.jsonl`).
    pub labels: PathBuf,
    /// The cases (default: `generation_kwargs.jsonl` beside the labels).
    pub kwargs: Option<PathBuf>,
    /// The engine schema (default: `schema.yaml` beside the corpus, else the schema of the
    /// corpus's own `engine_version`, else `engines/transformers/<version>/schema.yaml`).
    pub schema: Option<PathBuf>,
    /// The library version (default: read from the labels file name `labels-<version>.jsonl`).
    pub engine_version: Option<String>,
}

/// llemc's verdict on one case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Ids of the `error` rules of stage construct or validate that fired.
    pub errors: Vec<String>,
    /// Ids of the `error` rules of stage generate that fired.
    pub run_errors: Vec<String>,
    /// `(rule id, severity, field)` of the `warn` / `dormant` rules that fired.
    pub advisories: Vec<(String, String, String)>,
}

/// True/false positives and negatives with the derived ratios.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Both say yes.
    pub tp: usize,
    /// llemc says yes, the library no.
    pub fp: usize,
    /// The library says yes, llemc no.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Both say no.
    pub tn: usize,
    /// tp / (tp + fp); `None` when llemc never said yes.
    pub precision: Option<f64>,
    /// tp / (tp + fn); `None` when the library never said yes.
    pub recall: Option<f64>,
}

impl Counts {
    pub(crate) fn add(&mut self, llemc: bool, library: bool) {
        match (llemc, library) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    pub(crate) fn finish(&mut self) {
        self.precision = ratio(self.tp, self.tp + self.fp);
        self.recall = ratio(self.tp, self.tp + self.fn_);
    }
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// A valid config llemc rejects.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorFalsePositive {
    /// Case id.
    pub id: String,
    /// The error rules that fired.
    pub rules: Vec<String>,
}

/// A library rejection llemc misses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErrorFalseNegative {
    /// Case id.
    pub id: String,
    /// The group it is counted in (exception type and the fields its message names).
    pub group: String,
    /// Exception type.
    pub exception_type: String,
    /// The library's message.
    pub message: String,
}

/// A warn/dormant finding on a field the library does not report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdvisoryFalsePositive {
    /// Case id.
    pub id: String,
    /// The rule.
    pub rule: String,
    /// Its severity.
    pub severity: String,
    /// The field it is about.
    pub field: String,
}

/// A field the library reports and no warn/dormant finding names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdvisoryFalseNegative {
    /// Case id.
    pub id: String,
    /// The field.
    pub field: String,
    /// How the library reported it (`minor issue`, `normalised`, `warning`).
    pub how: String,
    /// The library's text.
    pub library: String,
}

/// Error findings against library rejections.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorScore {
    /// Per case.
    pub counts: Counts,
    /// Configs the library accepts and llemc rejects (= `counts.fp`).
    pub valid_configs_rejected: usize,
    /// False positives by rule id (a case counts once per rule that fired).
    pub fp_by_rule: BTreeMap<String, Vec<String>>,
    /// False negatives by group.
    pub fn_by_group: BTreeMap<String, Vec<String>>,
    /// Every false positive.
    pub false_positives: Vec<ErrorFalsePositive>,
    /// Every false negative.
    pub false_negatives: Vec<ErrorFalseNegative>,
}

/// Warn/dormant findings against library warnings, minor issues and normalisations.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AdvisoryScore {
    /// Cases the library accepts.
    pub scored: usize,
    /// Per case.
    pub configs: Counts,
    /// Per (case, field): `tp` / `fp` count llemc's fields the library does / does not name,
    /// `fn` the fields the library reports about that no finding names; `tn` stays 0.
    pub fields: Counts,
    /// Fields the library reports about (the denominator of the per-field recall).
    pub fields_reported: usize,
    /// Per-field false positives by rule id.
    pub fp_by_rule: BTreeMap<String, Vec<String>>,
    /// Per-field false negatives by field and how the library reported it.
    pub fn_by_field: BTreeMap<String, Vec<String>>,
    /// Every per-field false positive.
    pub false_positives: Vec<AdvisoryFalsePositive>,
    /// Every per-field false negative.
    pub false_negatives: Vec<AdvisoryFalseNegative>,
}

/// One goal and whether it is met.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Goal {
    /// What is measured.
    pub name: String,
    /// The bar, as text (`>= 99.5%`, `== 0`).
    pub target: String,
    /// The measured value, as text.
    pub value: String,
    /// Whether it is met.
    pub met: bool,
}

/// The whole score of one corpus against one labels file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Score {
    /// The corpus (as shown).
    pub corpus: String,
    /// The labels file (as shown).
    pub labels: String,
    /// The library version the labels describe.
    pub engine_version: String,
    /// Rules in the compiled program.
    pub rules: usize,
    /// Cases in the held-out set.
    pub cases: usize,
    /// Cases the library accepts.
    pub library_accepted: usize,
    /// Cases the library rejects.
    pub library_rejected: usize,
    /// Ids left out (timeout, unavailable).
    pub excluded: Vec<String>,
    /// Error findings.
    pub error: ErrorScore,
    /// Warn/dormant findings.
    pub advisory: AdvisoryScore,
    /// Error findings of every stage against the whole run (construct, validate, generate()).
    pub whole_run: ErrorScore,
    /// Over the configs that construct and validate but fail in generate(): TP caught by an
    /// `error` rule, FN missed.
    pub generate_failures: Counts,
    /// The goals.
    pub goals: Vec<Goal>,
}

/// Reads the files, compiles the corpus, evaluates every case and scores it.
pub fn score_files(options: &ScoreOptions) -> Result<Score, Failure> {
    let version = match &options.engine_version {
        Some(v) => v.clone(),
        None => version_from_labels(&options.labels).ok_or_else(|| {
            Diagnostic::error(
                "E691",
                format!(
                    "cannot tell the library version from `{}`",
                    options.labels.display()
                ),
            )
            .with_help("name it labels-<version>.jsonl or give --engine-version")
        })?,
    };
    let root = find_root(&options.corpus);

    let kwargs_path = options.kwargs.clone().unwrap_or_else(|| {
        options
            .labels
            .parent()
            .map(|p| p.join("generation_kwargs.jsonl"))
            .unwrap_or_else(|| PathBuf::from(KWARGS_FILE))
    });
    let read = |p: &Path| read_text(p, &p.display().to_string(), None);
    let corpus_text = read(&options.corpus)?;
    let schema_path = match &options.schema {
        Some(s) => s.clone(),
        None => default_schema(&root, &options.corpus, &corpus_text, &version)?,
    };
    let schema_text = read(&schema_path)?;
    let corpus_name = shown(&root, &options.corpus);
    let schema_name = shown(&root, &schema_path);
    let loaded = compile(
        &corpus_name,
        &corpus_text,
        (&schema_name, &schema_text),
        &version,
    )?;
    let cases: Vec<Case> = read_jsonl(&kwargs_path)?;
    let labels: Vec<Label> = read_jsonl(&options.labels)?;
    let verdicts = evaluate(&loaded, &cases, &whole_run::generate_rules(&corpus_text));
    let mut score = score(&cases, &labels, &verdicts)?;
    score.corpus = corpus_name;
    score.labels = shown(&root, &options.labels);
    score.engine_version = version;
    score.rules = loaded.program().rules.len();
    Ok(score)
}

/// `5.14.1` from `.../labels-5.14.1.jsonl`.
pub fn version_from_labels(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let version = name.strip_prefix("labels-")?.strip_suffix(".jsonl")?;
    (!version.is_empty()).then(|| version.to_owned())
}

/// The nearest directory at or above the corpus that holds `engines/`, else the current one.
fn find_root(corpus: &Path) -> PathBuf {
    let absolute = std::path::absolute(corpus).unwrap_or_else(|_| corpus.to_path_buf());
    match absolute.parent() {
        Some(dir) => {
            let found = Layout::find_root(dir);
            if Layout::new(&found).engines().is_dir() {
                found
            } else {
                PathBuf::from(".")
            }
        }
        None => PathBuf::from("."),
    }
}

/// A path relative to the root when it lies inside it.
fn shown(root: &Path, path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    absolute
        .strip_prefix(root)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

/// The schema beside the corpus (a per-version corpus sits beside its version's schema), else
/// the schema of the version the corpus declares (`engine_version:`, e.g. the manual seeds, which
/// are written for the default version: what `llemc check` falls back to as well), else the
/// labels' version's schema (`E691` when there is none).
fn default_schema(
    root: &Path,
    corpus: &Path,
    corpus_text: &str,
    version: &str,
) -> Result<PathBuf, Diagnostic> {
    let beside = corpus
        .parent()
        .map(|p| p.join("schema.yaml"))
        .filter(|p| p.is_file());
    if let Some(found) = beside {
        return Ok(found);
    }
    let (read, _) = read_corpus(FileId(0), corpus_text);
    let engine = read
        .as_ref()
        .map_or(ENGINE.to_owned(), |c| c.engine.value.clone());
    let declared = read.and_then(|c| c.engine_version.map(|v| v.value));
    let layout = Layout::new(root);
    let per_version = |v: &str| layout.artifact(Artifact::Schema, &engine, v);
    for candidate in declared.iter().map(String::as_str).chain([version]) {
        let path = per_version(candidate);
        if path.is_file() {
            return Ok(path);
        }
    }
    Err(Diagnostic::error(
        "E691",
        format!(
            "no engine schema for {}: neither a schema.yaml beside it nor {}",
            corpus.display(),
            per_version(version).display()
        ),
    )
    .with_help("give --schema"))
}

/// Compiles a corpus in schema mode for `version`; the first error diagnostic on failure.
pub fn compile(
    name: &str,
    text: &str,
    schema: (&str, &str),
    version: &str,
) -> Result<LoadedProgram, Failure> {
    let input = CorpusInput {
        name,
        text,
        schema: Some(schema),
        compat: false,
        engine_version: Some(version.to_owned()),
    };
    match compile_corpus(&input) {
        Ok((loaded, _warnings)) => {
            if loaded.mount(NATIVE_TYPE).is_none() {
                return Err(Diagnostic::error(
                    "E691",
                    format!("{name}: the schema {} mounts no `{NATIVE_TYPE}`", schema.0),
                )
                .with_help("give the schema of the engine the held-out set is for (--schema)")
                .into());
            }
            Ok(loaded)
        }
        Err(failure) => {
            let mut diagnostics = vec![
                Diagnostic::error(
                    "E692",
                    format!("`{name}` does not compile: nothing is scored"),
                )
                .with_help(format!("fix the corpus (`llemc check {name}`)")),
            ];
            diagnostics.extend(failure.diagnostics);
            Err(Failure::new(diagnostics, failure.sources))
        }
    }
}

/// Evaluates every case as `GenerationConfig` kwargs (input order); `generate_rules` are the ids
/// of the rules of stage generate.
pub fn evaluate(
    loaded: &LoadedProgram,
    cases: &[Case],
    generate_rules: &BTreeSet<String>,
) -> Vec<Verdict> {
    let mount_len = loaded.mount(NATIVE_TYPE).map(<[String]>::len).unwrap_or(0);
    let mut frame = loaded.frame();
    let mut findings: Vec<Finding> = Vec::new();
    cases
        .iter()
        .map(|case| {
            let kwargs = Json::Object(case.kwargs.clone());
            let mut verdict = Verdict::default();
            if !loaded.bind_native(NATIVE_TYPE, &kwargs, &mut frame) {
                return verdict;
            }
            findings.clear();
            loaded.evaluate_into(&frame, &mut findings);
            for f in &findings {
                match f.severity {
                    RuleSeverity::Error if generate_rules.contains(&f.id) => {
                        verdict.run_errors.push(f.id.clone());
                    }
                    RuleSeverity::Error => verdict.errors.push(f.id.clone()),
                    RuleSeverity::Warn | RuleSeverity::Dormant => {
                        let field = f
                            .subject
                            .and_then(|s| loaded.program().slots.get(s as usize))
                            .and_then(|slot| slot.path.get(mount_len))
                            .cloned()
                            .unwrap_or_else(|| "?".to_owned());
                        verdict.advisories.push((
                            f.id.clone(),
                            f.severity.as_str().to_owned(),
                            field,
                        ));
                    }
                }
            }
            verdict
        })
        .collect()
}

/// A field the library reports on one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    /// `minor issue`, `normalised` or `warning`.
    pub how: String,
    /// The library's text.
    pub text: String,
    /// Whether the report is about this field (a minor-issue key, a normalised field, the first
    /// kwarg a warning names) rather than only mentioning it.
    pub primary: bool,
}

/// The fields a library label reports or mentions.
pub fn library_fields(case: &Case, label: &Label) -> BTreeMap<String, Reported> {
    let mut out: BTreeMap<String, Reported> = BTreeMap::new();
    let mut add = |field: &str, how: &str, text: &str, primary: bool| {
        let entry = out.entry(field.to_owned()).or_insert_with(|| Reported {
            how: how.to_owned(),
            text: text.to_owned(),
            primary,
        });
        if primary && !entry.primary {
            *entry = Reported {
                how: how.to_owned(),
                text: text.to_owned(),
                primary,
            };
        }
    };
    for (field, text) in &label.minor_issues {
        add(field, "minor issue", text, true);
    }
    for (field, n) in &label.normalised {
        add(
            field,
            "normalised",
            &format!("{} -> {}", n.passed, n.after),
            true,
        );
    }
    for emission in &label.warnings {
        let named: Vec<String> = backticked(&emission.message)
            .into_iter()
            .filter(|name| case.kwargs.contains_key(name))
            .collect();
        for (index, name) in named.iter().enumerate() {
            add(name, "warning", &emission.message, index == 0);
        }
    }
    out
}

/// The identifiers a message names in backticks (`` `max_cache_len` ``, `` `x=None` `` → `x`).
fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|inside| {
            let name: String = inside
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// The group a library rejection is counted in: its type and the fields its message names.
pub(crate) fn rejection_group(kind: &str, message: &str) -> String {
    let names: Vec<String> = backticked(message).into_iter().take(2).collect();
    if !names.is_empty() {
        return format!("{kind}: {}", names.join(", "));
    }
    let masked: String = message
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .take(60)
        .collect();
    format!("{kind}: {masked}")
}

/// Scores verdicts (one per case, same order) against labels.
pub fn score(cases: &[Case], labels: &[Label], verdicts: &[Verdict]) -> Result<Score, Diagnostic> {
    check_unique("the held-out cases", cases.iter().map(|c| c.id.as_str()))?;
    check_unique("the labels", labels.iter().map(|l| l.id.as_str()))?;
    let by_id: BTreeMap<&str, &Label> = labels.iter().map(|l| (l.id.as_str(), l)).collect();
    let case_ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    if let Some(extra) = labels.iter().find(|l| !case_ids.contains(l.id.as_str())) {
        return Err(data_error(format!(
            "label `{}` has no held-out case (labels and kwargs files do not match)",
            extra.id
        )));
    }
    let mut s = Score {
        cases: cases.len(),
        ..Score::default()
    };
    for (case, verdict) in cases.iter().zip(verdicts) {
        let label = by_id.get(case.id.as_str()).ok_or_else(|| {
            data_error(format!(
                "case `{}` has no label (relabel with `llemc heldout label`)",
                case.id
            ))
        })?;
        let rejected = match label.outcome {
            Outcome::Accepted => false,
            Outcome::Rejected => true,
            Outcome::Timeout | Outcome::Unavailable => {
                s.excluded.push(case.id.clone());
                continue;
            }
        };
        if rejected {
            s.library_rejected += 1;
        } else {
            s.library_accepted += 1;
        }
        whole_run::add(
            &mut s.error,
            &case.id,
            &verdict.errors,
            rejected,
            label.exception.as_ref(),
        );
        if let Some((fails, exception)) = whole_run::fails(label) {
            let fired: Vec<String> = verdict
                .errors
                .iter()
                .chain(&verdict.run_errors)
                .cloned()
                .collect();
            whole_run::add(&mut s.whole_run, &case.id, &fired, fails, exception);
            if fails && !rejected {
                s.generate_failures.add(!fired.is_empty(), true);
            }
        }
        if !rejected {
            score_advisory(&mut s.advisory, case, label, verdict);
        }
    }
    s.error.counts.finish();
    s.error.valid_configs_rejected = s.error.counts.fp;
    s.whole_run.counts.finish();
    s.whole_run.valid_configs_rejected = s.whole_run.counts.fp;
    s.generate_failures.finish();
    s.advisory.configs.finish();
    s.advisory.fields.finish();
    let reported = s.advisory.fields_reported;
    s.advisory.fields.recall = ratio(reported.saturating_sub(s.advisory.fields.fn_), reported);
    s.goals = goals(&s);
    Ok(s)
}

fn score_advisory(a: &mut AdvisoryScore, case: &Case, label: &Label, verdict: &Verdict) {
    a.scored += 1;
    let library = library_fields(case, label);
    let library_any = !library.is_empty()
        || !label.warnings.is_empty()
        || !label.minor_issues.is_empty()
        || !label.normalised.is_empty();
    a.configs.add(!verdict.advisories.is_empty(), library_any);
    let llemc: BTreeSet<&str> = verdict
        .advisories
        .iter()
        .map(|(_, _, f)| f.as_str())
        .collect();
    // Precision: a finding's field counts as right when the library names it at all.
    for field in &llemc {
        if library.contains_key(*field) {
            a.fields.tp += 1;
        } else {
            a.fields.fp += 1;
        }
    }
    for (rule, severity, field) in &verdict.advisories {
        if !library.contains_key(field) {
            a.fp_by_rule
                .entry(rule.clone())
                .or_default()
                .push(case.id.clone());
            a.false_positives.push(AdvisoryFalsePositive {
                id: case.id.clone(),
                rule: rule.clone(),
                severity: severity.clone(),
                field: field.clone(),
            });
        }
    }
    // Recall: every field the library reports about (not only mentions) must be named.
    for (field, reported) in library.iter().filter(|(_, r)| r.primary) {
        a.fields_reported += 1;
        if !llemc.contains(field.as_str()) {
            a.fields.fn_ += 1;
            a.fn_by_field
                .entry(format!("{field} ({})", reported.how))
                .or_default()
                .push(case.id.clone());
            a.false_negatives.push(AdvisoryFalseNegative {
                id: case.id.clone(),
                field: field.clone(),
                how: reported.how.clone(),
                library: reported.text.clone(),
            });
        }
    }
}

fn goals(s: &Score) -> Vec<Goal> {
    let at_least = |name: &str, value: Option<f64>, bar: f64| Goal {
        name: name.to_owned(),
        target: format!(">= {}", percent(Some(bar))),
        value: percent(value),
        met: value.is_some_and(|v| v >= bar),
    };
    let none = |name: &str, count: usize| Goal {
        name: name.to_owned(),
        target: "== 0".to_owned(),
        value: count.to_string(),
        met: count == 0,
    };
    vec![
        at_least(
            "error precision",
            s.error.counts.precision,
            GOAL_ERROR_PRECISION,
        ),
        at_least("error recall", s.error.counts.recall, GOAL_ERROR_RECALL),
        none("valid configs rejected", s.error.valid_configs_rejected),
        at_least(
            "error precision (whole run)",
            s.whole_run.counts.precision,
            GOAL_ERROR_PRECISION,
        ),
        at_least(
            "error recall (whole run)",
            s.whole_run.counts.recall,
            GOAL_ERROR_RECALL,
        ),
        none(
            "configs that run rejected",
            s.whole_run.valid_configs_rejected,
        ),
        at_least(
            "warn/dormant precision (per config)",
            s.advisory.configs.precision,
            GOAL_ADVISORY_PRECISION,
        ),
        at_least(
            "warn/dormant recall (per config)",
            s.advisory.configs.recall,
            GOAL_ADVISORY_RECALL,
        ),
    ]
}

/// `99.50%`, or `n/a` when undefined.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{:.2}%", v * 100.0))
}

fn counts_line(c: &Counts) -> String {
    format!(
        "TP {}  FP {}  FN {}  TN {}  precision {}  recall {}",
        c.tp,
        c.fp,
        c.fn_,
        c.tn,
        percent(c.precision),
        percent(c.recall)
    )
}

fn ids_line(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(IDS_SHOWN).map(String::as_str).collect();
    let more = ids.len().saturating_sub(IDS_SHOWN);
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn groups(out: &mut String, title: &str, groups: &BTreeMap<String, Vec<String>>) {
    if groups.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:");
    let mut sorted: Vec<(&String, &Vec<String>)> = groups.iter().collect();
    sorted.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (key, ids) in sorted {
        let _ = writeln!(out, "  {key}: {} [{}]", ids.len(), ids_line(ids));
    }
}

/// The human report.
pub fn render_human(s: &Score) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "held-out score of {} against {} (transformers {}, {} rules)",
        s.corpus, s.labels, s.engine_version, s.rules
    );
    let _ = writeln!(
        out,
        "cases: {}  library accepted {}  rejected {}  left out {}",
        s.cases,
        s.library_accepted,
        s.library_rejected,
        s.excluded.len()
    );
    let _ = writeln!(
        out,
        "errors (per config):        {}",
        counts_line(&s.error.counts)
    );
    let _ = writeln!(
        out,
        "valid configs rejected:     {}",
        s.error.valid_configs_rejected
    );
    let _ = writeln!(
        out,
        "errors (whole run):         {}  (over {} configs, generate() included)",
        counts_line(&s.whole_run.counts),
        s.whole_run.counts.tp
            + s.whole_run.counts.fp
            + s.whole_run.counts.fn_
            + s.whole_run.counts.tn
    );
    let _ = writeln!(
        out,
        "generate() failures caught: {} of {} (recall {})",
        s.generate_failures.tp,
        s.generate_failures.tp + s.generate_failures.fn_,
        percent(s.generate_failures.recall)
    );
    let _ = writeln!(
        out,
        "warn/dormant (per config):  {}  (over {} accepted configs)",
        counts_line(&s.advisory.configs),
        s.advisory.scored
    );
    let f = &s.advisory.fields;
    let _ = writeln!(
        out,
        "warn/dormant (per field):   TP {}  FP {}  FN {}  precision {}  recall {}  (of {} fields the library reports)",
        f.tp,
        f.fp,
        f.fn_,
        percent(f.precision),
        percent(f.recall),
        s.advisory.fields_reported
    );
    let _ = writeln!(out, "goals:");
    for g in &s.goals {
        let _ = writeln!(
            out,
            "  {:<38} {:>8} (goal {}) {}",
            g.name,
            g.value,
            g.target,
            if g.met { "met" } else { "MISSED" }
        );
    }
    groups(
        &mut out,
        "error false positives by rule (valid configs rejected)",
        &s.error.fp_by_rule,
    );
    groups(
        &mut out,
        "error false negatives by library rejection",
        &s.error.fn_by_group,
    );
    groups(
        &mut out,
        "whole-run error false positives by rule (configs that run rejected)",
        &s.whole_run.fp_by_rule,
    );
    groups(
        &mut out,
        "whole-run error false negatives by library failure",
        &s.whole_run.fn_by_group,
    );
    groups(
        &mut out,
        "warn/dormant false positives by rule (field not reported by the library)",
        &s.advisory.fp_by_rule,
    );
    groups(
        &mut out,
        "warn/dormant false negatives by field (reported by the library, no finding)",
        &s.advisory.fn_by_field,
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::heldout::{Emission, GenerateOutcome, GenerateRun, Normalised, Raised};

    fn case(id: &str, kwargs: Json) -> Case {
        Case {
            id: id.to_owned(),
            intent: String::new(),
            archetype: String::new(),
            kwargs: kwargs.as_object().cloned().unwrap(),
        }
    }

    fn accepted(id: &str) -> Label {
        Label {
            id: id.to_owned(),
            outcome: Outcome::Accepted,
            exception: None,
            minor_issues: BTreeMap::new(),
            warnings: Vec::new(),
            normalised: BTreeMap::new(),
            generate: None,
        }
    }

    fn rejected(id: &str, message: &str) -> Label {
        Label {
            outcome: Outcome::Rejected,
            exception: Some(Raised {
                phase: "construct".to_owned(),
                stage: "construct".to_owned(),
                kind: "ValueError".to_owned(),
                message: message.to_owned(),
                frame: None,
            }),
            ..accepted(id)
        }
    }

    fn verdict(errors: &[&str], advisories: &[(&str, &str)]) -> Verdict {
        Verdict {
            errors: errors.iter().map(|s| (*s).to_owned()).collect(),
            run_errors: Vec::new(),
            advisories: advisories
                .iter()
                .map(|(r, f)| ((*r).to_owned(), "dormant".to_owned(), (*f).to_owned()))
                .collect(),
        }
    }

    fn ran(id: &str, outcome: GenerateOutcome) -> Label {
        Label {
            generate: Some(GenerateRun {
                outcome,
                exception: (outcome != GenerateOutcome::Ok).then(|| Raised {
                    phase: "generate".to_owned(),
                    stage: "generate".to_owned(),
                    kind: "ValueError".to_owned(),
                    message: "`penalty` has to be a strictly positive float".to_owned(),
                    frame: None,
                }),
                warnings: Vec::new(),
                sequences: None,
            }),
            ..accepted(id)
        }
    }

    /// A generate-stage rule counts for the whole run only: the construct + validate metric
    /// neither rewards nor blames it, and a run that could not be observed is left out.
    #[test]
    fn the_whole_run_counts_generate_failures_and_generate_rules() {
        let cases: Vec<Case> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|id| case(id, serde_json::json!({})))
            .collect();
        let labels = vec![
            rejected("a", "`max_new_tokens` must be greater than 0"),
            ran("b", GenerateOutcome::Error),
            ran("c", GenerateOutcome::Error),
            ran("d", GenerateOutcome::Ok),
            ran("e", GenerateOutcome::Unavailable),
        ];
        let run = |ids: &[&str]| Verdict {
            run_errors: ids.iter().map(|s| (*s).to_owned()).collect(),
            ..Verdict::default()
        };
        let verdicts = vec![
            verdict(&["r_tokens"], &[]),
            run(&["r_penalty"]),
            run(&[]),
            run(&[]),
            run(&["r_penalty"]),
        ];
        let s = score(&cases, &labels, &verdicts).unwrap();
        let c = &s.error.counts;
        assert_eq!((c.tp, c.fp, c.fn_, c.tn), (1, 0, 0, 4));
        let w = &s.whole_run.counts;
        assert_eq!((w.tp, w.fp, w.fn_, w.tn), (2, 0, 1, 1));
        assert_eq!((s.generate_failures.tp, s.generate_failures.fn_), (1, 1));
        assert_eq!(s.whole_run.false_negatives[0].id, "c");
        assert!(render_human(&s).contains("generate() failures caught: 1 of 2 (recall 50.00%)"));
    }

    #[test]
    fn error_counts_precision_recall_and_misses() {
        let cases: Vec<Case> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|id| case(id, serde_json::json!({})))
            .collect();
        let labels = vec![
            rejected("a", "`max_new_tokens` must be greater than 0"),
            rejected("b", "'<=' not supported between 'str' and 'int' 12"),
            accepted("c"),
            accepted("d"),
            Label {
                outcome: Outcome::Timeout,
                ..accepted("e")
            },
        ];
        let verdicts = vec![
            verdict(&["r_tokens"], &[]),
            verdict(&[], &[]),
            verdict(&["r_bad"], &[]),
            verdict(&[], &[]),
            verdict(&["r_tokens"], &[]),
        ];
        let s = score(&cases, &labels, &verdicts).unwrap();
        let c = &s.error.counts;
        assert_eq!((c.tp, c.fp, c.fn_, c.tn), (1, 1, 1, 1));
        assert_eq!(c.precision, Some(0.5));
        assert_eq!(c.recall, Some(0.5));
        assert_eq!(s.error.valid_configs_rejected, 1);
        assert_eq!(s.excluded, vec!["e".to_owned()]);
        assert_eq!(s.error.fp_by_rule["r_bad"], vec!["c".to_owned()]);
        assert_eq!(
            s.error.fn_by_group.keys().collect::<Vec<_>>(),
            vec!["ValueError: '<=' not supported between 'str' and 'int' ##"]
        );
        assert_eq!(s.library_accepted, 2);
        assert_eq!(s.library_rejected, 2);
        assert!(!s.goals[0].met);
        assert!(!s.goals[2].met);
    }

    #[test]
    fn advisory_per_config_and_per_field() {
        let cases = vec![
            case("a", serde_json::json!({"top_k": 5, "max_cache_len": 10})),
            case("b", serde_json::json!({"top_p": 0.5})),
            case("c", serde_json::json!({"num_beams": 2})),
            case("d", serde_json::json!({"x": 1})),
            case(
                "e",
                serde_json::json!({"cache_implementation": "dynamic", "max_cache_len": 5}),
            ),
        ];
        let mut a = accepted("a");
        a.minor_issues
            .insert("top_k".into(), "only used when sampling".into());
        a.warnings.push(Emission {
            channel: "logger".into(),
            level: "warning".into(),
            message: "`max_cache_len` is ignored with `cache_implementation=None`".into(),
        });
        let mut b = accepted("b");
        b.normalised.insert(
            "top_p".into(),
            Normalised {
                passed: serde_json::json!(0.5),
                after: serde_json::json!(1.0),
            },
        );
        let mut e = accepted("e");
        e.warnings.push(Emission {
            channel: "logger".into(),
            level: "warning".into(),
            message: "`max_cache_len` is ignored with `cache_implementation='dynamic'`".into(),
        });
        let labels = vec![a, b, accepted("c"), rejected("d", "boom"), e];
        let verdicts = vec![
            verdict(&[], &[("r_top_k", "top_k")]),
            verdict(&[], &[]),
            verdict(&[], &[("r_beams", "num_beams")]),
            verdict(&[], &[("r_x", "x")]),
            verdict(&[], &[("r_cache", "cache_implementation")]),
        ];
        let s = score(&cases, &labels, &verdicts).unwrap();
        let cfg = &s.advisory.configs;
        assert_eq!((cfg.tp, cfg.fp, cfg.fn_, cfg.tn), (2, 1, 1, 0));
        let fld = &s.advisory.fields;
        // a: top_k TP, max_cache_len FN; b: top_p FN; c: num_beams FP; d is rejected: not
        // scored; e: cache_implementation is named by the warning (TP for precision) but the
        // warning is about max_cache_len (FN for recall).
        assert_eq!((fld.tp, fld.fp, fld.fn_), (2, 1, 3));
        assert_eq!(s.advisory.fields_reported, 4);
        assert_eq!(fld.precision, Some(2.0 / 3.0));
        assert_eq!(fld.recall, Some(0.25));
        assert_eq!(s.advisory.scored, 4);
        assert_eq!(s.advisory.fp_by_rule["r_beams"], vec!["c".to_owned()]);
        assert!(
            s.advisory
                .fn_by_field
                .contains_key("max_cache_len (warning)")
        );
        assert!(s.advisory.fn_by_field.contains_key("top_p (normalised)"));
        // d was rejected and llemc had no error: an error false negative.
        assert_eq!(s.error.counts.fn_, 1);
    }

    #[test]
    fn mismatched_files_are_errors_naming_the_id() {
        let cases = vec![case("a", serde_json::json!({}))];
        let err = score(&cases, &[accepted("z")], &[Verdict::default()]).unwrap_err();
        assert!(err.message.contains("`z`"), "{err:?}");
        let err = score(&cases, &[], &[Verdict::default()]).unwrap_err();
        assert!(err.message.contains("`a`"), "{err:?}");
        let twice = vec![accepted("a"), accepted("a")];
        let err = score(&cases, &twice, &[Verdict::default()]).unwrap_err();
        assert!(err.message.contains("twice"), "{err:?}");
        assert_eq!(err.code, "E690");
    }

    #[test]
    fn version_is_read_from_the_labels_name() {
        assert_eq!(
            version_from_labels(Path::new("eval/heldout/labels-4.57.6.jsonl")),
            Some("4.57.6".to_owned())
        );
        assert_eq!(version_from_labels(Path::new("labels.jsonl")), None);
    }

    #[test]
    fn backticked_names() {
        assert_eq!(
            backticked("`max_cache_len` is ignored with `cache_implementation=None`."),
            vec![
                "max_cache_len".to_owned(),
                "cache_implementation".to_owned()
            ]
        );
    }
}
