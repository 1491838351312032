//! llemc's measurement harness: runs an experiment that `llem config check` accepted through the
//! engine's worker, locally or in Docker, and measures its energy with NVML.
//!
//! # How a run goes
//!
//! 1. With energy on ([`EnergyMode::Nvml`]), NVML is opened first: without an NVIDIA driver the
//!    run stops here with [`HarnessError::NvmlUnavailable`], whose message tells the user to run
//!    with `--energy none`. The idle baseline is read from its cache or measured.
//! 2. An exchange directory receives the embedded Python worker ([`exchange::WORKER_SOURCE`])
//!    and a [`protocol::WorkerRequest`]: model, native kwargs per section, prompts, batch size,
//!    warmup, seed, device.
//! 3. A [`Runner`] starts the worker ([`LocalRunner`]: a venv's Python; [`DockerRunner`]: a
//!    container of the engine's image) while a background thread samples every GPU. The worker
//!    loads the model, warms up, and runs the measured prompts, printing
//!    [`protocol::WorkerEvent`]s stamped with the monotonic clock the sampler also uses.
//! 4. The energy of the window between `measure_start` and `measure_end` comes from the GPUs'
//!    energy counters where they have one, else from power samples integrated with the trapezoid
//!    rule ([`energy::math`]).
//! 5. `timeseries.jsonl` and `result.json` ([`ExperimentResult`]) are written to the output
//!    directory. Whatever happens, no worker process, container or exchange directory is left.
//!
//! # API for a command line
//!
//! ```no_run
//! use llemc_harness::{
//!     CancelToken, EnergySettings, Experiment, Gpus, LocalRunner, Quiet, RunOptions, Runner,
//!     run_experiment,
//! };
//! # fn main() -> Result<(), llemc_harness::HarnessError> {
//! // The experiment config that `llem config check` accepted, as JSON, and the engine version
//! // whose rules checked it.
//! let config = serde_json::json!({
//!     "engine": "transformers",
//!     "model": "/models/tiny-gpt2",
//!     "transformers": {"generation": {"max_new_tokens": 32, "do_sample": false}},
//! });
//! let mut experiment = Experiment::from_config(&config, "5.14.1")?;
//! experiment.batch_size = 4;
//!
//! let runner = Runner::Local(LocalRunner::new(".cache/venvs/transformers-5.14.1/bin/python"));
//! let mut options = RunOptions::new(format!("results/{}", experiment.config_hash));
//! options.energy = EnergySettings::nvml(); // `--energy none`: EnergySettings::none()
//! options.gpus = Gpus::All;
//! let _signals = options.cancel.watch_signals()?; // Ctrl-C stops and cleans up
//!
//! match run_experiment(&experiment, &runner, &options, &mut Quiet) {
//!     Ok(outcome) => println!("{}", outcome.result_path.display()),
//!     Err(error) => {
//!         eprintln!("error: {error}");
//!         std::process::exit(error.exit_code());
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The interface is synchronous; the Docker runner drives bollard on a private tokio runtime.

pub mod baseline;
pub mod cancel;
pub mod clock;
pub mod collect;
pub mod energy;
pub mod error;
pub mod exchange;
pub mod hash;
pub mod prompts;
pub mod protocol;
pub mod result;
pub mod run;
pub mod runner;
pub mod spec;
pub mod timeseries;
pub mod warmup;

pub use baseline::BaselineSettings;
pub use cancel::{CancelToken, SignalWatch};
pub use energy::{EnergyMode, EnergySettings};
pub use error::HarnessError;
pub use result::ExperimentResult;
pub use run::{Observer, Quiet, RunOptions, RunOutcome, run_experiment};
pub use runner::{BindMount, DockerRunner, LocalRunner, Runner};
pub use spec::{Experiment, Gpus, ModelSource};
pub use warmup::{Convergence, WarmupConfig};
