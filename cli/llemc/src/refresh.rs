//! `llemc refresh ENGINE`: runs the pipeline's step plan ([`llemc_pipeline::refresh::plan`]) for
//! every supported version, each step as its own `llemc` process (one live library version per
//! process). The first step that fails hard (exit 2) stops the run; steps that report findings
//! (exit 1: rules dropped by build-corpus, divergences quarantined by the gate, normalisation
//! conflicts) let the run go on and make it exit 1 at the end. Every step writes atomically and
//! deterministically, so a second run changes no file.

use crate::failure::fail_with;
use crate::ssot_file::load_ssot;
use clap::Args;
use llemc_cli_common::exit;
use llemc_compiler::diagnostic::Diagnostic;
use llemc_pipeline::refresh::plan;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// `llemc refresh`.
#[derive(Args, Debug)]
pub struct RefreshArgs {
    /// Engine (reads engine_versions/<engine>.yaml).
    #[arg(value_name = "ENGINE")]
    engine: String,
    /// Only this version (default: every supported version).
    #[arg(long = "only", value_name = "VERSION")]
    only: Option<String>,
    /// The SSOT file (default: engine_versions/<engine>.yaml).
    #[arg(long, value_name = "FILE")]
    ssot: Option<PathBuf>,
}

/// Runs `llemc refresh`.
pub fn run(a: &RefreshArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ssot) = load_ssot(&a.engine, a.ssot.as_deref(), err) else {
        return exit::USAGE;
    };
    let versions: Vec<String> = match &a.only {
        Some(v) => match ssot.supported(v) {
            Ok(entry) => vec![entry.version.clone()],
            Err(d) => return fail_with(err, d),
        },
        None => ssot.versions.iter().map(|v| v.version.clone()).collect(),
    };
    let me = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            return fail_with(
                err,
                Diagnostic::error("E680", format!("cannot find the llemc executable: {e}")),
            );
        }
    };
    let mut with_findings: Vec<String> = Vec::new();
    for step in plan(&a.engine, &versions) {
        let _ = writeln!(
            out,
            "refresh: {} — llemc {}",
            step.name,
            step.args.join(" ")
        );
        let _ = out.flush();
        let mut command = Command::new(&me);
        command.args(&step.args);
        if let Some(ssot) = &a.ssot {
            // Steps that read the SSOT take it from the same file.
            if step.reads_ssot {
                command.arg("--ssot").arg(ssot);
            }
        }
        let output = match command.output() {
            Ok(o) => o,
            Err(e) => {
                return fail_with(
                    err,
                    Diagnostic::error("E680", format!("cannot run step {}: {e}", step.name)),
                );
            }
        };
        let _ = out.write_all(&output.stdout);
        let _ = err.write_all(&output.stderr);
        match output.status.code() {
            Some(0) => {}
            Some(1) => with_findings.push(step.name.clone()),
            code => {
                let shown = code.map_or_else(|| "a signal".to_owned(), |c| format!("exit {c}"));
                return fail_with(
                    err,
                    Diagnostic::error(
                        "E681",
                        format!(
                            "refresh stopped: step {} failed ({shown}); nothing after it ran",
                            step.name
                        ),
                    )
                    .with_help(format!(
                        "the step's own errors are above; rerun it alone: llemc {}",
                        step.args.join(" ")
                    )),
                );
            }
        }
    }
    if with_findings.is_empty() {
        let _ = writeln!(out, "refresh: every step passed");
        exit::OK
    } else {
        let _ = writeln!(
            out,
            "refresh: done; steps with findings: {}",
            with_findings.join(", ")
        );
        exit::FINDINGS
    }
}
