//! The static miner on the real vLLM sources (0.17.1 and 0.19.1): the idioms vLLM needs (fields
//! of a msgspec Struct, `self._verify_args()` walked in place, rewrites inside `__post_init__`,
//! `VLLMValidationError`'s message suffix, the `VLLM_MAX_N_SEQUENCES` assumption). The wheels are
//! fetched by `scripts/fetch-sources`; a missing wheel is downloaded, and a failure FAILS the test.
#![allow(clippy::panic)]

use llemc_compiler::diagnostic::FileId;
use llemc_mining::ssot::{EngineSsot, read_ssot};
use llemc_static_miner::source::fetch_source;
use llemc_static_miner::{MineOutput, check_against_schema, mine};
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ssot() -> EngineSsot {
    let path = workspace().join("engine_versions/vllm.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    match read_ssot(FileId(0), &text) {
        Ok(s) => s,
        Err(d) => panic!("{} does not read: {d:?}", path.display()),
    }
}

fn mined(version: &str) -> MineOutput {
    let root = match fetch_source(&workspace().join(".cache"), "vllm", version) {
        Ok(r) => r,
        Err(e) => panic!("the vllm {version} source is needed (run scripts/fetch-sources): {e}"),
    };
    match mine(&ssot(), version, &root) {
        Ok(o) => o,
        Err(e) => panic!("mining vllm {version} failed: {e:?}"),
    }
}

/// The `when:` of the rule whose message starts with `message`.
fn when_of(out: &MineOutput, message: &str) -> String {
    match out
        .staging
        .rules
        .iter()
        .find(|r| r.message_template.starts_with(message))
    {
        Some(r) => r.when.clone(),
        None => panic!(
            "no rule with message `{message}...`:\n{}",
            out.staging.listing()
        ),
    }
}

fn check_version(version: &str) -> MineOutput {
    let out = mined(version);
    if let Err(d) = check_against_schema(&out.staging, &out.schema_yaml) {
        panic!("vllm {version}: mined rules do not compile against the generated schema:\n{d}");
    }
    let committed = workspace().join(format!("engines/vllm/{version}/schema.yaml"));
    let text = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        text == out.schema_yaml,
        "{} is stale: run `llemc mine static --engine vllm --version {version}`",
        committed.display()
    );
    // the msgspec Struct's annotated attributes are the fields; `_private` ones are not
    assert!(
        out.schema_yaml
            .contains("      max_tokens: {type: \"Optional[int]\", default: 16}")
    );
    assert!(!out.schema_yaml.contains("_eos_token_id"));
    // `_verify_greedy_sampling` is walked where `__post_init__` calls it, under its condition,
    // and after the rewrite of a temperature in (0, 0.01)
    assert_eq!(
        when_of(&out, "n must be 1 when using greedy sampling"),
        "temperature < 1e-5 and n > 1 and not (temperature > 0 and temperature < 0.01)"
    );
    // VLLMValidationError appends its keywords to the message
    assert!(
        out.staging
            .rules
            .iter()
            .any(|r| r.message_template
                == "max_tokens must be at least 1, got {max_tokens}. (parameter=max_tokens, value={max_tokens})"),
        "{}",
        out.staging.listing()
    );
    // a rewrite of the default (`stop` None -> []) is no rule; a reshaped value is
    assert!(!out.staging.rules.iter().any(|r| r.when == "stop is null"));
    assert_eq!(
        when_of(
            &out,
            "`stop` is set to {declared_value}, which SamplingParams silently rewrites"
        ),
        "stop present and stop type_is \"str\""
    );
    // greedy sampling's reset fires only when it changes the value
    assert_eq!(
        when_of(&out, "`top_p` is set to"),
        "temperature < 1e-5 and top_p != 1.0 and not (temperature > 0 and temperature < 0.01)"
    );
    // a comparison written number-first names the operands in that order
    assert!(
        out.staging.rules.iter().any(|r| r.message_template
            == "'<' not supported between instances of 'int' and 'str'"
            && r.when == "temperature present and temperature type_is \"str\""),
        "{}",
        out.staging.listing()
    );
    check_engine_section(&out, "0.9");
    // SchedulerConfig's `__post_init__` calls `self.verify_max_model_len(max_model_len)`: walked
    // in place with the parameter bound to the InitVar; the checks that read it need the model
    assert_eq!(
        when_of(
            &out,
            "max_num_batched_tokens ({max_num_batched_tokens}) must be greater than or equal to max_num_seqs"
        ),
        "max_num_batched_tokens < max_num_seqs"
    );
    assert!(
        out.staging.opaque.iter().any(|o| o.needs.as_deref() == Some("model")
            && o.source_text.contains("max_model_len")),
        "{:?}",
        out.staging.opaque
    );
    // byte-identical on rerun
    assert_eq!(out.staging.to_json(), mined(version).staging.to_json());
    out
}

/// The `engine` section: EngineArgs' fields (its defaults written as a config class's resolved),
/// and the config classes `fed_by` it, each field `from` the EngineArgs field
/// `create_engine_config()` passes to it unchanged.
fn check_engine_section(out: &MineOutput, utilization: &str) {
    let schema = &out.schema_yaml;
    assert!(schema.contains("  engine: vllm.EngineArgs\n"), "{schema}");
    // `gpu_memory_utilization: float = CacheConfig.gpu_memory_utilization`
    assert!(schema.contains(&format!(
        "      gpu_memory_utilization: {{type: \"float\", default: {utilization}}}\n"
    )));
    assert!(schema.contains("    fed_by: vllm.EngineArgs\n"));
    // `Field(default=0.9, gt=0, le=1)`, passed as `gpu_memory_utilization=self.gpu_memory_utilization`
    assert!(schema.contains(&format!(
        "      gpu_memory_utilization: {{type: \"float\", default: {utilization}, from: \"gpu_memory_utilization\"}}\n"
    )));
    // `cache_dtype=resolve_kv_cache_dtype_string(self.kv_cache_dtype, ...)`: computed, no `from`;
    // its type is the `CacheDType = Literal[...]` alias's members
    assert!(schema.contains("      cache_dtype: {type: \"str\", default: \"auto\"}\n"));
    // `Field(init=False)` attributes are not constructor fields
    assert!(!schema.contains("      world_size: "));
    // ParallelConfig's model validator: a cross-field check of two fed fields
    // (0.33.0 checks it only when `prefill_context_parallel_size == 1`)
    let when = when_of(out, "tp_size={tensor_parallel_size} must be divisible by");
    assert!(
        when.ends_with("tensor_parallel_size not_divisible_by decode_context_parallel_size"),
        "{when}"
    );
    // a check that reads the platform is opaque and says what it needs
    assert!(
        out.staging
            .opaque
            .iter()
            .any(|o| o.needs.as_deref() == Some("platform")
                && o.source_text.contains("current_platform.is_cuda_alike()")),
        "{:?}",
        out.staging.opaque
    );
}

#[test]
fn vllm_0_17_1() {
    let out = check_version("0.17.1");
    assert!(!out.staging.rules.iter().any(|r| r.when.contains("16384")));
}

#[test]
fn vllm_0_19_1_assumes_the_default_sequence_limit() {
    let out = check_version("0.19.1");
    assert_eq!(when_of(&out, "n must be at most 16384"), "n > 16384");
    assert!(
        out.staging
            .report
            .assumptions
            .contains_key("environment VLLM_MAX_N_SEQUENCES = 16384")
    );
}

#[test]
fn vllm_0_33_0_walks_module_level_helpers() {
    let out = mined("0.33.0");
    if let Err(d) = check_against_schema(&out.staging, &out.schema_yaml) {
        panic!("vllm 0.33.0: mined rules do not compile against the generated schema:\n{d}");
    }
    check_engine_section(&out, "0.92");
    // `_verify_args` calls the module-level `_verify_num_sequences(self.n, "n")`: walked in place
    // with `value` bound to the field and `parameter_name` to "n"
    assert_eq!(when_of(&out, "n must be at least 1, got {n}."), "n < 1");
    assert_eq!(
        when_of(&out, "n must be at most 16384, got {n}."),
        "n > 16384"
    );
    // `if not math.isfinite(self.repetition_penalty)`: a string raises before the range check
    assert!(
        out.staging
            .rules
            .iter()
            .any(|r| r.message_template == "must be real number, not str"
                && r.when == "repetition_penalty present and repetition_penalty type_is \"str\""),
        "{}",
        out.staging.listing()
    );
}
