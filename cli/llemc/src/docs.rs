//! `llemc docs`: write `docs/generated/invariants-<engine>.md` from the corpora of every
//! supported version (`--check`: exit 1 when the file is out of date instead of writing it).

use crate::ssot_file::load_ssot;
use clap::{Args, ValueEnum};
use llemc_cli_common::exit;
use llemc_compiler::atomic_write::write_atomically;
use llemc_mining::layout::Layout;
use llemc_pipeline::docs_gen::{VersionCorpus, render};
use std::io::Write;
use std::path::PathBuf;

/// Which corpus of each version to document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CorpusKind {
    /// `invariants.validated.yaml`: what the gate confirmed (what ships).
    Validated,
    /// `invariants.proposed.yaml`: before the gate.
    Proposed,
}

/// `llemc docs`.
#[derive(Args, Debug)]
pub struct DocsArgs {
    /// Engine (reads engine_versions/<engine>.yaml).
    #[arg(long, default_value = "transformers")]
    engine: String,
    /// Which corpus of each version to document.
    #[arg(long = "from", value_enum, default_value_t = CorpusKind::Validated)]
    from: CorpusKind,
    /// Where to write (default: docs/generated/invariants-<engine>.md).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Do not write: exit 1 when the file differs from what would be written.
    #[arg(long)]
    check: bool,
    /// The SSOT file (default: engine_versions/<engine>.yaml).
    #[arg(long, value_name = "FILE")]
    ssot: Option<PathBuf>,
}

/// Runs `llemc docs`.
pub fn run(a: &DocsArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ssot) = load_ssot(&a.engine, a.ssot.as_deref(), err) else {
        return exit::USAGE;
    };
    let kind = match a.from {
        CorpusKind::Validated => "validated",
        CorpusKind::Proposed => "proposed",
    };
    let mut files: Vec<(String, String, String, String, String)> = Vec::new();
    for entry in &ssot.versions {
        let version = entry.version.clone();
        let Some(path) = ssot.artifact(kind, &version) else {
            let _ = writeln!(
                err,
                "error: engine_versions/{}.yaml names no `{kind}` artifact",
                a.engine
            );
            return exit::USAGE;
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error: cannot read {path}: {e}\n  = help: run `llemc validate --engine {} --version {version}` first, or pass --from proposed",
                    a.engine
                );
                return exit::USAGE;
            }
        };
        let schema_file = Layout::new(".").schema(&a.engine, &version);
        let schema_name = schema_file.display().to_string();
        let schema = match std::fs::read_to_string(&schema_file) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: cannot read {schema_name}: {e}");
                return exit::USAGE;
            }
        };
        files.push((
            version,
            path,
            text,
            schema_name.trim_start_matches("./").to_owned(),
            schema,
        ));
    }
    let corpora: Vec<VersionCorpus<'_>> = files
        .iter()
        .map(|(version, path, text, schema_name, schema)| VersionCorpus {
            version,
            path,
            text,
            schema: (schema_name, schema),
        })
        .collect();
    let from = if a.from == CorpusKind::Proposed {
        " --from proposed"
    } else {
        ""
    };
    let command = format!("llemc docs --engine {}{from}", a.engine);
    let rendered = match render(&a.engine, &command, &corpora) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return exit::USAGE;
        }
    };
    let target = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("docs/generated/invariants-{}.md", a.engine)));
    if a.check {
        let current = std::fs::read_to_string(&target).unwrap_or_default();
        if current == rendered {
            let _ = writeln!(out, "{} is up to date", target.display());
            return exit::OK;
        }
        let _ = writeln!(out, "{} is out of date: run `{command}`", target.display());
        return exit::FINDINGS;
    }
    if let Err(e) = write_atomically(&target, &rendered) {
        let _ = writeln!(err, "error: cannot write {}: {e}", target.display());
        return exit::USAGE;
    }
    let _ = writeln!(out, "wrote {}", target.display());
    exit::OK
}
