//! The dormant fixpoint check: converging normalisations pass; two rules setting one field
//! differently, order-dependent rules and rules that undo each other are caught, naming both rules.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used
)]

use llemc_compiler::corpus::read_corpus;
use llemc_compiler::diagnostic::FileId;
use llemc_pipeline::fixpoint::{Conflict, check, normalisations};
use llemc_runtime::compile::{CorpusInput, compile_corpus};

const SCHEMA: &str =
    include_str!("../../../engines/transformers/reference/hand-written-schema.yaml");

/// A corpus of dormant normalisations: `(id, when, normalised_fields, kwargs_positive)`.
fn corpus(rules: &[(&str, &str, &str, &str)]) -> String {
    let mut text = String::from(
        "schema_version: 1.1.0\nengine: transformers\nengine_version: 5.14.1\nrules:\n",
    );
    for (id, when, fields, positive) in rules {
        text.push_str(&format!(
            "- id: {id}\n  engine: transformers\n  library: transformers\n  severity: dormant\n  native_type: transformers.GenerationConfig\n  when: '{when}'\n  message_template: normalised\n  kwargs_positive: {positive}\n  kwargs_negative: {{}}\n  expected_outcome: {{outcome: dormant_silent, emission_channel: none, normalised_fields: {fields}}}\n  added_by: manual_seed\n"
        ));
    }
    text
}

fn conflicts(rules: &[(&str, &str, &str, &str)]) -> (usize, Vec<Conflict>) {
    let text = corpus(rules);
    let (loaded, _) = match compile_corpus(&CorpusInput {
        name: "fixture.yaml",
        text: &text,
        schema: Some(("schema.yaml", SCHEMA)),
        compat: false,
        engine_version: None,
    }) {
        Ok(done) => done,
        Err(failure) => panic!("fixture corpus does not compile: {:?}", failure.diagnostics),
    };
    let (corpus, _) = read_corpus(FileId(0), &text);
    let found = normalisations(&loaded, &corpus.unwrap()).unwrap();
    assert_eq!(found.len(), rules.len());
    let report = check(&loaded, &found);
    (report.configs_checked, report.conflicts)
}

#[test]
fn independent_normalisations_converge_in_any_order() {
    let (checked, found) = conflicts(&[
        (
            "beams_at_least_one",
            "num_beams present and num_beams < 1",
            "{num_beams: 1}",
            "{num_beams: 0}",
        ),
        (
            "greedy_resets_temperature",
            "do_sample is false and temperature present and temperature != 1.0",
            "{temperature: 1.0}",
            "{do_sample: false, temperature: 0.5}",
        ),
        (
            "top_k_zero_means_off",
            "top_k present and top_k == 0",
            "{top_k: 50}",
            "{top_k: 0}",
        ),
    ]);
    assert!(checked >= 4, "only {checked} configs checked");
    assert_eq!(found, vec![]);
}

#[test]
fn two_rules_setting_one_field_differently_are_named() {
    let (_, found) = conflicts(&[
        (
            "beams_to_one",
            "num_beams present and num_beams < 1",
            "{num_beams: 1}",
            "{num_beams: 0}",
        ),
        (
            "beams_to_two",
            "num_beams present and num_beams < 1",
            "{num_beams: 2}",
            "{num_beams: 0}",
        ),
    ]);
    let same: Vec<&Conflict> = found
        .iter()
        .filter(|c| matches!(c, Conflict::SameField { .. }))
        .collect();
    assert_eq!(same.len(), 1, "{found:?}");
    assert_eq!(same[0].rules(), ["beams_to_one", "beams_to_two"]);
    assert!(
        same[0]
            .to_string()
            .contains("sets `num_beams` to 1 but `beams_to_two` sets it to 2"),
        "{}",
        same[0]
    );
}

#[test]
fn order_dependent_rules_are_caught() {
    // Applying `top_k_default` first hides the config `beams_when_top_k_zero` reacts to.
    let (_, found) = conflicts(&[
        (
            "top_k_default",
            "top_k present and top_k == 0",
            "{top_k: 5}",
            "{top_k: 0}",
        ),
        (
            "beams_when_top_k_zero",
            "top_k present and top_k == 0 and num_beams == 1",
            "{num_beams: 2}",
            "{top_k: 0, num_beams: 1}",
        ),
    ]);
    assert!(
        found
            .iter()
            .any(|c| matches!(c, Conflict::OrderDependent { .. })
                && c.rules() == ["beams_when_top_k_zero", "top_k_default"]),
        "{found:?}"
    );
}

#[test]
fn rules_undoing_each_other_never_settle() {
    let (_, found) = conflicts(&[
        (
            "one_to_two",
            "top_k present and top_k == 1",
            "{top_k: 2}",
            "{top_k: 1}",
        ),
        (
            "two_to_one",
            "top_k present and top_k == 2",
            "{top_k: 1}",
            "{top_k: 2}",
        ),
    ]);
    let cycle = found
        .iter()
        .find(|c| matches!(c, Conflict::Cycle { .. }))
        .expect("a cycle");
    assert_eq!(cycle.rules(), ["one_to_two", "two_to_one"]);
}

#[test]
fn shipped_corpora_normalise_consistently() {
    for version in ["5.14.1", "4.57.6"] {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let path = format!("{root}/engines/transformers/{version}/invariants.proposed.yaml");
        let text = std::fs::read_to_string(&path).unwrap();
        let schema =
            std::fs::read_to_string(format!("{root}/engines/transformers/{version}/schema.yaml"))
                .unwrap();
        let Ok((loaded, _)) = compile_corpus(&CorpusInput {
            name: &path,
            text: &text,
            schema: Some(("schema.yaml", &schema)),
            compat: false,
            engine_version: None,
        }) else {
            panic!("{path} does not compile");
        };
        let (corpus, _) = read_corpus(FileId(0), &text);
        let found = normalisations(&loaded, &corpus.unwrap()).unwrap();
        let report = check(&loaded, &found);
        assert_eq!(report.conflicts, vec![], "{version}");
    }
}
