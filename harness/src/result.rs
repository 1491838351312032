//! The result of a run, as written to `result.json`. Field names follow the original
//! LLenergyMeasure result where they mean the same thing; every field is described in
//! `docs/running.md`. Keys are written in the order of the struct fields, so a result's text is
//! deterministic.

use crate::baseline::{Baseline, BaselineMethod, adjust};
use crate::clock::WallTime;
use crate::collect::WorkerReport;
use crate::energy::measure::{DeviceEnergy, WindowEnergy};
use crate::error::HarnessError;
use crate::spec::Experiment;
use crate::warmup::WarmupResult;
use serde::Serialize;
use serde_json::Value;

/// The version of the result format; bumped on any change to its fields.
pub const RESULT_SCHEMA_VERSION: &str = "1.0";

/// The result file's name in the output directory.
pub const RESULT_FILE: &str = "result.json";

/// The time series' file name in the output directory.
pub const TIMESERIES_FILE: &str = "timeseries.jsonl";

/// One experiment's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentResult {
    /// [`RESULT_SCHEMA_VERSION`].
    pub schema_version: String,
    /// The experiment's id (default: the config hash).
    pub experiment_id: String,
    /// The hash of the experiment config (canonical JSON, BLAKE3, 16 hex digits).
    pub measurement_config_hash: String,
    /// The config file, when known.
    pub config_path: Option<String>,
    /// The llemc version that ran it.
    pub llemc_version: String,
    /// The engine.
    pub engine: String,
    /// The engine library's version, as loaded by the worker.
    pub engine_version: String,
    /// The version whose rules checked the config.
    pub checked_engine_version: String,
    /// `model` as written in the config.
    pub model_name: String,
    /// Where the worker ran.
    pub runner: RunnerInfo,
    /// The worker's software and device.
    pub environment: Environment,
    /// Prompts measured.
    pub prompts: u64,
    /// Prompts per `generate()` call.
    pub batch_size: usize,
    /// Batches measured.
    pub batches: u64,
    /// Prompt tokens measured (padding excluded).
    pub input_tokens: u64,
    /// Generated tokens measured.
    pub output_tokens: u64,
    /// `input_tokens + output_tokens`.
    pub total_tokens: u64,
    /// The measured loop's duration (worker clock), in seconds.
    pub total_inference_time_sec: f64,
    /// `total_tokens / total_inference_time_sec`.
    pub avg_tokens_per_second: Option<f64>,
    /// `output_tokens / total_inference_time_sec`.
    pub output_tokens_per_second: Option<f64>,
    /// `counter`, `power_integration`, `mixed` or `none`.
    pub energy_method: String,
    /// Energy of the measured window summed over the GPUs, in joules.
    pub total_energy_j: Option<f64>,
    /// `total_energy_j` minus the idle baseline over the window, floored at zero.
    pub energy_adjusted_j: Option<f64>,
    /// Energy per GPU, in joules, in the order of `energy_devices`.
    pub energy_per_device_j: Option<Vec<f64>>,
    /// `total_energy_j / output_tokens`.
    pub avg_energy_per_token_j: Option<f64>,
    /// `total_energy_j / total_tokens`, in millijoules.
    pub mj_per_tok_total: Option<f64>,
    /// `energy_adjusted_j / total_tokens`, in millijoules.
    pub mj_per_tok_adjusted: Option<f64>,
    /// Idle power summed over the GPUs, in watts.
    pub baseline_power_w: Option<f64>,
    /// Raw and adjusted energy with the baseline's provenance.
    pub energy_breakdown: Option<EnergyBreakdown>,
    /// Per GPU: how its energy was obtained, both estimates, mean power, samples.
    pub energy_devices: Option<Vec<DeviceEnergy>>,
    /// The measured window's length on the monotonic clock, in seconds.
    pub energy_window_sec: Option<f64>,
    /// The sampling interval, in milliseconds.
    pub sampling_interval_ms: Option<f64>,
    /// What warmup did.
    pub warmup_result: WarmupResult,
    /// Prompts run during warmup (never measured).
    pub warmup_excluded_samples: u64,
    /// Latency of every measured batch, in milliseconds.
    pub batch_latencies_ms: Vec<f64>,
    /// Seconds the worker spent loading the model.
    pub model_load_time_sec: f64,
    /// Everything a reader must know about the measurement's quality.
    pub measurement_warnings: Vec<String>,
    /// The time-series file, relative to the result (`null` without energy).
    pub timeseries: Option<String>,
    /// When the worker was started (UTC, RFC 3339).
    pub start_time: String,
    /// When the worker ended (UTC, RFC 3339).
    pub end_time: String,
    /// `end_time - start_time`, in seconds.
    pub duration_sec: f64,
    /// The experiment config as checked (keys sorted, `engine_version` filled in).
    pub experiment_config: Value,
}

/// Where the worker ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunnerInfo {
    /// `local` or `docker`.
    pub kind: String,
    /// The interpreter's path, or the image.
    pub target: String,
}

/// The worker's software and device.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Environment {
    /// Python's version.
    pub python_version: String,
    /// torch's version, when the engine uses torch.
    pub torch_version: Option<String>,
    /// `cpu` or `cuda`.
    pub device: String,
}

/// Raw and adjusted energy with the baseline's provenance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnergyBreakdown {
    /// Measured energy, in joules.
    pub raw_j: f64,
    /// `raw_j - baseline_power_w * energy_window_sec`, floored at zero (`null` without a
    /// baseline).
    pub adjusted_j: Option<f64>,
    /// Idle power, in watts.
    pub baseline_power_w: Option<f64>,
    /// Idle power per GPU, in watts.
    pub baseline_per_device_w: Option<Vec<f64>>,
    /// `fresh` or `cached`.
    pub baseline_method: Option<BaselineMethod>,
    /// When the baseline was measured (UTC, RFC 3339).
    pub baseline_timestamp: Option<String>,
    /// The baseline's age when used, in seconds.
    pub baseline_cache_age_sec: Option<f64>,
    /// How long the baseline was sampled, in seconds.
    pub baseline_window_sec: Option<f64>,
    /// Power samples the baseline averages.
    pub baseline_samples: Option<usize>,
}

/// What the result is assembled from.
pub(crate) struct Parts<'a> {
    pub(crate) experiment: &'a Experiment,
    pub(crate) runner: RunnerInfo,
    pub(crate) report: &'a WorkerReport,
    pub(crate) warmup: WarmupResult,
    pub(crate) energy: Option<(&'a WindowEnergy, u64)>,
    pub(crate) baseline: Option<&'a Baseline>,
    pub(crate) warnings: Vec<String>,
    pub(crate) timeseries: Option<String>,
    pub(crate) start: WallTime,
    pub(crate) end: WallTime,
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

impl ExperimentResult {
    /// Assembles the result.
    pub(crate) fn assemble(parts: Parts<'_>) -> ExperimentResult {
        let Parts {
            experiment,
            runner,
            report,
            warmup,
            energy,
            baseline,
            mut warnings,
            timeseries,
            start,
            end,
        } = parts;
        let total_tokens = report.input_tokens + report.output_tokens;
        let tokens = total_tokens as f64;
        let time = report.inference_time_s;
        let total_energy_j = energy.map(|(e, _)| e.total_j);
        let adjusted = match (energy, baseline) {
            (Some((e, _)), Some(b)) => {
                let (adjusted, floored) = adjust(e.total_j, b.power_w, e.duration_s);
                if floored {
                    warnings.push(format!(
                        "the idle baseline ({:.1} W) accounts for more than the measured energy \
                         ({:.3} J over {:.3} s); the adjusted energy is floored at 0",
                        b.power_w, e.total_j, e.duration_s
                    ));
                }
                Some(adjusted)
            }
            _ => None,
        };
        let breakdown = energy.map(|(e, _)| EnergyBreakdown {
            raw_j: e.total_j,
            adjusted_j: adjusted,
            baseline_power_w: baseline.map(|b| b.power_w),
            baseline_per_device_w: baseline.map(|b| b.per_device_w.clone()),
            baseline_method: baseline.map(|b| b.method),
            baseline_timestamp: baseline.map(|b| b.measured_at.rfc3339()),
            baseline_cache_age_sec: baseline.map(|b| b.age_s),
            baseline_window_sec: baseline.map(|b| b.window_s),
            baseline_samples: baseline.map(|b| b.samples),
        });
        ExperimentResult {
            schema_version: RESULT_SCHEMA_VERSION.to_owned(),
            experiment_id: experiment.experiment_id.clone(),
            measurement_config_hash: experiment.config_hash.clone(),
            config_path: experiment
                .config_path
                .as_ref()
                .map(|p| p.display().to_string()),
            llemc_version: env!("CARGO_PKG_VERSION").to_owned(),
            engine: experiment.engine.clone(),
            engine_version: report.engine_version.clone(),
            checked_engine_version: experiment.engine_version.clone(),
            model_name: experiment.model_name.clone(),
            runner,
            environment: Environment {
                python_version: report.python_version.clone(),
                torch_version: report.torch_version.clone(),
                device: report.device.clone(),
            },
            prompts: report.prompts,
            batch_size: experiment.batch_size,
            batches: report.batches,
            input_tokens: report.input_tokens,
            output_tokens: report.output_tokens,
            total_tokens,
            total_inference_time_sec: time,
            avg_tokens_per_second: ratio(tokens, time),
            output_tokens_per_second: ratio(report.output_tokens as f64, time),
            energy_method: energy.map_or("none", |(e, _)| e.method()).to_owned(),
            total_energy_j,
            energy_adjusted_j: adjusted,
            energy_per_device_j: energy
                .map(|(e, _)| e.devices.iter().map(|d| d.energy_j).collect()),
            avg_energy_per_token_j: total_energy_j
                .and_then(|j| ratio(j, report.output_tokens as f64)),
            mj_per_tok_total: total_energy_j.and_then(|j| ratio(j * 1000.0, tokens)),
            mj_per_tok_adjusted: adjusted.and_then(|j| ratio(j * 1000.0, tokens)),
            baseline_power_w: energy.and(baseline).map(|b| b.power_w),
            energy_breakdown: breakdown,
            energy_devices: energy.map(|(e, _)| e.devices.clone()),
            energy_window_sec: energy.map(|(e, _)| e.duration_s),
            sampling_interval_ms: energy.map(|(_, interval_ns)| interval_ns as f64 / 1e6),
            warmup_result: warmup,
            warmup_excluded_samples: report.warmup_prompts,
            batch_latencies_ms: report.batch_latencies_ms.clone(),
            model_load_time_sec: report.load_time_s,
            measurement_warnings: warnings,
            timeseries,
            start_time: start.rfc3339(),
            end_time: end.rfc3339(),
            duration_sec: end.seconds_since(start),
            experiment_config: experiment.config.clone(),
        }
    }

    /// The result as pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> Result<String, HarnessError> {
        let text = serde_json::to_string_pretty(self).map_err(|e| {
            HarnessError::Spec(format!("the result cannot be written as JSON: {e}"))
        })?;
        Ok(format!("{text}\n"))
    }
}
