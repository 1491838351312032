//! Snapshot tests of the diagnostics `read_corpus` reports for bad corpora
//! (`tests/fixtures/bad/`), plus the generated extremes: deep nesting and a 50 MB corpus.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use llemc_compiler::corpus::{Corpus, Stage, read_corpus};
use llemc_compiler::diagnostic::{Color, Diagnostic, SourceMap, render_human};
use llemc_compiler::yaml::decode_utf8;
use std::path::PathBuf;

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bad")
        .join(name)
}

/// Reads a fixture the way the CLI does (bytes → UTF-8 → corpus) and renders every diagnostic.
fn check(name: &str) -> (Option<Corpus>, Vec<Diagnostic>, String) {
    let bytes = std::fs::read(fixture_path(name)).unwrap();
    let file_name = format!("fixtures/bad/{name}");
    let mut sources = SourceMap::new();
    let (corpus, diagnostics) = match decode_utf8(&file_name, &bytes) {
        Ok(text) => {
            let file = sources.add(file_name.clone(), text.clone());
            read_corpus(file, &text)
        }
        Err(diagnostic) => (None, vec![diagnostic]),
    };
    let rendered = render_human(&diagnostics, &sources, Color::Never);
    (corpus, diagnostics, rendered)
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code).collect()
}

/// The text under a diagnostic's primary label.
fn primary_text<'a>(text: &'a str, diagnostic: &Diagnostic) -> &'a str {
    let span = diagnostic.primary.as_ref().unwrap().span;
    &text[span.range()]
}

macro_rules! snapshot {
    ($test:ident, $file:literal, [$($code:literal),* $(,)?]) => {
        #[test]
        fn $test() {
            let (_, diagnostics, rendered) = check($file);
            insta::assert_snapshot!(stringify!($test), rendered);
            assert_eq!(codes(&diagnostics), [$($code),*] as [&str; 0 $(+ { let _ = $code; 1 })*]);
        }
    };
}

snapshot!(malformed_yaml, "malformed_yaml.yaml", ["E100"]);
snapshot!(tab_indentation, "tab_indentation.yaml", ["E100"]);
snapshot!(duplicate_key, "duplicate_key.yaml", ["E102"]);
snapshot!(multiple_documents, "multiple_documents.yaml", ["E103"]);
snapshot!(big_integer, "big_integer.yaml", ["E104"]);
snapshot!(top_level_list, "top_level_list.yaml", ["E200"]);
snapshot!(
    wrong_types,
    "wrong_types.yaml",
    ["E202", "E202", "E202", "E202", "E202"]
);
snapshot!(
    unknown_severity,
    "unknown_severity.yaml",
    ["E205", "E205", "E205", "E205"]
);
snapshot!(unknown_stage, "unknown_stage.yaml", ["E205"]);
snapshot!(
    missing_keys,
    "missing_keys.yaml",
    ["E201", "E201", "E201", "E201", "E201"]
);
snapshot!(duplicate_ids, "duplicate_ids.yaml", ["E206"]);
snapshot!(engine_mismatch, "engine_mismatch.yaml", ["E207", "E207"]);
snapshot!(schema_major_2, "schema_major_2.yaml", ["E204"]);
snapshot!(
    unknown_operator,
    "unknown_operator.yaml",
    ["E208", "E208", "E208"]
);
snapshot!(empty_predicate, "empty_predicate.yaml", ["E209", "E209"]);
snapshot!(in_scalar, "in_scalar.yaml", ["E210", "E210"]);
snapshot!(when_plain, "when_plain.yaml", ["E001"]);
snapshot!(when_double_quoted, "when_double_quoted.yaml", ["E001"]);
snapshot!(when_block, "when_block.yaml", ["E001"]);
snapshot!(invalid_versions, "invalid_versions.yaml", ["E212", "E202"]);
snapshot!(
    five_problems,
    "five_problems.yaml",
    ["E205", "E208", "E206", "E207", "E001"]
);
snapshot!(present_false, "present_false.yaml", ["W201", "W201"]);
snapshot!(invalid_utf8, "invalid_utf8.yaml", ["E101"]);

/// A rule's `stage` is read, and a misspelt one is reported with a suggestion.
#[test]
fn stage_is_read_and_checked() {
    let (corpus, diagnostics, rendered) = check("unknown_stage.yaml");
    assert!(rendered.contains("did you mean `generate`?"), "{rendered}");
    assert_eq!(codes(&diagnostics), ["E205"]);
    let corpus = corpus.unwrap();
    let stages: Vec<(String, Option<Stage>)> = corpus
        .rules
        .iter()
        .map(|r| (r.id.value.clone(), r.stage.as_ref().map(|s| s.value)))
        .collect();
    assert!(stages.contains(&("generate_stage".to_owned(), Some(Stage::Generate))));
    assert!(stages.iter().all(|(_, s)| *s != Some(Stage::Construct)));
}

#[test]
fn present_false_still_reads_the_rule() {
    let (corpus, _, _) = check("present_false.yaml");
    assert_eq!(corpus.unwrap().rules.len(), 1);
}

#[test]
fn rules_with_errors_are_left_out_but_the_corpus_is_kept() {
    let (corpus, _, _) = check("duplicate_ids.yaml");
    let ids: Vec<String> = corpus
        .unwrap()
        .rules
        .iter()
        .map(|r| r.id.value.clone())
        .collect();
    assert_eq!(ids, ["same_id", "other_id"]);
}

/// The caret of a `when:` syntax error lands on the offending token in the file, whatever the
/// scalar style.
#[test]
fn when_errors_point_at_the_offending_byte() {
    for (name, expected) in [
        ("when_plain.yaml", "and max_model_len"),
        ("when_double_quoted.yaml", "== \\\"auto"),
        ("when_block.yaml", "(max_num_batched_tokens"),
    ] {
        let text = std::fs::read_to_string(fixture_path(name)).unwrap();
        let (_, diagnostics) = read_corpus(llemc_compiler::diagnostic::FileId(0), &text);
        let d = &diagnostics[0];
        let start = d.primary.as_ref().unwrap().span.start as usize;
        let from = &text[start..];
        assert!(
            from.starts_with(expected),
            "{name}: {from:?} ({})",
            d.message
        );
        assert!(!primary_text(&text, d).is_empty());
        if name == "when_plain.yaml" {
            // The second `and`, not the first.
            let start = d.primary.as_ref().unwrap().span.start as usize;
            assert_eq!(start, text.find("and and").unwrap() + 4);
        }
    }
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    for text in [
        format!(
            "schema_version: 1.0.0\nengine: vllm\nrules: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
        format!(
            "schema_version: 1.0.0\nengine: vllm\nrules:\n{}x\n",
            "- ".repeat(10_000)
        ),
        {
            let mut s = String::from("schema_version: 1.0.0\nengine: vllm\nrules:\n");
            for i in 0..10_000 {
                s.push_str(&" ".repeat(i % 5000));
                s.push_str("k:\n");
            }
            s
        },
    ] {
        let (corpus, diagnostics) = read_corpus(llemc_compiler::diagnostic::FileId(0), &text);
        assert!(corpus.is_none());
        assert_eq!(codes(&diagnostics), ["E105"]);
    }
}

/// A generated corpus of about 50 MB loads, with every rule.
#[test]
fn fifty_megabytes() {
    let rule = |i: usize| {
        format!(
            "- id: generated_rule_{i}\n  engine: transformers\n  library: transformers\n  rule_under_test: generated rule number {i} with a description long enough to be realistic\n  severity: error\n  native_type: transformers.GenerationConfig\n  miner_source:\n    path: transformers/generation/configuration_utils.py\n    method: validate\n    line_at_scan: {i}\n  match:\n    engine: transformers\n    fields:\n      transformers.sampling.num_beams:\n        present: true\n        not_in: [1, 2, 3]\n      transformers.sampling.temperature: {{'<': 0.5}}\n  kwargs_positive:\n    num_beams: 4\n  kwargs_negative:\n    num_beams: 1\n  expected_outcome:\n    outcome: error\n    emission_channel: none\n    normalised_fields: []\n  message_template: 'rule {i}: `num_beams` is {{declared_value}}'\n  added_by: static_miner\n"
        )
    };
    let mut text = String::from(
        "schema_version: 1.0.0\nengine: transformers\nengine_version: 4.57.3\nrules:\n",
    );
    let mut count = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&rule(count));
        count += 1;
    }
    let (corpus, diagnostics) = read_corpus(llemc_compiler::diagnostic::FileId(0), &text);
    assert!(diagnostics.is_empty(), "{:?}", diagnostics.first());
    assert_eq!(corpus.unwrap().rules.len(), count);
}
