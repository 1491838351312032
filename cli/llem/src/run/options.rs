//! The options of `llem run` and what they turn into: the harness's runner, run options and the
//! run-level settings of each experiment (prompts, batch size, warmup, seed).

use clap::{Args, ValueEnum};
use llemc_cli_common::output::{ColorChoice, Format};
use llemc_harness::{
    BaselineSettings, Convergence, DockerRunner, EnergySettings, Experiment, Gpus, LocalRunner,
    RunOptions, Runner, WarmupConfig, prompts,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `llem run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The experiment config or study (`-` reads an experiment config from standard input).
    #[arg(value_name = "EXPERIMENT|STUDY")]
    pub(super) file: PathBuf,
    /// Check only: report what `llem config check` reports and start nothing.
    #[arg(long)]
    pub(super) dry_run: bool,
    /// Where the worker runs: in the engine's venv on this machine, or in a Docker image.
    #[arg(long, value_enum, default_value_t = RunnerKind::Local)]
    pub(super) runner: RunnerKind,
    /// The local runner's Python (default: the engine version's venv,
    /// `.cache/venvs/<engine>-<version>/bin/python`, when it exists, else `python3`).
    #[arg(long, value_name = "PATH")]
    pub(super) python: Option<PathBuf>,
    /// The Docker runner's image (default: `llemc/<engine>:<version>`); it must exist locally.
    #[arg(long, value_name = "IMAGE")]
    pub(super) image: Option<String>,
    /// Energy measurement: NVML (an NVIDIA GPU and its driver), or none.
    #[arg(long, value_enum, default_value_t = Energy::Nvml)]
    pub(super) energy: Energy,
    /// The GPUs to run on and measure: `all`, `none` (the CPU), or NVML indices such as `0,1`
    /// (default: `all` with `--energy nvml`, `none` with `--energy none`).
    #[arg(long, value_name = "GPUS", value_parser = parse_gpus)]
    pub(super) gpus: Option<Gpus>,
    /// Idle-baseline window in seconds (0: no baseline, energy is not adjusted).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub(super) baseline: f64,
    /// Where results go: one directory per config hash.
    #[arg(long, value_name = "DIR", default_value = "results")]
    pub(super) results: PathBuf,
    /// The measured prompts, one per line (default: llemc's built-in prompts).
    #[arg(long, value_name = "FILE")]
    pub(super) prompts: Option<PathBuf>,
    /// Prompts per generate() call.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) batch_size: u64,
    /// Warmup iterations before the measurement (never measured).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub(super) warmup: u32,
    /// After the warmup iterations, go on until the latency's coefficient of variation is below
    /// this (at most 20 iterations in all).
    #[arg(long, value_name = "CV")]
    pub(super) warmup_until_cv: Option<f64>,
    /// The seed the worker sets before warmup and before the measurement.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(super) seed: u64,
    /// The longest one run may take, model loading included, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub(super) timeout: u64,
    /// Run again even when a result for the same config exists.
    #[arg(long)]
    pub(super) rerun: bool,
    /// Output format (the findings, then the result summary).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub(super) format: Format,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(super) color: ColorChoice,
}

/// `--runner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunnerKind {
    /// The engine's venv on this machine.
    Local,
    /// A container of the engine's image (Docker; GPUs passed through).
    Docker,
}

/// `--energy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Energy {
    /// NVML: the GPUs' energy counters, else integrated power samples.
    Nvml,
    /// No energy measurement (every energy field of the result is null).
    None,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s),
        _ => Err(format!(
            "`{text}` is not a number of seconds between 0 and 86400"
        )),
    }
}

fn parse_gpus(text: &str) -> Result<Gpus, String> {
    match text {
        "all" => Ok(Gpus::All),
        "none" => Ok(Gpus::None),
        list => list
            .split(',')
            .map(|i| {
                i.trim().parse::<u32>().map_err(|_| {
                    format!(
                        "`{i}` is not a GPU index (expected `all`, `none` or a list such as `0,1`)"
                    )
                })
            })
            .collect::<Result<Vec<u32>, String>>()
            .map(Gpus::Devices),
    }
}

impl RunArgs {
    /// The runner for an experiment of `engine` at `version`.
    pub(super) fn runner(&self, engine: &str, version: &str) -> Runner {
        match self.runner {
            RunnerKind::Local => {
                Runner::Local(LocalRunner::new(self.local_python(engine, version)))
            }
            RunnerKind::Docker => Runner::Docker(DockerRunner::new(
                self.image
                    .clone()
                    .unwrap_or_else(|| format!("llemc/{engine}:{version}")),
            )),
        }
    }

    /// `--python`, else the engine version's venv when it exists, else `python3` (found on
    /// `PATH`). A path is made absolute: the worker does not start in the current directory.
    fn local_python(&self, engine: &str, version: &str) -> PathBuf {
        let venv = Path::new(".cache")
            .join("venvs")
            .join(format!("{engine}-{version}"))
            .join("bin")
            .join("python");
        let chosen = match &self.python {
            Some(python) => python.clone(),
            None if venv.is_file() => venv,
            None => return PathBuf::from("python3"),
        };
        if chosen.components().count() > 1 {
            std::path::absolute(&chosen).unwrap_or(chosen)
        } else {
            chosen
        }
    }

    /// The harness's options for a run writing into `output_dir`.
    pub(super) fn run_options(&self, output_dir: PathBuf) -> RunOptions {
        let mut options = RunOptions::new(output_dir);
        options.energy = match self.energy {
            Energy::Nvml => {
                let mut settings = EnergySettings::nvml();
                settings.baseline = BaselineSettings {
                    enabled: self.baseline > 0.0,
                    window: Duration::from_secs_f64(self.baseline.max(0.0)),
                    ..settings.baseline
                };
                settings
            }
            Energy::None => EnergySettings::none(),
        };
        options.gpus = self.gpus.clone().unwrap_or(match self.energy {
            Energy::Nvml => Gpus::All,
            Energy::None => Gpus::None,
        });
        options.timeout = Duration::from_secs(self.timeout);
        options
    }

    /// Sets the run-level settings of `experiment` (prompts, batch size, warmup, seed).
    pub(super) fn configure(
        &self,
        experiment: &mut Experiment,
    ) -> Result<(), llemc_harness::HarnessError> {
        if let Some(path) = &self.prompts {
            experiment.prompts = prompts::from_file(path)?;
        }
        experiment.batch_size = usize::try_from(self.batch_size).unwrap_or(usize::MAX);
        experiment.warmup = WarmupConfig {
            iterations: self.warmup,
            convergence: self.warmup_until_cv.map(|cv_threshold| Convergence {
                cv_threshold,
                ..Convergence::default()
            }),
        };
        experiment.seed = self.seed;
        Ok(())
    }
}
