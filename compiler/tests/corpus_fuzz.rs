//! `read_corpus` never panics: arbitrary bytes, YAML-like strings and mutated real corpora.
//! Every label it reports lies inside the file, on character boundaries.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use llemc_compiler::corpus::read_corpus;
use llemc_compiler::diagnostic::{Color, Diagnostic, SourceMap, render_human};
use llemc_compiler::yaml::{decode_utf8, parse_yaml, string_offsets};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn compat_dir() -> PathBuf {
    match std::env::var_os("LLEMC_COMPAT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat"),
    }
}

fn corpora() -> &'static [String] {
    static CORPORA: OnceLock<Vec<String>> = OnceLock::new();
    CORPORA.get_or_init(|| {
        [
            "transformers.yaml",
            "vllm.yaml",
            "tensorrt.yaml",
            "v0.7.0/transformers.yaml",
            "v0.7.0/vllm.yaml",
            "v0.7.0/tensorrt.yaml",
        ]
        .iter()
        .map(|name| std::fs::read_to_string(compat_dir().join(name)).unwrap())
        .collect()
    })
}

/// Reads `text` and checks the labels; renders the diagnostics too (which must not panic).
fn read_and_check(text: &str) {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.yaml", text.to_owned());
    let (_, diagnostics) = read_corpus(file, text);
    for d in &diagnostics {
        check_labels(text, d);
    }
    let _ = render_human(&diagnostics, &sources, Color::Never);
}

fn check_labels(text: &str, d: &Diagnostic) {
    for label in d.primary.iter().chain(&d.secondary) {
        let (start, end) = (label.span.start as usize, label.span.end as usize);
        assert!(
            start <= end && end <= text.len(),
            "{d:?} in {} bytes",
            text.len()
        );
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "{d:?}"
        );
    }
}

/// Pieces that make mutations YAML-meaningful.
const SNIPPETS: [&str; 24] = [
    ":",
    "- ",
    "\n",
    "  ",
    "\t",
    "'",
    "\"",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "!!str ",
    "#",
    "|\n",
    ">-\n",
    "---\n",
    "? ",
    "@",
    "when: x > \n",
    "present: false",
    "in: 3",
    "é",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, len: usize },
    Insert { at: usize, snippet: usize },
    DuplicateLine { at: usize },
    SwapLines { a: usize, b: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0..SNIPPETS.len())
            .prop_map(|(at, snippet)| Mutation::Insert { at, snippet }),
        any::<usize>().prop_map(|at| Mutation::DuplicateLine { at }),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
    ]
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutation: &Mutation) -> String {
    match *mutation {
        Mutation::Delete { at, len } => {
            let start = floor_boundary(text, at % (text.len() + 1));
            let end = floor_boundary(text, start + len);
            format!("{}{}", &text[..start], &text[end..])
        }
        Mutation::Insert { at, snippet } => {
            let at = floor_boundary(text, at % (text.len() + 1));
            format!("{}{}{}", &text[..at], SNIPPETS[snippet], &text[at..])
        }
        Mutation::DuplicateLine { at } => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let i = at % lines.len();
                lines.insert(i, lines[i]);
            }
            lines.concat()
        }
        Mutation::SwapLines { a, b } => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            if !lines.is_empty() {
                let (a, b) = (a % lines.len(), b % lines.len());
                lines.swap(a, b);
            }
            lines.concat()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        match decode_utf8("fuzz.yaml", &bytes) {
            Ok(text) => read_and_check(&text),
            Err(d) => prop_assert_eq!(d.code, "E101"),
        }
    }

    #[test]
    fn yaml_like_strings(text in "([a-z_@. ]{0,8}(:|: |- |\\n|  |\\t|'|\"|\\[|\\]|\\{|\\}|&a |\\*a|#|\\|\\n|>\\n|---\\n|, |[0-9.]{1,4}|é)){0,60}") {
        read_and_check(&text);
    }

    #[test]
    fn corpus_shaped_strings(body in "(- id: [a-c]\\n  engine: (vllm|x)\\n  severity: (error|warn|bad)\\n  (when: [a-z <>=&|()0-9\"']{0,20}|match:\\n    fields:\\n      [a-z.@]{1,6}: ([0-9]|\\[1, 2\\]|\\{[a-z_<>=!]{1,8}: [0-9a-z@]{0,3}\\}|'@x'|\\{\\}))\\n){0,4}") {
        let text = format!("schema_version: 1.0.0\nengine: vllm\nrules:\n{body}");
        read_and_check(&text);
    }

    #[test]
    fn mutated_real_corpora(which in 0usize..6, mutations in proptest::collection::vec(mutation(), 1..6)) {
        let mut text = corpora()[which].clone();
        for m in &mutations {
            text = apply(&text, m);
        }
        read_and_check(&text);
    }

    #[test]
    fn string_offsets_stay_in_the_file(text in "w: (\"[a-z \\\\n\\\\\"é]{0,12}\"|'[a-z 'é]{0,12}'|[a-z][a-z é]{0,12}|\\|\\n  [a-z é]{0,12}\\n  [a-z]{0,5}|>\\n  [a-z é]{0,12}\\n\\n  [a-z]{0,5})\\n") {
        if let Ok(root) = parse_yaml(llemc_compiler::diagnostic::FileId(0), &text)
            && let Some(node) = root.get("w")
        {
            let offsets = string_offsets(node, &text);
            if let Some(s) = node.as_str() {
                prop_assert_eq!(offsets.len(), s.len());
                // Monotonic, and inside the node.
                for pair in offsets.windows(2) {
                    prop_assert!(pair[0] <= pair[1]);
                }
                for &o in &offsets {
                    prop_assert!(o >= node.span.start && o < node.span.end.max(node.span.start + 1));
                }
            }
        }
    }
}
