//! The six real corpora in `../shared/compat/` read with no error diagnostics, with every rule,
//! and with spans that point at what they describe.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use llemc_compiler::corpus::{RuleShape, read_corpus};
use llemc_compiler::diagnostic::{Color, SourceMap, render_human};
use llemc_compiler::yaml::{Node, NodeKind, parse_yaml};
use llemc_grammar::ast::{ExprKind, OperandKind};
use std::path::PathBuf;

/// The compat corpora: `$LLEMC_COMPAT_DIR`, else `../shared/compat` beside the checkout.
fn compat_dir() -> PathBuf {
    match std::env::var_os("LLEMC_COMPAT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/compat"),
    }
}

const CORPORA: [(&str, &str, usize, RuleShape); 6] = [
    ("transformers.yaml", "transformers", 41, RuleShape::V1),
    ("vllm.yaml", "vllm", 49, RuleShape::V1),
    ("tensorrt.yaml", "tensorrt", 24, RuleShape::V1),
    (
        "v0.7.0/transformers.yaml",
        "transformers",
        50,
        RuleShape::V070,
    ),
    ("v0.7.0/vllm.yaml", "vllm", 29, RuleShape::V070),
    ("v0.7.0/tensorrt.yaml", "tensorrt", 29, RuleShape::V070),
];

#[test]
fn compat_corpora_read_without_errors() {
    for (name, engine, count, shape) in CORPORA {
        let text = std::fs::read_to_string(compat_dir().join(name)).unwrap();
        let mut sources = SourceMap::new();
        let file = sources.add(name, text.clone());
        let (corpus, diagnostics) = read_corpus(file, &text);
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        assert!(
            errors.is_empty(),
            "{name}:\n{}",
            render_human(&errors, &sources, Color::Never)
        );
        // Warnings are allowed; there are none today.
        assert!(
            diagnostics.is_empty(),
            "{name}:\n{}",
            render_human(&diagnostics, &sources, Color::Never)
        );
        let corpus = corpus.unwrap();
        assert_eq!(corpus.engine.value, engine);
        assert_eq!(corpus.schema_version.value, "1.0.0");
        assert_eq!(corpus.rules.len(), count, "{name}");
        for rule in &corpus.rules {
            assert_eq!(rule.shape, shape, "{name} {}", rule.id.value);
            // Spans point at what they describe.
            assert_eq!(&text[rule.id.span.range()], rule.id.value, "{name}");
            assert!(
                text[rule.span.range()].starts_with("id:"),
                "{name} {}",
                rule.id.value
            );
            assert!(!rule.predicate.match_fields.is_empty());
            for field in &rule.predicate.match_fields {
                assert_eq!(&text[field.path.span.range()], field.path.value.dotted());
                // A bare value or several operators span the entry; one operator its `op: value`.
                assert!(field.expr.span.start >= field.path.span.start);
                assert!(field.expr.span.end <= rule.span.end);
            }
            if shape == RuleShape::V1 {
                assert!(rule.native_type.is_some() && rule.kwargs_positive.is_some());
                assert!(rule.expected_outcome.is_some());
            } else {
                assert!(rule.provenance.is_some());
            }
        }
    }
}

#[test]
fn references_and_operator_maps_lower() {
    let text = std::fs::read_to_string(compat_dir().join("transformers.yaml")).unwrap();
    let (corpus, _) = read_corpus(llemc_compiler::diagnostic::FileId(0), &text);
    let corpus = corpus.unwrap();
    let mut refs = 0;
    let mut presence = 0;
    for rule in &corpus.rules {
        for field in &rule.predicate.match_fields {
            let tests = match &field.expr.kind {
                ExprKind::And(items) => items.iter().collect(),
                _ => vec![&field.expr],
            };
            for test in tests {
                match &test.kind {
                    ExprKind::Compare { rhs, .. } => {
                        if let OperandKind::Ref(path) = &rhs.kind {
                            assert_eq!(
                                &text[rhs.span.range()],
                                format!("'@{}'", path.dotted()).as_str()
                            );
                            refs += 1;
                        }
                    }
                    ExprKind::Presence { present: true, .. } => presence += 1,
                    _ => {}
                }
            }
        }
    }
    assert_eq!(refs, 2);
    assert_eq!(presence, 24);
}

/// Every plain scalar's span in the real corpora slices to exactly its text.
#[test]
fn yaml_spans_match_the_text() {
    for (name, ..) in CORPORA {
        let text = std::fs::read_to_string(compat_dir().join(name)).unwrap();
        let root = parse_yaml(llemc_compiler::diagnostic::FileId(0), &text).unwrap();
        let mut stack: Vec<&Node> = vec![&root];
        let mut checked = 0;
        while let Some(node) = stack.pop() {
            match &node.kind {
                NodeKind::Seq(items) => stack.extend(items),
                NodeKind::Map(entries) => {
                    for (k, v) in entries {
                        stack.push(k);
                        stack.push(v);
                    }
                }
                NodeKind::Str(s) => {
                    let raw = &text[node.span.range()];
                    if !raw.starts_with(['\'', '"', '*', '|', '>'])
                        && !s.contains('\n')
                        && !raw.contains('\n')
                    {
                        assert_eq!(raw, s, "{name}");
                        checked += 1;
                    }
                }
                NodeKind::Int(i) => assert_eq!(
                    text[node.span.range()].parse::<i64>().ok(),
                    Some(*i),
                    "{name}"
                ),
                _ => {}
            }
        }
        assert!(checked > 100, "{name}: {checked}");
    }
}

/// The same corpus with CRLF line ends and a byte order mark reads the same rules, and its spans
/// still point at the right text.
#[test]
fn crlf_and_bom() {
    let text = std::fs::read_to_string(compat_dir().join("vllm.yaml")).unwrap();
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    let (corpus, diagnostics) = read_corpus(llemc_compiler::diagnostic::FileId(0), &crlf);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let corpus = corpus.unwrap();
    assert_eq!(corpus.rules.len(), 49);
    for rule in &corpus.rules {
        assert_eq!(&crlf[rule.id.span.range()], rule.id.value);
        for field in &rule.predicate.match_fields {
            assert_eq!(&crlf[field.path.span.range()], field.path.value.dotted());
        }
    }
}
