//! Helpers shared by the CLI's integration tests: the repository root and `llemc` run in-process.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs llemc in-process in the current directory; returns (exit code, stdout, stderr).
pub fn llemc(args: &[&str]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let mut argv = vec!["llemc"];
    argv.extend_from_slice(args);
    let code = llemc::run(argv, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// Serialises the tests that change the working directory.
static CWD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs llemc in-process from the repository root (paths in `args` are relative to it).
pub fn llemc_in_repo(args: &[&str]) -> (i32, String, String) {
    let _guard = CWD.lock().unwrap_or_else(|e| e.into_inner());
    let cwd = std::env::current_dir().unwrap();
    std::env::set_current_dir(repo()).unwrap();
    let result = llemc(args);
    std::env::set_current_dir(cwd).unwrap();
    result
}
