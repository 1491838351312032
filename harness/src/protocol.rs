//! The worker protocol: the request llemc writes for the worker, and the events the worker
//! prints back, one JSON object per line on its standard output.
//!
//! The worker (`worker/llemc_worker.py`) speaks the same version, [`PROTOCOL_VERSION`]; both
//! sides are changed together.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The protocol version this crate and its embedded worker speak.
pub const PROTOCOL_VERSION: u32 = 1;

/// What the worker is asked to run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkerRequest {
    /// [`PROTOCOL_VERSION`].
    pub protocol_version: u32,
    /// The engine (`transformers`); the worker has one loader per engine.
    pub engine: String,
    /// The model as the worker sees it: a directory, or a Hugging Face id resolved from the local
    /// cache (nothing is downloaded: `HF_HUB_OFFLINE=1`).
    pub model: String,
    /// The native kwargs per section of the engine key (`{"generation": {...}}`), exactly as
    /// checked; the worker builds the engine's native objects from them
    /// (`GenerationConfig(**native["generation"])`).
    pub native: Map<String, Value>,
    /// The measured prompts, in order.
    pub prompts: Vec<String>,
    /// Prompts per `generate()` call.
    pub batch_size: usize,
    /// How to warm up.
    pub warmup: WarmupRequest,
    /// Seed set before loading and again before the measured prompts.
    pub seed: u64,
    /// `cpu` or `cuda`.
    pub device: String,
}

/// The warmup part of a request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WarmupRequest {
    /// Warmup iterations always run (each one `generate()` call on the first batch).
    pub iterations: u32,
    /// When present, keep going after `iterations` until the latency settles.
    pub convergence: Option<ConvergenceRequest>,
}

/// Warmup until the coefficient of variation of the latency settles.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvergenceRequest {
    /// Stop once the CV over the last `window` latencies is below this.
    pub cv_threshold: f64,
    /// How many of the latest latencies the CV is taken over.
    pub window: u32,
    /// Never run more warmup iterations than this in total.
    pub max_iterations: u32,
}

/// One line of the worker's standard output. Every event carries `t_ns`, the worker's
/// `CLOCK_MONOTONIC` time when it printed it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// The worker read a valid request.
    Started {
        /// Event time.
        t_ns: u64,
        /// The protocol version the worker speaks.
        protocol_version: u32,
        /// The worker's process id (in its own PID namespace).
        pid: u64,
        /// The interpreter's version, e.g. `3.11.7`.
        python_version: String,
    },
    /// The model and the native objects are loaded.
    Loaded {
        /// Event time.
        t_ns: u64,
        /// The engine.
        engine: String,
        /// The engine library's version, read from the live library.
        engine_version: String,
        /// torch's version, when the engine uses torch.
        torch_version: Option<String>,
        /// `cpu` or `cuda`.
        device: String,
        /// Seconds spent loading.
        load_time_s: f64,
    },
    /// Warmup begins.
    WarmupStart {
        /// Event time.
        t_ns: u64,
        /// The most iterations it may run.
        planned: u32,
    },
    /// One warmup iteration finished.
    WarmupIteration {
        /// Event time.
        t_ns: u64,
        /// 0-based iteration number.
        index: u32,
        /// Its latency in milliseconds.
        latency_ms: f64,
        /// Prompts it ran.
        prompts: u64,
    },
    /// Warmup is over.
    WarmupEnd {
        /// Event time.
        t_ns: u64,
        /// Iterations run.
        iterations: u32,
        /// Prompts run in all.
        prompts: u64,
        /// Whether the latency settled (`None` without convergence detection).
        converged: Option<bool>,
    },
    /// The measured window opens (the device is idle and synchronised).
    MeasureStart {
        /// Event time: the window's start.
        t_ns: u64,
    },
    /// One measured batch finished.
    Batch {
        /// Event time.
        t_ns: u64,
        /// 0-based batch number.
        index: u64,
        /// Prompts in the batch.
        prompts: u64,
        /// Prompt tokens (padding excluded).
        input_tokens: u64,
        /// Generated tokens (up to and including the end-of-sequence token).
        output_tokens: u64,
        /// Its latency in milliseconds.
        latency_ms: f64,
    },
    /// The measured window closes (the device is synchronised).
    MeasureEnd {
        /// Event time: the window's end.
        t_ns: u64,
        /// Prompts measured.
        prompts: u64,
        /// Batches measured.
        batches: u64,
        /// Prompt tokens in all.
        input_tokens: u64,
        /// Generated tokens in all.
        output_tokens: u64,
        /// Seconds from the first batch's start to the last batch's end (worker clock).
        inference_time_s: f64,
    },
    /// The run completed.
    Finished {
        /// Event time.
        t_ns: u64,
    },
    /// The run failed; the worker exits with status 1 (engine error) or 2 (unusable request).
    Failed {
        /// Event time.
        t_ns: u64,
        /// The Python exception's type.
        error_type: String,
        /// Its message.
        message: String,
    },
}

impl WorkerEvent {
    /// The event's name as it appears in the protocol (`measure_start`).
    pub fn name(&self) -> &'static str {
        match self {
            WorkerEvent::Started { .. } => "started",
            WorkerEvent::Loaded { .. } => "loaded",
            WorkerEvent::WarmupStart { .. } => "warmup_start",
            WorkerEvent::WarmupIteration { .. } => "warmup_iteration",
            WorkerEvent::WarmupEnd { .. } => "warmup_end",
            WorkerEvent::MeasureStart { .. } => "measure_start",
            WorkerEvent::Batch { .. } => "batch",
            WorkerEvent::MeasureEnd { .. } => "measure_end",
            WorkerEvent::Finished { .. } => "finished",
            WorkerEvent::Failed { .. } => "failed",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_workers_lines() {
        let line = r#"{"batches": 2, "event": "measure_end", "inference_time_s": 0.17, "input_tokens": 12, "output_tokens": 24, "prompts": 3, "t_ns": 1128700934319}"#;
        let event: WorkerEvent = serde_json::from_str(line).unwrap();
        assert_eq!(
            event,
            WorkerEvent::MeasureEnd {
                t_ns: 1_128_700_934_319,
                prompts: 3,
                batches: 2,
                input_tokens: 12,
                output_tokens: 24,
                inference_time_s: 0.17,
            }
        );
        assert_eq!(event.name(), "measure_end");
        let converged: WorkerEvent = serde_json::from_str(
            r#"{"converged": null, "event": "warmup_end", "iterations": 2, "prompts": 2, "t_ns": 5}"#,
        )
        .unwrap();
        assert_eq!(
            converged,
            WorkerEvent::WarmupEnd {
                t_ns: 5,
                iterations: 2,
                prompts: 2,
                converged: None
            }
        );
    }

    #[test]
    fn rejects_unknown_events() {
        assert!(serde_json::from_str::<WorkerEvent>(r#"{"event": "nope", "t_ns": 1}"#).is_err());
    }
}
