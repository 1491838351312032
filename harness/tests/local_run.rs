//! End to end on the CPU with energy off: the real worker in a real venv, transformers' real
//! `generate()` on a tiny random model, and the result file checked field by field.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use llemc_harness::{HarnessError, LocalRunner, RunOptions, Runner, run_experiment};
use serde_json::{Value, json};
use support::{NEW_TOKENS, PROMPTS, Recorder, entries, python, tiny_experiment, tiny_model};

/// The result's fields, in the order they are written.
const KEYS: [&str; 42] = [
    "schema_version",
    "experiment_id",
    "measurement_config_hash",
    "config_path",
    "llemc_version",
    "engine",
    "engine_version",
    "checked_engine_version",
    "model_name",
    "runner",
    "environment",
    "prompts",
    "batch_size",
    "batches",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "total_inference_time_sec",
    "avg_tokens_per_second",
    "output_tokens_per_second",
    "energy_method",
    "total_energy_j",
    "energy_adjusted_j",
    "energy_per_device_j",
    "avg_energy_per_token_j",
    "mj_per_tok_total",
    "mj_per_tok_adjusted",
    "baseline_power_w",
    "energy_breakdown",
    "energy_devices",
    "energy_window_sec",
    "sampling_interval_ms",
    "warmup_result",
    "warmup_excluded_samples",
    "batch_latencies_ms",
    "model_load_time_sec",
    "measurement_warnings",
    "timeseries",
    "start_time",
    "end_time",
    "duration_sec",
    "experiment_config",
];

fn positive(value: &Value) -> f64 {
    let number = value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}"));
    assert!(number > 0.0, "not positive: {number}");
    number
}

fn is_rfc3339_utc(text: &str) -> bool {
    text.len() == 27
        && text.ends_with('Z')
        && text.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == '.',
            26 => c == 'Z',
            _ => c.is_ascii_digit(),
        })
}

#[test]
fn measures_the_tiny_model_on_the_cpu() {
    let python = python();
    let model = tiny_model();
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut experiment = tiny_experiment();
    experiment.config_path = Some("experiments/tiny.yaml".into());
    let runner = Runner::Local(LocalRunner::new(&python));
    let mut options = RunOptions::new(output.path().join("run"));
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let mut recorder = Recorder::default();

    let outcome = run_experiment(&experiment, &runner, &options, &mut recorder).unwrap();

    check_nothing_left_and_protocol_order(exchange_root.path(), &recorder);
    // Only the result: no time series without energy.
    assert_eq!(outcome.result_path, output.path().join("run/result.json"));
    assert_eq!(outcome.timeseries_path, None);
    assert_eq!(
        entries(&output.path().join("run")),
        vec![outcome.result_path.clone()]
    );
    let text = std::fs::read_to_string(&outcome.result_path).unwrap();
    assert!(text.ends_with("}\n"));
    let result: Value = serde_json::from_str(&text).unwrap();
    check_every_field_in_order(&result, &text);
    check_identity(&result, &experiment, &model, &python);
    let time = check_work_done(&result);
    check_energy_is_null(&result);
    check_warmup(&result);
    assert_eq!(result["measurement_warnings"], json!([]));
    check_timestamps(&result, time);
    // The config as checked.
    assert_eq!(result["experiment_config"], experiment.config);
    assert_eq!(result["experiment_config"]["engine_version"], "5.14.1");
    // The in-memory result is what was written.
    assert_eq!(outcome.result.to_json().unwrap(), text);
}

/// The exchange directory is gone, the worker too; the events arrived in protocol order and the
/// logs were streamed.
fn check_nothing_left_and_protocol_order(exchange_root: &std::path::Path, recorder: &Recorder) {
    assert_eq!(entries(exchange_root), Vec::<std::path::PathBuf>::new());
    assert!(!support::process_alive(recorder.pid.unwrap()));
    assert_eq!(
        recorder.events,
        [
            "started",
            "loaded",
            "warmup_start",
            "warmup_iteration",
            "warmup_iteration",
            "warmup_end",
            "measure_start",
            "batch",
            "batch",
            "measure_end",
            "finished"
        ]
    );
    assert!(
        recorder.logs.iter().any(|l| l.contains("Loading weights")),
        "{:?}",
        recorder.logs
    );
}

/// Every field of the result, and in the documented order.
fn check_every_field_in_order(result: &Value, text: &str) {
    let mut expected = KEYS.to_vec();
    expected.sort_unstable();
    let mut written: Vec<&str> = result
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    written.sort_unstable();
    assert_eq!(written, expected);
    let positions: Vec<usize> = KEYS
        .iter()
        .map(|k| text.find(&format!("\n  \"{k}\":")).unwrap())
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "fields out of order"
    );
}

/// Ids and hashes, versions, model, runner and environment.
fn check_identity(
    result: &Value,
    experiment: &llemc_harness::Experiment,
    model: &std::path::Path,
    python: &std::path::Path,
) {
    assert_eq!(result["schema_version"], "1.0");
    assert_eq!(
        result["measurement_config_hash"],
        json!(experiment.config_hash)
    );
    assert_eq!(result["experiment_id"], json!(experiment.config_hash));
    assert_eq!(
        result["measurement_config_hash"].as_str().unwrap().len(),
        16
    );
    assert_eq!(result["config_path"], "experiments/tiny.yaml");
    assert_eq!(result["llemc_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(result["engine"], "transformers");
    assert_eq!(result["engine_version"], "5.14.1");
    assert_eq!(result["checked_engine_version"], "5.14.1");
    assert_eq!(result["model_name"], json!(model.to_str().unwrap()));
    assert_eq!(
        result["runner"],
        json!({"kind": "local", "target": python.display().to_string()})
    );
    let environment = &result["environment"];
    assert_eq!(
        environment.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["device", "python_version", "torch_version"]
    );
    assert_eq!(environment["device"], "cpu");
    assert!(
        environment["python_version"]
            .as_str()
            .unwrap()
            .starts_with("3.")
    );
    assert!(
        environment["torch_version"]
            .as_str()
            .unwrap()
            .starts_with("2.")
    );
}

/// 4 prompts in 2 batches; 12 prompt tokens (padding excluded), 5 new each; the throughputs
/// and latencies agree with the time. Returns the inference time.
fn check_work_done(result: &Value) -> f64 {
    assert_eq!(result["prompts"], 4);
    assert_eq!(result["batch_size"], 2);
    assert_eq!(result["batches"], 2);
    assert_eq!(result["input_tokens"], 12);
    assert_eq!(
        result["output_tokens"],
        json!(PROMPTS.len() as u64 * NEW_TOKENS)
    );
    assert_eq!(result["total_tokens"], 32);
    let time = positive(&result["total_inference_time_sec"]);
    let throughput = positive(&result["avg_tokens_per_second"]);
    assert!((throughput - 32.0 / time).abs() < 1e-6 * throughput);
    let output_throughput = positive(&result["output_tokens_per_second"]);
    assert!((output_throughput - 20.0 / time).abs() < 1e-6 * output_throughput);
    let latencies = result["batch_latencies_ms"].as_array().unwrap();
    assert_eq!(latencies.len(), 2);
    let latency_sum: f64 = latencies.iter().map(positive).sum();
    assert!(latency_sum <= time * 1000.0 + 1e-6);
    positive(&result["model_load_time_sec"]);
    time
}

/// Energy off: every energy field is null, never zero.
fn check_energy_is_null(result: &Value) {
    assert_eq!(result["energy_method"], "none");
    for key in [
        "total_energy_j",
        "energy_adjusted_j",
        "energy_per_device_j",
        "avg_energy_per_token_j",
        "mj_per_tok_total",
        "mj_per_tok_adjusted",
        "baseline_power_w",
        "energy_breakdown",
        "energy_devices",
        "energy_window_sec",
        "sampling_interval_ms",
        "timeseries",
    ] {
        assert_eq!(result[key], Value::Null, "{key}");
    }
}

/// Warmup: two fixed iterations of the first batch (2 prompts each), excluded.
fn check_warmup(result: &Value) {
    let warmup = &result["warmup_result"];
    assert_eq!(
        warmup.as_object().unwrap().keys().collect::<Vec<_>>(),
        [
            "converged",
            "final_cv",
            "iterations_completed",
            "latencies_ms",
            "max_prompts",
            "target_cv"
        ]
    );
    assert_eq!(warmup["converged"], Value::Null);
    assert_eq!(warmup["target_cv"], Value::Null);
    assert_eq!(warmup["iterations_completed"], 2);
    assert_eq!(warmup["max_prompts"], 2);
    assert_eq!(warmup["latencies_ms"].as_array().unwrap().len(), 2);
    assert!(warmup["final_cv"].as_f64().unwrap() >= 0.0);
    assert_eq!(result["warmup_excluded_samples"], 4);
}

/// RFC 3339 UTC timestamps, in order, spanning at least the inference time.
fn check_timestamps(result: &Value, time: f64) {
    let start = result["start_time"].as_str().unwrap();
    let end = result["end_time"].as_str().unwrap();
    assert!(is_rfc3339_utc(start), "{start}");
    assert!(is_rfc3339_utc(end), "{end}");
    assert!(start < end);
    let duration = positive(&result["duration_sec"]);
    assert!(duration >= time);
}

#[test]
fn convergence_warmup_is_summarised() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut experiment = tiny_experiment();
    experiment.warmup.iterations = 1;
    // A threshold this loose settles as soon as the window is full.
    experiment.warmup.convergence = Some(llemc_harness::Convergence {
        cv_threshold: 10.0,
        window: 2,
        max_iterations: 6,
    });
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path());
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let outcome =
        run_experiment(&experiment, &runner, &options, &mut llemc_harness::Quiet).unwrap();
    let warmup = &outcome.result.warmup_result;
    assert_eq!(warmup.converged, Some(true));
    assert_eq!(warmup.iterations_completed, 2);
    assert_eq!(warmup.target_cv, Some(10.0));
    assert_eq!(warmup.max_prompts, 6);
    assert_eq!(outcome.result.warmup_excluded_samples, 4);
    assert!(entries(exchange_root.path()).is_empty());
}

#[test]
fn an_engine_error_fails_the_run_with_the_engines_message() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut experiment = tiny_experiment();
    // transformers rejects this when it builds the GenerationConfig.
    experiment.native.insert(
        "generation".to_owned(),
        json!({"do_sample": false, "num_return_sequences": 2}),
    );
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path().join("run"));
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let error =
        run_experiment(&experiment, &runner, &options, &mut llemc_harness::Quiet).unwrap_err();
    match &error {
        HarnessError::WorkerFailed {
            exit_code,
            error_type,
            message,
            stderr_tail,
        } => {
            assert_eq!(*exit_code, Some(1));
            assert_eq!(error_type.as_deref(), Some("ValueError"));
            assert!(message.contains("num_return_sequences"), "{message}");
            assert!(
                stderr_tail.iter().any(|l| l.contains("Traceback")),
                "{stderr_tail:?}"
            );
        }
        other => panic!("expected a worker failure, got {other:?}"),
    }
    assert_eq!(error.exit_code(), 1);
    assert!(entries(exchange_root.path()).is_empty());
    assert!(!output.path().join("run").exists());
}

#[test]
fn stop_strings_run_with_the_models_tokenizer() {
    // generate() refuses `stop_strings` unless the caller passes the tokenizer; the worker does.
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut experiment = tiny_experiment();
    experiment.native.insert(
        "generation".to_owned(),
        json!({"do_sample": false, "max_new_tokens": 3, "stop_strings": ["energy"]}),
    );
    experiment.warmup.iterations = 0;
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path());
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let outcome =
        run_experiment(&experiment, &runner, &options, &mut llemc_harness::Quiet).unwrap();
    assert!(outcome.result.output_tokens > 0);
    assert!(outcome.result.output_tokens <= 3 * PROMPTS.len() as u64);
    assert!(entries(exchange_root.path()).is_empty());
}

#[test]
fn an_unusable_request_is_exit_status_2() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut experiment = tiny_experiment();
    experiment.native.insert("sampling".to_owned(), json!({}));
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path());
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let error =
        run_experiment(&experiment, &runner, &options, &mut llemc_harness::Quiet).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("exit status 2"), "{text}");
    assert!(text.contains("sampling"), "{text}");
    assert_eq!(error.exit_code(), 2);
    assert!(entries(exchange_root.path()).is_empty());
}

#[test]
fn a_missing_interpreter_is_a_clear_error() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let runner = Runner::Local(LocalRunner::new("/nonexistent/venv/bin/python"));
    let mut options = RunOptions::new(output.path());
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let error = run_experiment(
        &tiny_experiment(),
        &runner,
        &options,
        &mut llemc_harness::Quiet,
    )
    .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("/nonexistent/venv/bin/python"), "{text}");
    assert!(text.contains("llemc env ensure"), "{text}");
    assert!(entries(exchange_root.path()).is_empty());
}
