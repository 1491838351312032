//! The held-out labeler on real transformers 5.14.1: a handful of kwargs whose library behaviour
//! is known (accepted, minor issue under strict validation, logger warning, rejection, a failure
//! only generate() shows), a rerun gives byte-identical labels, and the committed held-out set is
//! what the generator writes.
#![cfg(feature = "python")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_pipeline::heldout::label::{LabelOptions, default_python, run};
use llemc_pipeline::heldout::{GenerateOutcome, Label, Outcome, read_jsonl};
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const CASES: &str = r#"{"id": "ok", "kwargs": {"do_sample": true, "temperature": 0.7, "top_p": 0.9, "max_new_tokens": 128}}
{"id": "greedy_temp", "kwargs": {"do_sample": false, "temperature": 0.7}}
{"id": "zero_tokens", "kwargs": {"max_new_tokens": 0}}
{"id": "bad_cache", "kwargs": {"cache_implementation": "static_cache"}}
{"id": "dyn_cache_len", "kwargs": {"cache_implementation": "dynamic", "max_cache_len": 1024}}
{"id": "str_tokens", "kwargs": {"max_new_tokens": "256"}}
{"id": "typo", "kwargs": {"temprature": 0.7}}
{"id": "float_beams", "kwargs": {"num_beams": 2.0, "max_new_tokens": 4}}
{"id": "zero_penalty", "kwargs": {"repetition_penalty": 0, "max_new_tokens": 4}}
"#;

#[test]
fn labels_a_handful_of_kwargs_with_transformers_5_14_1() {
    let dir = std::env::temp_dir().join(format!("llemc-heldout-label-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("cases.jsonl");
    std::fs::write(&input, CASES).unwrap();
    let options = |out: &str| LabelOptions {
        root: workspace(),
        engine: "transformers".into(),
        version: "5.14.1".into(),
        python: default_python(),
        input: Some(input.clone()),
        output: Some(dir.join(out)),
        timeout_s: 10.0,
    };
    let report = run(&options("a.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.cases, 9);
    assert_eq!((report.accepted, report.rejected), (6, 3));
    assert_eq!(report.generate_failed, 2);

    let labels: Vec<Label> = read_jsonl(&dir.join("a.jsonl")).unwrap();
    let by = |id: &str| labels.iter().find(|l| l.id == id).unwrap();

    let ok = by("ok");
    assert_eq!(ok.outcome, Outcome::Accepted);
    assert!(
        ok.minor_issues.is_empty() && ok.warnings.is_empty(),
        "{ok:?}"
    );

    let greedy = by("greedy_temp");
    assert_eq!(greedy.outcome, Outcome::Accepted);
    assert!(
        greedy.minor_issues["temperature"].contains("do_sample"),
        "{greedy:?}"
    );

    let zero = by("zero_tokens");
    assert_eq!(zero.outcome, Outcome::Rejected);
    let raised = zero.exception.as_ref().unwrap();
    assert_eq!(
        (raised.phase.as_str(), raised.kind.as_str()),
        ("construct", "ValueError")
    );
    assert!(
        raised
            .message
            .contains("`max_new_tokens` must be greater than 0")
    );

    let cache = by("bad_cache");
    assert_eq!(cache.outcome, Outcome::Rejected);
    assert!(
        cache
            .exception
            .as_ref()
            .unwrap()
            .message
            .contains("static_cache")
    );

    let len = by("dyn_cache_len");
    assert_eq!(len.outcome, Outcome::Accepted);
    assert!(
        len.warnings
            .iter()
            .any(|w| w.channel == "logger" && w.message.contains("`max_cache_len`")),
        "{len:?}"
    );

    let str_tokens = by("str_tokens");
    assert_eq!(str_tokens.outcome, Outcome::Rejected);
    assert_eq!(str_tokens.exception.as_ref().unwrap().kind, "TypeError");

    let typo = by("typo");
    assert_eq!(typo.outcome, Outcome::Accepted);

    // generate() runs every accepted config on the tiny in-memory GPT-2 ...
    let ran = ok.generate.as_ref().unwrap();
    assert_eq!(ran.outcome, GenerateOutcome::Ok, "{ran:?}");
    assert_eq!(ran.sequences, Some(vec![1, 14]), "6 prompt tokens + 8 new");
    assert!(zero.generate.is_none(), "a rejected config is not run");
    // ... and sees what construction and validation let through
    let beams = by("float_beams");
    assert_eq!(beams.outcome, Outcome::Accepted);
    let failed = beams.generate.as_ref().unwrap();
    assert_eq!(failed.outcome, GenerateOutcome::Error);
    let raised = failed.exception.as_ref().unwrap();
    assert_eq!(
        (raised.stage.as_str(), raised.kind.as_str()),
        ("generate", "TypeError")
    );
    let frame = raised.frame.as_ref().unwrap();
    assert_eq!(
        (frame.file.as_str(), frame.function.as_str()),
        ("generation/utils.py", "_expand_inputs_for_generation")
    );
    let penalty = by("zero_penalty").generate.as_ref().unwrap();
    let raised = penalty.exception.as_ref().unwrap();
    assert_eq!(raised.kind, "ValueError");
    assert!(
        raised
            .message
            .contains("`penalty` has to be a strictly positive float")
    );
    assert_eq!(
        raised.frame.as_ref().map(|f| f.file.as_str()),
        Some("generation/logits_process.py")
    );

    // Deterministic: a rerun writes the same bytes.
    run(&options("b.jsonl")).unwrap();
    assert_eq!(
        std::fs::read(dir.join("a.jsonl")).unwrap(),
        std::fs::read(dir.join("b.jsonl")).unwrap()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn committed_held_out_set_is_what_the_generator_writes() {
    let out = std::env::temp_dir().join(format!("llemc-heldout-gen-{}.jsonl", std::process::id()));
    let status = std::process::Command::new(default_python())
        .arg(workspace().join("eval/heldout/generate.py"))
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let produced = std::fs::read(&out).unwrap();
    let committed =
        std::fs::read(workspace().join("eval/heldout/generation_kwargs.jsonl")).unwrap();
    let _ = std::fs::remove_file(&out);
    assert!(
        produced == committed,
        "eval/heldout/generation_kwargs.jsonl is stale: run `python3 eval/heldout/generate.py`"
    );
}
