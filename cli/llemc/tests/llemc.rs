//! `llemc check`, `compile` and `explain`, driven in-process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use support::llemc_in_repo as llemc;

use std::path::PathBuf;

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llemc-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn shipped_seeds_check_clean() {
    let (code, out, err) = llemc(&[
        "check",
        "--color",
        "never",
        "engines/transformers/seeds.yaml",
    ]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
}

#[test]
fn compat_corpora_check_without_errors() {
    let (code, _, err) = llemc(&[
        "check",
        "--compat",
        "--color",
        "never",
        "../shared/compat/transformers.yaml",
        "../shared/compat/vllm.yaml",
        "../shared/compat/tensorrt.yaml",
        "../shared/compat/v0.7.0/transformers.yaml",
        "../shared/compat/v0.7.0/vllm.yaml",
        "../shared/compat/v0.7.0/tensorrt.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("compat_check", err);
}

#[test]
fn mistakes_are_reported_with_exit_code_1() {
    let (code, _, err) = llemc(&[
        "check",
        "--color",
        "never",
        "--schema",
        "compiler/tests/fixtures/check/schema.yaml",
        "compiler/tests/fixtures/check/mistakes.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[E302]: unknown field `num_beam`"),
        "{err}"
    );
    assert!(err.contains("errors,"), "{err}");
}

#[test]
fn json_format_lists_diagnostics_with_lines() {
    let (code, out, _) = llemc(&[
        "check",
        "--format",
        "json",
        "--schema",
        "compiler/tests/fixtures/check/schema.yaml",
        "compiler/tests/fixtures/check/mistakes.yaml",
    ]);
    assert_eq!(code, 1);
    let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &parsed[0];
    assert_eq!(first["code"], "E302");
    assert_eq!(first["line"], 9);
    assert_eq!(first["column"], 9);
    assert_eq!(first["help"], "did you mean `num_beams`?");
}

#[test]
fn missing_file_is_exit_2() {
    let (code, _, err) = llemc(&["check", "--color", "never", "no/such/corpus.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read `no/such/corpus.yaml`"), "{err}");
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(llemc(&["check"]).0, 2);
    assert_eq!(llemc(&["frobnicate"]).0, 2);
    assert_eq!(
        llemc(&["check", "--compat", "--schema", "x.yaml", "y.yaml"]).0,
        2
    );
    assert_eq!(llemc(&["--version"]).0, 0);
}

#[test]
fn invalid_utf8_is_located() {
    let path = temp_file(
        "bad-utf8.yaml",
        b"schema_version: 1.0.0\nengine: transformers\nrules: []\n# caf\xe9\n",
    );
    let (code, _, err) = llemc(&[
        "check",
        "--compat",
        "--color",
        "never",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(":4:"), "{err}");
}

#[test]
fn deep_nesting_and_huge_files_do_not_crash() {
    let deep = format!(
        "schema_version: 1.0.0\nengine: x\nrules: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let path = temp_file("deep.yaml", deep.as_bytes());
    let (code, _, err) = llemc(&[
        "check",
        "--compat",
        "--color",
        "never",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E105"), "{err}");

    let rule = "- id: r{N}\n  engine: x\n  severity: warn\n  native_type: x.T\n  match:\n    fields:\n      x.a.b: {\">\": {N}}\n  kwargs_positive: {}\n  kwargs_negative: {}\n  expected_outcome: {outcome: warn, emission_channel: none, normalised_fields: []}\n";
    let mut big = String::from("schema_version: 1.0.0\nengine: x\nrules:\n");
    let mut n = 0;
    while big.len() < 50 * 1024 * 1024 {
        big.push_str(&rule.replace("{N}", &n.to_string()));
        n += 1;
    }
    let path = temp_file("big.yaml", big.as_bytes());
    let (code, _, err) = llemc(&[
        "check",
        "--compat",
        "--color",
        "never",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{}", err.chars().take(2000).collect::<String>());
    assert!(
        err.contains(&format!("({n} rules)")),
        "{}",
        err.lines().last().unwrap_or("")
    );
}

#[test]
fn compile_writes_a_loadable_artifact_and_refuses_on_errors() {
    let out_path = std::env::temp_dir().join(format!("llemc-seeds-{}.llemc", std::process::id()));
    let out_str = out_path.to_str().unwrap();
    let (code, _, err) = llemc(&[
        "compile",
        "--color",
        "never",
        "engines/transformers/seeds.yaml",
        "-o",
        out_str,
    ]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&out_path).unwrap();
    let program = llemc_compiler::artifact::decode(&bytes).unwrap();
    assert_eq!(program.engine, "transformers");
    assert!(!program.compat);
    // Deterministic: compiling again writes the same bytes.
    let (code, _, _) = llemc(&[
        "compile",
        "--color",
        "never",
        "engines/transformers/seeds.yaml",
        "-o",
        out_str,
    ]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(&out_path).unwrap(), bytes);

    let refused = std::env::temp_dir().join(format!("llemc-refused-{}.llemc", std::process::id()));
    let (code, _, err) = llemc(&[
        "compile",
        "--color",
        "never",
        "--schema",
        "compiler/tests/fixtures/check/schema.yaml",
        "compiler/tests/fixtures/check/mistakes.yaml",
        "-o",
        refused.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("not compiled"), "{err}");
    assert!(!refused.exists());
}

#[test]
fn explain_shows_rule_canonical_form_and_ir() {
    let (code, out, err) = llemc(&[
        "explain",
        "transformers_generation_greedy_ignores_temperature",
        "--corpus",
        "engines/transformers/seeds.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("explain", out);
    let (code, _, err) = llemc(&[
        "explain",
        "transformers_generation_greedy_ignores_temperatur",
        "--corpus",
        "engines/transformers/seeds.yaml",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("did you mean `transformers_generation_greedy_ignores_temperature`"),
        "{err}"
    );
}
