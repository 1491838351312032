//! NVIDIA GPUs through NVML (nvml-wrapper): power draw and the total-energy counter.

use super::source::{DeviceInfo, PowerSource, Reading};
use crate::error::HarnessError;
use crate::spec::Gpus;
use nvml_wrapper::Nvml;
use nvml_wrapper::error::NvmlError;

/// The GPUs of a run, read through NVML.
pub struct NvmlSource {
    nvml: Nvml,
    devices: Vec<DeviceInfo>,
}

impl NvmlSource {
    /// Loads NVML and looks up the GPUs to measure. Fails with
    /// [`HarnessError::NvmlUnavailable`] when there is no NVIDIA driver (NVML cannot be
    /// loaded or initialised) or no GPU, and with [`HarnessError::Nvml`] when a GPU asked for
    /// does not exist.
    pub fn open(gpus: &Gpus) -> Result<NvmlSource, HarnessError> {
        let nvml = Nvml::init().map_err(|e| HarnessError::NvmlUnavailable(init_problem(e)))?;
        let count = nvml
            .device_count()
            .map_err(|e| HarnessError::NvmlUnavailable(format!("cannot count the GPUs: {e}")))?;
        if count == 0 {
            return Err(HarnessError::NvmlUnavailable(
                "the driver is loaded but reports no GPU".to_owned(),
            ));
        }
        let indices: Vec<u32> = match gpus {
            Gpus::None => {
                return Err(HarnessError::Spec(
                    "energy is measured on the run's GPUs, but the run uses none; choose GPUs \
                     or run with `--energy none`"
                        .to_owned(),
                ));
            }
            Gpus::All => (0..count).collect(),
            Gpus::Devices(list) => list.clone(),
        };
        let mut devices = Vec::with_capacity(indices.len());
        for index in indices {
            if index >= count {
                return Err(HarnessError::Nvml(format!(
                    "there is no GPU {index}: NVML sees {count} (0 to {})",
                    count - 1
                )));
            }
            let device = nvml
                .device_by_index(index)
                .map_err(|e| HarnessError::Nvml(format!("GPU {index}: {e}")))?;
            let name = device.name().map_err(|e| {
                HarnessError::Nvml(format!("GPU {index}: cannot read its name: {e}"))
            })?;
            let uuid = device.uuid().map_err(|e| {
                HarnessError::Nvml(format!("GPU {index}: cannot read its UUID: {e}"))
            })?;
            device.power_usage().map_err(|e| {
                HarnessError::Nvml(format!("GPU {index} ({name}): cannot read its power: {e}"))
            })?;
            let has_energy_counter = device.total_energy_consumption().is_ok();
            devices.push(DeviceInfo {
                index,
                name,
                uuid,
                has_energy_counter,
            });
        }
        Ok(NvmlSource { nvml, devices })
    }
}

/// Why NVML could not be initialised, in words.
fn init_problem(error: NvmlError) -> String {
    match error {
        NvmlError::LibloadingError(e) => format!("the driver's library cannot be loaded: {e}"),
        NvmlError::DriverNotLoaded => "the NVIDIA driver is not loaded".to_owned(),
        NvmlError::NoPermission => "no permission to talk to the NVIDIA driver".to_owned(),
        other => other.to_string(),
    }
}

impl PowerSource for NvmlSource {
    fn devices(&self) -> &[DeviceInfo] {
        &self.devices
    }

    fn read(&mut self, position: usize) -> Reading {
        let Some(info) = self.devices.get(position) else {
            return Reading {
                power_w: None,
                energy_mj: None,
                error: Some(format!("no device at position {position}")),
            };
        };
        let device = match self.nvml.device_by_index(info.index) {
            Ok(device) => device,
            Err(e) => {
                return Reading {
                    power_w: None,
                    energy_mj: None,
                    error: Some(e.to_string()),
                };
            }
        };
        let mut error = None;
        let power_w = match device.power_usage() {
            Ok(mw) => Some(f64::from(mw) / 1000.0),
            Err(e) => {
                error = Some(format!("power: {e}"));
                None
            }
        };
        let energy_mj = if info.has_energy_counter {
            match device.total_energy_consumption() {
                Ok(mj) => Some(mj),
                Err(e) => {
                    error = Some(format!("energy counter: {e}"));
                    None
                }
            }
        } else {
            None
        };
        Reading {
            power_w,
            energy_mj,
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without an NVIDIA driver (CI, this project's build machines) NVML cannot be loaded:
    /// opening must fail with a message that names the problem and the way out. With a driver,
    /// opening every GPU must work.
    #[test]
    fn opening_fails_clearly_without_a_driver() {
        let driver = std::path::Path::new("/proc/driver/nvidia/version").exists();
        let opened = NvmlSource::open(&Gpus::All);
        if driver {
            assert!(opened.is_ok_and(|source| !source.devices().is_empty()));
            return;
        }
        assert!(opened.is_err(), "NVML opened without a driver");
        let Err(e) = opened else { return };
        assert!(matches!(e, HarnessError::NvmlUnavailable(_)), "{e:?}");
        let message = e.to_string();
        assert!(message.contains("NVML"), "{message}");
        assert!(message.contains("NVIDIA"), "{message}");
        assert!(message.contains("--energy none"), "{message}");
        assert!(message.contains("libnvidia-ml.so"), "{message}");
        assert_eq!(e.exit_code(), 2);
    }
}
