//! `llem run <experiment.yaml>`: the check, then one measured run.

use super::RunArgs;
use super::diagnostics::run_failed;
use super::progress::Progress;
use super::summary::{result_json, result_lines};
use crate::check::{Checked, Input, check_config, json_report, write_human};
use llemc_cli_common::backend::Backend;
use llemc_cli_common::exit;
use llemc_cli_common::output::Format;
use llemc_compiler::diagnostic::{Color, Diagnostic, SourceMap, render_human, render_json};
use llemc_harness::result::RESULT_FILE;
use llemc_harness::{Experiment, HarnessError, ModelSource, RunOutcome, run_experiment};
use llemc_runtime::experiment::ExperimentConfig;
use llemc_runtime::sweep::engine::node_json;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Why a run was not started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NotStarted {
    /// The check rejects the config.
    Rejected,
    /// `--dry-run`.
    DryRun,
}

impl NotStarted {
    fn word(self) -> &'static str {
        match self {
            NotStarted::Rejected => "rejected",
            NotStarted::DryRun => "dry_run",
        }
    }
}

/// How the run part ended, for the exit code and the JSON output.
enum Ran {
    /// Not started.
    NotStarted(NotStarted),
    /// A result for the same config exists.
    Skipped(PathBuf),
    /// It ran.
    Completed(Box<RunOutcome>),
    /// It could not start or did not complete.
    Failed(Diagnostic, i32),
}

/// Runs `llem run` on one experiment config.
pub(super) fn run(
    args: &RunArgs,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let color = args.color.resolve();
    let input = if args.file.as_os_str() == "-" {
        Input::Stdin(stdin)
    } else {
        Input::File(&args.file)
    };
    let checked = match check_config(input, None, Backend::Auto) {
        Ok(checked) => checked,
        Err(unchecked) => return unchecked.emit(args.format, color, out, err),
    };
    let human = args.format == Format::Human;
    if human {
        write_human(&checked.report, &checked.sources, color, false, err);
    }
    let ran = match (&checked.config, checked.report.has_errors()) {
        (Some(config), false) if !args.dry_run => run_checked(args, config, &args.file, human, err),
        (_, true) => Ran::NotStarted(NotStarted::Rejected),
        _ => Ran::NotStarted(NotStarted::DryRun),
    };
    finish(args, &checked, &ran, color, out, err)
}

/// Builds the harness's experiment from an accepted config and runs it, unless a result for
/// the same config exists.
fn run_checked(
    args: &RunArgs,
    config: &ExperimentConfig,
    file: &Path,
    human: bool,
    err: &mut dyn Write,
) -> Ran {
    let experiment = match experiment(args, config, file) {
        Ok(experiment) => experiment,
        Err(e) => return Ran::Failed(run_failed(&e), e.exit_code()),
    };
    let output_dir = args.results.join(&experiment.config_hash);
    let existing = output_dir.join(RESULT_FILE);
    if existing.is_file() && !args.rerun {
        return Ran::Skipped(existing);
    }
    let runner = args.runner(&experiment.engine, &experiment.engine_version);
    if human {
        let _ = writeln!(
            err,
            "llem: running `{}` ({} runner: {})",
            experiment.model_name,
            runner.kind(),
            runner.target()
        );
    }
    let options = args.run_options(output_dir);
    let _signals = match options.cancel.watch_signals() {
        Ok(watch) => watch,
        Err(e) => return Ran::Failed(run_failed(&e), e.exit_code()),
    };
    let mut progress = Progress::new(err, "  ".to_owned(), human);
    match run_experiment(&experiment, &runner, &options, &mut progress) {
        Ok(outcome) => Ran::Completed(Box::new(outcome)),
        Err(e) => Ran::Failed(run_failed(&e), e.exit_code()),
    }
}

/// The harness's experiment for an accepted config read from `file`: the config as JSON, its
/// model (a directory relative to the config's folder, else a Hugging Face id), the run
/// options.
pub(super) fn experiment(
    args: &RunArgs,
    config: &ExperimentConfig,
    file: &Path,
) -> Result<Experiment, HarnessError> {
    let mut experiment = Experiment::from_config(&node_json(&config.root), &config.engine_version)?;
    let folder = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && file.as_os_str() != "-" => dir,
        _ => Path::new("."),
    };
    experiment.model = ModelSource::from_written(&experiment.model_name, folder);
    if file.as_os_str() != "-" {
        experiment.config_path = Some(file.to_path_buf());
    }
    args.configure(&mut experiment)?;
    Ok(experiment)
}

/// Reports how the run ended and gives the exit code: 0 completed, skipped or a clean dry run;
/// 1 rejected or the engine failed; 2 anything else that stopped the run.
fn finish(
    args: &RunArgs,
    checked: &Checked,
    ran: &Ran,
    color: Color,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match args.format {
        Format::Human => write_run_human(ran, color, err),
        Format::Json => {
            let value = json!({
                "check": json_report(&checked.report, false, &checked.sources),
                "run": run_json(ran),
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
    }
    match ran {
        Ran::NotStarted(NotStarted::Rejected) => exit::FINDINGS,
        Ran::NotStarted(_) | Ran::Skipped(_) | Ran::Completed(_) => exit::OK,
        Ran::Failed(_, code) => *code,
    }
}

fn write_run_human(ran: &Ran, color: Color, err: &mut dyn Write) {
    match ran {
        Ran::NotStarted(NotStarted::Rejected) => {
            let _ = writeln!(
                err,
                "llem: not started: the engine would reject this config"
            );
        }
        Ran::NotStarted(_) => {
            let _ = writeln!(
                err,
                "llem: --dry-run: the config was checked, nothing was started"
            );
        }
        Ran::Skipped(path) => {
            let _ = writeln!(
                err,
                "llem: a result for this config exists, not run again (`--rerun` runs it): {}",
                path.display()
            );
        }
        Ran::Completed(outcome) => {
            for line in result_lines(&outcome.result, &outcome.result_path) {
                let _ = writeln!(err, "  {line}");
            }
        }
        Ran::Failed(diagnostic, _) => {
            let text = render_human(std::slice::from_ref(diagnostic), &SourceMap::new(), color);
            let _ = err.write_all(text.as_bytes());
        }
    }
}

fn run_json(ran: &Ran) -> Value {
    match ran {
        Ran::NotStarted(why) => json!({ "status": "not_started", "reason": why.word() }),
        Ran::Skipped(path) => json!({ "status": "skipped", "result": path.display().to_string() }),
        Ran::Completed(outcome) => {
            let mut value = result_json(&outcome.result, &outcome.result_path);
            if let Some(object) = value.as_object_mut() {
                object.insert("status".to_owned(), json!("completed"));
            }
            value
        }
        Ran::Failed(diagnostic, _) => json!({
            "status": "failed",
            "diagnostics": render_json(std::slice::from_ref(diagnostic), &SourceMap::new()),
        }),
    }
}
