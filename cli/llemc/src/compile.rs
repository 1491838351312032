//! `llemc compile`: corpora → one binary rule program.

use super::CorpusOptions;
use crate::session::Session;
use llemc_cli_common::exit;
use llemc_cli_common::output::{Format, counts, emit, plural};
use llemc_compiler::artifact;
use llemc_compiler::atomic_write::write_atomically;
use llemc_compiler::diagnostic::Diagnostic;
use llemc_compiler::program::merge;
use std::io::Write;
use std::path::{Path, PathBuf};

pub(super) fn run(
    corpora: &[PathBuf],
    output: &Path,
    options: &CorpusOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let session = Session::load(corpora, &options.load_options());
    let color = options.color.resolve();
    let mut all = session.io_errors.clone();
    all.extend(session.decode_errors.iter().cloned());
    let mut programs = Vec::new();
    for unit in &session.units {
        let compiled = session.compile(unit);
        all.extend(compiled.diagnostics.iter().cloned());
        if let Some(p) = &compiled.program {
            programs.push(p.clone());
        }
    }
    let failed = all.iter().any(Diagnostic::is_error);
    let merged = if failed { None } else { Some(merge(programs)) };
    let merged = match merged {
        Some(Err(message)) => {
            all.push(
                Diagnostic::error("E601", message)
                    .with_help("compile the corpora of each engine and version separately"),
            );
            None
        }
        Some(Ok(p)) => Some(p),
        None => None,
    };
    emit(&all, &session.sources, options.format, color, out, err);
    let Some(program) = merged else {
        if options.format == Format::Human {
            let _ = writeln!(err, "llemc: not compiled: {}", counts(&all));
        }
        return if session.io_errors.is_empty() {
            exit::FINDINGS
        } else {
            exit::USAGE
        };
    };
    let bytes = match artifact::encode(&program) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "error: cannot encode the program: {e}");
            return exit::USAGE;
        }
    };
    if let Err(e) = write_atomically(output, &bytes) {
        let _ = writeln!(err, "error[E902]: cannot write `{}`: {e}", output.display());
        return exit::USAGE;
    }
    if options.format == Format::Human {
        let _ = writeln!(
            err,
            "llemc: compiled {} {} for {} {} into `{}` ({} bytes; {})",
            program.rules.len(),
            plural(program.rules.len(), "rule"),
            program.engine,
            program.engine_version,
            output.display(),
            bytes.len(),
            counts(&all)
        );
    }
    exit::OK
}
