//! On a machine with an NVIDIA GPU and driver only (ignored elsewhere):
//!
//! ```sh
//! LLEMC_TEST_PYTHON=/path/to/venv/bin/python \
//!   cargo test -p llemc-harness --test nvml_gpu -- --ignored --nocapture
//! ```
//!
//! Runs a short experiment on GPU 0 with NVML energy and a fresh 5 s idle baseline, checks every
//! energy field of the result, and prints, per GPU, the energy from the total-energy counter next
//! to the energy from the integrated power samples of the same window, with their difference.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::print_stdout)]

mod support;

use llemc_harness::energy::measure::DeviceMethod;
use llemc_harness::{
    BaselineSettings, EnergySettings, Gpus, LocalRunner, RunOptions, Runner, run_experiment,
};
use std::time::Duration;
use support::{PROMPTS, Recorder, entries, python, tiny_experiment};

#[test]
#[ignore = "needs an NVIDIA GPU and driver"]
fn counter_and_integrated_power_agree_on_a_gpu() {
    let exchange_root = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut experiment = tiny_experiment();
    // Several seconds of generation: 64 prompts in batches of 8, 512 new tokens each.
    experiment.prompts = PROMPTS
        .iter()
        .cycle()
        .take(64)
        .map(|p| (*p).to_owned())
        .collect();
    experiment.batch_size = 8;
    experiment.native.insert(
        "generation".to_owned(),
        serde_json::json!({"max_new_tokens": 512, "min_new_tokens": 512, "do_sample": false}),
    );
    let runner = Runner::Local(LocalRunner::new(python()));
    let mut options = RunOptions::new(output.path().join("run"));
    options.exchange_root = Some(exchange_root.path().to_path_buf());
    options.gpus = Gpus::Devices(vec![0]);
    options.energy = EnergySettings {
        baseline: BaselineSettings {
            window: Duration::from_secs(5),
            cache_path: Some(output.path().join("baseline.json")),
            ..BaselineSettings::default()
        },
        ..EnergySettings::nvml()
    };
    let mut recorder = Recorder::default();
    let outcome = run_experiment(&experiment, &runner, &options, &mut recorder).unwrap();
    assert!(entries(exchange_root.path()).is_empty());
    let result = &outcome.result;
    println!("{}", result.to_json().unwrap());

    assert_eq!(result.environment.device, "cuda");
    let total = result.total_energy_j.unwrap();
    assert!(total > 0.0);
    assert!(result.energy_adjusted_j.unwrap() <= total);
    assert!(result.baseline_power_w.unwrap() > 0.0);
    assert_eq!(result.energy_per_device_j.as_ref().unwrap().len(), 1);
    assert!(result.avg_energy_per_token_j.unwrap() > 0.0);
    assert!(result.sampling_interval_ms.unwrap() > 0.0);
    assert_eq!(result.timeseries.as_deref(), Some("timeseries.jsonl"));
    let series = std::fs::read_to_string(outcome.timeseries_path.unwrap()).unwrap();
    assert!(series.lines().any(|l| l.contains("\"phase\":\"measure\"")));

    for device in result.energy_devices.as_ref().unwrap() {
        let integrated = device.integrated_energy_j.unwrap();
        match device.counter_energy_j {
            Some(counter) => {
                let difference = counter - integrated;
                println!(
                    "GPU {} ({}): counter {counter:.3} J, integrated power {integrated:.3} J, \
                     difference {difference:+.3} J ({:+.2} %), window {:.3} s, {} samples",
                    device.gpu_index,
                    device.name,
                    100.0 * difference / counter,
                    result.energy_window_sec.unwrap(),
                    device.samples
                );
                assert_eq!(device.method, DeviceMethod::Counter);
                // NVML's power reading is itself averaged over a short window; the two
                // estimates of a steady multi-second load agree to within 15 %.
                assert!((difference / counter).abs() < 0.15, "{difference} J apart");
            }
            None => {
                println!(
                    "GPU {} ({}): no energy counter (pre-Volta); integrated power {integrated:.3} J",
                    device.gpu_index, device.name
                );
                assert_eq!(device.method, DeviceMethod::PowerIntegration);
            }
        }
    }
}
