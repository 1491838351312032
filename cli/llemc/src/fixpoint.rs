//! `llemc fixpoint`: check that a corpus's silent normalisations converge, idempotently and in
//! any order (exit 1 with both rules named on a conflict).

use crate::ssot_file::load_ssot;
use clap::Args;
use llemc_cli_common::exit;
use llemc_compiler::diagnostic::{Color, render_human};
use llemc_mining::layout::Layout;
use llemc_pipeline::fixpoint::{check, normalisations};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use std::io::Write;
use std::path::PathBuf;

/// `llemc fixpoint`.
#[derive(Args, Debug)]
pub struct FixpointArgs {
    /// Engine (reads engine_versions/<engine>.yaml).
    #[arg(long, default_value = "transformers")]
    engine: String,
    /// Library version (default: the SSOT's default_version).
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    /// The corpus to check (default: the version's validated corpus, else its proposed one).
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// The SSOT file (default: engine_versions/<engine>.yaml).
    #[arg(long, value_name = "FILE")]
    ssot: Option<PathBuf>,
}

/// Runs `llemc fixpoint`.
pub fn run(a: &FixpointArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(ssot) = load_ssot(&a.engine, a.ssot.as_deref(), err) else {
        return exit::USAGE;
    };
    let version = a
        .version
        .clone()
        .unwrap_or_else(|| ssot.default_version.clone());
    if let Err(m) = ssot.version(&version) {
        let _ = writeln!(err, "error: {m}");
        return exit::USAGE;
    }
    let corpus = a.corpus.clone().unwrap_or_else(|| {
        ["validated", "proposed"]
            .iter()
            .filter_map(|kind| ssot.artifact(kind, &version).map(PathBuf::from))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                PathBuf::from(format!(
                    "engines/{}/{version}/invariants.proposed.yaml",
                    a.engine
                ))
            })
    });
    let text = match std::fs::read_to_string(&corpus) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(err, "error: cannot read {}: {e}", corpus.display());
            return exit::USAGE;
        }
    };
    let schema_file = Layout::new(".").schema(&a.engine, &version);
    let schema = match std::fs::read_to_string(&schema_file) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: cannot read the engine schema {}: {e}",
                schema_file.display()
            );
            return exit::USAGE;
        }
    };
    let name = corpus.display().to_string();
    let schema_name = schema_file.display().to_string();
    let loaded = match compile_corpus(&CorpusInput {
        name: &name,
        text: &text,
        schema: Some((&schema_name, &schema)),
        compat: false,
        engine_version: Some(version.clone()),
    }) {
        Ok((loaded, _)) => loaded,
        Err(failure) => {
            let _ = err.write_all(
                render_human(&failure.diagnostics, &failure.sources, Color::Never).as_bytes(),
            );
            return exit::USAGE;
        }
    };
    let found = match normalisations(&loaded, &text) {
        Ok(found) => found,
        Err(e) => {
            let _ = writeln!(err, "error: {}: {e}", corpus.display());
            return exit::USAGE;
        }
    };
    let report = check(&loaded, &found);
    for conflict in &report.conflicts {
        let _ = writeln!(out, "conflict: {conflict}");
    }
    let _ = writeln!(
        out,
        "{}: {} normalisations, {} configs normalised, {} conflicts",
        corpus.display(),
        report.normalisations.len(),
        report.configs_checked,
        report.conflicts.len()
    );
    if report.conflicts.is_empty() {
        exit::OK
    } else {
        exit::FINDINGS
    }
}
