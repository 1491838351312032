//! `llemc heldout score`: driven in-process on a tiny hand-made held-out set against the manual
//! seeds; human and JSON reports are snapshotted, bad inputs exit 2 naming the file or id.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use support::llemc;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const KWARGS: &str = r#"{"id": "t1", "kwargs": {"do_sample": true, "temperature": 0.7}}
{"id": "t2", "kwargs": {"max_new_tokens": 0}}
{"id": "t3", "kwargs": {"max_new_tokens": "64"}}
{"id": "t4", "kwargs": {"do_sample": false, "top_k": 5}}
{"id": "t5", "kwargs": {"cache_implementation": "hybrid"}}
"#;

const LABELS: &str = r#"{"id": "t1", "outcome": "accepted"}
{"id": "t2", "outcome": "rejected", "exception": {"phase": "construct", "type": "ValueError", "message": "`max_new_tokens` must be greater than 0, but is 0."}}
{"id": "t3", "outcome": "rejected", "exception": {"phase": "construct", "type": "TypeError", "message": "'<=' not supported between instances of 'str' and 'int'"}}
{"id": "t4", "outcome": "accepted", "minor_issues": {"top_k": "`do_sample` is not set to `True`. However, `top_k` is set to `5`"}}
{"id": "t5", "outcome": "accepted"}
"#;

/// Writes the tiny set into a scratch folder; returns (kwargs, labels) paths.
fn fixture(tag: &str) -> (String, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("heldout-tests")
        .join(format!("{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kwargs = dir.join("generation_kwargs.jsonl");
    let labels = dir.join("labels-5.14.1.jsonl");
    std::fs::write(&kwargs, KWARGS).unwrap();
    std::fs::write(&labels, LABELS).unwrap();
    (kwargs.display().to_string(), labels.display().to_string())
}

fn seeds() -> String {
    root()
        .join("engines/transformers/seeds.yaml")
        .display()
        .to_string()
}

#[test]
fn score_human_and_json() {
    let (_, labels) = fixture("human");
    let (code, out, err) = llemc(&[
        "heldout",
        "score",
        "--corpus",
        &seeds(),
        "--labels",
        &labels,
    ]);
    assert_eq!(code, 0, "{err}");
    // The labels path is a scratch path: show it stably.
    let shown = out.replace(&labels, "<labels>");
    insta::assert_snapshot!("heldout_score_human", shown);

    let (code, out, err) = llemc(&[
        "heldout",
        "score",
        "--corpus",
        &seeds(),
        "--labels",
        &labels,
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let mut json: serde_json::Value = serde_json::from_str(&out).unwrap();
    json["labels"] = serde_json::json!("<labels>");
    assert_eq!(json["error"]["counts"]["tp"], 1);
    assert_eq!(json["error"]["counts"]["fn"], 1);
    assert_eq!(json["error"]["false_negatives"][0]["id"], "t3");
    insta::assert_snapshot!(
        "heldout_score_json",
        serde_json::to_string_pretty(&json).unwrap()
    );
}

#[test]
fn bad_inputs_exit_2() {
    let (kwargs, labels) = fixture("bad");
    let (code, _, err) = llemc(&[
        "heldout",
        "score",
        "--corpus",
        &seeds(),
        "--labels",
        "no/such/labels-5.14.1.jsonl",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("error[E901]: cannot read `no/such/"), "{err}");

    let (code, _, err) = llemc(&[
        "heldout",
        "score",
        "--corpus",
        &seeds(),
        "--labels",
        &kwargs,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot tell the library version"), "{err}");

    std::fs::write(&labels, LABELS.replace("\"t5\"", "\"t9\"")).unwrap();
    let (code, _, err) = llemc(&[
        "heldout",
        "score",
        "--corpus",
        &seeds(),
        "--labels",
        &labels,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("`t9`"), "{err}");
}
