//! Ctrl-C for real during a Docker run: SIGINT delivered to this process while the worker runs
//! in its container removes the container and the exchange directory. Alone in its test binary,
//! since it installs process-wide signal handlers.
#![allow(clippy::unwrap_used)]

mod support;

use llemc_harness::{HarnessError, Runner, run_experiment};
use rustix::process::{Signal, getpid, kill_process};
use support::docker::{Scratch, runner};
use support::{Recorder, tiny_experiment};

#[test]
fn sigint_removes_the_container() {
    const TEST: &str = "sigint_removes_the_container";
    let scratch = Scratch::new();
    let runner = Runner::Docker(runner(TEST));
    let options = scratch.options();
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
    assert!(recorder.events.contains(&"warmup_start".to_owned()));
    scratch.assert_clean(TEST);
    assert!(!scratch.output.path().join("run").exists());
}
