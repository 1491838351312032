//! Native types `fed_by` another (vLLM's config classes, built from `EngineArgs`): a rule written
//! over the fed type's fields checks the config key of the feeder field each comes `from`, sees
//! the feeder's default, and never reads a key for a field the engine computes itself.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use llemc_compiler::diagnostic::{FileId, SourceMap};
use llemc_compiler::schema::read_schema;
use llemc_compiler::value::Value;
use llemc_runtime::compile::{CorpusInput, compile_corpus};
use llemc_runtime::experiment::{SupportedVersion, check_experiment, read_experiment};
use llemc_runtime::jit::Backend;

const SCHEMA: &str = r#"schema_version: 1
engine: e
library: e
library_version: 1.0.0
sections:
  engine: e.EngineArgs
native_types:
  e.EngineArgs:
    unknown_fields: reject
    fields:
      gpu_memory_utilization: {type: "float", default: 0.9}
      kv_cache_dtype: {type: "str", default: "auto"}
      scheduling_policy: {type: "str", default: "fcfs"}
  e.CacheConfig:
    unknown_fields: reject
    fed_by: e.EngineArgs
    fields:
      gpu_memory_utilization: {type: "float", default: 0.5, from: "gpu_memory_utilization"}
      cache_dtype: {type: "str", default: "auto"}
      policy: {type: "str", default: "fcfs", from: "scheduling_policy"}
"#;

const CORPUS: &str = r#"schema_version: 1.1.0
engine: e
engine_version: 1.0.0
rules:
- id: e_cache_gpu_memory_utilization_le_1
  engine: e
  severity: error
  native_type: e.CacheConfig
  when: gpu_memory_utilization present and gpu_memory_utilization > 1
  message_template: "gpu_memory_utilization must be <= 1, got {declared_value}"
  kwargs_positive: {gpu_memory_utilization: 1.5}
  kwargs_negative: {gpu_memory_utilization: 0.5}
  expected_outcome: {outcome: error, emission_channel: runtime_exception, normalised_fields: []}
- id: e_cache_utilization_at_default
  engine: e
  severity: warn
  native_type: e.CacheConfig
  when: gpu_memory_utilization == 0.9
  message_template: "left at {effective_value}"
  kwargs_positive: {gpu_memory_utilization: 0.9}
  kwargs_negative: {gpu_memory_utilization: 0.5}
  expected_outcome: {outcome: error, emission_channel: runtime_exception, normalised_fields: []}
- id: e_cache_policy_priority
  engine: e
  severity: dormant
  native_type: e.CacheConfig
  when: policy == "priority"
  message_template: "policy {declared_value}"
  kwargs_positive: {policy: priority}
  kwargs_negative: {policy: fcfs}
  expected_outcome: {outcome: error, emission_channel: runtime_exception, normalised_fields: []}
- id: e_cache_dtype_computed
  engine: e
  severity: error
  native_type: e.CacheConfig
  when: cache_dtype == "fp8"
  message_template: "cache_dtype fp8"
  kwargs_positive: {cache_dtype: fp8}
  kwargs_negative: {cache_dtype: auto}
  expected_outcome: {outcome: error, emission_channel: runtime_exception, normalised_fields: []}
"#;

/// The ids of the rules that fire on `config`, with the config path each points at.
fn fired(config: &str) -> Vec<(String, String, Option<Value>)> {
    let input = CorpusInput {
        name: "corpus.yaml",
        text: CORPUS,
        schema: Some(("schema.yaml", SCHEMA)),
        compat: false,
        engine_version: Some("1.0.0".to_owned()),
    };
    let (program, _) = match compile_corpus(&input) {
        Ok(compiled) => compiled,
        Err(failure) => panic!("{:?}", failure.diagnostics),
    };
    let mut sources = SourceMap::new();
    let id = sources.add("schema.yaml", SCHEMA);
    let (schema, diags) = read_schema(id, SCHEMA);
    assert!(diags.is_empty(), "{diags:?}");
    let schema = schema.unwrap();
    let supported = [SupportedVersion {
        engine: "e",
        version: "1.0.0",
        schema: &schema,
    }];
    let read = read_experiment(FileId(1), config, &supported);
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    let checked = check_experiment(&read.config.unwrap(), &program, Backend::Interp);
    checked
        .findings
        .into_iter()
        .map(|f| (f.id, f.field, f.effective_value))
        .collect()
}

#[test]
fn a_fed_rule_reads_the_feeder_key_it_comes_from() {
    let found = fired("engine: e\nmodel: m\ne:\n  engine:\n    gpu_memory_utilization: 1.5\n");
    assert_eq!(
        found,
        vec![(
            "e_cache_gpu_memory_utilization_le_1".to_owned(),
            "e.engine.gpu_memory_utilization".to_owned(),
            Some(Value::Float(1.5)),
        )]
    );
}

#[test]
fn a_fed_field_left_out_has_the_feeders_default() {
    // EngineArgs' default (0.9) is what the engine passes, not CacheConfig's own (0.5)
    let found = fired("engine: e\nmodel: m\ne:\n  engine: {}\n");
    assert_eq!(
        found,
        vec![(
            "e_cache_utilization_at_default".to_owned(),
            "e.engine.gpu_memory_utilization".to_owned(),
            Some(Value::Float(0.9)),
        )]
    );
}

#[test]
fn a_renamed_field_is_written_under_the_feeder_name() {
    let found = fired(
        "engine: e\nmodel: m\ne:\n  engine:\n    scheduling_policy: priority\n    gpu_memory_utilization: 0.5\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "e_cache_policy_priority");
    assert_eq!(found[0].1, "e.engine.scheduling_policy");
}

#[test]
fn a_field_the_engine_computes_is_never_read_from_the_config() {
    // `kv_cache_dtype: fp8` reaches CacheConfig.cache_dtype only through the engine's own code
    let found = fired(
        "engine: e\nmodel: m\ne:\n  engine:\n    kv_cache_dtype: fp8\n    gpu_memory_utilization: 0.5\n",
    );
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_schema_with_a_bad_feeder_is_reported() {
    let bad = SCHEMA
        .replace("fed_by: e.EngineArgs", "fed_by: e.EngineArg")
        .replace("from: \"scheduling_policy\"", "from: \"scheduling\"");
    let (_, diags) = read_schema(FileId(0), &bad);
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["E508"], "{diags:?}");
    let bad = SCHEMA.replace("from: \"scheduling_policy\"", "from: \"scheduling\"");
    let (_, diags) = read_schema(FileId(0), &bad);
    assert_eq!(diags.len(), 1);
    assert_eq!(
        diags[0].help.as_deref(),
        Some("did you mean `scheduling_policy`?")
    );
}
