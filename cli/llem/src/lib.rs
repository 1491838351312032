//! `llem`: the experimenter's tool. `llem config check <experiment.yaml>` reports, in
//! milliseconds, what the engine would reject, warn about or silently ignore in a config;
//! `llem run` checks, then runs and measures the experiment.

mod check;
mod run;
pub mod shipped;
mod sweep;

use clap::{Args, Parser, Subcommand};
use llemc_cli_common::backend::Backend;
use llemc_cli_common::exit;
use llemc_cli_common::output::{ColorChoice, Format};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;

/// Checks LLM inference experiment configs against what each engine version accepts.
#[derive(Parser, Debug)]
#[command(name = "llem", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Experiment configs.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Parameter sweeps: a base config and a grid of values.
    #[command(subcommand)]
    Sweep(SweepCommand),
    /// Check an experiment (or every point of a study), then run and measure it: nothing starts
    /// on a config the engine would reject (exit 1).
    Run(run::RunArgs),
}

#[derive(Subcommand, Debug)]
enum SweepCommand {
    /// Check every point of a sweep (exit 1 when any point is invalid).
    Check(sweep::SweepCheckArgs),
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Report what the engine would reject (exit 1), warn about or ignore in a config.
    Check(CheckArgs),
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// The experiment config (`-` reads standard input).
    #[arg(value_name = "EXPERIMENT")]
    config: PathBuf,
    /// Also list the fields you set that no rule examines.
    #[arg(long)]
    gaps: bool,
    /// Check against this corpus (compiled against the shipped engine schema) instead of the
    /// shipped rules; for rule authors.
    #[arg(long, value_name = "CORPUS")]
    corpus: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Which evaluator runs the rules (identical results; `auto` uses the interpreter for a
    /// single config, since compiling would not repay itself).
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    backend: Backend,
    /// `--deny warnings`: every warning rejects the config (exit 1), for a strict check; by
    /// default the severities follow the engine.
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Vec<Deny>,
}

/// What `--deny` turns into errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Deny {
    /// Every warning (findings `W801`, `W811`, unknown fields `W708`, ...).
    Warnings,
}

/// Whether `--deny warnings` was given.
pub(crate) fn denies_warnings(deny: &[Deny]) -> bool {
    deny.contains(&Deny::Warnings)
}

/// Runs `llem` with `args` (the first is the program name), reading `-` from the process's
/// standard input; returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let stdin = std::io::stdin();
    run_with_stdin(args, &mut stdin.lock(), out, err)
}

/// Runs `llem` with `args`, reading `-` from `stdin`; returns the exit code.
pub fn run_with_stdin(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let rendered = e.render().to_string();
            if e.use_stderr() {
                let _ = err.write_all(rendered.as_bytes());
                return exit::USAGE;
            }
            let _ = out.write_all(rendered.as_bytes());
            return exit::OK;
        }
    };
    match cli.command {
        Command::Config(ConfigCommand::Check(a)) => check::run(&a, stdin, out, err),
        Command::Sweep(SweepCommand::Check(a)) => sweep::run(&a, out, err),
        Command::Run(a) => run::run(&a, stdin, out, err),
    }
}
