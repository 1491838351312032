//! `llemc validate` on the fixture engine (miners/pipeline/tests/fixtures/gate): summary, written files,
//! determinism and exit codes. Each run is its own process (one library version per process).
#![cfg(feature = "python")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../miners/pipeline/tests/fixtures/gate")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of the fixture root.
fn root(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llemc-validate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&fixtures().join("root"), &dir);
    dir
}

fn llemc(root: &Path, args: &[&str]) -> (i32, String, String) {
    let site = fixtures().join("site");
    let output = Command::new(env!("CARGO_BIN_EXE_llemc"))
        .arg("validate")
        .args(["--engine", "gatefixture", "--root"])
        .arg(root)
        .arg("--site-packages")
        .arg(&site)
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn read(root: &Path, version: &str, file: &str) -> String {
    std::fs::read_to_string(root.join("engines/gatefixture").join(version).join(file)).unwrap()
}

#[test]
fn fixture_corpus_confirms_quarantines_and_reports() {
    let dir = root("main");
    let (code, out, err) = llemc(&dir, &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    insta::assert_snapshot!("summary", out);
    let validated = read(&dir, "1.0.0", "invariants.validated.yaml");
    let quarantine = read(&dir, "1.0.0", "invariants.quarantine.yaml");
    insta::assert_snapshot!("validated", validated);
    insta::assert_snapshot!("quarantine", quarantine);

    // The validated corpus is a corpus: `llemc check` accepts it.
    let check = Command::new(env!("CARGO_BIN_EXE_llemc"))
        .args(["check", "--color", "never", "--schema"])
        .arg(dir.join("engines/gatefixture/1.0.0/schema.yaml"))
        .arg(dir.join("engines/gatefixture/1.0.0/invariants.validated.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // A rerun writes the same bytes.
    let (code, again, _) = llemc(&dir, &[]);
    assert_eq!((code, again), (1, out));
    assert_eq!(read(&dir, "1.0.0", "invariants.validated.yaml"), validated);
    assert_eq!(
        read(&dir, "1.0.0", "invariants.quarantine.yaml"),
        quarantine
    );

    let (code, json, _) = llemc(&dir, &["--format", "json"]);
    assert_eq!(code, 1);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["divergent"], 1);
    insta::assert_snapshot!("summary_json", json);
}

#[test]
fn all_confirmed_exits_zero_with_unverified_reported() {
    let dir = root("clean");
    let path = dir.join("engines/gatefixture/1.0.0/invariants.proposed.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Drop the wrong rule (every rule starts with `- id:`).
    let kept: Vec<&str> = text
        .split("\n- id: ")
        .filter(|chunk| !chunk.starts_with("sampler_group_exceeds_beams_off_by_one"))
        .collect();
    std::fs::write(&path, kept.join("\n- id: ")).unwrap();
    let (code, out, err) = llemc(&dir, &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    insta::assert_snapshot!("summary_clean", out);
}

#[test]
fn a_case_that_hangs_is_a_divergence_not_a_hang() {
    let dir = root("hang");
    let path = dir.join("engines/gatefixture/1.0.0/invariants.proposed.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    // `mode: spin` makes the fixture's constructor loop forever.
    let text = text.replacen(
        "kwargs_positive: {size: 6}",
        "kwargs_positive: {size: 6, mode: spin}",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let (code, out, err) = llemc(&dir, &["--timeout", "0.5"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("divergent  sampler_size_too_large: replay (cases replay)"),
        "{out}"
    );
    let quarantine = read(&dir, "1.0.0", "invariants.quarantine.yaml");
    assert!(
        quarantine.contains("kwargs_positive: timed out after 0.5 s"),
        "{quarantine}"
    );
}

#[test]
fn hard_errors_exit_two_and_write_nothing() {
    let dir = root("errors");
    // A version the SSOT does not list.
    let (code, out, err) = llemc(&dir, &["--version", "9.9.9"]);
    assert_eq!((code, out.as_str()), (2, ""));
    insta::assert_snapshot!("unknown_version", err);
    // A listed version whose library is not the one installed.
    let (code, _, err) = llemc(&dir, &["--version", "1.1.0"]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("version_mismatch", err);
    assert!(
        !dir.join("engines/gatefixture/1.1.0/invariants.validated.yaml")
            .exists()
    );
    // No proposed corpus.
    std::fs::remove_file(dir.join("engines/gatefixture/1.0.0/invariants.proposed.yaml")).unwrap();
    let (code, _, err) = llemc(&dir, &[]);
    assert_eq!(code, 2);
    insta::assert_snapshot!("proposed_missing", err);
    // Nothing to import the library from.
    let output = Command::new(env!("CARGO_BIN_EXE_llemc"))
        .args(["validate", "--engine", "gatefixture", "--root"])
        .arg(&dir)
        .arg("--site-packages")
        .arg(dir.join("engines"))
        .args(["--version", "1.1.0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(
        "library_not_installed",
        String::from_utf8(output.stderr).unwrap()
    );
}
