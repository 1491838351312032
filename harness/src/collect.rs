//! Reading the worker's output: events checked for order and consistency, and gathered into what
//! the result needs.

use crate::error::HarnessError;
use crate::protocol::{PROTOCOL_VERSION, WorkerEvent};
use crate::runner::OutputLine;
use std::collections::VecDeque;

/// How many of the worker's last standard-error lines an error message shows.
const STDERR_TAIL: usize = 20;

/// Everything a completed worker reported.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerReport {
    /// The worker's Python version.
    pub python_version: String,
    /// The engine library's version, as loaded.
    pub engine_version: String,
    /// torch's version, when the engine uses torch.
    pub torch_version: Option<String>,
    /// `cpu` or `cuda`.
    pub device: String,
    /// Seconds spent loading the model.
    pub load_time_s: f64,
    /// Monotonic times (ns) of `started`, `warmup_start`, `measure_start`, `measure_end`.
    pub started_ns: u64,
    /// See `started_ns`.
    pub warmup_start_ns: u64,
    /// See `started_ns`.
    pub measure_start_ns: u64,
    /// See `started_ns`.
    pub measure_end_ns: u64,
    /// Latency of every warmup iteration, in milliseconds.
    pub warmup_latencies_ms: Vec<f64>,
    /// Prompts run during warmup.
    pub warmup_prompts: u64,
    /// Whether warmup settled, as the worker decided (`None` without convergence detection).
    pub warmup_converged: Option<bool>,
    /// Prompts measured.
    pub prompts: u64,
    /// Batches measured.
    pub batches: u64,
    /// Prompt tokens measured.
    pub input_tokens: u64,
    /// Generated tokens measured.
    pub output_tokens: u64,
    /// The measured loop's duration on the worker's clock, in seconds.
    pub inference_time_s: f64,
    /// Latency of every measured batch, in milliseconds.
    pub batch_latencies_ms: Vec<f64>,
}

/// Follows the worker's output line by line.
#[derive(Debug, Default)]
pub struct Collector {
    events: Vec<WorkerEvent>,
    protocol_error: Option<String>,
    stderr_tail: VecDeque<String>,
}

impl Collector {
    /// A collector that has seen nothing.
    pub fn new() -> Self {
        Collector::default()
    }

    /// Takes one output line; returns the event it carried, if it is a valid one.
    pub fn line(&mut self, line: &OutputLine) -> Option<WorkerEvent> {
        match line {
            OutputLine::Stderr(text) => {
                if self.stderr_tail.len() == STDERR_TAIL {
                    self.stderr_tail.pop_front();
                }
                self.stderr_tail.push_back(text.clone());
                None
            }
            OutputLine::Stdout(text) if text.trim().is_empty() => None,
            OutputLine::Stdout(text) => match serde_json::from_str::<WorkerEvent>(text) {
                Ok(event) => {
                    if let Some(problem) = self.out_of_order(&event) {
                        self.protocol_error.get_or_insert(problem);
                    }
                    self.events.push(event.clone());
                    Some(event)
                }
                Err(e) => {
                    self.protocol_error
                        .get_or_insert(format!("not an event ({e}): {text}"));
                    None
                }
            },
        }
    }

    fn out_of_order(&self, event: &WorkerEvent) -> Option<String> {
        let previous = self.events.last().map(WorkerEvent::name);
        let allowed: &[&str] = match event {
            WorkerEvent::Failed { .. } => return None,
            WorkerEvent::Started {
                protocol_version, ..
            } => {
                if *protocol_version != PROTOCOL_VERSION {
                    return Some(format!(
                        "the worker speaks protocol {protocol_version}, llemc {PROTOCOL_VERSION}"
                    ));
                }
                &[]
            }
            WorkerEvent::Loaded { .. } => &["started"],
            WorkerEvent::WarmupStart { .. } => &["loaded"],
            WorkerEvent::WarmupIteration { .. } | WorkerEvent::WarmupEnd { .. } => {
                &["warmup_start", "warmup_iteration"]
            }
            WorkerEvent::MeasureStart { .. } => &["warmup_end"],
            WorkerEvent::Batch { .. } | WorkerEvent::MeasureEnd { .. } => {
                &["measure_start", "batch"]
            }
            WorkerEvent::Finished { .. } => &["measure_end"],
        };
        let fits = match previous {
            None => allowed.is_empty(),
            Some(name) => allowed.contains(&name),
        };
        (!fits).then(|| {
            format!(
                "`{}` after `{}`",
                event.name(),
                previous.unwrap_or("the start of the output")
            )
        })
    }

    /// The report of a worker that exited with `exit_code`, or why there is none.
    pub fn finish(self, exit_code: Option<i64>) -> Result<WorkerReport, HarnessError> {
        let stderr_tail: Vec<String> = self.stderr_tail.into_iter().collect();
        if let Some(WorkerEvent::Failed {
            error_type,
            message,
            ..
        }) = self
            .events
            .iter()
            .find(|e| matches!(e, WorkerEvent::Failed { .. }))
        {
            return Err(HarnessError::WorkerFailed {
                exit_code,
                error_type: Some(error_type.clone()),
                message: message.clone(),
                stderr_tail,
            });
        }
        if exit_code != Some(0) {
            return Err(HarnessError::WorkerFailed {
                exit_code,
                error_type: None,
                message: "it ended without reporting an error".to_owned(),
                stderr_tail,
            });
        }
        if let Some(problem) = self.protocol_error {
            return Err(HarnessError::Protocol(problem));
        }
        report(&self.events)
    }
}

/// Gathers the report from a complete, well-ordered event sequence.
fn report(events: &[WorkerEvent]) -> Result<WorkerReport, HarnessError> {
    let mut warmup_latencies_ms = Vec::new();
    let mut batch_latencies_ms = Vec::new();
    let mut batch_input = 0u64;
    let mut batch_output = 0u64;
    let mut started = None;
    let mut loaded = None;
    let mut warmup_start_ns = None;
    let mut warmup_end = None;
    let mut measure_start_ns = None;
    let mut measure_end = None;
    let mut finished = false;
    for event in events {
        match event {
            WorkerEvent::Started {
                t_ns,
                python_version,
                ..
            } => started = Some((*t_ns, python_version.clone())),
            WorkerEvent::Loaded {
                engine_version,
                torch_version,
                device,
                load_time_s,
                ..
            } => {
                loaded = Some((
                    engine_version.clone(),
                    torch_version.clone(),
                    device.clone(),
                    *load_time_s,
                ));
            }
            WorkerEvent::WarmupStart { t_ns, .. } => warmup_start_ns = Some(*t_ns),
            WorkerEvent::WarmupIteration { latency_ms, .. } => {
                warmup_latencies_ms.push(*latency_ms)
            }
            WorkerEvent::WarmupEnd {
                prompts, converged, ..
            } => warmup_end = Some((*prompts, *converged)),
            WorkerEvent::MeasureStart { t_ns } => measure_start_ns = Some(*t_ns),
            WorkerEvent::Batch {
                input_tokens,
                output_tokens,
                latency_ms,
                ..
            } => {
                batch_input += input_tokens;
                batch_output += output_tokens;
                batch_latencies_ms.push(*latency_ms);
            }
            WorkerEvent::MeasureEnd {
                t_ns,
                prompts,
                batches,
                input_tokens,
                output_tokens,
                inference_time_s,
            } => {
                measure_end = Some((
                    *t_ns,
                    *prompts,
                    *batches,
                    *input_tokens,
                    *output_tokens,
                    *inference_time_s,
                ));
            }
            WorkerEvent::Finished { .. } => finished = true,
            WorkerEvent::Failed { .. } => {}
        }
    }
    let missing = |name: &str| HarnessError::Protocol(format!("the worker never sent `{name}`"));
    let (started_ns, python_version) = started.ok_or_else(|| missing("started"))?;
    let (engine_version, torch_version, device, load_time_s) =
        loaded.ok_or_else(|| missing("loaded"))?;
    let warmup_start_ns = warmup_start_ns.ok_or_else(|| missing("warmup_start"))?;
    let (warmup_prompts, warmup_converged) = warmup_end.ok_or_else(|| missing("warmup_end"))?;
    let measure_start_ns = measure_start_ns.ok_or_else(|| missing("measure_start"))?;
    let (measure_end_ns, prompts, batches, input_tokens, output_tokens, inference_time_s) =
        measure_end.ok_or_else(|| missing("measure_end"))?;
    if !finished {
        return Err(missing("finished"));
    }
    if (batch_input, batch_output) != (input_tokens, output_tokens)
        || u64::try_from(batch_latencies_ms.len()) != Ok(batches)
    {
        return Err(HarnessError::Protocol(format!(
            "`measure_end` counts {batches} batches, {input_tokens} input and {output_tokens} \
             output tokens, but the batches add up to {}, {batch_input} and {batch_output}",
            batch_latencies_ms.len()
        )));
    }
    if measure_end_ns < measure_start_ns {
        return Err(HarnessError::Protocol(
            "the measured window ends before it starts".to_owned(),
        ));
    }
    Ok(WorkerReport {
        python_version,
        engine_version,
        torch_version,
        device,
        load_time_s,
        started_ns,
        warmup_start_ns,
        measure_start_ns,
        measure_end_ns,
        warmup_latencies_ms,
        warmup_prompts,
        warmup_converged,
        prompts,
        batches,
        input_tokens,
        output_tokens,
        inference_time_s,
        batch_latencies_ms,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const RUN: &[&str] = &[
        r#"{"event": "started", "pid": 7, "protocol_version": 1, "python_version": "3.11.7", "t_ns": 100}"#,
        r#"{"device": "cpu", "engine": "transformers", "engine_version": "5.14.1", "event": "loaded", "load_time_s": 2.5, "t_ns": 200, "torch_version": "2.10.0"}"#,
        r#"{"event": "warmup_start", "planned": 2, "t_ns": 300}"#,
        r#"{"event": "warmup_iteration", "index": 0, "latency_ms": 30.0, "prompts": 2, "t_ns": 330}"#,
        r#"{"event": "warmup_iteration", "index": 1, "latency_ms": 20.0, "prompts": 2, "t_ns": 350}"#,
        r#"{"converged": null, "event": "warmup_end", "iterations": 2, "prompts": 4, "t_ns": 351}"#,
        r#"{"event": "measure_start", "t_ns": 400}"#,
        r#"{"event": "batch", "index": 0, "input_tokens": 8, "latency_ms": 15.0, "output_tokens": 16, "prompts": 2, "t_ns": 415}"#,
        r#"{"event": "batch", "index": 1, "input_tokens": 4, "latency_ms": 10.0, "output_tokens": 8, "prompts": 1, "t_ns": 425}"#,
        r#"{"batches": 2, "event": "measure_end", "inference_time_s": 0.025, "input_tokens": 12, "output_tokens": 24, "prompts": 3, "t_ns": 426}"#,
        r#"{"event": "finished", "t_ns": 427}"#,
    ];

    fn collect(lines: &[&str]) -> Collector {
        let mut collector = Collector::new();
        for line in lines {
            collector.line(&OutputLine::Stdout((*line).to_owned()));
        }
        collector
    }

    #[test]
    fn a_complete_run() {
        let report = collect(RUN).finish(Some(0)).unwrap();
        assert_eq!(report.engine_version, "5.14.1");
        assert_eq!(report.torch_version.as_deref(), Some("2.10.0"));
        assert_eq!(report.warmup_latencies_ms, vec![30.0, 20.0]);
        assert_eq!(report.warmup_prompts, 4);
        assert_eq!((report.measure_start_ns, report.measure_end_ns), (400, 426));
        assert_eq!((report.input_tokens, report.output_tokens), (12, 24));
        assert_eq!(report.batch_latencies_ms, vec![15.0, 10.0]);
    }

    #[test]
    fn a_reported_failure_wins() {
        let mut collector = collect(&RUN[..3]);
        collector.line(&OutputLine::Stderr(
            "Traceback (most recent call last):".to_owned(),
        ));
        collector.line(&OutputLine::Stdout(
            r#"{"error_type": "ValueError", "event": "failed", "message": "bad kwargs", "t_ns": 5}"#
                .to_owned(),
        ));
        let error = collector.finish(Some(1)).unwrap_err();
        assert_eq!(error.exit_code(), 1);
        let text = error.to_string();
        assert!(text.contains("ValueError: bad kwargs"), "{text}");
        assert!(text.contains("Traceback"), "{text}");
    }

    #[test]
    fn a_silent_crash() {
        let error = collect(&RUN[..4]).finish(Some(-11)).unwrap_err();
        assert!(
            error.to_string().contains("without reporting an error"),
            "{error}"
        );
        let error = collect(&RUN[..4]).finish(None).unwrap_err();
        assert!(error.to_string().contains("killed by a signal"), "{error}");
    }

    #[test]
    fn protocol_violations() {
        let mut swapped: Vec<&str> = RUN.to_vec();
        swapped.swap(5, 6);
        let error = collect(&swapped).finish(Some(0)).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`measure_start` after `warmup_iteration`"),
            "{error}"
        );

        let mut noisy = collect(RUN);
        noisy.line(&OutputLine::Stdout("hello from a library".to_owned()));
        assert!(
            noisy
                .finish(Some(0))
                .unwrap_err()
                .to_string()
                .contains("not an event")
        );

        let error = collect(&RUN[..10]).finish(Some(0)).unwrap_err();
        assert!(
            error.to_string().contains("never sent `finished`"),
            "{error}"
        );

        let mut wrong_sum: Vec<String> = RUN.iter().map(|l| (*l).to_owned()).collect();
        wrong_sum[9] = wrong_sum[9].replace("\"output_tokens\": 24", "\"output_tokens\": 25");
        let lines: Vec<&str> = wrong_sum.iter().map(String::as_str).collect();
        let error = collect(&lines).finish(Some(0)).unwrap_err();
        assert!(error.to_string().contains("add up to"), "{error}");
    }
}
