//! Kwargs synthesis: one test per operator family, unsolvable rules, and every manual seed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::yaml_out::scalar_str;
use llemc_mining::synth::{KwargsPair, SynthFailure, check_pair, synthesize, synthesize_corpus};
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use serde_json::{Value, json};

fn repo(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn schema() -> String {
    repo("engines/transformers/reference/hand-written-schema.yaml")
}

fn corpus(native: &str, when: &str) -> String {
    format!(
        "schema_version: 1.1.0\nengine: transformers\nengine_version: 5.14.1\nrules:\n- id: t\n  engine: transformers\n  severity: error\n  native_type: {native}\n  when: {}\n  kwargs_positive: {{}}\n  kwargs_negative: {{}}\n  expected_outcome: {{outcome: error, emission_channel: runtime_exception, normalised_fields: []}}\n",
        scalar_str(when, false)
    )
}

fn synth_native(native: &str, when: &str) -> Result<KwargsPair, SynthFailure> {
    let schema = schema();
    let text = corpus(native, when);
    let mut results = synthesize_corpus("t.yaml", &text, ("schema.yaml", &schema), None)
        .unwrap_or_else(|e| panic!("`{when}` does not compile: {e}"));
    assert_eq!(results.len(), 1);
    let (_, result) = results.remove(0);
    if let Ok(pair) = &result {
        // Independently re-checked by the evaluator.
        let input = CorpusInput {
            name: "t.yaml",
            text: &text,
            schema: Some(("schema.yaml", &schema)),
            compat: false,
            engine_version: None,
        };
        let (loaded, _) = compile_corpus(&input).ok().unwrap();
        check_pair(&loaded, 0, &pair.positive, &pair.negative).unwrap();
    }
    result
}

fn synth(when: &str) -> KwargsPair {
    synth_native("transformers.GenerationConfig", when)
        .unwrap_or_else(|f| panic!("`{when}`: {}", f.reason))
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn thresholds_pick_boundary_values_of_the_field_type() {
    let p = synth("max_new_tokens present and max_new_tokens <= 0");
    assert_eq!(p.positive, obj(json!({"max_new_tokens": 0})));
    assert_eq!(p.negative, obj(json!({"max_new_tokens": 1})));

    let p = synth("pad_token_id present and pad_token_id < 0");
    assert_eq!(p.positive, obj(json!({"pad_token_id": -1})));
    assert_eq!(p.negative, obj(json!({"pad_token_id": 0})));

    // Float fields get floats.
    let p = synth("temperature > 1.5");
    assert!(p.positive["temperature"].is_f64(), "{:?}", p.positive);
    assert_eq!(p.negative, obj(json!({"temperature": 1.5})));

    // An int literal against a float field still gives floats.
    let p = synth("repetition_penalty <= 0");
    assert_eq!(p.positive, obj(json!({"repetition_penalty": 0.0})));

    // The default is 50: the positive must set a different value.
    let p = synth("top_k != 50");
    assert_eq!(p.positive, obj(json!({"top_k": 51})));
    assert_eq!(p.negative, obj(json!({"top_k": 50})));
}

#[test]
fn membership_picks_members_and_non_members() {
    let p = synth(
        r#"cache_implementation present and cache_implementation not_in ["static", "dynamic"]"#,
    );
    assert_eq!(p.positive, obj(json!({"cache_implementation": "invalid"})));
    assert_eq!(p.negative, obj(json!({"cache_implementation": "static"})));

    let p = synth(r#"cache_implementation in ["static", "dynamic"]"#);
    assert_eq!(p.positive, obj(json!({"cache_implementation": "static"})));
    assert!(
        !p.negative
            .get("cache_implementation")
            .is_some_and(|v| v == "dynamic")
    );

    let p = synth("num_beams in [3, 5]");
    assert_eq!(p.positive, obj(json!({"num_beams": 3})));
}

#[test]
fn presence_absence_and_identity() {
    let p = synth("min_p present");
    assert_eq!(p.positive, obj(json!({"min_p": 0.5})));
    assert_eq!(p.negative, obj(json!({})));

    let p = synth("max_time absent");
    assert!(p.positive.get("max_time").is_none_or(Value::is_null));
    assert!(p.negative["max_time"].is_number());

    let p = synth("use_cache is false");
    assert_eq!(p.positive, obj(json!({"use_cache": false})));
    assert_eq!(p.negative, obj(json!({"use_cache": true})));

    let p = synth("do_sample is true");
    assert_eq!(p.positive, obj(json!({"do_sample": true})));

    // `is null` on a field whose default is not null needs an explicit null.
    let p = synth("num_beams is null");
    assert_eq!(p.positive, obj(json!({"num_beams": null})));
}

#[test]
fn type_tests_use_values_of_listed_and_unlisted_types() {
    // A class cannot come from JSON: any JSON value is "not a CompileConfig".
    let p = synth(r#"compile_config present and compile_config type_is_not "CompileConfig""#);
    assert_eq!(p.positive, obj(json!({"compile_config": "x"})));
    assert!(p.negative.get("compile_config").is_none_or(Value::is_null));
    assert_eq!(p.positive_off_type, vec!["compile_config".to_owned()]);

    let p = synth(r#"watermarking_config type_is "dict""#);
    assert_eq!(p.positive, obj(json!({"watermarking_config": {}})));

    let p = synth_native(
        "transformers.BitsAndBytesConfig",
        r#"llm_int8_threshold is null or llm_int8_threshold type_is_not "float""#,
    )
    .unwrap();
    // An int is the realistic wrong type for a float-only field.
    assert_eq!(p.negative, obj(json!({"llm_int8_threshold": 0.5})));
    assert!(!p.positive["llm_int8_threshold"].is_f64());
}

#[test]
fn field_references_divisibility_len_and_arithmetic() {
    let p = synth("num_return_sequences > @num_beams and num_beams > 1");
    let (n, b) = (
        p.positive["num_return_sequences"].as_i64().unwrap(),
        p.positive["num_beams"].as_i64().unwrap(),
    );
    assert!(n > b && b > 1, "{:?}", p.positive);

    let p = synth("num_beams not_divisible_by @num_beam_groups");
    assert!(p.positive.contains_key("num_beams") || p.positive.contains_key("num_beam_groups"));

    let p = synth("num_beams divisible_by 4 and num_beams > 4");
    assert_eq!(p.positive, obj(json!({"num_beams": 8})));

    let p = synth("len(stop_strings) > 2");
    assert_eq!(p.positive["stop_strings"].as_array().map(Vec::len), Some(3));

    let p = synth("suppress_tokens present and len(suppress_tokens) == 0");
    assert_eq!(p.positive, obj(json!({"suppress_tokens": []})));

    let p = synth("max_new_tokens + min_new_tokens > 10");
    let get = |k: &str| {
        p.positive
            .get(k)
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("{:?}", p.positive))
    };
    let sum = get("max_new_tokens") + get("min_new_tokens");
    assert!(sum > 10);

    let p = synth("max_length % 7 == 3");
    assert_eq!(p.positive["max_length"].as_i64().map(|v| v % 7), Some(3));
}

#[test]
fn boolean_structure_flips_any_clause() {
    let p = synth(
        "not (assistant_ensemble_weight > 0.0 and assistant_ensemble_weight < 1.0) and assistant_ensemble_weight present",
    );
    let w = p.positive["assistant_ensemble_weight"].as_f64().unwrap();
    assert!(w <= 0.0 || w >= 1.0);

    let p = synth("logits_processor present or streamer present or synced_gpus present");
    assert_eq!(p.positive.len(), 1);
    assert_eq!(p.negative, obj(json!({})));

    // The negative may flip the first clause (do_sample), not only the last.
    let p = synth("do_sample is true and top_k present and top_k != 50");
    assert_eq!(p.positive.len(), 2);
    assert_eq!(p.negative.len(), 2);
}

#[test]
fn unsolvable_rules_get_a_reason() {
    let f = synth_native(
        "transformers.GenerationConfig",
        "max_new_tokens > 5 and max_new_tokens < 3",
    )
    .unwrap_err();
    assert!(f.reason.contains("hold"), "{}", f.reason);

    let f = synth_native(
        "transformers.GenerationConfig",
        "max_new_tokens absent or max_new_tokens present",
    )
    .unwrap_err();
    assert!(f.reason.contains("fail"), "{}", f.reason);
}

#[test]
fn synthesis_is_deterministic() {
    let a = synth(
        "num_return_sequences > 1 and (num_beams is null or num_beams == 1) and (do_sample is null or do_sample == false)",
    );
    let b = synth(
        "num_return_sequences > 1 and (num_beams is null or num_beams == 1) and (do_sample is null or do_sample == false)",
    );
    assert_eq!(a, b);
}

/// Every manual seed: the synthesized pair is validated by the evaluator; the hand-written pair
/// is too (a check of the seeds themselves); and the two are compared.
#[test]
fn every_seed_is_synthesized_and_validated() {
    let schema = schema();
    let seeds = repo("engines/transformers/seeds.yaml");
    let input = CorpusInput {
        name: "seeds.yaml",
        text: &seeds,
        schema: Some(("schema.yaml", &schema)),
        compat: false,
        engine_version: Some("5.14.1".to_owned()),
    };
    let (loaded, _) = compile_corpus(&input).ok().expect("seeds compile");
    let (corpus, _) =
        llemc_compiler::corpus::read_corpus(llemc_compiler::diagnostic::FileId(0), &seeds);
    let written = corpus.unwrap().rules;
    let rules = &loaded.program().rules;
    assert_eq!(rules.len(), 61);
    let mut solved = 0;
    let mut same_positive = 0;
    let mut same_negative = 0;
    let mut failures = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let read = written.iter().find(|r| r.id.value == rule.id).unwrap();
        let doc = llemc_compiler::corpus::RuleDoc::from_rule(read);
        let (hp, hn) = (doc.positive_json(), doc.negative_json());
        check_pair(&loaded, i, &hp, &hn)
            .unwrap_or_else(|e| panic!("hand-written kwargs of {}: {e}", rule.id));
        match synthesize(&loaded, i) {
            Ok(pair) => {
                check_pair(&loaded, i, &pair.positive, &pair.negative).unwrap();
                solved += 1;
                same_positive += usize::from(pair.positive == hp);
                same_negative += usize::from(pair.negative == hn);
                eprintln!(
                    "{}\n  synth +{} -{}\n  hand  +{} -{}",
                    rule.id,
                    Value::Object(pair.positive.clone()),
                    Value::Object(pair.negative.clone()),
                    Value::Object(hp),
                    Value::Object(hn)
                );
            }
            Err(f) => failures.push(f.to_string()),
        }
    }
    eprintln!("solved {solved}/48, same positive {same_positive}, same negative {same_negative}");
    assert!(failures.is_empty(), "{failures:#?}");
}
