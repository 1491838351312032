//! `llemc env ensure ENGINE[@VERSION]`: create or reuse the venv of every (or one) supported
//! library version under `.cache/venvs/`, for the live miners and the gate.

use crate::failure::fail_with;
use crate::ssot_file::load_ssot;
use clap::{Args, Subcommand};
use llemc_cli_common::exit;
use llemc_compiler::diagnostic::Diagnostic;
use llemc_live::env::{EnvSpec, ensure};
use llemc_mining::layout::Layout;
use std::io::Write;
use std::path::PathBuf;

/// `llemc env ...`.
#[derive(Args, Debug)]
pub struct EnvArgs {
    #[command(subcommand)]
    command: EnvCommand,
}

#[derive(Subcommand, Debug)]
enum EnvCommand {
    /// Create or reuse the venv of `ENGINE@VERSION` (every supported version when none is given)
    /// and print its site-packages folder.
    Ensure(EnsureArgs),
}

#[derive(Args, Debug)]
struct EnsureArgs {
    /// `transformers@5.14.1`, or `transformers` for every version in engine_versions.
    #[arg(value_name = "ENGINE[@VERSION]")]
    target: String,
    /// The SSOT file (default: engine_versions/<engine>.yaml).
    #[arg(long, value_name = "FILE")]
    ssot: Option<PathBuf>,
    /// Where venvs live (default: .cache/venvs).
    #[arg(long, value_name = "DIR")]
    venvs: Option<PathBuf>,
    /// The interpreter venvs are made from (it must match the one llemc embeds).
    #[arg(long, value_name = "PYTHON", default_value = "python3")]
    python: String,
}

/// Runs `llemc env`.
pub fn run(args: &EnvArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match &args.command {
        EnvCommand::Ensure(a) => run_ensure(a, out, err),
    }
}

fn run_ensure(a: &EnsureArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let (engine, version) = match a.target.split_once('@') {
        Some((e, v)) => (e, Some(v)),
        None => (a.target.as_str(), None),
    };
    let Some(ssot) = load_ssot(engine, a.ssot.as_deref(), err) else {
        return exit::USAGE;
    };
    let versions: Vec<String> = match version {
        Some(v) => match ssot.supported(v) {
            Ok(entry) => vec![entry.version.clone()],
            Err(d) => return fail_with(err, d),
        },
        None => ssot.versions.iter().map(|v| v.version.clone()).collect(),
    };
    let venvs = a.venvs.clone().unwrap_or_else(|| Layout::cwd().venvs());
    for version in versions {
        let spec = EnvSpec::for_version(&ssot, &version);
        match ensure(&venvs, &spec, &a.python) {
            Ok(venv) => {
                let _ = writeln!(out, "{}", venv.site_packages.display());
            }
            Err(e) => {
                return fail_with(
                    err,
                    Diagnostic::error(
                        "E670",
                        format!(
                            "the venv for {}=={version} could not be made ready: {e}",
                            ssot.distribution
                        ),
                    )
                    .with_help(format!(
                        "check that `{}` is CPython 3.11 and that PyPI is reachable",
                        a.python
                    )),
                );
            }
        }
    }
    exit::OK
}
