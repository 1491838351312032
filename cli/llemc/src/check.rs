//! `llemc check`: diagnostics only.

use super::CorpusOptions;
use crate::session::Session;
use llemc_cli_common::exit;
use llemc_cli_common::output::{Format, counts, emit, plural};
use std::io::Write;
use std::path::PathBuf;

pub(super) fn run(
    corpora: &[PathBuf],
    options: &CorpusOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let session = Session::load(corpora, &options.load_options());
    let color = options.color.resolve();
    let mut all = session.io_errors.clone();
    all.extend(session.decode_errors.iter().cloned());
    let mut rules = 0;
    for unit in &session.units {
        let compiled = session.compile(unit);
        rules += compiled
            .program
            .as_ref()
            .map(|p| p.rules.len())
            .unwrap_or(0);
        all.extend(compiled.diagnostics.iter().cloned());
    }
    emit(&all, &session.sources, options.format, color, out, err);
    if options.format == Format::Human {
        let _ = writeln!(
            err,
            "llemc: checked {} {} ({} {}): {}",
            corpora.len(),
            plural(corpora.len(), "corpus file"),
            rules,
            plural(rules, "rule"),
            counts(&all)
        );
    }
    if !session.io_errors.is_empty() {
        exit::USAGE
    } else if all.iter().any(|d| d.is_error()) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
