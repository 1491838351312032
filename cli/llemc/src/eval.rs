//! `llemc eval`: evaluate a rule program on a stream of configs, one JSON object per line.
//!
//! ```text
//! llemc eval --corpus FILE [--compat | --schema FILE] [--native TYPE] --jsonl FILE|-
//! llemc eval --artifact FILE [--native TYPE] --jsonl FILE|-
//! ```
//!
//! Every input line yields exactly one output line, in input order: `{"fired":[…]}` or
//! `{"error":"line N: …"}`; the format, the binding of `--native` kwargs and how memory stays flat
//! are described in [`llemc_runtime::batch`], which does the work. This file parses the arguments,
//! loads the program and reports.
//!
//! Exit codes: 0 the batch ran (whatever fired, whatever lines were malformed); 1 the corpus does
//! not compile (its diagnostics go to standard error); 2 usage or I/O errors (unreadable files, a
//! bad artifact, an unknown native type, a write failure).

use crate::session::{LoadOptions, Session};
use clap::{ArgGroup, Args};
use llemc_cli_common::backend::Backend;
use llemc_cli_common::exit;
use llemc_cli_common::output::{ColorChoice, Format, counts, emit};
use llemc_compiler::diagnostic::Diagnostic;
use llemc_runtime::batch::{self, BindingError, DEFAULT_MAX_LINE_BYTES};
use llemc_runtime::jit::Evaluator;
use llemc_runtime::loaded::LoadedProgram;
use std::io::{BufRead, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;

/// `llemc eval` arguments.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("program").required(true).args(["corpus", "artifact"])))]
pub struct EvalArgs {
    /// The corpus to compile and evaluate.
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// A compiled artifact (`llemc compile`) to evaluate instead of a corpus.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["compat", "schema", "engine_version"])]
    artifact: Option<PathBuf>,
    /// Compatibility mode: no engine schema, field paths taken as written, declared values only.
    #[arg(long)]
    compat: bool,
    /// Engine schema to resolve field names against (default: found beside the corpus, else the
    /// shipped one).
    #[arg(long, value_name = "FILE", conflicts_with = "compat")]
    schema: Option<PathBuf>,
    /// Engine library version to select rules for; default: the corpus's own.
    #[arg(long, value_name = "VERSION")]
    engine_version: Option<String>,
    /// Each line holds the kwargs of this native type instead of a whole config tree.
    #[arg(long, value_name = "TYPE")]
    native: Option<String>,
    /// The configs, one JSON object per line (`-`: standard input).
    #[arg(long, value_name = "FILE|-")]
    jsonl: PathBuf,
    /// Which evaluator runs the rules (identical results; `auto`: the interpreter for the first
    /// 4,000 lines, then the JIT).
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    backend: Backend,
    /// Worker threads evaluating lines (default: one per core; `1`: on the main thread alone).
    /// The output is the same whatever the number.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<NonZeroUsize>,
    /// Report on standard error which backend ran (JIT compile time, rules left to the
    /// interpreter and why).
    #[arg(long)]
    verbose: bool,
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Longest accepted input line in bytes; longer lines get an error line.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_LINE_BYTES, hide = true)]
    max_line_bytes: usize,
}

pub(super) fn run(args: &EvalArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let program = match load(args, err) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let binding = match batch::binding(&program, args.native.as_deref()) {
        Ok(binding) => binding,
        Err(e) => {
            let _ = match e {
                BindingError::Compat => writeln!(
                    err,
                    "error: --native needs an engine schema; in compatibility mode configs are whole trees (drop --native or --compat)"
                ),
                BindingError::UnknownNative { known } => writeln!(
                    err,
                    "error: unknown native type `{}`; this program knows: {}",
                    args.native.as_deref().unwrap_or(""),
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            };
            return exit::USAGE;
        }
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let result = if args.jsonl.as_os_str() == "-" {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        evaluate(&program, args, binding, jobs, &mut lock, out)
    } else {
        match std::fs::File::open(&args.jsonl) {
            Ok(file) => {
                let mut reader = batch::buffered(file);
                evaluate(&program, args, binding, jobs, &mut reader, out)
            }
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error[E901]: cannot read `{}`: {e}",
                    args.jsonl.display()
                );
                return exit::USAGE;
            }
        }
    };
    match result {
        Ok(report) => {
            if args.verbose {
                let _ = writeln!(
                    err,
                    "llemc eval: backend {} ({} at the end), {jobs} thread{}",
                    args.backend.as_str(),
                    report.active,
                    if jobs.get() == 1 { "" } else { "s" }
                );
                for note in &report.notes {
                    let _ = writeln!(err, "llemc eval: {note}");
                }
            }
            exit::OK
        }
        Err(e) => {
            let _ = writeln!(err, "error: llemc eval: {e}");
            exit::USAGE
        }
    }
}

/// Runs the batch on `jobs` threads (on this one alone when `jobs` is 1).
fn evaluate(
    program: &LoadedProgram,
    args: &EvalArgs,
    binding: batch::Binding<'_>,
    jobs: NonZeroUsize,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> std::io::Result<batch::BatchReport> {
    let backend = args.backend.runtime();
    if jobs.get() > 1 {
        return batch::batch_parallel(
            program,
            backend,
            binding,
            input,
            out,
            args.max_line_bytes,
            jobs,
        );
    }
    let mut evaluator = Evaluator::new(program, backend);
    let stats = batch::batch_with(
        program,
        &mut evaluator,
        binding,
        input,
        out,
        args.max_line_bytes,
    )?;
    Ok(batch::BatchReport {
        stats,
        notes: evaluator.notes().to_vec(),
        active: evaluator.active(),
    })
}

/// Compiles the corpus or loads the artifact.
fn load(args: &EvalArgs, err: &mut dyn Write) -> Result<LoadedProgram, i32> {
    if let Some(path) = &args.artifact {
        let bytes = std::fs::read(path).map_err(|e| {
            let _ = writeln!(err, "error[E901]: cannot read `{}`: {e}", path.display());
            exit::USAGE
        })?;
        return LoadedProgram::from_artifact(&bytes).map_err(|e| {
            let _ = writeln!(err, "error: `{}`: {e}", path.display());
            exit::USAGE
        });
    }
    let Some(corpus) = &args.corpus else {
        let _ = writeln!(err, "error: give --corpus or --artifact");
        return Err(exit::USAGE);
    };
    let options = LoadOptions {
        compat: args.compat,
        schema: args.schema.clone(),
        engine_version: args.engine_version.clone(),
    };
    let session = Session::load(std::slice::from_ref(corpus), &options);
    let color = args.color.resolve();
    let mut all = session.io_errors.clone();
    all.extend(session.decode_errors.iter().cloned());
    let mut program = None;
    for unit in &session.units {
        let compiled = session.compile(unit);
        all.extend(compiled.diagnostics.iter().cloned());
        program = compiled.program.clone();
    }
    let failed = all.iter().any(Diagnostic::is_error);
    match program {
        Some(program) if !failed => Ok(LoadedProgram::new(program)),
        _ => {
            let errors: Vec<Diagnostic> = all.into_iter().filter(Diagnostic::is_error).collect();
            let mut sink = Vec::new();
            emit(
                &errors,
                &session.sources,
                Format::Human,
                color,
                &mut sink,
                err,
            );
            let _ = writeln!(err, "llemc: not evaluated: {}", counts(&errors));
            Err(if session.io_errors.is_empty() {
                exit::FINDINGS
            } else {
                exit::USAGE
            })
        }
    }
}
