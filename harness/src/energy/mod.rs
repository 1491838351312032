//! Energy measurement: NVML readings sampled in the background, the energy of the measured
//! window per device (the total-energy counter where the GPU has one, else integrated power
//! samples), and the arithmetic behind it.

pub mod math;
pub mod measure;
pub mod nvml;
pub mod sampler;
pub mod source;

use crate::baseline::BaselineSettings;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Whether and how energy is measured (`--energy nvml|none`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnergyMode {
    /// NVML on the run's GPUs; fails clearly when there is no NVIDIA driver.
    Nvml,
    /// No energy: every energy field of the result is `null`.
    None,
}

impl FromStr for EnergyMode {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "nvml" => Ok(EnergyMode::Nvml),
            "none" => Ok(EnergyMode::None),
            other => Err(format!(
                "unknown energy mode `{other}` (expected `nvml` or `none`)"
            )),
        }
    }
}

impl fmt::Display for EnergyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EnergyMode::Nvml => "nvml",
            EnergyMode::None => "none",
        })
    }
}

/// How energy is measured.
#[derive(Clone, Debug, PartialEq)]
pub struct EnergySettings {
    /// NVML or nothing.
    pub mode: EnergyMode,
    /// Time between two readings of every device (default 100 ms).
    pub interval: Duration,
    /// The idle baseline.
    pub baseline: BaselineSettings,
}

impl EnergySettings {
    /// No energy measurement.
    pub fn none() -> Self {
        EnergySettings {
            mode: EnergyMode::None,
            interval: Duration::from_millis(100),
            baseline: BaselineSettings::default(),
        }
    }

    /// NVML every 100 ms, with the default baseline.
    pub fn nvml() -> Self {
        EnergySettings {
            mode: EnergyMode::Nvml,
            ..EnergySettings::none()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print() {
        assert_eq!("nvml".parse::<EnergyMode>(), Ok(EnergyMode::Nvml));
        assert_eq!("none".parse::<EnergyMode>(), Ok(EnergyMode::None));
        assert!(
            "zeus"
                .parse::<EnergyMode>()
                .is_err_and(|e| e.contains("`nvml` or `none`"))
        );
        assert_eq!(EnergyMode::Nvml.to_string(), "nvml");
    }
}
