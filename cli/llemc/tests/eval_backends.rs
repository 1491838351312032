//! `llemc eval --backend interp|jit|auto` answer every line identically (the JIT's own
//! differential tests are in `runtime/tests/jit_equivalence.rs`).
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

#[test]
fn every_backend_gives_the_same_lines() {
    let corpus = root().join("../shared/compat/transformers.yaml");
    let data = std::fs::read_to_string(root().join("conformance/data/transformers.jsonl")).unwrap();
    // The recorded configs, several times over so `auto` switches to the JIT part-way.
    let mut input = String::new();
    for _ in 0..3 {
        for line in data.lines() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            input.push_str(&record["config"].to_string());
            input.push('\n');
        }
    }
    input.push_str("not json\n");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("eval-backends");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-input.jsonl", std::process::id()));
    std::fs::write(&path, &input).unwrap();
    let (corpus, path) = (corpus.display().to_string(), path.display().to_string());
    let run = |backend: &str, jobs: &str| {
        let (code, out, err) = llemc(&[
            "eval",
            "--corpus",
            &corpus,
            "--compat",
            "--jsonl",
            &path,
            "--backend",
            backend,
            "--jobs",
            jobs,
            "--verbose",
        ]);
        assert_eq!(code, 0, "{err}");
        (out, err)
    };
    let (interp, _) = run("interp", "1");
    let (jit, jit_err) = run("jit", "1");
    let (auto, auto_err) = run("auto", "1");
    assert_eq!(interp.lines().count(), input.lines().count());
    assert!(interp.contains("\"fired\":[{"), "some rules fire");
    assert!(jit == interp, "jit differs from interp");
    assert!(auto == interp, "auto differs from interp");
    assert!(jit_err.contains("jit: compiled"), "{jit_err}");
    assert!(auto_err.contains("switching to the JIT"), "{auto_err}");
    for backend in ["interp", "jit", "auto"] {
        let (threaded, err) = run(backend, "3");
        assert!(threaded == interp, "{backend} on 3 threads differs");
        assert!(err.contains("3 threads"), "{err}");
    }
}
