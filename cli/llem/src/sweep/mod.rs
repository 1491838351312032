//! `llem sweep check <study.yaml>`: validate every point of a parameter sweep (a base experiment
//! config and a grid of values for some of its fields) without materialising the grid; see
//! `docs/experiment-config.md`, "Sweeps". Reading the study and running it is the runtime's
//! ([`llemc_runtime::sweep`]); this file reads the files, chains the steps and reports.

mod progress;
mod report;

use clap::Args;
use llemc_cli_common::backend::Backend;
use llemc_cli_common::exit;
use llemc_cli_common::output::{ColorChoice, Format};
use llemc_compiler::diagnostic::{Color, Diagnostic, FileId, SourceMap, render_human, render_json};
use llemc_compiler::yaml::{Node, decode_utf8, parse_yaml};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::experiment::{
    ExperimentConfig, SupportedVersion, deny_warning, read_experiment, read_experiment_node,
};
use llemc_runtime::jit::Evaluator;
use llemc_runtime::loaded::LoadedProgram;
use llemc_runtime::sweep::engine::{Emit, Sweep, Tally};
use llemc_runtime::sweep::study::{self, BaseRef, RawStudy};
use llemc_runtime::sweep::{Study, base_type_warnings, resolve};
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use super::shipped;

/// `llem sweep check`.
#[derive(Args, Debug)]
pub struct SweepCheckArgs {
    /// The study file: `base:` (or an inline `experiment:`), `grid:` and `extra_points:`.
    #[arg(value_name = "STUDY")]
    study: PathBuf,
    /// Which evaluator runs the rules (`auto`: the JIT for sweeps of more than 4,000 points).
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    backend: Backend,
    /// How many invalid points to list, with their coordinates and findings.
    #[arg(long, value_name = "N", default_value_t = 10)]
    show: usize,
    /// Write every valid point to FILE as JSON Lines: one full experiment config per line.
    #[arg(long, value_name = "FILE")]
    emit_valid: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Never draw the progress bar (it is drawn only on a terminal, for sweeps of 100,000 points
    /// or more).
    #[arg(long)]
    no_progress: bool,
    /// `--deny warnings`: a warning about the study makes it fail, and a point with a warning
    /// is invalid (exit 1); by default the severities follow the engine.
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Vec<super::Deny>,
}

impl SweepCheckArgs {
    /// The check `llem run` makes of a study before running its valid points: every point
    /// evaluated, the first `show` invalid ones listed, the valid ones written to `emit_valid`.
    pub(crate) fn for_run(
        study: PathBuf,
        emit_valid: PathBuf,
        show: usize,
        format: Format,
        color: ColorChoice,
    ) -> SweepCheckArgs {
        SweepCheckArgs {
            study,
            backend: Backend::Auto,
            show,
            emit_valid: Some(emit_valid),
            format,
            color,
            no_progress: true,
            deny: Vec::new(),
        }
    }
}

/// What the report says about the sweep's inputs.
pub(super) struct Context {
    study: String,
    base: String,
    engine: String,
    engine_version: String,
    corpus_path: String,
    grid: u64,
    deny_warnings: bool,
}

/// Why the sweep was not checked: the diagnostics to show and the exit code.
struct Failure {
    diagnostics: Vec<Diagnostic>,
    code: i32,
}

impl Failure {
    fn usage(d: Diagnostic) -> Failure {
        Failure {
            diagnostics: vec![d],
            code: exit::USAGE,
        }
    }

    fn findings(diagnostics: Vec<Diagnostic>) -> Failure {
        Failure {
            diagnostics,
            code: exit::FINDINGS,
        }
    }
}

/// The study file, read and parsed.
struct StudyFile {
    name: String,
    file: FileId,
    root: Node,
    raw: RawStudy,
}

/// The base config, read against the shipped schemas.
struct Base<'s> {
    name: String,
    config: ExperimentConfig,
    schema: &'s llemc_compiler::schema::EngineSchema,
    /// The base config's own warnings (unknown fields the library stores, `W708`).
    warnings: Vec<Diagnostic>,
}

pub(crate) fn run(args: &SweepCheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let color = args.color.resolve();
    let mut sources = SourceMap::new();
    let study_name = args.study.display().to_string();
    match check(args, &mut sources, color, out, err) {
        Ok(code) => code,
        Err(Failure { diagnostics, code }) => {
            fail(args, &study_name, &diagnostics, &sources, color, out, err);
            code
        }
    }
}

/// Every step, from reading the study to the report; returns the exit code.
fn check(
    args: &SweepCheckArgs,
    sources: &mut SourceMap,
    color: Color,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Failure> {
    let study_file = read_study_file(args, sources)?;
    let schemas = shipped::schemas(sources);
    let supported: Vec<SupportedVersion<'_>> = schemas
        .iter()
        .map(|(c, s)| SupportedVersion {
            engine: c.engine,
            version: c.version,
            schema: s,
        })
        .collect();
    let base = read_base(args, &study_file, sources, &supported)?;
    let study = resolve(
        study_file.file,
        &study_file.root,
        &study_file.raw,
        &base.config.engine,
        base.schema,
    )
    .map_err(Failure::findings)?;
    let config = &base.config;
    let Some(shipped) = shipped::corpus(&config.engine, &config.engine_version) else {
        return Err(Failure::findings(Vec::new()));
    };
    let Some(program) = compile_shipped(shipped, config, color, err) else {
        return Ok(exit::USAGE);
    };
    let mut warnings = base.warnings.clone();
    warnings.extend(study.warnings.iter().cloned());
    warnings.extend(base_type_warnings(config, &program, &study.axes));
    let deny = super::denies_warnings(&args.deny);
    if deny && !warnings.is_empty() {
        warnings.iter_mut().for_each(deny_warning);
        return Err(Failure::findings(warnings));
    }
    let tally = sweep(args, &program, config, &study, err)?;
    let context = Context {
        study: study_file.name,
        base: base.name,
        engine: config.engine.clone(),
        engine_version: config.engine_version.clone(),
        corpus_path: shipped.path.to_owned(),
        grid: study.grid,
        deny_warnings: deny,
    };
    match args.format {
        Format::Human => {
            let _ = err.write_all(render_human(&warnings, sources, color).as_bytes());
            report::human(&context, &program, &study, &tally, err);
        }
        Format::Json => {
            let diagnostics = render_json(&warnings, sources);
            report::json(&context, (&program, &study, &tally), &diagnostics, out);
        }
    }
    Ok(if tally.invalid > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// Reads, decodes and parses the study file, and reads its structure.
fn read_study_file(args: &SweepCheckArgs, sources: &mut SourceMap) -> Result<StudyFile, Failure> {
    let name = args.study.display().to_string();
    let bytes = std::fs::read(&args.study).map_err(|e| {
        Failure::usage(
            Diagnostic::error("E901", format!("cannot read `{name}`: {e}"))
                .with_help("check the path and its permissions"),
        )
    })?;
    let text = decode_utf8(&name, &bytes).map_err(|d| Failure::findings(vec![d]))?;
    let file = sources.add(name.clone(), text.clone());
    let root = parse_yaml(file, &text).map_err(|d| Failure::findings(vec![d]))?;
    let mut diags = Vec::new();
    let raw = study::read_study(file, &root, &mut diags).ok_or(Failure::findings(diags))?;
    Ok(StudyFile {
        name,
        file,
        root,
        raw,
    })
}

/// Reads the base config (a file beside the study, or inline) and finds its engine schema.
fn read_base<'s>(
    args: &SweepCheckArgs,
    study_file: &StudyFile,
    sources: &mut SourceMap,
    supported: &[SupportedVersion<'s>],
) -> Result<Base<'s>, Failure> {
    let (name, read) = match &study_file.raw.base {
        BaseRef::File(path, span) => {
            let full = args
                .study
                .parent()
                .map(|dir| dir.join(path))
                .unwrap_or_else(|| PathBuf::from(path));
            let name = full.display().to_string();
            let bytes = std::fs::read(&full).map_err(|e| {
                Failure::usage(
                    Diagnostic::error("E901", format!("cannot read the base config `{name}`: {e}"))
                        .with_primary(study_file.file, *span, "named here")
                        .with_help("`base:` is relative to the study file"),
                )
            })?;
            let text = decode_utf8(&name, &bytes).map_err(|d| Failure::findings(vec![d]))?;
            let file = sources.add(name.clone(), text.clone());
            (name, read_experiment(file, &text, supported))
        }
        BaseRef::Inline(node) => (
            format!("{} (experiment:)", study_file.name),
            read_experiment_node(study_file.file, node.clone(), supported),
        ),
    };
    let has_errors = read.diagnostics.iter().any(Diagnostic::is_error);
    let Some(config) = read.config.filter(|_| !has_errors) else {
        return Err(Failure::findings(read.diagnostics));
    };
    let Some(schema) = supported
        .iter()
        .find(|s| s.engine == config.engine && s.version == config.engine_version)
        .map(|s| s.schema)
    else {
        return Err(Failure::findings(read.diagnostics));
    };
    Ok(Base {
        name,
        config,
        schema,
        warnings: read.diagnostics,
    })
}

/// Compiles the shipped rules for the base config's engine version; `None` (reported) when
/// they do not compile.
fn compile_shipped(
    shipped: &shipped::ShippedCorpus,
    config: &ExperimentConfig,
    color: Color,
    err: &mut dyn Write,
) -> Option<LoadedProgram> {
    match compile_corpus(&CorpusInput {
        name: shipped.path,
        text: shipped.text,
        schema: shipped.schema(),
        compat: false,
        engine_version: Some(config.engine_version.clone()),
    }) {
        Ok((program, _)) => Some(program),
        Err(failure) => {
            let errors: Vec<Diagnostic> = failure
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect();
            let _ = err.write_all(render_human(&errors, &failure.sources, color).as_bytes());
            let _ = writeln!(
                err,
                "llem: the shipped rules do not compile; nothing was checked"
            );
            None
        }
    }
}

/// Runs the sweep with a progress bar, writing valid points where `--emit-valid` says.
fn sweep(
    args: &SweepCheckArgs,
    program: &LoadedProgram,
    config: &ExperimentConfig,
    study: &Study,
    err: &mut dyn Write,
) -> Result<Tally, Failure> {
    let mut evaluator = Evaluator::sized(program, args.backend.runtime(), study.total);
    if let Some(e) = evaluator.jit_error() {
        let _ = writeln!(err, "llem: jit: {e}; using the interpreter");
    }
    let sweep = Sweep {
        program,
        base: &config.root,
        axes: &study.axes,
        extra: &study.extra,
        show: args.show,
        deny_warnings: super::denies_warnings(&args.deny),
    };
    let mut emit_file = match &args.emit_valid {
        None => None,
        Some(path) => Some(
            std::fs::File::create(path)
                .map(|f| BufWriter::with_capacity(1 << 16, f))
                .map_err(|e| {
                    Failure::usage(
                        Diagnostic::error(
                            "E901",
                            format!("cannot write `{}`: {e}", path.display()),
                        )
                        .with_help("check the path and its permissions"),
                    )
                })?,
        ),
    };
    let mut emitter = emit_file.as_mut().map(|f| Emit { out: f });
    let mut bar = progress::Bar::new(study.total, !args.no_progress);
    let result = sweep.run(&mut evaluator, emitter.as_mut(), &mut |done| {
        bar.update(done)
    });
    bar.finish();
    let flushed = emit_file.as_mut().map_or(Ok(()), |f| f.flush());
    match (result, flushed) {
        (Ok(t), Ok(())) => Ok(t),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(
                err,
                "error[E901]: llem sweep: cannot write the valid points: {e}"
            );
            Err(Failure {
                diagnostics: Vec::new(),
                code: exit::USAGE,
            })
        }
    }
}

/// Reports why the sweep was not checked.
fn fail(
    args: &SweepCheckArgs,
    study_name: &str,
    diags: &[Diagnostic],
    sources: &SourceMap,
    color: Color,
    out: &mut dyn Write,
    err: &mut dyn Write,
) {
    if args.format == Format::Json {
        let report = serde_json::json!({
            "study": study_name,
            "checked": false,
            "diagnostics": render_json(diags, sources),
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return;
    }
    let _ = err.write_all(render_human(diags, sources, color).as_bytes());
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let _ = writeln!(
        err,
        "llem: sweep `{study_name}` was not checked: {errors} {}",
        llemc_cli_common::output::plural(errors, "error")
    );
}
