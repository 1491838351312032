//! `llemc heldout`: the held-out evaluation of shipped corpora.
//!
//! ```text
//! llemc heldout label --engine transformers --version V     (feature `python`)
//! llemc heldout score --corpus FILE --labels FILE [--format json]
//! ```
//!
//! `label` observes every case of `eval/heldout/generation_kwargs.jsonl` with the live library
//! and writes `eval/heldout/labels-V.jsonl`; `score` compares a corpus's findings with a labels
//! file (pure Rust). Exit codes: 0 done (whatever the metrics), 2 usage, I/O or compile errors.

use clap::{Args, Subcommand};
use llemc_cli_common::exit;
use llemc_cli_common::output::Format;
use llemc_pipeline::heldout::score::{ScoreOptions, render_human, score_files};
use std::io::Write;
use std::path::PathBuf;

/// `llemc heldout ...`.
#[derive(Args, Debug)]
pub struct HeldoutArgs {
    #[command(subcommand)]
    command: HeldoutCommand,
}

#[derive(Subcommand, Debug)]
enum HeldoutCommand {
    /// Record what one library version does with every held-out case
    /// (eval/heldout/labels-<version>.jsonl).
    #[cfg(feature = "python")]
    #[command(disable_version_flag = true)]
    Label(LabelArgs),
    /// Score a corpus against a labels file: error, warn and dormant precision and recall.
    Score(ScoreArgs),
}

#[cfg(feature = "python")]
#[derive(Args, Debug)]
struct LabelArgs {
    /// Engine (reads engine_versions/<engine>.yaml).
    #[arg(long, default_value = "transformers")]
    engine: String,
    /// Library version.
    #[arg(long, value_name = "VERSION")]
    version: String,
    /// Repository root (default: the nearest directory at or above the current one holding
    /// `engines/`).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The cases (default: eval/heldout/generation_kwargs.jsonl).
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// The labels file to write (default: eval/heldout/labels-<version>.jsonl).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Seconds allowed per stage (construction, validation, generate()).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Args, Debug)]
struct ScoreArgs {
    /// The corpus to score.
    #[arg(long, value_name = "FILE")]
    corpus: PathBuf,
    /// The labels file (eval/heldout/labels-<version>.jsonl).
    #[arg(long, value_name = "FILE")]
    labels: PathBuf,
    /// The held-out cases (default: generation_kwargs.jsonl beside the labels).
    #[arg(long, value_name = "FILE")]
    kwargs: Option<PathBuf>,
    /// Engine schema (default: engines/transformers/<version>/schema.yaml).
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// Library version (default: from the labels file name).
    #[arg(long, value_name = "VERSION")]
    engine_version: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Runs `llemc heldout`.
pub fn run(args: &HeldoutArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match &args.command {
        #[cfg(feature = "python")]
        HeldoutCommand::Label(a) => run_label(a, out, err),
        HeldoutCommand::Score(a) => run_score(a, out, err),
    }
}

fn run_score(args: &ScoreArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let options = ScoreOptions {
        corpus: args.corpus.clone(),
        labels: args.labels.clone(),
        kwargs: args.kwargs.clone(),
        schema: args.schema.clone(),
        engine_version: args.engine_version.clone(),
    };
    let score = match score_files(&options) {
        Ok(s) => s,
        Err(e) => return crate::failure::fail(err, &e),
    };
    let written = match args.format {
        Format::Human => out.write_all(render_human(&score).as_bytes()),
        Format::Json => match serde_json::to_string_pretty(&score) {
            Ok(text) => writeln!(out, "{text}"),
            Err(e) => Err(std::io::Error::other(e)),
        },
    };
    match written {
        Ok(()) => exit::OK,
        Err(e) => {
            let _ = writeln!(err, "error: llemc heldout score: {e}");
            exit::USAGE
        }
    }
}

#[cfg(feature = "python")]
fn run_label(args: &LabelArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use llemc_pipeline::heldout::label::{LabelOptions, default_python, run};
    let options = LabelOptions {
        root: super::build_corpus::find_root(args.root.as_deref()),
        engine: args.engine.clone(),
        version: args.version.clone(),
        python: default_python(),
        input: args.input.clone(),
        output: args.output.clone(),
        timeout_s: args.timeout,
    };
    let report = match run(&options) {
        Ok(r) => r,
        Err(e) => return crate::failure::fail(err, &e),
    };
    let _ = match args.format {
        Format::Human => writeln!(
            out,
            "labelled {} cases with transformers {} -> {}\n  accepted {} (minor issues {}, warned {}, normalised {}), rejected {}, timeouts {}, unavailable {}\n  generate() on the accepted: failed {}, timeouts {}, unavailable {}",
            report.cases,
            report.version,
            report.output,
            report.accepted,
            report.minor_issues,
            report.warned,
            report.normalised,
            report.rejected,
            report.timeouts,
            report.unavailable,
            report.generate_failed,
            report.generate_timeouts,
            report.generate_unavailable
        ),
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
    };
    exit::OK
}
