//! `llemc diff-corpus`: what changed between the corpora of two library versions.

use super::build_corpus::find_root;
use crate::failure::fail;
use clap::Args;
use llemc_cli_common::exit;
use llemc_cli_common::output::Format;
use llemc_pipeline::diff::{corpus_path, diff_corpora, load_corpus, render_human, render_json};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `llemc diff-corpus`.
#[derive(Args, Debug)]
pub struct DiffCorpusArgs {
    /// The old side: a library version (`4.57.6`) or a corpus file.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new side: a library version (`5.14.1`) or a corpus file.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// Engine (for versions given as OLD / NEW).
    #[arg(long, default_value = "transformers")]
    pub engine: String,
    /// Compare the validated corpora instead of the proposed ones.
    #[arg(long)]
    pub validated: bool,
    /// Engine schema for both sides (default: the schema of each side's version).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Repository root (default: the nearest directory at or above the current one that holds
    /// `engines/`).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Runs the command; exit 0 (differences are not an error), 2 when a corpus cannot be read.
pub fn run(args: &DiffCorpusArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let root = find_root(args.root.as_deref());
    let mut sides = Vec::new();
    for operand in [&args.old, &args.new] {
        let path = corpus_path(&root, &args.engine, operand, args.validated);
        match load_corpus(&root, &path, args.schema.as_deref()) {
            Ok(c) => sides.push(c),
            Err(e) => return fail(err, &e),
        }
    }
    let [old, new] = sides.as_slice() else {
        return exit::USAGE;
    };
    let diff = diff_corpora(old, new);
    let text = match args.format {
        Format::Human => render_human(&diff),
        Format::Json => format!("{}\n", render_json(&diff)),
    };
    let _ = out.write_all(text.as_bytes());
    exit::OK
}
