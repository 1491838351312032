//! A background thread that reads every device of a [`PowerSource`] at a fixed interval until
//! stopped, stamping each reading with the monotonic clock.

use super::source::{DeviceInfo, PowerSource};
use crate::clock::monotonic_ns;
use crate::error::HarnessError;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// One reading of one device, stamped with the monotonic clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// When it was read (ns).
    pub t_ns: u64,
    /// Power in watts, if it could be read.
    pub power_w: Option<f64>,
    /// The energy counter in millijoules, if the device has one and it could be read.
    pub energy_mj: Option<u64>,
}

/// Everything read from one device.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceSeries {
    /// Every reading, in time order.
    pub samples: Vec<Sample>,
    /// Readings that failed (wholly or in part).
    pub failed_reads: usize,
    /// The first failure's message.
    pub first_error: Option<String>,
}

impl DeviceSeries {
    /// `(time ns, watts)` of every power reading.
    pub fn power(&self) -> Vec<(u64, f64)> {
        self.samples
            .iter()
            .filter_map(|s| s.power_w.map(|w| (s.t_ns, w)))
            .collect()
    }

    /// `(time ns, millijoules)` of every counter reading.
    pub fn counter(&self) -> Vec<(u64, u64)> {
        self.samples
            .iter()
            .filter_map(|s| s.energy_mj.map(|mj| (s.t_ns, mj)))
            .collect()
    }
}

/// What a sampler recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// The devices, in the order of `series`.
    pub devices: Vec<DeviceInfo>,
    /// One series per device.
    pub series: Vec<DeviceSeries>,
    /// The sampling interval in nanoseconds.
    pub interval_ns: u64,
    /// When sampling started and stopped (monotonic ns).
    pub started_ns: u64,
    /// See `started_ns`.
    pub stopped_ns: u64,
}

/// A running sampler; [`Sampler::stop`] ends it and hands back the source and the recording.
pub struct Sampler<S: PowerSource> {
    stop: Sender<()>,
    thread: JoinHandle<(S, Recording)>,
}

impl<S: PowerSource> Sampler<S> {
    /// Starts reading every device of `source` now and then every `interval`. A reading that
    /// falls more than one interval behind is skipped (and shows up as a gap), never bunched up.
    pub fn start(source: S, interval: Duration) -> Sampler<S> {
        let (stop, stopped) = mpsc::channel::<()>();
        let interval_ns = u64::try_from(interval.as_nanos())
            .unwrap_or(u64::MAX)
            .max(1);
        let thread = std::thread::spawn(move || {
            let mut source = source;
            let devices = source.devices().to_vec();
            let mut series = vec![DeviceSeries::default(); devices.len()];
            let started_ns = monotonic_ns();
            let mut next_ns = started_ns;
            loop {
                read_all(&mut source, &mut series);
                next_ns = next_ns.saturating_add(interval_ns);
                let now = monotonic_ns();
                if now >= next_ns {
                    // Overran: skip the missed ticks.
                    let behind = (now - next_ns) / interval_ns + 1;
                    next_ns = next_ns.saturating_add(behind.saturating_mul(interval_ns));
                }
                let wait = Duration::from_nanos(next_ns.saturating_sub(monotonic_ns()));
                match stopped.recv_timeout(wait) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                }
            }
            // One last reading, so that the series reaches past the moment it was stopped.
            read_all(&mut source, &mut series);
            let recording = Recording {
                devices,
                series,
                interval_ns,
                started_ns,
                stopped_ns: monotonic_ns(),
            };
            (source, recording)
        });
        Sampler { stop, thread }
    }

    /// Stops sampling (after one last reading) and returns the source and what was recorded.
    pub fn stop(self) -> Result<(S, Recording), HarnessError> {
        // The thread may already be gone; joining tells.
        let _ = self.stop.send(());
        self.thread.join().map_err(|_| {
            HarnessError::Nvml("the power sampling thread stopped unexpectedly".to_owned())
        })
    }
}

fn read_all<S: PowerSource>(source: &mut S, series: &mut [DeviceSeries]) {
    for (position, device) in series.iter_mut().enumerate() {
        let reading = source.read(position);
        device.samples.push(Sample {
            t_ns: monotonic_ns(),
            power_w: reading.power_w,
            energy_mj: reading.energy_mj,
        });
        if let Some(error) = reading.error {
            device.failed_reads += 1;
            device.first_error.get_or_insert(error);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::energy::source::Reading;

    /// A device drawing constant power, with a counter that follows it exactly; stands in for a
    /// GPU where the sampler's own behaviour (timing, stopping, bookkeeping) is under test.
    pub(crate) struct SteadyDevice {
        pub(crate) devices: Vec<DeviceInfo>,
        pub(crate) watts: f64,
        pub(crate) origin_ns: u64,
    }

    impl SteadyDevice {
        pub(crate) fn new(watts: f64) -> Self {
            SteadyDevice {
                devices: vec![DeviceInfo {
                    index: 0,
                    name: "steady".to_owned(),
                    uuid: "GPU-steady".to_owned(),
                    has_energy_counter: true,
                }],
                watts,
                origin_ns: monotonic_ns(),
            }
        }
    }

    impl PowerSource for SteadyDevice {
        fn devices(&self) -> &[DeviceInfo] {
            &self.devices
        }

        fn read(&mut self, _position: usize) -> Reading {
            let elapsed_s = (monotonic_ns() - self.origin_ns) as f64 / 1e9;
            Reading {
                power_w: Some(self.watts),
                energy_mj: Some((elapsed_s * self.watts * 1000.0) as u64),
                error: None,
            }
        }
    }

    #[test]
    fn samples_at_the_interval_until_stopped() {
        let sampler = Sampler::start(SteadyDevice::new(150.0), Duration::from_millis(20));
        std::thread::sleep(Duration::from_millis(300));
        let (_, recording) = sampler.stop().unwrap();
        let series = recording.series.first().cloned().unwrap_or_default();
        let count = series.samples.len();
        // About 15 ticks plus the final reading; allow for a loaded machine.
        assert!((5..=17).contains(&count), "{count}");
        assert_eq!(series.power().len(), count);
        assert_eq!(series.counter().len(), count);
        assert!(series.samples.windows(2).all(|w| match w {
            [a, b] => a.t_ns < b.t_ns,
            _ => false,
        }));
        assert_eq!(series.failed_reads, 0);
        assert!(recording.stopped_ns >= recording.started_ns);
        assert_eq!(recording.interval_ns, 20_000_000);
    }
}
