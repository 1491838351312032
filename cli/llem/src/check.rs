//! `llem config check`: read an experiment config, evaluate the engine's rules on it, and report
//! every finding against the user's own file.

use super::CheckArgs;
use super::shipped;
use llemc_cli_common::backend::Backend;
use llemc_cli_common::exit;
use llemc_cli_common::output::{Format, plural};
use llemc_compiler::diagnostic::{Color, Diagnostic, Level, SourceMap, render_human, render_json};
use llemc_compiler::yaml::decode_utf8;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::experiment::{
    CheckOutcome, ConfigFinding, ExperimentConfig, SupportedVersion, check_experiment,
    deny_warning, read_experiment,
};
use llemc_runtime::json::to_json;
use serde_json::json;
use std::io::{Read, Write};
use std::path::Path;

/// The corpus a config was checked against, for the summary line.
pub(crate) struct Used {
    engine: String,
    version: String,
    path: String,
    rules: usize,
}

/// Everything one check produced.
pub(crate) struct Report {
    name: String,
    diagnostics: Vec<Diagnostic>,
    outcome: CheckOutcome,
    used: Option<Used>,
    engine: Option<String>,
    engine_version: Option<String>,
    model: Option<String>,
    deny_warnings: bool,
}

/// An experiment config read and checked against the rules of its engine version.
pub(crate) struct Checked {
    /// What the check found.
    pub(crate) report: Report,
    /// Every file the diagnostics point into.
    pub(crate) sources: SourceMap,
    /// The config, when it could be read far enough to know its engine and version.
    pub(crate) config: Option<ExperimentConfig>,
}

/// Why a config could not be checked at all (exit 2): what to show, and the files it points
/// into.
pub(crate) struct Unchecked {
    /// The diagnostics to show.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The files they point into.
    pub(crate) sources: SourceMap,
    /// A closing line for people.
    pub(crate) note: Option<String>,
}

impl Unchecked {
    /// Shows the diagnostics in `format` (the note only for people) and gives exit code 2.
    pub(crate) fn emit(
        &self,
        format: Format,
        color: Color,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> i32 {
        emit(&self.diagnostics, &self.sources, format, color, out, err);
        if let (Format::Human, Some(note)) = (format, &self.note) {
            let _ = writeln!(err, "{note}");
        }
        exit::USAGE
    }
}

/// Where a config comes from.
pub(crate) enum Input<'a> {
    /// A file.
    File(&'a Path),
    /// Standard input (`-`).
    Stdin(&'a mut dyn Read),
}

/// Reads an experiment config and checks it: the config's own problems (`E7xx`), then every
/// rule of its engine version's corpus (the shipped one, or `corpus`).
pub(crate) fn check_config(
    input: Input<'_>,
    corpus: Option<&Path>,
    backend: Backend,
) -> Result<Checked, Unchecked> {
    let mut sources = SourceMap::new();
    let (name, bytes) = match input {
        Input::Stdin(stdin) => {
            let mut bytes = Vec::new();
            (
                "<stdin>".to_owned(),
                stdin.read_to_end(&mut bytes).map(|_| bytes),
            )
        }
        Input::File(path) => (path.display().to_string(), std::fs::read(path)),
    };
    let bytes = bytes.map_err(|e| Unchecked {
        diagnostics: vec![
            Diagnostic::error("E901", format!("cannot read `{name}`: {e}"))
                .with_help("check the path and its permissions"),
        ],
        sources: SourceMap::new(),
        note: None,
    })?;
    let text = match decode_utf8(&name, &bytes) {
        Ok(text) => text,
        Err(mut d) => {
            let file = sources.add(name.clone(), String::from_utf8_lossy(&bytes).into_owned());
            if let Some(p) = &mut d.primary {
                p.file = file;
            }
            return Ok(Checked {
                report: Report::failed(name, vec![d]),
                sources,
                config: None,
            });
        }
    };
    let file = sources.add(name.clone(), text.clone());

    // The shipped engine schemas (one per shipped corpus).
    let schemas = shipped::schemas(&mut sources);
    let supported: Vec<SupportedVersion<'_>> = schemas
        .iter()
        .map(|(c, s)| SupportedVersion {
            engine: c.engine,
            version: c.version,
            schema: s,
        })
        .collect();

    let read = read_experiment(file, &text, &supported);
    let mut report = Report::failed(name, read.diagnostics);
    let Some(config) = read.config else {
        return Ok(Checked {
            report,
            sources,
            config: None,
        });
    };
    report.engine = Some(config.engine.clone());
    report.engine_version = Some(config.engine_version.clone());
    report.model = config.model.clone();

    let Some(shipped) = shipped::corpus(&config.engine, &config.engine_version) else {
        return Ok(Checked {
            report,
            sources,
            config: Some(config),
        });
    };
    let (corpus_name, corpus_text) = match corpus {
        Some(path) => read_corpus(path)?,
        None => (shipped.path.to_owned(), shipped.text.to_owned()),
    };
    let compiled = compile_corpus(&CorpusInput {
        name: &corpus_name,
        text: &corpus_text,
        schema: shipped.schema(),
        compat: false,
        engine_version: Some(config.engine_version.clone()),
    });
    let program = compiled.map_err(|failure| Unchecked {
        diagnostics: failure
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect(),
        sources: failure.sources,
        note: Some(format!(
            "llem: the rules for {} {} ({corpus_name}) do not compile; nothing was checked",
            config.engine, config.engine_version
        )),
    })?;
    let program = program.0;
    report.used = Some(Used {
        engine: config.engine.clone(),
        version: config.engine_version.clone(),
        path: corpus_name,
        rules: program.program().rules.len(),
    });
    report.outcome = check_experiment(&config, &program, backend.runtime());
    Ok(Checked {
        report,
        sources,
        config: Some(config),
    })
}

/// A corpus file given with `--corpus`, as `(name, text)`.
fn read_corpus(path: &Path) -> Result<(String, String), Unchecked> {
    std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| decode_utf8(&path.display().to_string(), &b).map_err(|d| d.message))
        .map(|text| (path.display().to_string(), text))
        .map_err(|e| Unchecked {
            diagnostics: vec![
                Diagnostic::error(
                    "E901",
                    format!("cannot read corpus `{}`: {e}", path.display()),
                )
                .with_help("check the path and its permissions"),
            ],
            sources: SourceMap::new(),
            note: None,
        })
}

pub(super) fn run(
    args: &CheckArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let color = args.color.resolve();
    let input = if args.config.as_os_str() == "-" {
        Input::Stdin(stdin)
    } else {
        Input::File(&args.config)
    };
    match check_config(input, args.corpus.as_deref(), args.backend) {
        Ok(mut checked) => {
            if super::denies_warnings(&args.deny) {
                checked.report.deny_warnings();
            }
            finish(&checked.report, args, &checked.sources, color, out, err)
        }
        Err(unchecked) => unchecked.emit(args.format, color, out, err),
    }
}

impl Report {
    fn failed(name: String, diagnostics: Vec<Diagnostic>) -> Report {
        Report {
            name,
            diagnostics,
            outcome: CheckOutcome::default(),
            used: None,
            engine: None,
            engine_version: None,
            model: None,
            deny_warnings: false,
        }
    }

    /// `--deny warnings`: every warning, among the config's problems and the findings, becomes
    /// an error.
    fn deny_warnings(&mut self) {
        self.deny_warnings = true;
        self.diagnostics.iter_mut().for_each(deny_warning);
        self.outcome.deny_warnings();
    }

    /// Whether the config is rejected: an error among its problems or findings.
    pub(crate) fn has_errors(&self) -> bool {
        self.all().iter().any(|d| d.level == Level::Error)
    }

    /// Config problems, then findings.
    fn all(&self) -> Vec<Diagnostic> {
        let mut all = self.diagnostics.clone();
        all.extend(self.outcome.findings.iter().map(|f| f.diagnostic.clone()));
        all
    }
}

fn emit(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    format: Format,
    color: Color,
    out: &mut dyn Write,
    err: &mut dyn Write,
) {
    match format {
        Format::Human => {
            let _ = err.write_all(render_human(diagnostics, sources, color).as_bytes());
        }
        Format::Json => {
            let diags = render_json(diagnostics, sources);
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&json!({ "diagnostics": diags })).unwrap_or_default()
            );
        }
    }
}

fn finish(
    report: &Report,
    args: &CheckArgs,
    sources: &SourceMap,
    color: Color,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match args.format {
        Format::Human => write_human(report, sources, color, args.gaps, err),
        Format::Json => {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&json_report(report, args.gaps, sources))
                    .unwrap_or_default()
            );
        }
    }
    if report.has_errors() {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// The check's diagnostics, the gaps when asked for, and the summary line, for people.
pub(crate) fn write_human(
    report: &Report,
    sources: &SourceMap,
    color: Color,
    gaps: bool,
    err: &mut dyn Write,
) {
    let all = report.all();
    let _ = err.write_all(render_human(&all, sources, color).as_bytes());
    if gaps && report.used.is_some() {
        write_gaps(report, sources, err);
    }
    let _ = writeln!(err, "{}", summary(report, &all));
}

fn summary(report: &Report, all: &[Diagnostic]) -> String {
    let count = |level: Level| all.iter().filter(|d| d.level == level).count();
    let (errors, warnings, dormant) = (
        count(Level::Error),
        count(Level::Warning),
        count(Level::Note),
    );
    let counts = format!(
        "{errors} {}, {warnings} {}, {dormant} dormant",
        plural(errors, "error"),
        plural(warnings, "warning"),
    );
    match &report.used {
        Some(used) => format!(
            "llem: `{}` checked against {} {} rules ({} {}, {}): {counts}",
            report.name,
            used.engine,
            used.version,
            used.rules,
            plural(used.rules, "rule"),
            used.path
        ),
        None => format!("llem: `{}` could not be checked: {counts}", report.name),
    }
}

fn write_gaps(report: &Report, sources: &SourceMap, err: &mut dyn Write) {
    let gaps = &report.outcome.gaps;
    if gaps.is_empty() {
        let _ = writeln!(err, "llem: every field you set is examined by some rule");
        return;
    }
    let _ = writeln!(
        err,
        "llem: {} {} you set {} not examined by any rule:",
        gaps.len(),
        plural(gaps.len(), "field"),
        if gaps.len() == 1 { "is" } else { "are" }
    );
    for gap in gaps {
        let (line, column) = line_col(sources, gap.span.start);
        let _ = writeln!(
            err,
            "  {}:{line}:{column}: {} ({})",
            report.name, gap.field, gap.owner
        );
    }
}

fn line_col(sources: &SourceMap, offset: u32) -> (usize, usize) {
    sources.line_col(llemc_compiler::diagnostic::FileId(0), offset)
}

fn finding_json(f: &ConfigFinding, sources: &SourceMap) -> serde_json::Value {
    let (line, column) = match f.span {
        Some(span) => {
            let (l, c) = line_col(sources, span.start);
            (json!(l), json!(c))
        }
        None => (serde_json::Value::Null, serde_json::Value::Null),
    };
    json!({
        "id": f.id,
        "rules": f.rules,
        "code": f.diagnostic.code,
        "severity": f.severity.as_str(),
        "denied": f.denied,
        "field": f.field,
        "declared": f.declared,
        "declared_value": to_json(&f.declared_value),
        "effective_value": f.effective_value.as_ref().map(to_json),
        "from_default": f.from_default,
        "message": f.message,
        "line": line,
        "column": column,
        "help": f.diagnostic.help,
    })
}

/// The check as the JSON object `llem config check --format json` prints.
pub(crate) fn json_report(report: &Report, gaps: bool, sources: &SourceMap) -> serde_json::Value {
    let diagnostics = render_json(&report.diagnostics, sources);
    let findings: Vec<serde_json::Value> = report
        .outcome
        .findings
        .iter()
        .map(|f| finding_json(f, sources))
        .collect();
    let accepted = report.used.is_some()
        && !report.outcome.rejected()
        && !report.diagnostics.iter().any(Diagnostic::is_error);
    let mut value = json!({
        "file": report.name,
        "engine": report.engine,
        "engine_version": report.engine_version,
        "model": report.model,
        "corpus": report.used.as_ref().map(|u| json!({ "path": u.path, "rules": u.rules })),
        "accepted": accepted,
        "deny_warnings": report.deny_warnings,
        "findings": findings,
        "diagnostics": diagnostics,
    });
    if gaps {
        let list: Vec<serde_json::Value> = report
            .outcome
            .gaps
            .iter()
            .map(|g| {
                let (line, column) = line_col(sources, g.span.start);
                json!({ "field": g.field, "native_type": g.owner, "line": line, "column": column })
            })
            .collect();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("gaps".to_owned(), serde_json::Value::Array(list));
        }
    }
    value
}
