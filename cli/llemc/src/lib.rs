//! `llemc`: the rule author's and CI's tool.

// `Diagnostic` is the one error type of every stage and is returned by value on purpose.
#![allow(clippy::result_large_err)]

pub mod build_corpus;
mod check;
mod compile;
pub mod diff_corpus;
mod docs;
pub mod embedded;
mod env;
pub mod eval;
mod explain;
mod failure;
mod fixpoint;
mod heldout;
mod mine;
#[cfg(feature = "python")]
mod mine_live;
#[cfg(feature = "python")]
mod refresh;
pub mod session;
mod ssot_file;
#[cfg(feature = "python")]
pub mod validate;

use crate::session::LoadOptions;
use clap::{Args, Parser, Subcommand};
use llemc_cli_common::exit;
use llemc_cli_common::output::{ColorChoice, Format};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// Checks, compiles and explains llemc rule corpora.
#[derive(Parser, Debug)]
#[command(name = "llemc", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Report every problem in one or more corpora (exit 1 when any is an error).
    Check(CheckArgs),
    /// Compile corpora into one binary rule program.
    Compile(CompileArgs),
    /// Show one rule: as written, its canonical predicate and its IR.
    Explain(ExplainArgs),
    /// Evaluate a corpus or artifact on a stream of JSON configs (one per line), one JSON result
    /// line per input line.
    Eval(eval::EvalArgs),
    /// Fetch an engine library's source and mine rules from it (`mine static`, `mine source`).
    Mine(mine::MineArgs),
    /// Merge the miners' staging files and the manual seeds into
    /// `engines/<engine>/<version>/invariants.proposed.yaml` (exit 1 when rules were dropped).
    BuildCorpus(build_corpus::BuildCorpusArgs),
    /// Show what changed between the corpora of two library versions (or two corpus files).
    DiffCorpus(diff_corpus::DiffCorpusArgs),
    /// Prepare the Python environments of the live miners and the gate (`env ensure`).
    Env(env::EnvArgs),
    /// Write docs/generated/invariants-<engine>.md from every supported version's corpus.
    Docs(docs::DocsArgs),
    /// Check that the corpus's silent normalisations converge in any order (exit 1 on conflicts).
    #[command(disable_version_flag = true)]
    Fixpoint(fixpoint::FixpointArgs),
    /// Replay the proposed corpus against the live library: confirmed rules go to
    /// `invariants.validated.yaml`, the others to `invariants.quarantine.yaml` (exit 1 when any
    /// rule diverges).
    #[cfg(feature = "python")]
    Validate(validate::ValidateArgs),
    /// Run the whole pipeline for every supported version: venv, source, miners, build-corpus,
    /// gate, fixpoint, then the generated docs (a second run changes no file).
    #[cfg(feature = "python")]
    Refresh(refresh::RefreshArgs),
    /// Held-out evaluation: label realistic configs with the live library (`heldout label`,
    /// feature `python`) and score a corpus against the labels (`heldout score`).
    Heldout(heldout::HeldoutArgs),
}

/// Options shared by every command that reads corpora.
#[derive(Args, Debug, Clone)]
struct CorpusOptions {
    /// Compatibility mode: no engine schema, field paths taken as written, declared values only.
    #[arg(long)]
    compat: bool,
    /// Engine schema to resolve field names against (default: `engines/<engine>/schema.yaml`
    /// found above the corpus, else the one shipped in llemc).
    #[arg(long, value_name = "FILE", conflicts_with = "compat")]
    schema: Option<PathBuf>,
    /// Engine library version to select rules for (`versions:`); default: the corpus's own.
    #[arg(long, value_name = "VERSION")]
    engine_version: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

impl CorpusOptions {
    fn load_options(&self) -> LoadOptions {
        LoadOptions {
            compat: self.compat,
            schema: self.schema.clone(),
            engine_version: self.engine_version.clone(),
        }
    }
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Corpus files.
    #[arg(required = true, value_name = "CORPUS")]
    corpora: Vec<PathBuf>,
    #[command(flatten)]
    options: CorpusOptions,
}

#[derive(Args, Debug)]
struct CompileArgs {
    /// Corpus files (one engine).
    #[arg(required = true, value_name = "CORPUS")]
    corpora: Vec<PathBuf>,
    /// Where to write the artifact.
    #[arg(short, long, value_name = "ARTIFACT")]
    output: PathBuf,
    #[command(flatten)]
    options: CorpusOptions,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// The rule id.
    rule_id: String,
    /// The corpus holding the rule.
    #[arg(long, value_name = "FILE")]
    corpus: PathBuf,
    #[command(flatten)]
    options: CorpusOptions,
}

/// Runs `llemc` with `args` (the first is the program name); returns the exit code.
pub fn run(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let rendered = e.render().to_string();
            if e.use_stderr() {
                let _ = err.write_all(rendered.as_bytes());
            } else {
                let _ = out.write_all(rendered.as_bytes());
            }
            return code;
        }
    };
    match cli.command {
        Command::Check(a) => check::run(&a.corpora, &a.options, out, err),
        Command::Compile(a) => compile::run(&a.corpora, &a.output, &a.options, out, err),
        Command::Explain(a) => explain::run(&a.rule_id, &a.corpus, &a.options, out, err),
        Command::Eval(a) => eval::run(&a, out, err),
        Command::Mine(a) => mine::run(&a, out, err),
        Command::BuildCorpus(a) => build_corpus::run(&a, out, err),
        Command::DiffCorpus(a) => diff_corpus::run(&a, out, err),
        Command::Env(a) => env::run(&a, out, err),
        Command::Fixpoint(a) => fixpoint::run(&a, out, err),
        Command::Docs(a) => docs::run(&a, out, err),
        #[cfg(feature = "python")]
        Command::Validate(a) => validate::run(&a, out, err),
        #[cfg(feature = "python")]
        Command::Refresh(a) => refresh::run(&a, out, err),
        Command::Heldout(a) => heldout::run(&a, out, err),
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_tree_is_well_formed() {
        Cli::command().debug_assert();
    }
}
