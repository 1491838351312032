//! The committed proposed corpora are what the pipeline produces: mining the real transformers
//! sources and running build-corpus on the result reproduces
//! `engines/transformers/<version>/invariants.proposed.yaml` byte for byte. (Sources are fetched
//! by `scripts/fetch-sources`; a missing source fails the test, it never skips.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::diagnostic::FileId;
use llemc_miners::build_corpus::{BuildOptions, build_corpus};
use llemc_miners::source::fetch_source;
use llemc_miners::ssot::read_ssot;
use llemc_miners::static_miner::mine;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy(from: &str, root: &std::path::Path) {
    let to = root.join(from);
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(workspace().join(from), to).unwrap();
}

fn regenerate(version: &str) {
    let ssot_text =
        std::fs::read_to_string(workspace().join("engine_versions/transformers.yaml")).unwrap();
    let ssot = read_ssot(FileId(0), &ssot_text).unwrap_or_else(|d| panic!("{d:?}"));
    let source =
        fetch_source(&workspace().join(".cache"), "transformers", version).unwrap_or_else(|e| {
            panic!("the transformers {version} source is needed (run scripts/fetch-sources): {e}")
        });
    let mined = mine(&ssot, version, &source).unwrap_or_else(|e| panic!("{e}"));

    let root =
        std::env::temp_dir().join(format!("llemc-committed-{version}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for file in [
        "engine_versions/transformers.yaml",
        "engines/transformers/seeds.yaml",
        "engines/transformers/schema.yaml",
        &format!("engines/transformers/{version}/schema.yaml"),
    ] {
        copy(file, &root);
    }
    let staging = root.join(".cache/staging/transformers").join(version);
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("static_miner.json"), mined.staging.to_json()).unwrap();
    build_corpus(&BuildOptions {
        root: root.clone(),
        engine: "transformers".into(),
        version: Some(version.into()),
    })
    .unwrap_or_else(|e| panic!("{e:?}"));

    let path = format!("engines/transformers/{version}/invariants.proposed.yaml");
    let produced = std::fs::read_to_string(root.join(&path)).unwrap();
    let committed = std::fs::read_to_string(workspace().join(&path)).unwrap();
    assert!(
        produced == committed,
        "{path} is stale: run `llemc mine static --version {version} && llemc build-corpus --version {version}`"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn proposed_corpus_5_14_1_is_reproducible() {
    regenerate("5.14.1");
}

#[test]
fn proposed_corpus_4_57_6_is_reproducible() {
    regenerate("4.57.6");
}
