//! The generated rule reference: one entry per rule across versions (matched by canonical
//! predicate, not by text), versions listed, sources per version, deterministic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use llemc_pipeline::docs_gen::{VersionCorpus, render};

const SCHEMA: &str =
    include_str!("../../../engines/transformers/reference/hand-written-schema.yaml");
const NEW: &str = include_str!("fixtures/docs/new.yaml");
const OLD: &str = include_str!("fixtures/docs/old.yaml");

fn corpora() -> Vec<VersionCorpus<'static>> {
    vec![
        VersionCorpus {
            version: "5.14.1",
            path: "fixtures/docs/new.yaml",
            text: NEW,
            context_sites: &[],
            schema: ("schema.yaml", SCHEMA),
        },
        VersionCorpus {
            version: "4.57.6",
            path: "fixtures/docs/old.yaml",
            text: OLD,
            context_sites: &[],
            schema: ("schema.yaml", SCHEMA),
        },
    ]
}

#[test]
fn reference_merges_versions_by_canonical_predicate() {
    let text = render(
        "transformers",
        "llemc docs --engine transformers",
        &corpora(),
    )
    .unwrap();
    assert!(text.contains("- holds in: 5.14.1, 4.57.6"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn reference_is_deterministic() {
    let first = render("transformers", "llemc docs", &corpora()).unwrap();
    let second = render("transformers", "llemc docs", &corpora()).unwrap();
    assert_eq!(first, second);
}

#[test]
fn a_rule_that_does_not_compile_is_named() {
    let broken = NEW.replace("num_beams < 1", "num_beamz < 1");
    let corpora = [VersionCorpus {
        version: "5.14.1",
        path: "broken.yaml",
        text: &broken,
        context_sites: &[],
        schema: ("schema.yaml", SCHEMA),
    }];
    let err = render("transformers", "llemc docs", &corpora).unwrap_err();
    assert!(
        err.summary()
            .starts_with("E661: rule `beams_positive` does not compile: E302:"),
        "{err}"
    );
    // The diagnostic points at the rule in the corpus.
    let shown = err.render(llemc_compiler::diagnostic::Color::Never);
    assert!(shown.contains("┌─ broken.yaml:6:7"), "{shown}");
}
