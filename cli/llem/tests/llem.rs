//! `llem config check`, driven in-process: rendered diagnostics for the shipped examples and for
//! every kind of bad input, JSON output, `--gaps` and standard input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use insta::assert_snapshot;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn llem_stdin(args: &[&str], stdin: &[u8]) -> Run {
    let mut argv = vec!["llem"];
    argv.extend_from_slice(args);
    let mut input = stdin;
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = llem::run_with_stdin(argv, &mut input, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

fn llem(args: &[&str]) -> Run {
    llem_stdin(args, b"")
}

fn check(path: &str) -> Run {
    llem(&["config", "check", path, "--color", "never"])
}

#[test]
fn valid_example_is_clean() {
    let r = check("../../examples/transformers-valid.yaml");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_snapshot!(r.stderr);
}

#[test]
fn mistakes_example_shows_every_severity() {
    let r = check("../../examples/transformers-mistakes.yaml");
    assert_eq!(r.code, 1);
    for code in [
        "warning[W811]",
        "error[E800]",
        "warning[W801]",
        "note[D802]",
    ] {
        assert!(r.stderr.contains(code), "missing {code}:\n{}", r.stderr);
    }
    assert!(
        r.stderr
            .contains("rules, engines/transformers/5.24.0/invariants.validated.yaml)")
    );
    assert_snapshot!(r.stderr);
}

#[test]
fn vllm_valid_example_is_clean() {
    let r = check("../../examples/vllm-valid.yaml");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_snapshot!(r.stderr);
}

#[test]
fn vllm_mistakes_example_is_rejected() {
    let r = check("../../examples/vllm-mistakes.yaml");
    assert_eq!(r.code, 1);
    for code in ["error[E800]", "error[E706]", "note[D802]"] {
        assert!(r.stderr.contains(code), "missing {code}:\n{}", r.stderr);
    }
    assert!(
        r.stderr
            .contains("rules, engines/vllm/0.17.1/invariants.validated.yaml)")
    );
    assert_snapshot!(r.stderr);
}

#[test]
fn mistakes_example_as_json() {
    let r = llem(&[
        "config",
        "check",
        "../../examples/transformers-mistakes.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, "");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["accepted"], false);
    let findings = v["findings"].as_array().unwrap();
    let severities: Vec<&str> = findings
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert!(severities.contains(&"error"));
    assert!(severities.contains(&"warn"));
    assert!(severities.contains(&"dormant"));
    assert_snapshot!(r.stdout);
}

#[test]
fn valid_example_as_json_is_accepted() {
    let r = llem(&[
        "config",
        "check",
        "../../examples/transformers-valid.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["accepted"], true);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(
        v["corpus"]["path"],
        "engines/transformers/5.24.0/invariants.validated.yaml"
    );
}

#[test]
fn gaps_lists_fields_no_rule_examines() {
    let r = llem(&[
        "config",
        "check",
        "tests/llem/gaps.yaml",
        "--gaps",
        "--color",
        "never",
    ]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("transformers.generation.renormalize_logits")
    );
    assert!(!r.stderr.contains("transformers.generation.do_sample ("));
    assert_snapshot!(r.stderr);
}

#[test]
fn gaps_as_json() {
    let r = llem(&[
        "config",
        "check",
        "tests/llem/gaps.yaml",
        "--gaps",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(!v["gaps"].as_array().unwrap().is_empty());
    assert_snapshot!(serde_json::to_string_pretty(&v["gaps"]).unwrap());
}

#[test]
fn valid_example_has_no_gaps() {
    let r = llem(&[
        "config",
        "check",
        "../../examples/transformers-valid.yaml",
        "--gaps",
        "--color",
        "never",
    ]);
    assert_eq!(r.code, 0);
    // With torch in every venv the gate replays BitsAndBytesConfig's rules, so its fields are
    // examined too: nothing the example sets goes unchecked.
    assert!(
        r.stderr
            .contains("every field you set is examined by some rule"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_declared_engine_version_picks_its_own_validated_corpus() {
    let r = llem_stdin(
        &["config", "check", "-", "--color", "never"],
        b"engine: transformers\nmodel: gpt2\nengine_version: \"4.57.6\"\ntransformers:\n  generation:\n    top_k: 10\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("checked against transformers 4.57.6 rules (")
            && r.stderr
                .contains("rules, engines/transformers/4.57.6/invariants.validated.yaml)"),
        "{}",
        r.stderr
    );
}

#[test]
fn reads_standard_input() {
    let config =
        b"engine: transformers\nmodel: gpt2\ntransformers:\n  generation:\n    top_k: 10\n";
    let r = llem_stdin(&["config", "check", "-", "--color", "never"], config);
    assert_eq!(r.code, 0, "dormant findings do not fail a run");
    assert!(r.stderr.contains("<stdin>"));
    assert_snapshot!(r.stderr);
}

#[test]
fn missing_file_is_a_usage_error() {
    let r = check("llem/does-not-exist.yaml");
    assert_eq!(r.code, 2);
    assert_snapshot!(r.stderr);
}

#[test]
fn missing_file_as_json() {
    let r = llem(&[
        "config",
        "check",
        "llem/does-not-exist.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 2);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["diagnostics"][0]["code"], "E901");
}

#[test]
fn invalid_yaml() {
    let r = check("tests/llem/invalid-yaml.yaml");
    assert_eq!(r.code, 1);
    assert_snapshot!(r.stderr);
}

#[test]
fn list_config() {
    let r = check("tests/llem/list.yaml");
    assert_eq!(r.code, 1);
    assert_snapshot!(r.stderr);
}

#[test]
fn unknown_engine() {
    let r = check("tests/llem/unknown-engine.yaml");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("transformers"));
    assert_snapshot!(r.stderr);
}

#[test]
fn unsupported_engine_version() {
    let r = check("tests/llem/unsupported-version.yaml");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("5.14.1"));
    assert_snapshot!(r.stderr);
}

#[test]
fn unknown_section() {
    let r = check("tests/llem/unknown-section.yaml");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `generation`?"));
    assert!(r.stderr.contains("did you mean `quantization`?"));
    assert_snapshot!(r.stderr);
}

#[test]
fn unknown_field_with_suggestion() {
    let r = check("tests/llem/unknown-field.yaml");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `temperature`?"));
    assert!(r.stderr.contains("did you mean `num_beams`?"));
    assert!(r.stderr.contains("did you mean `model`?"));
    assert_snapshot!(r.stderr);
}

#[test]
fn wrong_types() {
    let r = check("tests/llem/wrong-types.yaml");
    assert_eq!(r.code, 1);
    // a string num_beams fails in generate() (a gate-confirmed rule), so the rule reports it and
    // the schema's type check stays quiet about it
    assert!(
        r.stderr
            .contains("rule `transformers_generate_num_beams_string`")
    );
    assert!(!r.stderr.contains("`num_beams` expects int, found str"));
    assert!(r.stderr.contains("`do_sample` expects bool, found str"));
    assert!(!r.stderr.contains("`temperature` expects"));
    assert!(!r.stderr.contains("`watermarking_config` expects"));
    // BitsAndBytesConfig's type rule is confirmed by the gate (torch is in every venv), so the
    // rule reports the field and the schema's type check stays quiet about it.
    assert!(r.stderr.contains("llm_int8_threshold must be a float"));
    assert!(
        !r.stderr
            .contains("`llm_int8_threshold` expects float, found str")
    );
    assert_snapshot!(r.stderr);
}

#[test]
fn a_type_a_rule_covers_is_reported_once_by_the_rule() {
    let r = check("tests/llem/rule-covers-type.yaml");
    assert_eq!(r.code, 1);
    assert!(
        !r.stderr.contains("`watermarking_config` expects"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("error[E800]").count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("transformers_generation_watermarking_config_not_a_config")
    );
}

#[test]
fn wrong_types_as_json() {
    let r = llem(&[
        "config",
        "check",
        "tests/llem/wrong-types.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1);
    assert_snapshot!(r.stdout);
}

#[test]
fn invalid_utf8() {
    let r = llem_stdin(
        &["config", "check", "-", "--color", "never"],
        b"engine: transformers\nmodel: \"caf\xe9\"\n",
    );
    assert_eq!(r.code, 1);
    assert_snapshot!(r.stderr);
}

#[test]
fn empty_file() {
    let r = llem_stdin(&["config", "check", "-", "--color", "never"], b"");
    assert_eq!(r.code, 1);
    assert_snapshot!(r.stderr);
}

#[test]
fn ten_thousand_deep_nesting() {
    let mut input =
        b"engine: transformers\nmodel: gpt2\ntransformers:\n  generation:\n    bad_words_ids:\n"
            .to_vec();
    input.extend(std::iter::repeat_n(b"      [\n".as_slice(), 10_000).flatten());
    input.extend(std::iter::repeat_n(b"      ]\n".as_slice(), 10_000).flatten());
    let r = llem_stdin(&["config", "check", "-", "--color", "never"], &input);
    assert_eq!(r.code, 1);
    assert_snapshot!(r.stderr);
}

#[test]
fn ten_thousand_deep_block_mappings() {
    let mut input = String::from("engine: transformers\nmodel: gpt2\ntransformers:\n");
    for depth in 0..10_000 {
        input.push_str(&" ".repeat(depth + 1));
        input.push_str("a:\n");
    }
    let r = llem_stdin(
        &["config", "check", "-", "--color", "never"],
        input.as_bytes(),
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("E105"), "{}", r.stderr);
}

#[test]
fn odd_inputs_never_panic() {
    let inputs: [&[u8]; 14] = [
        b"~",
        b"42",
        b"\"just a string\"",
        b"engine: [transformers]\nmodel: {a: 1}\n",
        b"engine: transformers\n",
        b"model: gpt2\n",
        b"engine: transformers\nmodel: gpt2\ntransformers: 5\n",
        b"engine: transformers\nmodel: gpt2\ntransformers:\n  generation: [1, 2]\n",
        b"engine: transformers\nmodel: gpt2\ntransformers:\n  generation:\n",
        b"engine: transformers\nmodel: gpt2\nengine_version: 5.14\n",
        b"engine: transformers\nmodel: gpt2\ntransformers:\n  generation:\n    watermarking_config: lefthash\n    max_new_tokens: .nan\n    temperature: -.inf\n    1: 2\n",
        b"engine: transformers\nmodel: gpt2\ntransformers:\n  quantization:\n    load_in_4bit: 1\n    load_in_8bit: 1\n",
        b"engine: transformers\nmodel: gpt2\n? [a]\n: b\n",
        b"&a [*a]",
    ];
    for input in inputs {
        for format in ["human", "json"] {
            let r = llem_stdin(&["config", "check", "-", "--format", format], input);
            assert!(
                r.code == 0 || r.code == 1,
                "{input:?}: exit {} {}",
                r.code,
                r.stderr
            );
            if format == "json" {
                serde_json::from_str::<serde_json::Value>(&r.stdout)
                    .unwrap_or_else(|e| panic!("{input:?}: {e}: {}", r.stdout));
            }
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let r = llem(&["config", "check"]);
    assert_eq!(r.code, 2);
    let r = llem(&["config", "frobnicate", "x.yaml"]);
    assert_eq!(r.code, 2);
    let r = llem(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("config"));
}

#[test]
fn every_backend_gives_the_same_report() {
    let base = [
        "config",
        "check",
        "--color",
        "never",
        "../../examples/transformers-mistakes.yaml",
    ];
    let runs: Vec<Run> = ["interp", "jit", "auto"]
        .iter()
        .map(|b| {
            let mut args = base.to_vec();
            args.extend(["--backend", b]);
            llem(&args)
        })
        .collect();
    assert_eq!(runs[0].code, 1);
    for run in &runs[1..] {
        assert_eq!(
            (run.code, &run.stdout, &run.stderr),
            (runs[0].code, &runs[0].stdout, &runs[0].stderr)
        );
    }
    assert_eq!(
        llem(&[
            "config",
            "check",
            "--backend",
            "fast",
            "../../examples/transformers-valid.yaml"
        ])
        .code,
        2
    );
}

#[test]
fn types_the_library_tolerates_are_warnings() {
    let r = check("tests/llem/tolerated-types.yaml");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("warning[W811]: `do_sample` expects bool, found int")
    );
    assert!(
        r.stderr
            .contains("warning[W811]: `max_new_tokens` expects int, found float")
    );
    assert!(!r.stderr.contains("`temperature` expects"), "{}", r.stderr);
    assert!(!r.stderr.contains("error["), "{}", r.stderr);
    assert_snapshot!(r.stderr);
}

#[test]
fn deny_warnings_makes_every_warning_an_error() {
    let r = llem(&[
        "config",
        "check",
        "tests/llem/tolerated-types.yaml",
        "--color",
        "never",
        "--deny",
        "warnings",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("error[W811]"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`--deny warnings` turns this warning into an error")
    );
    let j = llem(&[
        "config",
        "check",
        "tests/llem/stored-unknown-field.yaml",
        "--format",
        "json",
        "--deny",
        "warnings",
    ]);
    assert_eq!(j.code, 1);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(v["deny_warnings"], true);
    assert_eq!(v["accepted"], false);
    let levels: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "error"]);
    let plain = llem(&[
        "config",
        "check",
        "tests/llem/tolerated-types.yaml",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&plain.stdout).unwrap();
    assert_eq!(v["deny_warnings"], false);
    assert_eq!(v["accepted"], true);
    let denied = llem(&[
        "config",
        "check",
        "tests/llem/tolerated-types.yaml",
        "--format",
        "json",
        "--deny",
        "warnings",
    ]);
    let v: serde_json::Value = serde_json::from_str(&denied.stdout).unwrap();
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(f["severity"], "warn");
        assert_eq!(f["denied"], true);
    }
}

#[test]
fn one_finding_per_library_behaviour() {
    let r = check("tests/llem/one-behaviour.yaml");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("note[D802]"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("warning[W801]").count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(
        "the same behaviour: rule `transformers_generation_greedy_ignores_temperature` (dormant)"
    ));
    assert_snapshot!(r.stderr);
    let j = llem(&[
        "config",
        "check",
        "tests/llem/one-behaviour.yaml",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["severity"], "warn");
    let rules: Vec<&str> = findings[0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 2);
    assert_eq!(
        rules[1],
        "transformers_generation_greedy_ignores_temperature"
    );
}

#[test]
fn unknown_fields_the_library_stores_are_warnings() {
    let r = check("tests/llem/stored-unknown-field.yaml");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr.matches("warning[W708]").count(), 2, "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `num_beams`?"));
    assert!(r.stderr.contains("ignores it unless something reads it"));
    assert_snapshot!(r.stderr);
}
