//! The Docker runner against the machine's real daemon. No registry is reachable, so the tests
//! build their own image (see `support/docker.rs`): an almost empty root filesystem imported with
//! `docker import`, into which the host's `/usr` and the test venv's Python (its prefix, its base
//! prefix and every directory on its `sys.path`) are bind-mounted read-only, at the same paths.
//! The worker runs in it exactly as it would in an engine's image.
//!
//! Every container is labelled `llemc.test=<test name>`; each test checks by its label that none
//! is left, and that its exchange directory root is empty.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use llemc_harness::{HarnessError, Runner, run_experiment};
use std::time::Duration;
use support::docker::{IMAGE, Scratch, containers, runner};
use support::{NEW_TOKENS, PROMPTS, Recorder, tiny_experiment};

#[test]
fn runs_the_worker_in_a_container() {
    const TEST: &str = "runs_the_worker_in_a_container";
    let scratch = Scratch::new();
    let runner = Runner::Docker(runner(TEST));
    let running = std::rc::Rc::new(std::cell::Cell::new(String::new()));
    let seen = running.clone();
    let mut recorder = Recorder {
        // While the worker runs, its container is there, labelled.
        on: Some(("loaded", Box::new(move || seen.set(containers(TEST))))),
        ..Recorder::default()
    };
    let outcome = run_experiment(
        &tiny_experiment(),
        &runner,
        &scratch.options(),
        &mut recorder,
    )
    .unwrap();
    assert_eq!(
        running.take().lines().count(),
        1,
        "one container while running"
    );
    scratch.assert_clean(TEST);
    // Logs were streamed: protocol events in order from stdout, library logs from stderr.
    assert_eq!(recorder.events.first().map(String::as_str), Some("started"));
    assert_eq!(recorder.events.last().map(String::as_str), Some("finished"));
    assert_eq!(recorder.events.len(), 11);
    assert!(
        recorder.logs.iter().any(|l| l.contains("Loading weights")),
        "{:?}",
        recorder.logs
    );
    // The same work as on the host.
    let result = &outcome.result;
    assert_eq!(result.runner.kind, "docker");
    assert_eq!(result.runner.target, IMAGE);
    assert_eq!(result.engine_version, "5.14.1");
    assert_eq!(result.environment.device, "cpu");
    assert_eq!(result.prompts, PROMPTS.len() as u64);
    assert_eq!(result.input_tokens, 12);
    assert_eq!(result.output_tokens, PROMPTS.len() as u64 * NEW_TOKENS);
    assert!(result.total_inference_time_sec > 0.0);
    assert_eq!(result.total_energy_j, None);
    assert!(outcome.result_path.is_file());
}

#[test]
fn exit_statuses_come_back_and_the_container_goes() {
    const TEST: &str = "exit_statuses_come_back_and_the_container_goes";
    let scratch = Scratch::new();
    let runner = Runner::Docker(runner(TEST));

    // An unusable request: the worker exits with status 2 before loading anything.
    let mut experiment = tiny_experiment();
    experiment
        .native
        .insert("sampling".to_owned(), serde_json::json!({}));
    let error = run_experiment(
        &experiment,
        &runner,
        &scratch.options(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            &error,
            HarnessError::WorkerFailed {
                exit_code: Some(2),
                ..
            }
        ),
        "{error:?}"
    );
    scratch.assert_clean(TEST);

    // The engine rejects the config: status 1, with transformers' own message.
    let mut experiment = tiny_experiment();
    experiment.native.insert(
        "generation".to_owned(),
        serde_json::json!({"do_sample": false, "num_return_sequences": 2}),
    );
    let error = run_experiment(
        &experiment,
        &runner,
        &scratch.options(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    match &error {
        HarnessError::WorkerFailed {
            exit_code: Some(1),
            error_type: Some(kind),
            message,
            ..
        } => {
            assert_eq!(kind, "ValueError");
            assert!(message.contains("num_return_sequences"), "{message}");
        }
        other => panic!("expected exit status 1, got {other:?}"),
    }
    scratch.assert_clean(TEST);
    assert!(!scratch.output.path().join("run").exists());
}

#[test]
fn the_time_limit_removes_the_container() {
    const TEST: &str = "the_time_limit_removes_the_container";
    let scratch = Scratch::new();
    let runner = Runner::Docker(runner(TEST));
    let mut options = scratch.options();
    options.timeout = Duration::from_secs(2);
    let mut recorder = Recorder::default();
    let error = run_experiment(&tiny_experiment(), &runner, &options, &mut recorder).unwrap_err();
    assert!(matches!(error, HarnessError::Timeout(_)), "{error:?}");
    assert!(!recorder.events.contains(&"finished".to_owned()));
    scratch.assert_clean(TEST);
}

#[test]
fn cancelling_removes_the_container() {
    const TEST: &str = "cancelling_removes_the_container";
    let scratch = Scratch::new();
    let runner = Runner::Docker(runner(TEST));
    let options = scratch.options();
    let cancel = options.cancel.clone();
    let mut recorder = Recorder {
        on: Some(("warmup_start", Box::new(move || cancel.cancel()))),
        ..Recorder::default()
    };
    let mut experiment = tiny_experiment();
    experiment.warmup.iterations = 1000;
    let error = run_experiment(&experiment, &runner, &options, &mut recorder).unwrap_err();
    assert!(matches!(error, HarnessError::Interrupted), "{error:?}");
    assert!(!recorder.events.contains(&"measure_start".to_owned()));
    scratch.assert_clean(TEST);
}

#[test]
fn a_missing_image_is_never_pulled() {
    const TEST: &str = "a_missing_image_is_never_pulled";
    let scratch = Scratch::new();
    let mut docker_runner = runner(TEST);
    docker_runner.image = "llemc-test/absent:0".to_owned();
    let error = run_experiment(
        &tiny_experiment(),
        &Runner::Docker(docker_runner),
        &scratch.options(),
        &mut Recorder::default(),
    )
    .unwrap_err();
    let text = error.to_string();
    assert!(text.contains("llemc-test/absent:0"), "{text}");
    assert!(text.contains("never pulls"), "{text}");
    scratch.assert_clean(TEST);
}
