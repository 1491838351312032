//! `llem sweep check`, driven in-process: the shipped small example (human, JSON, `--emit-valid`),
//! every kind of bad study input, and the streaming count and backend agreement on a mid-size grid.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use insta::assert_snapshot;
use std::path::PathBuf;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn llem(args: &[&str]) -> Run {
    let mut argv = vec!["llem"];
    argv.extend_from_slice(args);
    let mut input: &[u8] = b"";
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = llem::run_with_stdin(argv, &mut input, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

fn sweep(path: &str, extra: &[&str]) -> Run {
    let mut args = vec!["sweep", "check", path, "--color", "never", "--no-progress"];
    args.extend_from_slice(extra);
    llem(&args)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("llem-sweep-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn small_example_human() {
    let r = sweep("../../examples/sweep-small.yaml", &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("38 points"), "{}", r.stderr);
    assert_snapshot!(r.stderr);
}

#[test]
fn small_example_json() {
    let r = sweep(
        "../../examples/sweep-small.yaml",
        &["--format", "json", "--show", "3"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["points"], 38);
    assert_eq!(
        v["valid"].as_u64().unwrap() + v["invalid"].as_u64().unwrap(),
        38
    );
    assert_eq!(v["invalid_points"].as_array().unwrap().len(), 3);
    assert_snapshot!(r.stdout);
}

#[test]
fn emit_valid_writes_full_configs_that_config_check_accepts() {
    let path = temp("valid.jsonl");
    let r = sweep(
        "../../examples/sweep-small.yaml",
        &["--format", "json", "--emit-valid", path.to_str().unwrap()],
    );
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, report["valid"].as_u64().unwrap());
    // Differential check: every emitted point, read back as an experiment config (JSON is
    // YAML), is accepted by `llem config check`.
    for line in &lines {
        let mut input = line.as_bytes();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = llem::run_with_stdin(
            ["llem", "config", "check", "-", "--format", "json"],
            &mut input,
            &mut out,
            &mut err,
        );
        assert_eq!(code, 0, "{line}\n{}", String::from_utf8_lossy(&out));
    }
    assert_snapshot!(text);
}

#[test]
fn invalid_points_are_rejected_by_config_check_too() {
    // Every invalid point listed, rebuilt on the base as a full config, is rejected by
    // `llem config check` with the same rule ids.
    let r = sweep(
        "../../examples/sweep-small.yaml",
        &["--format", "json", "--show", "1000"],
    );
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let base = std::fs::read_to_string("../../examples/transformers-valid.yaml").unwrap();
    let points = report["invalid_points"].as_array().unwrap();
    assert_eq!(points.len() as u64, report["invalid"].as_u64().unwrap());
    for point in points {
        let mut config = base.clone();
        let mut quant = String::new();
        let mut generation = String::new();
        for (field, value) in point["coordinates"].as_object().unwrap() {
            let (section, name) = field
                .strip_prefix("transformers.")
                .unwrap()
                .split_once('.')
                .unwrap();
            let line = format!("    {name}: {value}\n");
            if section == "generation" {
                generation.push_str(&line);
            } else {
                quant.push_str(&line);
            }
        }
        // Overrides go last in their section: drop the base's own lines for those fields.
        let mut kept = String::new();
        for l in config.lines() {
            let key = l.trim_start().split(':').next().unwrap_or("");
            let overridden = point["coordinates"]
                .as_object()
                .unwrap()
                .keys()
                .any(|k| k.ends_with(&format!(".{key}")) && l.starts_with("    "));
            if !overridden {
                kept.push_str(l);
                kept.push('\n');
            }
            if l == "  generation:" {
                kept.push_str(&generation);
            }
            if l == "  quantization:" {
                kept.push_str(&quant);
            }
        }
        config = kept;
        let mut input = config.as_bytes();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = llem::run_with_stdin(
            ["llem", "config", "check", "-", "--format", "json"],
            &mut input,
            &mut out,
            &mut err,
        );
        assert_eq!(code, 1, "{config}");
        let checked: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let ids = |v: &serde_json::Value| {
            let mut ids: Vec<String> = v
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(
            ids(&checked["findings"]),
            ids(&point["findings"]),
            "{config}"
        );
    }
}

fn bad(name: &str) -> Run {
    sweep(&format!("tests/sweep/{name}.yaml"), &[])
}

#[test]
fn unknown_grid_field_suggests_the_right_one() {
    let r = bad("unknown-field");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("did you mean `num_beams`?"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("did you mean `generation`?"),
        "{}",
        r.stderr
    );
    assert_snapshot!(r.stderr);
}

#[test]
fn grid_value_that_is_not_a_list() {
    let r = bad("not-a-list");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[E722]"), "{}", r.stderr);
    assert_snapshot!(r.stderr);
}

#[test]
fn grid_values_of_the_wrong_type_point_at_the_element() {
    // The library stores them as written: warnings, and every point is still checked.
    let r = bad("wrong-type");
    assert_eq!(r.stderr.matches("warning[W726]").count(), 2, "{}", r.stderr);
    assert!(r.stderr.contains("6 points"), "{}", r.stderr);
    assert_snapshot!(r.stderr);
}

#[test]
fn deny_warnings_fails_a_study_with_warnings() {
    let r = sweep("tests/sweep/wrong-type.yaml", &["--deny", "warnings"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr.matches("error[W726]").count(), 2, "{}", r.stderr);
    assert!(r.stderr.contains("was not checked"), "{}", r.stderr);
}

#[test]
fn deny_warnings_makes_points_with_a_warning_invalid() {
    let plain = sweep("tests/sweep/one-behaviour.yaml", &["--format", "json"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let v: serde_json::Value = serde_json::from_str(&plain.stdout).unwrap();
    assert_eq!(v["invalid"], 0);
    // temperature 0.7 without sampling: one finding (warn) per point, not a warn and a dormant
    assert_eq!(v["findings"]["warn"], 1);
    assert_eq!(v["findings"]["dormant"], 0);
    assert_eq!(v["deny_warnings"], false);
    let denied = sweep(
        "tests/sweep/one-behaviour.yaml",
        &["--format", "json", "--deny", "warnings"],
    );
    assert_eq!(denied.code, 1);
    let v: serde_json::Value = serde_json::from_str(&denied.stdout).unwrap();
    assert_eq!(v["invalid"], 1);
    assert_eq!(v["deny_warnings"], true);
    let rules = v["invalid_points"][0]["findings"][0]["rules"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rules, 2);
}

#[test]
fn empty_axis() {
    let r = bad("empty-axis");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[E724]"), "{}", r.stderr);
    assert_snapshot!(r.stderr);
}

#[test]
fn missing_base_is_an_io_error() {
    let r = bad("missing-base");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("error[E901]"), "{}", r.stderr);
}

#[test]
fn base_config_errors_are_shown_against_the_base_file() {
    let r = bad("base-errors");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("tests/sweep/../llem/unknown-field.yaml"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("error[E706]"), "{}", r.stderr);
    assert_snapshot!(r.stderr);
}

#[test]
fn inline_experiment_and_new_section() {
    let r = sweep("tests/sweep/inline.yaml", &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["points"], 4);
    // num_return_sequences: 2 with greedy decoding is rejected (2 of the 4 points).
    assert_eq!(v["invalid"], 2);
}

#[test]
fn grid_too_large_for_u64_is_refused_with_the_axis_sizes() {
    let values: Vec<String> = (1..=600).map(|i| i.to_string()).collect();
    let list = format!("[{}]", values.join(", "));
    let mut study = String::from("experiment:\n  engine: transformers\n  model: gpt2\ngrid:\n");
    for field in [
        "max_length",
        "max_new_tokens",
        "min_length",
        "min_new_tokens",
        "num_beams",
        "top_k",
        "no_repeat_ngram_size",
    ] {
        study.push_str(&format!("  transformers.generation.{field}: {list}\n"));
    }
    let path = temp("overflow.yaml");
    std::fs::write(&path, study).unwrap();
    let r = sweep(path.to_str().unwrap(), &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("error[E725]"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("transformers.generation.max_length (600) × "),
        "{}",
        r.stderr
    );
}

#[test]
fn streaming_count_is_the_product_and_backends_agree() {
    // 2 × 10 × 10 × 100 = 20,000 points.
    let tokens: Vec<String> = (1..=100).map(|i| (i * 8).to_string()).collect();
    let study = format!(
        "base: {}\ngrid:\n  transformers.generation.do_sample: [false, true]\n  transformers.generation.num_beams: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n  transformers.generation.num_return_sequences: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n  transformers.generation.max_new_tokens: [0, {}]\n",
        std::fs::canonicalize("../../examples/transformers-valid.yaml")
            .unwrap()
            .display(),
        tokens[1..].join(", ")
    );
    let path = temp("mid.yaml");
    std::fs::write(&path, study).unwrap();
    let p = path.to_str().unwrap();
    let interp = sweep(
        p,
        &["--format", "json", "--backend", "interp", "--show", "50"],
    );
    let jit = sweep(p, &["--format", "json", "--backend", "jit", "--show", "50"]);
    let auto = sweep(p, &["--format", "json", "--show", "50"]);
    let v: serde_json::Value = serde_json::from_str(&interp.stdout).unwrap();
    assert_eq!(v["points"], 20_000);
    assert_eq!(
        v["valid"].as_u64().unwrap() + v["invalid"].as_u64().unwrap(),
        20_000
    );
    assert!(v["invalid"].as_u64().unwrap() > 0);
    assert!(v["valid"].as_u64().unwrap() > 0);
    assert_eq!(interp.stdout, jit.stdout);
    assert_eq!(interp.stdout, auto.stdout);
    assert_eq!(interp.code, jit.code);
}
