//! Warmup: how many unmeasured iterations run before the measurement, and what the result says
//! about them.

use crate::protocol::{ConvergenceRequest, WarmupRequest};
use serde::Serialize;

/// How to warm up. Each iteration is one `generate()` call on the first batch of the measured
/// prompts; warmup is never measured.
#[derive(Clone, Debug, PartialEq)]
pub struct WarmupConfig {
    /// Iterations always run (default 5; 0 runs no fixed iterations).
    pub iterations: u32,
    /// When set, warmup goes on after `iterations` until the latency settles.
    pub convergence: Option<Convergence>,
}

impl Default for WarmupConfig {
    fn default() -> Self {
        WarmupConfig {
            iterations: 5,
            convergence: None,
        }
    }
}

/// Warm up until the latency's coefficient of variation (population standard deviation over
/// the mean) over the last `window` iterations falls below `cv_threshold`, or `max_iterations`
/// iterations in all have run.
#[derive(Clone, Debug, PartialEq)]
pub struct Convergence {
    /// The CV to get below (default 0.05).
    pub cv_threshold: f64,
    /// Latencies the CV is taken over (default 3).
    pub window: u32,
    /// The most warmup iterations in all (default 20).
    pub max_iterations: u32,
}

impl Default for Convergence {
    fn default() -> Self {
        Convergence {
            cv_threshold: 0.05,
            window: 3,
            max_iterations: 20,
        }
    }
}

impl WarmupConfig {
    /// A problem with the settings, if any.
    pub fn problem(&self) -> Option<String> {
        let convergence = self.convergence.as_ref()?;
        if convergence.window < 2 {
            return Some("warmup convergence needs a window of at least 2 latencies".to_owned());
        }
        if !(convergence.cv_threshold > 0.0 && convergence.cv_threshold.is_finite()) {
            return Some("the warmup CV threshold must be a positive number".to_owned());
        }
        if convergence.max_iterations < convergence.window {
            return Some(format!(
                "warmup can never converge: at most {} iterations, but the CV needs {}",
                convergence.max_iterations, convergence.window
            ));
        }
        None
    }

    /// The request's warmup part.
    pub fn request(&self) -> WarmupRequest {
        WarmupRequest {
            iterations: self.iterations,
            convergence: self.convergence.as_ref().map(|c| ConvergenceRequest {
                cv_threshold: c.cv_threshold,
                window: c.window,
                max_iterations: c.max_iterations,
            }),
        }
    }

    /// The result's summary of a warmup whose iterations took `latencies_ms`.
    pub fn summarize(&self, latencies_ms: &[f64]) -> WarmupResult {
        let window = self.convergence.as_ref().map_or(latencies_ms.len(), |c| {
            usize::try_from(c.window).unwrap_or(usize::MAX)
        });
        let tail = latencies_ms
            .get(latencies_ms.len().saturating_sub(window)..)
            .unwrap_or(&[]);
        let final_cv = coefficient_of_variation(tail);
        let converged = self.convergence.as_ref().map(|c| {
            tail.len() == usize::try_from(c.window).unwrap_or(usize::MAX)
                && final_cv.is_some_and(|cv| cv < c.cv_threshold)
        });
        WarmupResult {
            converged,
            final_cv,
            iterations_completed: latencies_ms.len(),
            target_cv: self.convergence.as_ref().map(|c| c.cv_threshold),
            max_prompts: self
                .convergence
                .as_ref()
                .map_or(self.iterations, |c| c.max_iterations.max(self.iterations)),
            latencies_ms: latencies_ms.to_vec(),
        }
    }
}

/// What the result says about warmup.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WarmupResult {
    /// Whether the latency settled (`null` when convergence detection was off).
    pub converged: Option<bool>,
    /// The CV over the last window (over all iterations without convergence detection);
    /// `null` with fewer than two iterations.
    pub final_cv: Option<f64>,
    /// Warmup iterations run.
    pub iterations_completed: usize,
    /// The CV threshold (`null` without convergence detection).
    pub target_cv: Option<f64>,
    /// The most iterations warmup could have run.
    pub max_prompts: u32,
    /// Each iteration's latency in milliseconds.
    pub latencies_ms: Vec<f64>,
}

/// Population standard deviation over the mean; `None` for fewer than two values or a
/// non-positive mean.
pub fn coefficient_of_variation(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return None;
    }
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    Some(variance.sqrt() / mean)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cv_of_known_values() {
        // mean 100, population std 10
        let cv = coefficient_of_variation(&[90.0, 110.0, 90.0, 110.0]).unwrap();
        assert!((cv - 0.1).abs() < 1e-12);
        assert_eq!(coefficient_of_variation(&[5.0]), None);
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), None);
    }

    #[test]
    fn fixed_warmup_summary() {
        let summary = WarmupConfig::default().summarize(&[30.0, 10.0, 10.0, 10.0, 10.0]);
        assert_eq!(summary.converged, None);
        assert_eq!(summary.target_cv, None);
        assert_eq!(summary.iterations_completed, 5);
        assert_eq!(summary.max_prompts, 5);
        // over all five: mean 14, std 8
        assert!((summary.final_cv.unwrap() - 8.0 / 14.0).abs() < 1e-12);
    }

    #[test]
    fn converged_warmup_summary() {
        let config = WarmupConfig {
            iterations: 2,
            convergence: Some(Convergence::default()),
        };
        let summary = config.summarize(&[200.0, 120.0, 101.0, 100.0, 99.0]);
        assert_eq!(summary.converged, Some(true));
        assert_eq!(summary.target_cv, Some(0.05));
        assert_eq!(summary.max_prompts, 20);
        assert!(summary.final_cv.unwrap() < 0.05);
    }

    #[test]
    fn unsettled_warmup_summary() {
        let config = WarmupConfig {
            iterations: 0,
            convergence: Some(Convergence {
                cv_threshold: 0.01,
                window: 3,
                max_iterations: 4,
            }),
        };
        let summary = config.summarize(&[100.0, 80.0, 120.0, 90.0]);
        assert_eq!(summary.converged, Some(false));
        // too few iterations for the window: not converged either
        assert_eq!(config.summarize(&[100.0, 100.0]).converged, Some(false));
    }

    #[test]
    fn settings_that_cannot_work() {
        let mut config = WarmupConfig {
            iterations: 1,
            convergence: Some(Convergence {
                window: 1,
                ..Convergence::default()
            }),
        };
        assert!(config.problem().is_some());
        config.convergence = Some(Convergence {
            max_iterations: 2,
            ..Convergence::default()
        });
        assert!(config.problem().unwrap().contains("never converge"));
        config.convergence = Some(Convergence::default());
        assert_eq!(config.problem(), None);
    }
}
