//! diff-corpus on two small fixture corpora.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_pipeline::diff::{corpus_path, diff_corpora, load_corpus, render_human, render_json};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn diff() -> llemc_pipeline::diff::CorpusDiff {
    let root = root();
    let fixtures = root.join("miners/pipeline/tests/fixtures/diff");
    let schema = root.join("engines/transformers/reference/hand-written-schema.yaml");
    let old = load_corpus(&root, &fixtures.join("old.yaml"), Some(&schema)).unwrap();
    let new = load_corpus(&root, &fixtures.join("new.yaml"), Some(&schema)).unwrap();
    diff_corpora(&old, &new)
}

#[test]
fn matches_by_fingerprint_then_id() {
    let d = diff();
    assert_eq!(d.unchanged, 1, "respelled predicate, same rule");
    assert_eq!(
        d.added.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["no_cache_ignores_cache_config"]
    );
    assert_eq!(
        d.removed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["greedy_ignores_top_h"]
    );
    let changed: Vec<(&str, &str, &str)> = d
        .changed
        .iter()
        .map(|c| (c.id.as_str(), c.old_id.as_str(), c.matched_by.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            (
                "max_cache_len_without_static_cache",
                "max_cache_len_without_static_cache",
                "id"
            ),
            (
                "no_cache_ignores_cache_implementation",
                "no_cache_ignores_cache_implementation",
                "fingerprint"
            ),
            ("num_beams_not_positive", "num_beams_not_positive", "id"),
            (
                "pad_token_id_negative",
                "pad_token_id_negative_old_name",
                "fingerprint"
            ),
        ]
    );
}

#[test]
fn human_output() {
    insta::assert_snapshot!("diff_human", render_human(&diff()));
}

#[test]
fn json_output() {
    let text = render_json(&diff());
    let _: serde_json::Value = serde_json::from_str(&text).unwrap();
    insta::assert_snapshot!("diff_json", text);
}

#[test]
fn operands_are_versions_or_paths() {
    let r = PathBuf::from("/repo");
    assert_eq!(
        corpus_path(&r, "transformers", "5.14.1", false),
        PathBuf::from("/repo/engines/transformers/5.14.1/invariants.proposed.yaml")
    );
    assert_eq!(
        corpus_path(&r, "transformers", "4.57.6", true),
        PathBuf::from("/repo/engines/transformers/4.57.6/invariants.validated.yaml")
    );
    assert_eq!(
        corpus_path(&r, "transformers", "x/old.yaml", false),
        PathBuf::from("x/old.yaml")
    );
    assert!(load_corpus(&r, &PathBuf::from("/nonexistent/old.yaml"), None).is_err());
}
