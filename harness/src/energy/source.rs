//! Where power and energy readings come from: a set of devices that can be read one at a time.

use serde::Serialize;

/// A device whose power is measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceInfo {
    /// Its NVML index (the order of `nvidia-smi`, PCI bus order).
    pub index: u32,
    /// Its product name.
    pub name: String,
    /// Its UUID (stable across reboots; keys the baseline cache).
    pub uuid: String,
    /// Whether it has a total-energy counter (NVIDIA Volta and newer).
    pub has_energy_counter: bool,
}

/// One reading of one device. A value that could not be read is `None`, and `error` says why.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// Power draw in watts.
    pub power_w: Option<f64>,
    /// The total-energy counter in millijoules, on devices that have one.
    pub energy_mj: Option<u64>,
    /// Why a value is missing.
    pub error: Option<String>,
}

/// A set of devices that can be read. Implemented for NVML; the sampler and the baseline work
/// with any source.
pub trait PowerSource: Send + 'static {
    /// The devices, in reading order.
    fn devices(&self) -> &[DeviceInfo];
    /// Reads the device at `position` in [`PowerSource::devices`].
    fn read(&mut self, position: usize) -> Reading;
}
