//! Stopping a local run: time limit, cancellation, and energy without a driver. Whatever stops
//! it, the worker process and the exchange directory are gone afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use llemc_harness::{
    CancelToken, EnergySettings, Gpus, HarnessError, LocalRunner, RunOptions, Runner,
    run_experiment,
};
use std::time::{Duration, Instant};
use support::{Recorder, entries, process_alive, python, tiny_experiment};

#[test]
fn the_time_limit_stops_the_worker() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path().join("run"));
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    // Far less than importing torch and loading the model takes.
    options.timeout = Duration::from_millis(1500);
    let mut recorder = Recorder::default();
    let started = Instant::now();
    let error = run_experiment(&tiny_experiment(), &runner, &options, &mut recorder).unwrap_err();
    assert!(
        matches!(error, HarnessError::Timeout(limit) if limit == options.timeout),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("did not finish within 1.5 s"),
        "{error}"
    );
    // Stopped promptly: the limit plus at most the SIGTERM grace period.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let pid = recorder.pid.expect("the worker started before the limit");
    assert!(!process_alive(pid), "worker {pid} survived the timeout");
    assert!(entries(exchange_root.path()).is_empty());
    assert!(!output.path().join("run").exists());
}

#[test]
fn cancelling_stops_the_worker_mid_run() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path().join("run"));
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let cancel = options.cancel.clone();
    let mut recorder = Recorder {
        on: Some(("warmup_start", Box::new(move || cancel.cancel()))),
        ..Recorder::default()
    };
    let mut experiment = tiny_experiment();
    // Enough warmup that the worker is busy when the cancellation lands.
    experiment.warmup.iterations = 1000;
    let error = run_experiment(&experiment, &runner, &options, &mut recorder).unwrap_err();
    assert!(matches!(error, HarnessError::Interrupted), "{error:?}");
    assert!(!recorder.events.contains(&"measure_start".to_owned()));
    assert!(!process_alive(recorder.pid.unwrap()));
    assert!(entries(exchange_root.path()).is_empty());
    assert!(!output.path().join("run").exists());
}

#[test]
fn a_cancelled_token_starts_nothing() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path());
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    options.cancel = CancelToken::new();
    options.cancel.cancel();
    let mut recorder = Recorder::default();
    let error = run_experiment(&tiny_experiment(), &runner, &options, &mut recorder).unwrap_err();
    assert!(matches!(error, HarnessError::Interrupted), "{error:?}");
    assert!(recorder.events.is_empty());
    assert!(entries(exchange_root.path()).is_empty());
}

/// No NVIDIA driver on this machine: asking for energy fails before anything starts, with a
/// message that says how to run without energy.
#[test]
fn energy_without_a_driver_fails_before_anything_starts() {
    if std::path::Path::new("/proc/driver/nvidia/version").exists() {
        // A GPU machine: the NVML path is exercised by tests/nvml_gpu.rs instead.
        return;
    }
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path().join("run"));
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    options.energy = EnergySettings::nvml();
    options.gpus = Gpus::All;
    let mut recorder = Recorder::default();
    let error = run_experiment(&tiny_experiment(), &runner, &options, &mut recorder).unwrap_err();
    assert!(
        matches!(error, HarnessError::NvmlUnavailable(_)),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("NVML"), "{text}");
    assert!(text.contains("--energy none"), "{text}");
    assert_eq!(error.exit_code(), 2);
    assert!(recorder.events.is_empty() && recorder.notes.is_empty());
    assert!(entries(exchange_root.path()).is_empty());
    assert!(!output.path().join("run").exists());
}
