//! `llemc refresh transformers` and `llemc refresh vllm` reproduce every committed artifact
//! (schemas, proposed, validated and quarantine corpora, the generated docs) byte for byte, and a
//! second run changes no file.
//! It runs in a scratch copy of the repository whose `.cache` reuses the real venvs, wheels and
//! unpacked sources (made ready by `scripts/test`) but has its own staging folder.
#![cfg(feature = "python")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `dir`, by path relative to `root`.
fn files(root: &Path, dir: &str) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn refresh(root: &Path, engine: &str) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_llemc"))
        .args(["refresh", engine])
        .current_dir(root)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // Exit 1 is findings (rules the gate quarantined); 2 would be a broken step.
    assert!(matches!(output.status.code(), Some(0 | 1)), "{text}");
    text
}

fn differences(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

#[test]
fn refresh_transformers_reproduces_the_committed_artifacts_and_is_idempotent() {
    reproduces_and_is_idempotent("transformers");
}

/// vLLM 0.17.1's venv is made by `scripts/test` (`llemc env ensure vllm`), like transformers'.
#[test]
fn refresh_vllm_reproduces_the_committed_artifacts_and_is_idempotent() {
    reproduces_and_is_idempotent("vllm");
}

fn reproduces_and_is_idempotent(engine: &str) {
    let ws = workspace();
    let root = std::env::temp_dir().join(format!("llemc-refresh-{engine}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for dir in ["engine_versions", "engines", "docs/generated"] {
        copy_tree(&ws.join(dir), &root.join(dir));
    }
    std::fs::create_dir_all(root.join(".cache")).unwrap();
    for shared in ["venvs", "wheels", "sources"] {
        // On a fresh checkout the sources may not be unpacked yet: link to a real folder.
        std::fs::create_dir_all(ws.join(".cache").join(shared)).unwrap();
        std::os::unix::fs::symlink(
            ws.join(".cache").join(shared),
            root.join(".cache").join(shared),
        )
        .unwrap();
    }
    let committed: BTreeMap<String, Vec<u8>> =
        [files(&ws, "engines"), files(&ws, "docs/generated")]
            .into_iter()
            .flatten()
            .collect();

    let log = refresh(&root, engine);
    let first: BTreeMap<String, Vec<u8>> =
        [files(&root, "engines"), files(&root, "docs/generated")]
            .into_iter()
            .flatten()
            .collect();
    let stale = differences(&committed, &first);
    assert!(
        stale.is_empty(),
        "committed artifacts differ from what `llemc refresh {engine}` writes (run it and commit): {stale:?}\n{log}"
    );

    refresh(&root, engine);
    let second: BTreeMap<String, Vec<u8>> =
        [files(&root, "engines"), files(&root, "docs/generated")]
            .into_iter()
            .flatten()
            .collect();
    assert_eq!(
        differences(&first, &second),
        Vec::<String>::new(),
        "a second run changed files"
    );
    let _ = std::fs::remove_dir_all(&root);
}
