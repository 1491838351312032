//! How a command reports a stage that stopped: the stage's diagnostics, rendered in rustc style
//! on the error stream, and exit code 2.

use llemc_cli_common::exit;
use llemc_compiler::diagnostic::{Color, Diagnostic};
use llemc_mining::failure::Failure;
use std::io::Write;

/// Writes the failure's diagnostics to `err`; returns exit code 2.
pub fn fail(err: &mut dyn Write, failure: &Failure) -> i32 {
    let _ = err.write_all(failure.render(Color::Never).as_bytes());
    exit::USAGE
}

/// Writes one diagnostic (with no location) to `err`; returns exit code 2.
pub fn fail_with(err: &mut dyn Write, diagnostic: Diagnostic) -> i32 {
    fail(err, &Failure::from(diagnostic))
}
