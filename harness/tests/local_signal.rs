//! Ctrl-C for real: SIGINT delivered to this process while the worker runs stops the run
//! cleanly. Alone in its test binary, since it installs process-wide signal handlers.
#![allow(clippy::unwrap_used)]

mod support;

use llemc_harness::{HarnessError, LocalRunner, RunOptions, Runner, run_experiment};
use rustix::process::{Signal, getpid, kill_process};
use support::{Recorder, entries, process_alive, python, tiny_experiment};

#[test]
fn sigint_stops_the_run_and_cleans_up() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path().join("run"));
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    let watch = options.cancel.watch_signals().unwrap();
    let mut recorder = Recorder {
        on: Some((
            "warmup_start",
            Box::new(|| kill_process(getpid(), Signal::INT).unwrap()),
        )),
        ..Recorder::default()
    };
    let mut experiment = tiny_experiment();
    experiment.warmup.iterations = 1000;
    let error = run_experiment(&experiment, &runner, &options, &mut recorder).unwrap_err();
    drop(watch);
    assert!(matches!(error, HarnessError::Interrupted), "{error:?}");
    assert!(options.cancel.is_cancelled());
    assert!(!process_alive(recorder.pid.unwrap()));
    assert!(entries(exchange_root.path()).is_empty());
    assert!(!output.path().join("run").exists());
}
