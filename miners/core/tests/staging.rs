//! Staging files: the one staged rule type reads back what every miner writes, one malformed
//! rule does not spoil the file, and a staged rule becomes the corpus rule build-corpus starts
//! from.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use llemc_compiler::corpus::{
    AddedBy, CorpusDoc, EmissionChannel, Outcome, RuleSeverity, write_corpus,
};
use llemc_mining::staging::{
    ExpectedOutcome, MinerSource, NormalisedFields, StagedRule, Staging, StagingFile,
};
use std::collections::BTreeMap;

fn static_rule() -> StagedRule {
    StagedRule {
        id: "e_t_validate_1".to_owned(),
        native_type: "e.T".to_owned(),
        severity: RuleSeverity::Dormant,
        when: "x present and x < 0".to_owned(),
        subject: Some("x".to_owned()),
        message_template: "x is reset to 0".to_owned(),
        miner_source: Some(MinerSource::line("e/t.py", "T.validate", 12)),
        expected_outcome: ExpectedOutcome::new(
            Outcome::DormantSilent,
            EmissionChannel::None,
            BTreeMap::from([("x".to_owned(), serde_json::json!(0))]),
        ),
        added_by: AddedBy::StaticMiner,
        kwargs_positive: None,
        kwargs_negative: None,
        versions: None,
        replay_match: None,
    }
}

#[test]
fn what_a_miner_writes_reads_back_typed() {
    let staging = Staging {
        engine: "e".to_owned(),
        engine_version: "1.0".to_owned(),
        miner: "static_miner".to_owned(),
        rules: vec![static_rule()],
        opaque: Vec::new(),
        report: serde_json::json!({"sites": 1}),
    };
    let json = staging.to_json();
    // Unset optional keys are not written; kwargs are (as null).
    assert!(!json.contains("\"versions\""), "{json}");
    assert!(!json.contains("\"cluster\""), "{json}");
    assert!(json.contains("\"kwargs_positive\": null"), "{json}");
    let read = StagingFile::parse("static_miner.json", &json).unwrap();
    read.check_for("static_miner.json", "e", "1.0").unwrap();
    let rules: Vec<StagedRule> = read.typed_rules().into_iter().map(Result::unwrap).collect();
    assert_eq!(rules, [static_rule()]);
}

#[test]
fn a_malformed_rule_is_dropped_alone_and_bad_files_are_diagnostics() {
    let text = r#"{"engine": "e", "engine_version": "1.0", "rules": [
        {"id": "a", "native_type": "e.T", "severity": "warn", "when": "x > 1",
         "message_template": "m", "added_by": "dynamic_miner",
         "expected_outcome": {"outcome": "warn", "emission_channel": "logger_warning",
                              "normalised_fields": []},
         "kwargs_positive": {"x": 2}, "kwargs_negative": {"x": 0}},
        {"id": "b", "severity": "loud"}
    ]}"#;
    let read = StagingFile::parse("s.json", text).unwrap();
    assert_eq!(read.miner, "static_miner");
    let rules = read.typed_rules();
    let first = rules[0].as_ref().unwrap();
    assert_eq!(
        first.expected_outcome.normalised_fields,
        Some(NormalisedFields::Fields(Vec::new()))
    );
    assert!(rules[1].is_err());

    let not_json = StagingFile::parse("s.json", "{not json").unwrap_err();
    assert_eq!(not_json.code, "E622");
    assert!(
        not_json.message.contains("is not valid JSON"),
        "{not_json:?}"
    );
    let other = read.check_for("s.json", "e", "2.0").unwrap_err();
    assert_eq!(other.code, "E623");
    assert!(other.message.contains("is for e 1.0, not 2.0"), "{other:?}");
}

#[test]
fn a_staged_rule_is_written_as_a_corpus_rule() {
    let doc = CorpusDoc {
        schema_version: "1.1.0".to_owned(),
        engine: "e".to_owned(),
        engine_version: Some("1.0".to_owned()),
        rules: vec![static_rule().doc("e")],
    };
    assert_eq!(
        write_corpus("", &doc),
        "schema_version: 1.1.0\nengine: e\nengine_version: '1.0'\nrules:\n\
         - id: e_t_validate_1\n  engine: e\n  severity: dormant\n  native_type: e.T\n  subject: x\n  \
         when: x present and x < 0\n  message_template: x is reset to 0\n  \
         miner_source: {path: e/t.py, method: T.validate, line_at_scan: 12}\n  \
         expected_outcome:\n    outcome: dormant_silent\n    emission_channel: none\n    \
         normalised_fields: {x: 0}\n  added_by: static_miner\n"
    );
}
