//! The held-out evaluation of the committed corpora: every committed corpus (manual seeds, the
//! proposed corpus of each version, the validated one where it exists) is scored against the
//! committed labels of each supported transformers version, and the metrics are snapshotted, so a
//! change in a corpus (or in the labels) shows up as a reviewable metric diff.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_pipeline::heldout::score::{Score, ScoreOptions, render_human, score_files};
use llemc_pipeline::heldout::{Case, KWARGS_FILE, Label, labels_file, read_jsonl};
use std::path::{Path, PathBuf};

const VERSIONS: [&str; 3] = ["5.24.0", "5.14.1", "4.57.6"];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpora(version: &str) -> Vec<(String, PathBuf)> {
    let mut out = vec![(
        "seeds".to_owned(),
        workspace().join("engines/transformers/seeds.yaml"),
    )];
    for kind in ["proposed", "validated"] {
        let path = workspace().join(format!(
            "engines/transformers/{version}/invariants.{kind}.yaml"
        ));
        if path.is_file() {
            out.push((kind.to_owned(), path));
        }
    }
    out
}

fn score(corpus: &Path, version: &str) -> Score {
    score_files(&ScoreOptions {
        corpus: corpus.to_path_buf(),
        labels: workspace().join(labels_file(version)),
        kwargs: None,
        schema: None,
        engine_version: None,
    })
    .unwrap_or_else(|e| panic!("{}: {e}", corpus.display()))
}

#[test]
fn labels_cover_exactly_the_held_out_cases() {
    let cases: Vec<Case> = read_jsonl(&workspace().join(KWARGS_FILE)).unwrap();
    assert!(cases.len() >= 2000, "only {} cases", cases.len());
    for version in VERSIONS {
        let labels: Vec<Label> = read_jsonl(&workspace().join(labels_file(version))).unwrap();
        let case_ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        let label_ids: Vec<&str> = labels.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            case_ids, label_ids,
            "labels-{version}.jsonl is stale: relabel"
        );
    }
}

#[test]
fn committed_corpora_metrics() {
    for version in VERSIONS {
        for (kind, path) in corpora(version) {
            let s = score(&path, version);
            let e = &s.error.counts;
            assert_eq!(
                e.tp + e.fp + e.fn_ + e.tn + s.excluded.len(),
                s.cases,
                "{kind} {version}"
            );
            assert_eq!(
                s.library_accepted + s.library_rejected + s.excluded.len(),
                s.cases
            );
            let a = &s.advisory.configs;
            assert_eq!(a.tp + a.fp + a.fn_ + a.tn, s.library_accepted);
            assert_eq!(s.error.valid_configs_rejected, e.fp);
            insta::assert_snapshot!(format!("heldout_{kind}_{version}"), render_human(&s));
        }
    }
}

#[test]
fn json_report_holds_every_miss() {
    let path = workspace().join("engines/transformers/5.14.1/invariants.proposed.yaml");
    let s = score(&path, "5.14.1");
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(
        json["error"]["false_negatives"].as_array().unwrap().len(),
        s.error.counts.fn_
    );
    assert_eq!(
        json["error"]["false_positives"].as_array().unwrap().len(),
        s.error.counts.fp
    );
    assert_eq!(json["error"]["counts"]["fn"], s.error.counts.fn_);
    let grouped: usize = s.error.fn_by_group.values().map(Vec::len).sum();
    assert_eq!(grouped, s.error.counts.fn_);
}
