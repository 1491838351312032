#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use super::*;
use crate::compile::{CorpusInput, compile_corpus};
use crate::loaded::LoadedProgram;
use llemc_compiler::corpus::RuleSeverity;
use llemc_compiler::diagnostic::{Level, SourceMap};
use llemc_compiler::schema::read_schema;
use llemc_compiler::value::Value;

const SCHEMA: &str =
    include_str!("../../../engines/transformers/reference/hand-written-schema.yaml");
const SEEDS: &str = include_str!("../../../engines/transformers/seeds.yaml");

fn schema() -> EngineSchema {
    let mut sources = SourceMap::new();
    let id = sources.add("schema.yaml", SCHEMA);
    read_schema(id, SCHEMA).0.unwrap()
}

fn program(corpus: &str) -> LoadedProgram {
    let input = CorpusInput {
        name: "corpus.yaml",
        text: corpus,
        schema: Some(("schema.yaml", SCHEMA)),
        compat: false,
        engine_version: Some("5.14.1".to_owned()),
    };
    match compile_corpus(&input) {
        Ok((p, _)) => p,
        Err(f) => panic!("{:?}", f.diagnostics),
    }
}

fn read(text: &str) -> ReadOutcome {
    let schema = schema();
    let supported = [SupportedVersion {
        engine: "transformers",
        version: "5.14.1",
        schema: &schema,
    }];
    read_experiment(FileId(0), text, &supported)
}

fn check_with(corpus: &str, text: &str) -> (ReadOutcome, CheckOutcome) {
    let outcome = read(text);
    let checked = match &outcome.config {
        Some(config) => check_experiment(config, &program(corpus), crate::jit::Backend::Interp),
        None => CheckOutcome::default(),
    };
    (outcome, checked)
}

fn check(text: &str) -> (ReadOutcome, CheckOutcome) {
    check_with(SEEDS, text)
}

fn codes(outcome: &ReadOutcome) -> Vec<&'static str> {
    outcome.diagnostics.iter().map(|d| d.code).collect()
}

const HEADER: &str = "engine: transformers\nmodel: gpt2\n";

#[test]
fn reads_sections_and_fields_with_spans() {
    let text = format!(
        "{HEADER}transformers:\n  generation:\n    num_beams: 4\n    watermarking_config: {{bias: 2.5}}\n"
    );
    let outcome = read(&text);
    assert!(outcome.diagnostics.is_empty(), "{:?}", outcome.diagnostics);
    let config = outcome.config.unwrap();
    assert_eq!(config.engine, "transformers");
    assert_eq!(config.model.as_deref(), Some("gpt2"));
    assert_eq!(config.engine_version, "5.14.1");
    assert!(!config.engine_version_declared);
    assert_eq!(config.sections.len(), 1);
    assert_eq!(
        config.sections[0].native_type,
        "transformers.GenerationConfig"
    );
    let names: Vec<String> = config.fields.iter().map(DeclaredField::dotted).collect();
    assert_eq!(
        names,
        [
            "transformers.generation.num_beams",
            "transformers.generation.watermarking_config",
            "transformers.generation.watermarking_config.bias",
        ]
    );
    let beams = &config.fields[0];
    assert_eq!(&text[beams.key_span.range()], "num_beams");
    assert_eq!(&text[beams.value.span.range()], "4");
    assert_eq!(config.fields[2].owner, "transformers.WatermarkingConfig");
}

#[test]
fn header_problems() {
    assert_eq!(codes(&read("- a\n")), ["E700"]);
    assert_eq!(codes(&read("")), ["E700"]);
    assert_eq!(codes(&read("model: gpt2\n")), ["E701"]);
    assert_eq!(codes(&read("engine: transformers\n")), ["E701"]);
    assert_eq!(codes(&read("engine: vllm\nmodel: x\n")), ["E703"]);
    assert_eq!(codes(&read("engine: 3\nmodel: x\n")), ["E707"]);
    assert_eq!(codes(&read("engine: transformers\nmodel: [x]\n")), ["E707"]);
    let version = read("engine: transformers\nmodel: x\nengine_version: \"4.57.6\"\n");
    assert_eq!(codes(&version), ["E704"]);
    assert!(version.config.is_none());
    assert!(version.diagnostics[0].notes[0].contains("5.14.1"));
    let declared = read("engine: transformers\nmodel: x\nengine_version: \"5.14.1\"\n");
    assert!(declared.config.unwrap().engine_version_declared);
}

#[test]
fn unknown_names_get_suggestions() {
    let text = format!(
        "{HEADER}modle: y\ntransformers:\n  generaton: {{}}\n  generation:\n    num_beamz: 4\n    watermarking_config: {{seeding_schme: lefthash}}\n"
    );
    let outcome = read(&text);
    // GenerationConfig stores an unknown kwarg (a warning); WatermarkingConfig raises (an error)
    assert_eq!(codes(&outcome), ["E702", "E705", "W708", "E706"]);
    assert_eq!(outcome.diagnostics[2].level, Level::Warning);
    let helps: Vec<&str> = outcome
        .diagnostics
        .iter()
        .map(|d| d.help.as_deref().unwrap())
        .collect();
    assert_eq!(
        helps,
        [
            "did you mean `model`?",
            "did you mean `generation`?",
            "did you mean `num_beams`?",
            "did you mean `seeding_scheme`?"
        ]
    );
    // the rest of the config is still read
    assert!(outcome.config.is_some());
}

#[test]
fn another_engines_section_is_reported() {
    let outcome = read(&format!("{HEADER}vllm: {{}}\n"));
    assert_eq!(codes(&outcome), ["E702"]);
}

#[test]
fn valid_config_has_no_findings() {
    let text = format!(
        "{HEADER}transformers:\n  generation:\n    do_sample: true\n    temperature: 0.7\n    top_p: 0.9\n    num_beams: 1\n  quantization:\n    load_in_4bit: true\n"
    );
    let (outcome, checked) = check(&text);
    assert!(outcome.diagnostics.is_empty());
    assert!(checked.findings.is_empty(), "{:?}", checked.findings);
    assert!(!checked.rejected());
}

#[test]
fn rules_of_an_object_that_is_not_built_do_not_fire() {
    // no quantization section: BitsAndBytesConfig's "is null" type rules must stay quiet; no
    // watermarking_config: WatermarkingConfig's rules must stay quiet.
    let (_, checked) = check(&format!(
        "{HEADER}transformers:\n  generation:\n    num_beams: 2\n"
    ));
    assert!(checked.findings.is_empty(), "{:?}", checked.findings);
    let (_, checked) = check(&format!(
        "{HEADER}transformers:\n  generation:\n    watermarking_config: {{context_width: 0}}\n"
    ));
    let ids: Vec<&str> = checked.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        ["transformers_generation_watermarking_context_width_not_positive"]
    );
}

#[test]
fn dormant_finding_points_at_the_value_and_names_the_fix() {
    let text = format!(
        "{HEADER}transformers:\n  generation:\n    do_sample: false\n    temperature: 0.7\n"
    );
    let (_, checked) = check(&text);
    assert_eq!(checked.findings.len(), 1);
    let f = &checked.findings[0];
    assert_eq!(f.severity, RuleSeverity::Dormant);
    assert_eq!(f.field, "transformers.generation.temperature");
    assert_eq!(f.declared_value, Value::Float(0.7));
    let d = &f.diagnostic;
    assert_eq!(d.level, Level::Note);
    assert_eq!(d.code, "D802");
    assert!(d.message.contains("will be ignored"));
    assert_eq!(&text[d.primary.as_ref().unwrap().span.range()], "0.7");
    assert_eq!(&text[d.secondary[0].span.range()], "false");
    assert_eq!(
        d.help.as_deref(),
        Some("remove `temperature`, or set `do_sample: true`")
    );
    assert!(d.notes.iter().any(|n| n.contains("configuration_utils.py")));
}

#[test]
fn defaulted_subject_points_at_the_section() {
    let corpus = "schema_version: 1.1.0\nengine: transformers\nengine_version: 5.14.1\nrules:\n- id: t_default_subject\n  engine: transformers\n  library: transformers\n  severity: warn\n  native_type: transformers.GenerationConfig\n  when: do_sample is true and num_beams == 1\n  message_template: 'beams {num_beams}'\n  kwargs_positive: {do_sample: true}\n  kwargs_negative: {do_sample: false}\n  expected_outcome: {outcome: warn, emission_channel: logger_warning, normalised_fields: []}\n";
    let text = format!("{HEADER}transformers:\n  generation:\n    do_sample: true\n");
    let (_, checked) = check_with(corpus, &text);
    assert_eq!(checked.findings.len(), 1);
    let f = &checked.findings[0];
    assert!(f.from_default);
    assert!(!f.declared);
    assert_eq!(f.effective_value, Some(Value::Int(1)));
    let primary = f.diagnostic.primary.as_ref().unwrap();
    assert_eq!(&text[primary.span.range()], "generation");
    assert!(primary.message.contains("default 1"), "{}", primary.message);
    assert_eq!(&text[f.diagnostic.secondary[0].span.range()], "true");
    assert_eq!(
        f.diagnostic.help.as_deref(),
        Some("set `do_sample: false`, or set `num_beams` to a value other than 1")
    );
}

#[test]
fn wrong_types_are_findings() {
    let text = format!(
        "{HEADER}transformers:\n  generation:\n    do_sample: \"yes\"\n    temperature: 1\n    top_k: true\n    bad_words_ids: [[1], [\"x\"]]\n    watermarking_config: {{bias: 2}}\n    compile_config: {{fullgraph: true}}\n"
    );
    let (outcome, checked) = check(&text);
    assert!(outcome.diagnostics.is_empty());
    let wrong: Vec<&str> = checked
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::WrongType)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        wrong,
        [
            "`do_sample` expects bool, found str",
            "`top_k` expects int, found bool",
            "`bad_words_ids` expects list[list[int]], found a list holding a str value",
        ]
    );
    // the library stores them as written: warnings, never a rejection on their own
    assert!(
        checked
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::WrongType)
            .all(|f| f.severity == RuleSeverity::Warn && f.diagnostic.level == Level::Warning)
    );
    // compile_config: a mapping fits the class type, and the corpus rule says it is rejected
    assert!(
        checked
            .findings
            .iter()
            .any(|f| f.id == "transformers_generation_compile_config_not_instance")
    );
    assert!(checked.rejected());
}

#[test]
fn a_rule_on_the_fields_type_speaks_instead() {
    let text = format!("{HEADER}transformers:\n  quantization:\n    load_in_4bit: \"yes\"\n");
    let (_, checked) = check(&text);
    let ids: Vec<&str> = checked.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["transformers_quantization_load_in_4bit_not_bool"]);
    assert_eq!(
        checked.findings[0].diagnostic.help.as_deref(),
        Some("give `load_in_4bit` a value of type bool")
    );
}

#[test]
fn gaps_are_declared_fields_no_rule_reads() {
    let text = format!(
        "{HEADER}transformers:\n  generation:\n    repetition_penalty: 1.2\n    num_beams: 2\n"
    );
    let (_, checked) = check(&text);
    let gaps: Vec<&str> = checked.gaps.iter().map(|g| g.field.as_str()).collect();
    assert_eq!(gaps, ["transformers.generation.repetition_penalty"]);
}

#[test]
fn show_value_is_yaml_like() {
    assert_eq!(show_value(&Value::Null), "null");
    assert_eq!(show_value(&Value::Bool(true)), "true");
    assert_eq!(show_value(&Value::Float(1.0)), "1.0");
    assert_eq!(show_value(&Value::Float(f64::NAN)), ".nan");
    assert_eq!(show_value(&Value::Str("a".into())), "\"a\"");
    assert_eq!(
        show_value(&Value::List(vec![Value::Int(1), Value::Str("b".into())])),
        "[1, \"b\"]"
    );
}

#[test]
fn odd_configs_never_panic() {
    let inputs = [
        "~",
        "[]",
        "{}",
        "engine: transformers\nmodel: x\ntransformers: 1\n",
        "engine: transformers\nmodel: x\ntransformers:\n  generation: 1\n  quantization: [1]\n",
        "engine: transformers\nmodel: x\ntransformers:\n  generation:\n    watermarking_config: 3\n    1: 2\n    [a]: b\n",
        "engine: transformers\nmodel: x\ntransformers:\n  generation:\n    max_new_tokens: .nan\n    top_k: -.inf\n    bad_words_ids: [[[[[]]]]]\n",
        "engine: transformers\nmodel: x\ntransformers: {generation: {stop_strings: {a: b}}, quantization: {}}\n",
        "engine: transformers\nmodel: x\ntransformers:\n  generation:\n",
    ];
    for input in inputs {
        let _ = check(input);
    }
}

#[test]
fn type_warnings_alone_do_not_reject() {
    let text = format!(
        "{HEADER}transformers:\n  generation:\n    do_sample: 1\n    temperature: 1\n    top_k: 50.0\n"
    );
    let (outcome, checked) = check(&text);
    assert!(outcome.diagnostics.is_empty());
    let wrong: Vec<&str> = checked
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        wrong,
        [
            "`do_sample` expects bool, found int",
            "`top_k` expects int, found float"
        ]
    );
    assert!(!checked.rejected());
}

#[test]
fn deny_warnings_rejects_on_a_warning() {
    let text = format!("{HEADER}transformers:\n  generation:\n    top_k: 50.0\n");
    let (_, mut checked) = check(&text);
    assert!(!checked.rejected());
    checked.deny_warnings();
    assert!(checked.rejected());
    let f = &checked.findings[0];
    assert!(f.denied);
    assert_eq!(f.severity, RuleSeverity::Warn);
    assert_eq!(f.diagnostic.level, Level::Error);
}
