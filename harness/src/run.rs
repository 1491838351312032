//! One measured run, from start to result files: energy set-up (NVML, baseline), the exchange
//! directory, the worker through a runner, the energy of the measured window, the result.

use crate::baseline::{self, Baseline};
use crate::cancel::CancelToken;
use crate::clock::WallTime;
use crate::collect::{Collector, WorkerReport};
use crate::energy::measure::{WindowEnergy, window_energy};
use crate::energy::nvml::NvmlSource;
use crate::energy::sampler::{Recording, Sampler};
use crate::energy::{EnergyMode, EnergySettings};
use crate::error::HarnessError;
use crate::exchange::Exchange;
use crate::protocol::{PROTOCOL_VERSION, WorkerEvent, WorkerRequest};
use crate::result::{ExperimentResult, Parts, RESULT_FILE, RunnerInfo, TIMESERIES_FILE};
use crate::runner::{Launch, OutputLine, Runner};
use crate::spec::{Experiment, Gpus};
use crate::timeseries;
use llemc_compiler::atomic_write::write_atomically;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How to run an experiment (as opposed to what to run).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Where `result.json` and `timeseries.jsonl` are written (created if missing).
    pub output_dir: PathBuf,
    /// Energy measurement (default: none).
    pub energy: EnergySettings,
    /// The GPUs the worker uses and the energy is measured on (default: none, on the CPU).
    pub gpus: Gpus,
    /// The longest the worker may run, model loading included (default: one hour).
    pub timeout: Duration,
    /// Where exchange directories are created (default: the system's temporary directory).
    pub exchange_root: Option<PathBuf>,
    /// More environment variables for the worker (they override llemc's own).
    pub env: Vec<(String, String)>,
    /// Stops the run when cancelled (see [`CancelToken::watch_signals`] for Ctrl-C).
    pub cancel: CancelToken,
}

impl RunOptions {
    /// Defaults, writing into `output_dir`.
    pub fn new(output_dir: impl Into<PathBuf>) -> Self {
        RunOptions {
            output_dir: output_dir.into(),
            energy: EnergySettings::none(),
            gpus: Gpus::None,
            timeout: Duration::from_secs(3600),
            exchange_root: None,
            env: Vec::new(),
            cancel: CancelToken::new(),
        }
    }
}

/// Follows a run as it happens (progress bars, verbose logs). Every method does nothing unless
/// overridden.
pub trait Observer {
    /// A protocol event from the worker.
    fn on_event(&mut self, _event: &WorkerEvent) {}
    /// A line of the worker's standard error.
    fn on_log(&mut self, _line: &str) {}
    /// A step of the harness itself ("measuring the idle baseline for 30 s").
    fn on_note(&mut self, _note: &str) {}
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// What a completed run produced.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    /// The result, as written.
    pub result: ExperimentResult,
    /// `result.json`.
    pub result_path: PathBuf,
    /// `timeseries.jsonl`, when energy was measured.
    pub timeseries_path: Option<PathBuf>,
}

/// llemc's own environment for the worker: nothing downloaded, unbuffered output, GPUs
/// numbered like NVML numbers them.
fn worker_env(extra: &[(String, String)]) -> Vec<(String, String)> {
    let mut env: BTreeMap<String, String> = [
        ("HF_HUB_OFFLINE", "1"),
        ("PYTHONUNBUFFERED", "1"),
        ("PYTHONDONTWRITEBYTECODE", "1"),
        ("TOKENIZERS_PARALLELISM", "false"),
        ("CUDA_DEVICE_ORDER", "PCI_BUS_ID"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(extra.iter().cloned());
    env.into_iter().collect()
}

/// Runs `experiment` with `runner` and writes its result into `options.output_dir`.
///
/// In order: checks the experiment; with energy, opens NVML (no driver: an error that says to
/// use `--energy none`, before anything starts) and obtains the idle baseline; creates the
/// exchange directory with the worker and its request; starts sampling; runs the worker to its
/// end; stops sampling; removes the exchange directory; computes the energy of the window
/// between the worker's `measure_start` and `measure_end`; writes `timeseries.jsonl` and then
/// `result.json` (atomically: a result file is always complete). On any error nothing is
/// written and no worker, container or exchange directory is left.
pub fn run_experiment(
    experiment: &Experiment,
    runner: &Runner,
    options: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<RunOutcome, HarnessError> {
    if let Some(problem) = experiment.problem() {
        return Err(HarnessError::Spec(problem));
    }
    if options.timeout.is_zero() {
        return Err(HarnessError::Spec(
            "the time limit must be positive".to_owned(),
        ));
    }
    let mut warnings = Vec::new();
    let metered = match options.energy.mode {
        EnergyMode::None => None,
        EnergyMode::Nvml => Some(prepare_energy(
            &options.energy,
            &options.gpus,
            observer,
            &mut warnings,
        )?),
    };
    if options.cancel.is_cancelled() {
        return Err(HarnessError::Interrupted);
    }

    let exchange = Exchange::create(options.exchange_root.as_deref())?;
    let request = WorkerRequest {
        protocol_version: PROTOCOL_VERSION,
        engine: experiment.engine.clone(),
        model: runner.model_for_worker(&experiment.model),
        native: experiment.native_kwargs(),
        prompts: experiment.prompts.clone(),
        batch_size: experiment.batch_size,
        warmup: experiment.warmup.request(),
        seed: experiment.seed,
        device: match options.gpus {
            Gpus::None => "cpu",
            Gpus::All | Gpus::Devices(_) => "cuda",
        }
        .to_owned(),
    };
    exchange.write(&request)?;

    let env = worker_env(&options.env);
    let launch = Launch {
        exchange: exchange.path(),
        model: &experiment.model,
        gpus: &options.gpus,
        env: &env,
        timeout: options.timeout,
        cancel: &options.cancel,
    };
    let mut collector = Collector::new();
    let (sampler, baseline) = match metered {
        Some((source, baseline)) => (
            Some(Sampler::start(source, options.energy.interval)),
            baseline,
        ),
        None => (None, None),
    };
    observer.on_note(&format!("starting the worker ({} runner)", runner.kind()));
    let start = WallTime::now();
    let exit = runner.launch(&launch, &mut |line| {
        if let OutputLine::Stderr(text) = &line {
            observer.on_log(text);
        }
        if let Some(event) = collector.line(&line) {
            observer.on_event(&event);
        }
    });
    let end = WallTime::now();
    let recording = sampler
        .map(|sampler| sampler.stop().map(|(_, recording)| recording))
        .transpose();
    let closed = exchange.close();
    let report = collector.finish(exit?)?;
    let recording = recording?;
    closed?;

    let energy = match &recording {
        Some(recording) => {
            let energy = window_energy(recording, report.measure_start_ns, report.measure_end_ns)?;
            warnings.extend(energy.warnings.iter().cloned());
            Some(energy)
        }
        None => None,
    };
    warnings.extend(quality_warnings(
        experiment,
        &report,
        energy.as_ref(),
        options,
    ));
    write_outcome(
        experiment,
        runner,
        &report,
        recording.as_ref().zip(energy.as_ref()),
        baseline.as_ref(),
        warnings,
        options,
        (start, end),
    )
}

/// NVML and the baseline, before anything else starts.
fn prepare_energy(
    settings: &EnergySettings,
    gpus: &Gpus,
    observer: &mut dyn Observer,
    warnings: &mut Vec<String>,
) -> Result<(NvmlSource, Option<Baseline>), HarnessError> {
    let source = NvmlSource::open(gpus)?;
    if !settings.baseline.enabled {
        return Ok((source, None));
    }
    observer.on_note(&format!(
        "idle baseline: cached, or measured now for {:.0} s (keep the GPUs idle)",
        settings.baseline.window.as_secs_f64()
    ));
    let (source, baseline, problems) =
        baseline::obtain(source, &settings.baseline, settings.interval)?;
    warnings.extend(problems);
    Ok((source, Some(baseline)))
}

/// Warnings about the run itself.
fn quality_warnings(
    experiment: &Experiment,
    report: &WorkerReport,
    energy: Option<&WindowEnergy>,
    options: &RunOptions,
) -> Vec<String> {
    let mut warnings = Vec::new();
    if report.engine_version != experiment.engine_version {
        warnings.push(format!(
            "the config was checked against {} {} rules, but the worker loaded {} {}",
            experiment.engine, experiment.engine_version, experiment.engine, report.engine_version
        ));
    }
    let warmup = experiment.warmup.summarize(&report.warmup_latencies_ms);
    if warmup.converged == Some(false) {
        warnings.push(format!(
            "warmup did not settle: the latency's CV is {} after {} iterations (target {})",
            warmup
                .final_cv
                .map_or_else(|| "unknown".to_owned(), |cv| format!("{cv:.3}")),
            warmup.iterations_completed,
            warmup.target_cv.unwrap_or_default()
        ));
    }
    if let Some(energy) = energy {
        let interval_s = options.energy.interval.as_secs_f64();
        if energy.duration_s < 10.0 * interval_s {
            warnings.push(format!(
                "the measured window ({:.3} s) is shorter than ten sampling intervals; its \
                 energy is imprecise: measure more prompts",
                energy.duration_s
            ));
        }
    }
    warnings
}

/// Writes the time series and the result.
#[allow(clippy::too_many_arguments)]
fn write_outcome(
    experiment: &Experiment,
    runner: &Runner,
    report: &WorkerReport,
    measured: Option<(&Recording, &WindowEnergy)>,
    baseline: Option<&Baseline>,
    warnings: Vec<String>,
    options: &RunOptions,
    (start, end): (WallTime, WallTime),
) -> Result<RunOutcome, HarnessError> {
    let timeseries_path = match measured {
        Some((recording, _)) => {
            let path = options.output_dir.join(TIMESERIES_FILE);
            let text = timeseries::to_jsonl(&timeseries::rows(recording, report));
            write_atomically(&path, text.as_bytes())
                .map_err(|e| HarnessError::io("write the time series", &path, e))?;
            Some(path)
        }
        None => None,
    };
    let result = ExperimentResult::assemble(Parts {
        experiment,
        runner: RunnerInfo {
            kind: runner.kind().to_owned(),
            target: runner.target(),
        },
        report,
        warmup: experiment.warmup.summarize(&report.warmup_latencies_ms),
        energy: measured.map(|(recording, energy)| (energy, recording.interval_ns)),
        baseline,
        warnings,
        timeseries: timeseries_path.as_ref().map(|_| TIMESERIES_FILE.to_owned()),
        start,
        end,
    });
    let result_path = options.output_dir.join(RESULT_FILE);
    write_atomically(&result_path, result.to_json()?.as_bytes())
        .map_err(|e| HarnessError::io("write the result", &result_path, e))?;
    Ok(RunOutcome {
        result,
        result_path,
        timeseries_path,
    })
}
