//! The energy of a window of a recording, per device and summed, with the warnings a reader of
//! the result needs.

use super::math::{self, CounterProblem};
use super::sampler::Recording;
use crate::error::HarnessError;
use serde::Serialize;

/// Above this average power (watts) a backwards step of an energy counter is a reset of the
/// counter (the driver was reloaded), not a wrap-around. No single GPU draws 5 kW.
pub const MAX_DEVICE_POWER_W: f64 = 5_000.0;

/// How a device's energy was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceMethod {
    /// The difference of the device's total-energy counter across the window.
    Counter,
    /// Power samples integrated over the window with the trapezoid rule.
    PowerIntegration,
}

/// The energy of one device over the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceEnergy {
    /// NVML index.
    pub gpu_index: u32,
    /// Product name.
    pub name: String,
    /// UUID.
    pub uuid: String,
    /// Which of the two figures below is `energy_j`.
    pub method: DeviceMethod,
    /// The device's energy in joules.
    pub energy_j: f64,
    /// From the energy counter (`null` without a usable counter).
    pub counter_energy_j: Option<f64>,
    /// From the integrated power samples (`null` when the samples do not cover the window).
    pub integrated_energy_j: Option<f64>,
    /// Mean power over the window, `energy_j` over its duration.
    pub mean_power_w: f64,
    /// Power samples taken inside the window.
    pub samples: usize,
}

/// The energy of the window over every device.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowEnergy {
    /// One entry per device, in the recording's order.
    pub devices: Vec<DeviceEnergy>,
    /// The sum over the devices, in joules.
    pub total_j: f64,
    /// The window's length in seconds.
    pub duration_s: f64,
    /// Problems a reader must know about (gaps, counter resets, failed readings).
    pub warnings: Vec<String>,
}

impl WindowEnergy {
    /// How the energy was obtained over all devices: `counter`, `power_integration`, or
    /// `mixed`.
    pub fn method(&self) -> &'static str {
        let counter = self
            .devices
            .iter()
            .filter(|d| d.method == DeviceMethod::Counter)
            .count();
        if counter == self.devices.len() {
            "counter"
        } else if counter == 0 {
            "power_integration"
        } else {
            "mixed"
        }
    }
}

/// The energy between `start_ns` and `end_ns` (monotonic clock) in `recording`. The counter is
/// used where the device has one and it behaved; otherwise the integrated power. A device with
/// neither is an error, never a zero.
pub fn window_energy(
    recording: &Recording,
    start_ns: u64,
    end_ns: u64,
) -> Result<WindowEnergy, HarnessError> {
    let duration_s = math::ns_to_s(end_ns.saturating_sub(start_ns));
    let mut warnings = Vec::new();
    let mut devices = Vec::with_capacity(recording.devices.len());
    for (info, series) in recording.devices.iter().zip(&recording.series) {
        let label = format!("GPU {} ({})", info.index, info.name);
        let power = series.power();
        let integrated = math::window_energy_j(&power, start_ns, end_ns);
        let counter = if info.has_energy_counter {
            match math::counter_window_energy_j(
                &series.counter(),
                start_ns,
                end_ns,
                MAX_DEVICE_POWER_W,
            ) {
                Ok(joules) => Some(joules),
                Err(CounterProblem::Reset { .. }) => {
                    warnings.push(format!(
                        "{label}: the energy counter was reset during the run (driver reload); \
                         its energy comes from integrated power samples instead"
                    ));
                    None
                }
                Err(CounterProblem::NotCovered) => {
                    warnings.push(format!(
                        "{label}: the energy counter readings do not cover the measured window; \
                         its energy comes from integrated power samples instead"
                    ));
                    None
                }
            }
        } else {
            None
        };
        let (method, energy_j) = match (counter, integrated) {
            (Some(joules), _) => (DeviceMethod::Counter, joules),
            (None, Some(joules)) => (DeviceMethod::PowerIntegration, joules),
            (None, None) => {
                let why = series
                    .first_error
                    .as_deref()
                    .unwrap_or("no reading covers the measured window");
                return Err(HarnessError::Nvml(format!(
                    "{label}: no energy for the measured window: {why}"
                )));
            }
        };
        let times: Vec<u64> = power.iter().map(|(t, _)| *t).collect();
        let gaps = math::gaps(&times, recording.interval_ns, start_ns, end_ns);
        if let Some(longest) = gaps.iter().map(math::Gap::seconds).reduce(f64::max) {
            let consequence = match method {
                DeviceMethod::Counter => "the counter-based energy is not affected",
                DeviceMethod::PowerIntegration => "the integration interpolates across them",
            };
            warnings.push(format!(
                "{label}: {} gap(s) in the power samples longer than twice the {:.0} ms interval \
                 (longest {:.0} ms); {consequence}",
                gaps.len(),
                math::ns_to_s(recording.interval_ns) * 1e3,
                longest * 1e3
            ));
        }
        if series.failed_reads > 0 {
            warnings.push(format!(
                "{label}: {} reading(s) failed ({})",
                series.failed_reads,
                series.first_error.as_deref().unwrap_or("no message")
            ));
        }
        let samples = times
            .iter()
            .filter(|t| **t >= start_ns && **t <= end_ns)
            .count();
        devices.push(DeviceEnergy {
            gpu_index: info.index,
            name: info.name.clone(),
            uuid: info.uuid.clone(),
            method,
            energy_j,
            counter_energy_j: counter,
            integrated_energy_j: integrated,
            mean_power_w: if duration_s > 0.0 {
                energy_j / duration_s
            } else {
                0.0
            },
            samples,
        });
    }
    let total_j = devices.iter().map(|d| d.energy_j).sum();
    Ok(WindowEnergy {
        devices,
        total_j,
        duration_s,
        warnings,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::energy::sampler::{DeviceSeries, Sample};
    use crate::energy::source::DeviceInfo;

    const MS: u64 = 1_000_000;

    fn device(index: u32, counter: bool) -> DeviceInfo {
        DeviceInfo {
            index,
            name: format!("Test GPU {index}"),
            uuid: format!("GPU-{index}"),
            has_energy_counter: counter,
        }
    }

    /// Two GPUs recorded every 100 ms for 2 s: GPU 0 (with a counter) at 200 W, GPU 1 (without)
    /// at 100 W, with a 400 ms stall of the sampler on GPU 1.
    fn recording() -> Recording {
        let times: Vec<u64> = (0..=20).map(|i| i * 100 * MS).collect();
        let gpu0 = DeviceSeries {
            samples: times
                .iter()
                .map(|t| Sample {
                    t_ns: *t,
                    power_w: Some(200.0),
                    energy_mj: Some(1_000_000 + t / MS * 200),
                })
                .collect(),
            failed_reads: 0,
            first_error: None,
        };
        let gpu1 = DeviceSeries {
            samples: times
                .iter()
                .filter(|t| !(800 * MS..1_200 * MS).contains(*t) || **t == 800 * MS)
                .map(|t| Sample {
                    t_ns: *t,
                    power_w: Some(100.0),
                    energy_mj: None,
                })
                .collect(),
            failed_reads: 0,
            first_error: None,
        };
        Recording {
            devices: vec![device(0, true), device(1, false)],
            series: vec![gpu0, gpu1],
            interval_ns: 100 * MS,
            started_ns: 0,
            stopped_ns: 2_000 * MS,
        }
    }

    #[test]
    fn counter_where_available_integration_elsewhere() {
        let energy = window_energy(&recording(), 500 * MS, 1_500 * MS).unwrap();
        assert_eq!(energy.devices.len(), 2);
        let gpu0 = &energy.devices[0];
        assert_eq!(gpu0.method, DeviceMethod::Counter);
        assert!((gpu0.energy_j - 200.0).abs() < 1e-9);
        assert!((gpu0.integrated_energy_j.unwrap() - 200.0).abs() < 1e-9);
        assert!((gpu0.mean_power_w - 200.0).abs() < 1e-9);
        let gpu1 = &energy.devices[1];
        assert_eq!(gpu1.method, DeviceMethod::PowerIntegration);
        assert_eq!(gpu1.counter_energy_j, None);
        assert!((gpu1.energy_j - 100.0).abs() < 1e-9);
        assert!((energy.total_j - 300.0).abs() < 1e-9);
        assert!((energy.duration_s - 1.0).abs() < 1e-12);
        assert_eq!(energy.method(), "mixed");
        // GPU 1's stall (800 -> 1200 ms) is reported.
        assert_eq!(energy.warnings.len(), 1);
        assert!(
            energy.warnings[0].contains("GPU 1"),
            "{:?}",
            energy.warnings
        );
        assert!(
            energy.warnings[0].contains("longest 400 ms"),
            "{:?}",
            energy.warnings
        );
    }

    #[test]
    fn a_counter_reset_falls_back_to_integration() {
        let mut recording = recording();
        recording.series[0].samples[10].energy_mj = Some(5);
        let energy = window_energy(&recording, 500 * MS, 1_500 * MS).unwrap();
        assert_eq!(energy.devices[0].method, DeviceMethod::PowerIntegration);
        assert!((energy.devices[0].energy_j - 200.0).abs() < 1e-9);
        assert!(energy.warnings.iter().any(|w| w.contains("reset")));
    }

    #[test]
    fn a_device_without_readings_is_an_error_not_a_zero() {
        let mut recording = recording();
        recording.series[1].samples.clear();
        recording.series[1].failed_reads = 21;
        recording.series[1].first_error = Some("GPU is lost".to_owned());
        let error = window_energy(&recording, 500 * MS, 1_500 * MS).unwrap_err();
        assert!(error.to_string().contains("GPU is lost"), "{error}");
    }
}
