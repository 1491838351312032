//! The time series side file: every reading of every GPU, one JSON object per line.

use crate::collect::WorkerReport;
use crate::energy::sampler::Recording;
use serde::Serialize;

/// One row of `timeseries.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    /// Seconds since sampling started.
    pub timestamp_s: f64,
    /// NVML index of the GPU.
    pub gpu_index: u32,
    /// Power in watts (`null` when the reading failed).
    pub power_w: Option<f64>,
    /// The energy counter in millijoules (`null` without a counter).
    pub energy_counter_mj: Option<u64>,
    /// What the worker was doing: `setup` (loading), `warmup`, `measure` or `teardown`.
    pub phase: &'static str,
}

/// The phase the worker was in at `t_ns`.
fn phase(report: &WorkerReport, t_ns: u64) -> &'static str {
    if t_ns < report.warmup_start_ns {
        "setup"
    } else if t_ns < report.measure_start_ns {
        "warmup"
    } else if t_ns <= report.measure_end_ns {
        "measure"
    } else {
        "teardown"
    }
}

/// Every reading of `recording` as rows, in time order (devices in recording order at equal
/// times).
pub fn rows(recording: &Recording, report: &WorkerReport) -> Vec<Row> {
    let mut rows: Vec<(u64, usize, Row)> = Vec::new();
    for (position, (info, series)) in recording.devices.iter().zip(&recording.series).enumerate() {
        for sample in &series.samples {
            rows.push((
                sample.t_ns,
                position,
                Row {
                    timestamp_s: sample.t_ns.saturating_sub(recording.started_ns) as f64 / 1e9,
                    gpu_index: info.index,
                    power_w: sample.power_w,
                    energy_counter_mj: sample.energy_mj,
                    phase: phase(report, sample.t_ns),
                },
            ));
        }
    }
    rows.sort_by_key(|(t, position, _)| (*t, *position));
    rows.into_iter().map(|(_, _, row)| row).collect()
}

/// The rows as JSON Lines.
pub fn to_jsonl(rows: &[Row]) -> String {
    rows.iter()
        .filter_map(|row| serde_json::to_string(row).ok())
        .map(|line| line + "\n")
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::energy::sampler::{DeviceSeries, Sample};
    use crate::energy::source::DeviceInfo;

    fn report() -> WorkerReport {
        WorkerReport {
            python_version: "3.11.7".to_owned(),
            engine_version: "5.14.1".to_owned(),
            torch_version: None,
            device: "cuda".to_owned(),
            load_time_s: 1.0,
            started_ns: 1_000,
            warmup_start_ns: 2_000,
            measure_start_ns: 3_000,
            measure_end_ns: 4_000,
            warmup_latencies_ms: vec![],
            warmup_prompts: 0,
            warmup_converged: None,
            prompts: 1,
            batches: 1,
            input_tokens: 1,
            output_tokens: 1,
            inference_time_s: 1e-6,
            batch_latencies_ms: vec![],
        }
    }

    #[test]
    fn rows_are_in_time_order_with_phases() {
        let sample = |t_ns, w| Sample {
            t_ns,
            power_w: Some(w),
            energy_mj: None,
        };
        let series = |samples| DeviceSeries {
            samples,
            failed_reads: 0,
            first_error: None,
        };
        let device = |index| DeviceInfo {
            index,
            name: "g".to_owned(),
            uuid: format!("u{index}"),
            has_energy_counter: false,
        };
        let recording = Recording {
            devices: vec![device(0), device(1)],
            series: vec![
                series(vec![
                    sample(500, 50.0),
                    sample(2_500, 90.0),
                    sample(4_500, 60.0),
                ]),
                series(vec![sample(1_500, 40.0), sample(3_500, 200.0)]),
            ],
            interval_ns: 1_000,
            started_ns: 500,
            stopped_ns: 4_500,
        };
        let rows = rows(&recording, &report());
        let phases: Vec<(u32, &str)> = rows.iter().map(|r| (r.gpu_index, r.phase)).collect();
        assert_eq!(
            phases,
            vec![
                (0, "setup"),
                (1, "setup"),
                (0, "warmup"),
                (1, "measure"),
                (0, "teardown")
            ]
        );
        assert_eq!(rows[0].timestamp_s, 0.0);
        assert_eq!(rows[3].power_w, Some(200.0));
        let text = to_jsonl(&rows);
        assert_eq!(text.lines().count(), 5);
        assert_eq!(
            text.lines().next().unwrap(),
            r#"{"timestamp_s":0.0,"gpu_index":0,"power_w":50.0,"energy_counter_mj":null,"phase":"setup"}"#
        );
    }
}
