//! The idle baseline: the devices' mean power with nothing running, measured over a window and
//! cached on disk for a while, and the baseline-adjusted energy of a run.

use crate::clock::WallTime;
use crate::energy::math;
use crate::energy::sampler::Sampler;
use crate::energy::source::PowerSource;
use crate::error::HarnessError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the idle baseline is obtained.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineSettings {
    /// Whether to measure a baseline at all (default true). Without one the adjusted energy is
    /// `null`.
    pub enabled: bool,
    /// How long to sample idle power (default 30 s).
    pub window: Duration,
    /// How long a cached baseline stays valid (default 1 hour).
    pub ttl: Duration,
    /// The cache file (default: `$XDG_CACHE_HOME/llemc/baseline.json`, else
    /// `~/.cache/llemc/baseline.json`); `None` measures every time and caches nothing.
    pub cache_path: Option<PathBuf>,
}

impl Default for BaselineSettings {
    fn default() -> Self {
        BaselineSettings {
            enabled: true,
            window: Duration::from_secs(30),
            ttl: Duration::from_secs(3600),
            cache_path: default_cache_path(),
        }
    }
}

/// `$XDG_CACHE_HOME/llemc/baseline.json`, else `$HOME/.cache/llemc/baseline.json`.
pub fn default_cache_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("llemc").join("baseline.json"))
}

/// Where a baseline came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineMethod {
    /// Measured for this run.
    Fresh,
    /// Read from the cache.
    Cached,
}

/// An idle baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Baseline {
    /// Idle power summed over the devices, in watts.
    pub power_w: f64,
    /// Idle power per device, in the devices' order.
    pub per_device_w: Vec<f64>,
    /// When it was measured.
    pub measured_at: WallTime,
    /// How long it was sampled, in seconds.
    pub window_s: f64,
    /// Power samples it averages.
    pub samples: usize,
    /// Fresh or cached.
    pub method: BaselineMethod,
    /// Its age when used, in seconds.
    pub age_s: f64,
}

/// One entry of the cache file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CacheEntry {
    power_w: f64,
    per_device_w: Vec<f64>,
    measured_at_unix_us: i64,
    window_s: f64,
    samples: usize,
}

/// The cache file: one baseline per set of devices, keyed by their UUIDs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct CacheFile {
    schema_version: u32,
    entries: BTreeMap<String, CacheEntry>,
}

const CACHE_SCHEMA_VERSION: u32 = 1;

/// The cache key of a set of devices.
fn cache_key(uuids: &[String]) -> String {
    uuids.join(",")
}

/// A baseline for the devices of `source`: the cached one when it is younger than the TTL,
/// else measured now (the devices must be idle) and cached. Returns the source for the run, the
/// baseline, and warnings (an unreadable or unwritable cache is a warning, not an error).
pub fn obtain<S: PowerSource>(
    source: S,
    settings: &BaselineSettings,
    interval: Duration,
) -> Result<(S, Baseline, Vec<String>), HarnessError> {
    let uuids: Vec<String> = source.devices().iter().map(|d| d.uuid.clone()).collect();
    let key = cache_key(&uuids);
    let now = WallTime::now();
    let mut warnings = Vec::new();
    let mut cache = match &settings.cache_path {
        Some(path) => match read_cache(path) {
            Ok(cache) => cache,
            Err(problem) => {
                warnings.push(problem);
                CacheFile::default()
            }
        },
        None => CacheFile::default(),
    };
    if let Some(baseline) = cache
        .entries
        .get(&key)
        .and_then(|entry| usable(entry, now, settings.ttl, uuids.len()))
    {
        return Ok((source, baseline, warnings));
    }
    let (source, baseline) = measure(source, settings.window, interval)?;
    if let Some(path) = &settings.cache_path {
        cache.schema_version = CACHE_SCHEMA_VERSION;
        cache.entries.insert(
            key,
            CacheEntry {
                power_w: baseline.power_w,
                per_device_w: baseline.per_device_w.clone(),
                measured_at_unix_us: baseline.measured_at.unix_us(),
                window_s: baseline.window_s,
                samples: baseline.samples,
            },
        );
        if let Err(problem) = write_cache(path, &cache) {
            warnings.push(problem);
        }
    }
    Ok((source, baseline, warnings))
}

/// Samples the devices for `window` and averages each one's power.
pub fn measure<S: PowerSource>(
    source: S,
    window: Duration,
    interval: Duration,
) -> Result<(S, Baseline), HarnessError> {
    let measured_at = WallTime::now();
    let sampler = Sampler::start(source, interval);
    std::thread::sleep(window);
    let (source, recording) = sampler.stop()?;
    let mut per_device_w = Vec::with_capacity(recording.series.len());
    let mut samples = 0;
    for (info, series) in recording.devices.iter().zip(&recording.series) {
        let watts: Vec<f64> = series.samples.iter().filter_map(|s| s.power_w).collect();
        let mean = math::mean(&watts).ok_or_else(|| {
            HarnessError::Nvml(format!(
                "GPU {} ({}): no power reading during the baseline: {}",
                info.index,
                info.name,
                series.first_error.as_deref().unwrap_or("no reading")
            ))
        })?;
        samples += watts.len();
        per_device_w.push(mean);
    }
    let baseline = Baseline {
        power_w: per_device_w.iter().sum(),
        per_device_w,
        measured_at,
        window_s: math::ns_to_s(recording.stopped_ns.saturating_sub(recording.started_ns)),
        samples,
        method: BaselineMethod::Fresh,
        age_s: 0.0,
    };
    Ok((source, baseline))
}

/// A cached entry as a baseline, if it is younger than `ttl` (and not from the future) and
/// covers `devices` devices.
fn usable(entry: &CacheEntry, now: WallTime, ttl: Duration, devices: usize) -> Option<Baseline> {
    let measured_at = WallTime::from_unix_us(entry.measured_at_unix_us);
    let age_s = now.seconds_since(measured_at);
    let fresh = age_s >= 0.0 && age_s < ttl.as_secs_f64();
    (fresh && entry.per_device_w.len() == devices).then(|| Baseline {
        power_w: entry.power_w,
        per_device_w: entry.per_device_w.clone(),
        measured_at,
        window_s: entry.window_s,
        samples: entry.samples,
        method: BaselineMethod::Cached,
        age_s,
    })
}

fn read_cache(path: &Path) -> Result<CacheFile, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CacheFile::default()),
        Err(e) => {
            return Err(format!(
                "cannot read the baseline cache `{}` ({e}); measuring a fresh baseline",
                path.display()
            ));
        }
    };
    match serde_json::from_str::<CacheFile>(&text) {
        Ok(cache) if cache.schema_version == CACHE_SCHEMA_VERSION => Ok(cache),
        Ok(_) | Err(_) => Err(format!(
            "the baseline cache `{}` is not in this version's format; measuring a fresh \
             baseline and replacing it",
            path.display()
        )),
    }
}

fn write_cache(path: &Path, cache: &CacheFile) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| {
        format!(
            "cannot write the baseline cache `{}` ({e}); the baseline will be measured again \
             next time",
            path.display()
        )
    };
    let text = serde_json::to_string_pretty(cache).map_err(|e| fail(&e))?;
    llemc_compiler::atomic_write::write_atomically(path, format!("{text}\n").as_bytes())
        .map_err(|e| fail(&e))
}

/// Energy above the idle baseline: `total_j - baseline_w * duration_s`, floored at zero (a
/// negative value only says the baseline was noisier than the run). The flag is true when the
/// floor applied.
pub fn adjust(total_j: f64, baseline_w: f64, duration_s: f64) -> (f64, bool) {
    let adjusted = total_j - baseline_w * duration_s;
    if adjusted < 0.0 {
        (0.0, true)
    } else {
        (adjusted, false)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::energy::sampler::tests::SteadyDevice;

    fn settings(dir: &Path) -> BaselineSettings {
        BaselineSettings {
            enabled: true,
            window: Duration::from_millis(150),
            ttl: Duration::from_secs(60),
            cache_path: Some(dir.join("nested").join("baseline.json")),
        }
    }

    #[test]
    fn adjusted_energy_subtracts_idle_power() {
        assert_eq!(adjust(500.0, 60.0, 5.0), (200.0, false));
        assert_eq!(adjust(100.0, 60.0, 5.0), (0.0, true));
    }

    #[test]
    fn measures_then_reuses_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(dir.path());
        let interval = Duration::from_millis(10);
        let (source, first, warnings) =
            obtain(SteadyDevice::new(55.0), &settings, interval).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(first.method, BaselineMethod::Fresh);
        assert!((first.power_w - 55.0).abs() < 1e-9);
        assert_eq!(first.per_device_w, vec![55.0]);
        assert!(first.samples >= 2);
        assert!(settings.cache_path.as_ref().unwrap().exists());

        let (_, second, warnings) = obtain(source, &settings, interval).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(second.method, BaselineMethod::Cached);
        assert_eq!(second.power_w, first.power_w);
        assert_eq!(second.measured_at, first.measured_at);
        assert!(second.age_s >= 0.0 && second.age_s < 60.0);
    }

    #[test]
    fn an_expired_entry_is_measured_again() {
        let entry = CacheEntry {
            power_w: 70.0,
            per_device_w: vec![70.0],
            measured_at_unix_us: 1_000_000,
            window_s: 30.0,
            samples: 300,
        };
        let ttl = Duration::from_secs(3600);
        assert!(usable(&entry, WallTime::from_unix_us(3_000_000_000), ttl, 1).is_some());
        assert!(usable(&entry, WallTime::from_unix_us(3_700_000_000), ttl, 1).is_none());
        // From the future (the clock was set back): not trusted.
        assert!(usable(&entry, WallTime::from_unix_us(0), ttl, 1).is_none());
        // For another number of devices: not used.
        assert!(usable(&entry, WallTime::from_unix_us(3_000_000_000), ttl, 2).is_none());
    }

    #[test]
    fn a_corrupt_cache_is_replaced_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(dir.path());
        let path = settings.cache_path.clone().unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        let (_, baseline, warnings) = obtain(
            SteadyDevice::new(40.0),
            &settings,
            Duration::from_millis(10),
        )
        .unwrap();
        assert_eq!(baseline.method, BaselineMethod::Fresh);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("not in this version's format"),
            "{warnings:?}"
        );
        let rewritten: CacheFile =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(rewritten.entries.len(), 1);
    }
}
