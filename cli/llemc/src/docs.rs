//! `llemc docs`: write `docs/generated/invariants-<engine>.md` from the corpora of every
//! supported version (`--check`: exit 1 when the file is out of date instead of writing it).

use crate::failure::{fail, fail_with};
use crate::ssot_file::load_ssot;
use clap::{Args, ValueEnum};
use llemc_cli_common::exit;
use llemc_compiler::atomic_write::write_atomically;
use llemc_mining::failure::{cannot_write, read_text};
use llemc_mining::layout::Layout;
use llemc_mining::staging::{ContextSites, OpaqueRule};
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
    let layout = Layout::cwd().with_artifacts(&ssot.artifacts);
    let mut files: Vec<(String, String, String, String, String)> = Vec::new();
    let mut context_sites: Vec<Vec<OpaqueRule>> = Vec::new();
    for entry in &ssot.versions {
        let version = entry.version.clone();
        let path = match a.from {
            CorpusKind::Validated => layout.validated(&a.engine, &version),
            CorpusKind::Proposed => layout.proposed(&a.engine, &version),
        };
        let shown = layout.display(&path);
        let help = format!(
            "run `llemc validate --engine {} --version {version}` first, or pass --from proposed",
            a.engine
        );
        let schema_file = layout.schema(&a.engine, &version);
        let schema_name = layout.display(&schema_file);
        let read = read_text(&path, &shown, Some(&help))
            .and_then(|text| Ok((text, read_text(&schema_file, &schema_name, None)?)));
        match read {
            Ok((text, schema)) => files.push((version, shown, text, schema_name, schema)),
            Err(d) => return fail_with(err, d),
        }
        let context_file = layout.runtime_context(&a.engine, &entry.version);
        match ContextSites::read(&context_file, &layout.display(&context_file)) {
            Ok(sites) => context_sites.push(sites),
            Err(d) => return fail_with(err, d),
        }
    }
    let corpora: Vec<VersionCorpus<'_>> = files
        .iter()
        .zip(&context_sites)
        .map(
            |((version, path, text, schema_name, schema), sites)| VersionCorpus {
                version,
                path,
                text,
                schema: (schema_name, schema),
                context_sites: sites,
            },
        )
        .collect();
    let from = if a.from == CorpusKind::Proposed {
        " --from proposed"
    } else {
        ""
    };
    let command = format!("llemc docs --engine {}{from}", a.engine);
    let rendered = match render(&a.engine, &command, &corpora) {
        Ok(r) => r,
        Err(e) => return fail(err, &e),
    };
    let target = a
        .out
        .clone()
        .unwrap_or_else(|| layout.generated_docs(&a.engine));
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
        return fail_with(err, cannot_write(&target.display().to_string(), &e));
    }
    let _ = writeln!(out, "wrote {}", target.display());
    exit::OK
}
