//! `llem sweep check <study.yaml>`: validate every point of a parameter sweep (a base experiment
//! config and a grid of values for some of its fields) without materialising the grid; see
//! `docs/experiment-config.md`, "Sweeps".

mod engine;
mod progress;
mod report;
mod study;

use clap::Args;
use llemc_cli_common::backend::Backend;
use llemc_cli_common::exit;
use llemc_cli_common::output::{ColorChoice, Format};
use llemc_compiler::diagnostic::{Diagnostic, SourceMap, render_human, render_json};
use llemc_compiler::yaml::{decode_utf8, parse_yaml};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::experiment::{
    FindingKind, SupportedVersion, check_experiment, read_experiment, read_experiment_node,
};
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
}

/// What the report says about the sweep's inputs.
pub(super) struct Context {
    study: String,
    base: String,
    engine: String,
    engine_version: String,
    corpus_path: String,
    grid: u64,
}

pub(super) fn run(args: &SweepCheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let color = args.color.resolve();
    let mut sources = SourceMap::new();
    let study_name = args.study.display().to_string();
    let fail = |diags: &[Diagnostic],
                sources: &SourceMap,
                out: &mut dyn Write,
                err: &mut dyn Write| {
        if args.format == Format::Json {
            let parsed: serde_json::Value =
                serde_json::from_str(&render_json(diags, sources)).unwrap_or_default();
            let report =
                serde_json::json!({ "study": study_name, "checked": false, "diagnostics": parsed });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            return;
        }
        let _ = err.write_all(render_human(diags, sources, color).as_bytes());
        {
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let _ = writeln!(
                err,
                "llem: sweep `{study_name}` was not checked: {errors} {}",
                llemc_cli_common::output::plural(errors, "error")
            );
        }
    };

    // The study file.
    let bytes = match std::fs::read(&args.study) {
        Ok(b) => b,
        Err(e) => {
            let d = Diagnostic::error("E901", format!("cannot read `{study_name}`: {e}"))
                .with_help("check the path and its permissions");
            fail(&[d], &sources, out, err);
            return exit::USAGE;
        }
    };
    let text = match decode_utf8(&study_name, &bytes) {
        Ok(t) => t,
        Err(d) => {
            fail(&[d], &sources, out, err);
            return exit::FINDINGS;
        }
    };
    let study_file = sources.add(study_name.clone(), text.clone());
    let root = match parse_yaml(study_file, &text) {
        Ok(r) => r,
        Err(d) => {
            fail(&[d], &sources, out, err);
            return exit::FINDINGS;
        }
    };
    let mut diags = Vec::new();
    let Some(raw) = study::read_study(study_file, &root, &mut diags) else {
        fail(&diags, &sources, out, err);
        return exit::FINDINGS;
    };

    // The shipped schemas.
    let schemas = shipped::schemas(&mut sources);
    let supported: Vec<SupportedVersion<'_>> = schemas
        .iter()
        .map(|(c, s)| SupportedVersion {
            engine: c.engine,
            version: c.version,
            schema: s,
        })
        .collect();

    // The base config.
    let (base_name, read) = match &raw.base {
        study::BaseRef::File(path, span) => {
            let full = args
                .study
                .parent()
                .map(|dir| dir.join(path))
                .unwrap_or_else(|| PathBuf::from(path));
            let name = full.display().to_string();
            let bytes = match std::fs::read(&full) {
                Ok(b) => b,
                Err(e) => {
                    let d = Diagnostic::error(
                        "E901",
                        format!("cannot read the base config `{name}`: {e}"),
                    )
                    .with_primary(study_file, *span, "named here")
                    .with_help("`base:` is relative to the study file");
                    fail(&[d], &sources, out, err);
                    return exit::USAGE;
                }
            };
            let text = match decode_utf8(&name, &bytes) {
                Ok(t) => t,
                Err(d) => {
                    fail(&[d], &sources, out, err);
                    return exit::FINDINGS;
                }
            };
            let file = sources.add(name.clone(), text.clone());
            (name, read_experiment(file, &text, &supported))
        }
        study::BaseRef::Inline(node) => (
            format!("{study_name} (experiment:)"),
            read_experiment_node(study_file, node.clone(), &supported),
        ),
    };
    let base_errors: Vec<Diagnostic> = read
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let Some(config) = read.config.filter(|_| base_errors.is_empty()) else {
        fail(&read.diagnostics, &sources, out, err);
        return exit::FINDINGS;
    };
    let Some(schema) = supported
        .iter()
        .find(|s| s.engine == config.engine && s.version == config.engine_version)
        .map(|s| s.schema)
    else {
        fail(&read.diagnostics, &sources, out, err);
        return exit::FINDINGS;
    };

    // The axes and extra points.
    let axes = study::resolve_axes(study_file, &raw.grid, &config.engine, schema, &mut diags);
    let extra = study::resolve_extra(study_file, &raw.extra, &config.engine, schema, &mut diags);
    let (Some(axes), Some(extra)) = (axes, extra) else {
        fail(&diags, &sources, out, err);
        return exit::FINDINGS;
    };
    let extra_count = u64::try_from(extra.len()).unwrap_or(u64::MAX);
    let Some(grid) = study::grid_size(&axes) else {
        let sizes: Vec<String> = axes
            .iter()
            .map(|a| format!("{} ({})", a.target.dotted, a.values.len()))
            .collect();
        let grid_span = root
            .get_entry("grid")
            .map(|(k, _)| k.span)
            .unwrap_or(root.span);
        let d = Diagnostic::error("E725", "the grid has more points than fit in 64 bits")
            .with_primary(study_file, grid_span, "this grid")
            .with_note(format!("axis sizes: {}", sizes.join(" × ")))
            .with_help("split the study into several smaller ones");
        fail(&[d], &sources, out, err);
        return exit::FINDINGS;
    };
    let Some(total) = grid.checked_add(extra_count) else {
        let d = Diagnostic::error("E725", "the study has more points than fit in 64 bits")
            .with_primary(study_file, root.span, "this study");
        fail(&[d], &sources, out, err);
        return exit::FINDINGS;
    };

    // The rules.
    let Some(shipped) = shipped::corpus(&config.engine, &config.engine_version) else {
        fail(&diags, &sources, out, err);
        return exit::FINDINGS;
    };
    let program = match compile_corpus(&CorpusInput {
        name: shipped.path,
        text: shipped.text,
        schema: shipped.schema(),
        compat: false,
        engine_version: Some(config.engine_version.clone()),
    }) {
        Ok((program, _)) => program,
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
            return exit::USAGE;
        }
    };

    // Base values of the wrong type that no axis overrides are wrong at every point.
    let base_check = check_experiment(&config, &program, llemc_runtime::jit::Backend::Interp);
    let wrong: Vec<Diagnostic> = base_check
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::WrongType)
        .filter(|f| {
            !axes.iter().any(|a| {
                f.field == a.target.dotted || f.field.starts_with(&format!("{}.", a.target.dotted))
            })
        })
        .map(|f| f.diagnostic.clone())
        .collect();
    if !wrong.is_empty() {
        fail(&wrong, &sources, out, err);
        return exit::FINDINGS;
    }

    let (engine, note) = engine::Engine::new(&program, args.backend, total);
    if let Some(note) = note {
        let _ = writeln!(err, "llem: {note}");
    }
    let sweep = engine::Sweep {
        program: &program,
        base: &config.root,
        axes: &axes,
        extra: &extra,
        show: args.show,
    };
    let mut emit_file = match &args.emit_valid {
        None => None,
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some(BufWriter::with_capacity(1 << 16, f)),
            Err(e) => {
                let d =
                    Diagnostic::error("E901", format!("cannot write `{}`: {e}", path.display()))
                        .with_help("check the path and its permissions");
                fail(&[d], &sources, out, err);
                return exit::USAGE;
            }
        },
    };
    let mut emitter = emit_file.as_mut().map(|f| engine::Emit { out: f });
    let mut bar = progress::Bar::new(total, !args.no_progress);
    let result = sweep.run(&engine, emitter.as_mut(), &mut |done| bar.update(done));
    bar.finish();
    let flushed = emit_file.as_mut().map_or(Ok(()), |f| f.flush());
    let tally = match (result, flushed) {
        (Ok(t), Ok(())) => t,
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(
                err,
                "error[E901]: llem sweep: cannot write the valid points: {e}"
            );
            return exit::USAGE;
        }
    };
    let context = Context {
        study: study_name,
        base: base_name,
        engine: config.engine.clone(),
        engine_version: config.engine_version.clone(),
        corpus_path: shipped.path.to_owned(),
        grid,
    };
    match args.format {
        Format::Human => {
            report::human(&context, &program, &axes, extra.len(), &tally, err);
        }
        Format::Json => report::json(&context, &program, &axes, extra.len(), &tally, out),
    }
    if tally.invalid > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
