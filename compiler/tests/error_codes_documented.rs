//! Every diagnostic code the workspace emits is documented in docs/errors.md, and the page lists
//! no code that nothing emits.
//!
//! A code is emitted when a string literal such as `"E301"` (an `E`, `W` or `D` and three digits)
//! appears in the Rust sources of the workspace, outside tests (`tests/` and `benches/` folders,
//! `tests.rs` files, and everything after a file's `#[cfg(test)]`). A code is documented when the
//! page has a `### CODE` heading whose section says what it means (`**Means:**`), shows an example
//! (a fenced block) and says what to do (`**What to do:**`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the compiler crate sits in the workspace")
        .to_path_buf()
}

/// Folders that hold no emitting source: build output, caches, VCS data, tests.
fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || matches!(name, "target" | "tests" | "benches" | "node_modules")
}

fn rust_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !skipped_dir(&name) {
                rust_sources(&path, out);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" {
            out.push(path);
        }
    }
}

/// `"E301"`-style literals in `text`, each with its 1-based line.
fn code_literals(text: &str) -> Vec<(String, usize)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, window) in bytes.windows(6).enumerate() {
        let [b'"', letter, d1, d2, d3, b'"'] = *window else {
            continue;
        };
        if matches!(letter, b'E' | b'W' | b'D') && [d1, d2, d3].iter().all(u8::is_ascii_digit) {
            let code = String::from_utf8_lossy(&window[1..5]).into_owned();
            let line = text[..i].matches('\n').count() + 1;
            found.push((code, line));
        }
    }
    found
}

/// Every emitted code with the places (`path:line`) that emit it.
fn emitted_codes() -> BTreeMap<String, Vec<String>> {
    let root = workspace();
    let mut files = Vec::new();
    rust_sources(&root, &mut files);
    files.sort();
    let mut codes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let code_part = text.split("#[cfg(test)]").next().unwrap_or("");
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        for (code, line) in code_literals(code_part) {
            codes
                .entry(code)
                .or_default()
                .push(format!("{shown}:{line}"));
        }
    }
    codes
}

/// The sections of docs/errors.md by code (a code listed twice appears twice).
fn documented_sections() -> Vec<(String, String)> {
    let page =
        std::fs::read_to_string(workspace().join("docs/errors.md")).expect("docs/errors.md exists");
    let mut sections = Vec::new();
    for chunk in page.split("\n### ").skip(1) {
        let (heading, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
        let body = body.split("\n## ").next().unwrap_or("");
        sections.push((heading.trim().to_owned(), body.to_owned()));
    }
    sections
}

#[test]
fn every_emitted_code_is_documented_and_every_documented_code_is_emitted() {
    let emitted = emitted_codes();
    assert!(
        emitted.len() > 50,
        "the scan found only {} codes: is the workspace layout what this test expects?",
        emitted.len()
    );
    let sections = documented_sections();
    let documented: BTreeSet<&str> = sections.iter().map(|(code, _)| code.as_str()).collect();
    let mut problems = Vec::new();
    for (code, places) in &emitted {
        if !documented.contains(code.as_str()) {
            problems.push(format!(
                "{code} is emitted but docs/errors.md does not list it (emitted at {}): add a `### {code}` section under its family with **Means:**, an example input in a fenced block, and **What to do:**",
                places.join(", ")
            ));
        }
    }
    for code in &documented {
        if !emitted.contains_key(*code) {
            problems.push(format!(
                "docs/errors.md lists {code}, which no Rust source emits: remove its section (or restore the code)"
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for (code, body) in &sections {
        if !seen.insert(code.as_str()) {
            problems.push(format!("docs/errors.md lists {code} twice"));
        }
        for (part, what) in [
            ("**Means:**", "what it means (**Means:**)"),
            ("```", "an example input (a fenced block)"),
            ("**What to do:**", "what to do (**What to do:**)"),
        ] {
            if !body.contains(part) {
                problems.push(format!(
                    "docs/errors.md: the section of {code} lacks {what}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/errors.md is out of step with the codes the workspace emits:\n  - {}",
        problems.join("\n  - ")
    );
}

#[test]
fn the_scan_finds_code_literals_and_nothing_else() {
    let text = "let a = Diagnostic::error(\"E301\", m);\nlet b = \"W4011\";\nmatch s { Warn => \"W801\", _ => \"XE100\" }\n// E999 in prose\n";
    assert_eq!(
        code_literals(text),
        [("E301".to_owned(), 1), ("W801".to_owned(), 3)]
    );
}
