//! `llemc refresh ENGINE`: the whole compile-time pipeline for every supported version, in order:
//! venv, source, static miner, lifts, dynamic miner, build-corpus, gate, fixpoint; then the
//! generated docs. Each step runs as its own `llemc` process (one live library version per
//! process). The first step that fails hard (exit 2) stops the run; steps that report findings
//! (exit 1: rules dropped by build-corpus, divergences quarantined by the gate, normalisation
//! conflicts) let the run go on and make it exit 1 at the end. Every step writes atomically and
//! deterministically, so a second run changes no file.

use crate::ssot_file::load_ssot;
use clap::Args;
use llemc_cli_common::exit;
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

/// One step: what it is called and the `llemc` arguments that run it.
struct Step {
    name: String,
    args: Vec<String>,
}

fn steps(engine: &str, versions: &[String]) -> Vec<Step> {
    let mut all = Vec::new();
    for version in versions {
        let v = version.as_str();
        let step = |name: &str, args: &[&str]| Step {
            name: format!("{name} ({engine} {v})"),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        };
        let target = format!("{engine}@{v}");
        all.push(step("venv", &["env", "ensure", &target]));
        all.push(step(
            "source",
            &["mine", "source", "--engine", engine, "--version", v],
        ));
        all.push(step(
            "static miner",
            &["mine", "static", "--engine", engine, "--version", v],
        ));
        all.push(step(
            "lifts",
            &["mine", "lifts", "--engine", engine, "--version", v],
        ));
        all.push(step(
            "dynamic miner",
            &["mine", "dynamic", "--engine", engine, "--version", v],
        ));
        all.push(step(
            "build-corpus",
            &["build-corpus", "--engine", engine, "--version", v],
        ));
        all.push(step(
            "gate",
            &["validate", "--engine", engine, "--version", v],
        ));
        all.push(step(
            "fixpoint",
            &["fixpoint", "--engine", engine, "--version", v],
        ));
    }
    all.push(Step {
        name: format!("docs ({engine})"),
        args: vec!["docs".into(), "--engine".into(), engine.to_owned()],
    });
    all
}

/// Runs `llemc refresh`.
pub fn run(a: &RefreshArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ssot) = load_ssot(&a.engine, a.ssot.as_deref(), err) else {
        return exit::USAGE;
    };
    let versions: Vec<String> = match &a.only {
        Some(v) => match ssot.version(v) {
            Ok(entry) => vec![entry.version.clone()],
            Err(m) => {
                let _ = writeln!(err, "error: {m}");
                return exit::USAGE;
            }
        },
        None => ssot.versions.iter().map(|v| v.version.clone()).collect(),
    };
    let me = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(err, "error: cannot find the llemc executable: {e}");
            return exit::USAGE;
        }
    };
    let mut with_findings: Vec<String> = Vec::new();
    for step in steps(&a.engine, &versions) {
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
            if matches!(
                step.args.first().map(String::as_str),
                Some("mine" | "fixpoint" | "docs" | "env")
            ) {
                command.arg("--ssot").arg(ssot);
            }
        }
        let output = match command.output() {
            Ok(o) => o,
            Err(e) => {
                let _ = writeln!(err, "error: refresh: cannot run step {}: {e}", step.name);
                return exit::USAGE;
            }
        };
        let _ = out.write_all(&output.stdout);
        let _ = err.write_all(&output.stderr);
        match output.status.code() {
            Some(0) => {}
            Some(1) => with_findings.push(step.name.clone()),
            code => {
                let shown = code.map_or_else(|| "a signal".to_owned(), |c| format!("exit {c}"));
                let _ = writeln!(
                    err,
                    "error: refresh stopped: step {} failed ({shown}); nothing after it ran",
                    step.name
                );
                return exit::USAGE;
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
