//! `llemc fixpoint`: check that a corpus's silent normalisations converge, idempotently and in
//! any order (exit 1 with both rules named on a conflict).

use crate::failure::{fail, fail_with};
use crate::ssot_file::load_ssot;
use clap::Args;
use llemc_cli_common::exit;
use llemc_compiler::corpus::read_corpus;
use llemc_compiler::diagnostic::SourceMap;
use llemc_mining::failure::{Failure, read_text};
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
    if let Err(d) = ssot.supported(&version) {
        return fail_with(err, d);
    }
    let layout = Layout::cwd().with_artifacts(&ssot.artifacts);
    let corpus = a.corpus.clone().unwrap_or_else(|| {
        let validated = layout.validated(&a.engine, &version);
        if validated.is_file() {
            validated
        } else {
            layout.proposed(&a.engine, &version)
        }
    });
    let name = layout.display(&corpus);
    let schema_file = layout.schema(&a.engine, &version);
    let schema_name = layout.display(&schema_file);
    let (text, schema) = match (
        read_text(&corpus, &name, None),
        read_text(&schema_file, &schema_name, None),
    ) {
        (Ok(t), Ok(s)) => (t, s),
        (Err(d), _) | (_, Err(d)) => return fail_with(err, d),
    };
    let loaded = match compile_corpus(&CorpusInput {
        name: &name,
        text: &text,
        schema: Some((&schema_name, &schema)),
        compat: false,
        engine_version: Some(version.clone()),
    }) {
        Ok((loaded, _)) => loaded,
        Err(failure) => return fail(err, &Failure::new(failure.diagnostics, failure.sources)),
    };
    let mut sources = SourceMap::new();
    let file = sources.add(&name, text.as_str());
    let found = match read_corpus(file, &text) {
        (Some(read), _) => normalisations(&loaded, &read),
        // It compiled, so it reads.
        (None, diagnostics) => return fail(err, &Failure::new(diagnostics, sources)),
    };
    let found = match found {
        Ok(found) => found,
        Err(d) => return fail(err, &Failure::new(vec![d], sources)),
    };
    let report = check(&loaded, &found);
    for conflict in &report.conflicts {
        let _ = writeln!(out, "conflict: {conflict}");
    }
    let _ = writeln!(
        out,
        "{name}: {} normalisations, {} configs normalised, {} conflicts",
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
