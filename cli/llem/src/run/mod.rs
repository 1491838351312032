//! `llem run <experiment|study>`: check, then measure. The full `llem config check` runs first
//! and a config it rejects never starts anything (exit 1); `--dry-run` stops after the check.
//! An accepted experiment (or every valid point of a study) then runs through the measurement
//! harness ([`llemc_harness`]), in the engine's venv or its Docker image, and its result is
//! written to `<results>/<config hash>/`. A run whose result exists is skipped (`--rerun` runs
//! it again), so a study that was stopped resumes where it stopped.

// `Diagnostic` is the one error type and is returned by value on purpose.
#![allow(clippy::result_large_err)]

mod diagnostics;
mod experiment;
mod options;
mod progress;
mod study;
mod summary;

pub use options::RunArgs;

use llemc_compiler::diagnostic::FileId;
use llemc_compiler::yaml::parse_yaml;
use std::io::{Read, Write};

/// Runs `llem run`.
pub fn run(args: &RunArgs, stdin: &mut dyn Read, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if is_study(args) {
        study::run(args, out, err)
    } else {
        experiment::run(args, stdin, out, err)
    }
}

/// A study has a `grid:` or `base:` key at its top level; anything else (a file that does not
/// read included: the check reports it) is an experiment config.
fn is_study(args: &RunArgs) -> bool {
    if args.file.as_os_str() == "-" {
        return false;
    }
    std::fs::read_to_string(&args.file)
        .ok()
        .and_then(|text| parse_yaml(FileId(0), &text).ok())
        .is_some_and(|root| root.get("grid").is_some() || root.get("base").is_some())
}
