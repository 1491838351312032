//! The static miner on the fixture library (tests/fixtures): every construct, the hard errors.
#![allow(clippy::unwrap_used, clippy::panic)]

use llemc_compiler::diagnostic::FileId;
use llemc_miners::ssot::{EngineSsot, read_ssot};
use llemc_miners::static_miner::{MineError, check_against_schema, mine};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A copy of the `good` fixture library in a temp dir with one edit: `from` (which must occur
/// exactly once) replaced by `to` in `file`.
fn variant(name: &str, file: &str, from: &str, to: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("llemc-fixture-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let package = root.join("fixturelib");
    std::fs::create_dir_all(&package).unwrap();
    for entry in std::fs::read_dir(fixtures().join("good/fixturelib")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), package.join(entry.file_name())).unwrap();
    }
    let path = package.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur once in {file}"
    );
    std::fs::write(&path, text.replace(from, to)).unwrap();
    root
}

fn ssot() -> EngineSsot {
    let text = std::fs::read_to_string(fixtures().join("ssot.yaml")).unwrap_or_default();
    match read_ssot(FileId(0), &text) {
        Ok(s) => s,
        Err(d) => panic!("fixture SSOT does not read: {d:?}"),
    }
}

#[test]
fn fixture_rules_listing() {
    let out = match mine(&ssot(), "1.2.3", &fixtures().join("good")) {
        Ok(o) => o,
        Err(e) => panic!("mining failed: {e}"),
    };
    insta::assert_snapshot!("fixture_listing", out.staging.listing());
    insta::assert_snapshot!("fixture_schema", out.schema_yaml);
}

#[test]
fn fixture_staging_json_is_deterministic() {
    let a = mine(&ssot(), "1.2.3", &fixtures().join("good")).map(|o| o.staging.to_json());
    let b = mine(&ssot(), "1.2.3", &fixtures().join("good")).map(|o| o.staging.to_json());
    assert_eq!(a, b);
    let json = a.unwrap_or_default();
    insta::assert_snapshot!("fixture_staging_json", json);
}

#[test]
fn fixture_rules_compile_against_generated_schema() {
    let out = match mine(&ssot(), "1.2.3", &fixtures().join("good")) {
        Ok(o) => o,
        Err(e) => panic!("mining failed: {e}"),
    };
    for r in &out.staging.rules {
        assert!(
            llemc_grammar::parse_predicate(&r.when).is_ok(),
            "{} does not parse: {}",
            r.id,
            r.when
        );
    }
    if let Err(d) = check_against_schema(&out.staging, &out.schema_yaml) {
        panic!("mined rules do not compile against the generated schema:\n{d}");
    }
}

#[test]
fn renamed_landmark_is_a_hard_error() {
    let err = mine(
        &ssot(),
        "1.2.3",
        &variant(
            "renamed",
            "config.py",
            "def post_init(self):",
            "def post_init_renamed(self):",
        ),
    )
    .err();
    assert!(matches!(err, Some(MineError::MissingLandmarks(_))));
    insta::assert_snapshot!(
        "renamed_landmark",
        err.map(|e| e.to_string()).unwrap_or_default()
    );
}

#[test]
fn absent_landmark_of_another_version_is_not_required() {
    // 1.1.0 lists `fallback_values` as absent; the source is 1.2.3, outside 1.1's envelope
    let err = mine(&ssot(), "1.1.0", &fixtures().join("good")).err();
    insta::assert_snapshot!(
        "outside_envelope_1_1",
        err.map(|e| e.to_string()).unwrap_or_default()
    );
}

#[test]
fn source_that_does_not_parse_names_file_and_line() {
    let err = mine(
        &ssot(),
        "1.2.3",
        &variant(
            "broken",
            "config.py",
            "if self.heat is not None and self.heat > LIMIT:",
            "if self.heat is not None and self.heat > LIMIT",
        ),
    )
    .err();
    match &err {
        Some(MineError::Syntax { file, line, .. }) => {
            assert_eq!(file, "fixturelib/config.py");
            assert_eq!(*line, 61);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    insta::assert_snapshot!(
        "broken_source",
        err.map(|e| e.to_string()).unwrap_or_default()
    );
}

#[test]
fn version_outside_envelope_is_a_hard_error() {
    let err = mine(
        &ssot(),
        "1.2.3",
        &variant(
            "outside",
            "__init__.py",
            "__version__ = \"1.2.3\"",
            "__version__ = \"2.0.0\"",
        ),
    )
    .err();
    assert!(matches!(err, Some(MineError::OutsideEnvelope { .. })));
    insta::assert_snapshot!(
        "outside_envelope",
        err.map(|e| e.to_string()).unwrap_or_default()
    );
}

#[test]
fn unknown_version_is_a_hard_error() {
    let err = mine(&ssot(), "9.9.9", &fixtures().join("good")).err();
    assert!(matches!(err, Some(MineError::UnsupportedVersion(_))));
}
